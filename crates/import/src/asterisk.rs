//! Asterisk `queue_log` to call events: the flat file (`epoch|callid|queue|agent|event|data…`)
//! and its database-table exports (Issabel/FreePBX `queue_log` with `data1…`, or the
//! QueueMetrics/qstats layout with `param1…`, `entpos`, `expos`, `htime`, `ttime`). Which one a
//! file is, is read from its first line.
//!
//! A call's lines become one call per queue visit (a *leg*): `ast-<callid>`, and
//! `ast-<callid>.2`, `.3`… when the same channel enters a queue again.
//!
//! | queue_log | event | kept in `extra` |
//! |---|---|---|
//! | ENTERQUEUE | `call.queued` (queue, customer `ast-cid-<caller id>`) | `position` |
//! | CONNECT | `call.answered` (agent `ast-<agent>`) | `wait_s`, `ring_s`, `ring_no_answer`, `ring_no_answer_agents` |
//! | ABANDON, EXITWITHTIMEOUT, EXITWITHKEY, EXITEMPTY | `call.abandoned` | `reason`, `position`, `orig_position`, `wait_s`, `key`, `ring_no_answer…` |
//! | COMPLETECALLER, COMPLETEAGENT | `call.ended` | `hung_up_by`, `talk_s`, `wait_s` |
//! | TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER | `call.ended` of this leg | `transfer`, `transfer_to`, `transfer_context`, `talk_s`, `wait_s` |
//! | RINGNOANSWER | none: counted on the call's next event | |
//!
//! Asterisk's "holdtime" is the wait in the queue, not hold during the conversation, so it goes
//! to `wait_s`, never to the interchange `hold_s` (which the KPIs count as handle time).
//!
//! | AGENTLOGIN, AGENTCALLBACKLOGIN, ADDMEMBER, UNPAUSE, UNPAUSEALL | `agent.availability` available (queue, or every queue for NONE) | `asterisk_event` |
//! | PAUSE, PAUSEALL, PAUSECUSTOM | `agent.availability` paused (reason from data1) | `asterisk_event` |
//! | AGENTLOGOFF, AGENTCALLBACKLOGOFF, REMOVEMEMBER | `agent.availability` logged_out | `asterisk_event` |
//!
//! An agent logging off does not end a call they are on: the call ends with its own line.
//! Outbound tracking (OUT*) and system lines (QUEUESTART, CONFIGRELOAD) have no interchange
//! type: each is reported as [`Item::Unmapped`] under a field that says which kind it is, and
//! nothing is emitted.
//!
//! Errors. A `queue_log` is written by a running PBX and a crash can leave a torn line, so a
//! bad line (too few fields, an unreadable time, a call event without a call id) is skipped with
//! a problem and the rest imported. So is a call event out of sequence: CONNECT without
//! ENTERQUEUE, an end without an answer, a second answer. Only a file that cannot be opened or
//! whose first line is neither layout rejects the input.
//!
//! Memory: one small entry per call seen in the last 24 hours of log time (a call does not
//! stay queued or connected longer), so a year of log streams in constant memory.

use crate::record::{Converted, Item, Origin, Problem, Record, RecordReader, Stream};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use sanjeh_domain::event::Availability;
use sanjeh_domain::{Event, EventBody, Id};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to read the logs: the zone of local date-times in table exports.
pub type Options = crate::ZoneOptions;

/// Converts queue logs, in order, sharing call state across files (a rotated log continues
/// the previous one). Fails at once when a file cannot be opened or is not a queue_log.
pub fn convert(
    paths: &[PathBuf],
    options: &Options,
) -> Result<impl Iterator<Item = Converted> + Send + 'static, Problem> {
    for path in paths {
        Source::open(path)?;
    }
    Ok(Stream::new(Events {
        paths: paths.iter().cloned().collect(),
        source: None,
        log: CallLog::new(options.clone()),
    }))
}

/// How long a finished or silent call is remembered, in log seconds.
const CALL_MEMORY_S: i64 = 86_400;
/// How often (in lines) forgotten calls are swept out.
const SWEEP_EVERY: u64 = 4096;
/// How many distinct agents a call lists in `ring_no_answer_agents`.
const MAX_RNA_AGENTS: usize = 8;

