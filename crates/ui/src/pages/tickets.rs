//! The agent workspace: ticket views (built-in and saved filters, with SLA badges), the
//! ticket page with the whole conversation (and the messages of tickets merged into it), the
//! customer's history across channels, SLA badges, macros, merge and opportunities, and the
//! forms that reply, add an internal note and change status, priority, assignee and tags.
//!
//! Changes go to the store's writer as domain commands, exactly as the REST API sends them;
//! reads use the store's reads. Nothing here writes SQL.

use super::workspace::macros::{Context, fill, usable_macro, usable_macros};
use super::workspace::sla::{Badge, badge, badges};
use super::workspace::views::{self, ListQuery, View};
use super::workspace::{Choice, choice};
use super::{Page, render};
use crate::Ui;
use crate::error::UiError;
use crate::i18n::DateText;
use crate::session::{User, now_ms};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanjeh_domain::event::{Macro, TicketMessage};
use sanjeh_domain::{Author, Channel, Command, Id, Priority, Status, TicketChanges, TicketState};
use sanjeh_store::read::AgentView;
use sanjeh_store::sla::State as SlaState;
use sanjeh_store::{Request, Store};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/tickets", get(list))
        .route("/tickets/{id}", get(show).post(update))
        .route("/tickets/{id}/messages", post(reply))
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

/// A tab of the list: a built-in view or a saved filter.
struct Tab {
    href: String,
    label: String,
    active: bool,
    shared: bool,
    /// Where to post to delete it (saved filters the user may delete).
    delete: Option<String>,
    delete_label: String,
}

