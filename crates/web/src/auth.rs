//! Bearer tokens and roles.
//!
//! The [`authenticate`] middleware guards every `/api/v1` route: no valid token, no entry
//! (401). Which role a route needs is stated in its handler's signature by one of the role
//! extractors ([`AnyRole`], [`Worker`], [`Admin`]), so the rule is visible where the route is
//! written and a forgotten extractor still leaves the route authenticated.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use sanjeh_domain::{Author, Id};
use sanjeh_store::auth::{Role, TokenInfo};

/// The authenticated token of the request, put in the request's extensions by
/// [`authenticate`].
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub TokenInfo);

impl Caller {
    pub fn role(&self) -> Role {
        self.0.role
    }

    /// The agent the token is bound to, if it is bound and the id is well-formed.
    pub fn agent(&self) -> Option<Id> {
        self.0
            .agent
            .as_deref()
            .and_then(|a| Id::parse("agent", a).ok())
    }

    /// Who a change made with this token is attributed to: its agent, else the system.
    pub fn author(&self) -> Author {
        self.agent().map_or(Author::System, Author::Agent)
    }

    /// The scope of this caller's Idempotency-Keys: one client's keys never meet another's.
    pub fn scope(&self) -> &str {
        &self.0.id
    }
}

/// Middleware: resolves `Authorization: Bearer <secret>` to a live token or answers 401.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let secret = bearer(request.headers().get(header::AUTHORIZATION))?;
    let token = state
        .store
        .authenticate(secret)
        .await?
        .ok_or(ApiError::Unauthorized("unknown or revoked token"))?;
    tracing::Span::current().record("token", token.id.as_str());
    request.extensions_mut().insert(Caller(token));
    Ok(next.run(request).await)
}

fn bearer(value: Option<&axum::http::HeaderValue>) -> Result<&str, ApiError> {
    let value = value.ok_or(ApiError::Unauthorized(
        "an Authorization: Bearer <token> header is required",
    ))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII"))?;
    match value.split_once(' ') {
        Some((scheme, secret))
            if scheme.eq_ignore_ascii_case("bearer") && !secret.trim().is_empty() =>
        {
            Ok(secret.trim())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be Bearer <token>",
        )),
    }
}

fn caller(parts: &Parts) -> Result<Caller, ApiError> {
    parts
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or(ApiError::Unauthorized("authentication required"))
}

fn require(parts: &Parts, allowed: &[Role], needed: &'static str) -> Result<Caller, ApiError> {
    let caller = caller(parts)?;
    if allowed.contains(&caller.role()) {
        Ok(caller)
    } else {
        Err(ApiError::Forbidden {
            role: caller.role().as_str(),
            needed,
        })
    }
}

/// Any valid token: reads.
pub(crate) struct AnyRole(pub Caller);

/// An admin or agent token: working tickets, messages, customers, events.
pub(crate) struct Worker(pub Caller);

/// An admin token: agents, groups, tokens.
pub(crate) struct Admin;

impl<S: Send + Sync> FromRequestParts<S> for AnyRole {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        caller(parts).map(AnyRole)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Worker {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        require(
            parts,
            &[Role::Admin, Role::Agent],
            "an admin or agent token",
        )
        .map(Worker)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        require(parts, &[Role::Admin], "an admin token").map(|_| Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::bearer;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_header_forms() {
        let ok = HeaderValue::from_static("Bearer sjh_abc");
        assert_eq!(bearer(Some(&ok)).unwrap(), "sjh_abc");
        let lower = HeaderValue::from_static("bearer sjh_abc");
        assert_eq!(bearer(Some(&lower)).unwrap(), "sjh_abc");
        for bad in ["Basic dXNlcg==", "Bearer ", "sjh_abc"] {
            assert!(
                bearer(Some(&HeaderValue::from_static(bad))).is_err(),
                "{bad}"
            );
        }
        assert!(bearer(None).is_err());
    }
}
