//! Storage errors: database failures, domain refusals, and bad input lines.

use sanjeh_domain::{DomainError, FieldError};
use thiserror::Error;

/// A rejected line of interchange input: which line, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {field}: {message}")]
pub struct LineError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl LineError {
    pub fn field(line: u64, e: FieldError) -> LineError {
        LineError {
            line,
            field: e.field,
            message: e.message,
        }
    }

    pub fn domain(line: u64, e: &DomainError) -> LineError {
        LineError {
            line,
            field: e.field().unwrap_or("event").to_owned(),
            message: e.to_string(),
        }
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
