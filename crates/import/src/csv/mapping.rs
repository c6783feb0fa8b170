//! The TOML mapping that tells the csv converter what an event log's columns and activities
//! mean. Parsing is strict (unknown keys are errors) so a typo is reported, not ignored.

use crate::record::{Origin, Problem};
use jiff::tz::TimeZone;
use sanjeh_domain::{Channel, Priority, Status};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// A mapping value that cannot be used: the key (`activities."Wait"`, `time.zone`…) and why.
/// It becomes a [`Problem`] naming the mapping file, the key's line and the key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
struct MappingError {
    key: String,
    message: String,
}

impl MappingError {
    fn invalid(key: impl Into<String>, message: impl Into<String>) -> MappingError {
        MappingError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// What one activity of the log does to its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `created`: the ticket's creation (a later row with it is reported and left out).
    Created,
    /// `updated`: a `ticket.updated` with the row's priority, tags and customer.
    Updated,
    /// `assigned`: the row's resource becomes the assignee.
    Assigned,
    /// `reply`: a public message by the row's resource (an agent reply).
    Reply,
    /// `note`: an internal note by the row's resource.
    Note,
    /// `customer_message`: a message by the row's customer.
    CustomerMessage,
    /// `status:X`, `solved`, `closed`, `reopened` (= `status:open`).
    Status(Status),
    /// `ignore`: known, and deliberately not imported.
    Ignore,
}

impl Action {
    fn parse(key: &str, raw: &str) -> Result<Action, MappingError> {
        let action = match raw {
            "created" => Action::Created,
            "updated" => Action::Updated,
            "assigned" => Action::Assigned,
            "reply" => Action::Reply,
            "note" => Action::Note,
            "customer_message" => Action::CustomerMessage,
            "solved" => Action::Status(Status::Solved),
            "closed" => Action::Status(Status::Closed),
            "reopened" => Action::Status(Status::Open),
            "ignore" => Action::Ignore,
            other => {
                let Some(status) = other.strip_prefix("status:") else {
                    return Err(MappingError::invalid(
                        key,
                        format!(
                            "unknown action {other:?}; expected created, updated, assigned, \
                             reply, note, customer_message, status:STATUS, solved, closed, \
                             reopened or ignore"
                        ),
                    ));
                };
                let status = Status::parse(key, status)
                    .map_err(|e| MappingError::invalid(key, e.message))?;
                if status == Status::New {
                    // Replay never moves a ticket back to new: a created ticket already is.
                    return Err(MappingError::invalid(
                        key,
                        "status:new is not allowed (a ticket never returns to new)",
                    ));
                }
                Action::Status(status)
            }
        };
        Ok(action)
    }
}

/// How timestamps are written in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 with an offset.
    Rfc3339,
    /// A jiff strftime pattern (`%Y/%m/%d %H:%M:%S%.f`); without `%z`/`%Q` the time is local
    /// to the source time zone.
    Strftime(String),
}

/// What to do with rows of a case after it was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterClosed {
    /// Import them: replay takes recorded history as fact (a later activity reopens it).
    Keep,
    /// Leave them out, each reported as skipped.
    Skip,
}

/// A compiled mapping: columns by header name, activities to actions, value tables.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub columns: Columns,
    pub ticket_prefix: String,
    pub case_strip: Option<String>,
    pub agent_prefix: String,
    pub customer_prefix: String,
    pub time_format: TimeFormat,
    /// The source's zone from the mapping (`--tz` overrides it through [`super::Options`]).
    pub time_zone: Option<TimeZone>,
    pub channel: Channel,
    pub after_closed: AfterClosed,
    pub activities: HashMap<String, Vec<Action>>,
    pub priority: Option<PriorityMap>,
    /// Column → tag prefix; a row's value becomes the tag `prefix:value`.
    pub tags: Vec<(String, String)>,
    /// Column → field name on `ticket.created`'s `extra`.
    pub extra: Vec<(String, String)>,
}

/// The header names of the columns the converter reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub case: String,
    pub activity: String,
    pub timestamp: String,
    pub resource: Option<String>,
    pub customer: Option<String>,
}

