//! A batch of changes being folded in memory before it is written in one transaction.
//!
//! The domain decides what each event does to its ticket; this module keeps the working set
//! of tickets, assigns sequence numbers, and collects every row the events derive.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use sanjeh_domain::event::EventBody;
use sanjeh_domain::ticket::Derived;
use sanjeh_domain::{
    DomainError, Event, Id, Mode, ReplyInterval, Solve, StatusSpan, TicketState, to_millis,
};
use sha2::{Digest, Sha256};

/// The identity of an event in the log: its instant (8 bytes, big-endian, so keys of a
/// time-ordered input land at the end of the index) and 8 bytes of SHA-256 over its source id,
/// or over its line when it has none. Importing the same line twice finds the same key.
pub type EventKey = [u8; 16];

pub fn event_key(at: i64, event_id: Option<&str>, payload: &str) -> EventKey {
    let mut h = Sha256::new();
    match event_id {
        Some(id) => {
            h.update(b"id:");
            h.update(id.as_bytes());
        }
        None => h.update(payload.as_bytes()),
    }
    let digest = h.finalize();
    let mut key = [0u8; 16];
    // Flipping the sign bit makes the byte order of the instants their numeric order.
    key[..8].copy_from_slice(&((at as u64) ^ (1 << 63)).to_be_bytes());
    key[8..].copy_from_slice(&digest[..8]);
    key
}

pub(crate) struct EventRow {
    pub seq: i64,
    pub key: EventKey,
    pub at: i64,
    pub kind: &'static str,
    pub ticket: Option<Id>,
    pub payload: String,
}

pub(crate) struct MessageRow {
    pub id: i64,
    pub ticket: Id,
    pub at: i64,
    pub author_kind: &'static str,
    pub author_id: Option<Id>,
    pub public: bool,
    pub channel: Option<&'static str>,
    pub source_id: Option<Id>,
    pub body: String,
}

/// What was committed, for whoever keeps live aggregates (the KPI engine's dataset).
#[derive(Debug, Default, Clone)]
pub struct Committed {
    pub tickets: Vec<TicketState>,
    pub replies: Vec<ReplyInterval>,
    pub solves: Vec<Solve>,
    /// Reopens: ticket and instant.
    pub reopens: Vec<(Id, i64)>,
    /// Time spent in new, open and on hold (business handle and wait time).
    pub status_spans: Vec<StatusSpan>,
    pub activity: Vec<(Id, i64)>,
    /// Events other than ticket changes (surveys, calls, votes, costs…).
    pub events: Vec<Event>,
    /// The SLA of the tickets whose tracker changed, as written (none without policies).
    pub sla: Vec<crate::sla::SlaOfTicket>,
}

/// Where a batch stood, to undo one request's changes without losing the others'.
pub(crate) struct Mark {
    next_seq: i64,
    events: usize,
    messages: usize,
    replies: usize,
    solves: usize,
    reopens: usize,
    status_spans: usize,
    activity: usize,
    others: usize,
    undo: usize,
    sla: crate::sla::SlaMark,
    alerting: crate::alerting::AlertingMark,
}

pub(crate) struct Changes {
    next_seq: i64,
    pub events: Vec<EventRow>,
    /// Working set: every ticket this batch has loaded or touched. Absent means "does not
    /// exist" for ids the loader has looked up.
    pub tickets: HashMap<Id, TicketState>,
    pub dirty: Vec<Id>,
    dirty_set: HashSet<Id>,
    pub messages: Vec<MessageRow>,
    pub replies: Vec<(i64, ReplyInterval)>,
    pub solves: Vec<(i64, Solve)>,
    pub reopens: Vec<(i64, Id, i64)>,
    pub status_spans: Vec<(i64, StatusSpan)>,
    pub activity: Vec<(i64, Id, i64)>,
    /// Non-ticket events, by sequence number and instant.
    pub others: Vec<(i64, i64, EventBody)>,
    /// Prior states of tickets changed since the last mark, when undo is wanted.
    undo: Option<Vec<(Id, Option<TicketState>)>>,
    /// SLA configuration, trackers of the working set's tickets, and SLA rows to write.
    pub sla: crate::sla::SlaBatch,
    /// Escalation and alert rules, escalations, and the notifications to queue with them.
    pub alerting: crate::alerting::AlertingBatch,
}

