//! Sanjeh's domain: the vocabulary of a help desk, the interchange events that record every
//! change, the ticket state machine and the per-ticket metric facts derived from the events.
//!
//! Nothing here knows about SQL, HTTP or the wall clock: callers pass the time in.

pub mod command;
pub mod error;
pub mod event;
pub mod explain;
pub mod facts;
pub mod ids;
pub mod ticket;
pub mod vocab;

pub use command::{Command, Escalation, TicketChanges};
pub use error::{DomainError, FieldError};
pub use event::{Event, EventBody, ParsedLine};
pub use facts::{ReplyInterval, Solve, StatusSpan, TicketFacts};
pub use ids::Id;
pub use ticket::{Mode, TicketState};
pub use vocab::{Author, Channel, Kind, Priority, Status, SurveyKind, normalize_tags};

/// Milliseconds since the Unix epoch, UTC: how every instant is stored and computed on.
pub type Millis = i64;

/// Converts a timestamp to stored milliseconds.
pub fn to_millis(ts: jiff::Timestamp) -> Millis {
    ts.as_millisecond()
}

/// Converts stored milliseconds back to a timestamp (clamped to jiff's range).
pub fn from_millis(ms: Millis) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}
