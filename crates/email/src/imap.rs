//! Inbound over IMAP: one poller per mailbox (support@, billing@). Each pass fetches the
//! unseen messages (without marking them), hands each to [`crate::ingest::receive`], and only
//! then marks it processed (`\Seen`, or moved to a folder), so a crash between the two
//! fetches it again and the Message-ID dedup stores it once. Where the server offers IDLE,
//! the poller waits in IDLE between passes; else it sleeps.

use crate::ingest::{InboundConfig, IngestError, receive};
use crate::outbound::SmtpPassword;
use futures::TryStreamExt;
use sanjeh_store::{Store, Writer};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;

/// What happens to a message once it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Flag it `\Seen` (it stays in the folder; unseen ones are the work list).
    MarkSeen,
    /// Move it to this folder (created if missing).
    MoveTo(String),
}

/// How the IMAP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// Plain IMAP: only for a server on loopback (the password travels in clear).
    Plain,
    /// Plain connection, upgraded with STARTTLS before login (port 143); refused if the
    /// server does not offer it.
    StartTls,
    /// TLS from the first byte (IMAPS, 993).
    Tls,
}

/// One mailbox to poll.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    /// PEM certificate authorities to trust instead of the public (webpki) roots.
    pub ca_file: Option<std::path::PathBuf>,
    pub user: String,
    pub password: SmtpPassword,
    pub folder: String,
    /// The address this mailbox receives (names the mailbox, and so the group).
    pub address: Option<String>,
    pub processed: Processed,
    /// How long to sleep between passes when the server has no IDLE.
    pub interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("connecting to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub fetched: usize,
    pub stored: usize,
    /// Not mail (unparseable): marked processed, so they do not come back every pass.
    pub rejected: usize,
}

/// A plain or TLS connection, so one session type serves both.
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type Session = async_imap::Session<Conn>;

/// The TLS client for `config`: its CA file, else the public roots.
fn tls_connector(config: &ImapConfig) -> Result<TlsConnector, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| ImapError::Tls(format!("{}: {e}", path.display())))?;
            let mut added = 0;
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| ImapError::Tls(format!("{}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| ImapError::Tls(format!("{}: {e}", path.display())))?;
                added += 1;
            }
            if added == 0 {
                return Err(ImapError::Tls(format!(
                    "{} holds no PEM certificate",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ImapError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(tls)))
}

async fn start_tls(config: &ImapConfig, tcp: TcpStream, addr: &str) -> Result<Conn, ImapError> {
    let name = rustls::pki_types::ServerName::try_from(config.host.clone())
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    let stream = tls_connector(config)?
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError::Connect(addr.to_owned(), e))?;
    Ok(Conn::Tls(Box::new(stream)))
}

async fn connect(config: &ImapConfig) -> Result<Session, ImapError> {
    let addr = format!("{}:{}", config.host, config.port);
    let tcp = TcpStream::connect(&addr)
        .await
        .map_err(|e| ImapError::Connect(addr.clone(), e))?;
    let mut client = match config.security {
        ImapSecurity::Plain => async_imap::Client::new(Conn::Plain(tcp)),
        ImapSecurity::Tls => async_imap::Client::new(start_tls(config, tcp, &addr).await?),
        ImapSecurity::StartTls => {
            let mut plain = async_imap::Client::new(Conn::Plain(tcp));
            plain
                .read_response()
                .await
                .map_err(|e| ImapError::Connect(addr.clone(), e))?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| ImapError::Tls(format!("STARTTLS refused: {e}")))?;
            let Conn::Plain(tcp) = plain.into_inner() else {
                unreachable!("the connection was plain")
            };
            let client = async_imap::Client::new(start_tls(config, tcp, &addr).await?);
            // No greeting after STARTTLS: login follows at once.
            return login(client, config).await;
        }
    };
    // The server's greeting.
    client
        .read_response()
        .await
        .map_err(|e| ImapError::Connect(addr, e))?;
    login(client, config).await
}

async fn login(
    client: async_imap::Client<Conn>,
    config: &ImapConfig,
) -> Result<Session, ImapError> {
    let session = client
        .login(&config.user, &config.password.0)
        .await
        .map_err(|(e, _)| e)?;
    Ok(session)
}

/// One pass over the mailbox: fetch unseen, store, mark processed.
#[tracing::instrument(skip_all, fields(user = %config.user, folder = %config.folder))]
pub async fn poll_once(
    store: &Store,
    writer: &Writer,
    config: &ImapConfig,
    inbound: &InboundConfig,
) -> Result<PollReport, ImapError> {
    let mut session = connect(config).await?;
    let report = pass(&mut session, store, writer, config, inbound).await;
    let _ = session.logout().await;
    report
}

