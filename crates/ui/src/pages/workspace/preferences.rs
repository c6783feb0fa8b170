//! The user's preferences page: the time zone dates render in (kept per user, like the
//! language; without one, the server's `UiOptions::time_zone`).

use super::{Choice, choice, invalid};
use crate::Ui;
use crate::error::UiError;
use crate::pages::{Page, render};
use crate::session::User;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/preferences", get(show))
        .route("/preferences/time-zone", post(set_time_zone))
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesTemplate {
    page: Page,
    zones: Vec<Choice>,
    now: crate::i18n::DateText,
}

/// Every IANA time zone name this server knows, sorted.
fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n.contains('/') || n == "UTC")
        .collect();
    names.sort();
    names.dedup();
    names
}

async fn show(State(ui): State<Ui>, user: User) -> Result<Response, UiError> {
    let page = Page::signed_in(&ui, &user, "preferences-title", "/preferences".into());
    let current = page.tz.iana_name().unwrap_or("UTC").to_owned();
    let zones = zone_names()
        .into_iter()
        .map(|n| {
            let selected = n == current;
            choice(&n, n.clone(), selected)
        })
        .collect();
    let template = PreferencesTemplate {
        now: page.lang.datetime(crate::session::now_ms(), &page.tz),
        zones,
        page,
    };
    Ok(render(&template))
}

#[derive(Deserialize)]
struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn set_time_zone(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<ZoneForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let name = form.time_zone.trim();
    let zone =
        jiff::tz::TimeZone::get(name).map_err(|_| invalid("time_zone", "error-time-zone"))?;
    let name = zone.iana_name().unwrap_or(name).to_owned();
    ui.app.store().set_web_time_zone(&user.id, &name).await?;
    Ok(Redirect::to("/preferences").into_response())
}
