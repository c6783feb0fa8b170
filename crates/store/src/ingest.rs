//! Replaying recorded history into the store: `sanjeh import`, the demo, and rebuilds.
//!
//! Input arrives as chunks of parsed lines (parsed on another thread, so parsing and writing
//! overlap). Each event is identified by its [`event_key`]; one already in the log is skipped,
//! so importing a file twice adds nothing. Recorded transitions are taken as facts
//! ([`Mode::Replay`]); only malformed events are refused, naming the line and the field.

use crate::backend::Store;
use crate::changes::{Changes, Committed, EventKey, event_key};
use crate::deferred_indexes::DeferredIndexes;
use crate::error::{LineError, StoreError};
use crate::{flush, load};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use sanjeh_domain::{Event, EventBody, Id, Mode, TicketState, to_millis};
use std::io::BufRead;
use std::sync::Arc;
use tokio::sync::mpsc;

/// One parsed input line.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The file the event came from, when the input is converted from several files.
    pub file: Option<Arc<str>>,
    pub line: u64,
    pub event: Event,
    /// The line as it came: stored verbatim and written back by export.
    pub payload: String,
    pub key: EventKey,
}

impl Incoming {
    pub fn new(line: u64, event: Event, payload: String) -> Incoming {
        let key = event_key(to_millis(event.at), event.id.as_deref(), &payload);
        Incoming {
            file: None,
            line,
            event,
            payload,
            key,
        }
    }

    /// Parses one line of interchange JSON.
    pub fn parse(line_no: u64, text: &str) -> Result<Incoming, LineError> {
        let event = Event::parse_line(text).map_err(|e| LineError::field(line_no, e))?;
        Ok(Incoming::new(line_no, event, text.to_owned()))
    }

    /// A live or generated event, serialized to its interchange line.
    pub fn from_event(line_no: u64, event: Event) -> Incoming {
        let payload = event.to_line();
        Incoming::new(line_no, event, payload)
    }

    /// An event converted from another system's export: errors name its file and line.
    pub fn converted(file: Arc<str>, line: u64, event: Event) -> Incoming {
        Incoming {
            file: Some(file),
            ..Incoming::from_event(line, event)
        }
    }
}

/// Parses JSON Lines held in memory (an API request body). Blank lines are skipped.
pub fn parse_lines(body: &str) -> Result<Vec<Incoming>, LineError> {
    body.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Incoming::parse(i as u64 + 1, l.trim_end_matches('\r')))
        .collect()
}

pub type Chunk = Result<Vec<Incoming>, LineError>;

/// Reads and parses `reader` on its own thread, sending chunks of `chunk_len` lines. Invalid
/// UTF-8 and bad lines end the stream with the error. Memory is bounded by the channel.
pub fn spawn_parser<R: BufRead + Send + 'static>(
    mut reader: R,
    chunk_len: usize,
) -> mpsc::Receiver<Chunk> {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(chunk_len);
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    let _ =
                        tx.blocking_send(Err(LineError::new(line_no + 1, "input", e.to_string())));
                    return;
                }
            }
            line_no += 1;
            let parsed = match std::str::from_utf8(&buf) {
                Err(e) => Err(LineError::new(
                    line_no,
                    "encoding",
                    format!("not valid UTF-8: {e}"),
                )),
                Ok(text) => {
                    let text = text.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        continue;
                    }
                    Incoming::parse(line_no, text)
                }
            };
            match parsed {
                Ok(inc) => chunk.push(inc),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            if chunk.len() >= chunk_len && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err()
            {
                return;
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(Ok(chunk));
        }
    });
    rx
}

/// What an ingest did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IngestReport {
    /// Events written.
    pub added: u64,
    /// Events already in the log, skipped.
    pub duplicates: u64,
}

