//! Process-mining event logs (one row per activity on a case) to ticket events.
//!
//! A [`Mapping`] names the columns (case, activity, timestamp, resource, customer), says what
//! each activity does to the ticket, and which other columns become the priority, tags or
//! `extra` fields. Rows are read one at a time and never held; the only state kept is a small
//! entry per case (its last time, row count, whether it is closed, a hash of its attributes:
//! about 60 bytes with the map, 35 MB peak for 2.1 million rows in 458,000 cases), so a case
//! may be spread over a log sorted by time, or over several files.
//!
//! What happens to a row:
//! - the first row of a case creates the ticket (`ticket.created`, with the row's customer,
//!   priority, tags and extra fields) whatever its activity: a log that starts a case with
//!   something else than its creation still gets a ticket first. If that first activity maps
//!   to `created` or `updated` it is the creation; any other action follows at the same time;
//! - a later row whose priority, tags or customer differ from the case's adds a
//!   `ticket.updated` before the row's own events;
//! - an activity the mapping does not list is reported as [`Item::Unmapped`] (`activity`).
//!
//! Errors. A bad timestamp, a malformed CSV row, unreadable bytes or a missing column reject
//! the whole input ([`Problem`] with the file, the line — the header is line 1 — and the
//! column), because a history with a hole in its time line would be imported wrong without
//! anyone noticing. A row that cannot be attributed or ordered is skipped with a problem and
//! the rest is imported: an empty or invalid case id, a row earlier than the previous row of
//! its case, a second `created`, an action that needs a resource or customer the row lacks,
//! and (with `after_closed = "skip"`) rows of a closed case.
//!
//! Every event has a stable id, `csv:<ticket>:<n>:<k>`: `n` the row's position in its case,
//! `k` the action's position in the row (or `attrs` for a change of attributes), and
//! `csv:<ticket>:created` for the creation. Importing the same log twice, or a later export
//! that only adds rows, adds nothing twice; changing the mapping between imports changes ids.

mod mapping;

pub use mapping::{Action, AfterClosed, Columns, Mapping, PriorityMap, TimeFormat};

use crate::record::{Converted, Item, Origin, Problem, Record, RecordReader, Stream};
use jiff::Timestamp;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::TimeZone;
use sanjeh_domain::event::{TicketCreated, TicketMessage, TicketUpdated};
use sanjeh_domain::{Author, Event, EventBody, Id, Priority, Status, normalize_tags};
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

/// How to read the logs: the mapping, and the zone of timestamps that carry no offset.
#[derive(Debug, Clone)]
pub struct Options {
    pub mapping: Mapping,
    /// The zone of timestamps without an offset.
    pub tz: TimeZone,
}

impl Options {
    /// The mapping's `time.zone` when it names one (it describes the source, as the columns
    /// do), otherwise `tz` (`--tz`, UTC by default). Set [`Options::tz`] to force a zone.
    pub fn new(mapping: Mapping, tz: TimeZone) -> Options {
        let tz = mapping.time_zone.clone().unwrap_or(tz);
        Options { mapping, tz }
    }
}

/// Converts event logs, in order, sharing case state across files. Fails at once when a file
/// cannot be opened or its header lacks a mapped column; later problems end the stream with an
/// `Err`.
pub fn convert(
    paths: &[PathBuf],
    options: &Options,
) -> Result<impl Iterator<Item = Converted> + Send + 'static, Problem> {
    for path in paths {
        OpenFile::open(path, &options.mapping)?;
    }
    Ok(Stream::new(Events {
        paths: paths.iter().cloned().collect(),
        file: None,
        log: CaseLog::new(options.clone()),
    }))
}

/// The rows of the files in turn (a [`Stream`] reads a row when the last one's items are used).
struct Events {
    /// The files still to read, in order.
    paths: VecDeque<PathBuf>,
    file: Option<OpenFile>,
    log: CaseLog,
}

