//! Escalation and KPI alerts at run time: the evaluator that `sanjeh serve` starts.
//!
//! Every tick (15 s by default) the node holding the `alerting` lease escalates the SLA
//! targets that meet an escalation rule ([`escalate::escalate_once`]) and evaluates the KPI
//! alert rules ([`kpi::evaluate_alerts`]); every node delivers due webhook calls
//! ([`webhook::deliver_due`], claimed one by one). Each step takes `now` as a parameter, so
//! tests drive the clock. Mail is only queued here (the outbound mail sender sends it).

pub mod escalate;
pub mod kpi;
pub mod notify;
pub mod webhook;

use crate::live::SharedDataset;
use sanjeh_store::{Store, Writer};
use std::time::Duration;

pub use escalate::{EscalationReport, escalate_once};
pub use kpi::{AlertEvaluation, evaluate_alerts, kpi_value};
pub use notify::{MailIdentity, signature};
pub use webhook::{DeliveryReport, deliver_due};

/// The lease that picks the one node evaluating rules.
const LEASE: &str = "alerting";

/// How the evaluator runs.
#[derive(Debug, Clone)]
pub struct AlertingOptions {
    pub every: Duration,
    pub mail: MailIdentity,
    /// This node's name in the lease (random by default).
    pub node: String,
    /// The client webhook calls go out with ([`webhook::client`]).
    pub webhook_client: reqwest::Client,
}

impl Default for AlertingOptions {
    fn default() -> Self {
        AlertingOptions {
            every: Duration::from_secs(15),
            mail: MailIdentity::default(),
            node: format!("node-{}", hex::encode(rand::random::<[u8; 8]>())),
            webhook_client: webhook::client(None).unwrap_or_default(),
        }
    }
}

/// Runs the evaluator until `shutdown` resolves. Without a dataset (reports off), KPI alerts
/// are not evaluated.
pub async fn run(
    store: Store,
    writer: Writer,
    dataset: Option<SharedDataset>,
    options: AlertingOptions,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let client = options.webhook_client.clone();
    let mut tick = tokio::time::interval(options.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let lease_ms = 3 * options.every.as_millis() as i64;
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {}
        }
        let now = jiff::Timestamp::now().as_millisecond();
        match store
            .acquire_lease(LEASE, &options.node, now, lease_ms)
            .await
        {
            Ok(true) => {
                let mail = mail_identity(&store, &options.mail).await;
                if let Err(e) = escalate_once(&store, &writer, &mail, now).await {
                    tracing::error!(error = %e, "escalation pass failed");
                }
                if let Some(ds) = &dataset
                    && let Err(e) = evaluate_alerts(&store, ds, &mail, now).await
                {
                    tracing::error!(error = %e, "KPI alert pass failed");
                }
            }
            Ok(false) => tracing::trace!("another node evaluates rules"),
            Err(e) => tracing::error!(error = %e, "alerting lease not taken"),
        }
        if let Err(e) = deliver_due(&store, &client, now).await {
            tracing::error!(error = %e, "webhook delivery failed");
        }
    }
}

/// Who notification mail comes from: the outbound relay's sender and Message-ID domain when
/// one is configured (read each pass, as the mail sender does), else `fallback`.
pub async fn mail_identity(store: &Store, fallback: &MailIdentity) -> MailIdentity {
    match sanjeh_email::config::outbound(store).await {
        Ok(Some(relay)) => {
            let config = relay.outbound_config();
            MailIdentity {
                from: config.default_from,
                message_id_domain: config.message_id_domain,
            }
        }
        Ok(None) => fallback.clone(),
        Err(e) => {
            tracing::warn!(error = %e, "outbound mail settings unreadable");
            fallback.clone()
        }
    }
}
