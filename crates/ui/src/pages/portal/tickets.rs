//! A signed-in customer's tickets: the list, a ticket's public conversation (no internal
//! notes, no agent-only fields), replying, opening a ticket through the web form, and rating
//! a solved one.
//!
//! Every ticket page loads the ticket and answers 404 unless it is the customer's own, the
//! same answer as for a ticket that does not exist. Changes go through the writer as the
//! domain's commands (a customer reply on a solved ticket reopens it, by the domain's rule);
//! a rating is a recorded `survey.response` event, and a later rating of the same ticket
//! replaces the earlier one in every report (the KPI engine keeps a ticket's latest answer).

use super::{Customer, PortalPage, ticket_path};
use crate::Ui;
use crate::error::UiError;
use crate::i18n::DateText;
use crate::pages::render;
use crate::session::User;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanjeh_domain::command::{MAX_BODY_BYTES, NewTicket};
use sanjeh_domain::event::{Score, SurveyResponse, TicketCreated, TicketMessage};
use sanjeh_domain::{
    Author, Channel, Command, EventBody, Id, Kind, Priority, Status, SurveyKind, TicketState,
};
use sanjeh_store::writer::IdempotencyKey;
use sanjeh_store::{Request, StoreError, TicketFilter};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<Ui> {
    Router::new()
        .route("/portal/tickets", get(list).post(create))
        .route("/portal/tickets/new", get(new_form))
        .route("/portal/tickets/{id}", get(show))
        .route("/portal/tickets/{id}/messages", post(reply))
        .route("/portal/tickets/{id}/rate", get(rate_form).post(rate))
}

/// Tickets per page of the list.
const PAGE: u32 = 50;
/// The longest subject accepted, in characters.
pub(super) const MAX_SUBJECT_CHARS: usize = 200;

pub(super) fn invalid(field: &str, key: &'static str) -> UiError {
    UiError::Invalid {
        field: field.into(),
        key,
    }
}

/// A fresh ticket id, in the API's form: time-ordered hex and 32 random bits.
pub(super) fn new_ticket_id() -> Id {
    let ms = jiff::Timestamp::now().as_millisecond().max(0);
    let raw = format!("T-{ms:011x}{:08x}", rand::random::<u32>());
    Id::parse("id", &raw).expect("generated ids are valid")
}

/// Checks a new ticket's subject, body and kind as the form sent them.
pub(super) fn ticket_fields(
    subject: &str,
    body: &str,
    kind: &str,
) -> Result<(String, String, Option<Kind>), UiError> {
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(invalid("subject", "portal-error-subject"));
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(invalid("body", "error-empty-body"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(invalid("body", "portal-error-body-long"));
    }
    let kind = match kind {
        "" => None,
        raw => Some(Kind::parse("kind", raw).map_err(|_| invalid("kind", "error-invalid"))?),
    };
    Ok((subject.to_owned(), body.to_owned(), kind))
}

/// The command that opens a customer's ticket from the web form.
pub(super) fn web_ticket(
    id: Id,
    customer: Id,
    subject: String,
    body: String,
    kind: Option<Kind>,
) -> Command {
    Command::CreateTicket(NewTicket {
        created: TicketCreated {
            ticket: id,
            customer: Some(customer),
            organization: None,
            channel: Channel::Web,
            priority: Priority::Normal,
            group: None,
            subject: Some(subject),
            tags: Vec::new(),
            kind,
            by: None,
        },
        body: Some(body),
        assignee: None,
    })
}

fn customer_id(user: &User) -> Result<Id, UiError> {
    Id::parse("customer", &user.id).map_err(|_| UiError::Forbidden)
}

/// The customer's own ticket `id`; 404 for another's and for one that does not exist.
async fn own_ticket(ui: &Ui, user: &User, id: &str) -> Result<TicketState, UiError> {
    let ticket = ui.app.store().ticket(id).await?.ok_or(UiError::NotFound)?;
    if ticket.customer.as_ref().map(Id::as_str) != Some(user.id.as_str()) {
        tracing::info!(
            ticket = id,
            "portal: not the customer's ticket; answered 404"
        );
        return Err(UiError::NotFound);
    }
    Ok(ticket)
}

/// Statuses a customer sees: waiting on the team, waiting on them, done.
fn status_key(status: Status) -> &'static str {
    match status {
        Status::New | Status::Open | Status::OnHold => "portal-status-open",
        Status::Pending => "portal-status-pending",
        Status::Solved => "portal-status-solved",
        Status::Closed => "portal-status-closed",
    }
}

struct Row {
    id: String,
    href: String,
    subject: String,
    status: String,
    status_code: &'static str,
    updated: DateText,
}

fn row(page: &PortalPage, t: &TicketState) -> Row {
    Row {
        id: t.id.to_string(),
        href: ticket_path(t.id.as_str()),
        subject: t.subject.clone(),
        status: page.t(status_key(t.status)),
        status_code: t.status.as_str(),
        updated: page.lang.datetime(t.updated_at, &page.tz),
    }
}

