//! `sanjeh import`: replays interchange JSON Lines, or another system's export converted to
//! interchange events, into the store.
//!
//! Each file of JSON Lines is one transaction; the files of one converted export (a Zendesk
//! tickets file and its audits, say) are one transaction together. A bad record that rejects
//! the input leaves the store as it was. `--dry-run` does all of it, every rule and every
//! duplicate check against the store included, and rolls back.

use super::{CliError, CliResult};
use crate::cli::{ImportArgs, ImportFormat};
use crate::config::Settings;
use crate::progress;
use sanjeh_import::{Converted, Item, Summary};
use sanjeh_store::ingest::{Chunk, Incoming, IngestOptions, IngestReport};
use sanjeh_store::{LineError, Store};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Events handed to the store at a time.
const CHUNK: usize = 4096;

pub async fn run(settings: &Settings, args: &ImportArgs) -> CliResult {
    check_flags(args)?;
    let store = super::open_for_bulk_load(settings).await?;
    let result = match args.format {
        ImportFormat::Events => import_events(&store, args).await,
        _ => import_converted(&store, args).await,
    };
    store.close().await;
    result
}

/// Flags that only some formats take.
fn check_flags(args: &ImportArgs) -> CliResult {
    let usage = |m: &str| Err(CliError::Usage(m.to_owned()));
    match args.format {
        ImportFormat::Csv if args.mapping.is_none() => {
            usage("--format csv needs --mapping FILE (see docs/import.md)")
        }
        ImportFormat::Csv => Ok(()),
        _ if args.mapping.is_some() => usage("--mapping is for --format csv"),
        ImportFormat::Zendesk => Ok(()),
        _ if args.verify => usage("--verify is for --format zendesk"),
        ImportFormat::Events if args.tz.is_some() => {
            usage("--tz is for converted formats: interchange times carry their offset")
        }
        _ => Ok(()),
    }
}

/// Interchange JSON Lines, one transaction per file.
async fn import_events(store: &Store, args: &ImportArgs) -> CliResult {
    for path in &args.paths {
        let (reader, bar): (Box<dyn BufRead + Send>, _) = if path.as_os_str() == "-" {
            (
                Box::new(BufReader::new(std::io::stdin())),
                progress::counter("bytes"),
            )
        } else {
            let file = std::fs::File::open(path).map_err(|e| cannot_open(path, e))?;
            let bar = progress::bytes(file.metadata()?.len());
            (
                Box::new(BufReader::with_capacity(1 << 20, bar.wrap_read(file))),
                bar,
            )
        };
        let started = Instant::now();
        let options = IngestOptions {
            dry_run: args.dry_run,
            ..IngestOptions::default()
        };
        let result = store.import_reader(reader, options).await;
        bar.finish_and_clear();
        let report = result.map_err(|e| name_file(e, path))?;
        print_report(args.dry_run, report, started);
    }
    Ok(())
}

/// Another system's export: converted on its own thread, written in one transaction.
async fn import_converted(store: &Store, args: &ImportArgs) -> CliResult {
    if args.verify {
        return verify(args);
    }
    let items = converter(args)?;
    let (rx, converting) = spawn_converter(items);
    let bar = progress::counter("events");
    let started = Instant::now();
    let options = IngestOptions {
        dry_run: args.dry_run,
        progress: Some(&|n| bar.set_position(n)),
        ..IngestOptions::default()
    };
    let result = store.ingest(rx, options).await;
    bar.finish_and_clear();
    // The store has dropped the receiver: the converter stops at its next send.
    let summary = tokio::task::spawn_blocking(move || converting.join())
        .await
        .map_err(|e| CliError::Usage(format!("the converter failed: {e}")))?
        .map_err(|_| CliError::Usage("the converter panicked".into()))?;
    eprint!("{summary}");
    let report = result?;
    print_report(args.dry_run, report, started);
    Ok(())
}

