//! The email channel's state: mailboxes, stored Message-IDs (inbound dedup and threading),
//! the durable outbound queue, the event-log cursor that feeds it, and bounces.
//!
//! Operational state, like credentials: outside the event log, never exported or replayed.
//! The tickets and messages that mail makes go through the writer like any API command; the
//! rows here are written after that commit and are idempotent (`ON CONFLICT DO NOTHING`), so
//! a retry after a crash between the two converges (see `sanjeh-email`'s `ingest`).

use crate::backend::{Db, Store, on_read, on_write};
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
    /// `reply`, `received` (an acknowledgement: its `mail_acks` request is marked queued in
    /// the same transaction) or `solved`.
    pub kind: &'static str,
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

/// What one attempt on a leased outbound message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    /// The SMTP server accepted it.
    Sent { id: i64 },
    /// Refused or not reached: retried at `retry_at_ms`, or given up (`failed`) when `None`.
    Failed {
        id: i64,
        error: String,
        retry_at_ms: Option<i64>,
    },
    /// Not attempted (the batch ran out of time): the lease is given back, due at once,
    /// no attempt counted.
    Released { id: i64 },
}

impl MailOutcome {
    pub fn id(&self) -> i64 {
        match self {
            MailOutcome::Sent { id }
            | MailOutcome::Failed { id, .. }
            | MailOutcome::Released { id } => *id,
        }
    }
}

/// A public message event read from the log for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedMessage {
    pub seq: i64,
    pub ticket: String,
    /// The interchange line.
    pub line: String,
}

/// A bounce to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceRecord {
    /// The address that bounced, lowercased.
    pub address: String,
    /// The customer with that address, when there is one.
    pub customer: Option<String>,
    /// The bounce's own Message-ID: a bounce is recorded once.
    pub message_id: String,
    pub reason: Option<String>,
    /// The Message-ID of our mail that bounced, when the report names one we sent.
    pub original_message_id: Option<String>,
    pub at: i64,
}

/// The bounces recorded on a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceSummary {
    pub customer: String,
    pub count: i64,
    pub last_at: i64,
    pub last_reason: Option<String>,
}

/// An inbound attachment to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub ticket: String,
    /// The ticket message it came with (`messages.id`), when known.
    pub message: Option<i64>,
    pub mail_message_id: String,
    pub part: i64,
    pub filename: Option<String>,
    pub declared_type: String,
    pub sniffed_type: Option<String>,
    pub size: i64,
    pub inline: bool,
    pub content_id: Option<String>,
    pub sha256: String,
}

/// A file sent with a message written through the API (an agent's reply), stored with the
/// message in its transaction (`Request::CommandWithFiles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub filename: String,
    /// The content type the client gave.
    pub declared_type: String,
    /// The type its bytes show, when recognised.
    pub sniffed_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The key files of a message made through the API are unique under in `mail_attachments`
/// (`mail_message_id`, where inbound mail has its Message-ID): the message's seq.
fn files_key(message: i64) -> String {
    format!("message:{message}")
}

/// Stores `files` on ticket message `message` (`messages.id`) inside the writer's
/// transaction: both the message's event and its files, or neither.
pub(crate) async fn store_files(
    tx: &mut crate::backend::Tx,
    ticket: &str,
    message: i64,
    files: &[NewFile],
    now_ms: i64,
) -> Result<(), StoreError> {
    use sha2::{Digest, Sha256};
    let key = files_key(message);
    crate::backend::on_tx!(tx, t => {
        for (part, f) in files.iter().enumerate() {
            let sha = hex::encode(Sha256::digest(&f.bytes));
            sqlx::query(
                "INSERT INTO mail_blobs (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (sha256) DO NOTHING")
                .bind(sha.as_str()).bind(f.bytes.len() as i64).bind(f.bytes.as_slice()).bind(now_ms)
                .execute(&mut **t).await?;
            sqlx::query(
                "INSERT INTO mail_attachments (ticket, message, mail_message_id, part, filename, \
                 declared_type, sniffed_type, size, inline, content_id, sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, NULL, $9, $10) \
                 ON CONFLICT (mail_message_id, part) DO NOTHING")
                .bind(ticket).bind(message).bind(key.as_str()).bind(part as i64)
                .bind(f.filename.as_str()).bind(f.declared_type.as_str())
                .bind(f.sniffed_type.as_deref()).bind(f.bytes.len() as i64).bind(sha.as_str())
                .bind(now_ms).execute(&mut **t).await?;
        }
        Ok::<(), sqlx::Error>(())
    })?;
    Ok(())
}

