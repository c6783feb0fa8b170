//! The agent workspace: ticket views (my open, unassigned, pending, all), the ticket page with
//! the whole conversation and the customer's other tickets, and the forms that reply, add an
//! internal note and change status, priority, assignee and tags.
//!
//! Changes go to the store's writer as domain commands, exactly as the REST API sends them;
//! reads use the store's reads. Nothing here writes SQL.

use super::{Page, render};
use crate::Ui;
use crate::error::UiError;
use crate::i18n::DateText;
use crate::session::User;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanjeh_domain::event::TicketMessage;
use sanjeh_domain::{Author, Command, Id, Priority, Status, TicketChanges, TicketState};
use sanjeh_store::read::AgentView;
use sanjeh_store::{Request, Store, StoreError, TicketFilter};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/tickets", get(list))
        .route("/tickets/{id}", get(show).post(update))
        .route("/tickets/{id}/messages", post(reply))
}

/// Rows on one page of a view.
const PAGE: u32 = 50;
/// Store pages scanned at most to fill a view the store cannot filter on directly.
const MAX_SCAN_PAGES: usize = 20;
const UNSOLVED: [Status; 4] = [Status::New, Status::Open, Status::Pending, Status::OnHold];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Mine,
    Unassigned,
    Pending,
    All,
}

impl View {
    const ALL: [View; 4] = [View::Mine, View::Unassigned, View::Pending, View::All];

    fn code(self) -> &'static str {
        match self {
            View::Mine => "mine",
            View::Unassigned => "unassigned",
            View::Pending => "pending",
            View::All => "all",
        }
    }

    fn parse(raw: Option<&str>) -> View {
        View::ALL
            .into_iter()
            .find(|v| Some(v.code()) == raw)
            .unwrap_or(View::Mine)
    }
}

