//! What a converter yields: events with their origin, skipped records, unmapped values.

use sanjeh_domain::Event;
use std::fmt;
use std::sync::Arc;

/// Where a record came from: the file and the 1-based line (or record number, for JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u64,
}

impl Origin {
    pub fn new(file: &Arc<str>, line: u64) -> Origin {
        Origin {
            file: Arc::clone(file),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One interchange event and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub origin: Origin,
    pub event: Event,
}

/// A record that could not be used, naming the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {field}: {message}")]
pub struct Problem {
    pub origin: Origin,
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(origin: Origin, field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            origin,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One step of a conversion.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An event to import.
    Event(Box<Record>),
    /// A record left out (reported to the user; the rest of the file is still imported).
    Skipped(Problem),
    /// A value the format or the mapping does not know (an activity name, a status…),
    /// reported by `--dry-run` and after an import; `field` names the column or attribute.
    Unmapped {
        origin: Origin,
        field: String,
        value: String,
    },
}

/// A conversion step, or the problem that rejects the whole input.
pub type Converted = Result<Item, Problem>;
