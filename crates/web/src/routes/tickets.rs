//! Tickets: create, read, list with filters, change, merge.

use super::{changed_ticket, created, json, opt_id, page_limit, query_id, tags, text};
use crate::auth::{AnyRole, Caller, Worker};
use crate::dto::{
    MergeBody, MergedDto, NewTicketBody, PageDto, TicketDto, TicketPatchBody, TicketQuery,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::ids;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Json, Response};
use axum::routing::{get, post};
use sanjeh_domain::command::NewTicket;
use sanjeh_domain::event::TicketCreated;
use sanjeh_domain::{
    Author, Channel, Command, DomainError, Id, Priority, TicketChanges, to_millis,
};
use sanjeh_store::{Request, StoreError, TicketFilter};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tickets", get(list).post(create))
        .route("/tickets/{id}", get(show).patch(update))
        .route("/tickets/{id}/merge", post(merge))
}

/// The longest subject accepted, in bytes (the domain's bound on a changed subject).
const MAX_SUBJECT: usize = 1024;

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    _: AnyRole,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<PageDto<TicketDto>>, ApiError> {
    let filter = TicketFilter {
        status: q.status,
        assignee: query_id("assignee", q.assignee)?,
        group: query_id("group", q.group)?,
        channel: q.channel,
        customer: query_id("customer", q.customer)?,
        updated_since: q.updated_since.map(to_millis),
        cursor: q.cursor,
        limit: page_limit(q.limit)?,
        ..TicketFilter::default()
    };
    let page = state.store.tickets(&filter).await?;
    Ok(Json(PageDto {
        items: page.items.iter().map(TicketDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn show(
    State(state): State<AppState>,
    _: AnyRole,
    IdPath(id): IdPath,
) -> Result<Json<TicketDto>, ApiError> {
    let ticket = state
        .store
        .ticket(id.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("ticket", format!("ticket {id} does not exist")))?;
    Ok(Json(TicketDto::from(&ticket)))
}

#[tracing::instrument(skip_all, fields(ticket))]
async fn create(
    State(state): State<AppState>,
    Worker(caller): Worker,
    body: ApiJson<NewTicketBody>,
) -> Result<Response, ApiError> {
    let command = new_ticket(body.value, &caller)?;
    tracing::Span::current().record("ticket", command.ticket().as_str());
    let outcome = state
        .submit(Request::Command(command), body.idempotency)
        .await?;
    // From the outcome, not the command: a replay answers with the ticket first created.
    let ticket = changed_ticket(&outcome, None)?;
    let location = format!("/api/v1/tickets/{}", ids::path_segment(ticket.id.as_str()));
    Ok(created(
        &location,
        TicketDto::from(ticket),
        outcome.replayed,
    ))
}

/// A new ticket from the API: a customer's, unless `outbound` (then the token's agent's).
fn new_ticket(b: NewTicketBody, caller: &Caller) -> Result<Command, ApiError> {
    let ticket = match b.id {
        Some(raw) => Id::parse("id", &raw)?,
        None => Id::parse("id", &ids::generate("T-"))?,
    };
    let by = if b.outbound {
        let agent = caller.agent().ok_or_else(|| {
            ApiError::invalid(
                "outbound",
                "an outbound ticket is opened by the token's agent, and this token has none",
            )
        })?;
        Some(Author::Agent(agent))
    } else {
        None
    };
    let created = TicketCreated {
        ticket,
        customer: opt_id("customer", b.customer)?,
        organization: opt_id("organization", b.organization)?,
        channel: b.channel.unwrap_or(Channel::Api),
        priority: b.priority.unwrap_or(Priority::Normal),
        group: opt_id("group", b.group)?,
        subject: Some(text("subject", b.subject, MAX_SUBJECT)?),
        tags: b.tags.map(tags).transpose()?.unwrap_or_default(),
        kind: b.kind,
        by,
    };
    Ok(Command::CreateTicket(NewTicket {
        created,
        body: b.body,
        assignee: opt_id("assignee", b.assignee)?,
    }))
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn update(
    State(state): State<AppState>,
    Worker(caller): Worker,
    IdPath(id): IdPath,
    body: ApiJson<TicketPatchBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let changes = TicketChanges {
        status: b.status,
        priority: b.priority,
        assignee: b.assignee.map(|a| opt_id("assignee", a)).transpose()?,
        group: opt_id("group", b.group)?,
        tags: b.tags.map(tags).transpose()?,
        kind: b.kind,
        subject: b
            .subject
            .map(|s| text("subject", s, MAX_SUBJECT))
            .transpose()?,
    };
    let command = Command::ChangeTicket {
        ticket: id.clone(),
        by: Some(caller.author()),
        changes,
    };
    let outcome = state
        .submit(Request::Command(command), body.idempotency)
        .await?;
    let ticket = changed_ticket(&outcome, Some(&id))?;
    Ok(json(
        StatusCode::OK,
        TicketDto::from(ticket),
        outcome.replayed,
    ))
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
async fn merge(
    State(state): State<AppState>,
    Worker(caller): Worker,
    IdPath(id): IdPath,
    body: ApiJson<MergeBody>,
) -> Result<Response, ApiError> {
    let into = Id::parse("into", &body.value.into)?;
    let command = Command::Merge {
        ticket: id.clone(),
        into: into.clone(),
        by: Some(caller.author()),
    };
    let outcome = state
        .writer
        .submit(Request::Command(command), body.idempotency)
        .await
        .map_err(|e| match e {
            // The path names the ticket; an unknown target is a bad field of the body.
            StoreError::Domain(DomainError::UnknownTicket(t)) if t == into.as_str() => {
                ApiError::invalid("into", format!("ticket {t} does not exist"))
            }
            other => other.into(),
        })?;
    let merged = MergedDto {
        ticket: TicketDto::from(changed_ticket(&outcome, Some(&id))?),
        into: TicketDto::from(changed_ticket(&outcome, Some(&into))?),
    };
    Ok(json(StatusCode::OK, merged, outcome.replayed))
}