async fn pass(
    session: &mut Session,
    store: &Store,
    writer: &Writer,
    config: &ImapConfig,
    inbound: &InboundConfig,
) -> Result<PollReport, ImapError> {
    session.select(&config.folder).await?;
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").await?.into_iter().collect();
    uids.sort_unstable();
    let mut report = PollReport::default();
    if let Processed::MoveTo(folder) = &config.processed
        && !uids.is_empty()
    {
        // Exists already is fine.
        let _ = session.create(folder).await;
    }
    for uid in uids {
        let raw: Option<Vec<u8>> = {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await?;
            fetches.iter().find_map(|f| f.body().map(<[u8]>::to_vec))
        };
        let Some(raw) = raw else { continue };
        report.fetched += 1;
        let now = jiff::Timestamp::now().as_millisecond();
        match receive(store, writer, &raw, config.address.as_deref(), inbound, now).await {
            Ok(r) => {
                report.stored += 1;
                tracing::info!(uid, ticket = ?r.ticket(), "IMAP message received");
            }
            Err(IngestError::Parse(e)) => {
                report.rejected += 1;
                tracing::warn!(uid, error = %e, "IMAP message is not mail; marked processed");
            }
            // The store did not take it: leave it unseen, the next pass tries again.
            Err(e) => return Err(e.into()),
        }
        mark_processed(session, uid, &config.processed).await?;
    }
    Ok(report)
}

async fn mark_processed(
    session: &mut Session,
    uid: u32,
    processed: &Processed,
) -> Result<(), ImapError> {
    match processed {
        Processed::MarkSeen => {
            let _: Vec<_> = session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect()
                .await?;
        }
        Processed::MoveTo(folder) => {
            let _: Vec<_> = session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect()
                .await?;
            session.uid_mv(uid.to_string(), folder).await?;
        }
    }
    Ok(())
}

/// Every message in the folder, raw, without changing a flag (a diagnostic: what the mailbox
/// holds; the tests read a customer's mailbox with it).
pub async fn fetch_all(config: &ImapConfig) -> Result<Vec<Vec<u8>>, ImapError> {
    let mut session = connect(config).await?;
    let mailbox = session.select(&config.folder).await?;
    let mut out = Vec::new();
    if mailbox.exists > 0 {
        let fetches: Vec<_> = session
            .uid_fetch("1:*", "BODY.PEEK[]")
            .await?
            .try_collect()
            .await?;
        out = fetches
            .iter()
            .filter_map(|f| f.body().map(<[u8]>::to_vec))
            .collect();
    }
    let _ = session.logout().await;
    Ok(out)
}

/// Who polls a mailbox when several nodes share one database: the node holding the
/// mailbox's lease (`imap:<address>` in `mail_leases`). Two nodes polling at once would be
/// safe for the data (the Message-ID is the idempotency key) but would race their commits
/// for every message; the lease keeps it to one node, and another takes over within `ttl`
/// when that node dies. A restarted node with the same `holder` takes its lease back at once.
#[derive(Debug, Clone)]
pub struct Lease {
    pub holder: String,
    pub ttl: Duration,
}

/// One connection: a pass, then IDLE up to `wait` where offered, else a sleep of the
/// configured interval.
async fn cycle(
    store: &Store,
    writer: &Writer,
    config: &ImapConfig,
    inbound: &InboundConfig,
    wait: Duration,
) -> Result<(), ImapError> {
    let mut session = connect(config).await?;
    let report = pass(&mut session, store, writer, config, inbound).await?;
    if report.fetched > 0 {
        tracing::info!(?report, user = %config.user, "IMAP pass");
    }
    let idle = session.capabilities().await?.has_str("IDLE");
    if idle {
        let mut handle = session.idle();
        handle.init().await?;
        let (wait, _stop) = handle.wait_with_timeout(wait);
        wait.await?;
        let mut session = handle.done().await?;
        let _ = session.logout().await;
    } else {
        let _ = session.logout().await;
        tokio::time::sleep(config.interval).await;
    }
    Ok(())
}

/// Polls the mailbox until `shutdown` resolves, while this node holds the mailbox's lease:
/// a pass, then IDLE (where offered) or a sleep of `interval`; after an error, a pause of
/// `interval`. On shutdown the lease is given up.
pub async fn run(
    store: Store,
    writer: Writer,
    config: ImapConfig,
    inbound: InboundConfig,
    lease: Lease,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let name = format!("imap:{}", config.address.as_deref().unwrap_or(&config.user));
    let ttl = lease.ttl.max(config.interval * 3);
    let mut holding = false;
    loop {
        let now = jiff::Timestamp::now().as_millisecond();
        let until = now + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        let held = match store
            .take_mail_lease(&name, &lease.holder, until, now)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, mailbox = name, "taking the IMAP lease failed");
                false
            }
        };
        if held != holding {
            tracing::info!(mailbox = name, held, "IMAP lease");
            holding = held;
        }
        let result = if held {
            tokio::select! {
                _ = &mut shutdown => break,
                result = cycle(&store, &writer, &config, &inbound, ttl / 3) => result,
            }
        } else {
            Ok(())
        };
        let pause = match result {
            Ok(()) if held => Duration::ZERO,
            Ok(()) => ttl / 3,
            Err(e) => {
                tracing::warn!(error = %e, user = %config.user, "IMAP poll failed; retrying");
                config.interval
            }
        };
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    if holding && let Err(e) = store.release_mail_lease(&name, &lease.holder).await {
        tracing::warn!(error = %e, mailbox = name, "releasing the IMAP lease failed");
    }
}
