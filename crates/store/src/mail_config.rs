//! The email channel's configuration, shared by every node through the database: each
//! mailbox's IMAP account, named settings (the outbound relay, inbound limits), the outbound
//! queue as an admin sees it, and leases so one node at a time polls a mailbox.
//!
//! The store keeps the JSON it is given; `sanjeh-email`'s `config` module owns its shape and
//! validation. Operational state with credentials: outside the event log (migration 0006).

use crate::backend::{Store, on_read, on_write};
use crate::error::StoreError;

/// A mailbox with its IMAP account (JSON), if mail is fetched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxConfigRow {
    pub address: String,
    pub group: Option<String>,
    pub imap: Option<String>,
}

/// An outbound mail as the queue listing shows it (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub ticket: String,
    pub message_id: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type QueuedTuple = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
);

fn queued(t: QueuedTuple) -> QueuedMail {
    QueuedMail {
        id: t.0,
        ticket: t.1,
        message_id: t.2,
        recipient: t.3,
        status: t.4,
        attempts: t.5,
        next_attempt_at: t.6,
        last_error: t.7,
        created_at: t.8,
        updated_at: t.9,
    }
}

impl Store {
    /// Adds or replaces a mailbox: its group and IMAP account (JSON, or none).
    #[tracing::instrument(skip_all, fields(address))]
    pub async fn put_mailbox(
        &self,
        address: &str,
        group: Option<&str>,
        imap: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO mail_mailboxes (address, group_id, created_at, imap, updated_at) \
             VALUES ($1, $2, $3, $4, $3) \
             ON CONFLICT (address) DO UPDATE SET group_id = excluded.group_id, \
             imap = excluded.imap, updated_at = excluded.updated_at")
            .bind(address).bind(group).bind(now_ms).bind(imap)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Every mailbox with its IMAP account, by address.
    #[tracing::instrument(skip_all)]
    pub async fn mailbox_configs(&self) -> Result<Vec<MailboxConfigRow>, StoreError> {
        let rows: Vec<(String, Option<String>, Option<String>)> = on_read!(self, p =>
            sqlx::query_as("SELECT address, group_id, imap FROM mail_mailboxes ORDER BY address")
                .fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(address, group, imap)| MailboxConfigRow {
                address,
                group,
                imap,
            })
            .collect())
    }

    /// Removes a mailbox; false when there was none. Its stored messages stay.
    #[tracing::instrument(skip_all, fields(address))]
    pub async fn remove_mailbox(&self, address: &str) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query("DELETE FROM mail_mailboxes WHERE address = $1")
            .bind(address).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Sets a named mail setting (JSON).
    #[tracing::instrument(skip_all, fields(name))]
    pub async fn put_mail_setting(
        &self,
        name: &str,
        value: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO mail_settings (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
            .bind(name).bind(value).bind(now_ms).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A named mail setting (JSON), if set.
    #[tracing::instrument(skip_all, fields(name))]
    pub async fn mail_setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT value FROM mail_settings WHERE name = $1")
            .bind(name).fetch_optional(p).await)?)
    }

    /// Takes or renews lease `name` for `holder` until `until_ms`: true when `holder` has it
    /// now (it was free, expired at `now_ms`, or already held by `holder`).
    #[tracing::instrument(skip_all, fields(name))]
    pub async fn take_mail_lease(
        &self,
        name: &str,
        holder: &str,
        until_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "INSERT INTO mail_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE mail_leases.holder = excluded.holder OR mail_leases.expires_at <= $4")
            .bind(name).bind(holder).bind(until_ms).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Gives lease `name` up, if `holder` has it (a clean shutdown: another node may take
    /// the mailbox at once).
    #[tracing::instrument(skip_all, fields(name))]
    pub async fn release_mail_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query("DELETE FROM mail_leases WHERE name = $1 AND holder = $2")
            .bind(name).bind(holder).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The outbound queue, newest first: every mail, or those with `status`.
    #[tracing::instrument(skip_all)]
    pub async fn mail_queue(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let rows: Vec<QueuedTuple> = on_read!(self, p => sqlx::query_as(
            "SELECT id, ticket, message_id, recipient, status, attempts, next_attempt_at, \
             last_error, created_at, updated_at FROM mail_outbox \
             WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) ORDER BY id DESC LIMIT $2")
            .bind(status).bind(limit).fetch_all(p).await)?;
        Ok(rows.into_iter().map(queued).collect())
    }

    /// One outbound mail as the queue listing shows it.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn mail_queue_item(&self, id: i64) -> Result<Option<QueuedMail>, StoreError> {
        let row: Option<QueuedTuple> = on_read!(self, p => sqlx::query_as(
            "SELECT id, ticket, message_id, recipient, status, attempts, next_attempt_at, \
             last_error, created_at, updated_at FROM mail_outbox WHERE id = $1")
            .bind(id).fetch_optional(p).await)?;
        Ok(row.map(queued))
    }
}
