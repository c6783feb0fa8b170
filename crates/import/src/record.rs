//! What a converter yields: events with their origin, skipped records, unmapped values.

use sanjeh_domain::Event;
use std::collections::VecDeque;
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

/// How to read a source that brings its own structure: only the zone of times that carry no
/// offset (the `--tz` flag). Zendesk's and Freshdesk's APIs give offsets, so it matters only for
/// re-exported files; Asterisk's table exports hold local date-times, its flat files epochs.
#[derive(Debug, Clone)]
pub struct ZoneOptions {
    pub tz: jiff::tz::TimeZone,
}

impl Default for ZoneOptions {
    fn default() -> ZoneOptions {
        ZoneOptions {
            tz: jiff::tz::TimeZone::UTC,
        }
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

/// A converter that reads its input one record at a time; a record gives zero or more items.
pub(crate) trait RecordReader {
    /// Reads the next record, pushing what it gives onto `out`. `Ok(false)` when the input is
    /// used up; an `Err` rejects the whole input.
    fn read_next(&mut self, out: &mut VecDeque<Converted>) -> Result<bool, Problem>;
}

/// The stream of a [`RecordReader`]'s items, in order, ending after the first rejection.
pub(crate) struct Stream<R> {
    reader: R,
    pending: VecDeque<Converted>,
    done: bool,
}

impl<R: RecordReader> Stream<R> {
    pub(crate) fn new(reader: R) -> Stream<R> {
        Stream {
            reader,
            pending: VecDeque::new(),
            done: false,
        }
    }
}

impl<R: RecordReader> Iterator for Stream<R> {
    type Item = Converted;

    fn next(&mut self) -> Option<Converted> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if item.is_err() {
                    // Nothing after a rejection: the caller commits nothing of this input.
                    self.done = true;
                    self.pending.clear();
                }
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.reader.read_next(&mut self.pending) {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(problem) => self.pending.push_back(Err(problem)),
            }
        }
    }
}
