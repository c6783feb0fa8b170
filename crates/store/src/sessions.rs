//! Web sign-in state: server-side sessions, failed sign-ins for the rate limit, and each
//! user's language.
//!
//! Like credentials, this is security state, not history: it lives outside the event log and
//! never leaves through export. A session cookie carries a random 256-bit secret; only its
//! SHA-256 is stored, so a copy of the database lets no one sign in.

use crate::backend::{Store, on_read, on_tx, on_write};
use crate::error::StoreError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::LazyLock;

/// Whose session it is: agent and customer ids are different namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An agent, admin or manager (signed in with a password).
    Agent,
    /// A customer (signed in through an emailed link, in the portal).
    Customer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Agent => "agent",
            SessionKind::Customer => "customer",
        }
    }

    fn parse(raw: &str) -> SessionKind {
        match raw {
            "customer" => SessionKind::Customer,
            _ => SessionKind::Agent,
        }
    }
}

/// A signed-in browser, as the database knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// The signed-in user: an agent id (admins and managers are agents with that role), or
    /// a customer id when `kind` is [`SessionKind::Customer`].
    pub agent: String,
    pub kind: SessionKind,
    /// The token every form posted in this session must carry.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A session cookie's secret, returned once when the session starts; `Debug` hides it.
pub struct SessionSecret(pub String);

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(***)")
    }
}

fn session_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

