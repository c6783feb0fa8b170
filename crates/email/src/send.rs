//! The sender that drains the outbound queue into the SMTP relay, in batches.
//!
//! One pass leases a batch of due mails in one statement (`Store::claim_due_mail`: another
//! sender, on this node or another, passes them by until the lease ends), submits them
//! several at a time over the transport's pooled connections, then records every outcome in
//! one transaction. Two syncs to disk per batch instead of two per mail, and no SMTP
//! handshake per mail, is what makes hundreds of mails a second possible.
//!
//! The guarantees stay those of one mail at a time:
//! - a mail is marked `sent` only after the relay accepted it; a crash before the outcomes
//!   are recorded leaves the batch leased, and it is sent again when the lease ends (at least
//!   once, with the same bytes and Message-ID, as after any crash between send and record);
//! - a lease outlives every attempt in its batch: sends are cut off before the lease ends,
//!   and mails not yet started by then are given back unattempted;
//! - failures are retried with backoff, given up after the last attempt or on a permanent
//!   refusal, and a given-up mail is noted on its ticket.

use crate::outbound::{OutboundConfig, OutboundError, backoff_ms, note_on_ticket};
use futures::StreamExt;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sanjeh_store::mail::{MailOutcome, OutboxRow};
use sanjeh_store::{Store, Writer};
use std::time::{Duration, Instant};

/// Mails leased per batch.
pub const SEND_BATCH: i64 = 100;

/// Mails in flight at once by default (`OutboundConfig::connections`), each on a pooled
/// SMTP connection. Sending one mail is a round trip through the relay's queue (Postfix
/// syncs its queue file before it answers), so throughput grows with connections: on the
/// benchmark machine 10 gave ~190 mails/s, 20 over 300. Relays limit connections per client
/// (Postfix: 50 by default); the setting lowers it for stricter ones.
pub const DEFAULT_CONNECTIONS: usize = 16;

/// How long a batch's lease lasts: no other sender touches its mails before.
const LEASE: Duration = Duration::from_secs(10 * 60);

/// No send starts later than this after the claim, and none runs past
/// `LEASE - SAFETY_MARGIN`; the margin covers recording the outcomes.
const START_WITHIN: Duration = Duration::from_secs(5 * 60);
const SAFETY_MARGIN: Duration = Duration::from_secs(60);

/// What one call of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// How one attempt went, before it is recorded.
enum Attempt {
    Sent,
    Refused { permanent: bool, error: String },
    NotStarted,
}

/// Sends every mail due at `now_ms`, batch after batch, until none is left that this sender
/// could lease. Failures are rescheduled with backoff or given up and noted on the ticket.
#[tracing::instrument(skip_all)]
pub async fn send_due(
    store: &Store,
    writer: &Writer,
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    config: &OutboundConfig,
    now_ms: i64,
) -> Result<SendReport, OutboundError> {
    let mut report = SendReport::default();
    loop {
        let lease_until = now_ms + LEASE.as_millis() as i64;
        let batch = store
            .claim_due_mail(now_ms, lease_until, SEND_BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(report);
        }
        let full = batch.len() as i64 == SEND_BATCH;
        let attempts = attempt_batch(smtp, &batch, config.connections.max(1)).await;
        let released =
            record_batch(store, writer, config, &batch, attempts, now_ms, &mut report).await?;
        // A short batch was all there was; a batch cut off by its deadline gave mails back
        // that the next round takes up.
        if !full && released == 0 {
            return Ok(report);
        }
    }
}

