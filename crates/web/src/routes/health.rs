//! Liveness, readiness and metrics: unauthenticated, outside `/api/v1`, for orchestrators and
//! scrapers. `/metrics` reveals route names and request counts only; keep it on a trusted
//! network (or behind the reverse proxy's auth) when the API is public.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process answers: nothing else is checked, so a slow database never gets a healthy
/// process restarted.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers: until it does, take this instance out of rotation (503).
#[tracing::instrument(skip_all)]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Unavailable("the database does not answer".into()))
        }
    }
}

/// Prometheus text exposition of every metric the process records.
async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