/// The format's converter over the given paths.
fn converter(args: &ImportArgs) -> Result<Box<dyn Iterator<Item = Converted> + Send>, CliError> {
    let tz = source_tz(args)?;
    let paths: &[PathBuf] = &args.paths;
    let rejected = |p: sanjeh_import::Problem| CliError::Store(problem_to_line(p).into());
    Ok(match args.format {
        ImportFormat::Events => unreachable!("events are not converted"),
        ImportFormat::Csv => {
            let path = args.mapping.as_deref().expect("checked by check_flags");
            let mapping = sanjeh_import::csv::Mapping::load(path).map_err(rejected)?;
            // The mapping may name the log's zone; an explicit --tz overrides it.
            let mut options = sanjeh_import::csv::Options::new(mapping, tz.clone());
            if args.tz.is_some() {
                options.tz = tz;
            }
            Box::new(sanjeh_import::csv::convert(paths, &options).map_err(rejected)?)
        }
        ImportFormat::Asterisk => {
            let options = sanjeh_import::asterisk::Options { tz };
            Box::new(sanjeh_import::asterisk::convert(paths, &options).map_err(rejected)?)
        }
        ImportFormat::Zendesk => {
            let options = sanjeh_import::zendesk::Options { tz };
            Box::new(sanjeh_import::zendesk::convert(paths, &options).map_err(rejected)?)
        }
        ImportFormat::Freshdesk => {
            let options = sanjeh_import::freshdesk::Options { tz };
            Box::new(sanjeh_import::freshdesk::convert(paths, &options).map_err(rejected)?)
        }
    })
}

/// `--verify`: Sanjeh's first reply and resolution times against Zendesk's own.
fn verify(args: &ImportArgs) -> CliResult {
    let options = sanjeh_import::zendesk::Options {
        tz: source_tz(args)?,
    };
    let verification = sanjeh_import::zendesk::verify(&args.paths, &options)
        .map_err(|p| CliError::Store(problem_to_line(p).into()))?;
    println!("{verification}");
    Ok(())
}

fn source_tz(args: &ImportArgs) -> Result<jiff::tz::TimeZone, CliError> {
    match &args.tz {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(name) => jiff::tz::TimeZone::get(name)
            .map_err(|e| CliError::Usage(format!("--tz {name}: not a known time zone: {e}"))),
    }
}

/// Runs the converter on its own thread, sending the events to the store in chunks; the thread
/// returns the summary of what it yielded. A problem that rejects the input ends the stream.
fn spawn_converter(
    items: Box<dyn Iterator<Item = Converted> + Send>,
) -> (mpsc::Receiver<Chunk>, std::thread::JoinHandle<Summary>) {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    let converting = std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut counted = Summary::default();
        for item in items {
            let item = match item {
                Ok(item) => item,
                Err(problem) => {
                    let _ = tx.blocking_send(Err(problem_to_line(problem)));
                    break;
                }
            };
            counted.add(&item);
            if let Item::Event(record) = item {
                let record = *record;
                let origin = record.origin;
                chunk.push(Incoming::converted(origin.file, origin.line, record.event));
            }
            if chunk.len() >= CHUNK && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
                break;
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(Ok(chunk));
        }
        counted
    });
    (rx, converting)
}

fn problem_to_line(p: sanjeh_import::Problem) -> LineError {
    LineError::new(p.origin.line, p.field, p.message).in_file(Some(p.origin.file))
}

fn print_report(dry_run: bool, report: IngestReport, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let total = report.added + report.duplicates;
    let verb = if dry_run {
        "dry run: would import"
    } else {
        "imported"
    };
    eprintln!(
        "{verb} {} events ({} already present) in {secs:.1} s ({:.0} events/s)",
        report.added,
        report.duplicates,
        total as f64 / secs.max(1e-9)
    );
}

fn cannot_open(path: &Path, e: std::io::Error) -> CliError {
    CliError::Usage(format!("cannot open {}: {e}", path.display()))
}

/// A line error from one of several files names the file.
fn name_file(e: sanjeh_store::StoreError, path: &Path) -> CliError {
    match e {
        sanjeh_store::StoreError::Line(l) if l.file.is_none() => CliError::Store(
            l.in_file(Some(Arc::from(path.display().to_string())))
                .into(),
        ),
        other => other.into(),
    }
}
