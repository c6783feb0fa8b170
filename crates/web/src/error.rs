//! The crate's one error type and its rendering as `application/problem+json` (RFC 9457).
//!
//! Every refusal names the offending field (the extra `field` member, plus `line` for JSON
//! Lines), so a client can point at it. Store errors are mapped here and only here; internal
//! failures are logged with their cause and answered with a body that reveals nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sanjeh_domain::{DomainError, FieldError};
use sanjeh_store::{LineError, StoreError};
use serde::Serialize;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, a malformed `Authorization` header, or a token that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The token is valid but its role may not do this.
    #[error("this needs {needed}; this token's role is {role}")]
    Forbidden {
        role: &'static str,
        needed: &'static str,
    },
    /// The request could not be read: malformed JSON or query, invalid UTF-8, a bad header.
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
    /// The request was read but a field's value is not acceptable.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A line of a JSON Lines body was refused.
    #[error(transparent)]
    Line(#[from] LineError),
    #[error("expected Content-Type {expected}")]
    UnsupportedMediaType { expected: &'static str },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// A resource the request names does not exist.
    #[error("{message}")]
    NotFound { field: String, message: String },
    /// The request contradicts the current state (a duplicate id, a closed ticket).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    #[error("no route for this path")]
    RouteNotFound,
    #[error("method not allowed on this path")]
    MethodNotAllowed,
    /// The store cannot take requests now (shutting down, or a write group failed).
    #[error("{0}")]
    Unavailable(String),
    /// Something broke inside; the cause was logged where it was caught.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn conflict(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Logs an internal failure once, with its cause, and hides it from the client.
    pub(crate) fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } | ApiError::Line(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The last segment of the problem `type` URI: stable, for clients to branch on.
    fn slug(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::BadRequest { .. } => "malformed-request",
            ApiError::Invalid { .. } => "invalid-field",
            ApiError::Line(_) => "invalid-line",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::NotFound { .. } => "not-found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::RouteNotFound => "no-route",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. }
            | ApiError::Invalid { field, .. }
            | ApiError::NotFound { field, .. }
            | ApiError::Conflict { field, .. } => Some(field),
            ApiError::Line(e) => Some(&e.field),
            ApiError::Unauthorized(_) => Some("Authorization"),
            ApiError::UnsupportedMediaType { .. } => Some("Content-Type"),
            ApiError::PayloadTooLarge { .. } => Some("body"),
            _ => None,
        }
    }

    fn detail(&self) -> String {
        match self {
            // The field is its own member; repeating it in the prose reads badly.
            ApiError::BadRequest { message, .. }
            | ApiError::Invalid { message, .. }
            | ApiError::Conflict { message, .. } => message.clone(),
            ApiError::Line(e) => format!("line {}: {}", e.line, e.message),
            other => other.to_string(),
        }
    }

    pub(crate) fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("{PROBLEM_BASE}{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            field: self.field().map(str::to_owned),
            line: match self {
                ApiError::Line(e) => Some(e.line),
                _ => None,
            },
        }
    }
}

/// Problem types are URNs: stable identifiers that need no documentation server.
const PROBLEM_BASE: &str = "urn:sanjeh:problem:";

/// An RFC 9457 problem document with Sanjeh's extension members.
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.problem().into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> ApiError {
        ApiError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        let field = e.field().unwrap_or("request").to_owned();
        match e {
            DomainError::Invalid(fe) => fe.into(),
            DomainError::UnknownTicket(_) => ApiError::NotFound {
                field,
                message: e.to_string(),
            },
            DomainError::TicketExists(_)
            | DomainError::TicketClosed { .. }
            | DomainError::Transition { .. } => ApiError::Conflict {
                field,
                message: e.to_string(),
            },
            DomainError::UnknownCall(_) => ApiError::Invalid {
                field,
                message: e.to_string(),
            },
        }
    }
}

/// Fields the store names in a `Conflict` that are really bad input, not a state conflict.
const INPUT_FIELDS: &[&str] = &[
    "Idempotency-Key",
    "cursor",
    "role",
    "name",
    "type",
    "password",
];

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Line(l) => ApiError::Line(l),
            StoreError::NotFound(what) => ApiError::NotFound {
                field: "id".into(),
                message: format!("{what} not found"),
            },
            StoreError::Conflict { field, message } if field == "store" => {
                // The whole write group failed (the cause is logged by the writer): nothing
                // was written, so the client may retry.
                tracing::warn!(%message, "write not committed");
                ApiError::Unavailable("the change was not committed; retry".into())
            }
            StoreError::Conflict { field, message } if INPUT_FIELDS.contains(&field.as_str()) => {
                ApiError::Invalid { field, message }
            }
            StoreError::Conflict { field, message } => ApiError::Conflict { field, message },
            StoreError::Closed => ApiError::Unavailable("the server is shutting down".into()),
            e @ (StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::Io(_)
            | StoreError::Url { .. }) => ApiError::internal(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internals_never_reach_the_body() {
        let e: ApiError = StoreError::corrupt("row 7 of tickets has status 'zzz'").into();
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("zzz"), "{}", p.detail);
    }

    #[test]
    fn store_errors_map_to_statuses_naming_fields() {
        let cases: Vec<(StoreError, u16, Option<&str>)> = vec![
            (
                DomainError::Transition {
                    from: "open",
                    to: "new",
                }
                .into(),
                409,
                Some("status"),
            ),
            (
                DomainError::UnknownTicket("T-9".into()).into(),
                404,
                Some("ticket"),
            ),
            (
                StoreError::Conflict {
                    field: "Idempotency-Key".into(),
                    message: "reused".into(),
                },
                422,
                Some("Idempotency-Key"),
            ),
            (
                LineError::new(3, "status", "bad").into(),
                422,
                Some("status"),
            ),
            (StoreError::Closed, 503, None),
        ];
        for (e, status, field) in cases {
            let p = ApiError::from(e).problem();
            assert_eq!(p.status, status, "{p:?}");
            assert_eq!(p.field.as_deref(), field, "{p:?}");
        }
    }
}
