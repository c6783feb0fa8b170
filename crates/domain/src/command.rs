//! Live commands (from the API and, later, the UI) and the rules that turn them into events.
//!
//! This is where the help desk's live behaviour lives: validated transitions, a customer reply
//! reopening a solved or pending ticket, an agent reply opening a new one. Replayed history
//! never comes through here, so these rules are never applied twice.

use crate::error::{DomainError, FieldError};
use crate::event::{EventBody, TicketCreated, TicketEscalated, TicketMessage, TicketUpdated};
use crate::ids::Id;
use crate::ticket::TicketState;
use crate::vocab::{Author, Kind, Priority, Status};

/// The largest message body accepted from a live client, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A request to change the help desk now.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    CreateTicket(NewTicket),
    PostMessage(TicketMessage),
    ChangeTicket {
        ticket: Id,
        by: Option<Author>,
        changes: TicketChanges,
    },
    Merge {
        ticket: Id,
        into: Id,
        by: Option<Author>,
    },
    /// An escalation rule fired on the ticket: the level event, then its ticket actions.
    Escalate(Escalation),
}

/// What an escalation rule does to a ticket (notifications are not the domain's business).
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub escalated: TicketEscalated,
    /// Raise the priority to this one (never lowers it).
    pub raise_priority: Option<Priority>,
    /// Reassign to this group (the agent is unassigned, so the group's agents pick it up).
    pub reassign_group: Option<Id>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub created: TicketCreated,
    /// The opening message, written by `created.by` or else the customer.
    pub body: Option<String>,
    pub assignee: Option<Id>,
}

/// Fields of a ticket to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketChanges {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<Id>>,
    pub group: Option<Id>,
    pub tags: Option<Vec<String>>,
    pub kind: Option<Kind>,
    pub subject: Option<String>,
}

impl Command {
    /// The ticket the command is about (the merged-away one for a merge).
    pub fn ticket(&self) -> &Id {
        match self {
            Command::CreateTicket(n) => &n.created.ticket,
            Command::PostMessage(m) => &m.ticket,
            Command::ChangeTicket { ticket, .. } | Command::Merge { ticket, .. } => ticket,
            Command::Escalate(e) => &e.escalated.ticket,
        }
    }

    /// Other tickets the command must see (the merge target).
    pub fn other_ticket(&self) -> Option<&Id> {
        match self {
            Command::Merge { into, .. } => Some(into),
            _ => None,
        }
    }

    /// Decides the events this command makes, given the ticket (and the merge target).
    pub fn decide(
        &self,
        ticket: Option<&TicketState>,
        other: Option<&TicketState>,
    ) -> Result<Vec<EventBody>, DomainError> {
        match self {
            Command::CreateTicket(n) => create(ticket, n),
            Command::PostMessage(m) => post_message(existing(ticket, &m.ticket)?, m),
            Command::ChangeTicket {
                ticket: id,
                by,
                changes,
            } => change(existing(ticket, id)?, by.as_ref(), changes),
            Command::Merge {
                ticket: id,
                into,
                by,
            } => {
                let source = existing(ticket, id)?;
                let target = other.ok_or_else(|| DomainError::UnknownTicket(into.to_string()))?;
                merge(source, target, by.as_ref())
            }
            Command::Escalate(e) => escalate(existing(ticket, &e.escalated.ticket)?, e),
        }
    }
}

fn existing<'a>(ticket: Option<&'a TicketState>, id: &Id) -> Result<&'a TicketState, DomainError> {
    let t = ticket.ok_or_else(|| DomainError::UnknownTicket(id.to_string()))?;
    if t.status == Status::Closed {
        return Err(DomainError::TicketClosed {
            ticket: id.to_string(),
        });
    }
    Ok(t)
}

fn check_body(body: &str) -> Result<(), DomainError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(FieldError::new("body", format!("longer than {MAX_BODY_BYTES} bytes")).into());
    }
    Ok(())
}

fn create(existing: Option<&TicketState>, n: &NewTicket) -> Result<Vec<EventBody>, DomainError> {
    if existing.is_some() {
        return Err(DomainError::TicketExists(n.created.ticket.to_string()));
    }
    let c = &n.created;
    if c.customer.is_none() && !matches!(c.by, Some(Author::Agent(_))) {
        return Err(
            FieldError::new("customer", "is required unless an agent opens the ticket").into(),
        );
    }
    let mut events = vec![EventBody::TicketCreated(c.clone())];
    if let Some(body) = n.body.as_deref().filter(|b| !b.is_empty()) {
        check_body(body)?;
        let author = match (&c.by, &c.customer) {
            (Some(by), _) => by.clone(),
            (None, Some(customer)) => Author::Customer(customer.clone()),
            (None, None) => Author::System,
        };
        events.push(EventBody::TicketMessage(TicketMessage {
            ticket: c.ticket.clone(),
            author,
            public: true,
            body: body.to_owned(),
            channel: Some(c.channel),
            message: None,
        }));
    }
    if let Some(agent) = &n.assignee {
        events.push(EventBody::TicketAssigned {
            ticket: c.ticket.clone(),
            agent: Some(agent.clone()),
            group: None,
            by: c.by.clone(),
        });
    }
    Ok(events)
}

