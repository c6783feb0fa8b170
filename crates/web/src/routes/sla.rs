//! Business calendars, holidays, SLA policies and SLA state.
//!
//! Configuration is recorded as events through the writer, like every change: the calendars
//! as one `calendars` event holding the whole document (a change to one schedule or one
//! holiday is read from the calendars in effect, changed, and recorded whole), the policies
//! as an `sla.policies` event. The store validates both and refuses a bad one naming the
//! field (`default.intervals[0].end`, `policies[2].targets.urgent.first_reply.minutes`).
//! Admins write; every role reads.

use super::{json, page_limit, recorded};
use crate::auth::{Admin, AnyRole};
use crate::dto::rfc3339;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, IdPath, RawBody, parse_json};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{get, post};
use sanjeh_calendar::{
    BusinessCalendar, CalendarsConfig, DEFAULT_CALENDAR, DateCalendar, Holiday, Schedule,
};
use sanjeh_domain::{EventBody, FieldError, Id, Millis};
use sanjeh_store::Request;
use sanjeh_store::sla::{Hours, Metric, MetricStatus, State as SlaState};
use sanjeh_store::writer::IdempotencyKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(show_calendars).put(put_calendars))
        .route(
            "/calendars/{name}",
            get(show_schedule).put(put_schedule).delete(delete_schedule),
        )
        .route("/calendars/{name}/holidays", post(add_holidays))
        .route("/calendars/{name}/holidays.ics", post(import_ics))
        .route(
            "/calendars/{name}/holidays/{date}",
            axum::routing::delete(remove_holiday),
        )
        .route("/sla/policies", get(show_policies).put(put_policies))
        .route("/sla/overdue", get(overdue))
        .route("/tickets/{id}/sla", get(ticket_sla))
}

// ---- calendars ------------------------------------------------------------------------------

/// `PUT /calendars`: the whole document, as `sanjeh sla calendars set` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarsBody {
    default: Option<Value>,
    groups: Option<Value>,
}

/// `POST /calendars/{name}/holidays`: several holidays, or one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidaysBody {
    holidays: Vec<Holiday>,
}

/// `DELETE /calendars/{name}/holidays/{date}?calendar=jalali`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayQuery {
    #[serde(default)]
    calendar: DateCalendar,
}

/// One schedule and what it is called.
#[derive(Debug, Serialize)]
struct ScheduleDto {
    name: String,
    schedule: Schedule,
}

fn no_calendars() -> ApiError {
    ApiError::not_found(
        "calendars",
        "no calendars recorded: business time is calendar time (PUT /api/v1/calendars)",
    )
}

/// The `{name}` of a calendar route: `default` or a group id.
fn calendar_name(raw: &str) -> Result<String, ApiError> {
    if raw == DEFAULT_CALENDAR {
        return Ok(raw.to_owned());
    }
    Id::parse("name", raw)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| ApiError::not_found("name", format!("no such calendar: {}", e.message)))
}

async fn calendars_in_effect(state: &AppState) -> Result<Option<CalendarsConfig>, ApiError> {
    Ok(state.store.sla_calendars().await?)
}

#[tracing::instrument(skip_all)]
async fn show_calendars(
    State(state): State<AppState>,
    _: AnyRole,
) -> Result<Json<CalendarsConfig>, ApiError> {
    calendars_in_effect(&state)
        .await?
        .map(Json)
        .ok_or_else(no_calendars)
}

#[tracing::instrument(skip_all)]
async fn put_calendars(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<CalendarsBody>,
) -> Result<Response, ApiError> {
    let CalendarsBody { default, groups } = body.value;
    let event = EventBody::Calendars { default, groups };
    let outcome = state
        .submit(Request::Record(vec![event]), body.idempotency)
        .await?;
    let config = recorded_calendars(&outcome)?
        .ok_or_else(|| ApiError::internal(&"a calendars request recorded no calendars"))?;
    Ok(json(StatusCode::OK, config, outcome.replayed))
}

#[tracing::instrument(skip_all, fields(calendar = %name))]
async fn show_schedule(
    State(state): State<AppState>,
    _: AnyRole,
    Path(name): Path<String>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let name = calendar_name(&name)?;
    let config = calendars_in_effect(&state)
        .await?
        .ok_or_else(no_calendars)?;
    let schedule = config
        .schedule(&name)
        .cloned()
        .ok_or_else(|| no_schedule(&name))?;
    Ok(Json(ScheduleDto { name, schedule }))
}

