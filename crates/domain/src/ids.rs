//! Identifiers: opaque strings from the source system (or made by Sanjeh), validated once.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// An identifier: 1–128 characters, no control characters, no surrounding whitespace.
///
/// Shared, not owned: the write path clones ids into many rows (a ticket's id goes into its
/// state, its facts, each event and message), and a clone is a count, not an allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Id(Arc<str>);

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Id {
    pub const MAX_LEN: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Id, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                format!("longer than {} bytes", Self::MAX_LEN),
            ));
        }
        if raw.trim() != raw || raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "has surrounding whitespace or control characters",
            ));
        }
        Ok(Id(Arc::from(raw)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same text, shared: binding it to a statement copies nothing.
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl TryFrom<String> for Id {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Id::parse("id", &value)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0.to_string()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
