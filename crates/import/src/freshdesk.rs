//! Freshdesk API v2 exports (JSON arrays, search results `{"total","results"}`, single
//! objects, JSON Lines) → interchange events. See `docs/import.md` (`## freshdesk`).
//!
//! Files are recognised by their content (a collection key, or the keys of their first
//! record), never by name, and read in this order:
//!
//! 1. agents, contacts, groups, companies → profiles (and which users are agents);
//! 2. tickets → `ticket.created`, the description as the first message, `open` at creation,
//!    the assignment; status changes derived from `stats` are held back;
//! 3. conversations → messages (incoming → customer, private → internal note), each preceded
//!    by the ticket's held status changes that happened before it;
//! 4. the status changes still held back;
//! 5. satisfaction ratings → `survey.response` (csat 1–5).

mod convert;
mod model;

use crate::json_stream::{self, Driver, Probe, Records, Step};
use crate::record::{Converted, Problem};
use convert::{FLUSH, Freshdesk, Rec};
use std::path::PathBuf;

pub use convert::{channel, csat, priority, status, ticket_id, user_id};

/// How to read a Freshdesk export.
pub type Options = crate::ZoneOptions;

/// What a Freshdesk file holds, in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Agents,
    Contacts,
    Groups,
    Companies,
    Tickets,
    Conversations,
    Ratings,
}

/// Top-level keys some exporters wrap records in; `None` for collections not imported.
const COLLECTIONS: &[(&str, Option<Kind>)] = &[
    ("agents", Some(Kind::Agents)),
    ("contacts", Some(Kind::Contacts)),
    ("groups", Some(Kind::Groups)),
    ("companies", Some(Kind::Companies)),
    ("tickets", Some(Kind::Tickets)),
    ("conversations", Some(Kind::Conversations)),
    ("satisfaction_ratings", Some(Kind::Ratings)),
    ("time_entries", None),
    ("solution_articles", None),
];

/// A search result (`{"total":…,"results":[…]}`): its records tell what they are.
const WRAPPERS: &[&str] = &["results"];

/// Converts the Freshdesk export in `paths` (files or directories) to a stream of items.
pub fn convert(
    paths: &[PathBuf],
    options: &Options,
) -> Result<impl Iterator<Item = Converted> + Send + 'static, Problem> {
    let (planned, mut steps) = plan(paths)?;
    let mut flushed = false;
    for p in planned {
        if p.kind > Kind::Conversations && !flushed {
            steps.push(Step::Hook(FLUSH));
            flushed = true;
        }
        steps.push(read_step(p));
    }
    if !flushed {
        steps.push(Step::Hook(FLUSH));
    }
    Ok(Driver::new(Freshdesk::new(options.tz.clone()), steps))
}

fn read_step(p: Planned) -> Step<Rec> {
    let Planned {
        kind, path, layout, ..
    } = p;
    let open: Box<dyn FnOnce() -> Records<Rec> + Send> = Box::new(move || match kind {
        Kind::Agents => json_stream::spawn(path, layout, Rec::Agent),
        Kind::Contacts => json_stream::spawn(path, layout, Rec::Contact),
        Kind::Groups => json_stream::spawn(path, layout, Rec::Group),
        Kind::Companies => json_stream::spawn(path, layout, Rec::Company),
        Kind::Tickets => json_stream::spawn(path, layout, |t| Rec::Ticket(Box::new(t))),
        Kind::Conversations => json_stream::spawn(path, layout, Rec::Conversation),
        Kind::Ratings => json_stream::spawn(path, layout, Rec::Rating),
    });
    Step::Read { file: p.file, open }
}

/// One file to read.
type Planned = json_stream::Planned<Kind>;

/// Probes every file and orders the readable ones by kind (then by name); files that hold
/// nothing this converter reads become notes (`Item::Unmapped`, field `file`).
fn plan(paths: &[PathBuf]) -> Result<json_stream::Plan<Kind, Rec>, Problem> {
    let keys: Vec<&str> = COLLECTIONS.iter().map(|(k, _)| *k).collect();
    json_stream::plan(paths, &keys, WRAPPERS, classify)
}

/// What a probed file holds: by its collection key, else by the keys of its first record.
fn classify(probe: &Probe) -> Result<Kind, String> {
    if let Some(key) = probe.key()
        && !WRAPPERS.contains(&key)
    {
        return COLLECTIONS
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, kind)| *kind)
            .ok_or_else(|| key.to_owned());
    }
    let kind = if probe.has_all(&["incoming", "ticket_id"]) {
        Kind::Conversations
    } else if probe.has_all(&["ratings", "ticket_id"]) {
        Kind::Ratings
    } else if probe.has_all(&["requester_id", "status"]) {
        Kind::Tickets
    } else if probe.has_all(&["contact"]) {
        Kind::Agents
    } else if probe.has_all(&["domains"]) {
        Kind::Companies
    } else if probe.has_all(&["unassigned_for"]) || probe.has_all(&["escalate_to"]) {
        Kind::Groups
    } else if probe.has_all(&["email", "name"]) {
        Kind::Contacts
    } else if probe.has_all(&["time_spent"]) {
        return Err("time_entries".into());
    } else {
        return Err(format!(
            "unrecognised records (keys: {})",
            probe
                .keys
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    Ok(kind)
}
