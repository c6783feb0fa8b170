//! Delivers queued webhook calls: a POST of the stored body with its stored signature,
//! retried with backoff until a 2xx or the last attempt. A lease per call (its next attempt
//! moved forward before sending) keeps two nodes from sending it at once.

use sanjeh_domain::Millis;
use sanjeh_store::{Store, StoreError};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// Attempts before a call is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 10;

/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The wait before attempt `attempts + 1`: 30 s, 1, 2, 4 … minutes, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 7) as u32;
    (30_000i64 * 2i64.pow(exp)).min(3_600_000)
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Why the webhook client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("webhook CA file {path}: {source}")]
    CaFile {
        path: String,
        source: std::io::Error,
    },
    #[error("webhook CA file {path}: {message}")]
    Certificate { path: String, message: String },
    #[error("webhook HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

/// A client for webhook calls over HTTP or HTTPS. HTTPS servers are checked against the
/// Mozilla root certificates and, with `ca_file` (PEM), a private certificate authority's
/// too. No redirects: a signed body goes only where it was configured.
pub fn client(ca_file: Option<&Path>) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Sanjeh-Webhook/1");
    if let Some(path) = ca_file {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|source| ClientError::CaFile {
            path: shown.clone(),
            source,
        })?;
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::Certificate {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        if certificates.is_empty() {
            return Err(ClientError::Certificate {
                path: shown,
                message: "no PEM certificate in it".into(),
            });
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder.build()?)
}

/// Sends every call due at `now`.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(
    store: &Store,
    client: &reqwest::Client,
    now: Millis,
) -> Result<DeliveryReport, StoreError> {
    let mut report = DeliveryReport::default();
    for call in store.due_webhooks(now, 50).await? {
        if !store
            .claim_webhook(
                call.id,
                call.next_attempt_at,
                now + 2 * TIMEOUT.as_millis() as i64,
            )
            .await?
        {
            continue;
        }
        let sent = client
            .post(&call.url)
            .header("content-type", "application/json")
            .header("x-sanjeh-signature", &call.signature)
            .header("x-sanjeh-delivery", &call.source)
            .body(call.body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => {
                store
                    .webhook_attempt(
                        call.id,
                        true,
                        Some(i64::from(r.status().as_u16())),
                        None,
                        None,
                        now,
                    )
                    .await?;
                report.delivered += 1;
                continue;
            }
            Ok(r) => (
                Some(i64::from(r.status().as_u16())),
                format!("HTTP {}", r.status()),
            ),
            Err(e) => (None, e.to_string()),
        };
        let attempts = call.attempts + 1;
        let retry_at = (attempts < MAX_ATTEMPTS).then(|| now + backoff_ms(call.attempts));
        store
            .webhook_attempt(call.id, false, status, Some(&error), retry_at, now)
            .await?;
        tracing::warn!(url = call.url, attempts, error, "webhook call failed");
        if retry_at.is_some() {
            report.retrying += 1;
        } else {
            report.failed += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(3), 240_000);
        assert_eq!(backoff_ms(50), 3_600_000);
    }
}
