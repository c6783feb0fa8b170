//! Storage errors: database failures, domain refusals, and bad input lines.

use sanjeh_domain::{DomainError, FieldError};
use std::sync::Arc;
use thiserror::Error;

/// A rejected line of input: which file (when the input is several files converted from
/// another system), which line, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}line {line}: {field}: {message}", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct LineError {
    pub file: Option<Arc<str>>,
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl LineError {
    pub fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> LineError {
        LineError {
            file: None,
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn field(line: u64, e: FieldError) -> LineError {
        LineError::new(line, e.field, e.message)
    }

    pub fn domain(line: u64, e: &DomainError) -> LineError {
        LineError::new(line, e.field().unwrap_or("event"), e.to_string())
    }

    /// The same error, naming the file the line is in.
    pub fn in_file(self, file: Option<Arc<str>>) -> LineError {
        LineError { file, ..self }
    }
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Line(#[from] LineError),
    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("invalid database URL {url:?}: {message}")]
    Url { url: String, message: String },
}

impl StoreError {
    pub fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::Corrupt(what.into())
    }
}