#[derive(Template)]
#[template(path = "portal_tickets.html")]
struct ListTemplate {
    page: PortalPage,
    rows: Vec<Row>,
    count: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

/// The customer's tickets, oldest first, a page at a time.
#[tracing::instrument(skip_all, fields(customer = %user.id))]
async fn list(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let filter = TicketFilter {
        customer: Some(customer_id(&user)?),
        cursor: q.cursor.filter(|c| !c.is_empty()),
        limit: PAGE,
        ..TicketFilter::default()
    };
    let found = ui.app.store().tickets(&filter).await.map_err(|e| match e {
        StoreError::Conflict { .. } => invalid("cursor", "error-invalid"),
        other => other.into(),
    })?;
    let page = PortalPage::new(
        &ui,
        user.lang,
        Some(&user),
        "portal-tickets-title",
        "/portal/tickets",
    );
    let template = ListTemplate {
        count: page.lang.t_count("tickets-count", found.items.len() as u64),
        rows: found.items.iter().map(|t| row(&page, t)).collect(),
        next: found
            .next_cursor
            .map(|c| format!("/portal/tickets?cursor={}", super::encode(&c))),
        page,
    };
    Ok(render(&template))
}

struct MessageRow {
    author: String,
    mine: bool,
    at: DateText,
    body: String,
}

#[derive(Template)]
#[template(path = "portal_ticket.html")]
struct TicketTemplate {
    page: PortalPage,
    ticket: Row,
    created: DateText,
    messages: Vec<MessageRow>,
    reply_action: String,
    rate_href: String,
    can_reply: bool,
    solved: bool,
    rating: Option<String>,
    thanked: bool,
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    rated: Option<String>,
}

/// The agents' names by id (shown on their public replies).
async fn agent_names(ui: &Ui) -> Result<HashMap<String, String>, StoreError> {
    Ok(ui
        .app
        .store()
        .agents()
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a.name.unwrap_or(a.id)))
        .collect())
}

