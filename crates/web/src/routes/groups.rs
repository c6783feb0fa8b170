//! Agent groups (teams, queues): recorded as `group.profile` events; created by admins.

use super::{created, record_new, recorded, text};
use crate::auth::{Admin, AnyRole};
use crate::dto::{GroupDto, ListDto, NewGroupBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, IdPath};
use crate::ids::{generate, path_segment};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{Json, Response};
use axum::routing::get;
use sanjeh_domain::{EventBody, Id};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/groups", get(list).post(create))
        .route("/groups/{id}", get(show))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: AnyRole,
) -> Result<Json<ListDto<GroupDto>>, ApiError> {
    let items = state
        .store
        .groups()
        .await?
        .into_iter()
        .map(GroupDto::from)
        .collect();
    Ok(Json(ListDto { items }))
}

#[tracing::instrument(skip_all, fields(group = %id))]
async fn show(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<GroupDto>, ApiError> {
    state
        .store
        .groups()
        .await?
        .into_iter()
        .find(|g| g.id == id.as_str())
        .map(|g| Json(GroupDto::from(g)))
        .ok_or_else(|| ApiError::not_found("id", format!("group {id} does not exist")))
}

#[tracing::instrument(skip_all, fields(group))]
async fn create(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<NewGroupBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let id = Id::parse("id", &b.id.unwrap_or_else(|| generate("G-")))?;
    tracing::Span::current().record("group", id.as_str());
    let event = EventBody::GroupProfile {
        group: id.clone(),
        name: Some(text("name", b.name, 256)?),
    };
    let exists = state
        .store
        .groups()
        .await?
        .iter()
        .any(|g| g.id == id.as_str());
    let outcome = record_new(&state, exists, vec![event], body.idempotency).await?;
    let group = recorded(&outcome)?
        .into_iter()
        .find_map(|(_, e)| match e.body {
            EventBody::GroupProfile { group, name } => Some(GroupDto {
                id: group.to_string(),
                name,
            }),
            _ => None,
        })
        .ok_or_else(|| ApiError::conflict("id", format!("group {id} already exists")))?;
    let location = format!("/api/v1/groups/{}", path_segment(&group.id));
    Ok(created(&location, group, outcome.replayed))
}
