//! API tokens: admins list, issue and revoke them. Tokens are security state, outside the
//! event log, so they do not go through the writer.

use super::json;
use crate::auth::Admin;
use crate::dto::{IssuedTokenDto, ListDto, NewTokenBody, TokenDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, IDEMPOTENCY_KEY, IdPath};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Json;
use axum::response::Response;
use axum::routing::{delete, get};
use sanjeh_domain::Id;
use sanjeh_store::auth::Role;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list).post(issue))
        .route("/tokens/{id}", delete(revoke))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<ListDto<TokenDto>>, ApiError> {
    let items = state
        .store
        .tokens()
        .await?
        .into_iter()
        .map(TokenDto::from)
        .collect();
    Ok(Json(ListDto { items }))
}

/// Issues a token and returns its secret, the only time it is ever shown. An Idempotency-Key
/// is refused here: replaying the answer would mean storing the secret.
#[tracing::instrument(skip_all, fields(name))]
async fn issue(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<NewTokenBody>,
) -> Result<Response, ApiError> {
    if body.idempotency.is_some() {
        return Err(ApiError::bad_request(
            IDEMPOTENCY_KEY,
            "not supported when issuing a token: its secret is shown once and never stored",
        ));
    }
    let b = body.value;
    tracing::Span::current().record("name", b.name.as_str());
    let agent = b.agent.map(|a| Id::parse("agent", &a)).transpose()?;
    if let Some(agent) = &agent
        && state.store.agent(agent.as_str()).await?.is_none()
    {
        return Err(ApiError::invalid(
            "agent",
            format!("agent {agent} does not exist"),
        ));
    }
    let (info, secret) = state
        .store
        .issue_token(&b.name, Role::from(b.role), agent.as_ref().map(Id::as_str))
        .await?;
    let dto = IssuedTokenDto {
        token: TokenDto::from(info),
        secret: secret.0,
    };
    Ok(json(StatusCode::CREATED, dto, false))
}

/// Revokes a live token (204); an unknown or already revoked one is a 404.
#[tracing::instrument(skip_all, fields(token = %id))]
async fn revoke(
    State(state): State<AppState>,
    _: Admin,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    if state.store.revoke_token(id.as_str()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "id",
            format!("no live token has id {id}"),
        ))
    }
}