fn post_message(t: &TicketState, m: &TicketMessage) -> Result<Vec<EventBody>, DomainError> {
    check_body(&m.body)?;
    if m.body.trim().is_empty() {
        return Err(FieldError::new("body", "must not be empty").into());
    }
    let mut events = vec![EventBody::TicketMessage(m.clone())];
    let follow_up = match (&m.author, m.public, t.status) {
        // The customer answered: the ball is back in the team's court.
        (Author::Customer(_), _, Status::Solved | Status::Pending) => {
            Some((Status::Open, Author::System))
        }
        // The first public agent reply starts work on a new ticket.
        (Author::Agent(_), true, Status::New) => Some((Status::Open, m.author.clone())),
        _ => None,
    };
    if let Some((status, by)) = follow_up {
        events.push(EventBody::TicketStatus {
            ticket: t.id.clone(),
            status,
            by: Some(by),
        });
    }
    Ok(events)
}

fn change(
    t: &TicketState,
    by: Option<&Author>,
    c: &TicketChanges,
) -> Result<Vec<EventBody>, DomainError> {
    let mut events = Vec::new();
    let mut update = TicketUpdated {
        ticket: Some(t.id.clone()),
        by: by.cloned(),
        ..Default::default()
    };
    let mut changed = false;
    if let Some(p) = c.priority.filter(|p| *p != t.priority) {
        update.priority = Some(p);
        changed = true;
    }
    if let Some(tags) = c.tags.as_ref().filter(|tags| **tags != t.tags) {
        update.tags = Some(tags.clone());
        changed = true;
    }
    if let Some(k) = c.kind.filter(|k| Some(*k) != t.kind) {
        update.kind = Some(k);
        changed = true;
    }
    if let Some(s) = c.subject.as_ref().filter(|s| **s != t.subject) {
        if s.len() > 1024 {
            return Err(FieldError::new("subject", "longer than 1024 bytes").into());
        }
        update.subject = Some(s.clone());
        changed = true;
    }
    if changed {
        events.push(EventBody::TicketUpdated(update));
    }
    let new_assignee = c.assignee.clone().unwrap_or_else(|| t.assignee.clone());
    let new_group = c.group.clone().filter(|g| Some(g) != t.group.as_ref());
    if new_assignee != t.assignee || new_group.is_some() {
        events.push(EventBody::TicketAssigned {
            ticket: t.id.clone(),
            agent: new_assignee,
            group: new_group,
            by: by.cloned(),
        });
    }
    if let Some(to) = c.status.filter(|s| *s != t.status) {
        if !t.status.can_become(to) {
            return Err(DomainError::Transition {
                from: t.status.as_str(),
                to: to.as_str(),
            });
        }
        events.push(EventBody::TicketStatus {
            ticket: t.id.clone(),
            status: to,
            by: by.cloned(),
        });
    }
    Ok(events)
}

/// The level event, then a priority raised (never lowered) and a group change made by the
/// system, each only if it changes something.
fn escalate(t: &TicketState, e: &Escalation) -> Result<Vec<EventBody>, DomainError> {
    if !t.status.is_unsolved() {
        return Err(FieldError::new("ticket", format!("ticket {} is {}", t.id, t.status)).into());
    }
    let mut events = vec![EventBody::TicketEscalated(e.escalated.clone())];
    if let Some(p) = e.raise_priority.filter(|p| *p > t.priority) {
        events.push(EventBody::TicketUpdated(TicketUpdated {
            ticket: Some(t.id.clone()),
            priority: Some(p),
            by: Some(Author::System),
            ..Default::default()
        }));
    }
    if let Some(g) = e
        .reassign_group
        .as_ref()
        .filter(|g| Some(*g) != t.group.as_ref())
    {
        events.push(EventBody::TicketAssigned {
            ticket: t.id.clone(),
            agent: None,
            group: Some(g.clone()),
            by: Some(Author::System),
        });
    }
    Ok(events)
}

