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
//! - `pages`: one module per area (sign-in, tickets, dashboard, the customer portal) with its
//!   askama templates.
//! - `client`: the client's network address, for rate limits.
//! - `assets`: the stylesheet, embedded with rust-embed.

mod assets;
mod client;
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
    /// Failed agent sign-ins from one client address (across logins) within
    /// `failure_window` before that address is refused for a while.
    pub max_failures_per_address: i64,
    /// Behind a reverse proxy: take the client's address from the last `X-Forwarded-For`
    /// entry (the one the proxy appended) instead of the TCP peer.
    pub trust_forwarded_for: bool,
    /// The customer portal's settings.
    pub portal: PortalOptions,
}

/// Settings of the customer portal (`/portal`).
#[derive(Debug, Clone)]
pub struct PortalOptions {
    /// The site's address as customers reach it, for the links in mail
    /// (`https://help.example.com`). Never taken from the request's `Host` header, which a
    /// client chooses.
    pub public_url: String,
    /// How long an emailed sign-in link may be used.
    pub link_ttl: std::time::Duration,
    /// The contact form makes a customer for an address it does not know (else it opens
    /// tickets for known customers only, answering the same either way).
    pub create_customers: bool,
    /// The sender of portal mail, and its display name, while no outbound mail relay is
    /// configured (then the relay's `from` and `from_name`).
    pub mail_from: String,
    pub mail_from_name: String,
    /// Link requests per address, per client address, and contact-form tickets per client
    /// address, within `rate_window`.
    pub links_per_address: i64,
    pub links_per_client: i64,
    pub contacts_per_client: i64,
    pub rate_window: std::time::Duration,
}

impl Default for PortalOptions {
    fn default() -> Self {
        PortalOptions {
            public_url: "http://127.0.0.1:8080".into(),
            link_ttl: std::time::Duration::from_secs(15 * 60),
            create_customers: true,
            mail_from: "support@localhost".into(),
            mail_from_name: "Support".into(),
            links_per_address: 3,
            links_per_client: 10,
            contacts_per_client: 5,
            rate_window: std::time::Duration::from_secs(15 * 60),
        }
    }
}

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            session_ttl: std::time::Duration::from_secs(12 * 3600),
            secure_cookies: false,
            max_failures: 5,
            failure_window: std::time::Duration::from_secs(15 * 60),
            time_zone: jiff::tz::TimeZone::UTC,
            max_failures_per_address: 20,
            trust_forwarded_for: false,
            portal: PortalOptions::default(),
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
    // Peer addresses for the per-address limits (sign-in failures, portal links).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
