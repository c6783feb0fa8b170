//! The live write path: one task that owns writing, with group commit.
//!
//! Handlers submit requests and wait; the writer takes every request waiting at that moment,
//! folds them in one transaction (a refused request is undone alone), commits once, and only
//! then answers. One fsync covers the whole group, which is what lets a single SQLite file
//! take thousands of durable writes a second, and a 2xx always means "on disk".

use crate::backend::{Store, Tx, on_tx};
use crate::changes::{Changes, Committed, event_key};
use crate::error::StoreError;
use crate::ingest::{Incoming, IngestReport, fold_chunk};
use crate::{flush, load};
use sanjeh_domain::event::EventBody;
use sanjeh_domain::{Command, Event, Mode, TicketState, to_millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Requests taken into one transaction at most.
const MAX_GROUP: usize = 512;

/// A change to make now.
// Requests move once, into the writer's channel; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Request {
    /// A command: the domain's live rules decide its events.
    Command(Command),
    /// Events made now without rules (profiles of agents, customers, groups).
    Record(Vec<EventBody>),
    /// A command whose message carries files (an agent's reply with attachments): the files
    /// are stored on the ticket message the command writes, in the same transaction, so the
    /// outbox reader that finds the message's event finds its files too.
    CommandWithFiles {
        command: Command,
        files: Vec<crate::mail::NewFile>,
    },
    /// Recorded history (`POST /api/v1/events`): replayed, all or nothing.
    Ingest(Vec<Incoming>),
    /// An escalation rule fired: unless the rule already escalated this run of the target
    /// (checked under the write lock, so once across restarts and nodes), the escalation's
    /// events are written and `notify` is queued in the same transaction. Outcome without
    /// events: it had already fired.
    Escalate {
        escalation: sanjeh_domain::Escalation,
        notify: Vec<crate::alerting::Outgoing>,
    },
}

/// A client's Idempotency-Key, scoped to its credentials, with a hash of what it asked.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub scope: String,
    pub key: String,
    pub request_hash: Vec<u8>,
}

impl IdempotencyKey {
    pub fn new(scope: &str, key: &str, method_path: &str, body: &[u8]) -> IdempotencyKey {
        let mut h = Sha256::new();
        h.update(method_path.as_bytes());
        h.update([0]);
        h.update(body);
        IdempotencyKey {
            scope: scope.into(),
            key: key.into(),
            request_hash: h.finalize().to_vec(),
        }
    }
}

/// What a request did; stored with its Idempotency-Key and returned again on a retry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// The events written: sequence number and interchange line.
    pub events: Vec<(i64, String)>,
    /// The tickets the request changed, as they stand after it.
    pub tickets: Vec<TicketState>,
    pub ingest: IngestReport,
    /// True when this is a stored outcome returned for a retried Idempotency-Key.
    #[serde(default)]
    pub replayed: bool,
}

type Reply = oneshot::Sender<Result<Outcome, StoreError>>;

struct Submission {
    request: Request,
    idempotency: Option<IdempotencyKey>,
    reply: Reply,
}

/// A handle to the writer task; clone it freely.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Submission>,
}

pub type CommitHook = Arc<dyn Fn(Committed) + Send + Sync>;

impl Writer {
    /// Starts the writer task on `store`. `on_commit` sees every committed group.
    pub fn start(store: Store, on_commit: Option<CommitHook>) -> Writer {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(store, rx, on_commit));
        Writer { tx }
    }

    /// Submits a request and waits until it is committed (or refused).
    pub async fn submit(
        &self,
        request: Request,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Submission {
                request,
                idempotency,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Submission>, on_commit: Option<CommitHook>) {
    let mut last_at = jiff::Timestamp::UNIX_EPOCH;
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(s) => group.push(s),
                Err(_) => break,
            }
        }
        // Live events are stamped now; never before an earlier group's stamp.
        let now = jiff::Timestamp::now().max(last_at);
        last_at = now;
        let size = group.len();
        match commit_group(&store, group, now).await {
            Ok(changes) => {
                tracing::trace!(size, "write group committed");
                // Copying out what was committed is only worth it when someone listens.
                if let Some(hook) = &on_commit {
                    hook(changes.committed());
                }
            }
            Err(e) => tracing::error!(error = %e, size, "write group failed"),
        }
    }
}

