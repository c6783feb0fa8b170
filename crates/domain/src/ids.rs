//! Identifiers: opaque strings from the source system (or made by Sanjeh), validated once.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An identifier: 1–128 characters, no control characters, no surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Id(String);

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
        Ok(Id(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Id {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Id::parse("id", &value)?;
        Ok(Id(value))
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
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
