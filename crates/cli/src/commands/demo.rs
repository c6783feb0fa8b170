//! `sanjeh demo`: a year of realistic history written through the same path as an import,
//! then served. Generation runs on its own thread, overlapping with the writes.

use super::CliResult;
use crate::cli::DemoArgs;
use crate::config::Settings;
use crate::progress;
use sanjeh_demo::DemoConfig;
use sanjeh_store::Incoming;
use sanjeh_store::ingest::{Chunk, IngestOptions};
use std::time::Instant;
use tokio::sync::mpsc;

const CHUNK: usize = 8192;

pub async fn run(settings: &Settings, args: &DemoArgs) -> CliResult {
    let store = super::open_for_bulk_load(settings).await?;
    if store.event_count().await? > 0 {
        eprintln!(
            "{} already holds history; serving it as it is (delete the file to build a new demo)",
            store.display_url()
        );
    } else {
        build(&store, args).await?;
    }
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    store.close().await;
    let store = super::open_for_serving(settings).await?;
    web_sign_in(&store).await?;
    print_history_span();
    super::serve::serve(store, settings).await
}

/// The demo's history is a past calendar year, so the dashboard's default "last 30 days" may
/// hold nothing: name the period that has it, and its last month on the dashboard.
fn print_history_span() {
    let config = DemoConfig::default();
    let zone = jiff::tz::TimeZone::UTC;
    let first = config.start.to_zoned(zone.clone()).date();
    let last = config
        .end()
        .to_zoned(zone)
        .date()
        .yesterday()
        .unwrap_or(first);
    let month = last.first_of_month();
    println!(
        "the demo's history runs from {first} to {last}; its last month on the dashboard: /dashboard?from={month}&to={last}"
    );
}

/// Gives the demo's first admin and first manager a fresh password for the web UI and prints
/// them (the demo is for trying Sanjeh out; never a production store).
async fn web_sign_in(store: &sanjeh_store::Store) -> CliResult {
    let agents = store.agents().await?;
    for role in ["admin", "manager"] {
        if let Some(agent) = agents.iter().find(|a| a.role.as_deref() == Some(role)) {
            let password = sanjeh_store::sessions::generate_password();
            store.set_password(&agent.id, &password).await?;
            println!(
                "web UI: sign in as {role} {} with password {password}",
                agent.id
            );
        }
    }
    Ok(())
}

async fn build(store: &sanjeh_store::Store, args: &DemoArgs) -> CliResult {
    let config = DemoConfig {
        tickets: args.tickets,
        seed: args.seed,
        ..DemoConfig::default()
    };
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for (i, event) in sanjeh_demo::generate(&config).enumerate() {
            chunk.push(Incoming::from_event(i as u64 + 1, event));
            if chunk.len() == CHUNK
                && tx
                    .blocking_send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))))
                    .is_err()
            {
                return;
            }
        }
        let _ = tx.blocking_send(Ok(chunk));
    });
    let bar = progress::counter("events");
    let started = Instant::now();
    // One transaction: the store is empty, so its indexes are built at the end, and a demo cut
    // off half-way leaves nothing behind (see `Store::ingest`).
    let options = IngestOptions {
        progress: Some(&|n| bar.set_position(n)),
        ..IngestOptions::default()
    };
    let report = store.ingest(rx, options).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "demo: {} tickets, {} events written in {secs:.1} s ({:.0} events/s)",
        args.tickets,
        report.added,
        report.added as f64 / secs.max(1e-9)
    );
    Ok(())
}
