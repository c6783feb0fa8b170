//! Agents: profiles recorded as `agent.profile` events. Reading is open to every role;
//! changing the team is for admins.

use super::{created, email, ids, json, record_new, recorded, text};
use crate::auth::{Admin, AnyRole};
use crate::dto::{AgentDto, AgentPatchBody, ListDto, NewAgentBody};
use crate::error::ApiError;
use crate::extract::{ApiJson, IdPath};
use crate::ids::{generate, path_segment};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::get;
use sanjeh_domain::event::AgentProfile;
use sanjeh_domain::{EventBody, Id};
use sanjeh_store::{Outcome, Request};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/agents", get(list).post(create))
        .route("/agents/{id}", get(show).patch(update))
}

const MAX_NAME: usize = 256;

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: AnyRole,
) -> Result<Json<ListDto<AgentDto>>, ApiError> {
    let items = state
        .store
        .agents()
        .await?
        .into_iter()
        .map(AgentDto::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(ListDto { items }))
}

#[tracing::instrument(skip_all, fields(agent = %id))]
async fn show(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<AgentDto>, ApiError> {
    let agent = state
        .store
        .agent(id.as_str())
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(AgentDto::try_from(agent)?))
}

#[tracing::instrument(skip_all, fields(agent))]
async fn create(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<NewAgentBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let id = Id::parse("id", &b.id.unwrap_or_else(|| generate("A-")))?;
    tracing::Span::current().record("agent", id.as_str());
    let profile = AgentProfile {
        agent: id.clone(),
        name: Some(text("name", b.name, MAX_NAME)?),
        email: b.email.map(email).transpose()?,
        role: b.role.map(|r| r.as_str().to_owned()),
        groups: b.groups.map(|g| ids("groups", g)).transpose()?,
        active: b.active,
    };
    let exists = state.store.agent(id.as_str()).await?.is_some();
    let outcome = record_new(
        &state,
        exists,
        vec![EventBody::AgentProfile(profile)],
        body.idempotency,
    )
    .await?;
    let Some(agent) = recorded_profile(&outcome)? else {
        return Err(ApiError::conflict(
            "id",
            format!("agent {id} already exists; PATCH /api/v1/agents/{id} changes it"),
        ));
    };
    let location = format!("/api/v1/agents/{}", path_segment(&agent.id));
    Ok(created(&location, agent, outcome.replayed))
}

/// Changes the given fields. The profile is recorded whole (current values merged with the
/// change), so the response is rebuilt from the outcome alone and a replay matches it.
#[tracing::instrument(skip_all, fields(agent = %id))]
async fn update(
    State(state): State<AppState>,
    _: Admin,
    IdPath(id): IdPath,
    body: ApiJson<AgentPatchBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let current = state
        .store
        .agent(id.as_str())
        .await?
        .ok_or_else(|| not_found(&id))?;
    let current = AgentDto::try_from(current)?;
    let profile = AgentProfile {
        agent: id.clone(),
        name: match b.name {
            Some(n) => Some(text("name", n, MAX_NAME)?),
            None => current.name,
        },
        email: b.email.map(email).transpose()?.or(current.email),
        role: Some(b.role.map_or(current.role, |r| r.as_str().to_owned())),
        groups: Some(match b.groups {
            Some(g) => ids("groups", g)?,
            None => ids("groups", current.groups)?,
        }),
        active: Some(b.active.unwrap_or(current.active)),
    };
    let outcome = state
        .submit(
            Request::Record(vec![EventBody::AgentProfile(profile)]),
            body.idempotency,
        )
        .await?;
    let agent = recorded_profile(&outcome)?
        .ok_or_else(|| ApiError::internal(&"an agent change recorded no profile"))?;
    Ok(json(StatusCode::OK, agent, outcome.replayed))
}

/// The agent profile a request recorded, if it recorded one.
fn recorded_profile(outcome: &Outcome) -> Result<Option<AgentDto>, ApiError> {
    Ok(recorded(outcome)?
        .into_iter()
        .find_map(|(_, e)| match e.body {
            EventBody::AgentProfile(p) => Some(AgentDto::from(&p)),
            _ => None,
        }))
}

fn not_found(id: &Id) -> ApiError {
    ApiError::not_found("id", format!("agent {id} does not exist"))
}