fn no_schedule(name: &str) -> ApiError {
    ApiError::not_found(
        "name",
        format!("group {name} has no schedule of its own (it follows the default one)"),
    )
}

#[tracing::instrument(skip_all, fields(calendar = %name))]
async fn put_schedule(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    body: ApiJson<Schedule>,
) -> Result<Response, ApiError> {
    let name = calendar_name(&name)?;
    let schedule = body.value;
    // Refused here with the schedule's own paths (`intervals[0].end`); the store would name
    // them under the document (`groups.billing.intervals[0].end`).
    BusinessCalendar::new(schedule.clone()).map_err(|e| ApiError::invalid(e.field, e.message))?;
    let mut config = match calendars_in_effect(&state).await? {
        Some(c) => c,
        None if name == DEFAULT_CALENDAR => CalendarsConfig::default(),
        None => {
            return Err(ApiError::conflict(
                "default",
                "no calendars recorded yet: PUT /api/v1/calendars/default first, so that \
                 tickets of other groups keep a schedule chosen on purpose",
            ));
        }
    };
    config.set_schedule(&name, schedule);
    schedule_answer(&state, &name, Some(config), body.idempotency)
        .await?
        .ok_or_else(|| ApiError::internal(&"a schedule change recorded nothing"))
}

#[tracing::instrument(skip_all, fields(calendar = %name))]
async fn delete_schedule(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let name = calendar_name(&name)?;
    if name == DEFAULT_CALENDAR {
        return Err(ApiError::conflict(
            "name",
            "the default schedule cannot be removed; PUT a new one instead",
        ));
    }
    let changed = calendars_in_effect(&state).await?.and_then(|mut c| {
        let removed = c.remove_group(&name);
        removed.then_some(c)
    });
    let outcome = record_calendars(&state, changed, body.idempotency).await?;
    match outcome.and_then(|(c, replayed)| c.map(|c| (c, replayed))) {
        Some((config, replayed)) => Ok(json(StatusCode::OK, config, replayed)),
        None => Err(no_schedule(&name)),
    }
}

#[tracing::instrument(skip_all, fields(calendar = %name))]
async fn add_holidays(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let name = calendar_name(&name)?;
    let is_json = body
        .media_type
        .as_deref()
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    let value: Value = parse_json(&body.bytes)?;
    // `{"holidays": [...]}`, or one holiday on its own.
    let (holidays, prefix) = if value.get("holidays").is_some() {
        let b: HolidaysBody = parse_json(&body.bytes)?;
        (b.holidays, "holidays")
    } else {
        let h: Holiday = parse_json(&body.bytes)?;
        (vec![h], "")
    };
    for (i, h) in holidays.iter().enumerate() {
        h.validate().map_err(|e| {
            let field = if prefix.is_empty() {
                e.field
            } else {
                format!("{prefix}[{i}].{}", e.field)
            };
            ApiError::invalid(field, e.message)
        })?;
    }
    add_to_schedule(&state, &name, holidays, body.idempotency).await
}