impl RecordReader for Events {
    /// Reads one row (opening the next file when needed) and converts it into `out`.
    fn read_next(&mut self, out: &mut VecDeque<Converted>) -> Result<bool, Problem> {
        let file = match &mut self.file {
            Some(file) => file,
            None => match self.paths.pop_front() {
                Some(path) => self
                    .file
                    .insert(OpenFile::open(&path, &self.log.options.mapping)?),
                None => return Ok(false),
            },
        };
        match file.reader.read_record(&mut file.record) {
            Ok(true) => self.log.row(file, out),
            Ok(false) => self.file = None,
            Err(e) => return Err(csv_problem(&file.name, &e)),
        }
        Ok(true)
    }
}

/// A log being read, with its columns resolved from its header.
struct OpenFile {
    name: Arc<str>,
    reader: csv::Reader<File>,
    cols: Cols,
    record: csv::StringRecord,
}

/// Column positions: the first column with the mapped name (logs may repeat a header).
struct Cols {
    case: usize,
    activity: usize,
    timestamp: usize,
    resource: Option<usize>,
    customer: Option<usize>,
    priority: Option<usize>,
    tags: Vec<(usize, String)>,
    extra: Vec<(usize, String)>,
}

impl OpenFile {
    fn open(path: &std::path::Path, mapping: &Mapping) -> Result<OpenFile, Problem> {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let file = File::open(path)
            .map_err(|e| Problem::new(Origin::new(&name, 0), "file", e.to_string()))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| csv_problem(&name, &e))?
            .clone();
        let cols = Cols::resolve(&header, mapping, &name)?;
        Ok(OpenFile {
            name,
            reader,
            cols,
            record: csv::StringRecord::new(),
        })
    }
}

impl Cols {
    fn resolve(header: &csv::StringRecord, m: &Mapping, file: &Arc<str>) -> Result<Cols, Problem> {
        let find = |key: &str, name: &str| {
            header.iter().position(|h| h.trim() == name).ok_or_else(|| {
                Problem::new(
                    Origin::new(file, 1),
                    key,
                    format!("no column named {name:?} in the header"),
                )
            })
        };
        let opt =
            |key: &str, name: &Option<String>| name.as_deref().map(|n| find(key, n)).transpose();
        let c = &m.columns;
        Ok(Cols {
            case: find("columns.case", &c.case)?,
            activity: find("columns.activity", &c.activity)?,
            timestamp: find("columns.timestamp", &c.timestamp)?,
            resource: opt("columns.resource", &c.resource)?,
            customer: opt("columns.customer", &c.customer)?,
            priority: m
                .priority
                .as_ref()
                .map(|p| find("priority.column", &p.column))
                .transpose()?,
            tags: m
                .tags
                .iter()
                .map(|(col, prefix)| Ok((find(&format!("tags.{col:?}"), col)?, prefix.clone())))
                .collect::<Result<_, Problem>>()?,
            extra: m
                .extra
                .iter()
                .map(|(col, field)| Ok((find(&format!("extra.{col:?}"), col)?, field.clone())))
                .collect::<Result<_, Problem>>()?,
        })
    }
}

/// A malformed CSV row (or bytes that are not UTF-8) rejects the file, naming its line.
fn csv_problem(file: &Arc<str>, e: &csv::Error) -> Problem {
    let line = e.position().map_or(0, csv::Position::line);
    let field = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "encoding",
        csv::ErrorKind::Io(_) => "file",
        _ => "csv",
    };
    Problem::new(Origin::new(file, line), field, e.to_string())
}

/// What the converter remembers about a case between rows.
struct CaseState {
    last_at: Timestamp,
    rows: u32,
    closed: bool,
    /// Hash of the priority, tags and customer last given to the ticket.
    attrs: u64,
}

/// One row's values, checked. Tags and customer are built only when an event needs them:
/// most rows repeat their case's, which the fingerprint of the raw values tells cheaply.
struct Row<'r> {
    origin: Origin,
    ticket: Id,
    at: Timestamp,
    activity: &'r str,
    agent: Option<Id>,
    priority: Priority,
    /// Hash of the raw priority, tag and customer values.
    attrs: u64,
    rec: &'r csv::StringRecord,
    cols: &'r Cols,
}

