//! The ticket projection: current state plus metric facts, evolved one event at a time.

use crate::Millis;
use crate::error::DomainError;
use crate::event::{EventBody, TicketCreated, TicketMessage, TicketUpdated};
use crate::facts::{ReplyInterval, Solve, StatusSpan, TicketFacts};
use crate::ids::Id;
use crate::vocab::{Author, Channel, Kind, Priority, Status};
use serde::{Deserialize, Serialize};

/// How an event is being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A change made now: transitions are validated (commands do that before making events).
    Live,
    /// Recorded history (import, rebuild): transitions are facts and are taken as they come.
    Replay,
}

/// A ticket as it stands after its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketState {
    pub id: Id,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub kind: Option<Kind>,
    pub group: Option<Id>,
    pub assignee: Option<Id>,
    pub customer: Option<Id>,
    pub organization: Option<Id>,
    pub tags: Vec<String>,
    pub merged_into: Option<Id>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub facts: TicketFacts,
}

/// What applying one event derived besides the new state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Derived {
    pub reply: Option<ReplyInterval>,
    pub solve: Option<Solve>,
    pub reopened: bool,
    /// The time spent in the status the event left, when it is one that handle or requester
    /// wait time counts and lasted a positive time.
    pub status_span: Option<StatusSpan>,
}

impl TicketState {
    /// A new ticket from its creation event.
    pub fn create(e: &TicketCreated, at: Millis) -> TicketState {
        let outbound = matches!(e.by, Some(Author::Agent(_)));
        TicketState {
            id: e.ticket.clone(),
            subject: e.subject.clone().unwrap_or_default(),
            status: Status::New,
            priority: e.priority,
            channel: e.channel,
            kind: e.kind,
            group: e.group.clone(),
            assignee: None,
            customer: e.customer.clone(),
            organization: e.organization.clone(),
            tags: e.tags.clone(),
            merged_into: None,
            created_at: at,
            updated_at: at,
            facts: TicketFacts::new(at, outbound),
        }
    }

    /// Applies one event of this ticket (not its creation) and returns what it derived.
    ///
    /// In [`Mode::Replay`] every recorded transition is accepted; in [`Mode::Live`] the
    /// commands have already checked them, and this re-checks the one rule that must never
    /// break: nothing changes a closed ticket.
    pub fn apply(
        &mut self,
        body: &EventBody,
        at: Millis,
        mode: Mode,
    ) -> Result<Derived, DomainError> {
        if mode == Mode::Live && self.status == Status::Closed {
            return Err(DomainError::TicketClosed {
                ticket: self.id.to_string(),
            });
        }
        self.updated_at = self.updated_at.max(at);
        let mut derived = Derived::default();
        match body {
            EventBody::TicketCreated(_) => {
                return Err(DomainError::TicketExists(self.id.to_string()));
            }
            EventBody::TicketMessage(m) => derived.reply = self.record_message(m, at),
            EventBody::TicketStatus { status, by, .. } => {
                derived = self.change_status(*status, by.as_ref(), at);
            }
            EventBody::TicketAssigned { agent, group, .. } => {
                if agent.is_some() && *agent != self.assignee {
                    self.facts.assignments += 1;
                    self.facts.first_assigned_at.get_or_insert(at);
                }
                self.assignee = agent.clone();
                if group.is_some() {
                    self.group = group.clone();
                }
            }
            EventBody::TicketUpdated(u) => self.update(u),
            EventBody::TicketMerged { into, .. } => {
                // A merge closes the ticket without solving it: it leaves the backlog and the
                // resolution KPIs but stays in volume and reply KPIs.
                derived.status_span = self.enter_status(Status::Closed, at);
                self.merged_into = Some(into.clone());
                self.facts.merged_at = Some(at);
            }
            _ => {}
        }
        Ok(derived)
    }

    fn record_message(&mut self, m: &TicketMessage, at: Millis) -> Option<ReplyInterval> {
        let f = &mut self.facts;
        match (&m.author, m.public) {
            (Author::Agent(agent), true) => {
                f.agent_replies += 1;
                f.last_agent_reply_at = Some(at);
                let first = f.first_reply_at.is_none();
                if first {
                    f.first_reply_at = Some(at);
                    f.first_reply_by = Some(agent.clone());
                }
                f.awaiting_since.take().map(|since| ReplyInterval {
                    ticket: self.id.clone(),
                    waiting_since: since,
                    replied_at: at.max(since),
                    agent: agent.clone(),
                    first: first && !f.outbound,
                })
            }
            (Author::Agent(_), false) => {
                f.internal_notes += 1;
                None
            }
            (Author::Customer(_), _) => {
                f.customer_messages += 1;
                f.last_customer_message_at = Some(at);
                f.awaiting_since.get_or_insert(at);
                None
            }
            (Author::Bot(_), _) => {
                f.bot_messages += 1;
                None
            }
            (Author::System, _) => None,
        }
    }

    fn change_status(&mut self, to: Status, by: Option<&Author>, at: Millis) -> Derived {
        let from = self.status;
        let mut derived = Derived::default();
        if from == to {
            return derived;
        }
        derived.status_span = self.enter_status(to, at);
        let f = &mut self.facts;
        if from.is_unsolved() && !to.is_unsolved() {
            f.solves += 1;
            f.first_solved_at.get_or_insert(at);
            f.last_solved_at = Some(at);
            f.handle_ms =
                Some(f.status_ms[Status::New.index()] + f.status_ms[Status::Open.index()]);
            f.requester_wait_ms = Some(
                f.status_ms[Status::New.index()]
                    + f.status_ms[Status::Open.index()]
                    + f.status_ms[Status::OnHold.index()],
            );
            let agent = by
                .and_then(Author::agent)
                .cloned()
                .or_else(|| self.assignee.clone());
            f.solved_by = agent.clone();
            derived.solve = Some(Solve {
                ticket: self.id.clone(),
                at,
                agent,
                tags: self.tags.clone(),
            });
        } else if !from.is_unsolved() && to.is_unsolved() {
            f.reopens += 1;
            derived.reopened = true;
        }
        derived
    }

    /// Moves to `to`, adding the time spent in the old status to its accumulator; returns
    /// that time as a span when handle or wait time counts it.
    fn enter_status(&mut self, to: Status, at: Millis) -> Option<StatusSpan> {
        let f = &mut self.facts;
        let from = self.status;
        let since = f.status_since;
        f.status_ms[from.index()] += (at - since).max(0);
        f.status_since = since.max(at);
        self.status = to;
        (StatusSpan::counts(from) && at > since).then(|| StatusSpan {
            ticket: self.id.clone(),
            status: from,
            from: since,
            to: at,
        })
    }

    fn update(&mut self, u: &TicketUpdated) {
        if let Some(p) = u.priority {
            self.priority = p;
        }
        if let Some(tags) = &u.tags {
            self.tags = tags.clone();
        }
        if let Some(k) = u.kind {
            self.kind = Some(k);
        }
        if let Some(g) = &u.group {
            self.group = Some(g.clone());
        }
        if let Some(s) = &u.subject {
            self.subject = s.clone();
        }
        if let Some(c) = &u.customer {
            self.customer = Some(c.clone());
        }
        if let Some(o) = &u.organization {
            self.organization = Some(o.clone());
        }
    }
}

/// Parses a ticket id given by a client, for commands.
pub fn ticket_id(raw: &str) -> Result<Id, DomainError> {
    Ok(Id::parse("ticket", raw)?)
}
