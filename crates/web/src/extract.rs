//! Extractors that read a request the way the API promises: every failure is a problem
//! response naming what is wrong, never axum's plain-text rejections.
//!
//! - [`RawBody`]: the body's bytes (within the size limit) and the request's
//!   `Idempotency-Key`, bound to the caller, the method, the path and those exact bytes.
//! - [`ApiJson`]: a JSON body parsed into a DTO; errors carry the field path (`tags[1]`).
//! - [`ApiQuery`]: a query string parsed into a DTO, unknown parameters refused.
//! - [`IdPath`]: the `{id}` of a route, validated as an identifier.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use sanjeh_domain::Id;
use sanjeh_store::writer::IdempotencyKey;
use serde::de::DeserializeOwned;

pub(crate) const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The longest Idempotency-Key accepted, in bytes.
pub(crate) const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A request body as bytes, with the request's Idempotency-Key (if it sent one).
pub(crate) struct RawBody {
    pub bytes: Bytes,
    pub idempotency: Option<IdempotencyKey>,
    /// The media type without parameters, lowercased (`application/json`).
    pub media_type: Option<String>,
}

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let key = idempotency_header(&parts.headers)?;
        let media_type = media_type(&parts.headers);
        let method_path = format!("{} {}", parts.method, parts.uri.path());
        let caller = parts.extensions.get::<Caller>().cloned();
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: state.options.max_body_bytes,
                    }
                } else {
                    ApiError::bad_request("body", rejection.body_text())
                }
            })?;
        let idempotency = match (key, caller) {
            (None, _) => None,
            (Some(key), Some(caller)) => Some(IdempotencyKey::new(
                caller.scope(),
                &key,
                &method_path,
                &bytes,
            )),
            // Keys are scoped to a token; without one there is nothing to scope them to.
            (Some(_), None) => return Err(ApiError::Unauthorized("authentication required")),
        };
        Ok(RawBody {
            bytes,
            idempotency,
            media_type,
        })
    }
}

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII bytes.
fn idempotency_header(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let bad = |message: String| ApiError::bad_request(IDEMPOTENCY_KEY, message);
    let key = value
        .to_str()
        .map_err(|_| bad("must be visible ASCII".into()))?;
    if key.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(bad(format!("longer than {MAX_IDEMPOTENCY_KEY} bytes")));
    }
    Ok(Some(key.to_owned()))
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = raw.split(';').next().unwrap_or("").trim();
    Some(essence.to_ascii_lowercase())
}

/// A JSON body parsed into `T`, with the request's Idempotency-Key.
pub(crate) struct ApiJson<T> {
    pub value: T,
    pub idempotency: Option<IdempotencyKey>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = RawBody::from_request(request, state).await?;
        let is_json = body
            .media_type
            .as_deref()
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        Ok(ApiJson {
            value: parse_json(&body.bytes)?,
            idempotency: body.idempotency,
        })
    }
}

/// Parses a JSON object: malformed input is a 400 naming `body`; a value that does not fit is
/// a 422 naming the field's path. Every request body is an object; serde would otherwise
/// also read a struct from an array, by position.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ApiError::bad_request(
            "body",
            format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    if !text.trim_start().starts_with('{') {
        return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(ApiError::invalid("body", "must be a JSON object")),
            Err(e) => Err(json_error(".", e)),
        };
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| json_error(&e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| json_error(".", e))?;
    Ok(value)
}

fn json_error(path: &str, inner: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let message = without_position(&inner.to_string());
    match inner.classify() {
        Category::Data => ApiError::invalid(field_of(path, &message), message),
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "body",
            format!(
                "malformed JSON at line {} column {}: {message}",
                inner.line(),
                inner.column()
            ),
        ),
    }
}

/// serde_json appends " at line L column C"; the position is reported apart, or is
/// meaningless for a data error.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The field an error is about. The path points at it, except for a missing field, which
/// serde names only in the message (the path then points at its parent).
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| {
            let rest = message.strip_prefix(prefix)?;
            Some(rest.split('`').next().unwrap_or(rest))
        });
    let path = (path != "." && !path.is_empty()).then_some(path);
    match (path, named) {
        (Some(path), Some(name)) if message.starts_with("missing") => format!("{path}.{name}"),
        (Some(path), _) => path.to_owned(),
        (None, Some(name)) => name.to_owned(),
        (None, None) => "body".to_owned(),
    }
}

/// A query string parsed into `T`; bad values and unknown parameters are 400s naming them.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                ApiError::bad_request(field_of(&path, &message), message)
            })
    }
}

/// The `{id}` segment of a route, as an identifier. An id that cannot be valid cannot name
/// anything, so it is a 404.
pub(crate) struct IdPath(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::bad_request("id", r.body_text()))?;
        Id::parse("id", &raw)
            .map(IdPath)
            .map_err(|e| ApiError::not_found("id", format!("no such id: {}", e.message)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        subject: String,
        #[serde(default)]
        tags: Vec<String>,
        priority: Option<sanjeh_domain::Priority>,
    }

    fn field(raw: &[u8]) -> (u16, String) {
        let p = parse_json::<Body>(raw).unwrap_err().problem();
        (p.status, p.field.unwrap_or_default())
    }

    #[test]
    fn json_errors_name_their_field() {
        assert_eq!(field(br#"{"subject": "#), (400, "body".into()));
        assert_eq!(field(b"{\"subject\": \"\xff\"}"), (400, "body".into()));
        assert_eq!(field(br#"{"subject": "x"} trailing"#), (400, "body".into()));
        assert_eq!(field(br#"{}"#), (422, "subject".into()));
        assert_eq!(field(br#"{"subject": 1}"#), (422, "subject".into()));
        assert_eq!(field(br#"{"subject": "x", "by": 1}"#), (422, "by".into()));
        assert_eq!(
            field(br#"{"subject": "x", "tags": ["a", 2]}"#),
            (422, "tags[1]".into())
        );
        assert_eq!(
            field(br#"{"subject": "x", "priority": "asap"}"#),
            (422, "priority".into())
        );
        assert_eq!(field(br#"[1]"#), (422, "body".into()));
        assert_eq!(field_of("tags", "missing field `x`"), "tags.x");
    }
}