/// A ticket's public conversation.
#[tracing::instrument(skip_all, fields(customer = %user.id, ticket = %id))]
async fn show(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, UiError> {
    let t = own_ticket(&ui, &user, &id).await?;
    let store = ui.app.store();
    let names = agent_names(&ui).await?;
    let href = ticket_path(t.id.as_str());
    let page = PortalPage::new(&ui, user.lang, Some(&user), "portal-ticket-title", &href);
    let messages = store
        .messages(t.id.as_str(), false)
        .await?
        .into_iter()
        .filter(|m| m.public)
        .map(|m| {
            let mine = m.author_kind == "customer";
            MessageRow {
                author: match m.author_kind.as_str() {
                    "customer" => page.t("portal-author-you"),
                    "agent" => m
                        .author_id
                        .as_ref()
                        .and_then(|a| names.get(a).cloned())
                        .unwrap_or_else(|| page.t("portal-author-team")),
                    _ => page.t("portal-author-team"),
                },
                mine,
                at: page.lang.datetime(m.at, &page.tz),
                body: m.body,
            }
        })
        .collect();
    let solved = matches!(t.status, Status::Solved | Status::Closed);
    let rating = if solved {
        store
            .latest_survey_answer(t.id.as_str(), SurveyKind::Csat.as_str())
            .await?
            .map(|a| rating_text(&page, &a))
    } else {
        None
    };
    let template = TicketTemplate {
        ticket: row(&page, &t),
        created: page.lang.datetime(t.created_at, &page.tz),
        messages,
        reply_action: format!("{href}/messages"),
        rate_href: format!("{href}/rate"),
        can_reply: t.status != Status::Closed,
        solved,
        rating,
        thanked: q.rated.is_some(),
        page,
    };
    Ok(render(&template))
}

/// A stored answer as the customer gave it: "4 of 5", or good / bad.
fn rating_text(page: &PortalPage, a: &sanjeh_store::portal::SurveyAnswer) -> String {
    match (a.score, a.rating.as_deref()) {
        (Some(score), _) => page.lang.t_args(
            "portal-rating-current",
            &[("score", page.lang.int(score)), ("of", page.lang.int(5))],
        ),
        (None, Some("good")) => page.t("portal-rating-good"),
        (None, _) => page.t("portal-rating-bad"),
    }
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// The customer's public reply (on a solved ticket, the domain reopens it).
#[tracing::instrument(skip_all, fields(customer = %user.id, ticket = %id))]
async fn reply(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let t = own_ticket(&ui, &user, &id).await?;
    let body = form.body.trim();
    if body.is_empty() {
        return Err(invalid("body", "error-empty-body"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(invalid("body", "portal-error-body-long"));
    }
    let command = Command::PostMessage(TicketMessage {
        ticket: t.id.clone(),
        author: Author::Customer(customer_id(&user)?),
        public: true,
        body: body.to_owned(),
        channel: Some(Channel::Web),
        message: None,
    });
    ui.app
        .writer()
        .submit(Request::Command(command), None)
        .await?;
    Ok(Redirect::to(&ticket_path(t.id.as_str())).into_response())
}

pub(super) struct KindChoice {
    pub value: &'static str,
    pub label: String,
}

pub(super) fn kinds_of(page: &PortalPage) -> Vec<KindChoice> {
    Kind::ALL
        .iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            label: page.t(&format!("portal-kind-{}", k.as_str())),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewTemplate {
    page: PortalPage,
    nonce: String,
    kinds: Vec<KindChoice>,
}

/// The web form for a new ticket. Its nonce makes a second submission of the same form (a
/// double click, a reload) the same ticket rather than a second one.
async fn new_form(State(ui): State<Ui>, Customer(user): Customer) -> Response {
    let page = PortalPage::new(
        &ui,
        user.lang,
        Some(&user),
        "portal-new-title",
        "/portal/tickets/new",
    );
    let template = NewTemplate {
        kinds: kinds_of(&page),
        nonce: hex::encode(rand::random::<[u8; 16]>()),
        page,
    };
    render(&template)
}

#[derive(Deserialize)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
}

/// Opens a ticket on the web channel, as the API's `POST /tickets` does.
#[tracing::instrument(skip_all, fields(customer = %user.id))]
async fn create(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Form(form): Form<NewForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let (subject, body, kind) = ticket_fields(&form.subject, &form.body, &form.kind)?;
    let nonce = form.nonce.trim();
    let idempotency =
        (nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
            let asked = format!("{subject}\0{body}\0{}", form.kind);
            IdempotencyKey::new(
                &format!("portal:{}", user.id),
                nonce,
                "portal-new-ticket",
                asked.as_bytes(),
            )
        });
    let command = web_ticket(new_ticket_id(), customer_id(&user)?, subject, body, kind);
    let outcome = ui
        .app
        .writer()
        .submit(Request::Command(command), idempotency)
        .await?;
    let ticket = outcome
        .tickets
        .first()
        .ok_or(UiError::Template("a new ticket recorded no ticket".into()))?;
    tracing::info!(ticket = %ticket.id, replayed = outcome.replayed, "portal ticket opened");
    Ok(Redirect::to(&ticket_path(ticket.id.as_str())).into_response())
}

struct ScoreChoice {
    value: i64,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "portal_rate.html")]
struct RateTemplate {
    page: PortalPage,
    ticket: Row,
    action: String,
    back: String,
    scores: Vec<ScoreChoice>,
    comment: String,
    current: Option<String>,
}

/// The rating form of a solved ticket (linked from the solved-ticket mail).
#[tracing::instrument(skip_all, fields(customer = %user.id, ticket = %id))]
async fn rate_form(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let t = own_ticket(&ui, &user, &id).await?;
    let href = ticket_path(t.id.as_str());
    if !matches!(t.status, Status::Solved | Status::Closed) {
        return Ok(Redirect::to(&href).into_response());
    }
    let page = PortalPage::new(
        &ui,
        user.lang,
        Some(&user),
        "portal-rate-title",
        &format!("{href}/rate"),
    );
    let answer = ui
        .app
        .store()
        .latest_survey_answer(t.id.as_str(), SurveyKind::Csat.as_str())
        .await?;
    let chosen = answer.as_ref().and_then(|a| a.score);
    let scores = (1..=5)
        .rev()
        .map(|n| ScoreChoice {
            value: n,
            label: page.t(&format!("portal-score-{n}")),
            checked: chosen == Some(n),
        })
        .collect();
    let template = RateTemplate {
        ticket: row(&page, &t),
        action: format!("{href}/rate"),
        back: href,
        scores,
        comment: answer
            .as_ref()
            .and_then(|a| a.comment.clone())
            .unwrap_or_default(),
        current: answer.as_ref().map(|a| rating_text(&page, a)),
        page,
    };
    Ok(render(&template))
}

#[derive(Deserialize)]
struct RateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// The longest rating comment, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

/// Records the customer's CSAT answer (1–5) with an optional comment.
#[tracing::instrument(skip_all, fields(customer = %user.id, ticket = %id))]
async fn rate(
    State(ui): State<Ui>,
    Customer(user): Customer,
    Path(id): Path<String>,
    Form(form): Form<RateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    let t = own_ticket(&ui, &user, &id).await?;
    if !matches!(t.status, Status::Solved | Status::Closed) {
        return Err(invalid("status", "portal-error-not-solved"));
    }
    let score = form
        .score
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| invalid("score", "portal-error-score"))?;
    let comment = form.comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(invalid("comment", "portal-error-comment-long"));
    }
    let answer = EventBody::SurveyResponse(SurveyResponse {
        survey: SurveyKind::Csat,
        score: Score::Scale(score),
        ticket: Some(t.id.clone()),
        customer: Some(customer_id(&user)?),
        agent: None,
        comment: (!comment.is_empty()).then(|| comment.to_owned()),
    });
    ui.app
        .writer()
        .submit(Request::Record(vec![answer]), None)
        .await?;
    tracing::info!(score, "portal rating recorded");
    Ok(Redirect::to(&format!("{}?rated=1", ticket_path(t.id.as_str()))).into_response())
}
