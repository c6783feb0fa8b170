//! Recorded history in and out: a batch of interchange events (`POST /events`, replayed all
//! or nothing, duplicates skipped) and one ticket's events.

use super::json;
use crate::auth::{AnyRole, Worker};
use crate::dto::{EventDto, IngestDto, ListDto};
use crate::error::ApiError;
use crate::extract::{IdPath, RawBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{get, post};
use sanjeh_store::Request;
use sanjeh_store::ingest::parse_lines;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", post(ingest))
        .route("/tickets/{id}/events", get(ticket_events))
}

/// Media types accepted for a JSON Lines body; `text/plain` for `curl --data-binary`.
const JSON_LINES: &[&str] = &[
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/x-jsonlines",
    "text/plain",
];

/// Ingests JSON Lines in one transaction: a bad line refuses the batch (422 naming the line
/// and field); events already in the log are skipped, so re-sending a batch adds nothing.
/// 201 when something was added, 200 when all were duplicates.
#[tracing::instrument(skip_all, fields(lines))]
async fn ingest(
    State(state): State<AppState>,
    _: Worker,
    body: RawBody,
) -> Result<Response, ApiError> {
    if !body
        .media_type
        .as_deref()
        .is_some_and(|m| JSON_LINES.contains(&m))
    {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/x-ndjson",
        });
    }
    let text = std::str::from_utf8(&body.bytes).map_err(|e| {
        let line = body.bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        ApiError::bad_request("body", format!("line {line} is not valid UTF-8"))
    })?;
    let lines = parse_lines(text)?;
    if lines.is_empty() {
        return Err(ApiError::invalid("body", "holds no events"));
    }
    tracing::Span::current().record("lines", lines.len());
    let outcome = state
        .submit(Request::Ingest(lines), body.idempotency)
        .await?;
    let report = outcome.ingest;
    let status = if report.added > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let dto = IngestDto {
        added: report.added,
        duplicates: report.duplicates,
    };
    Ok(json(status, dto, outcome.replayed))
}

/// A ticket's events in the order they were applied, as interchange objects.
#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn ticket_events(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<ListDto<EventDto>>, ApiError> {
    if state.store.ticket(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found(
            "ticket",
            format!("ticket {id} does not exist"),
        ));
    }
    let items = state
        .store
        .ticket_events(id.as_str())
        .await?
        .into_iter()
        .map(|(seq, payload)| {
            serde_json::from_str(&payload)
                .map(|event| EventDto { seq, event })
                .map_err(|e| ApiError::internal(&format!("event {seq}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Json(ListDto { items }))
}