/// How an ingest commits.
#[derive(Default)]
pub struct IngestOptions<'a> {
    /// Commit after this many events; `None` puts the whole input in one transaction, so a bad
    /// line anywhere leaves the store as it was.
    pub commit_every: Option<u64>,
    /// Called after each chunk with the number of events seen so far.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Called after each commit with what it committed (live aggregates).
    pub on_commit: Option<&'a (dyn Fn(Committed) + Sync)>,
    /// Sizes that bound memory; the defaults suit any input.
    pub limits: IngestLimits,
    /// Check everything (every rule, every duplicate against the store) and roll back at the
    /// end instead of committing: `sanjeh import --dry-run`. Needs `commit_every: None`.
    pub dry_run: bool,
}

/// How much an ingest holds in memory.
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// Events folded in memory before they are written: a ticket changed many times within
    /// one batch is written once.
    pub batch_events: usize,
    /// Tickets kept in the working set; past this it is dropped (and reloaded as needed).
    pub cached_tickets: usize,
    /// Keys remembered while batches are in flight; past this the fold waits for the writes.
    pub unwritten_keys: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            batch_events: 65_536,
            cached_tickets: 200_000,
            unwritten_keys: 1 << 20,
        }
    }
}

impl Store {
    /// Replays chunks of recorded events into the store. On any error the transaction is
    /// rolled back before this returns, so nothing of the input is committed (or, with
    /// `commit_every`, nothing after the last commit).
    #[tracing::instrument(skip_all, fields(backend = self.backend()))]
    pub async fn ingest(
        &self,
        mut input: mpsc::Receiver<Chunk>,
        options: IngestOptions<'_>,
    ) -> Result<IngestReport, StoreError> {
        let limits = options.limits;
        if options.dry_run && options.commit_every.is_some() {
            return Err(StoreError::Conflict {
                field: "dry_run".into(),
                message: "a dry run cannot commit in steps".into(),
            });
        }
        let mut tx = self.begin_write().await?;
        let first_seq = load::next_seq(&mut tx).await?;
        let mut changes = Changes::new(first_seq, false);
        // A whole history loaded into an empty store in one transaction builds its secondary
        // indexes at the end (see `deferred_indexes`). A load that commits in steps cannot: the
        // store would be left without them between commits.
        let mut deferred = None;
        if first_seq == 1 && options.commit_every.is_none() && !options.dry_run {
            match DeferredIndexes::drop_in(&mut tx).await {
                Ok(d) => deferred = Some(d),
                Err(e) => return abandon(tx, e).await,
            }
        }
        let mut report = IngestReport::default();
        let mut seen = 0u64;
        let mut since_commit = 0u64;
        let mut pending = Committed::default();
        // Keys folded but not yet written (the database answers for the rest).
        let mut unwritten = HashSet::default();
        loop {
            let chunk = input.recv().await;
            let last = chunk.is_none();
            let step = async {
                let mut added = 0;
                if let Some(chunk) = chunk {
                    let chunk = chunk?;
                    seen += chunk.len() as u64;
                    added = fold_chunk(&mut tx, &mut changes, chunk, &mut unwritten, &mut report)
                        .await?;
                }
                let commit_due = options
                    .commit_every
                    .is_some_and(|n| since_commit + added >= n);
                if last
                    || commit_due
                    || changes.events.len() >= limits.batch_events
                    || unwritten.len() > limits.unwritten_keys
                {
                    flush::flush(&mut tx, &mut changes).await?;
                    if options.on_commit.is_some() {
                        append(&mut pending, changes.committed());
                    }
                    // Written: the working set may now be dropped without losing anything.
                    changes.written(limits.cached_tickets);
                    unwritten.clear();
                }
                if last && let Some(d) = deferred.take() {
                    d.build_in(&mut tx).await?;
                }
                Ok::<(u64, bool), StoreError>((added, commit_due))
            };
            let commit_due = match step.await {
                Ok((added, commit_due)) => {
                    since_commit += added;
                    commit_due
                }
                Err(e) => return abandon(tx, e).await,
            };
            if last {
                break;
            }
            if commit_due {
                tx.commit().await?;
                if let Some(hook) = options.on_commit {
                    hook(std::mem::take(&mut pending));
                }
                tx = self.begin_write().await?;
                since_commit = 0;
            }
            if let Some(progress) = options.progress {
                progress(seen);
            }
        }
        if options.dry_run {
            tx.rollback().await?;
            return Ok(report);
        }
        tx.commit().await?;
        if let Some(hook) = options.on_commit {
            hook(pending);
        }
        Ok(report)
    }

