//! Rows as they are stored, and their conversion to and from the domain's types.
//! The `FromRow` derives are generic, so the same structs decode on SQLite and PostgreSQL.

use crate::error::StoreError;
use sanjeh_domain::{Channel, Id, Kind, Priority, Status, TicketFacts, TicketState};

/// The columns of `tickets` joined with `ticket_facts`, as selected by [`TICKET_COLUMNS`].
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TicketRow {
    pub id: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub kind: Option<String>,
    pub group_id: Option<String>,
    pub assignee: Option<String>,
    pub customer: Option<String>,
    pub organization: Option<String>,
    pub tags: String,
    pub merged_into: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub outbound: bool,
    pub first_reply_at: Option<i64>,
    pub first_reply_by: Option<String>,
    pub first_solved_at: Option<i64>,
    pub last_solved_at: Option<i64>,
    pub solved_by: Option<String>,
    pub solves: i64,
    pub reopens: i64,
    pub agent_replies: i64,
    pub customer_messages: i64,
    pub internal_notes: i64,
    pub bot_messages: i64,
    pub assignments: i64,
    pub first_assigned_at: Option<i64>,
    pub new_ms: i64,
    pub open_ms: i64,
    pub pending_ms: i64,
    pub on_hold_ms: i64,
    pub solved_ms: i64,
    pub closed_ms: i64,
    pub status_since: i64,
    pub handle_ms: Option<i64>,
    pub requester_wait_ms: Option<i64>,
    pub awaiting_since: Option<i64>,
    pub last_customer_message_at: Option<i64>,
    pub last_agent_reply_at: Option<i64>,
    pub merged_at: Option<i64>,
}

/// The select list and join that [`TicketRow`] decodes.
pub(crate) const TICKET_SELECT: &str = "SELECT t.id, t.subject, t.status, t.priority, t.channel, \
     t.kind, t.group_id, t.assignee, t.customer, t.organization, t.tags, t.merged_into, \
     t.created_at, t.updated_at, f.outbound, f.first_reply_at, f.first_reply_by, \
     f.first_solved_at, f.last_solved_at, f.solved_by, f.solves, f.reopens, f.agent_replies, \
     f.customer_messages, f.internal_notes, f.bot_messages, f.assignments, f.first_assigned_at, \
     f.new_ms, f.open_ms, f.pending_ms, f.on_hold_ms, f.solved_ms, f.closed_ms, f.status_since, \
     f.handle_ms, f.requester_wait_ms, f.awaiting_since, f.last_customer_message_at, \
     f.last_agent_reply_at, f.merged_at \
     FROM tickets t JOIN ticket_facts f ON f.ticket = t.id";

/// An identifier read back from the database (a bad one means the store is corrupt).
pub(crate) fn id(field: &str, raw: String) -> Result<Id, StoreError> {
    Id::parse(field, &raw).map_err(|e| StoreError::corrupt(e.to_string()))
}

fn opt_id(field: &str, raw: Option<String>) -> Result<Option<Id>, StoreError> {
    raw.map(|r| id(field, r)).transpose()
}

fn parsed<T>(
    raw: &str,
    field: &str,
    parse: fn(&str, &str) -> Result<T, sanjeh_domain::FieldError>,
) -> Result<T, StoreError> {
    parse(field, raw).map_err(|e| StoreError::corrupt(e.to_string()))
}

impl TryFrom<TicketRow> for TicketState {
    type Error = StoreError;

    fn try_from(r: TicketRow) -> Result<TicketState, StoreError> {
        let facts = TicketFacts {
            created_at: r.created_at,
            outbound: r.outbound,
            first_reply_at: r.first_reply_at,
            first_reply_by: opt_id("first_reply_by", r.first_reply_by)?,
            first_solved_at: r.first_solved_at,
            last_solved_at: r.last_solved_at,
            solved_by: opt_id("solved_by", r.solved_by)?,
            solves: r.solves,
            reopens: r.reopens,
            agent_replies: r.agent_replies,
            customer_messages: r.customer_messages,
            internal_notes: r.internal_notes,
            bot_messages: r.bot_messages,
            assignments: r.assignments,
            first_assigned_at: r.first_assigned_at,
            status_ms: [
                r.new_ms,
                r.open_ms,
                r.pending_ms,
                r.on_hold_ms,
                r.solved_ms,
                r.closed_ms,
            ],
            status_since: r.status_since,
            handle_ms: r.handle_ms,
            requester_wait_ms: r.requester_wait_ms,
            awaiting_since: r.awaiting_since,
            last_customer_message_at: r.last_customer_message_at,
            last_agent_reply_at: r.last_agent_reply_at,
            merged_at: r.merged_at,
        };
        Ok(TicketState {
            id: id("id", r.id)?,
            subject: r.subject,
            status: parsed(&r.status, "status", Status::parse)?,
            priority: parsed(&r.priority, "priority", Priority::parse)?,
            channel: parsed(&r.channel, "channel", Channel::parse)?,
            kind: r
                .kind
                .as_deref()
                .map(|k| parsed(k, "kind", Kind::parse))
                .transpose()?,
            group: opt_id("group", r.group_id)?,
            assignee: opt_id("assignee", r.assignee)?,
            customer: opt_id("customer", r.customer)?,
            organization: opt_id("organization", r.organization)?,
            tags: serde_json::from_str(&r.tags)
                .map_err(|e| StoreError::corrupt(format!("tags: {e}")))?,
            merged_into: opt_id("merged_into", r.merged_into)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
            facts,
        })
    }
}

/// Tags (and other lists) are stored as a JSON array.
pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}
