//! Reports: every KPI of the catalogue over a period, the top-agents table, and why a
//! ticket's own numbers are what they are. The KPI engine computes; this only converts.

use crate::auth::AnyRole;
use crate::error::ApiError;
use crate::extract::{ApiQuery, IdPath};
use crate::report_params::ReportParams;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use sanjeh_domain::explain::Explanation;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(report))
        .route("/reports/agents", get(top_agents))
        .route("/tickets/{id}/explain", get(explain_ticket))
}

/// Runs `f` on the live dataset, off the async workers (a year at 1M tickets is a CPU job).
async fn with_dataset<T: Send + 'static>(
    state: &AppState,
    params: ReportParams,
    f: impl FnOnce(&sanjeh_metrics::Dataset, &sanjeh_metrics::ReportRequest) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let Some((dataset, targets)) = state.reports.clone() else {
        return Err(ApiError::Unavailable(
            "reports are not enabled on this server".into(),
        ));
    };
    let mut request = params.to_request(jiff::Timestamp::now(), &targets)?;
    request.calendars = state.store.business_calendars().await?;
    tokio::task::spawn_blocking(move || {
        let ds = dataset
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&ds, &request)
    })
    .await
    .map_err(|_| ApiError::Unavailable("the report was interrupted".into()))
}

/// `GET /api/v1/reports`: the same JSON as `sanjeh report --format json`.
#[tracing::instrument(skip_all)]
async fn report(
    State(state): State<AppState>,
    _: AnyRole,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<sanjeh_metrics::Report>, ApiError> {
    if params.format.as_deref().is_some_and(|f| f != "json") {
        return Err(ApiError::Invalid {
            field: "format".into(),
            message: "the API answers JSON".into(),
        });
    }
    Ok(Json(
        with_dataset(&state, params, sanjeh_metrics::report).await?,
    ))
}

/// `GET /api/v1/reports/agents`: agents ranked with the configured weights.
#[tracing::instrument(skip_all)]
async fn top_agents(
    State(state): State<AppState>,
    _: AnyRole,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Json<Vec<sanjeh_metrics::AgentRow>>, ApiError> {
    let rows = with_dataset(&state, params, |ds, req| {
        sanjeh_metrics::top_agents(ds, req, &req.rank_weights)
    })
    .await?;
    Ok(Json(rows))
}

/// `GET /api/v1/tickets/{id}/explain`: each metric with the events that produced it.
#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn explain_ticket(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<Explanation>, ApiError> {
    let now = jiff::Timestamp::now().as_millisecond();
    state
        .store
        .explain_ticket(id.as_str(), now)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("ticket", format!("ticket {id} does not exist")))
}
