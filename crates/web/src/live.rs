//! The KPI engine's dataset, loaded from the store at start and kept current after every
//! commit, so a report sees new events within milliseconds without recomputing from scratch.
//!
//! The writer never waits for a report: its commit hook only queues what it committed; an
//! aggregator task applies the queue under the write lock.

use sanjeh_domain::Id;
use sanjeh_metrics::Dataset;
use sanjeh_store::sla::{Finished, MetricStatus};
use sanjeh_store::writer::CommitHook;
use sanjeh_store::{Committed, Store, StoreError};
use std::sync::{Arc, RwLock};
use tokio::sync::mpsc;

/// The dataset every report reads.
pub type SharedDataset = Arc<RwLock<Dataset>>;

/// Builds the dataset from every fact and event in the store.
#[tracing::instrument(skip_all)]
pub async fn load_dataset(store: &Store) -> Result<Dataset, StoreError> {
    let mut ds = Dataset::new();
    let started = std::time::Instant::now();
    let tickets = store.scan_tickets(|t| ds.upsert_ticket(&t)).await?;
    store.scan_replies(|r| ds.add_reply(&r)).await?;
    store.scan_solves(|s| ds.add_solve(&s)).await?;
    store.scan_reopens(|t, at| ds.add_reopen(&t, at)).await?;
    store
        .scan_agent_activity(|a, at| ds.add_agent_activity(&a, at))
        .await?;
    store.scan_other_events(|e| ds.add_event(&e)).await?;
    store
        .scan_sla(None, |t, finished, statuses| {
            ds.set_sla_outcomes(t, finished);
            ds.set_sla_statuses(t, statuses);
        })
        .await?;
    ds.shrink_to_fit();
    tracing::info!(
        tickets,
        seconds = started.elapsed().as_secs_f64(),
        "KPI dataset loaded"
    );
    Ok(ds)
}

/// Applies one commit's changes to the dataset.
pub fn apply(ds: &mut Dataset, c: &Committed) {
    for t in &c.tickets {
        ds.upsert_ticket(t);
    }
    for r in &c.replies {
        ds.add_reply(r);
    }
    for s in &c.solves {
        ds.add_solve(s);
    }
    for (t, at) in &c.reopens {
        ds.add_reopen(t, *at);
    }
    for (a, at) in &c.activity {
        ds.add_agent_activity(a, *at);
    }
    for e in &c.events {
        ds.add_event(e);
    }
}

/// One ticket's SLA as the store keeps it: finished runs and current statuses.
type SlaOfTicket = (Id, Vec<Finished>, Vec<MetricStatus>);

/// The SLA of the tickets a batch of commits changed, read back from the store (the store
/// keeps it in the same transaction as the events; nothing when no policy is configured).
async fn sla_of(store: &Store, batch: &[Committed]) -> Vec<SlaOfTicket> {
    let ids: Vec<Id> = batch
        .iter()
        .flat_map(|c| c.tickets.iter().map(|t| t.id.clone()))
        .collect();
    let mut out = Vec::new();
    let read = store
        .scan_sla(Some(&ids), |t, finished, statuses| {
            out.push((t.clone(), finished.to_vec(), statuses.to_vec()));
        })
        .await;
    if let Err(e) = read {
        // The next commit of the ticket, or a restart, brings it back in line.
        tracing::warn!(error = %e, "reading SLA state for the KPI dataset failed");
    }
    out
}

/// A commit hook for the writer that feeds `ds` through an aggregator task; the SLA of the
/// tickets changed is read back from `store`.
pub fn commit_hook(ds: SharedDataset, store: Store) -> CommitHook {
    let (tx, mut rx) = mpsc::unbounded_channel::<Committed>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            let ds_for_facts = ds.clone();
            // Taking the lock may wait for a running report: do it off the async workers.
            let batch = tokio::task::spawn_blocking(move || {
                let mut guard = ds_for_facts
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                for c in &batch {
                    apply(&mut guard, c);
                }
                batch
            })
            .await;
            // Then the SLA the store kept for those tickets (a read: the facts above do not
            // wait for it).
            let Ok(batch) = batch else { continue };
            let sla = sla_of(&store, &batch).await;
            if sla.is_empty() {
                continue;
            }
            let ds = ds.clone();
            let _ = tokio::task::spawn_blocking(move || {
                let mut guard = ds.write().unwrap_or_else(|poisoned| poisoned.into_inner());
                for (t, finished, statuses) in &sla {
                    guard.set_sla_outcomes(t, finished);
                    guard.set_sla_statuses(t, statuses);
                }
            })
            .await;
        }
    });
    Arc::new(move |c: Committed| {
        let _ = tx.send(c);
    })
}
