//! The email channel over HTTP: `POST /api/v1/mail/raw` takes one raw RFC 5322 message (from
//! a mail server's pipe, a script, a test) and does what the IMAP poller and the SMTP
//! receiver do with it: open a ticket, join one, or recognise a duplicate or a loop.
//!
//! The Message-ID is the idempotency key (see `sanjeh_email::ingest`): re-sending a message is
//! a `200` naming the ticket it is on, so an `Idempotency-Key` header adds nothing here.

use crate::auth::Worker;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RawBody};
use crate::ids::path_segment;
use crate::routes::{created, json};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use sanjeh_email::ingest::{IngestError, Received, receive};
use sanjeh_email::parse::ParseError;
use serde::{Deserialize, Serialize};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/mail/raw", post(raw))
}

/// Media types accepted: `message/rfc822` is the right one; `text/plain` and
/// `application/octet-stream` for `curl --data-binary`.
const RAW_MAIL: &[&str] = &["message/rfc822", "text/plain", "application/octet-stream"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    /// The envelope recipient, when the headers do not name the mailbox (Bcc, aliases).
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct ReceivedDto<'a> {
    /// created, joined, duplicate, ignored
    action: &'static str,
    ticket: Option<&'a str>,
    message_id: &'a str,
    /// For joined: reference, token, same_subject. For ignored: own_address, bounce,
    /// rate_limited, auto_reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// For created and joined: may Sanjeh answer it automatically (not auto-submitted,
    /// bulk or a bounce)?
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_reply: Option<bool>,
}

/// `201` when the message was written on a ticket (new or joined), `200` when nothing was
/// written (a duplicate, or a loop, bounce or flood dropped).
#[tracing::instrument(skip_all, fields(ticket))]
async fn raw(
    State(state): State<AppState>,
    _: Worker,
    ApiQuery(q): ApiQuery<RawQuery>,
    body: RawBody,
) -> Result<Response, ApiError> {
    if !body
        .media_type
        .as_deref()
        .is_some_and(|m| RAW_MAIL.contains(&m))
    {
        return Err(ApiError::UnsupportedMediaType {
            expected: "message/rfc822",
        });
    }
    let now = jiff::Timestamp::now().as_millisecond();
    // The inbound limits set with `PUT /api/v1/mail/inbound` (defaults when never set).
    let inbound = sanjeh_email::config::inbound(state.store()).await?;
    let received = receive(
        state.store(),
        state.writer(),
        &body.bytes,
        q.to.as_deref(),
        &inbound.inbound_config(),
        now,
    )
    .await
    .map_err(|e| match e {
        IngestError::Parse(ParseError::TooLarge { limit, .. }) => {
            ApiError::PayloadTooLarge { limit }
        }
        IngestError::Parse(p) => ApiError::invalid("body", p.to_string()),
        IngestError::Store(s) => s.into(),
        IngestError::NoTicket => ApiError::internal(&e),
    })?;
    let (action, reason, auto_reply) = match &received {
        Received::Created { class, .. } => ("created", None, Some(class.may_auto_reply())),
        Received::Joined { reason, class, .. } => (
            "joined",
            Some(reason.as_str()),
            Some(class.may_auto_reply()),
        ),
        Received::Duplicate { .. } => ("duplicate", None, None),
        Received::Ignored { reason, .. } => ("ignored", Some(reason.as_str()), None),
    };
    let dto = ReceivedDto {
        action,
        ticket: received.ticket(),
        message_id: received.message_id(),
        reason,
        auto_reply,
    };
    Ok(match (&received, received.ticket()) {
        (Received::Created { .. } | Received::Joined { .. }, Some(ticket)) => {
            tracing::Span::current().record("ticket", ticket);
            created(
                &format!("/api/v1/tickets/{}", path_segment(ticket)),
                dto,
                false,
            )
        }
        _ => json(StatusCode::OK, dto, false),
    })
}

#[cfg(test)]
mod tests {
    use crate::state::{AppState, WebOptions};
    use axum::body::Body;
    use axum::http::Request;
    use sanjeh_store::Writer;
    use serde_json::Value;
    use tower::ServiceExt;

    const MAIL: &str = "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: =?UTF-8?B?0J/RgNC+0LHQu9C10LzQsA==?=\r\nMessage-ID: <web-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt broke.\r\n";

    async fn post(app: &axum::Router, token: &str, body: &str) -> (u16, Value) {
        let response = app
            .clone()
            .oneshot(
                Request::post("/api/v1/mail/raw")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "message/rfc822")
                    .body(Body::from(body.to_owned()))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn raw_mail_opens_a_ticket_once() {
        let db = sanjeh_testkit::fresh_sqlite();
        let store = sanjeh_testkit::open(&db).await;
        store
            .set_mailbox("support@sanjeh.test", Some("G-1"), 0)
            .await
            .unwrap();
        let (_, sanjeh_store::auth::Secret(secret)) = store
            .issue_token("test", sanjeh_store::auth::Role::Agent, None)
            .await
            .unwrap();
        let writer = Writer::start(store.clone(), None);
        let app = crate::router(AppState::new(store.clone(), writer, WebOptions::default()));
        let (status, body) = post(&app, &secret, MAIL).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["action"], "created");
        let ticket = body["ticket"].as_str().unwrap().to_owned();
        let t = store.ticket(&ticket).await.unwrap().unwrap();
        assert_eq!(t.subject, "Проблема");
        let (status, body) = post(&app, &secret, MAIL).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["action"], "duplicate");
        assert_eq!(body["ticket"], ticket.as_str());
        let (status, _) = post(&app, &secret, "not mail at all").await;
        assert_eq!(status, 422);
        let (status, _) = post(&app, "wrong", MAIL).await;
        assert_eq!(status, 401);
    }
}