/// A percent-encoded path segment for an id.
pub(crate) fn segment(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A ticket as a row of a list.
struct Row {
    id: String,
    href: String,
    subject: String,
    status: String,
    status_code: &'static str,
    priority: String,
    priority_code: &'static str,
    assignee: String,
    updated: DateText,
}

fn row(page: &Page, t: &TicketState, names: &HashMap<String, String>) -> Row {
    Row {
        id: t.id.to_string(),
        href: format!("/tickets/{}", segment(t.id.as_str())),
        subject: t.subject.clone(),
        status: page.vocab("status", t.status.as_str()),
        status_code: t.status.as_str(),
        priority: page.vocab("priority", t.priority.as_str()),
        priority_code: t.priority.as_str(),
        assignee: t
            .assignee
            .as_ref()
            .map(|a| {
                names
                    .get(a.as_str())
                    .cloned()
                    .unwrap_or_else(|| a.to_string())
            })
            .unwrap_or_else(|| page.t("unassigned")),
        updated: page.lang.datetime(t.updated_at, &page.tz),
    }
}

fn agent_names(agents: &[AgentView]) -> HashMap<String, String> {
    agents
        .iter()
        .map(|a| (a.id.clone(), a.name.clone().unwrap_or_else(|| a.id.clone())))
        .collect()
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListTemplate {
    page: Page,
    tabs: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    count: String,
    next: Option<String>,
    truncated: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    view: Option<String>,
    cursor: Option<String>,
}

/// Tickets matching `filter` and `keep`, oldest first, scanning at most [`MAX_SCAN_PAGES`];
/// true when the scan stopped before the end.
async fn scan(
    store: &Store,
    mut filter: TicketFilter,
    keep: impl Fn(&TicketState) -> bool,
    want: usize,
) -> Result<(Vec<TicketState>, bool), StoreError> {
    let mut out = Vec::new();
    filter.limit = 500;
    for _ in 0..MAX_SCAN_PAGES {
        let page = store.tickets(&filter).await?;
        out.extend(page.items.into_iter().filter(|t| keep(t)));
        if out.len() >= want {
            out.truncate(want);
            return Ok((out, true));
        }
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => return Ok((out, false)),
        }
    }
    Ok((out, true))
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn list(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    user.require_tickets()?;
    let store = ui.app.store();
    let view = View::parse(q.view.as_deref());
    let me = Id::parse("agent", &user.id).ok();
    let mut next = None;
    let mut truncated = false;
    let tickets: Vec<TicketState> = match view {
        View::Mine => {
            let mut all = Vec::new();
            if let Some(me) = me {
                for status in UNSOLVED {
                    let filter = TicketFilter {
                        status: Some(status),
                        assignee: Some(me.clone()),
                        limit: PAGE,
                        ..TicketFilter::default()
                    };
                    let page = store.tickets(&filter).await?;
                    truncated |= page.next_cursor.is_some();
                    all.extend(page.items);
                }
            }
            all.sort_by_key(|t| (t.created_at, t.id.to_string()));
            all
        }
        View::Unassigned => {
            let mut all = Vec::new();
            for status in UNSOLVED {
                let filter = TicketFilter {
                    status: Some(status),
                    ..TicketFilter::default()
                };
                let (found, more) =
                    scan(store, filter, |t| t.assignee.is_none(), PAGE as usize).await?;
                truncated |= more;
                all.extend(found);
            }
            all.sort_by_key(|t| (t.created_at, t.id.to_string()));
            all
        }
        View::Pending | View::All => {
            let filter = TicketFilter {
                status: (view == View::Pending).then_some(Status::Pending),
                cursor: q.cursor.filter(|c| !c.is_empty()),
                limit: PAGE,
                ..TicketFilter::default()
            };
            let page = store.tickets(&filter).await.map_err(|e| match e {
                StoreError::Conflict { .. } => UiError::Invalid {
                    field: "cursor".into(),
                    key: "error-invalid",
                },
                other => other.into(),
            })?;
            next = page
                .next_cursor
                .map(|c| format!("/tickets?view={}&cursor={c}", view.code()));
            page.items
        }
    };
    let names = agent_names(&store.agents().await?);
    let page = Page::signed_in(
        &ui,
        &user,
        "tickets-title",
        format!("/tickets?view={}", view.code()),
    );
    let tabs = View::ALL
        .iter()
        .map(|v| {
            (
                format!("/tickets?view={}", v.code()),
                page.t(&format!("view-{}", v.code())),
                *v == view,
            )
        })
        .collect();
    let template = ListTemplate {
        count: page.lang.t_count("tickets-count", tickets.len() as u64),
        rows: tickets.iter().map(|t| row(&page, t, &names)).collect(),
        tabs,
        next,
        truncated,
        page,
    };
    Ok(render(&template))
}

struct MessageRow {
    author: String,
    internal: bool,
    channel: String,
    at: DateText,
    body: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketTemplate {
    page: Page,
    ticket: Row,
    action: String,
    reply_action: String,
    channel: String,
    customer: String,
    created: DateText,
    tags: String,
    messages: Vec<MessageRow>,
    others: Vec<Row>,
    statuses: Vec<Choice>,
    reply_statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    assignees: Vec<Choice>,
    closed: bool,
}

async fn load_ticket(store: &Store, id: &str) -> Result<TicketState, UiError> {
    store.ticket(id).await?.ok_or(UiError::NotFound)
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn show(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    user.require_tickets()?;
    let store = ui.app.store();
    let t = load_ticket(store, &id).await?;
    let agents = store.agents().await?;
    let names = agent_names(&agents);
    let customer = match &t.customer {
        Some(c) => store
            .customer(c.as_str())
            .await?
            .and_then(|v| v.name)
            .unwrap_or_else(|| c.to_string()),
        None => String::new(),
    };
    let page = Page::signed_in(
        &ui,
        &user,
        "ticket-title",
        format!("/tickets/{}", segment(t.id.as_str())),
    );
    let messages = store
        .messages(t.id.as_str(), true)
        .await?
        .into_iter()
        .map(|m| MessageRow {
            author: match m.author_kind.as_str() {
                "agent" => m
                    .author_id
                    .as_ref()
                    .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
                    .unwrap_or_default(),
                "customer" if m.author_id == t.customer.as_ref().map(|c| c.to_string()) => {
                    customer.clone()
                }
                "customer" => m.author_id.clone().unwrap_or_default(),
                other => page.vocab("author", other),
            },
            internal: !m.public,
            channel: m
                .channel
                .as_deref()
                .map(|c| page.vocab("channel", c))
                .unwrap_or_default(),
            at: page.lang.datetime(m.at, &page.tz),
            body: m.body,
        })
        .collect();
    let others = match &t.customer {
        Some(c) => {
            let filter = TicketFilter {
                customer: Some(c.clone()),
                limit: 50,
                ..TicketFilter::default()
            };
            store
                .tickets(&filter)
                .await?
                .items
                .iter()
                .filter(|o| o.id != t.id)
                .map(|o| row(&page, o, &names))
                .collect()
        }
        None => Vec::new(),
    };
    let choice = |value: &str, label: String, selected: bool| Choice {
        value: value.to_owned(),
        label,
        selected,
    };
    let statuses = Status::ALL
        .iter()
        .filter(|s| **s == t.status || t.status.can_become(**s))
        .map(|s| choice(s.as_str(), page.vocab("status", s.as_str()), *s == t.status))
        .collect();
    let reply_statuses = std::iter::once(choice("", page.t("reply-keep-status"), true))
        .chain(
            [
                Status::Open,
                Status::Pending,
                Status::OnHold,
                Status::Solved,
            ]
            .iter()
            .filter(|s| **s != t.status && t.status.can_become(**s))
            .map(|s| {
                choice(
                    s.as_str(),
                    page.lang.t_args(
                        "reply-set-status",
                        &[("status", page.vocab("status", s.as_str()))],
                    ),
                    false,
                )
            }),
        )
        .collect();
    let priorities = Priority::ALL
        .iter()
        .map(|p| {
            choice(
                p.as_str(),
                page.vocab("priority", p.as_str()),
                *p == t.priority,
            )
        })
        .collect();
    let assignees = std::iter::once(choice("", page.t("unassigned"), t.assignee.is_none()))
        .chain(
            agents
                .iter()
                .filter(|a| a.active != Some(false) && a.role.as_deref() != Some("manager"))
                .map(|a| {
                    choice(
                        &a.id,
                        a.name.clone().unwrap_or_else(|| a.id.clone()),
                        t.assignee.as_ref().is_some_and(|x| x.as_str() == a.id),
                    )
                }),
        )
        .collect();
    let href = format!("/tickets/{}", segment(t.id.as_str()));
    let template = TicketTemplate {
        ticket: row(&page, &t, &names),
        action: href.clone(),
        reply_action: format!("{href}/messages"),
        channel: page.vocab("channel", t.channel.as_str()),
        customer,
        created: page.lang.datetime(t.created_at, &page.tz),
        tags: t.tags.join(", "),
        messages,
        others,
        statuses,
        reply_statuses,
        priorities,
        assignees,
        closed: t.status == Status::Closed,
        page,
    };
    Ok(render(&template))
}

fn invalid(field: &str, key: &'static str) -> UiError {
    UiError::Invalid {
        field: field.into(),
        key,
    }
}

fn parse_status(raw: &str) -> Result<Option<Status>, UiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    Status::parse("status", raw)
        .map(Some)
        .map_err(|_| invalid("status", "error-invalid"))
}

#[derive(Deserialize)]
struct ReplyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    /// `public` (a reply to the customer) or `internal` (a note for the team).
    #[serde(default)]
    visibility: String,
    /// A status to set after the reply; empty keeps it.
    #[serde(default)]
    status: String,
}

async fn submit(ui: &Ui, command: Command) -> Result<(), UiError> {
    ui.app
        .writer()
        .submit(Request::Command(command), None)
        .await?;
    Ok(())
}

/// Posts a reply or an internal note as the signed-in agent, then sets the status if asked.
#[tracing::instrument(skip_all, fields(ticket = %id, agent = %user.id))]
async fn reply(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let ticket = Id::parse("ticket", &id).map_err(|_| UiError::NotFound)?;
    let me = Id::parse("agent", &user.id).map_err(|_| UiError::Forbidden)?;
    let body = form.body.trim();
    if body.is_empty() {
        return Err(invalid("body", "error-empty-body"));
    }
    let public = match form.visibility.as_str() {
        "" | "public" => true,
        "internal" => false,
        _ => return Err(invalid("visibility", "error-invalid")),
    };
    let status = parse_status(&form.status)?;
    submit(
        &ui,
        Command::PostMessage(TicketMessage {
            ticket: ticket.clone(),
            author: Author::Agent(me.clone()),
            public,
            body: body.to_owned(),
            channel: None,
            message: None,
        }),
    )
    .await?;
    if let Some(status) = status {
        submit(
            &ui,
            Command::ChangeTicket {
                ticket: ticket.clone(),
                by: Some(Author::Agent(me)),
                changes: TicketChanges {
                    status: Some(status),
                    ..TicketChanges::default()
                },
            },
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/tickets/{}", segment(&id))).into_response())
}

#[derive(Deserialize)]
struct UpdateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    tags: Option<String>,
}

/// Changes status, priority, assignee and tags; only what differs from the ticket is sent.
#[tracing::instrument(skip_all, fields(ticket = %id, agent = %user.id))]
async fn update(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let t = load_ticket(ui.app.store(), &id).await?;
    let me = Id::parse("agent", &user.id).map_err(|_| UiError::Forbidden)?;
    let mut changes = TicketChanges::default();
    if let Some(status) = parse_status(&form.status)?.filter(|s| *s != t.status) {
        changes.status = Some(status);
    }
    if !form.priority.is_empty() {
        let p = Priority::parse("priority", &form.priority)
            .map_err(|_| invalid("priority", "error-invalid"))?;
        if p != t.priority {
            changes.priority = Some(p);
        }
    }
    if let Some(raw) = form.assignee {
        let assignee = if raw.is_empty() {
            None
        } else {
            Some(Id::parse("assignee", &raw).map_err(|_| invalid("assignee", "error-invalid"))?)
        };
        if assignee != t.assignee {
            changes.assignee = Some(assignee);
        }
    }
    if let Some(raw) = form.tags {
        let tags = sanjeh_domain::normalize_tags(
            "tags",
            raw.split([',', ' ', '،'])
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
        )
        .map_err(|_| invalid("tags", "error-invalid-tags"))?;
        if tags != t.tags {
            changes.tags = Some(tags);
        }
    }
    if changes != TicketChanges::default() {
        submit(
            &ui,
            Command::ChangeTicket {
                ticket: t.id.clone(),
                by: Some(Author::Agent(me)),
                changes,
            },
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/tickets/{}", segment(&id))).into_response())
}
