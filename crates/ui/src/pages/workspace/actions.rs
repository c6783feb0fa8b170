//! Actions of the ticket page beside replying: merging into another ticket (with a
//! confirmation step), logging an upsell or cross-sell opportunity, and applying a macro to
//! the reply form (a POST that re-renders the page with the form filled, so it works without
//! JavaScript).

use super::invalid;
use super::macros::usable_macro;
use super::views::ListQuery;
use crate::Ui;
use crate::error::UiError;
use crate::pages::tickets::{Draft, load_ticket, segment, submit, ticket_page};
use crate::pages::{Page, render};
use crate::session::User;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use sanjeh_domain::{Author, Command, Event, Id, Status};
use serde::Deserialize;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/tickets/{id}/merge", post(merge))
        .route("/tickets/{id}/opportunities", post(opportunity))
        .route("/tickets/{id}/macro", post(apply_macro))
}

#[derive(Template)]
#[template(path = "merge_confirm.html")]
struct MergeTemplate {
    page: Page,
    action: String,
    source_id: String,
    source_subject: String,
    target_id: String,
    target_href: String,
    target_subject: String,
    target_status: String,
    cancel: String,
}

#[derive(Deserialize)]
struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into: String,
    /// `yes` once the agent confirmed.
    #[serde(default)]
    confirm: String,
}

/// Merges the ticket into another after a confirmation page: the source is closed into the
/// target, whose page then shows the source's messages.
#[tracing::instrument(skip_all, fields(ticket = %id, agent = %user.id))]
async fn merge(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<MergeForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let store = ui.app.store();
    let source = load_ticket(store, &id).await?;
    let into = form.into.trim();
    if into.is_empty() {
        return Err(invalid("into", "error-merge-target"));
    }
    let target = store
        .ticket(into)
        .await?
        .ok_or_else(|| invalid("into", "error-merge-target"))?;
    if target.id == source.id || target.status == Status::Closed || source.status == Status::Closed
    {
        return Err(invalid("into", "error-merge-target"));
    }
    let target_href = format!("/tickets/{}", segment(target.id.as_str()));
    if form.confirm != "yes" {
        let page = Page::signed_in(
            &ui,
            &user,
            "merge-title",
            format!("/tickets/{}", segment(source.id.as_str())),
        );
        let template = MergeTemplate {
            action: format!("/tickets/{}/merge", segment(source.id.as_str())),
            cancel: format!("/tickets/{}", segment(source.id.as_str())),
            source_id: source.id.to_string(),
            source_subject: source.subject.clone(),
            target_id: target.id.to_string(),
            target_subject: target.subject.clone(),
            target_status: page.vocab("status", target.status.as_str()),
            target_href,
            page,
        };
        return Ok(render(&template));
    }
    let me = Id::parse("agent", &user.id).map_err(|_| UiError::Forbidden)?;
    submit(
        &ui,
        Command::Merge {
            ticket: source.id.clone(),
            into: target.id.clone(),
            by: Some(Author::Agent(me)),
        },
    )
    .await?;
    Ok(Redirect::to(&target_href).into_response())
}

#[derive(Deserialize)]
struct OpportunityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    stage: String,
}

/// Logs an opportunity on the ticket as the signed-in agent. The event is built as an
/// interchange line and read back by the domain's parser, so the UI accepts exactly what the
/// API and import accept (decimal amount, ISO 4217 currency, known kind and stage).
#[tracing::instrument(skip_all, fields(ticket = %id, agent = %user.id))]
async fn opportunity(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<OpportunityForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let t = load_ticket(ui.app.store(), &id).await?;
    let amount = form.amount.trim().replace(',', ".");
    if amount.starts_with('-') {
        return Err(invalid("amount", "error-amount"));
    }
    let line = serde_json::json!({
        "type": "opportunity",
        "at": jiff::Timestamp::now().to_string(),
        "ticket": t.id.as_str(),
        "agent": user.id,
        "kind": form.kind,
        "amount": amount,
        "currency": form.currency.trim().to_uppercase(),
        "status": if form.stage.is_empty() { "open" } else { form.stage.as_str() },
    })
    .to_string();
    let event = Event::parse_line(&line).map_err(|e| match e.field.as_str() {
        "amount" => invalid("amount", "error-amount"),
        "currency" => invalid("currency", "error-currency"),
        "status" => invalid("stage", "error-invalid"),
        _ => invalid("kind", "error-invalid"),
    })?;
    super::submit_record(&ui, event.body).await?;
    Ok(Redirect::to(&format!(
        "/tickets/{}#opportunities",
        segment(t.id.as_str())
    ))
    .into_response())
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csrf: String,
    /// The macro to apply.
    #[serde(default, rename = "apply")]
    apply: String,
    /// What the reply box held: the macro's text is added after it.
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
}

/// Re-renders the ticket page with the macro's text (placeholders filled) in the reply box
/// and the macro chosen, so sending the reply applies its status, priority and tags.
#[tracing::instrument(skip_all, fields(ticket = %id, agent = %user.id))]
async fn apply_macro(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<ApplyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let m = usable_macro(&ui, &user, &form.apply).await?;
    let draft = Draft {
        body: form.body,
        internal: form.visibility == "internal",
        apply: Some(m),
    };
    ticket_page(&ui, &user, &id, &ListQuery::default(), draft).await
}
