//! The agent workspace beyond the conversation: ticket views and saved filters, SLA badges,
//! macros, merging, opportunities and the user's time zone. The ticket list and ticket page
//! themselves live in `pages::tickets` and use these modules.

pub(crate) mod actions;
pub(crate) mod filters;
pub(crate) mod macros;
pub(crate) mod preferences;
pub(crate) mod sla;
pub(crate) mod views;

use crate::Ui;
use crate::error::UiError;
use axum::Router;
use sanjeh_domain::EventBody;
use sanjeh_store::Request;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .merge(macros::routes())
        .merge(filters::routes())
        .merge(actions::routes())
        .merge(preferences::routes())
}

/// An option of a `<select>`.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) fn choice(value: &str, label: String, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        selected,
    }
}

pub(crate) fn invalid(field: &str, key: &'static str) -> UiError {
    UiError::Invalid {
        field: field.into(),
        key,
    }
}

/// Records events made now without the ticket rules (configuration, opportunities).
pub(crate) async fn submit_record(ui: &Ui, body: EventBody) -> Result<(), UiError> {
    ui.app
        .writer()
        .submit(Request::Record(vec![body]), None)
        .await?;
    Ok(())
}
