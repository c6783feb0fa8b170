//! The API's routes, one module per resource, and the few helpers they share for turning
//! request fields into domain values and writer outcomes into responses.

pub(crate) mod agents;
pub(crate) mod alerts;
pub(crate) mod customers;
pub(crate) mod escalation;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod health;
pub(crate) mod messages;
pub(crate) mod notifications;
pub(crate) mod reports;
pub(crate) mod sla;
pub(crate) mod tickets;
pub(crate) mod tokens;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use sanjeh_domain::{Event, EventBody, FieldError, Id, TicketState};
use sanjeh_store::Outcome;
use sanjeh_store::read::MAX_PAGE;
use sanjeh_store::writer::IdempotencyKey;
use serde::Serialize;

/// Everything under `/api/v1`, before authentication is layered on.
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        .merge(tickets::routes())
        .merge(messages::routes())
        .merge(events::routes())
        .merge(agents::routes())
        .merge(groups::routes())
        .merge(customers::routes())
        .merge(tokens::routes())
        .merge(reports::routes())
        .merge(sla::routes())
        .merge(crate::mail::routes())
        .merge(crate::mail_config::routes())
        .merge(crate::attachments::routes())
        .merge(escalation::routes())
        .merge(alerts::routes())
        .merge(notifications::routes())
}

/// Set on a response rebuilt from a stored outcome, so a client can tell a replay from a
/// first answer; status and body are the same either way.
const REPLAYED: &str = "idempotent-replayed";

/// `201 Created` with `Location` and a JSON body.
pub(crate) fn created(location: &str, body: impl Serialize, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    mark_replayed(response, replayed)
}

/// A JSON response with the given status.
pub(crate) fn json(status: StatusCode, body: impl Serialize, replayed: bool) -> Response {
    mark_replayed((status, Json(body)).into_response(), replayed)
}

fn mark_replayed(mut response: Response, replayed: bool) -> Response {
    if replayed {
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// A ticket as a command left it, from the writer's outcome.
pub(crate) fn changed_ticket<'a>(
    outcome: &'a Outcome,
    id: Option<&Id>,
) -> Result<&'a TicketState, ApiError> {
    outcome
        .tickets
        .iter()
        .find(|t| id.is_none_or(|id| t.id == *id))
        .ok_or_else(|| ApiError::internal(&"a command's outcome lacks its ticket"))
}

/// The events a request recorded, parsed back from the outcome's interchange lines.
pub(crate) fn recorded(outcome: &Outcome) -> Result<Vec<(i64, Event)>, ApiError> {
    outcome
        .events
        .iter()
        .map(|(seq, line)| {
            Event::parse_line(line)
                .map(|e| (*seq, e))
                .map_err(|e| ApiError::internal(&format!("recorded event {seq}: {e}")))
        })
        .collect()
}

/// Records a new profile (agent, group, customer), refusing with 409 an id that exists.
///
/// With an Idempotency-Key, the refusal also goes through the writer, as an empty record
/// stored under the key: a retry of the request that created the profile then replays its
/// outcome (201, same body), and a retry of a refused one is refused again. Callers render
/// an outcome without events as the 409, so the answer depends on the stored outcome only.
pub(crate) async fn record_new(
    state: &AppState,
    exists: bool,
    events: Vec<EventBody>,
    idempotency: Option<IdempotencyKey>,
) -> Result<Outcome, ApiError> {
    if exists && idempotency.is_none() {
        return Ok(Outcome::default());
    }
    let events = if exists { Vec::new() } else { events };
    state
        .submit(sanjeh_store::Request::Record(events), idempotency)
        .await
}

pub(crate) fn opt_id(field: &str, raw: Option<String>) -> Result<Option<Id>, FieldError> {
    raw.map(|r| Id::parse(field, &r)).transpose()
}

/// An identifier from a query parameter (a 400, like every query error).
pub(crate) fn query_id(field: &str, raw: Option<String>) -> Result<Option<Id>, ApiError> {
    opt_id(field, raw).map_err(|e| ApiError::bad_request(e.field, e.message))
}

/// The page size asked for: 50 by default, at most the store's page bound.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// A required free-text field: not blank, at most `max` bytes.
pub(crate) fn text(field: &str, raw: String, max: usize) -> Result<String, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if raw.len() > max {
        return Err(FieldError::new(field, format!("longer than {max} bytes")));
    }
    Ok(raw)
}

/// An e-mail address, checked only for shape: one `@`, no spaces, at most 254 bytes.
pub(crate) fn email(raw: String) -> Result<String, FieldError> {
    let ok = raw.len() <= 254
        && !raw.chars().any(char::is_whitespace)
        && matches!(raw.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if ok {
        Ok(raw)
    } else {
        Err(FieldError::new(
            "email",
            format!("{raw:?} is not an e-mail address"),
        ))
    }
}

/// Tags as the interchange format normalizes them, so a live change and its replay agree.
pub(crate) fn tags(raw: Vec<String>) -> Result<Vec<String>, FieldError> {
    sanjeh_domain::normalize_tags("tags", raw)
}

/// A list of identifiers from a request field (`groups[2]` names a bad one).
pub(crate) fn ids(field: &str, raw: Vec<String>) -> Result<Vec<Id>, FieldError> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| Id::parse(&format!("{field}[{i}]"), r))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_normalized_like_the_interchange_format() {
        let t = super::tags(vec![" Refund".into(), "refund".into(), "VIP".into()]).unwrap();
        assert_eq!(t, ["refund", "vip"]);
        assert_eq!(
            super::tags(vec!["a".into(), " ".into()]).unwrap_err().field,
            "tags[1]"
        );
    }

    #[test]
    fn email_shape() {
        assert!(super::email("a@b.c".into()).is_ok());
        for bad in ["a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(super::email(bad.into()).is_err(), "{bad}");
        }
    }
}
