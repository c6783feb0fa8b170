//! What a conversion produced, for `--dry-run` and the report after an import.

use crate::record::{Item, Problem};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fmt;

/// How many problems a summary keeps verbatim (the rest are only counted).
const KEPT_PROBLEMS: usize = 20;

/// Counts of what a conversion yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Events per interchange type.
    pub events: BTreeMap<&'static str, u64>,
    /// The earliest and the latest event time.
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Records skipped, all of them counted…
    pub skipped: u64,
    /// …and the first few kept with their file and line.
    pub problems: Vec<Problem>,
    /// Unmapped values per field, with how often each occurred.
    pub unmapped: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Summary {
    /// Counts one step of a conversion.
    pub fn add(&mut self, item: &Item) {
        match item {
            Item::Event(record) => {
                let event = &record.event;
                *self.events.entry(event.body.type_name()).or_default() += 1;
                self.first = Some(self.first.map_or(event.at, |t| t.min(event.at)));
                self.last = Some(self.last.map_or(event.at, |t| t.max(event.at)));
            }
            Item::Skipped(problem) => {
                self.skipped += 1;
                if self.problems.len() < KEPT_PROBLEMS {
                    self.problems.push(problem.clone());
                }
            }
            Item::Unmapped { field, value, .. } => {
                *self
                    .unmapped
                    .entry(field.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default() += 1;
            }
        }
    }

    /// Events in all.
    pub fn total_events(&self) -> u64 {
        self.events.values().sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "events: {}", self.total_events())?;
        for (kind, n) in &self.events {
            writeln!(f, "  {kind:<22} {n}")?;
        }
        if let (Some(first), Some(last)) = (self.first, self.last) {
            writeln!(f, "from {first} to {last}")?;
        }
        for (field, values) in &self.unmapped {
            writeln!(f, "unmapped {field}:")?;
            for (value, n) in values {
                writeln!(f, "  {value:?} × {n}")?;
            }
        }
        if self.skipped > 0 {
            writeln!(f, "skipped records: {}", self.skipped)?;
            for problem in &self.problems {
                writeln!(f, "  {problem}")?;
            }
            if self.skipped > self.problems.len() as u64 {
                writeln!(
                    f,
                    "  … and {} more",
                    self.skipped - self.problems.len() as u64
                )?;
            }
        }
        Ok(())
    }
}
