//! What a write transaction reads before folding: the next sequence number, the tickets a
//! batch touches, and which events are already in the log.

use crate::backend::{Tx, on_tx};
use crate::changes::{Changes, EventKey};
use crate::error::StoreError;
use crate::rows::{TICKET_SELECT, TicketRow};
use rustc_hash::FxHashSet as HashSet;
use sanjeh_domain::{Id, TicketState};

/// Ids per `IN (…)` list: well under both backends' bind-parameter limits.
const IN_CHUNK: usize = 900;

pub(crate) async fn next_seq(tx: &mut Tx) -> Result<i64, StoreError> {
    let max: Option<i64> = on_tx!(tx, t => sqlx::query_scalar("SELECT MAX(seq) FROM events")
        .fetch_one(&mut **t)
        .await)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Loads the tickets among `ids` that exist into the batch's working set (ids already there are
/// skipped), with their SLA trackers; the SLA configuration is read on the first call.
pub(crate) async fn tickets(
    tx: &mut Tx,
    ids: Vec<&Id>,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    crate::sla::load_config(tx, &mut changes.sla).await?;
    let into = &mut changes.tickets;
    let mut wanted: Vec<String> = ids
        .into_iter()
        .filter(|id| !into.contains_key(*id))
        .map(|id| id.as_str().to_owned())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for chunk in wanted.chunks(IN_CHUNK) {
        let rows: Vec<TicketRow> = on_tx!(tx, t => {
            let mut qb = sqlx::QueryBuilder::new(TICKET_SELECT);
            qb.push(" WHERE t.id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.clone());
            }
            qb.push(")");
            qb.build_query_as().fetch_all(&mut **t).await
        })?;
        for row in rows {
            let state = TicketState::try_from(row)?;
            into.insert(state.id.clone(), state);
        }
    }
    for chunk in wanted.chunks(IN_CHUNK) {
        crate::sla::load_trackers(tx, chunk, &mut changes.sla).await?;
    }
    Ok(())
}

/// The keys among `keys` that are already in the event log.
pub(crate) async fn existing_keys(
    tx: &mut Tx,
    keys: &[EventKey],
) -> Result<HashSet<EventKey>, StoreError> {
    let (Some(lo), Some(hi)) = (keys.iter().min(), keys.iter().max()) else {
        return Ok(HashSet::default());
    };
    // Keys begin with the event's instant, so a time-ordered chunk spans a narrow key range:
    // one range scan answers for the whole chunk, unless the store already holds many events
    // of that time (a re-import), when probing each key is cheaper.
    let limit = keys.len() as i64 * 2;
    let in_range: Vec<Vec<u8>> = on_tx!(tx, t => sqlx::query_scalar(
        "SELECT key FROM events WHERE key >= $1 AND key <= $2 LIMIT $3")
        .bind(lo.to_vec()).bind(hi.to_vec()).bind(limit)
        .fetch_all(&mut **t).await)?;
    if (in_range.len() as i64) < limit {
        let wanted: HashSet<&EventKey> = keys.iter().collect();
        return Ok(in_range
            .iter()
            .filter_map(|k| EventKey::try_from(k.as_slice()).ok())
            .filter(|k| wanted.contains(k))
            .collect());
    }
    let mut found = HashSet::default();
    for chunk in keys.chunks(IN_CHUNK) {
        let rows: Vec<Vec<u8>> = on_tx!(tx, t => {
            let mut qb = sqlx::QueryBuilder::new("SELECT key FROM events WHERE key IN (");
            let mut list = qb.separated(", ");
            for key in chunk {
                list.push_bind(key.to_vec());
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(&mut **t).await
        })?;
        for k in rows {
            if let Ok(key) = EventKey::try_from(k.as_slice()) {
                found.insert(key);
            }
        }
    }
    Ok(found)
}
