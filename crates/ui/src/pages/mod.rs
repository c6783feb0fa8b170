//! The pages, one module per area, and what every page's template shares ([`Page`]).

pub(crate) mod dashboard;
pub(crate) mod portal;
pub(crate) mod signin;
pub(crate) mod tickets;
pub(crate) mod workspace;

use crate::Ui;
use crate::error::UiError;
use crate::i18n::Lang;
use crate::session::User;
use askama::Template;
use axum::Router;
use axum::response::{Html, IntoResponse, Response};

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .merge(signin::routes())
        .merge(tickets::routes())
        .merge(dashboard::routes())
        .merge(portal::routes())
        .merge(workspace::routes())
}

/// What the layout needs: the language, the signed-in user (if any), the page's title and
/// path (to come back to after changing the language).
pub struct Page {
    pub lang: Lang,
    pub user: Option<User>,
    pub title: String,
    pub path: String,
    pub tz: jiff::tz::TimeZone,
}

impl Page {
    pub fn anonymous(lang: Lang, title: String) -> Page {
        Page {
            lang,
            user: None,
            title,
            path: "/signin".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    pub fn signed_in(ui: &Ui, user: &User, title_key: &str, path: String) -> Page {
        Page {
            lang: user.lang,
            title: user.lang.t(title_key),
            user: Some(user.clone()),
            path,
            tz: user.time_zone(&ui.options.time_zone),
        }
    }

    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The name of a vocabulary value (`status-open`, `priority-high`, …).
    pub fn vocab(&self, prefix: &str, value: &str) -> String {
        self.lang.t(&format!("{prefix}-{value}"))
    }

    pub fn csrf(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf.as_str())
    }

    /// Language choices for the picker: (code, name in that language, selected).
    pub fn languages(&self) -> Vec<(&'static str, String, bool)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.t("language-name"), *l == self.lang))
            .collect()
    }
}

/// Renders a template as an HTML response (an internal error page if rendering fails).
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => UiError::Template(e.to_string()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTemplate {
    pub page: Page,
    pub message: String,
    pub detail: Option<String>,
    pub signin: bool,
}
