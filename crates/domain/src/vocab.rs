//! The closed vocabularies of a help desk: statuses, priorities, channels, kinds, authors.

use crate::error::FieldError;
use crate::ids::Id;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Declares a string-valued enum with parsing that names the field and the allowed values.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire name; the error names `field` and lists the allowed values.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err(FieldError::new(field, format!(
                        concat!("unknown ", $what, " {:?}; expected one of: {}"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse($what, &raw).map_err(|e| serde::de::Error::custom(e.message))
            }
        }
    };
}

string_enum!(
    /// Ticket status. `closed` is final; `solved` can be reopened.
    Status, "status" {
        New = "new", Open = "open", Pending = "pending", OnHold = "on_hold",
        Solved = "solved", Closed = "closed",
    }
);

impl Status {
    /// new, open, pending and on_hold: the ticket still needs work.
    pub fn is_unsolved(self) -> bool {
        !matches!(self, Status::Solved | Status::Closed)
    }

    /// Whether a live (not replayed) change from `self` to `to` is allowed.
    /// Closed is final; nothing goes back to new; solved may only be closed or reopened.
    pub fn can_become(self, to: Status) -> bool {
        match (self, to) {
            (Status::Closed, _) => false,
            (_, Status::New) => self == Status::New,
            _ => true,
        }
    }

    /// Index into per-status accumulators (`TicketFacts::status_ms`).
    pub fn index(self) -> usize {
        self as usize
    }
}

string_enum!(
    /// Ticket priority.
    Priority, "priority" { Low = "low", Normal = "normal", High = "high", Urgent = "urgent" }
);

string_enum!(
    /// Where a ticket or message came in.
    Channel, "channel" {
        Email = "email", Web = "web", Chat = "chat", Phone = "phone", Sms = "sms",
        Social = "social", Api = "api", Other = "other",
    }
);

string_enum!(
    /// What a ticket is about, in Zendesk's sense plus complaints.
    Kind, "kind" {
        Question = "question", Incident = "incident", Problem = "problem", Task = "task",
        Complaint = "complaint",
    }
);

string_enum!(
    /// The survey a response answers.
    SurveyKind, "survey" { Csat = "csat", Nps = "nps", Ces = "ces" }
);

/// Normalizes a ticket's tags: trimmed, lower-cased, duplicates dropped, each 1–128 bytes.
/// Live changes and replayed events both go through here, so they always agree. A bad tag is
/// named by its position (`tags[2]`).
pub fn normalize_tags(
    field: &str,
    raw: impl IntoIterator<Item = String>,
) -> Result<Vec<String>, FieldError> {
    let mut tags: Vec<String> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.len() > 128 {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "each tag must be a non-empty string of at most 128 bytes",
            ));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(tags)
}

/// Who wrote a message or made a change: `agent:ID`, `customer:ID`, `bot:ID` or `system`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Author {
    Agent(Id),
    Customer(Id),
    Bot(Id),
    System,
}

impl Author {
    pub fn parse(field: &str, raw: &str) -> Result<Author, FieldError> {
        if raw == "system" {
            return Ok(Author::System);
        }
        let Some((kind, id)) = raw.split_once(':') else {
            return Err(FieldError::new(
                field,
                format!("{raw:?} is not agent:ID, customer:ID, bot:ID or system"),
            ));
        };
        let id = Id::parse(field, id)?;
        match kind {
            "agent" => Ok(Author::Agent(id)),
            "customer" => Ok(Author::Customer(id)),
            "bot" => Ok(Author::Bot(id)),
            _ => Err(FieldError::new(
                field,
                format!("unknown author kind {kind:?}; expected agent, customer, bot or system"),
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Author::Agent(_) => "agent",
            Author::Customer(_) => "customer",
            Author::Bot(_) => "bot",
            Author::System => "system",
        }
    }

    pub fn id(&self) -> Option<&Id> {
        match self {
            Author::Agent(id) | Author::Customer(id) | Author::Bot(id) => Some(id),
            Author::System => None,
        }
    }

    pub fn agent(&self) -> Option<&Id> {
        match self {
            Author::Agent(id) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Display for Author {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id() {
            Some(id) => write!(f, "{}:{}", self.kind(), id),
            None => f.write_str("system"),
        }
    }
}

impl Serialize for Author {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Author {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Author::parse("author", &raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_names_the_field_and_the_choices() {
        let err = Status::parse("status", "done").unwrap_err();
        assert_eq!(err.field, "status");
        assert!(err.message.contains("\"done\""), "{}", err.message);
        assert!(err.message.contains("on_hold"), "{}", err.message);
    }

    #[test]
    fn closed_is_final_and_nothing_returns_to_new() {
        for &to in Status::ALL {
            assert!(!Status::Closed.can_become(to));
        }
        assert!(!Status::Open.can_become(Status::New));
        assert!(Status::Solved.can_become(Status::Open));
        assert!(Status::Pending.can_become(Status::Solved));
    }

    #[test]
    fn authors_round_trip() {
        for raw in ["agent:A-2", "customer:C 9", "bot:faq", "system"] {
            assert_eq!(Author::parse("author", raw).unwrap().to_string(), raw);
        }
        assert!(Author::parse("author", "robot:x").is_err());
        assert!(Author::parse("author", "agent:").is_err());
    }
}