fn merge(
    source: &TicketState,
    target: &TicketState,
    by: Option<&Author>,
) -> Result<Vec<EventBody>, DomainError> {
    if source.id == target.id {
        return Err(FieldError::new("into", "a ticket cannot be merged into itself").into());
    }
    if target.status == Status::Closed {
        return Err(FieldError::new("into", format!("ticket {} is closed", target.id)).into());
    }
    Ok(vec![
        EventBody::TicketMerged {
            ticket: source.id.clone(),
            into: target.id.clone(),
            by: by.cloned(),
        },
        EventBody::TicketMessage(TicketMessage {
            ticket: target.id.clone(),
            author: Author::System,
            public: false,
            body: format!("Ticket {} was merged into this ticket.", source.id),
            channel: None,
            message: None,
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::Mode;
    use crate::vocab::Channel;

    fn id(s: &str) -> Id {
        Id::parse("id", s).unwrap()
    }

    fn new_ticket() -> TicketState {
        let created = TicketCreated {
            ticket: id("T-1"),
            customer: Some(id("C-1")),
            organization: None,
            channel: Channel::Email,
            priority: Priority::Normal,
            group: None,
            subject: Some("Refund".into()),
            tags: vec![],
            kind: None,
            by: None,
        };
        TicketState::create(&created, 0)
    }

    fn run(t: &mut TicketState, cmd: Command, at: i64) -> Result<(), DomainError> {
        for e in cmd.decide(Some(t), None)? {
            t.apply(&e, at, Mode::Live)?;
        }
        Ok(())
    }

    fn msg(author: &str, body: &str) -> Command {
        Command::PostMessage(TicketMessage {
            ticket: id("T-1"),
            author: Author::parse("author", author).unwrap(),
            public: true,
            body: body.into(),
            channel: None,
            message: None,
        })
    }

    fn set_status(s: Status) -> Command {
        Command::ChangeTicket {
            ticket: id("T-1"),
            by: Some(Author::Agent(id("A-1"))),
            changes: TicketChanges {
                status: Some(s),
                ..Default::default()
            },
        }
    }

    #[test]
    fn customer_reply_reopens_a_solved_ticket_and_agent_reply_opens_a_new_one() {
        let mut t = new_ticket();
        run(&mut t, msg("agent:A-1", "hello"), 60_000).unwrap();
        assert_eq!(t.status, Status::Open);
        assert_eq!(t.facts.first_reply_at, Some(60_000));
        run(&mut t, set_status(Status::Solved), 120_000).unwrap();
        run(&mut t, msg("customer:C-1", "still broken"), 180_000).unwrap();
        assert_eq!(t.status, Status::Open);
        assert_eq!(t.facts.reopens, 1);
        assert_eq!(t.facts.awaiting_since, Some(180_000));
    }

    #[test]
    fn closed_is_final() {
        let mut t = new_ticket();
        run(&mut t, set_status(Status::Closed), 1).unwrap();
        assert!(matches!(
            run(&mut t, msg("customer:C-1", "hi"), 2),
            Err(DomainError::TicketClosed { .. })
        ));
        assert!(matches!(
            run(&mut t, set_status(Status::Open), 3),
            Err(DomainError::TicketClosed { .. })
        ));
    }

    #[test]
    fn nothing_returns_to_new() {
        let mut t = new_ticket();
        run(&mut t, set_status(Status::Open), 1).unwrap();
        assert!(matches!(
            run(&mut t, set_status(Status::New), 2),
            Err(DomainError::Transition { .. })
        ));
    }

    #[test]
    fn handle_and_wait_time_stop_at_the_last_solve() {
        let mut t = new_ticket();
        run(&mut t, set_status(Status::Open), 10).unwrap(); // 10 ms new
        run(&mut t, set_status(Status::Pending), 30).unwrap(); // 20 ms open
        run(&mut t, set_status(Status::OnHold), 100).unwrap(); // 70 ms pending
        run(&mut t, set_status(Status::Solved), 105).unwrap(); // 5 ms on hold
        assert_eq!(t.facts.handle_ms, Some(30));
        assert_eq!(t.facts.requester_wait_ms, Some(35));
        assert_eq!(t.facts.full_resolution_ms(), Some(105));
    }

    /// The spans derived on leaving new, open and on hold add up to the sums kept in the facts.
    #[test]
    fn status_spans_add_up_to_handle_and_wait_time() {
        let mut t = new_ticket();
        let mut spans = Vec::new();
        for (status, at) in [
            (Status::Open, 10),
            (Status::Pending, 30),
            (Status::Open, 100),
            (Status::OnHold, 100), // an empty open span: none derived
            (Status::Open, 140),
            (Status::Solved, 150),
        ] {
            for e in set_status(status).decide(Some(&t), None).unwrap() {
                spans.extend(t.apply(&e, at, Mode::Live).unwrap().status_span);
            }
        }
        let got: Vec<(Status, i64, i64)> = spans.iter().map(|s| (s.status, s.from, s.to)).collect();
        assert_eq!(
            got,
            [
                (Status::New, 0, 10),
                (Status::Open, 10, 30),
                (Status::OnHold, 100, 140),
                (Status::Open, 140, 150)
            ]
        );
        let sum = |keep: &[Status]| -> i64 {
            spans
                .iter()
                .filter(|s| keep.contains(&s.status))
                .map(|s| s.to - s.from)
                .sum()
        };
        assert_eq!(Some(sum(&[Status::New, Status::Open])), t.facts.handle_ms);
        assert_eq!(
            Some(sum(&[Status::New, Status::Open, Status::OnHold])),
            t.facts.requester_wait_ms
        );
    }

    #[test]
    fn empty_message_names_body() {
        let t = new_ticket();
        let err = msg("agent:A-1", "  ").decide(Some(&t), None).unwrap_err();
        assert_eq!(err.field(), Some("body"));
    }
}
