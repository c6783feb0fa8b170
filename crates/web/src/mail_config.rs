//! The email channel's configuration and queue over HTTP (admin role): mailboxes with their
//! IMAP accounts, the outbound relay, the inbound limits, the outbound queue and its retry.
//!
//! Stored in the database (`sanjeh_email::config`), so every `sanjeh serve` node picks a
//! change up within its reload interval. Passwords are taken, never shown: answers say
//! `password_set`. A PUT without password or password_env keeps the stored one.

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::json;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{get, post};
use sanjeh_email::config::{
    self, ImapSettings, InboundSettings, MailConfigError, MailboxSettings, OutboundSettings,
    mailbox_key,
};
use sanjeh_store::mail_config::QueuedMail;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail/mailboxes", get(list_mailboxes))
        .route(
            "/mail/mailboxes/{address}",
            get(get_mailbox).put(put_mailbox).delete(delete_mailbox),
        )
        .route("/mail/outbound", get(get_outbound).put(put_outbound))
        .route("/mail/inbound", get(get_inbound).put(put_inbound))
        .route("/mail/queue", get(queue))
        .route("/mail/queue/{id}/retry", post(retry))
}

impl From<MailConfigError> for ApiError {
    fn from(e: MailConfigError) -> ApiError {
        match e {
            MailConfigError::Invalid(c) => ApiError::invalid(c.field, c.message),
            MailConfigError::Store(s) => s.into(),
        }
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[derive(Debug, Serialize)]
struct Items<T> {
    items: Vec<T>,
}

async fn list_mailboxes(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Items<Value>>, ApiError> {
    let items = config::mailboxes(state.store())
        .await?
        .iter()
        .map(MailboxSettings::public)
        .collect();
    Ok(Json(Items { items }))
}

fn address_of(raw: &str) -> Result<String, ApiError> {
    mailbox_key("address", raw).map_err(|e| ApiError::invalid(e.field, e.message))
}

async fn get_mailbox(
    State(state): State<AppState>,
    _: Admin,
    Path(address): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let address = address_of(&address)?;
    config::mailboxes(state.store())
        .await?
        .into_iter()
        .find(|m| m.address == address)
        .map(|m| Json(m.public()))
        .ok_or_else(|| ApiError::not_found("address", format!("no mailbox {address}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailboxBody {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    imap: Option<ImapSettings>,
}

/// Adds or replaces a mailbox: `201` when it is new, `200` when it replaced one.
async fn put_mailbox(
    State(state): State<AppState>,
    _: Admin,
    Path(address): Path<String>,
    body: ApiJson<MailboxBody>,
) -> Result<Response, ApiError> {
    let address = address_of(&address)?;
    let existed = state
        .store()
        .mailbox_configs()
        .await?
        .iter()
        .any(|m| m.address == address);
    let b = body.value;
    let saved = config::put_mailbox(
        state.store(),
        MailboxSettings {
            address,
            group: b.group,
            imap: b.imap,
        },
        now(),
    )
    .await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json(status, saved.public(), false))
}

async fn delete_mailbox(
    State(state): State<AppState>,
    _: Admin,
    Path(address): Path<String>,
) -> Result<StatusCode, ApiError> {
    let address = address_of(&address)?;
    if state.store().remove_mailbox(&address).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "address",
            format!("no mailbox {address}"),
        ))
    }
}

async fn get_outbound(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    config::outbound(state.store())
        .await?
        .map(|o| Json(o.public()))
        .ok_or_else(|| ApiError::not_found("outbound", "no outbound relay is configured"))
}

async fn put_outbound(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<OutboundSettings>,
) -> Result<Json<Value>, ApiError> {
    let saved = config::put_outbound(state.store(), body.value, now()).await?;
    Ok(Json(saved.public()))
}

async fn get_inbound(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<InboundSettings>, ApiError> {
    Ok(Json(config::inbound(state.store()).await?))
}

async fn put_inbound(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<InboundSettings>,
) -> Result<Json<InboundSettings>, ApiError> {
    Ok(Json(
        config::put_inbound(state.store(), body.value, now()).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    /// queued, sent or failed.
    status: Option<String>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
struct QueuedDto {
    id: i64,
    ticket: String,
    message_id: String,
    recipient: String,
    status: String,
    attempts: i64,
    next_attempt_at: String,
    last_error: Option<String>,
    created_at: String,
    updated_at: String,
}

fn instant(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl From<QueuedMail> for QueuedDto {
    fn from(m: QueuedMail) -> QueuedDto {
        QueuedDto {
            id: m.id,
            ticket: m.ticket,
            message_id: m.message_id,
            recipient: m.recipient,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: instant(m.next_attempt_at),
            last_error: m.last_error,
            created_at: instant(m.created_at),
            updated_at: instant(m.updated_at),
        }
    }
}

/// The outbound queue, newest first.
async fn queue(
    State(state): State<AppState>,
    _: Admin,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Items<QueuedDto>>, ApiError> {
    if let Some(s) = &q.status
        && !["queued", "sent", "failed"].contains(&s.as_str())
    {
        return Err(ApiError::invalid(
            "status",
            "must be queued, sent or failed",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let items = state
        .store()
        .mail_queue(q.status.as_deref(), limit)
        .await?
        .into_iter()
        .map(QueuedDto::from)
        .collect();
    Ok(Json(Items { items }))
}

/// Puts a failed mail back in the queue, due now. Idempotent by nature (a mail already
/// queued again answers the same), so an Idempotency-Key adds nothing; a sent mail is `409`.
async fn retry(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<QueuedDto>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("{id:?} is not a queue id")))?;
    let store = state.store();
    let Some(mail) = store.mail_queue_item(id).await? else {
        return Err(ApiError::not_found("id", format!("no queued mail {id}")));
    };
    match mail.status.as_str() {
        "failed" => {
            store.retry_mail(id, now()).await?;
        }
        "queued" => {}
        _ => {
            return Err(ApiError::conflict(
                "id",
                format!("mail {id} was sent already"),
            ));
        }
    }
    let row = store
        .mail_queue_item(id)
        .await?
        .ok_or_else(|| ApiError::not_found("id", format!("no queued mail {id}")))?;
    Ok(Json(row.into()))
}