    /// Replays the lines of a reader (JSON Lines) in one transaction.
    pub async fn import_reader<R: BufRead + Send + 'static>(
        &self,
        reader: R,
        options: IngestOptions<'_>,
    ) -> Result<IngestReport, StoreError> {
        self.ingest(spawn_parser(reader, 4096), options).await
    }
}

/// Rolls `tx` back before giving `e`: nothing of a failed ingest stays, and the store is free
/// for the next writer when this returns.
async fn abandon<T>(tx: crate::backend::Tx, e: StoreError) -> Result<T, StoreError> {
    tx.rollback().await?;
    Err(e)
}

fn append(into: &mut Committed, more: Committed) {
    into.tickets.extend(more.tickets);
    into.replies.extend(more.replies);
    into.solves.extend(more.solves);
    into.reopens.extend(more.reopens);
    into.status_spans.extend(more.status_spans);
    into.activity.extend(more.activity);
    into.events.extend(more.events);
    into.sla.extend(more.sla);
}

/// The tickets a chunk's ticket changes name (merge targets included), not yet in `known`.
fn unknown_tickets(chunk: &[Incoming], known: &HashMap<Id, TicketState>) -> Vec<Id> {
    let mut ids: Vec<Id> = chunk
        .iter()
        .flat_map(|i| {
            let b = &i.event.body;
            let into = match b {
                EventBody::TicketMerged { into, .. } => Some(into),
                _ => None,
            };
            b.is_ticket_change()
                .then(|| b.ticket())
                .flatten()
                .into_iter()
                .chain(into)
        })
        .filter(|id| !known.contains_key(*id))
        .cloned()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Folds one chunk of recorded events into `changes`, skipping those already in the log
/// (`stored`) or among the events folded but not yet stored (`unwritten`, which gains this
/// chunk's keys). Returns how many were added.
fn apply_chunk(
    changes: &mut Changes,
    chunk: Vec<Incoming>,
    stored: &HashSet<EventKey>,
    unwritten: &mut HashSet<EventKey>,
    report: &mut IngestReport,
) -> Result<u64, StoreError> {
    let mut added = 0;
    for inc in chunk {
        if stored.contains(&inc.key) || !unwritten.insert(inc.key) {
            report.duplicates += 1;
            continue;
        }
        let (file, line) = (inc.file, inc.line);
        changes
            .apply(inc.event, inc.payload, inc.key, Mode::Replay)
            .map_err(|e| LineError::domain(line, &e).in_file(file))?;
        added += 1;
    }
    report.added += added;
    Ok(added)
}

/// Reads what a chunk needs (stored keys, stored tickets) in the caller's transaction, then
/// folds it with [`apply_chunk`]: the path of imports and of `POST /api/v1/events`.
pub(crate) async fn fold_chunk(
    tx: &mut crate::backend::Tx,
    changes: &mut Changes,
    chunk: Vec<Incoming>,
    unwritten: &mut HashSet<EventKey>,
    report: &mut IngestReport,
) -> Result<u64, StoreError> {
    let keys: Vec<EventKey> = chunk.iter().map(|i| i.key).collect();
    let stored = load::existing_keys(tx, &keys).await?;
    let ids = unknown_tickets(&chunk, &changes.tickets);
    load::tickets(tx, ids.iter().collect(), changes).await?;
    apply_chunk(changes, chunk, &stored, unwritten, report)
}
