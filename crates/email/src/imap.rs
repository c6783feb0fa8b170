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

/// What happens to a message once it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Flag it `\Seen` (it stays in the folder; unseen ones are the work list).
    MarkSeen,
    /// Move it to this folder (created if missing).
    MoveTo(String),
}

/// One mailbox to poll.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    /// TLS from the first byte (IMAPS, 993). Plain IMAP only for a server on loopback.
    pub tls: bool,
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

async fn connect(config: &ImapConfig) -> Result<Session, ImapError> {
    let addr = format!("{}:{}", config.host, config.port);
    let tcp = TcpStream::connect(&addr)
        .await
        .map_err(|e| ImapError::Connect(addr.clone(), e))?;
    let conn = if config.tls {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(config.host.clone())
            .map_err(|e| ImapError::Tls(e.to_string()))?;
        let stream = TlsConnector::from(Arc::new(tls))
            .connect(name, tcp)
            .await
            .map_err(|e| ImapError::Connect(addr.clone(), e))?;
        Conn::Tls(Box::new(stream))
    } else {
        Conn::Plain(tcp)
    };
    let mut client = async_imap::Client::new(conn);
    // The server's greeting.
    client
        .read_response()
        .await
        .map_err(|e| ImapError::Connect(addr, e))?;
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

/// Polls the mailbox until `shutdown` resolves: a pass, then IDLE (where offered, up to 25
/// minutes) or a sleep of `interval`; after an error, a pause of `interval`.
pub async fn run(
    store: Store,
    writer: Writer,
    config: ImapConfig,
    inbound: InboundConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let waited = async {
            let mut session = connect(&config).await?;
            pass(&mut session, &store, &writer, &config, &inbound).await?;
            let idle = session.capabilities().await?.has_str("IDLE");
            if idle {
                let mut handle = session.idle();
                handle.init().await?;
                let (wait, _stop) = handle.wait_with_timeout(Duration::from_secs(25 * 60));
                wait.await?;
                let mut session = handle.done().await?;
                let _ = session.logout().await;
            } else {
                let _ = session.logout().await;
                tokio::time::sleep(config.interval).await;
            }
            Ok::<(), ImapError>(())
        };
        tokio::select! {
            _ = &mut shutdown => return,
            result = waited => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, user = %config.user, "IMAP poll failed; retrying");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        _ = tokio::time::sleep(config.interval) => {}
                    }
                }
            }
        }
    }
}
