//! Saved filters: an agent saves the ticket list's current filter under a name, private or
//! shared with the team; saved filters are listed beside the built-in views. They are user
//! preferences (`web_saved_filters`), not domain history.

use super::invalid;
use super::views::{ListQuery, View};
use crate::Ui;
use crate::error::UiError;
use crate::session::{Role, User, now_ms};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use sanjeh_store::workspace::SavedFilter;
use serde::Deserialize;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/filters", post(save))
        .route("/filters/{id}/delete", post(delete))
}

#[derive(Deserialize)]
struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// `on`: shown to the whole team.
    #[serde(default)]
    shared: String,
    #[serde(flatten)]
    filter: ListQuery,
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn save(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<SaveForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "error-filter-name"));
    }
    let mut filter = form.filter;
    filter.view = Some(View::Filter.code().into());
    // Refuse what the list would refuse, before keeping it.
    filter.to_filter(&user.id)?;
    let query = filter.filter_string();
    ui.app
        .store()
        .save_filter(&SavedFilter {
            id: hex::encode(rand::random::<[u8; 8]>()),
            owner: user.id.clone(),
            name: name.to_owned(),
            shared: form.shared == "on",
            query: query.clone(),
            created_at: now_ms(),
        })
        .await?;
    Ok(Redirect::to(&format!("/tickets?{query}")).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Deletes a saved filter: its owner, or an admin for a shared one.
#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn delete(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let store = ui.app.store();
    let f = store
        .saved_filter(&id)
        .await?
        .filter(|f| f.shared || f.owner == user.id)
        .ok_or(UiError::NotFound)?;
    if f.owner != user.id && user.role != Role::Admin {
        return Err(UiError::Forbidden);
    }
    store.delete_saved_filter(&f.id).await?;
    Ok(Redirect::to("/tickets").into_response())
}