/// The lines of the files in turn (a [`Stream`] reads a line when the last one's items are used).
struct Events {
    /// The files still to read, in order.
    paths: VecDeque<PathBuf>,
    source: Option<Source>,
    log: CallLog,
}

impl RecordReader for Events {
    /// Reads one line (opening the next file when needed) and converts it into `out`.
    fn read_next(&mut self, out: &mut VecDeque<Converted>) -> Result<bool, Problem> {
        let source = match &mut self.source {
            Some(s) => s,
            None => match self.paths.pop_front() {
                Some(path) => self.source.insert(Source::open(&path)?),
                None => return Ok(false),
            },
        };
        match source.next_line(&self.log.options.tz)? {
            Some(Ok(line)) => self.log.line(line, out),
            Some(Err(problem)) => out.push_back(Ok(Item::Skipped(problem))),
            None => self.source = None,
        }
        Ok(true)
    }
}

/// One queue_log line, in the flat file's terms whatever the layout.
#[derive(Debug)]
struct Line {
    origin: Origin,
    at: Timestamp,
    callid: String,
    queue: String,
    agent: String,
    event: String,
    /// data1, data2, … as Asterisk writes them.
    data: Vec<String>,
}

impl Line {
    fn data(&self, i: usize) -> &str {
        self.data.get(i).map_or("", |s| s.trim())
    }
}

/// An open log, with its layout.
struct Source {
    name: Arc<str>,
    kind: SourceKind,
}

enum SourceKind {
    Flat {
        reader: BufReader<File>,
        buf: Vec<u8>,
        line: u64,
    },
    Table {
        reader: Box<csv::Reader<BufReader<File>>>,
        layout: Layout,
        record: csv::ByteRecord,
        /// Lines read before the csv reader started (blank lines and the header).
        skipped_lines: u64,
    },
}

impl Source {
    fn open(path: &Path) -> Result<Source, Problem> {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let fail = |line, msg: String| Problem::new(Origin::new(&name, line), "file", msg);
        let file = File::open(path).map_err(|e| fail(0, e.to_string()))?;
        let mut reader = BufReader::new(file);
        let first = first_line(&mut reader).map_err(|e| fail(0, e.to_string()))?;
        let Some((line_no, first)) = first else {
            // An empty log is a log without calls.
            return Ok(Source {
                name,
                kind: SourceKind::Flat {
                    reader,
                    buf: Vec::new(),
                    line: 0,
                },
            });
        };
        if looks_flat(&first) {
            // Start again from the top: the first line is data.
            let file = File::open(path).map_err(|e| fail(0, e.to_string()))?;
            return Ok(Source {
                name,
                kind: SourceKind::Flat {
                    reader: BufReader::new(file),
                    buf: Vec::new(),
                    line: 0,
                },
            });
        }
        let header = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(first.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let Some(layout) = Layout::from_header(&header) else {
            return Err(fail(
                line_no,
                "neither a queue_log file (epoch|callid|queue|agent|event|…) nor a queue_log \
                 table export (a header naming callid, event and a time column)"
                    .to_owned(),
            ));
        };
        // The header has been read: the csv reader continues from the next line, so its line
        // numbers are off by the header's.
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        Ok(Source {
            name,
            kind: SourceKind::Table {
                reader: Box::new(reader),
                layout,
                record: csv::ByteRecord::new(),
                skipped_lines: line_no,
            },
        })
    }

    /// The next line: `None` at the end, `Some(Err)` for a line to skip, `Err` when the file
    /// can no longer be read.
    fn next_line(&mut self, tz: &TimeZone) -> Result<Option<Result<Line, Problem>>, Problem> {
        let name = &self.name;
        match &mut self.kind {
            SourceKind::Flat { reader, buf, line } => loop {
                buf.clear();
                let n = reader.read_until(b'\n', buf).map_err(|e| {
                    Problem::new(Origin::new(name, *line + 1), "file", e.to_string())
                })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                let text = String::from_utf8_lossy(buf);
                let text = text.trim_end_matches(['\n', '\r']);
                if text.trim().is_empty() {
                    continue;
                }
                return Ok(Some(parse_flat(Origin::new(name, *line), text)));
            },
            SourceKind::Table {
                reader,
                layout,
                record,
                skipped_lines,
            } => match reader.read_byte_record(record) {
                Ok(false) => Ok(None),
                Ok(true) => {
                    let line = record.position().map_or(0, csv::Position::line) + *skipped_lines;
                    Ok(Some(layout.line(Origin::new(name, line), record, tz)))
                }
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line) + *skipped_lines;
                    Err(Problem::new(Origin::new(name, line), "file", e.to_string()))
                }
            },
        }
    }
}