impl Row<'_> {
    fn get(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("").trim()
    }

    /// `prefix:value` for each tag column with a value, normalized as the domain does.
    fn tags(&self) -> Vec<String> {
        let tags = self
            .cols
            .tags
            .iter()
            .filter_map(|(i, prefix)| tag(prefix, self.get(*i)))
            // A tag too long for the domain is left out rather than failing the row.
            .filter(|t| t.len() <= 128);
        normalize_tags("tags", tags).unwrap_or_default()
    }

    fn customer(&self, m: &Mapping) -> Option<Id> {
        self.cols
            .customer
            .and_then(|i| prefixed(&m.customer_prefix, self.get(i)))
    }
}

/// The conversion state: options plus every case seen so far (by the hash of its ticket id).
struct CaseLog {
    options: Options,
    cases: HashMap<u64, CaseState>,
}

impl CaseLog {
    fn new(options: Options) -> CaseLog {
        CaseLog {
            options,
            cases: HashMap::new(),
        }
    }

    /// Converts the current row of `file` into `out`.
    fn row(&mut self, file: &OpenFile, out: &mut VecDeque<Converted>) {
        match self.read(file, out) {
            Ok(Some(row)) => self.apply(row, out),
            Ok(None) => {}
            Err(problem) => out.push_back(Err(problem)),
        }
    }