struct ListRow {
    row: Row,
    badges: Vec<Badge>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListTemplate {
    page: Page,
    tabs: Vec<Tab>,
    saved: Vec<Tab>,
    rows: Vec<ListRow>,
    count: String,
    next: Option<String>,
    filter: ListQuery,
    filtering: bool,
    statuses: Vec<Choice>,
    assignees: Vec<Choice>,
    groups: Vec<Choice>,
    channels: Vec<Choice>,
    priorities: Vec<Choice>,
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn list(
    State(ui): State<Ui>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    user.require_tickets()?;
    let store = ui.app.store();
    let view = q.view();
    let (tickets, next_cursor) = views::page(store, &q, &user.id).await?;
    let qs = q.query_string();
    let agents = store.agents().await?;
    let names = agent_names(&agents);
    let page = Page::signed_in(&ui, &user, "tickets-title", format!("/tickets?{qs}"));
    let now = now_ms();
    let ids: Vec<&str> = tickets.iter().map(|t| t.id.as_str()).collect();
    let mut statuses = store.sla_statuses_of(&ids, now).await?;
    let mut rows = Vec::with_capacity(tickets.len());
    for t in &tickets {
        let mut r = row(&page, t, &names);
        r.href = format!("{}?{qs}", r.href);
        // The list shows what is still owed; the ticket page shows every target.
        let badges = statuses
            .remove(t.id.as_str())
            .unwrap_or_default()
            .iter()
            .filter(|s| {
                matches!(s.state, SlaState::Active | SlaState::Paused)
                    || (s.state == SlaState::Breached && s.ended_at.is_none())
            })
            .map(|s| badge(&page, s, now))
            .collect();
        rows.push(ListRow { row: r, badges });
    }
    let current = format!("/tickets?{qs}");
    let tabs = View::BUILT_IN
        .iter()
        .map(|v| Tab {
            href: format!("/tickets?view={}", v.code()),
            label: page.t(&format!("view-{}", v.code())),
            active: *v == view,
            shared: false,
            delete: None,
            delete_label: String::new(),
        })
        .collect();
    let saved = store
        .saved_filters(&user.id)
        .await?
        .into_iter()
        .map(|f| {
            let href = format!("/tickets?{}", f.query);
            Tab {
                active: href == current,
                delete: (f.owner == user.id || user.role == crate::session::Role::Admin)
                    .then(|| format!("/filters/{}/delete", segment(&f.id))),
                shared: f.shared,
                delete_label: page
                    .lang
                    .t_args("filter-delete", &[("name", f.name.clone())]),
                label: f.name,
                href,
            }
        })
        .collect();
    let sel = |value: &str, label: String, current: &str| choice(value, label, value == current);
    let statuses = [
        ("", page.t("filter-any")),
        ("unsolved", page.t("filter-unsolved")),
    ]
    .into_iter()
    .chain(
        Status::ALL
            .iter()
            .map(|s| (s.as_str(), page.vocab("status", s.as_str()))),
    )
    .map(|(v, l)| sel(v, l, &q.status))
    .collect();
    let assignees = [
        ("", page.t("filter-anyone")),
        ("none", page.t("unassigned")),
        ("me", page.t("filter-me")),
    ]
    .into_iter()
    .map(|(v, l)| sel(v, l, &q.assignee))
    .chain(
        agents
            .iter()
            .filter(|a| a.role.as_deref() != Some("manager"))
            .map(|a| {
                sel(
                    &a.id,
                    a.name.clone().unwrap_or_else(|| a.id.clone()),
                    &q.assignee,
                )
            }),
    )
    .collect();
    let groups = std::iter::once(sel("", page.t("filter-any"), &q.group))
        .chain(
            store
                .groups()
                .await?
                .into_iter()
                .map(|g| sel(&g.id, g.name.unwrap_or_else(|| g.id.clone()), &q.group)),
        )
        .collect();
    let channels = std::iter::once(sel("", page.t("filter-any"), &q.channel))
        .chain(
            Channel::ALL
                .iter()
                .map(|c| sel(c.as_str(), page.vocab("channel", c.as_str()), &q.channel)),
        )
        .collect();
    let priorities = std::iter::once(sel("", page.t("filter-any"), &q.priority))
        .chain(
            Priority::ALL
                .iter()
                .map(|p| sel(p.as_str(), page.vocab("priority", p.as_str()), &q.priority)),
        )
        .collect();
    let template = ListTemplate {
        count: page.lang.t_count("tickets-count", rows.len() as u64),
        rows,
        tabs,
        saved,
        next: next_cursor.map(|c| format!("/tickets?{qs}&cursor={c}")),
        filtering: view == View::Filter,
        filter: q,
        statuses,
        assignees,
        groups,
        channels,
        priorities,
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
    /// The ticket it was written on, when that ticket was merged into this one.
    merged_from: Option<String>,
}

struct HistoryItem {
    at: DateText,
    text: String,
    href: Option<String>,
}

struct OpportunityRow {
    at: DateText,
    kind: String,
    amount: String,
    stage: String,
    agent: String,
}

/// What the reply form holds when the page is rendered: empty, or filled by a macro.
#[derive(Default)]
pub(crate) struct Draft {
    pub body: String,
    pub internal: bool,
    /// The macro applied: its text is in `body`; its actions apply when the reply is sent.
    pub apply: Option<Macro>,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketTemplate {
    page: Page,
    ticket: Row,
    action: String,
    reply_action: String,
    macro_action: String,
    merge_action: String,
    opportunity_action: String,
    channel: String,
    customer: String,
    created: DateText,
    tags: String,
    badges: Vec<Badge>,
    messages: Vec<MessageRow>,
    others: Vec<Row>,
    surveys: Vec<HistoryItem>,
    calls: Vec<HistoryItem>,
    opportunities: Vec<OpportunityRow>,
    statuses: Vec<Choice>,
    reply_statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    assignees: Vec<Choice>,
    macros: Vec<Choice>,
    draft: Draft,
    draft_actions: String,
    prev: Option<String>,
    next: Option<String>,
    back: String,
    closed: bool,
}

pub(crate) async fn load_ticket(store: &Store, id: &str) -> Result<TicketState, UiError> {
    store.ticket(id).await?.ok_or(UiError::NotFound)
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn show(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    ticket_page(&ui, &user, &id, &q, Draft::default()).await
}

fn message_author(
    page: &Page,
    m: &sanjeh_store::read::MessageView,
    names: &HashMap<String, String>,
    customer_id: Option<&str>,
    customer: &str,
) -> String {
    match m.author_kind.as_str() {
        "agent" => m
            .author_id
            .as_ref()
            .map(|a| names.get(a).cloned().unwrap_or_else(|| a.clone()))
            .unwrap_or_default(),
        "customer" if m.author_id.as_deref() == customer_id => customer.to_owned(),
        "customer" => m.author_id.clone().unwrap_or_default(),
        other => page.vocab("author", other),
    }
}

/// The ticket page; `q` is the view it was opened from (for the next and previous ticket).
pub(crate) async fn ticket_page(
    ui: &Ui,
    user: &User,
    id: &str,
    q: &ListQuery,
    draft: Draft,
) -> Result<Response, UiError> {
    user.require_tickets()?;
    let store = ui.app.store();
    let t = load_ticket(store, id).await?;
    let agents = store.agents().await?;
    let names = agent_names(&agents);
    let profile = match &t.customer {
        Some(c) => store.customer(c.as_str()).await?,
        None => None,
    };
    let customer = profile
        .as_ref()
        .and_then(|v| v.name.clone())
        .or_else(|| t.customer.as_ref().map(ToString::to_string))
        .unwrap_or_default();
    let href = format!("/tickets/{}", segment(t.id.as_str()));
    let qs = q.query_string();
    let page = Page::signed_in(ui, user, "ticket-title", href.clone());
    let customer_id = t.customer.as_ref().map(|c| c.as_str());
    // One conversation row; `merged_from` names the ticket merged into this one it came from.
    let row_of = |m: sanjeh_store::read::MessageView, merged_from: Option<String>| {
        (
            m.id,
            MessageRow {
                author: message_author(&page, &m, &names, customer_id, &customer),
                internal: !m.public,
                channel: m
                    .channel
                    .as_deref()
                    .map(|c| page.vocab("channel", c))
                    .unwrap_or_default(),
                at: page.lang.datetime(m.at, &page.tz),
                body: m.body,
                merged_from,
            },
        )
    };
    let mut messages: Vec<(i64, MessageRow)> = store
        .messages(t.id.as_str(), true)
        .await?
        .into_iter()
        .map(|m| row_of(m, None))
        .collect();
    // Tickets merged into this one keep their messages; they show here in time order.
    for source in store.merged_into(t.id.as_str()).await? {
        for m in store.messages(&source, true).await? {
            messages.push(row_of(m, Some(source.clone())));
        }
    }
    messages.sort_by_key(|(seq, _)| *seq);
    let messages = messages.into_iter().map(|(_, m)| m).collect();
    let (others, surveys, calls) = match &t.customer {
        Some(c) => {
            let filter = sanjeh_store::TicketFilter {
                customer: Some(c.clone()),
                limit: 50,
                descending: true,
                ..sanjeh_store::TicketFilter::default()
            };
            let others = store
                .tickets(&filter)
                .await?
                .items
                .iter()
                .filter(|o| o.id != t.id)
                .map(|o| row(&page, o, &names))
                .collect();
            let surveys = store
                .customer_surveys(c.as_str())
                .await?
                .into_iter()
                .map(|s| HistoryItem {
                    at: page.lang.datetime(s.at, &page.tz),
                    text: page.lang.t_args(
                        "history-survey",
                        &[
                            ("survey", s.survey.to_uppercase()),
                            (
                                "score",
                                s.score
                                    .map(|n| page.lang.int(n))
                                    .or_else(|| {
                                        s.rating.as_deref().map(|r| page.t(&format!("rating-{r}")))
                                    })
                                    .unwrap_or_default(),
                            ),
                            ("comment", s.comment.unwrap_or_default()),
                        ],
                    ),
                    href: s.ticket.map(|t| format!("/tickets/{}", segment(&t))),
                })
                .collect();
            let calls = store
                .customer_calls(c.as_str())
                .await?
                .into_iter()
                .map(|call| {
                    let at = call
                        .queued_at
                        .or(call.answered_at)
                        .or(call.ended_at)
                        .unwrap_or(0);
                    let key = if call.abandoned_at.is_some() {
                        "history-call-abandoned"
                    } else if call.answered_at.is_some() {
                        "history-call-answered"
                    } else {
                        "history-call-queued"
                    };
                    let talk = match (call.answered_at, call.ended_at) {
                        (Some(a), Some(e)) if e >= a => page.lang.duration((e - a) as f64 / 1000.0),
                        _ => page.t("no-value"),
                    };
                    HistoryItem {
                        at: page.lang.datetime(at, &page.tz),
                        text: page.lang.t_args(
                            key,
                            &[
                                ("call", call.id),
                                (
                                    "agent",
                                    call.agent
                                        .map(|a| names.get(&a).cloned().unwrap_or(a))
                                        .unwrap_or_default(),
                                ),
                                ("talk", talk),
                            ],
                        ),
                        href: None,
                    }
                })
                .collect();
            (others, surveys, calls)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let opportunities = store
        .ticket_opportunities(t.id.as_str())
        .await?
        .into_iter()
        .map(|o| OpportunityRow {
            at: page.lang.datetime(o.at, &page.tz),
            kind: page.t(&format!("opportunity-{}", o.kind)),
            amount: format!("{} {}", page.lang.digits(&o.amount), o.currency),
            stage: page.t(&format!("stage-{}", o.status)),
            agent: o
                .agent
                .map(|a| names.get(&a).cloned().unwrap_or(a))
                .unwrap_or_default(),
        })
        .collect();
    let badges = badges(store, &page, &t.id, now_ms()).await?;
    let statuses = Status::ALL
        .iter()
        .filter(|s| **s == t.status || t.status.can_become(**s))
        .map(|s| choice(s.as_str(), page.vocab("status", s.as_str()), *s == t.status))
        .collect();
    let macro_status = draft.apply.as_ref().and_then(|m| m.status);
    let reply_statuses = std::iter::once(choice(
        "",
        page.t("reply-keep-status"),
        macro_status.is_none(),
    ))
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
                Some(*s) == macro_status,
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
    let applied = draft.apply.as_ref().map(|m| m.id.to_string());
    let macros = usable_macros(ui, user)
        .await?
        .into_iter()
        .map(|m| {
            let selected = applied.as_deref() == Some(m.id.as_str());
            choice(m.id.as_str(), m.name, selected)
        })
        .collect();
    let mut draft = draft;
    let draft_actions = draft
        .apply
        .as_ref()
        .map(|m| {
            page.lang
                .t_args("macro-will", &[("actions", macro_actions(&page, m))])
        })
        .unwrap_or_default();
    if let Some(m) = &draft.apply {
        let filled = fill(
            &m.body,
            &Context {
                ticket: &t,
                customer_name: &customer,
                customer_email: profile
                    .as_ref()
                    .and_then(|p| p.email.as_deref())
                    .unwrap_or(""),
                agent_id: &user.id,
                agent_name: &user.name,
            },
        );
        draft.body = if draft.body.trim().is_empty() {
            filled
        } else {
            format!("{}\n\n{filled}", draft.body.trim_end())
        };
    }
    let (prev, next) = views::neighbours(store, q, &user.id, &t).await?;
    let with_qs = |id: String| format!("/tickets/{}?{qs}", segment(&id));
    let template = TicketTemplate {
        ticket: row(&page, &t, &names),
        action: href.clone(),
        reply_action: format!("{href}/messages"),
        macro_action: format!("{href}/macro"),
        merge_action: format!("{href}/merge"),
        opportunity_action: format!("{href}/opportunities"),
        channel: page.vocab("channel", t.channel.as_str()),
        customer,
        created: page.lang.datetime(t.created_at, &page.tz),
        tags: t.tags.join(", "),
        badges,
        messages,
        others,
        surveys,
        calls,
        opportunities,
        statuses,
        reply_statuses,
        priorities,
        assignees,
        macros,
        draft,
        draft_actions,
        prev: prev.map(with_qs),
        next: next.map(with_qs),
        back: format!("/tickets?{qs}"),
        closed: t.status == Status::Closed,
        page,
    };
    Ok(render(&template))
}

/// What applying a macro will also do, in words ("Set status to Solved · High · +refund").
fn macro_actions(page: &Page, m: &Macro) -> String {
    let mut parts = Vec::new();
    if let Some(s) = m.status {
        parts.push(page.lang.t_args(
            "reply-set-status",
            &[("status", page.vocab("status", s.as_str()))],
        ));
    }
    if let Some(p) = m.priority {
        parts.push(page.vocab("priority", p.as_str()));
    }
    if !m.tags.is_empty() {
        parts.push(format!("+{}", m.tags.join(" +")));
    }
    parts.join(" · ")
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
    /// A status to set after the reply; empty keeps it (or takes the macro's).
    #[serde(default)]
    status: String,
    /// The macro applied to this reply: its priority and tags (and its status, unless one
    /// is chosen here) are set after the reply.
    #[serde(default, rename = "macro")]
    macro_id: String,
}

pub(crate) async fn submit(ui: &Ui, command: Command) -> Result<(), UiError> {
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
    let applied = if form.macro_id.is_empty() {
        None
    } else {
        Some(usable_macro(&ui, &user, &form.macro_id).await?)
    };
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
    let mut changes = TicketChanges {
        status: status.or(applied.as_ref().and_then(|m| m.status)),
        ..TicketChanges::default()
    };
    if let Some(m) = &applied {
        let t = load_ticket(ui.app.store(), &id).await?;
        changes.priority = m.priority.filter(|p| *p != t.priority);
        if m.tags.iter().any(|tag| !t.tags.contains(tag)) {
            let mut tags = t.tags.clone();
            tags.extend(m.tags.iter().filter(|tag| !t.tags.contains(tag)).cloned());
            changes.tags = Some(tags);
        }
        if changes.status == Some(t.status) {
            changes.status = None;
        }
    }
    if changes != TicketChanges::default() {
        submit(
            &ui,
            Command::ChangeTicket {
                ticket: ticket.clone(),
                by: Some(Author::Agent(me)),
                changes,
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
        let tags = super::workspace::macros::parse_tags(&raw)?;
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