/// Folds, writes and commits one group, then answers each submission; returns what it wrote.
async fn commit_group(
    store: &Store,
    group: Vec<Submission>,
    now: jiff::Timestamp,
) -> Result<Changes, StoreError> {
    let mut tx = match store.begin_write().await {
        Ok(tx) => tx,
        Err(e) => return Err(fail_all(group, e)),
    };
    let folded = fold_group(&mut tx, &group, now).await;
    let (mut changes, results, idempotency_rows, file_rows) = match folded {
        Ok(v) => v,
        Err(e) => {
            let _ = tx.rollback().await;
            return Err(fail_all(group, e));
        }
    };
    let written = async {
        flush::flush(&mut tx, &mut changes).await?;
        for (ticket, message, files) in &file_rows {
            crate::mail::store_files(&mut tx, ticket, *message, files, to_millis(now)).await?;
        }
        save_idempotency(&mut tx, &idempotency_rows, to_millis(now)).await?;
        tx.commit().await
    };
    if let Err(e) = written.await {
        return Err(fail_all(group, e));
    }
    for (submission, result) in group.into_iter().zip(results) {
        let _ = submission.reply.send(result);
    }
    Ok(changes)
}

fn fail_all(group: Vec<Submission>, e: StoreError) -> StoreError {
    for s in group {
        let _ = s.reply.send(Err(StoreError::Conflict {
            field: "store".into(),
            message: format!("not written: {e}"),
        }));
    }
    e
}

/// Files to store on a message written in this group: ticket, message seq, files.
type FileRows<'a> = Vec<(String, i64, &'a [crate::mail::NewFile])>;

type Folded<'a> = (
    Changes,
    Vec<Result<Outcome, StoreError>>,
    Vec<(IdempotencyKey, String)>,
    FileRows<'a>,
);

async fn fold_group<'a>(
    tx: &mut Tx,
    group: &'a [Submission],
    now: jiff::Timestamp,
) -> Result<Folded<'a>, StoreError> {
    let mut changes = Changes::new(load::next_seq(tx).await?, true);
    let ids: Vec<&sanjeh_domain::Id> = group
        .iter()
        .flat_map(|s| match &s.request {
            Request::Command(c) | Request::CommandWithFiles { command: c, .. } => {
                std::iter::once(c.ticket())
                    .chain(c.other_ticket())
                    .collect()
            }
            Request::Escalate { escalation, .. } => vec![&escalation.escalated.ticket],
            _ => Vec::new(),
        })
        .collect();
    load::tickets(tx, ids, &mut changes).await?;
    let mut results = Vec::with_capacity(group.len());
    let mut idempotency_rows: Vec<(IdempotencyKey, String)> = Vec::new();
    let mut file_rows: FileRows<'a> = Vec::new();
    for s in group {
        if let Some(key) = &s.idempotency {
            let earlier = match idempotency_rows
                .iter()
                .find(|(k, _)| k.scope == key.scope && k.key == key.key)
            {
                Some((k, outcome)) => Some((k.request_hash.clone(), outcome.clone())),
                None => stored_idempotency(tx, key).await?,
            };
            if let Some((hash, outcome)) = earlier {
                results.push(replay_outcome(key, &hash, &outcome));
                continue;
            }
        }
        let mark = changes.mark();
        let result = fold_request(tx, &mut changes, &s.request, now).await;
        match &result {
            Ok(outcome) => {
                if let Request::CommandWithFiles { files, .. } = &s.request
                    && let Some((seq, ticket)) = written_message(outcome)
                {
                    file_rows.push((ticket, seq, files.as_slice()));
                }
                if let Some(key) = &s.idempotency {
                    let stored = serde_json::to_string(outcome)
                        .map_err(|e| StoreError::corrupt(e.to_string()))?;
                    idempotency_rows.push((key.clone(), stored));
                }
            }
            Err(_) => changes.rollback_to(mark),
        }
        results.push(result);
    }
    Ok((changes, results, idempotency_rows, file_rows))
}

/// The seq and ticket of the ticket message an outcome wrote.
fn written_message(outcome: &Outcome) -> Option<(i64, String)> {
    outcome
        .events
        .iter()
        .find_map(|(seq, line)| match Event::parse_line(line).ok()?.body {
            EventBody::TicketMessage(m) => Some((*seq, m.ticket.to_string())),
            _ => None,
        })
}

