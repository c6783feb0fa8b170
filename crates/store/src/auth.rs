//! Credentials: API tokens (random, stored as SHA-256 hashes) and agent passwords (argon2).
//!
//! Secrets are security state, not help-desk history: they live outside the event log and
//! never leave through export.

use crate::backend::{Store, on_read, on_write};
use crate::error::StoreError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including agents, groups and tokens.
    Admin,
    /// Work tickets, messages and customers.
    Agent,
    /// Read and report only.
    Reporter,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Role, StoreError> {
        match raw {
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "reporter" => Ok(Role::Reporter),
            other => Err(StoreError::Conflict {
                field: "role".into(),
                message: format!("unknown role {other:?}; expected admin, agent or reporter"),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Reporter => "reporter",
        }
    }
}

/// A token's record, without the secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub agent: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A token's secret, shown once when issued; `Debug` does not print it.
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How long a token looked up stays trusted without asking the database again. A token revoked
/// through this process is dropped at once; one revoked by another process (`sanjeh admin
/// token revoke` beside a running server, another node) stops working within this time.
pub const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

type CachedTokens = std::collections::HashMap<Vec<u8>, (TokenInfo, std::time::Instant)>;

/// Recently authenticated tokens by hash: spares a database round trip on every request.
#[derive(Clone, Default)]
pub(crate) struct TokenCache(std::sync::Arc<std::sync::Mutex<CachedTokens>>);

impl TokenCache {
    fn get(&self, hash: &[u8]) -> Option<TokenInfo> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(t, _)| t.clone())
    }

    fn put(&self, hash: Vec<u8>, info: TokenInfo) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
        }
        map.insert(hash, (info, std::time::Instant::now()));
    }

    fn forget(&self, id: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (t, _)| t.id != id);
    }
}

fn token_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

type TokenRow = (String, String, String, Option<String>, i64, Option<i64>);

fn token_info(r: TokenRow) -> Result<TokenInfo, StoreError> {
    Ok(TokenInfo {
        id: r.0,
        name: r.1,
        role: Role::parse(&r.2)?,
        agent: r.3,
        created_at: r.4,
        revoked_at: r.5,
    })
}

impl Store {
    /// Issues a new API token; the returned secret is the only copy.
    pub async fn issue_token(
        &self,
        name: &str,
        role: Role,
        agent: Option<&str>,
    ) -> Result<(TokenInfo, Secret), StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Conflict {
                field: "name".into(),
                message: "must not be empty".into(),
            });
        }
        let id = format!("tok_{}", hex::encode(rand::random::<[u8; 6]>()));
        let secret = format!("sjh_{}", hex::encode(rand::random::<[u8; 32]>()));
        let now = jiff::Timestamp::now().as_millisecond();
        on_write!(self, p => sqlx::query(
            "INSERT INTO api_tokens (id, hash, name, role, agent, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.as_str()).bind(token_hash(&secret)).bind(name).bind(role.as_str()).bind(agent).bind(now)
            .execute(p).await.map(|_| ()))?;
        let info = TokenInfo {
            id,
            name: name.into(),
            role,
            agent: agent.map(Into::into),
            created_at: now,
            revoked_at: None,
        };
        Ok((info, Secret(secret)))
    }

    /// The live token with this secret, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<TokenInfo>, StoreError> {
        let hash = token_hash(secret);
        if let Some(info) = self.tokens.get(&hash) {
            return Ok(Some(info));
        }
        let row: Option<TokenRow> = on_read!(self, p => sqlx::query_as(
            "SELECT id, name, role, agent, created_at, revoked_at FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash.as_slice()).fetch_optional(p).await)?;
        let info = row.map(token_info).transpose()?;
        if let Some(info) = &info {
            self.tokens.put(hash, info.clone());
        }
        Ok(info)
    }

    /// Revokes a token; returns false when no live token has that id.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        self.tokens.forget(id);
        let now = jiff::Timestamp::now().as_millisecond();
        let affected = on_write!(self, p => sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(affected > 0)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = on_read!(self, p => sqlx::query_as(
            "SELECT id, name, role, agent, created_at, revoked_at FROM api_tokens ORDER BY created_at, id")
            .fetch_all(p).await)?;
        rows.into_iter().map(token_info).collect()
    }

    /// Sets an agent's password (argon2id, random salt).
    pub async fn set_password(&self, agent: &str, password: &str) -> Result<(), StoreError> {
        if password.chars().count() < 10 {
            return Err(StoreError::Conflict {
                field: "password".into(),
                message: "must be at least 10 characters".into(),
            });
        }
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| StoreError::corrupt(e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::corrupt(e.to_string()))?
            .to_string();
        on_write!(self, p => sqlx::query(
            "INSERT INTO credentials (agent, password_hash) VALUES ($1, $2) \
             ON CONFLICT (agent) DO UPDATE SET password_hash = excluded.password_hash")
            .bind(agent).bind(hash).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Whether `password` is the agent's password.
    pub async fn verify_password(&self, agent: &str, password: &str) -> Result<bool, StoreError> {
        let stored: Option<String> = on_read!(self, p => sqlx::query_scalar(
            "SELECT password_hash FROM credentials WHERE agent = $1").bind(agent).fetch_optional(p).await)?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| StoreError::corrupt(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    }
}
