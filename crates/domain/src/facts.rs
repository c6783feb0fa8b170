//! Per-ticket metric facts: what the KPI engine needs to know about one ticket, kept current
//! by the store on every event so that reports never replay history.

use crate::Millis;
use crate::ids::Id;
use crate::vocab::Status;
use serde::{Deserialize, Serialize};

/// The metric facts of one ticket, folded from its events in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketFacts {
    pub created_at: Millis,
    /// Opened by an agent: such tickets have no first reply time.
    pub outbound: bool,
    pub first_reply_at: Option<Millis>,
    pub first_reply_by: Option<Id>,
    pub first_solved_at: Option<Millis>,
    pub last_solved_at: Option<Millis>,
    /// The agent credited with the last solve: who solved it, else the assignee then.
    pub solved_by: Option<Id>,
    pub solves: i64,
    pub reopens: i64,
    /// Public messages by agents.
    pub agent_replies: i64,
    pub customer_messages: i64,
    pub internal_notes: i64,
    pub bot_messages: i64,
    pub assignments: i64,
    pub first_assigned_at: Option<Millis>,
    /// Milliseconds spent in each status (indexed by [`Status::index`]) up to `status_since`.
    pub status_ms: [i64; 6],
    /// When the current status began.
    pub status_since: Millis,
    /// Time in new and open up to the last solve.
    pub handle_ms: Option<i64>,
    /// Time in new, open and on_hold up to the last solve.
    pub requester_wait_ms: Option<i64>,
    /// The earliest customer message not yet answered by an agent reply.
    pub awaiting_since: Option<Millis>,
    pub last_customer_message_at: Option<Millis>,
    pub last_agent_reply_at: Option<Millis>,
    pub merged_at: Option<Millis>,
}

impl TicketFacts {
    pub fn new(created_at: Millis, outbound: bool) -> TicketFacts {
        TicketFacts {
            created_at,
            outbound,
            status_since: created_at,
            awaiting_since: (!outbound).then_some(created_at),
            ..TicketFacts::default()
        }
    }

    /// Accumulated time in `status`, counting the current stretch up to `now` when it is the
    /// current status.
    pub fn time_in(&self, status: Status, current: Status, now: Millis) -> i64 {
        let mut ms = self.status_ms[status.index()];
        if status == current {
            ms += (now - self.status_since).max(0);
        }
        ms
    }

    /// Milliseconds from creation to the first agent reply, for inbound tickets replied to.
    pub fn first_reply_ms(&self) -> Option<i64> {
        if self.outbound {
            return None;
        }
        self.first_reply_at.map(|t| (t - self.created_at).max(0))
    }

    pub fn first_resolution_ms(&self) -> Option<i64> {
        self.first_solved_at.map(|t| (t - self.created_at).max(0))
    }

    pub fn full_resolution_ms(&self) -> Option<i64> {
        self.last_solved_at.map(|t| (t - self.created_at).max(0))
    }

    /// One agent reply and never reopened (only meaningful for solved tickets).
    pub fn first_contact_resolved(&self) -> bool {
        self.agent_replies == 1 && self.reopens == 0
    }
}

/// One agent reply that answered a waiting customer: the sample of `reply_time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyInterval {
    pub ticket: Id,
    pub waiting_since: Millis,
    pub replied_at: Millis,
    pub agent: Id,
    /// Whether this is the ticket's first agent reply.
    pub first: bool,
}

/// One solve: a change from an unsolved status to solved or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solve {
    pub ticket: Id,
    pub at: Millis,
    pub agent: Option<Id>,
    /// The ticket's tags when it was solved (topics, for learning rate).
    pub tags: Vec<String>,
}

/// A stretch of time a ticket spent in one status, from entering it to leaving it. Only the
/// statuses that handle time and requester wait time count (new, open, on hold) are derived,
/// so that those KPIs can also be measured in business hours (the sums in [`TicketFacts`]
/// are calendar time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSpan {
    pub ticket: Id,
    pub status: Status,
    pub from: Millis,
    pub to: Millis,
}

impl StatusSpan {
    /// Whether time in `status` is part of handle time (new, open) or only of requester wait
    /// time (on hold); other statuses have no spans.
    pub fn counts(status: Status) -> bool {
        matches!(status, Status::New | Status::Open | Status::OnHold)
    }
}
