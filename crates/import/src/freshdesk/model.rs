//! The Freshdesk API v2 objects the converter reads, with only the fields it uses. Every field
//! is optional so that a record missing one is reported as skipped rather than rejecting the
//! file.

use crate::json_stream::SourceId;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
pub struct Ticket {
    pub id: Option<SourceId>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub source: Option<i64>,
    pub requester_id: Option<SourceId>,
    pub responder_id: Option<SourceId>,
    pub group_id: Option<SourceId>,
    pub company_id: Option<SourceId>,
    pub subject: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The older API's name for `type`.
    pub ticket_type: Option<String>,
    pub tags: Option<Vec<String>>,
    pub description_text: Option<String>,
    pub description: Option<String>,
    /// Given with `include=stats`: when the ticket was resolved, closed, reopened.
    pub stats: Option<Stats>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Stats {
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub reopened_at: Option<String>,
    pub pending_since: Option<String>,
    pub status_updated_at: Option<String>,
}

/// A reply, note or incoming message of a ticket.
#[derive(Debug, Deserialize)]
pub struct Conversation {
    pub id: Option<SourceId>,
    pub ticket_id: Option<SourceId>,
    pub user_id: Option<SourceId>,
    pub incoming: Option<bool>,
    pub private: Option<bool>,
    pub body_text: Option<String>,
    pub body: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Contact {
    pub id: Option<SourceId>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub company_id: Option<SourceId>,
    pub language: Option<String>,
    /// Old API: a contact that is an agent.
    pub helpdesk_agent: Option<bool>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Agent {
    pub id: Option<SourceId>,
    pub contact: Option<AgentContact>,
    pub group_ids: Option<Vec<SourceId>>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AgentContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
}

/// A group or a company: both only give Sanjeh a name.
#[derive(Debug, Deserialize)]
pub struct Named {
    pub id: Option<SourceId>,
    pub name: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SatisfactionRating {
    pub id: Option<SourceId>,
    pub ticket_id: Option<SourceId>,
    pub user_id: Option<SourceId>,
    pub agent_id: Option<SourceId>,
    pub feedback: Option<String>,
    pub ratings: Option<Map<String, Value>>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}