/// Reads up to the first non-blank line, returning it with its 1-based number.
fn first_line(reader: &mut impl BufRead) -> std::io::Result<Option<(u64, String)>> {
    let mut n = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        n += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_start_matches('\u{feff}').trim();
        if !text.is_empty() {
            return Ok(Some((n, text.to_owned())));
        }
    }
}

/// `epoch|callid|queue|agent|event…`: at least five `|` fields, the first a number.
fn looks_flat(line: &str) -> bool {
    let mut fields = line.split('|');
    let epoch = fields.next().unwrap_or("");
    is_epoch(epoch) && fields.count() >= 4
}

fn is_epoch(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Epoch seconds (Asterisk writes whole seconds; a fraction is accepted).
fn parse_epoch(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: i64 = secs.parse().ok()?;
    let nanos = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        digits.parse::<i32>().ok()?
    };
    Timestamp::new(secs, nanos).ok()
}

fn parse_flat(origin: Origin, text: &str) -> Result<Line, Problem> {
    let mut fields = text.split('|');
    let mut next = || fields.next().map(|s| s.trim().to_owned());
    let (Some(epoch), Some(callid), Some(queue), Some(agent), Some(event)) =
        (next(), next(), next(), next(), next())
    else {
        return Err(Problem::new(
            origin,
            "line",
            format!("expected epoch|callid|queue|agent|event|…, got {text:?}"),
        ));
    };
    let Some(at) = parse_epoch(&epoch) else {
        return Err(Problem::new(
            origin,
            "time",
            format!("{epoch:?} is not epoch seconds"),
        ));
    };
    let data = fields.map(|s| s.trim().to_owned()).collect();
    Ok(Line {
        origin,
        at,
        callid,
        queue,
        agent,
        event,
        data,
    })
}

/// Where a table export keeps each field.
struct Layout {
    /// Time columns by preference: epoch seconds where the value is a number, else a local
    /// date-time in the `--tz` zone.
    time: Vec<(usize, String)>,
    callid: usize,
    queue: Option<usize>,
    agent: Option<usize>,
    event: usize,
    data: Data,
}

enum Data {
    /// `data1…dataN` (or `param1…`): Asterisk's own fields.
    Raw(Vec<usize>),
    /// One `data` column holding `data1|data2|…`.
    Joined(usize),
    /// The qstats layout: `param1…3` reorganised, with positions and durations in their own
    /// columns; rebuilt into Asterisk's fields per event.
    Qstats(Qstats),
}

struct Qstats {
    params: [Option<usize>; 3],
    entpos: Option<usize>,
    expos: Option<usize>,
    htime: usize,
    ttime: Option<usize>,
}

