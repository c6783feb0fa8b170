//! Macros: canned replies with placeholders that may also set status, priority and tags.
//!
//! A macro is a configuration event (`macro`, see docs/interchange.md): saving or deleting
//! one records the whole macro again, and the store folds the log's `macro` events into the
//! current set. Admins keep shared macros (no owner) and their own; agents keep their own
//! (personal). Everyone who works tickets may apply the shared ones and their own.

use super::{Choice, choice, invalid, submit_record};
use crate::Ui;
use crate::error::UiError;
use crate::pages::{Page, render};
use crate::session::{Role, User};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sanjeh_domain::event::{EventBody, Macro};
use sanjeh_domain::{Author, Id, Priority, Status, TicketState};
use serde::Deserialize;

pub(crate) fn routes() -> Router<Ui> {
    Router::new()
        .route("/macros", get(list).post(save))
        .route("/macros/{id}", get(edit))
        .route("/macros/{id}/delete", post(delete))
}

/// Whether `user` may apply `m` (shared, or their own).
pub(crate) fn usable(user: &User, m: &Macro) -> bool {
    m.owner.as_ref().is_none_or(|o| o.as_str() == user.id)
}

/// Whether `user` may change `m`: their own; shared ones only as an admin.
fn editable(user: &User, m: &Macro) -> bool {
    match &m.owner {
        Some(o) => o.as_str() == user.id,
        None => user.role == Role::Admin,
    }
}

/// The macros `user` may apply, by name.
pub(crate) async fn usable_macros(ui: &Ui, user: &User) -> Result<Vec<Macro>, UiError> {
    let mut all: Vec<Macro> = ui
        .app
        .store()
        .macros()
        .await?
        .into_iter()
        .filter(|m| usable(user, m))
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(all)
}

/// One macro usable by `user`, or not found.
pub(crate) async fn usable_macro(ui: &Ui, user: &User, id: &str) -> Result<Macro, UiError> {
    ui.app
        .store()
        .macros()
        .await?
        .into_iter()
        .find(|m| m.id.as_str() == id && usable(user, m))
        .ok_or(UiError::NotFound)
}

/// What a macro's placeholders are filled with.
pub(crate) struct Context<'a> {
    pub ticket: &'a TicketState,
    pub customer_name: &'a str,
    pub customer_email: &'a str,
    pub agent_id: &'a str,
    pub agent_name: &'a str,
}

