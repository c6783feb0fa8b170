//! The customer portal's state: emailed sign-in links, rate-limit hits, mail that is not a
//! ticket reply (sign-in links), and a ticket's current survey answer.
//!
//! Links and hits are security state, like sessions: outside the event log, never exported.
//! A link carries a random 256-bit secret; only its SHA-256 is stored, and using it is one
//! conditional `UPDATE`, so two clicks racing each other sign in once.

use crate::backend::{Store, on_read, on_tx, on_write};
use crate::error::StoreError;
use crate::sessions::SessionSecret;
use sha2::{Digest, Sha256};

/// How long used or expired links are kept (for the log of who signed in when) before pruning.
const KEEP_LINKS_MS: i64 = 24 * 3_600_000;

fn link_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A sign-in link that was valid and is now used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedLink {
    pub customer: String,
    /// The portal page to open after signing in.
    pub next: Option<String>,
}

/// A mail to queue that answers no ticket message (a sign-in link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeMail {
    /// What made it; a source is queued once.
    pub source: String,
    pub message_id: String,
    pub sender: String,
    pub recipient: String,
    /// RFC 5322 bytes.
    pub message: Vec<u8>,
}

/// A ticket's latest answer to a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyAnswer {
    /// On the survey's scale; `None` for a two-point CSAT answer.
    pub score: Option<i64>,
    /// `good` or `bad` for a two-point CSAT answer.
    pub rating: Option<String>,
    pub comment: Option<String>,
    pub at: i64,
}

/// A `surveys` row: score, rating, comment, instant.
type AnswerRow = (Option<i64>, Option<String>, Option<String>, i64);

impl Store {
    /// Makes a single-use sign-in link for `customer`, valid for `ttl_ms`; returns its secret
    /// (the only copy). Prunes links that ended more than a day ago.
    #[tracing::instrument(skip_all)]
    pub async fn create_portal_link(
        &self,
        customer: &str,
        next: Option<&str>,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<SessionSecret, StoreError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        on_write!(self, p => sqlx::query("DELETE FROM portal_links WHERE expires_at < $1")
            .bind(now_ms - KEEP_LINKS_MS).execute(p).await.map(|_| ()))?;
        on_write!(self, p => sqlx::query(
            "INSERT INTO portal_links (hash, customer, next, created_at, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)")
            .bind(link_hash(&secret)).bind(customer).bind(next).bind(now_ms).bind(now_ms + ttl_ms)
            .execute(p).await.map(|_| ()))?;
        Ok(SessionSecret(secret))
    }

    /// Whether a link with this secret exists, is unused and has not expired (without using it).
    #[tracing::instrument(skip_all)]
    pub async fn portal_link_usable(&self, secret: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n: i64 = on_read!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_links WHERE hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(link_hash(secret)).bind(now_ms).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// Uses the link with this secret: `Some` once if it is unused and unexpired, `None` after.
    #[tracing::instrument(skip_all)]
    pub async fn use_portal_link(
        &self,
        secret: &str,
        now_ms: i64,
    ) -> Result<Option<UsedLink>, StoreError> {
        let row: Option<(String, Option<String>)> = on_write!(self, p => sqlx::query_as(
            "UPDATE portal_links SET used_at = $2 \
             WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING customer, next")
            .bind(link_hash(secret)).bind(now_ms).fetch_optional(p).await)?;
        Ok(row.map(|(customer, next)| UsedLink { customer, next }))
    }

    /// Takes one of `limit` attempts of `key` in `bucket` since `since_ms`: counts it and
    /// answers true, or answers false when the window is full. Counting and recording are one
    /// write transaction, so requests racing each other cannot all slip under the limit.
    #[tracing::instrument(skip_all, fields(bucket))]
    pub async fn rate_take(
        &self,
        bucket: &str,
        key: &str,
        limit: i64,
        now_ms: i64,
        since_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let taken: i64 = on_tx!(&mut tx, t => sqlx::query_scalar(
            "SELECT COUNT(*) FROM web_rate_hits WHERE bucket = $1 AND key = $2 AND at >= $3")
            .bind(bucket).bind(key).bind(since_ms).fetch_one(&mut **t).await)?;
        if taken >= limit {
            tx.rollback().await?;
            return Ok(false);
        }
        on_tx!(&mut tx, t => sqlx::query("DELETE FROM web_rate_hits WHERE bucket = $1 AND at < $2")
            .bind(bucket).bind(since_ms).execute(&mut **t).await.map(|_| ()))?;
        on_tx!(&mut tx, t => sqlx::query(
            "INSERT INTO web_rate_hits (bucket, key, at) VALUES ($1, $2, $3)")
            .bind(bucket).bind(key).bind(now_ms).execute(&mut **t).await.map(|_| ()))?;
        tx.commit().await?;
        Ok(true)
    }

    /// Queues a mail that answers no ticket message (ticket `''`: a failure notes nothing on
    /// a ticket) in the durable outbound queue; a source queued before is skipped.
    #[tracing::instrument(skip_all)]
    pub async fn queue_notice_mail(
        &self,
        mail: &NoticeMail,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO mail_outbox (source, ticket, message_id, sender, recipient, message, \
             status, attempts, next_attempt_at, last_error, created_at, updated_at, kind) \
             VALUES ($1, '', $2, $3, $4, $5, 'queued', 0, $6, NULL, $6, $6, 'signin') \
             ON CONFLICT (source) DO NOTHING")
            .bind(mail.source.as_str()).bind(mail.message_id.as_str()).bind(mail.sender.as_str())
            .bind(mail.recipient.as_str()).bind(mail.message.as_slice()).bind(now_ms)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The latest answer to `survey` (`csat`, `nps`, `ces`) on `ticket`: the one that counts.
    #[tracing::instrument(skip_all)]
    pub async fn latest_survey_answer(
        &self,
        ticket: &str,
        survey: &str,
    ) -> Result<Option<SurveyAnswer>, StoreError> {
        let row: Option<AnswerRow> = on_read!(self, p => sqlx::query_as(
                "SELECT score, rating, comment, at FROM surveys WHERE ticket = $1 AND survey = $2 \
                 ORDER BY at DESC, seq DESC LIMIT 1")
                .bind(ticket).bind(survey).fetch_optional(p).await)?;
        Ok(row.map(|(score, rating, comment, at)| SurveyAnswer {
            score,
            rating,
            comment,
            at,
        }))
    }
}
