//! `sanjeh admin rebuild`: throws away every projection and replays the event log into it,
//! through the same fold and the same writes as live traffic, in one transaction.

use crate::backend::{Db, Store, Tx, on_read, on_tx};
use crate::changes::Changes;
use crate::error::StoreError;
use crate::flush;
use crate::ingest::Incoming;
use crate::load;
use sanjeh_domain::{Event, EventBody, Mode};
use sha2::{Digest, Sha256};

/// Every table derived from the events, with the column that orders its dump.
pub const PROJECTIONS: &[(&str, &str)] = &[
    ("tickets", "id"),
    ("ticket_facts", "ticket"),
    ("messages", "id"),
    ("reply_intervals", "seq"),
    ("solves", "seq"),
    ("reopens", "seq"),
    ("status_spans", "seq"),
    ("agent_activity", "seq"),
    ("surveys", "seq"),
    ("calls", "id"),
    ("votes", "seq"),
    ("article_views", "seq"),
    ("costs", "seq"),
    ("opportunities", "seq"),
    ("lifecycle", "seq"),
    ("agents", "id"),
    ("agent_groups", "id"),
    ("customers", "id"),
    ("organizations", "id"),
    ("sla_config", "seq"),
    ("sla_trackers", "ticket"),
    ("sla_status", "ticket, metric"),
    ("sla_finished", "seq, ticket, metric"),
    ("alerting_config", "seq"),
    ("escalations", "ticket, rule, metric, run_started_at"),
];

const REPLAY_CHUNK: i64 = 8192;

impl Store {
    /// Rebuilds all projections from the event log; returns the number of events replayed.
    #[tracing::instrument(skip_all)]
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        match replay_all(&mut tx, progress).await {
            Ok(n) => {
                tx.commit().await?;
                Ok(n)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    /// A digest of every projection table's content, to compare two states of a store.
    pub async fn projection_digest(&self) -> Result<String, StoreError> {
        let mut h = Sha256::new();
        for (table, order) in PROJECTIONS {
            let columns: Vec<String> = match &self.db {
                Db::Sqlite { read, .. } => {
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                        .bind(*table)
                        .fetch_all(read)
                        .await?
                }
                Db::Postgres(pool) => {
                    sqlx::query_scalar(
                        "SELECT column_name::text FROM information_schema.columns \
                         WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
                    )
                    .bind(*table)
                    .fetch_all(pool)
                    .await?
                }
            };
            let row_text = columns
                .iter()
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '<null>')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let sql = format!("SELECT {row_text} FROM {table} ORDER BY {order}");
            let rows: Vec<String> = on_read!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await)?;
            h.update(table.as_bytes());
            for r in rows {
                h.update(r.as_bytes());
                h.update(b"\n");
            }
        }
        Ok(hex::encode(h.finalize()))
    }
}

async fn replay_all(tx: &mut Tx, progress: &(dyn Fn(u64) + Sync)) -> Result<u64, StoreError> {
    for (table, _) in PROJECTIONS {
        on_tx!(tx, t => sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut **t).await.map(|_| ()))?;
    }
    let mut changes = Changes::new(1, false);
    let mut after = 0i64;
    let mut replayed = 0u64;
    loop {
        let rows: Vec<(i64, String)> = on_tx!(tx, t => sqlx::query_as(
            "SELECT seq, payload FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after).bind(REPLAY_CHUNK).fetch_all(&mut **t).await)?;
        let Some(&(last, _)) = rows.last() else { break };
        let events: Vec<(i64, Event)> = rows
            .into_iter()
            .map(|(seq, payload)| {
                Event::parse_line(&payload)
                    .map(|e| (seq, e))
                    .map_err(|e| StoreError::corrupt(format!("event {seq}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let referenced: Vec<&sanjeh_domain::Id> = events
            .iter()
            .flat_map(|(_, e)| {
                let into = match &e.body {
                    EventBody::TicketMerged { into, .. } => Some(into),
                    _ => None,
                };
                e.body
                    .is_ticket_change()
                    .then(|| e.body.ticket())
                    .flatten()
                    .into_iter()
                    .chain(into)
            })
            .collect();
        load::tickets(tx, referenced, &mut changes).await?;
        for (seq, event) in events {
            // Derived rows keep the sequence numbers they had, so ids do not move.
            changes.set_next_seq(seq);
            let incoming = Incoming::new(0, event, String::new());
            changes
                .apply(incoming.event, incoming.payload, incoming.key, Mode::Replay)
                .map_err(|e| StoreError::corrupt(format!("event {seq}: {e}")))?;
        }
        // The events are already in the log: only their projections are written.
        changes.events.clear();
        flush::flush(tx, &mut changes).await?;
        changes.written(200_000);
        replayed += (last - after) as u64;
        after = last;
        progress(replayed);
    }
    Ok(replayed)
}
