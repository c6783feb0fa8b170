//! `sanjeh import --format events FILE`: replays interchange JSON Lines into the store, in one
//! transaction (a bad line leaves the store untouched), with a progress bar on a terminal.

use super::CliResult;
use crate::cli::{ImportArgs, ImportFormat};
use crate::config::Settings;
use crate::progress;
use sanjeh_store::Durability;
use sanjeh_store::ingest::IngestOptions;
use std::io::{BufRead, BufReader};
use std::time::Instant;

pub async fn run(settings: &Settings, args: &ImportArgs) -> CliResult {
    let ImportFormat::Events = args.format;
    let store = super::open(settings, Durability::Normal).await?;
    let (reader, bar): (Box<dyn BufRead + Send>, _) = if args.file.as_os_str() == "-" {
        (
            Box::new(BufReader::new(std::io::stdin())),
            progress::counter("bytes"),
        )
    } else {
        let file = std::fs::File::open(&args.file).map_err(|e| {
            super::CliError::Usage(format!("cannot open {}: {e}", args.file.display()))
        })?;
        let bar = progress::bytes(file.metadata()?.len());
        (
            Box::new(BufReader::with_capacity(1 << 20, bar.wrap_read(file))),
            bar,
        )
    };
    let started = Instant::now();
    let result = store.import_reader(reader, IngestOptions::default()).await;
    bar.finish_and_clear();
    let report = result?;
    let secs = started.elapsed().as_secs_f64();
    let total = report.added + report.duplicates;
    eprintln!(
        "imported {} events ({} already present) in {secs:.1} s ({:.0} events/s)",
        report.added,
        report.duplicates,
        total as f64 / secs.max(1e-9)
    );
    store.close().await;
    Ok(())
}