#[tracing::instrument(skip_all, fields(calendar = %name))]
async fn import_ics(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let name = calendar_name(&name)?;
    if body.media_type.as_deref() != Some("text/calendar") {
        return Err(ApiError::UnsupportedMediaType {
            expected: "text/calendar",
        });
    }
    let text = std::str::from_utf8(&body.bytes).map_err(|e| {
        ApiError::bad_request(
            "body",
            format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let holidays = sanjeh_calendar::parse_ics(text).map_err(|e| {
        ApiError::Line(sanjeh_store::LineError::new(
            e.line as u64,
            "body",
            e.message,
        ))
    })?;
    add_to_schedule(&state, &name, holidays, body.idempotency).await
}

/// Adds `holidays` to the schedule `name` and answers with the schedule. Holidays it already
/// has are skipped; when nothing is new, nothing is recorded.
async fn add_to_schedule(
    state: &AppState,
    name: &str,
    holidays: Vec<Holiday>,
    idempotency: Option<IdempotencyKey>,
) -> Result<Response, ApiError> {
    let mut config = calendars_in_effect(state).await?.ok_or_else(no_calendars)?;
    let schedule = config.schedule_mut(name).ok_or_else(|| no_schedule(name))?;
    let added = schedule.add_holidays(holidays);
    let current = ScheduleDto {
        name: name.to_owned(),
        schedule: schedule.clone(),
    };
    let changed = (added > 0).then_some(config);
    // With a key, even "nothing new" goes through the writer: a retry of a request that did
    // add holidays must replay that answer, not compare against what it added.
    match record_calendars(state, changed, idempotency).await? {
        Some((Some(config), replayed)) => {
            let schedule = config
                .schedule(name)
                .cloned()
                .ok_or_else(|| no_schedule(name))?;
            let dto = ScheduleDto {
                name: name.to_owned(),
                schedule,
            };
            Ok(json(StatusCode::OK, dto, replayed))
        }
        Some((None, replayed)) => Ok(json(StatusCode::OK, current, replayed)),
        None => Ok(json(StatusCode::OK, current, false)),
    }
}

#[tracing::instrument(skip_all, fields(calendar = %name, date = %date))]
async fn remove_holiday(
    State(state): State<AppState>,
    _: Admin,
    Path((name, date)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<HolidayQuery>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let name = calendar_name(&name)?;
    let mut config = calendars_in_effect(&state)
        .await?
        .ok_or_else(no_calendars)?;
    let schedule = config
        .schedule_mut(&name)
        .ok_or_else(|| no_schedule(&name))?;
    let changed = (schedule.remove_holidays(&date, q.calendar) > 0).then_some(config);
    schedule_answer(&state, &name, changed, body.idempotency)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "date",
                format!("calendar {name} has no holiday starting on {date}"),
            )
        })
}

/// Records `changed` (if any) and answers with the schedule `name` as recorded. With an
/// Idempotency-Key, a refusal is recorded too (an empty record under the key), so a retry of
/// a request that changed the calendars replays its answer whatever happened since. `None`:
/// nothing was recorded, now or under the key.
async fn schedule_answer(
    state: &AppState,
    name: &str,
    changed: Option<CalendarsConfig>,
    idempotency: Option<IdempotencyKey>,
) -> Result<Option<Response>, ApiError> {
    let Some((config, replayed)) = record_calendars(state, changed, idempotency).await? else {
        return Ok(None);
    };
    let Some(config) = config else {
        return Ok(None);
    };
    let schedule = config
        .schedule(name)
        .cloned()
        .ok_or_else(|| no_schedule(name))?;
    let dto = ScheduleDto {
        name: name.to_owned(),
        schedule,
    };
    Ok(Some(json(StatusCode::OK, dto, replayed)))
}

/// What [`record_calendars`] recorded: the calendars (none for an empty record) and whether
/// the outcome is a replay.
type Recorded = (Option<CalendarsConfig>, bool);

async fn record_calendars(
    state: &AppState,
    changed: Option<CalendarsConfig>,
    idempotency: Option<IdempotencyKey>,
) -> Result<Option<Recorded>, ApiError> {
    if changed.is_none() && idempotency.is_none() {
        return Ok(None);
    }
    let events = changed
        .iter()
        .map(sanjeh_store::sla::calendars_event)
        .collect();
    let outcome = state.submit(Request::Record(events), idempotency).await?;
    Ok(Some((recorded_calendars(&outcome)?, outcome.replayed)))
}

/// The calendars document a request recorded, as the store normalized it.
fn recorded_calendars(
    outcome: &sanjeh_store::Outcome,
) -> Result<Option<CalendarsConfig>, ApiError> {
    for (_, event) in recorded(outcome)? {
        if let EventBody::Calendars { default, groups } = event.body {
            let (config, _) = sanjeh_store::sla::parse_calendars(default.as_ref(), groups.as_ref())
                .map_err(|e| ApiError::internal(&e))?;
            return Ok(Some(config));
        }
    }
    Ok(None)
}

// ---- policies -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoliciesBody {
    policies: Value,
}

#[derive(Debug, Serialize)]
struct PoliciesDto {
    /// From when this version is in effect.
    since: String,
    policies: Vec<sanjeh_store::sla::Policy>,
}

