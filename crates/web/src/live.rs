//! The KPI engine's dataset, loaded from the store at start and kept current after every
//! commit, so a report sees new events within milliseconds without recomputing from scratch.
//!
//! The writer never waits for a report: its commit hook only queues what it committed; an
//! aggregator task applies the queue under the write lock.

use sanjeh_metrics::Dataset;
use sanjeh_store::sla::SlaOfTicket;
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
    store.scan_status_spans(|s| ds.add_status_span(&s)).await?;
    store
        .scan_agent_activity(|a, at| ds.add_agent_activity(&a, at))
        .await?;
    store.scan_other_events(|e| ds.add_event(&e)).await?;
    store.scan_sla(|s| set_sla(&mut ds, &s)).await?;
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
    for s in &c.status_spans {
        ds.add_status_span(s);
    }
    for (a, at) in &c.activity {
        ds.add_agent_activity(a, *at);
    }
    for e in &c.events {
        ds.add_event(e);
    }
    for s in &c.sla {
        set_sla(ds, s);
    }
}

fn set_sla(ds: &mut Dataset, s: &SlaOfTicket) {
    ds.set_sla_outcomes(&s.ticket, &s.finished);
    ds.set_sla_statuses(&s.ticket, &s.statuses);
}

/// A commit hook for the writer that feeds `ds` through an aggregator task.
pub fn commit_hook(ds: SharedDataset) -> CommitHook {
    let (tx, mut rx) = mpsc::unbounded_channel::<Committed>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            let ds = ds.clone();
            // Taking the lock may wait for a running report: do it off the async workers.
            let _ = tokio::task::spawn_blocking(move || {
                let mut guard = ds.write().unwrap_or_else(|poisoned| poisoned.into_inner());
                for c in &batch {
                    apply(&mut guard, c);
                }
            })
            .await;
        }
    });
    Arc::new(move |c: Committed| {
        let _ = tx.send(c);
    })
}
