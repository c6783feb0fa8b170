//! In-app notifications of the calling agent (the agent its token is bound to; an admin may
//! ask for any agent with `?agent=`): `GET /notifications`, `POST /notifications/{id}/read`.

use super::{page_limit, query_id};
use crate::auth::{AnyRole, Caller};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Json;
use axum::routing::{get, post};
use sanjeh_domain::{Id, from_millis};
use sanjeh_store::alerting::Notification;
use sanjeh_store::auth::Role;
use serde::{Deserialize, Serialize};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/{id}/read", post(read))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    unread: Option<bool>,
    limit: Option<u32>,
    agent: Option<String>,
}

#[derive(Debug, Serialize)]
struct NotificationDto {
    id: i64,
    agent: String,
    ticket: Option<String>,
    title: String,
    body: String,
    created_at: String,
    read: bool,
    read_at: Option<String>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        NotificationDto {
            id: n.id,
            agent: n.agent,
            ticket: n.ticket,
            title: n.title,
            body: n.body,
            created_at: from_millis(n.created_at).to_string(),
            read: n.read_at.is_some(),
            read_at: n.read_at.map(|at| from_millis(at).to_string()),
        }
    }
}

#[derive(Debug, Serialize)]
struct ListDto {
    items: Vec<NotificationDto>,
    unread: usize,
}

/// The agent whose notifications these are: the token's own, or for an admin `?agent=`.
fn whose(caller: &Caller, asked: Option<Id>) -> Result<Id, ApiError> {
    match (asked, caller.agent()) {
        (Some(a), own) if caller.role() == Role::Admin || own.as_ref() == Some(&a) => Ok(a),
        (Some(_), _) => Err(ApiError::Forbidden {
            role: caller.role().as_str(),
            needed: "an admin token to read another agent's notifications",
        }),
        (None, Some(own)) => Ok(own),
        (None, None) => Err(ApiError::bad_request(
            "agent",
            "this token is not bound to an agent: give ?agent= (admins only)",
        )),
    }
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    AnyRole(caller): AnyRole,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListDto>, ApiError> {
    let agent = whose(&caller, query_id("agent", q.agent)?)?;
    let limit = page_limit(q.limit)?;
    let items: Vec<NotificationDto> = state
        .store
        .notifications(agent.as_str(), q.unread.unwrap_or(false), limit)
        .await?
        .into_iter()
        .map(NotificationDto::from)
        .collect();
    let unread = items.iter().filter(|n| !n.read).count();
    Ok(Json(ListDto { items, unread }))
}

#[tracing::instrument(skip_all, fields(notification = id))]
async fn read(
    State(state): State<AppState>,
    AnyRole(caller): AnyRole,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<NotificationDto>, ApiError> {
    let agent = whose(&caller, query_id("agent", q.agent)?)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found("id", format!("no notification {id:?}")))?;
    let now = jiff::Timestamp::now().as_millisecond();
    if !state
        .store
        .mark_notification_read(id, agent.as_str(), now)
        .await?
    {
        return Err(ApiError::not_found(
            "id",
            format!("no notification {id} for agent {agent}"),
        ));
    }
    state
        .store
        .notifications(agent.as_str(), false, sanjeh_store::read::MAX_PAGE)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .map(|n| Json(NotificationDto::from(n)))
        .ok_or_else(|| ApiError::not_found("id", format!("no notification {id}")))
}