fn replay_outcome(
    key: &IdempotencyKey,
    stored_hash: &[u8],
    outcome: &str,
) -> Result<Outcome, StoreError> {
    if stored_hash != key.request_hash.as_slice() {
        return Err(StoreError::Conflict {
            field: "Idempotency-Key".into(),
            message: format!("key {:?} was already used for a different request", key.key),
        });
    }
    let mut outcome: Outcome =
        serde_json::from_str(outcome).map_err(|e| StoreError::corrupt(e.to_string()))?;
    outcome.replayed = true;
    Ok(outcome)
}

async fn fold_request(
    tx: &mut Tx,
    changes: &mut Changes,
    request: &Request,
    now: jiff::Timestamp,
) -> Result<Outcome, StoreError> {
    let mut outcome = Outcome::default();
    let mut apply_live = |changes: &mut Changes, body: EventBody| -> Result<(), StoreError> {
        let mut event = Event::new(now, body);
        event.id = Some(new_event_id());
        let payload = event.to_line();
        let key = event_key(to_millis(now), event.id.as_deref(), &payload);
        let seq = changes.apply(event, payload.clone(), key, Mode::Live)?;
        outcome.events.push((seq, payload));
        Ok(())
    };
    match request {
        Request::Command(command) | Request::CommandWithFiles { command, .. } => {
            let ticket = changes.tickets.get(command.ticket());
            let other = command
                .other_ticket()
                .and_then(|id| changes.tickets.get(id));
            let events = command.decide(ticket, other)?;
            for body in events {
                apply_live(changes, body)?;
            }
            for id in std::iter::once(command.ticket()).chain(command.other_ticket()) {
                if let Some(t) = changes.tickets.get(id) {
                    outcome.tickets.push(t.clone());
                }
            }
        }
        Request::Record(bodies) => {
            for body in bodies {
                if body.is_ticket_change() {
                    return Err(StoreError::Conflict {
                        field: "type".into(),
                        message: "ticket changes must go through commands".into(),
                    });
                }
                apply_live(changes, body.clone())?;
            }
        }
        Request::Escalate { escalation, notify } => {
            let e = &escalation.escalated;
            let run = e.run_started_at.map(to_millis).unwrap_or(to_millis(now));
            let (ticket, rule, metric) = (e.ticket.as_str(), e.rule.as_str(), e.metric.as_str());
            if changes.alerting.fired_in_batch(ticket, rule, metric, run)
                || crate::alerting::fired(tx, ticket, rule, metric, run).await?
            {
                return Ok(outcome);
            }
            let command = Command::Escalate(escalation.clone());
            let events = command.decide(changes.tickets.get(&e.ticket), None)?;
            for body in events {
                apply_live(changes, body)?;
            }
            if let Some(t) = changes.tickets.get(&e.ticket) {
                outcome.tickets.push(t.clone());
            }
            changes.alerting.now = to_millis(now);
            changes.alerting.outgoing.extend(notify.iter().cloned());
        }
        Request::Ingest(lines) => {
            let mut report = IngestReport::default();
            let first_seq = changes.next_seq();
            let mut keys = changes.events.iter().map(|e| e.key).collect();
            fold_chunk(tx, changes, lines.clone(), &mut keys, &mut report).await?;
            outcome.ingest = report;
            outcome.events = changes
                .events
                .iter()
                .filter(|e| e.seq >= first_seq)
                .map(|e| (e.seq, String::new()))
                .collect();
        }
    }
    Ok(outcome)
}

/// A fresh event id for events made now (128 random bits, hex).
fn new_event_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

async fn stored_idempotency(
    tx: &mut Tx,
    key: &IdempotencyKey,
) -> Result<Option<(Vec<u8>, String)>, StoreError> {
    let row: Option<(Vec<u8>, String)> = on_tx!(tx, t => sqlx::query_as(
        "SELECT request_hash, outcome FROM idempotency WHERE scope = $1 AND key = $2")
        .bind(key.scope.as_str())
        .bind(key.key.as_str())
        .fetch_optional(&mut **t)
        .await)?;
    Ok(row)
}

async fn save_idempotency(
    tx: &mut Tx,
    rows: &[(IdempotencyKey, String)],
    now: i64,
) -> Result<(), StoreError> {
    for (key, outcome) in rows {
        on_tx!(tx, t => sqlx::query(
            "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(key.scope.as_str())
            .bind(key.key.as_str())
            .bind(key.request_hash.as_slice())
            .bind(outcome.as_str())
            .bind(now)
            .execute(&mut **t)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}