/// A column whose values are priorities.
#[derive(Debug, Clone)]
pub struct PriorityMap {
    pub column: String,
    pub values: HashMap<String, Priority>,
    pub default: Priority,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    columns: Columns,
    #[serde(default)]
    ids: RawIds,
    time: RawTime,
    #[serde(default)]
    ticket: RawTicket,
    activities: BTreeMap<String, OneOrMany>,
    priority: Option<RawPriority>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    extra: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIds {
    #[serde(default)]
    ticket_prefix: String,
    case_strip: Option<String>,
    #[serde(default)]
    agent_prefix: String,
    #[serde(default)]
    customer_prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTime {
    format: String,
    zone: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTicket {
    channel: Option<String>,
    after_closed: Option<AfterClosed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    column: String,
    default: Option<String>,
    values: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Mapping {
    /// Parses and checks a mapping. The problem's `field` is the key that is wrong
    /// (`activities."Wait"`, `time.zone`, `zonee` for an unknown key, `toml` for bad syntax) and
    /// its line the key's; the file is called `mapping`.
    pub fn from_toml_str(text: &str) -> Result<Mapping, Problem> {
        Mapping::parse(text, &Arc::from("mapping"))
    }

    /// Reads and parses a mapping file; problems name the file.
    pub fn load(path: &Path) -> Result<Mapping, Problem> {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let text = std::fs::read_to_string(path)
            .map_err(|e| Problem::new(Origin::new(&file, 0), "mapping", e.to_string()))?;
        Mapping::parse(&text, &file)
    }

    fn parse(text: &str, file: &Arc<str>) -> Result<Mapping, Problem> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map_or(0, |before| 1 + before.matches('\n').count());
            Problem::new(Origin::new(file, line as u64), toml_key(&e), e.message())
        })?;
        Mapping::compile(raw)
            .map_err(|e| Problem::new(Origin::new(file, line_of(text, &e.key)), e.key, e.message))
    }

    fn compile(raw: RawMapping) -> Result<Mapping, MappingError> {
        let time_format = match raw.time.format.as_str() {
            "rfc3339" => TimeFormat::Rfc3339,
            "" => return Err(MappingError::invalid("time.format", "must not be empty")),
            f => TimeFormat::Strftime(f.to_owned()),
        };
        let time_zone = raw
            .time
            .zone
            .map(|z| {
                TimeZone::get(&z).map_err(|e| MappingError::invalid("time.zone", e.to_string()))
            })
            .transpose()?;
        let channel = match raw.ticket.channel {
            Some(c) => Channel::parse("ticket.channel", &c)
                .map_err(|e| MappingError::invalid("ticket.channel", e.message))?,
            None => Channel::Other,
        };
        let mut activities = HashMap::with_capacity(raw.activities.len());
        for (name, actions) in raw.activities {
            let key = format!("activities.{name:?}");
            let list = match actions {
                OneOrMany::One(a) => vec![a],
                OneOrMany::Many(list) => list,
            };
            if list.is_empty() {
                return Err(MappingError::invalid(
                    key,
                    "give at least one action (or \"ignore\")",
                ));
            }
            let actions = list
                .iter()
                .map(|a| Action::parse(&key, a))
                .collect::<Result<Vec<_>, _>>()?;
            activities.insert(name, actions);
        }
        Ok(Mapping {
            columns: raw.columns,
            ticket_prefix: raw.ids.ticket_prefix,
            case_strip: raw.ids.case_strip.filter(|s| !s.is_empty()),
            agent_prefix: raw.ids.agent_prefix,
            customer_prefix: raw.ids.customer_prefix,
            time_format,
            time_zone,
            channel,
            after_closed: raw.ticket.after_closed.unwrap_or(AfterClosed::Keep),
            activities,
            priority: raw.priority.map(compile_priority).transpose()?,
            tags: raw.tags.into_iter().collect(),
            extra: raw.extra.into_iter().collect(),
        })
    }
}

fn compile_priority(raw: RawPriority) -> Result<PriorityMap, MappingError> {
    let parse = |key: String, v: &str| {
        Priority::parse(&key, v).map_err(|e| MappingError::invalid(key, e.message))
    };
    let default = match raw.default {
        Some(d) => parse("priority.default".into(), &d)?,
        None => Priority::Normal,
    };
    let mut values = HashMap::with_capacity(raw.values.len());
    for (k, v) in raw.values {
        let p = parse(format!("priority.values.{k:?}"), &v)?;
        values.insert(k, p);
    }
    Ok(PriorityMap {
        column: raw.column,
        values,
        default,
    })
}

/// The 1-based line where the last segment of `key` is defined (0 when not found): the
/// mapping's author looks there.
fn line_of(text: &str, key: &str) -> u64 {
    let name = match key.split_once('"') {
        Some((_, quoted)) => quoted.trim_end_matches('"'),
        None => key.rsplit('.').next().unwrap_or(key),
    };
    let quoted = format!("\"{name}\"");
    let defines = |line: &str| {
        let line = line.trim_start();
        let rest = line
            .strip_prefix(quoted.as_str())
            .or_else(|| line.strip_prefix(name));
        rest.is_some_and(|r| r.trim_start().starts_with('='))
    };
    text.lines().position(defines).map_or(0, |i| i as u64 + 1)
}

/// The key a TOML error is about, from serde's "unknown field `x`" / "missing field `x`", or
/// `toml` when it is a syntax error (the message then gives the line and column).
fn toml_key(e: &toml::de::Error) -> String {
    let msg = e.message();
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = msg.split(marker).nth(1)
            && let Some(field) = rest.split('`').next()
        {
            return field.to_owned();
        }
    }
    "toml".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [columns]
        case = "case"
        activity = "activity"
        timestamp = "at"
        [time]
        format = "rfc3339"
        [activities]
        open = "created"
        work = ["assigned", "status:open"]
    "#;

    #[test]
    fn a_minimal_mapping_compiles() {
        let m = Mapping::from_toml_str(MINIMAL).unwrap();
        assert_eq!(m.time_format, TimeFormat::Rfc3339);
        assert_eq!(
            m.activities["work"],
            vec![Action::Assigned, Action::Status(Status::Open)]
        );
        assert_eq!(m.after_closed, AfterClosed::Keep);
    }

    #[test]
    fn errors_name_the_key() {
        let bad_action = MINIMAL.replace("\"created\"", "\"born\"");
        let e = Mapping::from_toml_str(&bad_action).unwrap_err();
        assert_eq!(e.field, "activities.\"open\"", "{e}");
        assert_eq!(e.origin.line, 9, "{e}");

        let new = MINIMAL.replace("\"created\"", "\"status:new\"");
        assert_eq!(
            Mapping::from_toml_str(&new).unwrap_err().field,
            "activities.\"open\""
        );

        let unknown = MINIMAL.replace("[time]", "[time]\nzonee = \"UTC\"");
        let e = Mapping::from_toml_str(&unknown).unwrap_err();
        assert_eq!((e.field.as_str(), e.origin.line), ("zonee", 7), "{e}");

        let zone = MINIMAL.replace("[time]", "[time]\nzone = \"Mars/Olympus\"");
        assert_eq!(
            Mapping::from_toml_str(&zone).unwrap_err().field,
            "time.zone"
        );
    }
}
