//! Zendesk exports (API JSON: list pages, incremental exports, full JSON Lines exports) →
//! interchange events. See `docs/import.md` (`## zendesk`) for the mapping.
//!
//! Files are recognised by their content (the top-level collection key, or the keys of their
//! first record), never by name, and read in this order, whatever order they are given in:
//!
//! 1. users, groups, organizations → profiles (and each user's role, to tell agents from
//!    customers);
//! 2. audits → each ticket's history: its creation audit gives `ticket.created`, the others
//!    messages, assignments, field changes, status changes and merges;
//! 3. tickets → `ticket.created` for tickets that had no creation audit, with their current
//!    values, embedded comments, and their current status at `updated_at`;
//! 4. satisfaction ratings → `survey.response` (csat good/bad).
//!
//! Within a kind, files are read in natural name order (`page2` before `page10`).

mod convert;
mod model;
mod verify;
mod vocab;

use crate::json_stream::{self, Driver, Layout, Probe, Records, Step};
use crate::record::{Converted, Problem};
use convert::{Rec, Zendesk};
use std::path::PathBuf;
use std::sync::Arc;

pub use convert::{ticket_id, user_id};
pub use verify::{Disagreement, Verification, verify};

/// How to read a Zendesk export.
pub type Options = crate::ZoneOptions;

/// What a Zendesk file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Users,
    Groups,
    Organizations,
    Audits,
    Tickets,
    Ratings,
    /// `ticket_metrics`: Zendesk's own metrics, read by [`verify`] only.
    Metrics,
}

/// Top-level keys and what they hold; `None` for collections recognised but not imported.
/// Keys a ticket record itself has (`satisfaction_rating`, `comments` in full exports) are not
/// listed, so that a JSON Lines file of tickets is not mistaken for an envelope.
const COLLECTIONS: &[(&str, Option<Kind>)] = &[
    ("users", Some(Kind::Users)),
    ("user", Some(Kind::Users)),
    ("groups", Some(Kind::Groups)),
    ("group", Some(Kind::Groups)),
    ("organizations", Some(Kind::Organizations)),
    ("organization", Some(Kind::Organizations)),
    ("audits", Some(Kind::Audits)),
    ("audit", Some(Kind::Audits)),
    ("tickets", Some(Kind::Tickets)),
    ("ticket", Some(Kind::Tickets)),
    ("satisfaction_ratings", Some(Kind::Ratings)),
    ("ticket_metrics", Some(Kind::Metrics)),
    ("ticket_metric", Some(Kind::Metrics)),
    ("ticket_events", None),
    ("ticket_metric_events", None),
    ("ticket_fields", None),
    ("sla_policies", None),
    ("custom_statuses", None),
    ("calls", None),
    ("legs", None),
    ("chats", None),
];

/// Keys descended into: a recorded API response (`{"request":…,"status":200,"body":{…}}`).
const WRAPPERS: &[&str] = &["body"];

/// Converts the Zendesk export in `paths` (files or directories) to a stream of items.
///
/// Every file is probed before anything is yielded, so a file that is not JSON at all is
/// rejected here; a file that breaks later ends the stream with `Err`.
pub fn convert(
    paths: &[PathBuf],
    options: &Options,
) -> Result<impl Iterator<Item = Converted> + Send + 'static, Problem> {
    let (planned, notes) = plan(paths)?;
    Ok(driver(planned, notes, options))
}

fn driver(planned: Vec<Planned>, notes: Vec<Step<Rec>>, options: &Options) -> Driver<Zendesk> {
    let ratings_file = planned.iter().any(|p| p.kind == Kind::Ratings);
    let mut steps = notes;
    steps.extend(
        planned
            .into_iter()
            .filter(|p| p.kind != Kind::Metrics)
            .map(read_step),
    );
    Driver::new(Zendesk::new(options.tz.clone(), ratings_file), steps)
}

fn read_step(p: Planned) -> Step<Rec> {
    let Planned {
        kind, path, layout, ..
    } = p;
    let open: Box<dyn FnOnce() -> Records<Rec> + Send> = Box::new(move || match kind {
        Kind::Users => json_stream::spawn(path, layout, Rec::User),
        Kind::Groups => json_stream::spawn(path, layout, Rec::Group),
        Kind::Organizations => json_stream::spawn(path, layout, Rec::Organization),
        Kind::Audits => json_stream::spawn(path, layout, |a| Rec::Audit(Box::new(a))),
        Kind::Tickets | Kind::Metrics => {
            json_stream::spawn(path, layout, |t| Rec::Ticket(Box::new(t)))
        }
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
    if let Some(key) = probe.key() {
        return COLLECTIONS
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, kind)| *kind)
            .ok_or_else(|| key.to_owned());
    }
    let kind = if probe.has_all(&["ticket_id", "events"]) {
        Kind::Audits
    } else if probe.has_all(&["reply_time_in_minutes"]) {
        Kind::Metrics
    } else if probe.has_all(&["ticket_id", "score"]) {
        Kind::Ratings
    } else if probe.has_all(&["requester_id", "status"]) {
        Kind::Tickets
    } else if probe.has_all(&["role"]) {
        Kind::Users
    } else if probe.has_all(&["domain_names"]) {
        Kind::Organizations
    } else if probe.has_all(&["name", "deleted"]) {
        Kind::Groups
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

/// A file verification reads Zendesk's metrics from.
struct MetricSource {
    file: Arc<str>,
    path: PathBuf,
    layout: Layout,
    /// A tickets file, whose records may embed `metric_set`.
    embedded: bool,
}

/// The metrics files of a plan and the tickets files (which may embed `metric_set`).
fn metric_sources(paths: &[PathBuf]) -> Result<Vec<MetricSource>, Problem> {
    let (planned, _) = plan(paths)?;
    Ok(planned
        .into_iter()
        .filter(|p| matches!(p.kind, Kind::Metrics | Kind::Tickets))
        .map(|p| MetricSource {
            embedded: p.kind == Kind::Tickets,
            file: p.file,
            path: p.path,
            layout: p.layout,
        })
        .collect())
}