#[tracing::instrument(skip_all)]
async fn show_policies(
    State(state): State<AppState>,
    _: AnyRole,
) -> Result<Json<PoliciesDto>, ApiError> {
    let p = state.store.sla_policies().await?.ok_or_else(|| {
        ApiError::not_found(
            "policies",
            "no SLA policies recorded (PUT /api/v1/sla/policies)",
        )
    })?;
    Ok(Json(PoliciesDto {
        since: rfc3339(p.since),
        policies: p.policies,
    }))
}

#[tracing::instrument(skip_all)]
async fn put_policies(
    State(state): State<AppState>,
    _: Admin,
    body: ApiJson<PoliciesBody>,
) -> Result<Response, ApiError> {
    let policies = body.value.policies;
    // Read here first so the error names the field exactly as the store would.
    sanjeh_store::sla::parse_policies(&policies)?;
    let outcome = state
        .submit(
            Request::Record(vec![EventBody::SlaPolicies { policies }]),
            body.idempotency,
        )
        .await?;
    let dto = recorded(&outcome)?
        .into_iter()
        .find_map(|(_, e)| match e.body {
            EventBody::SlaPolicies { policies } => Some(
                sanjeh_store::sla::parse_policies(&policies).map(|policies| PoliciesDto {
                    since: e.at.to_string(),
                    policies,
                }),
            ),
            _ => None,
        })
        .ok_or_else(|| ApiError::internal(&"a policies request recorded no policies"))?
        .map_err(|e: FieldError| ApiError::internal(&e))?;
    Ok(json(StatusCode::OK, dto, outcome.replayed))
}

// ---- SLA state ------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AtQuery {
    /// RFC 3339; now by default.
    at: Option<jiff::Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OverdueQuery {
    at: Option<jiff::Timestamp>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
struct TargetDto {
    metric: Metric,
    policy: String,
    target_minutes: u32,
    hours: Hours,
    state: SlaState,
    started_at: String,
    due_at: Option<String>,
    breached_at: Option<String>,
    ended_at: Option<String>,
    /// Counted time so far, in the target's hours.
    counted_s: f64,
}

impl From<MetricStatus> for TargetDto {
    fn from(s: MetricStatus) -> TargetDto {
        TargetDto {
            metric: s.metric,
            policy: s.policy,
            target_minutes: s.target.minutes,
            hours: s.target.hours,
            state: s.state,
            started_at: rfc3339(s.started_at),
            due_at: s.due_at.map(rfc3339),
            breached_at: s.breached_at.map(rfc3339),
            ended_at: s.ended_at.map(rfc3339),
            counted_s: s.counted_ms as f64 / 1000.0,
        }
    }
}

#[derive(Debug, Serialize)]
struct TicketSlaDto {
    ticket: String,
    at: String,
    targets: Vec<TargetDto>,
}

#[derive(Debug, Serialize)]
struct OverdueDto {
    ticket: String,
    metric: String,
    policy: String,
    /// When the target fell due (its breach).
    due_at: String,
    /// Whether the breach was recorded at the ticket's last event (else it fell due since).
    recorded: bool,
}

#[derive(Debug, Serialize)]
struct OverdueListDto {
    at: String,
    items: Vec<OverdueDto>,
}

fn at_or_now(at: Option<jiff::Timestamp>) -> Millis {
    at.unwrap_or_else(jiff::Timestamp::now).as_millisecond()
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn ticket_sla(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<AtQuery>,
) -> Result<Json<TicketSlaDto>, ApiError> {
    if state.store.ticket(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found(
            "ticket",
            format!("ticket {id} does not exist"),
        ));
    }
    let now = at_or_now(q.at);
    let targets = state.store.sla_statuses(&id, now).await?;
    Ok(Json(TicketSlaDto {
        ticket: id.to_string(),
        at: rfc3339(now),
        targets: targets.into_iter().map(TargetDto::from).collect(),
    }))
}

#[tracing::instrument(skip_all)]
async fn overdue(
    State(state): State<AppState>,
    _: AnyRole,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<Json<OverdueListDto>, ApiError> {
    let limit = page_limit(q.limit)?;
    let now = at_or_now(q.at);
    let items = state
        .store
        .overdue(now, limit)
        .await?
        .into_iter()
        .map(|o| OverdueDto {
            ticket: o.ticket,
            metric: o.metric,
            policy: o.policy,
            due_at: rfc3339(o.due_at),
            recorded: o.recorded,
        })
        .collect();
    Ok(Json(OverdueListDto {
        at: rfc3339(now),
        items,
    }))
}
