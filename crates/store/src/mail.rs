//! The email channel's state: mailboxes, stored Message-IDs (inbound dedup and threading),
//! the durable outbound queue, the event-log cursor that feeds it, and bounces.
//!
//! Operational state, like credentials: outside the event log, never exported or replayed.
//! The tickets and messages that mail makes go through the writer like any API command; the
//! rows here are written after that commit and are idempotent (`ON CONFLICT DO NOTHING`), so
//! a retry after a crash between the two converges (see `sanjeh-email`'s `ingest`).

use crate::backend::{Store, on_read, on_write};
use crate::error::StoreError;

/// A mailbox Sanjeh receives on, and the group its mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRow {
    pub address: String,
    pub group: Option<String>,
}

/// A Message-ID stored on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessageRow {
    pub message_id: String,
    pub ticket: String,
    /// `in` or `out`.
    pub direction: &'static str,
    pub sender: String,
    pub subject_key: String,
    pub mailbox: Option<String>,
    pub at: i64,
}

/// A message to queue for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbound {
    /// What made it (`event:SEQ`); a source is queued once.
    pub source: String,
    pub ticket: String,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    pub subject_key: String,
    pub message: Vec<u8>,
}

/// A queued, sent or failed outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub ticket: String,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    pub message: Vec<u8>,
    /// `queued`, `sent` or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

/// A public message event read from the log for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMessage {
    pub seq: i64,
    pub ticket: String,
    /// The interchange line.
    pub line: String,
}

type OutboxTuple = (
    i64,
    String,
    String,
    String,
    String,
    Vec<u8>,
    String,
    i64,
    i64,
    Option<String>,
);

fn outbox_row(t: OutboxTuple) -> OutboxRow {
    OutboxRow {
        id: t.0,
        ticket: t.1,
        message_id: t.2,
        sender: t.3,
        recipient: t.4,
        message: t.5,
        status: t.6,
        attempts: t.7,
        next_attempt_at: t.8,
        last_error: t.9,
    }
}

const OUTBOX_COLUMNS: &str = "id, ticket, message_id, sender, recipient, message, status, \
     attempts, next_attempt_at, last_error";