impl Changes {
    pub fn new(next_seq: i64, with_undo: bool) -> Changes {
        Changes {
            next_seq,
            events: Vec::new(),
            tickets: HashMap::default(),
            dirty: Vec::new(),
            dirty_set: HashSet::default(),
            messages: Vec::new(),
            replies: Vec::new(),
            solves: Vec::new(),
            reopens: Vec::new(),
            status_spans: Vec::new(),
            activity: Vec::new(),
            others: Vec::new(),
            undo: with_undo.then(Vec::new),
            sla: crate::sla::SlaBatch::new(with_undo),
            alerting: crate::alerting::AlertingBatch::default(),
        }
    }

    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    /// Replays keep the sequence numbers the log gave the events.
    pub fn set_next_seq(&mut self, seq: i64) {
        self.next_seq = seq;
    }

    /// Folds one event into the batch and returns its sequence number.
    pub fn apply(
        &mut self,
        event: Event,
        payload: String,
        key: EventKey,
        mode: Mode,
    ) -> Result<i64, DomainError> {
        let at = to_millis(event.at);
        let seq = self.next_seq;
        if matches!(
            event.body,
            EventBody::SlaPolicies { .. } | EventBody::Calendars { .. }
        ) {
            self.sla.configure(&event.body, at, seq)?;
        }
        if matches!(
            event.body,
            EventBody::EscalationRules { .. } | EventBody::AlertRules { .. }
        ) {
            self.alerting.configure(&event.body, at, seq)?;
        }
        if event.body.is_ticket_change() {
            self.apply_to_ticket(&event.body, at, seq, mode)?;
            if let EventBody::TicketEscalated(e) = &event.body {
                self.alerting.escalated(e, at, seq);
            }
        }
        if let Some(agent) = event.body.acting_agent() {
            self.activity.push((seq, agent.clone(), at));
        }
        self.next_seq += 1;
        self.events.push(EventRow {
            seq,
            key,
            at,
            kind: event.body.type_name(),
            ticket: event.body.ticket().cloned(),
            payload,
        });
        match event.body {
            // The message moves into its row: bodies can be long.
            EventBody::TicketMessage(m) => self.messages.push(MessageRow {
                id: seq,
                at,
                author_kind: m.author.kind(),
                author_id: m.author.id().cloned(),
                public: m.public,
                channel: m.channel.map(|c| c.as_str()),
                source_id: m.message,
                ticket: m.ticket,
                body: m.body,
            }),
            body if !body.is_ticket_change() => self.others.push((seq, at, body)),
            _ => {}
        }
        Ok(seq)
    }

    fn apply_to_ticket(
        &mut self,
        body: &EventBody,
        at: i64,
        seq: i64,
        mode: Mode,
    ) -> Result<(), DomainError> {
        let id = body.ticket().expect("ticket changes name their ticket");
        if let EventBody::TicketCreated(created) = body {
            if self.tickets.contains_key(id) {
                return Err(DomainError::TicketExists(id.to_string()));
            }
            self.remember(id, None);
            self.tickets
                .insert(id.clone(), TicketState::create(created, at));
            self.mark_dirty(id);
            self.sla.follow(id, body, at, seq);
            return Ok(());
        }
        if let EventBody::TicketMerged { into, .. } = body
            && !self.tickets.contains_key(into)
        {
            return Err(DomainError::UnknownTicket(into.to_string()));
        }
        let Some(state) = self.tickets.get(id) else {
            return Err(DomainError::UnknownTicket(id.to_string()));
        };
        if self.undo.is_some() {
            let prior = state.clone();
            self.remember(id, Some(prior));
        }
        let state = self.tickets.get_mut(id).expect("checked above");
        let Derived {
            reply,
            solve,
            reopened,
            status_span,
        } = state.apply(body, at, mode)?;
        if let Some(span) = status_span {
            self.status_spans.push((seq, span));
        }
        if reopened {
            self.reopens.push((seq, id.clone(), at));
        }
        if let Some(r) = reply {
            self.replies.push((seq, r));
        }
        if let Some(s) = solve {
            self.solves.push((seq, s));
        }
        self.mark_dirty(id);
        self.sla.follow(id, body, at, seq);
        Ok(())
    }

