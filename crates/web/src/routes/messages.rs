//! A ticket's messages: replies, customer messages and internal notes.

use super::{changed_ticket, json, recorded};
use crate::auth::{AnyRole, Caller, Worker};
use crate::dto::{ListDto, MessageDto, NewMessageBody, PostedMessageDto, rfc3339};
use crate::error::ApiError;
use crate::extract::{ApiJson, IdPath};
use crate::reply_files;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::get;
use sanjeh_domain::event::TicketMessage;
use sanjeh_domain::{Author, Command, EventBody, Id, to_millis};
use sanjeh_email::attachments::with_listing;
use sanjeh_store::auth::Role;
use sanjeh_store::{Outcome, Request};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/tickets/{id}/messages", get(list).post(post))
}

/// Internal notes are for the team: reporters see public messages only.
#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn list(
    State(state): State<AppState>,
    AnyRole(caller): AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<ListDto<MessageDto>>, ApiError> {
    if state.store.ticket(id.as_str()).await?.is_none() {
        return Err(ApiError::not_found(
            "ticket",
            format!("ticket {id} does not exist"),
        ));
    }
    let include_internal = caller.role() != Role::Reporter;
    let messages = state.store.messages(id.as_str(), include_internal).await?;
    Ok(Json(ListDto {
        items: messages.into_iter().map(MessageDto::from).collect(),
    }))
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn post(
    State(state): State<AppState>,
    Worker(caller): Worker,
    IdPath(id): IdPath,
    body: ApiJson<NewMessageBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let author = author(b.author.as_deref(), &caller)?;
    let files = if b.attachments.is_empty() {
        Vec::new()
    } else {
        // The limits a customer's mail meets (`PUT /api/v1/mail/inbound`).
        let limits = sanjeh_email::config::inbound(state.store()).await?;
        reply_files::check(b.attachments, &limits)?
    };
    // The message's text lists its files, as an inbound mail's does: the event log says
    // what came with it; the bytes are stored beside it.
    let text = if files.is_empty() {
        b.body
    } else {
        with_listing(&b.body, &reply_files::listed(&files))
    };
    let command = Command::PostMessage(TicketMessage {
        ticket: id.clone(),
        author,
        public: b.public,
        body: text,
        channel: b.channel,
        message: None,
    });
    let request = if files.is_empty() {
        Request::Command(command)
    } else {
        Request::CommandWithFiles { command, files }
    };
    let outcome = state.submit(request, body.idempotency).await?;
    let posted = posted(&outcome, &id)?;
    Ok(json(StatusCode::CREATED, posted, outcome.replayed))
}

/// Who wrote the message: as given, else the token's agent. An agent's token writes as that
/// agent or for a customer, bot or the system, never as another agent: replies are credited
/// to agents in the KPIs.
fn author(raw: Option<&str>, caller: &Caller) -> Result<Author, ApiError> {
    let author = match raw {
        Some(raw) => Author::parse("author", raw)?,
        None => caller.agent().map(Author::Agent).ok_or_else(|| {
            ApiError::invalid("author", "is required: this token is not bound to an agent")
        })?,
    };
    if caller.role() == Role::Agent
        && let (Some(own), Author::Agent(other)) = (caller.agent(), &author)
        && own != *other
    {
        return Err(ApiError::Forbidden {
            role: "agent",
            needed: "an admin token to write as another agent",
        });
    }
    Ok(author)
}

/// The message the request wrote, rebuilt from the outcome (its id is its event's sequence
/// number), with its ticket's status afterwards.
fn posted(outcome: &Outcome, ticket: &Id) -> Result<PostedMessageDto, ApiError> {
    let message = recorded(outcome)?
        .into_iter()
        .find_map(|(seq, event)| match event.body {
            EventBody::TicketMessage(m) if m.ticket == *ticket => Some(MessageDto {
                id: seq,
                ticket: m.ticket.to_string(),
                at: rfc3339(to_millis(event.at)),
                author: m.author.to_string(),
                public: m.public,
                channel: m.channel.map(|c| c.as_str().to_owned()),
                body: m.body,
            }),
            _ => None,
        })
        .ok_or_else(|| ApiError::internal(&"a posted message's outcome lacks the message"))?;
    Ok(PostedMessageDto {
        message,
        ticket_status: changed_ticket(outcome, Some(ticket))?.status,
    })
}
