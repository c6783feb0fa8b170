//! Bounced mail on customers' JSON: `email_bounces` (`count`, `last_at`, `last_reason`) on
//! `GET /api/v1/customers` and `GET /api/v1/customers/{id}`, from the bounces the email
//! channel recorded on each customer (`Store::bounce_summaries`).

use crate::dto::{CustomerDto, rfc3339};
use crate::error::ApiError;
use crate::state::AppState;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct EmailBouncesDto {
    pub count: i64,
    /// RFC 3339, UTC; null without bounces.
    pub last_at: Option<String>,
    /// The remote server's answer (`Diagnostic-Code`) of the latest bounce.
    pub last_reason: Option<String>,
}

/// Fills `email_bounces` on each customer (zero count when none).
pub(crate) async fn attach(
    state: &AppState,
    customers: &mut [CustomerDto],
) -> Result<(), ApiError> {
    let ids: Vec<&str> = customers.iter().map(|c| c.id.as_str()).collect();
    let summaries = state.store().bounce_summaries(&ids).await?;
    for c in customers.iter_mut() {
        let s = summaries.iter().find(|s| s.customer == c.id);
        c.email_bounces = Some(EmailBouncesDto {
            count: s.map_or(0, |s| s.count),
            last_at: s.map(|s| rfc3339(s.last_at)),
            last_reason: s.and_then(|s| s.last_reason.clone()),
        });
    }
    Ok(())
}
