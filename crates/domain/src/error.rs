//! Domain errors: each names the field that is wrong, so every surface can say so.

use thiserror::Error;

/// A value that failed validation, with the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why the domain refused a command or an event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("ticket {0} does not exist")]
    UnknownTicket(String),
    #[error("ticket {0} already exists")]
    TicketExists(String),
    #[error("ticket {ticket} is closed: a closed ticket is final")]
    TicketClosed { ticket: String },
    #[error("status change {from} -> {to} is not allowed")]
    Transition {
        from: &'static str,
        to: &'static str,
    },
    #[error("call {0} does not exist")]
    UnknownCall(String),
}

impl DomainError {
    /// The request field the error is about, for problem responses.
    pub fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid(e) => Some(&e.field),
            DomainError::UnknownTicket(_) | DomainError::TicketExists(_) => Some("ticket"),
            DomainError::TicketClosed { .. } => Some("ticket"),
            DomainError::Transition { .. } => Some("status"),
            DomainError::UnknownCall(_) => Some("call"),
        }
    }
}