    fn remember(&mut self, id: &Id, prior: Option<TicketState>) {
        if let Some(undo) = &mut self.undo {
            undo.push((id.clone(), prior));
        }
    }

    fn mark_dirty(&mut self, id: &Id) {
        if !self.dirty_set.contains(id) {
            self.dirty_set.insert(id.clone());
            self.dirty.push(id.clone());
        }
    }

    pub fn mark(&self) -> Mark {
        Mark {
            next_seq: self.next_seq,
            events: self.events.len(),
            messages: self.messages.len(),
            replies: self.replies.len(),
            solves: self.solves.len(),
            reopens: self.reopens.len(),
            status_spans: self.status_spans.len(),
            activity: self.activity.len(),
            others: self.others.len(),
            undo: self.undo.as_ref().map_or(0, Vec::len),
            sla: self.sla.mark(),
            alerting: self.alerting.mark(),
        }
    }

    /// Undoes everything since `mark` (a refused request), keeping what came before.
    pub fn rollback_to(&mut self, mark: Mark) {
        self.next_seq = mark.next_seq;
        self.events.truncate(mark.events);
        self.messages.truncate(mark.messages);
        self.replies.truncate(mark.replies);
        self.solves.truncate(mark.solves);
        self.reopens.truncate(mark.reopens);
        self.status_spans.truncate(mark.status_spans);
        self.activity.truncate(mark.activity);
        self.others.truncate(mark.others);
        self.sla.rollback_to(mark.sla);
        self.alerting.rollback_to(mark.alerting);
        if let Some(undo) = &mut self.undo {
            while undo.len() > mark.undo {
                let (id, prior) = undo.pop().expect("length checked");
                match prior {
                    Some(state) => {
                        self.tickets.insert(id, state);
                    }
                    None => {
                        self.tickets.remove(&id);
                    }
                }
            }
        }
    }

    /// Dirty tickets as they stand now (ids rolled back out of existence are skipped).
    pub fn dirty_tickets(&self) -> impl Iterator<Item = &TicketState> {
        self.dirty.iter().filter_map(|id| self.tickets.get(id))
    }

    /// Takes out what the batch committed, for live aggregates.
    pub fn committed(&self) -> Committed {
        Committed {
            tickets: self.dirty_tickets().cloned().collect(),
            replies: self.replies.iter().map(|(_, r)| r.clone()).collect(),
            solves: self.solves.iter().map(|(_, s)| s.clone()).collect(),
            reopens: self
                .reopens
                .iter()
                .map(|(_, t, at)| (t.clone(), *at))
                .collect(),
            status_spans: self.status_spans.iter().map(|(_, s)| s.clone()).collect(),
            activity: self
                .activity
                .iter()
                .map(|(_, a, at)| (a.clone(), *at))
                .collect(),
            events: self
                .others
                .iter()
                .map(|(_, at, body)| Event::new(sanjeh_domain::from_millis(*at), body.clone()))
                .collect(),
            sla: self.sla.committed(),
        }
    }

    /// Forgets the rows written, keeping the ticket working set as a cache (dropped whole when
    /// it grows past `max_cached`, so memory stays bounded on any input size).
    pub fn written(&mut self, max_cached: usize) {
        self.events.clear();
        self.messages.clear();
        self.replies.clear();
        self.solves.clear();
        self.reopens.clear();
        self.status_spans.clear();
        self.activity.clear();
        self.others.clear();
        self.dirty.clear();
        self.dirty_set.clear();
        if let Some(undo) = &mut self.undo {
            undo.clear();
        }
        let drop_cache = self.tickets.len() > max_cached;
        if drop_cache {
            self.tickets.clear();
        }
        self.sla.written(drop_cache);
        self.alerting.written();
    }
}
