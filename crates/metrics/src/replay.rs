//! Feeding a [`Dataset`] from interchange events, the way the store does: ticket events are
//! folded through the domain ([`TicketState::create`], [`TicketState::apply`] in
//! [`Mode::Replay`]), and after each one the ticket's state and whatever the event derived
//! (reply interval, solve, reopen, agent activity) go to the dataset; other events go to
//! [`Dataset::add_event`].
//!
//! For tests, examples, demos and small tools; the store feeds its own dataset from its tables.

use crate::dataset::Dataset;
use sanjeh_domain::event::Event;
use sanjeh_domain::{EventBody, Id, Mode, TicketState, to_millis};
use std::collections::HashMap;

/// Why an event could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("event for unknown ticket {0}")]
    UnknownTicket(String),
    #[error(transparent)]
    Domain(#[from] sanjeh_domain::DomainError),
}

/// Folds events into ticket states and a dataset.
#[derive(Default)]
pub struct Replayer {
    pub tickets: HashMap<Id, TicketState>,
    pub dataset: Dataset,
}

impl Replayer {
    pub fn new() -> Replayer {
        Replayer::default()
    }

    /// Applies one event. Events of one ticket must come in order; everything else may not.
    pub fn apply(&mut self, e: &Event) -> Result<(), ReplayError> {
        let at = to_millis(e.at);
        if let Some(agent) = e.body.acting_agent() {
            self.dataset.add_agent_activity(agent, at);
        }
        if !e.body.is_ticket_change() {
            self.dataset.add_event(e);
            return Ok(());
        }
        let state = match &e.body {
            EventBody::TicketCreated(c) => {
                let t = TicketState::create(c, at);
                self.tickets.insert(c.ticket.clone(), t);
                &self.tickets[&c.ticket]
            }
            body => {
                let id = body.ticket().expect("ticket changes name their ticket");
                let t = self
                    .tickets
                    .get_mut(id)
                    .ok_or_else(|| ReplayError::UnknownTicket(id.to_string()))?;
                let derived = t.apply(body, at, Mode::Replay)?;
                if let Some(r) = &derived.reply {
                    self.dataset.add_reply(r);
                }
                if let Some(s) = &derived.solve {
                    self.dataset.add_solve(s);
                }
                if let Some(span) = &derived.status_span {
                    self.dataset.add_status_span(span);
                }
                if derived.reopened {
                    self.dataset.add_reopen(id, at);
                }
                &self.tickets[id]
            }
        };
        self.dataset.upsert_ticket(state);
        Ok(())
    }

    /// Applies JSON Lines (blank lines and lines starting with `#` are skipped).
    pub fn apply_lines(&mut self, text: &str) -> Result<(), ReplayError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let e = Event::parse_line(line).map_err(|err| ReplayError::Parse {
                line: i + 1,
                message: err.to_string(),
            })?;
            self.apply(&e)?;
        }
        Ok(())
    }

    /// A dataset from JSON Lines.
    pub fn dataset_from_lines(text: &str) -> Result<Dataset, ReplayError> {
        let mut r = Replayer::new();
        r.apply_lines(text)?;
        Ok(r.dataset)
    }
}