impl Layout {
    fn from_header(header: &csv::StringRecord) -> Option<Layout> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let find = |aliases: &[&str]| {
            aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n == a))
        };
        let time = ["date_time", "time", "timestamp", "datetime", "created"]
            .iter()
            .filter_map(|a| {
                names
                    .iter()
                    .position(|n| n == a)
                    .map(|i| (i, (*a).to_owned()))
            })
            .collect::<Vec<_>>();
        if time.is_empty() {
            return None;
        }
        let numbered = |prefix: &str| {
            (1..=9)
                .map_while(|k| find(&[&format!("{prefix}{k}")]))
                .collect::<Vec<_>>()
        };
        let data = if let Some(htime) = find(&["htime"]) {
            let params = numbered("param");
            Data::Qstats(Qstats {
                params: [0, 1, 2].map(|i| params.get(i).copied()),
                entpos: find(&["entpos"]),
                expos: find(&["expos"]),
                htime,
                ttime: find(&["ttime"]),
            })
        } else {
            let mut raw = numbered("data");
            if raw.is_empty() {
                raw = numbered("param");
            }
            match (raw.is_empty(), find(&["data"])) {
                (true, Some(joined)) => Data::Joined(joined),
                _ => Data::Raw(raw),
            }
        };
        Some(Layout {
            time,
            callid: find(&["callid", "call_id", "uniqueid"])?,
            queue: find(&["queue_name", "queuename", "queue"]),
            agent: find(&["agent", "type", "membername"]),
            event: find(&["event", "verb"])?,
            data,
        })
    }

    fn line(&self, origin: Origin, rec: &csv::ByteRecord, tz: &TimeZone) -> Result<Line, Problem> {
        let get = |i: usize| -> String {
            rec.get(i)
                .map(|b| String::from_utf8_lossy(b).trim().to_owned())
                .unwrap_or_default()
        };
        let event = get(self.event);
        if event.is_empty() {
            return Err(Problem::new(origin, "event", "no event on this line"));
        }
        let at = self.time(&get, &origin, tz)?;
        let data = match &self.data {
            Data::Raw(cols) => cols.iter().map(|&i| get(i)).collect(),
            Data::Joined(i) => get(*i).split('|').map(|s| s.trim().to_owned()).collect(),
            Data::Qstats(q) => q.raw_data(&event, &get),
        };
        Ok(Line {
            origin,
            at,
            callid: get(self.callid),
            queue: self.queue.map(get).unwrap_or_default(),
            agent: self.agent.map(get).unwrap_or_default(),
            event,
            data,
        })
    }

    /// The first non-empty time column: epoch seconds, or a local date-time in `tz`.
    fn time(
        &self,
        get: &impl Fn(usize) -> String,
        origin: &Origin,
        tz: &TimeZone,
    ) -> Result<Timestamp, Problem> {
        let Some((raw, column)) = self
            .time
            .iter()
            .map(|(i, name)| (get(*i), name))
            .find(|(v, _)| !v.is_empty())
        else {
            return Err(Problem::new(origin.clone(), "time", "no time on this line"));
        };
        let parsed = if is_epoch(&raw) {
            parse_epoch(&raw)
        } else {
            parse_local(&raw, tz)
        };
        parsed.ok_or_else(|| {
            Problem::new(
                origin.clone(),
                column.as_str(),
                format!("{raw:?} is neither epoch seconds nor a date-time YYYY-MM-DD HH:MM:SS"),
            )
        })
    }
}

/// A local `YYYY-MM-DD HH:MM:SS[.fff]` (or with `T`) in `tz`; an offset, when given, wins.
fn parse_local(raw: &str, tz: &TimeZone) -> Option<Timestamp> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Some(ts);
    }
    let dt: DateTime = raw.parse().ok()?;
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

impl Qstats {
    /// Rebuilds Asterisk's data fields from the qstats columns, per event: there `param1` holds
    /// the caller, `htime` the wait (or ring milliseconds), `ttime` the talk time.
    fn raw_data(&self, event: &str, get: &impl Fn(usize) -> String) -> Vec<String> {
        let col = |c: Option<usize>| c.map(get).unwrap_or_default();
        let p = |k: usize| col(self.params[k]);
        let (entpos, expos) = (col(self.entpos), col(self.expos));
        let (htime, ttime) = (get(self.htime), col(self.ttime));
        match event {
            "ENTERQUEUE" => vec![String::new(), p(0), entpos],
            "CONNECT" => vec![htime, p(1), p(2)],
            "COMPLETECALLER" | "COMPLETEAGENT" => vec![htime, ttime, entpos],
            "ABANDON" | "EXITWITHTIMEOUT" | "EXITEMPTY" => vec![expos, entpos, htime],
            "EXITWITHKEY" => vec![p(1), expos, entpos, htime],
            "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER" => {
                vec![p(1), p(2), htime, ttime, entpos]
            }
            "RINGNOANSWER" => vec![htime],
            _ => vec![p(0), p(1), p(2)],
        }
    }
}

