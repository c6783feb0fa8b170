//! The email tasks of one `sanjeh serve` node, from the configuration in the database: the
//! SMTP receiver (when the node listens for SMTP), one IMAP poller per mailbox with an IMAP
//! account (each behind a lease, so one node polls a mailbox at a time), and the outbound
//! sender (when a relay is configured; several nodes may run it: each mail is leased before
//! it is sent).
//!
//! The configuration is read again every `reload` interval: a mailbox added, changed or
//! removed starts, restarts or stops its poller, and a changed relay restarts the sender,
//! on every node, without a restart. Everything stops when `shutdown` resolves.

use crate::config::{self, MailConfigError, OutboundSettings};
use crate::imap::{self, Lease};
use crate::ingest::InboundConfig;
use crate::outbound::{feed_outbox_all, send_due};
use crate::smtp::{self, ReceiverConfig};
use sanjeh_store::{Store, Writer};
use std::collections::HashMap;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How this node runs its email tasks.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// This node's name in leases: stable across restarts of the same node (so a restarted
    /// node takes its mailboxes back at once), different between nodes.
    pub node: String,
    /// How often the configuration is read again.
    pub reload: Duration,
    /// How often the outbound queue is fed and drained.
    pub outbound_every: Duration,
    /// How long a node's mailbox lease lasts without renewal.
    pub lease_ttl: Duration,
    /// The SMTP receiver's name and limits (its size limit is the inbound one).
    pub receiver: ReceiverConfig,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            node: "sanjeh".into(),
            reload: Duration::from_secs(15),
            outbound_every: Duration::from_secs(2),
            lease_ttl: Duration::from_secs(90),
            receiver: ReceiverConfig::default(),
        }
    }
}

/// A running task and the switch that stops it.
struct Running {
    fingerprint: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    fn spawn<F>(fingerprint: String, make: impl FnOnce(StopSignal) -> F) -> Running
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(make(StopSignal(rx)));
        Running {
            fingerprint,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Resolves when the task is told to stop.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// What the configuration asks this node to run.
struct Wanted {
    inbound: InboundConfig,
    inbound_key: String,
    pollers: Vec<(String, imap::ImapConfig, String)>,
    outbound: Option<OutboundSettings>,
}

async fn wanted(store: &Store) -> Result<Wanted, MailConfigError> {
    let inbound_settings = config::inbound(store).await?;
    let inbound_key = serde_json::to_string(&inbound_settings).expect("settings serialize");
    let mut pollers = Vec::new();
    for mailbox in config::mailboxes(store).await? {
        let Some(imap) = &mailbox.imap else { continue };
        match imap.to_imap_config(&mailbox.address) {
            Ok(c) => {
                let key = format!(
                    "{}|{}",
                    serde_json::to_string(imap).expect("settings serialize"),
                    inbound_key
                );
                pollers.push((mailbox.address.clone(), c, key));
            }
            Err(e) => {
                tracing::error!(mailbox = mailbox.address, error = %e, "mailbox not polled");
            }
        }
    }
    Ok(Wanted {
        inbound: inbound_settings.inbound_config(),
        inbound_key,
        pollers,
        outbound: config::outbound(store).await?,
    })
}

/// Runs this node's email tasks until `shutdown` resolves. `smtp` is the bound listener of
/// the SMTP receiver, if this node receives SMTP.
pub async fn run(
    store: Store,
    writer: Writer,
    smtp: Option<TcpListener>,
    options: ServiceOptions,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut pollers: HashMap<String, Running> = HashMap::new();
    let mut sender: Option<Running> = None;
    let mut receiver: Option<Running> = None;
    let mut smtp = smtp;
    let mut tick = tokio::time::interval(options.reload);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        let wanted = match wanted(&store).await {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "reading the mail configuration failed");
                continue;
            }
        };

        // The SMTP receiver: started once (it owns the listener); it reads the mailboxes
        // for every message, so only a change of limits needs a restart of the node.
        if receiver.is_none()
            && let Some(listener) = smtp.take()
        {
            let (store, writer, inbound) = (store.clone(), writer.clone(), wanted.inbound.clone());
            let mut config = options.receiver.clone();
            config.max_message_bytes = inbound.limits.max_message_bytes;
            receiver = Some(Running::spawn(wanted.inbound_key.clone(), |stop| {
                smtp::serve(listener, store, writer, inbound, config, stop.wait())
            }));
        }

        // IMAP pollers: stop those gone or changed, start those new or changed.
        let keep: HashMap<&str, &str> = wanted
            .pollers
            .iter()
            .map(|(a, _, k)| (a.as_str(), k.as_str()))
            .collect();
        let stale: Vec<String> = pollers
            .iter()
            .filter(|(a, r)| keep.get(a.as_str()) != Some(&r.fingerprint.as_str()))
            .map(|(a, _)| a.clone())
            .collect();
        for address in stale {
            if let Some(r) = pollers.remove(&address) {
                tracing::info!(
                    mailbox = address,
                    "IMAP poller stopped (configuration changed)"
                );
                r.stop().await;
            }
        }
        for (address, config, key) in wanted.pollers {
            if pollers.contains_key(&address) {
                continue;
            }
            tracing::info!(mailbox = address, host = config.host, "IMAP poller started");
            let (store, writer, inbound) = (store.clone(), writer.clone(), wanted.inbound.clone());
            let lease = Lease {
                holder: options.node.clone(),
                ttl: options.lease_ttl,
            };
            pollers.insert(
                address,
                Running::spawn(key, |stop| {
                    imap::run(store, writer, config, inbound, lease, stop.wait())
                }),
            );
        }

        // The outbound sender.
        let key = wanted
            .outbound
            .as_ref()
            .map(|o| serde_json::to_string(o).expect("settings serialize"));
        if sender.as_ref().map(|r| &r.fingerprint) != key.as_ref() {
            if let Some(r) = sender.take() {
                tracing::info!("outbound sender stopped (configuration changed)");
                r.stop().await;
            }
            if let (Some(settings), Some(key)) = (wanted.outbound, key) {
                match settings.transport() {
                    Ok(transport) => {
                        tracing::info!(
                            relay = settings.host,
                            port = settings.port(),
                            "outbound sender started"
                        );
                        let (store, writer) = (store.clone(), writer.clone());
                        let every = options.outbound_every;
                        sender = Some(Running::spawn(key, move |stop| {
                            send_loop(store, writer, transport, settings, every, stop)
                        }));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "outbound relay not usable; replies are queued, not sent")
                    }
                }
            }
        }
    }
    for (_, r) in pollers.drain() {
        r.stop().await;
    }
    if let Some(r) = sender {
        r.stop().await;
    }
    if let Some(r) = receiver {
        r.stop().await;
    }
    tracing::info!("email tasks stopped");
}

async fn send_loop(
    store: Store,
    writer: Writer,
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    settings: OutboundSettings,
    every: Duration,
    stop: StopSignal,
) {
    let config = settings.outbound_config();
    let stop = stop.wait();
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {}
        }
        let now = jiff::Timestamp::now().as_millisecond();
        if let Err(e) = feed_outbox_all(&store, &config, now).await {
            tracing::error!(error = %e, "feeding the mail queue failed");
        }
        // A send in progress finishes (its lease would otherwise hold the mail for minutes).
        match send_due(&store, &writer, &transport, &config, now).await {
            Ok(r) if r.sent + r.retrying + r.failed > 0 => tracing::info!(?r, "mail queue"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "sending queued mail failed"),
        }
    }
}
