//! Sanjeh's web UI: server-rendered pages for agents, admins and managers, served by
//! `sanjeh serve` beside the API, with every asset compiled into the binary.
//!
//! Pages work without JavaScript. Every change goes through the same writer as the REST API
//! (`Request::Command` to the store's group-commit [`Writer`](sanjeh_store::Writer)); every
//! read through the store's reads; every number on the dashboard comes from the KPI engine.
//!
//! Map of the crate:
//! - `i18n`: English, Persian and Russian from Fluent catalogues; digits, dates (Jalali for
//!   Persian), direction.
//! - `session`: sign-in state — the session cookie, the signed-in user and role, CSRF tokens.
//! - `error`: the crate's error type, rendered as a page in the reader's language.
//! - `pages`: one module per area (sign-in, tickets, dashboard) with its askama templates.
//! - `assets`: the stylesheet, embedded with rust-embed.

mod assets;
mod error;
pub mod i18n;
mod pages;
mod session;

use axum::Router;
use axum::middleware;
use sanjeh_web::AppState;
use std::future::Future;

/// Settings of the UI.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// How long a sign-in lasts.
    pub session_ttl: std::time::Duration,
    /// Mark cookies `Secure` (serve over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Failed sign-ins for one login within `failure_window` before further tries are refused.
    pub max_failures: i64,
    pub failure_window: std::time::Duration,
    /// The time zone dates are shown and dashboard periods cut in.
    pub time_zone: jiff::tz::TimeZone,
}

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            session_ttl: std::time::Duration::from_secs(12 * 3600),
            secure_cookies: false,
            max_failures: 5,
            failure_window: std::time::Duration::from_secs(15 * 60),
            time_zone: jiff::tz::TimeZone::UTC,
        }
    }
}

/// What every page handler shares.
#[derive(Clone)]
pub(crate) struct Ui {
    pub app: AppState,
    pub options: std::sync::Arc<UiOptions>,
}

/// The UI's routes (no fallback, so it merges with the API's router).
pub fn router(state: AppState) -> Router {
    router_with(state, UiOptions::default())
}

/// [`router`] with settings.
pub fn router_with(state: AppState, options: UiOptions) -> Router {
    let ui = Ui {
        app: state,
        options: std::sync::Arc::new(options),
    };
    pages::routes()
        .merge(assets::routes())
        .layer(middleware::from_fn(error::render_error_pages))
        .layer(middleware::from_fn(session::security_headers))
        .with_state(ui)
}

/// The API and the UI on one listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    options: UiOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router_with(state.clone(), options).merge(sanjeh_web::router(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