impl Store {
    /// Adds or changes a mailbox (address lowercased by the caller).
    #[tracing::instrument(skip_all, fields(address))]
    pub async fn set_mailbox(
        &self,
        address: &str,
        group: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO mail_mailboxes (address, group_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (address) DO UPDATE SET group_id = excluded.group_id")
            .bind(address).bind(group).bind(now_ms).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Every mailbox, by address.
    #[tracing::instrument(skip_all)]
    pub async fn mailboxes(&self) -> Result<Vec<MailboxRow>, StoreError> {
        let rows: Vec<(String, Option<String>)> = on_read!(self, p => sqlx::query_as(
            "SELECT address, group_id FROM mail_mailboxes ORDER BY address")
            .fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(address, group)| MailboxRow { address, group })
            .collect())
    }

    /// The ticket a message with this Message-ID is stored on or was sent from.
    #[tracing::instrument(skip_all)]
    pub async fn mail_ticket(&self, message_id: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT ticket FROM mail_messages WHERE message_id = $1")
            .bind(message_id).fetch_optional(p).await)?)
    }

    /// The ticket of the latest inbound message from `sender` with this normalized subject
    /// at or after `since_ms`.
    #[tracing::instrument(skip_all)]
    pub async fn mail_recent_thread(
        &self,
        sender: &str,
        subject_key: &str,
        since_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT ticket FROM mail_messages \
             WHERE sender = $1 AND subject_key = $2 AND direction = 'in' AND at >= $3 \
             ORDER BY at DESC LIMIT 1")
            .bind(sender).bind(subject_key).bind(since_ms).fetch_optional(p).await)?)
    }

    /// Inbound messages from `sender` at or after `since_ms` (the per-sender rate limit).
    #[tracing::instrument(skip_all)]
    pub async fn mail_count_from(&self, sender: &str, since_ms: i64) -> Result<i64, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_messages WHERE sender = $1 AND direction = 'in' AND at >= $2")
            .bind(sender).bind(since_ms).fetch_one(p).await)?)
    }

    /// Stores a Message-ID on its ticket; a second store of the same id changes nothing.
    /// Returns whether the row is new.
    #[tracing::instrument(skip_all, fields(ticket = %row.ticket))]
    pub async fn record_mail_message(&self, row: &MailMessageRow) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO mail_messages (message_id, ticket, direction, sender, subject_key, mailbox, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING")
            .bind(row.message_id.as_str()).bind(row.ticket.as_str()).bind(row.direction)
            .bind(row.sender.as_str()).bind(row.subject_key.as_str()).bind(row.mailbox.as_deref())
            .bind(row.at).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The customer with this e-mail address (compared lowercased), the oldest if several.
    #[tracing::instrument(skip_all)]
    pub async fn customer_by_email(&self, email: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT id FROM customers WHERE lower(email) = $1 ORDER BY id LIMIT 1")
            .bind(email.to_lowercase()).fetch_optional(p).await)?)
    }

    /// Records a bounce once (by the bounce's own Message-ID); returns whether it is new.
    #[tracing::instrument(skip_all)]
    pub async fn record_bounce(
        &self,
        address: &str,
        message_id: &str,
        reason: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO mail_bounces (address, at, message_id, reason) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message_id) DO NOTHING")
            .bind(address).bind(at).bind(message_id).bind(reason)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Bounces recorded for `address`.
    #[tracing::instrument(skip_all)]
    pub async fn bounces(&self, address: &str) -> Result<i64, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_bounces WHERE address = $1")
            .bind(address).fetch_one(p).await)?)
    }

    /// Where the reader `name` of the event log stands; `None` before it first ran.
    #[tracing::instrument(skip_all)]
    pub async fn mail_cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT seq FROM mail_cursors WHERE name = $1")
            .bind(name).fetch_optional(p).await)?)
    }

    /// The Message-IDs on a ticket, oldest first, each with its direction and mailbox.
    #[tracing::instrument(skip_all)]
    pub async fn ticket_message_ids(
        &self,
        ticket: &str,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_as(
            "SELECT message_id, direction, mailbox FROM mail_messages WHERE ticket = $1 \
             ORDER BY at, message_id")
            .bind(ticket).fetch_all(p).await)?)
    }

    /// `ticket.message` events after `after_seq`, in log order, at most `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn message_events_after(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<LoggedMessage>, StoreError> {
        let rows: Vec<(i64, Option<String>, String)> = on_read!(self, p => sqlx::query_as(
            "SELECT seq, ticket, payload FROM events \
             WHERE seq > $1 AND type = 'ticket.message' ORDER BY seq LIMIT $2")
            .bind(after_seq).bind(limit).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, ticket, line)| {
                Some(LoggedMessage {
                    seq,
                    ticket: ticket?,
                    line,
                })
            })
            .collect())
    }

    /// The latest event sequence number (0 for an empty log).
    #[tracing::instrument(skip_all)]
    pub async fn last_seq(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = on_read!(self, p => sqlx::query_scalar(
            "SELECT MAX(seq) FROM events").fetch_one(p).await)?;
        Ok(seq.unwrap_or(0))
    }

    /// Queues `items` and moves cursor `name` to `upto_seq`, in one transaction: an event is
    /// either read and queued or neither, whatever crashes. A source queued before is skipped.
    #[tracing::instrument(skip_all, fields(items = items.len(), upto_seq))]
    pub async fn enqueue_mail(
        &self,
        name: &str,
        upto_seq: i64,
        items: &[NewOutbound],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_write!(self, p => async {
            let mut tx = p.begin().await?;
            for m in items {
                let added = sqlx::query(
                    "INSERT INTO mail_outbox (source, ticket, message_id, sender, recipient, message, \
                     status, attempts, next_attempt_at, last_error, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, NULL, $7, $7) \
                     ON CONFLICT (source) DO NOTHING")
                    .bind(m.source.as_str()).bind(m.ticket.as_str()).bind(m.message_id.as_str())
                    .bind(m.sender.as_str()).bind(m.recipient.as_str()).bind(m.message.as_slice())
                    .bind(now_ms).execute(&mut *tx).await?.rows_affected();
                if added > 0 {
                    sqlx::query(
                        "INSERT INTO mail_messages (message_id, ticket, direction, sender, subject_key, mailbox, at) \
                         VALUES ($1, $2, 'out', $3, $4, $3, $5) ON CONFLICT (message_id) DO NOTHING")
                        .bind(m.message_id.as_str()).bind(m.ticket.as_str()).bind(m.sender.as_str())
                        .bind(m.subject_key.as_str()).bind(now_ms).execute(&mut *tx).await?;
                }
            }
            sqlx::query(
                "INSERT INTO mail_cursors (name, seq) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET seq = excluded.seq \
                 WHERE mail_cursors.seq < excluded.seq")
                .bind(name).bind(upto_seq).execute(&mut *tx).await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// Queued messages due at `now_ms`, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn due_mail(&self, now_ms: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox \
             WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        );
        let rows: Vec<OutboxTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now_ms).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(outbox_row).collect())
    }

    /// Takes a due message for one attempt: pushes its next attempt to `lease_until_ms`, if
    /// no other sender took it since it was read. Returns whether this caller has it.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn claim_mail(
        &self,
        id: i64,
        seen_next_attempt_at: i64,
        lease_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $3 \
             WHERE id = $1 AND status = 'queued' AND next_attempt_at = $2")
            .bind(id).bind(seen_next_attempt_at).bind(lease_until_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Marks a message sent.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn mail_sent(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, last_error = NULL, \
             updated_at = $2 WHERE id = $1")
            .bind(id).bind(now_ms).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at_ms`, or given up (`failed`) when `None`.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn mail_attempt_failed(
        &self,
        id: i64,
        error: &str,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (status, next) = match retry_at_ms {
            Some(at) => ("queued", at),
            None => ("failed", now_ms),
        };
        on_write!(self, p => sqlx::query(
            "UPDATE mail_outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, \
             last_error = $4, updated_at = $5 WHERE id = $1")
            .bind(id).bind(status).bind(next).bind(error).bind(now_ms)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Puts a failed message back in the queue, due now (an admin's retry).
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn retry_mail(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE mail_outbox SET status = 'queued', next_attempt_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'failed'")
            .bind(id).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The outbound mail of a ticket, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn ticket_mail(&self, ticket: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE ticket = $1 ORDER BY id");
        let rows: Vec<OutboxTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ticket).fetch_all(p).await)?;
        Ok(rows.into_iter().map(outbox_row).collect())
    }
}
