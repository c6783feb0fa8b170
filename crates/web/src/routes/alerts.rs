//! KPI alert rules and their state: `GET /alert-rules` (any role; webhook secrets shown to
//! admins only), `PUT /alert-rules` (admins; records an `alert.rules` event, validated by the
//! store), `GET /alerts` (each rule with its state, last value and recent notices).

use super::escalation::RulesDto;
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
use sanjeh_store::auth::Role;
use serde::Serialize;
use serde_json::Value;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/alert-rules", get(show).put(set))
        .route("/alerts", get(status))
}

#[tracing::instrument(skip_all)]
async fn show(
    State(state): State<AppState>,
    AnyRole(caller): AnyRole,
) -> Result<Json<RulesDto>, ApiError> {
    let rules = state.store.alert_rules().await?;
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
        .alert_rules_event(body.value, jiff::Timestamp::now().as_millisecond())
        .await?;
    state
        .submit(Request::Record(vec![event]), body.idempotency)
        .await?;
    let rules = state.store.alert_rules().await?;
    Ok(Json(RulesDto::from(rules, true)))
}

#[derive(Debug, Serialize)]
struct AlertDto {
    rule: String,
    name: String,
    kpi: String,
    stat: Option<String>,
    op: &'static str,
    threshold: f64,
    window_minutes: u32,
    /// `ok`, `firing`, or `unknown` before the first evaluation.
    state: &'static str,
    since: Option<String>,
    last_value: Option<f64>,
    last_notified_at: Option<String>,
    evaluated_at: Option<String>,
    history: Vec<NoticeDto>,
}

#[derive(Debug, Serialize)]
struct NoticeDto {
    at: String,
    notice: String,
    value: Option<f64>,
}

#[derive(Debug, Serialize)]
struct AlertsDto {
    items: Vec<AlertDto>,
}

/// How many past notices `GET /alerts` shows per rule.
const HISTORY_PER_RULE: u32 = 20;

#[tracing::instrument(skip_all)]
async fn status(State(state): State<AppState>, _: AnyRole) -> Result<Json<AlertsDto>, ApiError> {
    let rules = state
        .store
        .alert_rules()
        .await?
        .map(|r| r.rules)
        .unwrap_or_default();
    let states = state.store.alert_states().await?;
    let time = |ms: Option<i64>| ms.map(|m| from_millis(m).to_string());
    let mut items = Vec::with_capacity(rules.len());
    for rule in rules {
        let stored = states.get(&rule.id);
        let history = state
            .store
            .alert_history(Some(&rule.id), HISTORY_PER_RULE)
            .await?
            .into_iter()
            .map(|h| NoticeDto {
                at: from_millis(h.at).to_string(),
                notice: h.notice,
                value: h.value,
            })
            .collect();
        items.push(AlertDto {
            state: match stored {
                None => "unknown",
                Some((s, _)) if s.firing => "firing",
                Some(_) => "ok",
            },
            since: time(stored.and_then(|(s, _)| s.since)),
            last_value: stored.and_then(|(s, _)| s.last_value),
            last_notified_at: time(stored.and_then(|(s, _)| s.last_notified_at)),
            evaluated_at: time(stored.map(|(_, at)| *at)),
            history,
            op: rule.op.as_str(),
            rule: rule.id,
            name: rule.name,
            kpi: rule.kpi,
            stat: rule.stat,
            threshold: rule.threshold,
            window_minutes: rule.window_minutes,
        });
    }
    Ok(Json(AlertsDto { items }))
}
