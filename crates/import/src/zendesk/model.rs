//! The Zendesk objects the converter reads, with only the fields it uses (serde skips the
//! rest without allocating them). Every field is optional so that a record missing one is
//! reported as skipped rather than rejecting the file.

use crate::json_stream::SourceId;
use serde::Deserialize;
use serde_json::Value;

/// `via`: how a ticket, audit or comment came in.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Via {
    pub channel: Option<Value>,
    pub source: Option<ViaSource>,
}

impl Via {
    /// The channel name (Zendesk sends a string; some endpoints a number, kept as text).
    pub fn channel_name(&self) -> Option<String> {
        match &self.channel {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ViaSource {
    pub from: Option<Value>,
    pub to: Option<Value>,
}

/// A ticket from `tickets` (list, incremental export, or a full JSON export line).
#[derive(Debug, Deserialize)]
pub struct Ticket {
    pub id: Option<SourceId>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub priority: Option<String>,
    pub status: Option<String>,
    pub requester_id: Option<SourceId>,
    pub submitter_id: Option<SourceId>,
    pub assignee_id: Option<SourceId>,
    pub organization_id: Option<SourceId>,
    pub group_id: Option<SourceId>,
    pub tags: Option<Vec<String>>,
    pub via: Option<Via>,
    /// Present in full JSON exports: the ticket's comments.
    pub comments: Option<Vec<Comment>>,
    /// Present in full JSON exports and `include=metric_sets`: the ticket's metrics.
    pub metric_set: Option<TicketMetric>,
}

/// A comment embedded in a full-export ticket.
#[derive(Debug, Deserialize)]
pub struct Comment {
    pub id: Option<SourceId>,
    pub author_id: Option<SourceId>,
    pub body: Option<String>,
    pub plain_body: Option<String>,
    pub public: Option<bool>,
    pub created_at: Option<String>,
    pub via: Option<Via>,
}

/// An audit: one update of a ticket, with what changed.
#[derive(Debug, Deserialize)]
pub struct Audit {
    pub id: Option<SourceId>,
    pub ticket_id: Option<SourceId>,
    pub created_at: Option<String>,
    pub author_id: Option<SourceId>,
    pub via: Option<Via>,
    #[serde(default)]
    pub events: Vec<AuditEvent>,
}

/// One event of an audit (`Create`, `Change`, `Comment`, `VoiceComment`, `SatisfactionRating`,
/// `Notification`, …).
#[derive(Debug, Deserialize)]
pub struct AuditEvent {
    pub id: Option<SourceId>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub field_name: Option<String>,
    pub value: Option<Value>,
    pub author_id: Option<SourceId>,
    pub body: Option<String>,
    pub public: Option<bool>,
    pub score: Option<String>,
    pub assignee_id: Option<SourceId>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub id: Option<SourceId>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub organization_id: Option<SourceId>,
    pub locale: Option<String>,
    pub active: Option<bool>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A group or an organization: both only give Sanjeh a name.
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
    pub score: Option<String>,
    pub requester_id: Option<SourceId>,
    pub assignee_id: Option<SourceId>,
    pub comment: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// Zendesk's own metrics of a ticket (`ticket_metrics`), read by verification only.
#[derive(Debug, Clone, Deserialize)]
pub struct TicketMetric {
    pub ticket_id: Option<SourceId>,
    pub reopens: Option<i64>,
    pub replies: Option<i64>,
    pub solved_at: Option<String>,
    pub reply_time_in_minutes: Option<Minutes>,
    pub first_resolution_time_in_minutes: Option<Minutes>,
    pub full_resolution_time_in_minutes: Option<Minutes>,
}

/// A duration in minutes (calendar time; business time depends on Zendesk's schedules).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Minutes {
    pub calendar: Option<i64>,
}

/// Only a ticket's id and embedded metrics: what verification reads from a tickets file.
#[derive(Debug, Deserialize)]
pub struct TicketMetricSet {
    pub id: Option<SourceId>,
    pub metric_set: Option<TicketMetric>,
}