/// The macro's text with its placeholders filled; unknown ones are left as written. The
/// result is plain text: the page escapes it like any other text.
pub(crate) fn fill(body: &str, c: &Context<'_>) -> String {
    let values = [
        ("customer.name", c.customer_name),
        ("customer.email", c.customer_email),
        ("ticket.id", c.ticket.id.as_str()),
        ("ticket.subject", c.ticket.subject.as_str()),
        ("agent.name", c.agent_name),
        ("agent.id", c.agent_id),
    ];
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

struct MacroRow {
    id: String,
    href: String,
    delete_action: String,
    name: String,
    body: String,
    shared: bool,
    actions: String,
    editable: bool,
}

#[derive(Template)]
#[template(path = "macros.html")]
struct MacrosTemplate {
    page: Page,
    rows: Vec<MacroRow>,
    /// The form: a new macro, or the one being edited.
    form: MacroForm,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    can_share: bool,
    placeholders: Vec<&'static str>,
}

#[derive(Default, Deserialize)]
struct MacroForm {
    #[serde(default)]
    csrf: String,
    /// Empty: a new macro.
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    body: String,
    /// `on` when shared with the team (admins only).
    #[serde(default)]
    shared: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    tags: String,
}

fn actions_text(page: &Page, m: &Macro) -> String {
    let mut parts = Vec::new();
    if let Some(s) = m.status {
        parts.push(page.vocab("status", s.as_str()));
    }
    if let Some(p) = m.priority {
        parts.push(page.vocab("priority", p.as_str()));
    }
    if !m.tags.is_empty() {
        parts.push(format!("+{}", m.tags.join(" +")));
    }
    parts.join(" · ")
}

async fn page_with(ui: &Ui, user: &User, form: MacroForm) -> Result<Response, UiError> {
    let page = Page::signed_in(ui, user, "macros-title", "/macros".into());
    let rows = usable_macros(ui, user)
        .await?
        .iter()
        .map(|m| MacroRow {
            id: m.id.to_string(),
            href: format!("/macros/{}", crate::pages::tickets::segment(m.id.as_str())),
            delete_action: format!(
                "/macros/{}/delete",
                crate::pages::tickets::segment(m.id.as_str())
            ),
            name: m.name.clone(),
            body: m.body.clone(),
            shared: m.owner.is_none(),
            actions: actions_text(&page, m),
            editable: editable(user, m),
        })
        .collect();
    let statuses = std::iter::once(choice("", page.t("macro-keep"), form.status.is_empty()))
        .chain(Status::ALL.iter().filter(|s| **s != Status::New).map(|s| {
            choice(
                s.as_str(),
                page.vocab("status", s.as_str()),
                form.status == s.as_str(),
            )
        }))
        .collect();
    let priorities = std::iter::once(choice("", page.t("macro-keep"), form.priority.is_empty()))
        .chain(Priority::ALL.iter().map(|p| {
            choice(
                p.as_str(),
                page.vocab("priority", p.as_str()),
                form.priority == p.as_str(),
            )
        }))
        .collect();
    let template = MacrosTemplate {
        rows,
        form,
        statuses,
        priorities,
        can_share: user.role == Role::Admin,
        placeholders: vec![
            "{{customer.name}}",
            "{{customer.email}}",
            "{{ticket.id}}",
            "{{ticket.subject}}",
            "{{agent.name}}",
            "{{agent.id}}",
        ],
        page,
    };
    Ok(render(&template))
}

async fn list(State(ui): State<Ui>, user: User) -> Result<Response, UiError> {
    user.require_tickets()?;
    page_with(&ui, &user, MacroForm::default()).await
}

async fn edit(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    user.require_tickets()?;
    let m = usable_macro(&ui, &user, &id).await?;
    if !editable(&user, &m) {
        return Err(UiError::Forbidden);
    }
    let form = MacroForm {
        id: m.id.to_string(),
        name: m.name,
        body: m.body,
        shared: if m.owner.is_none() {
            "on".into()
        } else {
            String::new()
        },
        status: m.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        priority: m
            .priority
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        tags: m.tags.join(", "),
        csrf: String::new(),
    };
    page_with(&ui, &user, form).await
}

/// Splits a tags field (commas, spaces or Persian commas) into normalized tags.
pub(crate) fn parse_tags(raw: &str) -> Result<Vec<String>, UiError> {
    sanjeh_domain::normalize_tags(
        "tags",
        raw.split([',', ' ', '،'])
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
    )
    .map_err(|_| invalid("tags", "error-invalid-tags"))
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn save(
    State(ui): State<Ui>,
    user: User,
    Form(form): Form<MacroForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let me = Id::parse("agent", &user.id).map_err(|_| UiError::Forbidden)?;
    let shared = form.shared == "on";
    if shared && user.role != Role::Admin {
        return Err(UiError::Forbidden);
    }
    let id = if form.id.is_empty() {
        Id::parse(
            "macro",
            &format!("MAC-{}", hex::encode(rand::random::<[u8; 6]>())),
        )
        .map_err(|_| invalid("id", "error-invalid"))?
    } else {
        let existing = usable_macro(&ui, &user, &form.id).await?;
        if !editable(&user, &existing) {
            return Err(UiError::Forbidden);
        }
        existing.id
    };
    let status = match form.status.as_str() {
        "" => None,
        raw => Some(Status::parse("status", raw).map_err(|_| invalid("status", "error-invalid"))?),
    };
    let priority = match form.priority.as_str() {
        "" => None,
        raw => Some(
            Priority::parse("priority", raw).map_err(|_| invalid("priority", "error-invalid"))?,
        ),
    };
    let m = Macro::checked(Macro {
        id,
        name: form.name.trim().to_owned(),
        body: form.body.replace("\r\n", "\n"),
        owner: (!shared).then(|| me.clone()),
        status,
        priority,
        tags: parse_tags(&form.tags)?,
        deleted: false,
        by: Some(Author::Agent(me)),
    })
    .map_err(|e| match e.field.as_str() {
        "name" => invalid("name", "error-macro-name"),
        _ => invalid("body", "error-invalid"),
    })?;
    submit_record(&ui, EventBody::Macro(m)).await?;
    Ok(Redirect::to("/macros").into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[tracing::instrument(skip_all, fields(agent = %user.id))]
async fn delete(
    State(ui): State<Ui>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    user.check_csrf(&form.csrf)?;
    user.require_tickets()?;
    let mut m = usable_macro(&ui, &user, &id).await?;
    if !editable(&user, &m) {
        return Err(UiError::Forbidden);
    }
    let me = Id::parse("agent", &user.id).map_err(|_| UiError::Forbidden)?;
    m.deleted = true;
    m.by = Some(Author::Agent(me));
    submit_record(&ui, EventBody::Macro(m)).await?;
    Ok(Redirect::to("/macros").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanjeh_domain::event::TicketCreated;
    use sanjeh_domain::{Channel, Priority};

    #[test]
    fn fills_known_placeholders_and_keeps_the_rest() {
        let created = TicketCreated {
            ticket: Id::parse("id", "T-7").unwrap(),
            customer: None,
            organization: None,
            channel: Channel::Email,
            priority: Priority::Normal,
            group: None,
            subject: Some("Refund".into()),
            tags: vec![],
            kind: None,
            by: None,
        };
        let t = TicketState::create(&created, 0);
        let c = Context {
            ticket: &t,
            customer_name: "Nima",
            customer_email: "n@example.com",
            agent_id: "A-1",
            agent_name: "Sara",
        };
        assert_eq!(
            fill(
                "Hi {{customer.name}}, re {{ ticket.id }} ({{ticket.subject}}). {{agent.name}} {{nope}} {{",
                &c
            ),
            "Hi Nima, re T-7 (Refund). Sara {{nope}} {{"
        );
    }
}
