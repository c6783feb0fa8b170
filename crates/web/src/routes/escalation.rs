//! Escalation rules: `GET /escalation-rules` (any role; webhook secrets shown to admins
//! only) and `PUT /escalation-rules` (admins), which records an `escalation.rules` event.
//! The store validates the rules and names the field of the first error (422).

use crate::auth::{Admin, AnyRole};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use sanjeh_domain::from_millis;
use sanjeh_store::Request;
use sanjeh_store::alerting::RulesInEffect;
use sanjeh_store::auth::Role;
use serde::Serialize;
use serde_json::Value;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/escalation-rules", get(show).put(set))
}

/// Rules as the API shows them: since when they are in effect, and the list.
#[derive(Debug, Serialize)]
pub(crate) struct RulesDto {
    pub since: Option<String>,
    pub rules: Value,
}

impl RulesDto {
    pub fn from<R: Serialize>(r: Option<RulesInEffect<R>>, show_secrets: bool) -> RulesDto {
        match r {
            None => RulesDto {
                since: None,
                rules: Value::Array(Vec::new()),
            },
            Some(r) => {
                let mut rules = serde_json::to_value(&r.rules).unwrap_or(Value::Null);
                if !show_secrets {
                    hide_secrets(&mut rules);
                }
                RulesDto {
                    since: Some(from_millis(r.since).to_string()),
                    rules,
                }
            }
        }
    }
}

/// Replaces every webhook `secret` with asterisks.
fn hide_secrets(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "secret" && child.is_string() {
                    *child = Value::String("********".into());
                } else {
                    hide_secrets(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_secrets),
        _ => {}
    }
}

#[tracing::instrument(skip_all)]
async fn show(
    State(state): State<AppState>,
    AnyRole(caller): AnyRole,
) -> Result<Json<RulesDto>, ApiError> {
    let rules = state.store.escalation_rules().await?;
    Ok(Json(RulesDto::from(rules, caller.role() == Role::Admin)))
}

#[tracing::instrument(skip_all)]
async fn set(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<Value>,
) -> Result<Json<RulesDto>, ApiError> {
    let event = state
        .store
        .escalation_rules_event(body.value, jiff::Timestamp::now().as_millisecond())
        .await?;
    state
        .submit(Request::Record(vec![event]), body.idempotency)
        .await?;
    let rules = state.store.escalation_rules().await?;
    Ok(Json(RulesDto::from(rules, true)))
}