impl Store {
    /// Starts a session for `agent` lasting `ttl_ms`; returns its cookie secret and record.
    pub async fn create_web_session(
        &self,
        agent: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<(SessionSecret, WebSession), StoreError> {
        self.create_session_of(SessionKind::Agent, agent, now_ms, ttl_ms)
            .await
    }

    /// Starts a session for the agent or customer `id` lasting `ttl_ms`.
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
    pub async fn create_session_of(
        &self,
        kind: SessionKind,
        id: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<(SessionSecret, WebSession), StoreError> {
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let session = WebSession {
            agent: id.to_owned(),
            kind,
            csrf: hex::encode(rand::random::<[u8; 32]>()),
            created_at: now_ms,
            expires_at: now_ms + ttl_ms,
        };
        on_write!(self, p => sqlx::query(
            "INSERT INTO web_sessions (hash, agent, csrf, created_at, expires_at, kind) \
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(session_hash(&secret)).bind(id).bind(session.csrf.as_str())
            .bind(session.created_at).bind(session.expires_at).bind(kind.as_str())
            .execute(p).await.map(|_| ()))?;
        Ok((SessionSecret(secret), session))
    }

    /// The live session with this cookie secret, if any.
    #[tracing::instrument(skip_all)]
    pub async fn web_session(
        &self,
        secret: &str,
        now_ms: i64,
    ) -> Result<Option<WebSession>, StoreError> {
        let row: Option<(String, String, i64, i64, String)> = on_read!(self, p => sqlx::query_as(
            "SELECT agent, csrf, created_at, expires_at, kind FROM web_sessions \
             WHERE hash = $1 AND expires_at > $2")
            .bind(session_hash(secret)).bind(now_ms).fetch_optional(p).await)?;
        Ok(
            row.map(|(agent, csrf, created_at, expires_at, kind)| WebSession {
                agent,
                kind: SessionKind::parse(&kind),
                csrf,
                created_at,
                expires_at,
            }),
        )
    }

    /// Ends the session with this cookie secret.
    #[tracing::instrument(skip_all)]
    pub async fn end_web_session(&self, secret: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query("DELETE FROM web_sessions WHERE hash = $1")
            .bind(session_hash(secret)).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Ends every session of the agent `agent` (sign out everywhere); returns how many there
    /// were.
    pub async fn end_web_sessions_of(&self, agent: &str) -> Result<u64, StoreError> {
        self.end_sessions_of(SessionKind::Agent, agent).await
    }

    /// Ends every session of the agent or customer `id`; returns how many there were.
    #[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
    pub async fn end_sessions_of(&self, kind: SessionKind, id: &str) -> Result<u64, StoreError> {
        let n = on_write!(self, p => sqlx::query(
            "DELETE FROM web_sessions WHERE agent = $1 AND kind = $2")
            .bind(id).bind(kind.as_str()).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Whether `password` is `agent`'s password, for a sign-in form. Unlike
    /// [`Store::verify_password`] it spends the same argon2 work when the agent has no
    /// password (or does not exist), so the answer's timing does not tell which logins exist,
    /// and it hashes off the async workers.
    #[tracing::instrument(skip_all)]
    pub async fn verify_signin(&self, agent: &str, password: &str) -> Result<bool, StoreError> {
        let stored: Option<String> = on_read!(self, p => sqlx::query_scalar(
            "SELECT password_hash FROM credentials WHERE agent = $1").bind(agent).fetch_optional(p).await)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let (phc, known) = match stored {
                Some(phc) => (phc, true),
                None => (DUMMY_HASH.clone(), false),
            };
            let parsed = PasswordHash::new(&phc).map_err(|e| StoreError::corrupt(e.to_string()))?;
            let ok = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(ok && known)
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Reserves one sign-in attempt of `login` from client address `client` (counted in
    /// `client_bucket` of `web_rate_hits`): false when `login` already has `max_login` failures
    /// or the client `max_client` since `since_ms`. The attempt counts as a failure of both
    /// until [`Store::signin_succeeded`] takes it back. Counting and reserving are one write
    /// transaction, so parallel guesses cannot all pass the check before one is recorded.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(skip_all)]
    pub async fn take_signin_attempt(
        &self,
        login: &str,
        client_bucket: &str,
        client: &str,
        max_login: i64,
        max_client: i64,
        now_ms: i64,
        since_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let (by_login, by_client): (i64, i64) = on_tx!(&mut tx, t => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM web_signin_failures WHERE login = $1 AND at >= $2), \
                    (SELECT COUNT(*) FROM web_rate_hits WHERE bucket = $3 AND key = $4 AND at >= $2)")
            .bind(login).bind(since_ms).bind(client_bucket).bind(client).fetch_one(&mut **t).await)?;
        if by_login >= max_login || by_client >= max_client {
            tx.rollback().await?;
            return Ok(false);
        }
        on_tx!(&mut tx, t => async {
            sqlx::query("DELETE FROM web_signin_failures WHERE at < $1")
                .bind(since_ms).execute(&mut **t).await?;
            sqlx::query("DELETE FROM web_rate_hits WHERE bucket = $1 AND at < $2")
                .bind(client_bucket).bind(since_ms).execute(&mut **t).await?;
            sqlx::query("INSERT INTO web_signin_failures (login, at) VALUES ($1, $2)")
                .bind(login).bind(now_ms).execute(&mut **t).await?;
            sqlx::query("INSERT INTO web_rate_hits (bucket, key, at) VALUES ($1, $2, $3)")
                .bind(client_bucket).bind(client).bind(now_ms).execute(&mut **t).await?;
            Ok::<(), sqlx::Error>(())
        }.await)?;
        tx.commit().await?;
        Ok(true)
    }

    /// Takes back the attempt [`Store::take_signin_attempt`] reserved at `at_ms`, which
    /// succeeded, and forgets the failures of `login`.
    #[tracing::instrument(skip_all)]
    pub async fn signin_succeeded(
        &self,
        login: &str,
        client_bucket: &str,
        client: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.clear_signin_failures(login).await?;
        on_write!(self, p => sqlx::query(
            "DELETE FROM web_rate_hits WHERE bucket = $1 AND key = $2 AND at = $3")
            .bind(client_bucket).bind(client).bind(at_ms).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets the failed sign-ins of `login` (after a successful one).
    #[tracing::instrument(skip_all)]
    pub async fn clear_signin_failures(&self, login: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query("DELETE FROM web_signin_failures WHERE login = $1")
            .bind(login).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The language `agent` picked, if any.
    pub async fn web_language(&self, agent: &str) -> Result<Option<String>, StoreError> {
        Ok(on_read!(self, p => sqlx::query_scalar(
            "SELECT language FROM web_preferences WHERE agent = $1")
            .bind(agent).fetch_optional(p).await)?)
    }

    /// Saves the language `agent` picked.
    pub async fn set_web_language(&self, agent: &str, language: &str) -> Result<(), StoreError> {
        on_write!(self, p => sqlx::query(
            "INSERT INTO web_preferences (agent, language) VALUES ($1, $2) \
             ON CONFLICT (agent) DO UPDATE SET language = excluded.language")
            .bind(agent).bind(language).execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

/// A random password for a generated account (the demo's), 20 hex digits.
pub fn generate_password() -> String {
    hex::encode(rand::random::<[u8; 10]>())
}

/// An argon2id hash of nothing anyone types, verified against when a login has no password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("a fixed salt");
    Argon2::default()
        .hash_password(b"\0no password\0", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});