/// A stored attachment (its listing; the bytes are read separately).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub ticket: String,
    pub message: Option<i64>,
    pub filename: Option<String>,
    pub declared_type: String,
    pub sniffed_type: Option<String>,
    pub size: i64,
    pub inline: bool,
    pub content_id: Option<String>,
    /// `None`: over the size limit, listed but not kept.
    pub sha256: Option<String>,
    pub created_at: i64,
}

/// An attachment's listing and its bytes (`None` when it was over the limit, not kept).
pub type AttachmentWithBytes = (AttachmentRow, Option<Vec<u8>>);

type AttachmentTuple = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    String,
    Option<String>,
    i64,
    bool,
    Option<String>,
    Option<String>,
    i64,
);

const ATTACHMENT_COLUMNS: &str = "id, ticket, message, filename, declared_type, sniffed_type, \
     size, inline, content_id, sha256, created_at";

fn attachment_row(t: AttachmentTuple) -> AttachmentRow {
    AttachmentRow {
        id: t.0,
        ticket: t.1,
        message: t.2,
        filename: t.3,
        declared_type: t.4,
        sniffed_type: t.5,
        size: t.6,
        inline: t.7,
        content_id: t.8,
        sha256: t.9,
        created_at: t.10,
    }
}

/// A "ticket received" acknowledgement asked for by an inbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRequest {
    pub ticket: String,
    pub recipient: String,
    pub mailbox: Option<String>,
    pub message_id: String,
    pub requested_at: i64,
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
    pub async fn record_bounce(&self, bounce: &BounceRecord) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO mail_bounces (address, at, message_id, reason, customer, original_message_id) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING")
            .bind(bounce.address.as_str()).bind(bounce.at).bind(bounce.message_id.as_str())
            .bind(bounce.reason.as_deref()).bind(bounce.customer.as_deref())
            .bind(bounce.original_message_id.as_deref())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The bounces recorded on each of `customers` (those with none are left out).
    #[tracing::instrument(skip_all)]
    pub async fn bounce_summaries(
        &self,
        customers: &[&str],
    ) -> Result<Vec<BounceSummary>, StoreError> {
        let mut out = Vec::new();
        for customer in customers {
            let (count, last_at): (i64, Option<i64>) = on_read!(self, p => sqlx::query_as(
                "SELECT COUNT(*), MAX(at) FROM mail_bounces WHERE customer = $1")
                .bind(*customer).fetch_one(p).await)?;
            let Some(last_at) = last_at.filter(|_| count > 0) else {
                continue;
            };
            let last_reason: Option<Option<String>> = on_read!(self, p => sqlx::query_scalar(
                "SELECT reason FROM mail_bounces WHERE customer = $1 \
                 ORDER BY at DESC, message_id DESC LIMIT 1")
                .bind(*customer).fetch_optional(p).await)?;
            out.push(BounceSummary {
                customer: (*customer).to_owned(),
                count,
                last_at,
                last_reason: last_reason.flatten(),
            });
        }
        Ok(out)
    }

    /// The outbound mail with this Message-ID (a bounce names it).
    #[tracing::instrument(skip_all)]
    pub async fn outbox_by_message_id(
        &self,
        message_id: &str,
    ) -> Result<Option<OutboxRow>, StoreError> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE message_id = $1");
        let row: Option<OutboxTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(message_id).fetch_optional(p).await)?;
        Ok(row.map(outbox_row))
    }

    /// Marks a queued or sent mail `failed` because a bounce reported it undelivered;
    /// returns whether it changed (a mail already failed stays as it was).
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn mail_bounced(
        &self,
        id: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE mail_outbox SET status = 'failed', last_error = $2, updated_at = $3 \
             WHERE id = $1 AND status <> 'failed'")
            .bind(id).bind(reason).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Stores an inbound attachment on its ticket message: the bytes once per content (none
    /// for an over-limit one), the listing once per (mail, part). Both or neither.
    #[tracing::instrument(skip_all, fields(ticket = %a.ticket, part = a.part))]
    pub async fn store_attachment(
        &self,
        a: &NewAttachment,
        bytes: Option<&[u8]>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sha = bytes.map(|_| a.sha256.as_str());
        on_write!(self, p => async {
            let mut tx = p.begin().await?;
            if let Some(bytes) = bytes {
                sqlx::query(
                    "INSERT INTO mail_blobs (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (sha256) DO NOTHING")
                    .bind(a.sha256.as_str()).bind(bytes.len() as i64).bind(bytes).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO mail_attachments (ticket, message, mail_message_id, part, filename, \
                 declared_type, sniffed_type, size, inline, content_id, sha256, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (mail_message_id, part) DO NOTHING")
                .bind(a.ticket.as_str()).bind(a.message).bind(a.mail_message_id.as_str())
                .bind(a.part).bind(a.filename.as_deref()).bind(a.declared_type.as_str())
                .bind(a.sniffed_type.as_deref()).bind(a.size).bind(a.inline)
                .bind(a.content_id.as_deref()).bind(sha).bind(now_ms)
                .execute(&mut *tx).await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// The attachments of a ticket, in the order they came.
    #[tracing::instrument(skip_all)]
    pub async fn ticket_attachments(&self, ticket: &str) -> Result<Vec<AttachmentRow>, StoreError> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM mail_attachments WHERE ticket = $1 ORDER BY id"
        );
        let rows: Vec<AttachmentTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ticket).fetch_all(p).await)?;
        Ok(rows.into_iter().map(attachment_row).collect())
    }

    /// One attachment of a ticket, with its bytes when they are kept.
    #[tracing::instrument(skip_all)]
    pub async fn ticket_attachment(
        &self,
        ticket: &str,
        id: i64,
    ) -> Result<Option<AttachmentWithBytes>, StoreError> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM mail_attachments WHERE ticket = $1 AND id = $2"
        );
        let row: Option<AttachmentTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(ticket).bind(id).fetch_optional(p).await)?;
        let Some(row) = row.map(attachment_row) else {
            return Ok(None);
        };
        let bytes = match &row.sha256 {
            Some(sha) => on_read!(self, p => sqlx::query_scalar(
                "SELECT bytes FROM mail_blobs WHERE sha256 = $1")
                .bind(sha.as_str()).fetch_optional(p).await)?,
            None => None,
        };
        Ok(Some((row, bytes)))
    }

    /// The attachments of one ticket message (`messages.id`), in order, with their bytes when
    /// kept: what goes out with an agent's reply.
    #[tracing::instrument(skip_all, fields(message))]
    pub async fn message_attachments(
        &self,
        message: i64,
    ) -> Result<Vec<AttachmentWithBytes>, StoreError> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM mail_attachments WHERE message = $1 ORDER BY part, id"
        );
        let rows: Vec<AttachmentTuple> = on_read!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(message).fetch_all(p).await)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows.into_iter().map(attachment_row) {
            let bytes = match &row.sha256 {
                Some(sha) => on_read!(self, p => sqlx::query_scalar(
                    "SELECT bytes FROM mail_blobs WHERE sha256 = $1")
                    .bind(sha.as_str()).fetch_optional(p).await)?,
                None => None,
            };
            out.push((row, bytes));
        }
        Ok(out)
    }

    /// How many blobs are stored (tests: the same content is kept once).
    #[tracing::instrument(skip_all)]
    pub async fn mail_blob_count(&self) -> Result<i64, StoreError> {
        Ok(
            on_read!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM mail_blobs")
            .fetch_one(p).await)?,
        )
    }

    /// Asks for a "ticket received" acknowledgement, unless `recipient` was asked one at or
    /// after `since_ms` (at most one per sender per window) or the ticket has one. Returns
    /// whether it was asked.
    #[tracing::instrument(skip_all, fields(ticket = %ack.ticket))]
    pub async fn request_ack(&self, ack: &AckRequest, since_ms: i64) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO mail_acks (ticket, recipient, mailbox, message_id, requested_at, queued) \
             SELECT $1, $2, $3, $4, $5, FALSE WHERE NOT EXISTS \
               (SELECT 1 FROM mail_acks WHERE recipient = $2 AND requested_at >= $6) \
             ON CONFLICT (ticket) DO NOTHING")
            .bind(ack.ticket.as_str()).bind(ack.recipient.as_str()).bind(ack.mailbox.as_deref())
            .bind(ack.message_id.as_str()).bind(ack.requested_at).bind(since_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Acknowledgements asked for and not yet queued, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn pending_acks(&self, limit: i64) -> Result<Vec<AckRequest>, StoreError> {
        let rows: Vec<(String, String, Option<String>, String, i64)> = on_read!(self, p => sqlx::query_as(
            "SELECT ticket, recipient, mailbox, message_id, requested_at FROM mail_acks \
             WHERE queued = FALSE ORDER BY requested_at, ticket LIMIT $1")
            .bind(limit).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(ticket, recipient, mailbox, message_id, requested_at)| AckRequest {
                    ticket,
                    recipient,
                    mailbox,
                    message_id,
                    requested_at,
                },
            )
            .collect())
    }

    /// Marks acknowledgements that will not be sent (no usable address) as handled.
    #[tracing::instrument(skip_all)]
    pub async fn drop_ack(&self, ticket: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query("UPDATE mail_acks SET queued = TRUE WHERE ticket = $1")
            .bind(ticket).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The notification language set on a mailbox.
    #[tracing::instrument(skip_all)]
    pub async fn mailbox_language(&self, address: &str) -> Result<Option<String>, StoreError> {
        let v: Option<Option<String>> = on_read!(self, p => sqlx::query_scalar(
            "SELECT language FROM mail_mailboxes WHERE address = $1")
            .bind(address).fetch_optional(p).await)?;
        Ok(v.flatten())
    }

    /// Sets the notification language of a mailbox (for customers without one); returns
    /// whether the mailbox exists.
    #[tracing::instrument(skip_all, fields(address))]
    pub async fn set_mailbox_language(
        &self,
        address: &str,
        language: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "UPDATE mail_mailboxes SET language = $2 WHERE address = $1")
            .bind(address).bind(language).execute(p).await.map(|r| r.rows_affected()))?;
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

    /// `ticket.message` and `ticket.status` events (replies and solves) after `after_seq`,
    /// in log order, at most `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn message_events_after(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<LoggedMessage>, StoreError> {
        let rows: Vec<(i64, Option<String>, String)> = on_read!(self, p => sqlx::query_as(
            "SELECT seq, ticket, payload FROM events \
             WHERE seq > $1 AND type IN ('ticket.message', 'ticket.status') ORDER BY seq LIMIT $2")
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
                     status, attempts, next_attempt_at, last_error, created_at, updated_at, kind) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, NULL, $7, $7, $8) \
                     ON CONFLICT (source) DO NOTHING")
                    .bind(m.source.as_str()).bind(m.ticket.as_str()).bind(m.message_id.as_str())
                    .bind(m.sender.as_str()).bind(m.recipient.as_str()).bind(m.message.as_slice())
                    .bind(now_ms).bind(m.kind).execute(&mut *tx).await?.rows_affected();
                if m.kind == "received" {
                    sqlx::query("UPDATE mail_acks SET queued = TRUE WHERE ticket = $1")
                        .bind(m.ticket.as_str()).execute(&mut *tx).await?;
                }
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

    /// Leases up to `limit` due messages to this sender in one statement: their next attempt
    /// moves to `lease_until_ms`, so every other sender (another node) passes them by until
    /// the lease ends. Returns them oldest first. A message is leased by one sender at a time:
    /// on PostgreSQL concurrent claims skip rows another claim holds (`FOR UPDATE SKIP
    /// LOCKED`) and the outer conditions are checked again on the locked row; SQLite has one
    /// writer at a time.
    #[tracing::instrument(skip_all, fields(limit))]
    pub async fn claim_due_mail(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let due = "SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
                   ORDER BY next_attempt_at, id LIMIT $3";
        let sql = |lock: &str| {
            format!(
                "UPDATE mail_outbox SET next_attempt_at = $2 \
                 WHERE id IN ({due}{lock}) AND status = 'queued' AND next_attempt_at <= $1 \
                 RETURNING {OUTBOX_COLUMNS}"
            )
        };
        let mut rows: Vec<OutboxTuple> = match &self.db {
            Db::Sqlite { write, .. } => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql("")))
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(limit)
                    .fetch_all(write)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql(" FOR UPDATE SKIP LOCKED")))
                    .bind(now_ms)
                    .bind(lease_until_ms)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        };
        // RETURNING keeps no order.
        rows.sort_by_key(|r| r.0);
        Ok(rows.into_iter().map(outbox_row).collect())
    }

    /// Records what the attempts on leased messages came to, in one transaction (one sync to
    /// disk for a whole batch). A message no longer queued (a bounce marked it failed
    /// meanwhile) keeps its state.
    #[tracing::instrument(skip_all, fields(outcomes = outcomes.len()))]
    pub async fn record_mail_outcomes(
        &self,
        outcomes: &[MailOutcome],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        on_write!(self, p => async {
            let mut tx = p.begin().await?;
            for o in outcomes {
                let (status, next, error) = match o {
                    MailOutcome::Released { id } => {
                        sqlx::query(
                            "UPDATE mail_outbox SET next_attempt_at = $2 WHERE id = $1 AND status = 'queued'")
                            .bind(*id).bind(now_ms).execute(&mut *tx).await?;
                        continue;
                    }
                    MailOutcome::Sent { .. } => ("sent", None, None),
                    MailOutcome::Failed { retry_at_ms: Some(at), error, .. } => {
                        ("queued", Some(*at), Some(error.as_str()))
                    }
                    MailOutcome::Failed { retry_at_ms: None, error, .. } => {
                        ("failed", Some(now_ms), Some(error.as_str()))
                    }
                };
                sqlx::query(
                    "UPDATE mail_outbox SET status = $2, attempts = attempts + 1, \
                     next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4, updated_at = $5 \
                     WHERE id = $1 AND status = 'queued'")
                    .bind(o.id()).bind(status).bind(next).bind(error).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
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
