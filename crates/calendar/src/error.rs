//! Errors. Every schedule error names the field at fault, as a path into the JSON form of the
//! schedule (`intervals[2].end`), so the API and CLI can show it next to the input.

/// A schedule that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScheduleError {
    /// Path of the bad field, e.g. `holidays[0].date`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ScheduleError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error under a parent path (`groups.support` + `intervals[0].end`).
    pub(crate) fn within(mut self, parent: &str) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

/// An iCalendar file that cannot be imported, and on which (unfolded) line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IcsError {
    /// 1-based line number in the original text where the offending content line starts.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}