    /// Reads and checks a row: `Ok(None)` when it was skipped (reported in `out`), `Err` when
    /// it rejects the file.
    fn read<'r>(
        &self,
        file: &'r OpenFile,
        out: &mut VecDeque<Converted>,
    ) -> Result<Option<Row<'r>>, Problem> {
        let (rec, cols, m) = (&file.record, &file.cols, &self.options.mapping);
        let line = rec.position().map_or(0, csv::Position::line);
        let origin = Origin::new(&file.name, line);
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let raw_ts = get(cols.timestamp);
        let at = self.parse_time(raw_ts).map_err(|e| {
            Problem::new(
                origin.clone(),
                m.columns.timestamp.as_str(),
                format!(
                    "{raw_ts:?} is not a time in the format {}: {e}",
                    self.format_name()
                ),
            )
        })?;
        let case = get(cols.case);
        let case = m
            .case_strip
            .as_deref()
            .and_then(|p| case.strip_prefix(p))
            .unwrap_or(case);
        if case.is_empty() {
            out.push_back(skip(
                &origin,
                &m.columns.case,
                "empty case id; row left out",
            ));
            return Ok(None);
        }
        let ticket = match Id::parse("ticket", &format!("{}{case}", m.ticket_prefix)) {
            Ok(t) => t,
            Err(e) => {
                out.push_back(skip(&origin, &m.columns.case, &e.message));
                return Ok(None);
            }
        };
        let agent = cols
            .resource
            .map(get)
            .and_then(|r| prefixed(&m.agent_prefix, r));
        let priority = self.priority(&get, cols, &origin, out);
        let mut h = DefaultHasher::new();
        priority.hash(&mut h);
        for i in cols.tags.iter().map(|(i, _)| *i).chain(cols.customer) {
            get(i).hash(&mut h);
        }
        Ok(Some(Row {
            origin,
            ticket,
            at,
            activity: get(cols.activity),
            agent,
            priority,
            attrs: h.finish(),
            rec,
            cols,
        }))
    }

    fn format_name(&self) -> &str {
        match &self.options.mapping.time_format {
            TimeFormat::Rfc3339 => "rfc3339",
            TimeFormat::Strftime(f) => f,
        }
    }

    /// Parses a timestamp; one without an offset is local to the source zone (a time that
    /// occurs twice at a DST change is taken as the first, one skipped by it moves forward).
    fn parse_time(&self, raw: &str) -> Result<Timestamp, String> {
        match &self.options.mapping.time_format {
            TimeFormat::Rfc3339 => raw.parse::<Timestamp>().map_err(|e| e.to_string()),
            TimeFormat::Strftime(format) => {
                let tm = BrokenDownTime::parse(format, raw).map_err(|e| e.to_string())?;
                if tm.offset().is_some() {
                    return tm.to_timestamp().map_err(|e| e.to_string());
                }
                let dt = tm.to_datetime().map_err(|e| e.to_string())?;
                self.options
                    .tz
                    .to_ambiguous_zoned(dt)
                    .compatible()
                    .map(|z| z.timestamp())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The row's priority; a value the mapping lacks is reported and the default used.
    fn priority<'a>(
        &self,
        get: &impl Fn(usize) -> &'a str,
        cols: &Cols,
        origin: &Origin,
        out: &mut VecDeque<Converted>,
    ) -> Priority {
        let (Some(p), Some(i)) = (&self.options.mapping.priority, cols.priority) else {
            return Priority::Normal;
        };
        let raw = get(i);
        if let Some(v) = p.values.get(raw) {
            return *v;
        }
        if !raw.is_empty() {
            out.push_back(Ok(Item::Unmapped {
                origin: origin.clone(),
                field: p.column.clone(),
                value: raw.to_owned(),
            }));
        }
        p.default
    }

    /// Turns a checked row into events, updating its case.
    fn apply(&mut self, row: Row<'_>, out: &mut VecDeque<Converted>) {
        let m = &self.options.mapping;
        let actions = m.activities.get(row.activity).map(Vec::as_slice);
        if actions.is_none() {
            out.push_back(Ok(Item::Unmapped {
                origin: row.origin.clone(),
                field: "activity".to_owned(),
                value: row.activity.to_owned(),
            }));
        }
        let actions = actions.unwrap_or(&[]);
        let key = fingerprint(&row.ticket);
        let fp = row.attrs;
        let Some(case) = self.cases.get_mut(&key) else {
            out.push_back(created(&row, m));
            let mut case = CaseState {
                last_at: row.at,
                rows: 1,
                closed: false,
                attrs: fp,
            };
            let rest = actions
                .iter()
                .filter(|a| !matches!(a, Action::Created | Action::Updated));
            emit_actions(&row, m, &mut case, rest.enumerate(), out);
            self.cases.insert(key, case);
            return;
        };
        if row.at < case.last_at {
            out.push_back(skip(
                &row.origin,
                &m.columns.timestamp,
                &format!(
                    "{} is earlier than the previous row of case {} ({}); a ticket's events \
                     must be in time order",
                    row.at, row.ticket, case.last_at
                ),
            ));
            return;
        }
        if case.closed && m.after_closed == AfterClosed::Skip {
            out.push_back(skip(
                &row.origin,
                &m.columns.activity,
                "the ticket is closed (after_closed = \"skip\")",
            ));
            return;
        }
        case.rows += 1;
        case.last_at = row.at;
        let mut updated = false;
        if fp != case.attrs {
            case.attrs = fp;
            updated = true;
            out.push_back(event(
                &row,
                &format!("{}:attrs", case.rows),
                update(&row, m),
            ));
        }
        for (k, action) in actions.iter().enumerate() {
            match action {
                Action::Created => out.push_back(skip(
                    &row.origin,
                    &m.columns.activity,
                    "the ticket was already created by an earlier row; row left out",
                )),
                Action::Updated if updated => {}
                Action::Updated => {
                    out.push_back(event(&row, &format!("{}:{k}", case.rows), update(&row, m)))
                }
                _ => emit_actions(&row, m, case, std::iter::once((k, action)), out),
            }
        }
    }
}

/// Emits the events of `actions` (numbered within the row) for a case's current row.
fn emit_actions<'a>(
    row: &Row<'_>,
    m: &Mapping,
    case: &mut CaseState,
    actions: impl Iterator<Item = (usize, &'a Action)>,
    out: &mut VecDeque<Converted>,
) {
    for (k, action) in actions {
        let suffix = format!("{}:{k}", case.rows);
        let agent = || row.agent.clone();
        let body = match action {
            Action::Created | Action::Updated | Action::Ignore => continue,
            Action::Assigned => match agent() {
                Some(a) => EventBody::TicketAssigned {
                    ticket: row.ticket.clone(),
                    agent: Some(a.clone()),
                    group: None,
                    by: Some(Author::Agent(a)),
                },
                None => {
                    out.push_back(skip(
                        &row.origin,
                        resource(m),
                        "nobody to assign: the resource is empty",
                    ));
                    continue;
                }
            },
            Action::Reply | Action::Note => match agent() {
                Some(a) => message(row, Author::Agent(a), *action == Action::Reply),
                None => {
                    out.push_back(skip(
                        &row.origin,
                        resource(m),
                        "an agent message needs a resource",
                    ));
                    continue;
                }
            },
            Action::CustomerMessage => match row.customer(m) {
                Some(c) => message(row, Author::Customer(c), true),
                None => {
                    out.push_back(skip(
                        &row.origin,
                        m.columns.customer.as_deref().unwrap_or("customer"),
                        "a customer message needs a customer",
                    ));
                    continue;
                }
            },
            Action::Status(status) => {
                case.closed = *status == Status::Closed;
                EventBody::TicketStatus {
                    ticket: row.ticket.clone(),
                    status: *status,
                    by: agent().map(Author::Agent),
                }
            }
        };
        out.push_back(event(row, &suffix, body));
    }
}

/// The ticket's creation from the first row of its case, with the mapped extra columns.
fn created(row: &Row<'_>, m: &Mapping) -> Converted {
    let body = EventBody::TicketCreated(TicketCreated {
        ticket: row.ticket.clone(),
        customer: row.customer(m),
        organization: None,
        channel: m.channel,
        priority: row.priority,
        group: None,
        subject: None,
        tags: row.tags(),
        kind: None,
        by: None,
    });
    let mut converted = event(row, "created", body);
    if let Ok(Item::Event(record)) = &mut converted {
        for (i, field) in &row.cols.extra {
            let value = row.get(*i);
            if !value.is_empty() {
                record.event.extra.insert(field.clone(), Value::from(value));
            }
        }
    }
    converted
}

fn update(row: &Row<'_>, m: &Mapping) -> EventBody {
    EventBody::TicketUpdated(TicketUpdated {
        ticket: Some(row.ticket.clone()),
        priority: Some(row.priority),
        tags: Some(row.tags()),
        customer: row.customer(m),
        ..TicketUpdated::default()
    })
}

fn message(row: &Row<'_>, author: Author, public: bool) -> EventBody {
    EventBody::TicketMessage(TicketMessage {
        ticket: row.ticket.clone(),
        author,
        public,
        body: String::new(),
        channel: None,
        message: None,
    })
}

/// An event of the row's ticket with the id `csv:<ticket>:<suffix>`.
fn event(row: &Row<'_>, suffix: &str, body: EventBody) -> Converted {
    let mut event = Event::new(row.at, body);
    event.id = Some(format!("csv:{}:{suffix}", row.ticket));
    Ok(Item::Event(Box::new(Record {
        origin: row.origin.clone(),
        event,
    })))
}

/// The resource column's name, for problems.
fn resource(m: &Mapping) -> &str {
    m.columns.resource.as_deref().unwrap_or("resource")
}

fn skip(origin: &Origin, field: &str, message: &str) -> Converted {
    Ok(Item::Skipped(Problem::new(origin.clone(), field, message)))
}

/// `prefix + value` as an id, or `None` when the value is empty (or not a usable id).
fn prefixed(prefix: &str, value: &str) -> Option<Id> {
    if value.is_empty() {
        return None;
    }
    Id::parse("id", &format!("{prefix}{value}")).ok()
}

/// `prefix:value` with inner whitespace as `-` (tags are single words in most UIs).
fn tag(prefix: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let value = value.split_whitespace().collect::<Vec<_>>().join("-");
    Some(if prefix.is_empty() {
        value
    } else {
        format!("{prefix}:{value}")
    })
}

fn fingerprint(id: &Id) -> u64 {
    let mut h = DefaultHasher::new();
    id.as_str().hash(&mut h);
    h.finish()
}