/// Submits a leased batch, `connections` at a time; the attempts come back in the
/// batch's order.
async fn attempt_batch(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    batch: &[OutboxRow],
    connections: usize,
) -> Vec<Attempt> {
    let claimed = Instant::now();
    let (start_by, end_by) = (claimed + START_WITHIN, claimed + LEASE - SAFETY_MARGIN);
    // The futures are made first: a closure making them inside the stream trips the
    // compiler's proof that the sender's future is `Send`.
    let attempts: Vec<_> = batch
        .iter()
        .enumerate()
        .map(|(i, mail)| async move { (i, attempt(smtp, mail, start_by, end_by).await) })
        .collect();
    // Unordered: a slow mail does not hold back the connections the others could use.
    let mut done: Vec<(usize, Attempt)> = futures::stream::iter(attempts)
        .buffer_unordered(connections)
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, a)| a).collect()
}

/// One mail's attempt, unless the batch's time to start sends has passed.
async fn attempt(
    smtp: &AsyncSmtpTransport<Tokio1Executor>,
    mail: &OutboxRow,
    start_by: Instant,
    end_by: Instant,
) -> Attempt {
    let now = Instant::now();
    if now >= start_by {
        return Attempt::NotStarted;
    }
    match tokio::time::timeout(end_by - now, submit(smtp, mail)).await {
        Ok(attempt) => attempt,
        // The relay may have taken it: retried, like a timeout inside lettre.
        Err(_) => Attempt::Refused {
            permanent: false,
            error: "no answer from the SMTP server before the lease ended".into(),
        },
    }
}

async fn submit(smtp: &AsyncSmtpTransport<Tokio1Executor>, mail: &OutboxRow) -> Attempt {
    let envelope = lettre::address::Envelope::new(
        mail.sender.parse().ok(),
        mail.recipient.parse().into_iter().collect(),
    );
    let result = match envelope {
        Ok(envelope) => smtp
            .send_raw(&envelope, &mail.message)
            .await
            .map(|_| ())
            .map_err(|e| (e.is_permanent(), e.to_string())),
        Err(e) => Err((true, e.to_string())),
    };
    match result {
        Ok(()) => Attempt::Sent,
        Err((permanent, error)) => Attempt::Refused { permanent, error },
    }
}

/// Records a batch's outcomes in one transaction, then notes given-up mails on their
/// tickets; returns how many mails were given back unattempted.
async fn record_batch(
    store: &Store,
    writer: &Writer,
    config: &OutboundConfig,
    batch: &[OutboxRow],
    attempts: Vec<Attempt>,
    now_ms: i64,
    report: &mut SendReport,
) -> Result<usize, OutboundError> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut given_up = Vec::new();
    let mut released = 0;
    for (mail, attempt) in batch.iter().zip(attempts) {
        match attempt {
            Attempt::Sent => {
                report.sent += 1;
                tracing::debug!(ticket = mail.ticket, id = mail.id, "mail sent");
                outcomes.push(MailOutcome::Sent { id: mail.id });
            }
            Attempt::NotStarted => {
                released += 1;
                outcomes.push(MailOutcome::Released { id: mail.id });
            }
            Attempt::Refused { permanent, error } => {
                let attempts = mail.attempts + 1;
                let give_up = permanent || attempts >= config.max_attempts;
                tracing::warn!(
                    ticket = mail.ticket,
                    id = mail.id,
                    attempts,
                    permanent,
                    error,
                    "mailing failed"
                );
                if give_up {
                    report.failed += 1;
                    given_up.push((mail, attempts, error.clone()));
                } else {
                    report.retrying += 1;
                }
                outcomes.push(MailOutcome::Failed {
                    id: mail.id,
                    error,
                    retry_at_ms: (!give_up).then(|| now_ms + backoff_ms(mail.attempts)),
                });
            }
        }
    }
    store.record_mail_outcomes(&outcomes, now_ms).await?;
    for (mail, attempts, error) in given_up {
        let body = format!(
            "The email reply to {} could not be delivered ({attempts} attempt(s)): {error}\n\
             The reply is kept in the mail queue and can be sent again.",
            mail.recipient
        );
        note_on_ticket(writer, &mail.ticket, body, None).await;
    }
    Ok(released)
}
