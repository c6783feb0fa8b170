//! `sanjeh export --format events`: the event log as interchange JSON Lines.

use super::CliResult;
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Settings;
use crate::progress;
use sanjeh_store::Durability;
use std::io::{BufWriter, Write};

pub async fn run(settings: &Settings, args: &ExportArgs) -> CliResult {
    let ExportFormat::Events = args.format;
    let store = super::open(settings, Durability::Normal).await?;
    let total = store.event_count().await?;
    let bar = progress::bar(total as u64, "events");
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?)),
        None => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())),
    };
    let written = store.export_events(&mut out, &|n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    eprintln!("exported {written} events");
    store.close().await;
    Ok(())
}