/// What a line means for its call.
enum Kind {
    Queued,
    Answered,
    Abandoned(&'static str),
    Ended(&'static str),
    Transferred(&'static str),
    RingNoAnswer,
    /// The agent logged in or out, paused or came back: `agent.availability`.
    Availability(Availability),
    /// No interchange type: reported under this field.
    Unmapped(&'static str),
}

fn kind(event: &str) -> Kind {
    match event {
        "ENTERQUEUE" => Kind::Queued,
        "CONNECT" => Kind::Answered,
        "ABANDON" => Kind::Abandoned("abandon"),
        "EXITWITHTIMEOUT" => Kind::Abandoned("timeout"),
        "EXITWITHKEY" => Kind::Abandoned("key"),
        "EXITEMPTY" => Kind::Abandoned("empty"),
        "COMPLETECALLER" => Kind::Ended("caller"),
        "COMPLETEAGENT" => Kind::Ended("agent"),
        "TRANSFER" => Kind::Transferred("transfer"),
        "BLINDTRANSFER" => Kind::Transferred("blind"),
        "ATTENDEDTRANSFER" => Kind::Transferred("attended"),
        "RINGNOANSWER" => Kind::RingNoAnswer,
        "AGENTLOGIN" | "AGENTCALLBACKLOGIN" | "ADDMEMBER" | "UNPAUSE" | "UNPAUSEALL" => {
            Kind::Availability(Availability::Available)
        }
        "PAUSE" | "PAUSEALL" | "PAUSECUSTOM" => Kind::Availability(Availability::Paused),
        "AGENTLOGOFF" | "AGENTCALLBACKLOGOFF" | "REMOVEMEMBER" => {
            Kind::Availability(Availability::LoggedOut)
        }
        e if e.starts_with("OUT") => Kind::Unmapped("event (outbound call: not a queue call)"),
        "QUEUESTART" | "CONFIGRELOAD" | "SYSCOMPAT" | "QUEUESTOP" => {
            Kind::Unmapped("event (system)")
        }
        _ => Kind::Unmapped("event"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    Answered,
    Ended,
}

/// A call's current leg.
struct Call {
    id: Id,
    leg: u32,
    phase: Phase,
    last_seen: Timestamp,
    ring_no_answer: u32,
    ring_no_answer_agents: Vec<String>,
}

/// The conversion state: calls seen in the last day of log time.
struct CallLog {
    options: Options,
    calls: HashMap<String, Call>,
    latest: Timestamp,
    lines: u64,
}

impl CallLog {
    fn new(options: Options) -> CallLog {
        CallLog {
            options,
            calls: HashMap::new(),
            latest: Timestamp::UNIX_EPOCH,
            lines: 0,
        }
    }

    fn line(&mut self, line: Line, out: &mut VecDeque<Converted>) {
        self.lines += 1;
        self.latest = self.latest.max(line.at);
        if self.lines.is_multiple_of(SWEEP_EVERY) {
            self.sweep();
        }
        match kind(&line.event) {
            Kind::Unmapped(field) => out.push_back(Ok(Item::Unmapped {
                origin: line.origin,
                field: field.to_owned(),
                value: line.event,
            })),
            Kind::Queued => self.queued(line, out),
            Kind::Availability(state) => out.push_back(availability(line, state)),
            other => self.progress(other, line, out),
        }
    }

    /// Forgets calls not heard of for a day of log time.
    fn sweep(&mut self) {
        let horizon = self.latest.as_second() - CALL_MEMORY_S;
        self.calls.retain(|_, c| c.last_seen.as_second() >= horizon);
    }

    /// ENTERQUEUE: a new leg of the call.
    fn queued(&mut self, line: Line, out: &mut VecDeque<Converted>) {
        let Some(callid) = call_id(&line, out) else {
            return;
        };
        let leg = self.calls.get(&callid).map_or(1, |c| c.leg + 1);
        let raw = if leg == 1 {
            format!("ast-{callid}")
        } else {
            format!("ast-{callid}.{leg}")
        };
        let id = match Id::parse("call", &raw) {
            Ok(id) => id,
            Err(e) => {
                out.push_back(skip(&line.origin, "callid", e.message));
                return;
            }
        };
        let body = EventBody::CallQueued {
            call: id.clone(),
            queue: named(&line.queue).map(str::to_owned),
            customer: caller(line.data(1)),
        };
        let mut extra = Map::new();
        put_number(&mut extra, "position", line.data(2));
        out.push_back(event(&line, &id, "queued", body, extra));
        self.calls.insert(
            callid,
            Call {
                id,
                leg,
                phase: Phase::Queued,
                last_seen: line.at,
                ring_no_answer: 0,
                ring_no_answer_agents: Vec::new(),
            },
        );
    }

    /// Any later line of a call: checks the call is at the right phase, then emits.
    fn progress(&mut self, kind: Kind, line: Line, out: &mut VecDeque<Converted>) {
        let Some(callid) = call_id(&line, out) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&callid) else {
            out.push_back(skip(
                &line.origin,
                "callid",
                format!(
                    "{} for call {callid}, which did not enter a queue earlier in the log",
                    line.event
                ),
            ));
            return;
        };
        call.last_seen = line.at;
        let expected = match kind {
            Kind::Answered | Kind::Abandoned(_) | Kind::RingNoAnswer => Phase::Queued,
            _ => Phase::Answered,
        };
        if call.phase != expected {
            let state = match call.phase {
                Phase::Queued => "not answered yet",
                Phase::Answered => "already answered",
                Phase::Ended => "already over",
            };
            out.push_back(skip(
                &line.origin,
                "event",
                format!("{} for call {callid}, which is {state}", line.event),
            ));
            return;
        }
        let agent = agent(&line.agent);
        let mut extra = Map::new();
        let (suffix, body) = match kind {
            Kind::RingNoAnswer => {
                call.ring_no_answer += 1;
                if let Some(a) = agent
                    && !call.ring_no_answer_agents.iter().any(|x| x == a.as_str())
                    && call.ring_no_answer_agents.len() < MAX_RNA_AGENTS
                {
                    call.ring_no_answer_agents.push(a.to_string());
                }
                return;
            }
            Kind::Answered => {
                call.phase = Phase::Answered;
                put_number(&mut extra, "wait_s", line.data(0));
                put_number(&mut extra, "ring_s", line.data(2));
                put_rings(&mut extra, call);
                let body = EventBody::CallAnswered {
                    call: call.id.clone(),
                    agent,
                };
                ("answered", body)
            }
            Kind::Abandoned(reason) => {
                call.phase = Phase::Ended;
                extra.insert("reason".into(), reason.into());
                // EXITWITHKEY has the key first; the others start at the position.
                let at = if reason == "key" {
                    put_str(&mut extra, "key", line.data(0));
                    1
                } else {
                    0
                };
                put_number(&mut extra, "position", line.data(at));
                put_number(&mut extra, "orig_position", line.data(at + 1));
                put_number(&mut extra, "wait_s", line.data(at + 2));
                put_rings(&mut extra, call);
                (
                    "abandoned",
                    EventBody::CallAbandoned {
                        call: call.id.clone(),
                    },
                )
            }
            Kind::Ended(by) => {
                call.phase = Phase::Ended;
                extra.insert("hung_up_by".into(), by.into());
                put_number(&mut extra, "wait_s", line.data(0));
                put_number(&mut extra, "talk_s", line.data(1));
                ("ended", ended(call))
            }
            Kind::Transferred(how) => {
                call.phase = Phase::Ended;
                extra.insert("transfer".into(), how.into());
                if how == "attended" {
                    // ATTENDEDTRANSFER|method|data|…: the method says what `data` is.
                    put_str(&mut extra, "transfer_method", line.data(0));
                    put_str(&mut extra, "transfer_to", line.data(1));
                } else {
                    put_str(&mut extra, "transfer_to", line.data(0));
                    put_str(&mut extra, "transfer_context", line.data(1));
                }
                put_number(&mut extra, "wait_s", line.data(2));
                put_number(&mut extra, "talk_s", line.data(3));
                ("ended", ended(call))
            }
            Kind::Queued | Kind::Unmapped(_) | Kind::Availability(_) => return,
        };
        let id = call.id.clone();
        out.push_back(event(&line, &id, suffix, body, extra));
    }
}

fn ended(call: &Call) -> EventBody {
    EventBody::CallEnded {
        call: call.id.clone(),
        hold_s: None,
        wrapup_s: None,
    }
}

/// The line's call id, or a skip when it has none (`NONE`, empty).
fn call_id(line: &Line, out: &mut VecDeque<Converted>) -> Option<String> {
    match named(&line.callid) {
        Some(c) => Some(c.to_owned()),
        None => {
            out.push_back(skip(
                &line.origin,
                "callid",
                format!("{} without a call id", line.event),
            ));
            None
        }
    }
}

/// A queue_log name, or `None` for Asterisk's placeholders.
fn named(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "NONE").then_some(s)
}

fn agent(raw: &str) -> Option<Id> {
    named(raw).and_then(|a| Id::parse("agent", &format!("ast-{a}")).ok())
}

/// The caller as a customer, when the caller id is a real one.
fn caller(raw: &str) -> Option<Id> {
    let raw = named(raw)?;
    let hidden = ["unknown", "anonymous", "restricted", "private", "<unknown>"];
    if hidden.iter().any(|h| raw.eq_ignore_ascii_case(h)) {
        return None;
    }
    Id::parse("customer", &format!("ast-cid-{raw}")).ok()
}

fn put_number(extra: &mut Map<String, Value>, key: &str, raw: &str) {
    if let Ok(n) = raw.trim().parse::<i64>() {
        extra.insert(key.to_owned(), Value::from(n));
    }
}

fn put_str(extra: &mut Map<String, Value>, key: &str, raw: &str) {
    if let Some(v) = named(raw) {
        extra.insert(key.to_owned(), Value::from(v));
    }
}

/// The ring-no-answer cycles before this outcome, when there were any.
fn put_rings(extra: &mut Map<String, Value>, call: &Call) {
    if call.ring_no_answer > 0 {
        extra.insert("ring_no_answer".into(), call.ring_no_answer.into());
        extra.insert(
            "ring_no_answer_agents".into(),
            call.ring_no_answer_agents.clone().into(),
        );
    }
}

/// The event `suffix` of a call leg, with id `<call>:<suffix>` (one of each per leg).
fn event(
    line: &Line,
    call: &Id,
    suffix: &str,
    body: EventBody,
    extra: Map<String, Value>,
) -> Converted {
    let mut event = Event::new(line.at, body);
    event.id = Some(format!("{call}:{suffix}"));
    event.extra = extra;
    Ok(Item::Event(Box::new(Record {
        origin: line.origin.clone(),
        event,
    })))
}

/// An agent's login, logoff, pause or return, for one queue (or all: `queue` NONE). PAUSE's
/// data1 is the reason, where the PBX records one. The id is the line's own content, so the
/// same line imported twice is one event.
fn availability(line: Line, state: Availability) -> Converted {
    let Some(agent) = agent(&line.agent) else {
        return skip(&line.origin, "agent", "an availability line names no agent");
    };
    let queue = named(&line.queue).map(str::to_owned);
    let reason = match state {
        Availability::Paused => named(line.data(0)).map(str::to_owned),
        _ => None,
    };
    let mut event = Event::new(
        line.at,
        EventBody::AgentAvailability {
            agent: agent.clone(),
            state,
            queue: queue.clone(),
            reason,
        },
    );
    event.id = Some(format!(
        "ast:availability:{agent}:{}:{}:{}",
        line.at.as_second(),
        queue.as_deref().unwrap_or("*"),
        line.event
    ));
    event
        .extra
        .insert("asterisk_event".into(), Value::from(line.event));
    Ok(Item::Event(Box::new(Record {
        origin: line.origin,
        event,
    })))
}

fn skip(origin: &Origin, field: &str, message: impl Into<String>) -> Converted {
    Ok(Item::Skipped(Problem::new(origin.clone(), field, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_lines_parse_and_torn_ones_do_not() {
        let o = Origin::new(&Arc::from("q"), 1);
        let l = parse_flat(
            o.clone(),
            "1366720677|1366720677.1|support|NONE|ENTERQUEUE||5551234|1",
        )
        .unwrap();
        assert_eq!(l.event, "ENTERQUEUE");
        assert_eq!(l.data(1), "5551234");
        assert_eq!(l.at.as_second(), 1_366_720_677);
        assert_eq!(
            parse_flat(o.clone(), "1366720677|1366").unwrap_err().field,
            "line"
        );
        assert_eq!(
            parse_flat(o, "yesterday|1|q|NONE|CONNECT")
                .unwrap_err()
                .field,
            "time"
        );
    }

    #[test]
    fn detection_reads_the_first_line() {
        assert!(looks_flat(
            "1366720677|1366720677.1|support|NONE|ENTERQUEUE||5551234|1"
        ));
        assert!(looks_flat("1366720677|NONE|NONE|NONE|QUEUESTART|"));
        assert!(!looks_flat("uid,date_time,callid,queue_name,type,event"));
    }
}
