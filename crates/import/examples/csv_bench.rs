//! Times the csv converter alone on the real Helpdesk log, repeated to a size worth timing.
//!
//! `cargo run --release -p sanjeh-import --example csv_bench -- [COPIES] [LOG] [MAPPING]`
//!
//! Each copy renames its cases (`Case 1` → `Case 1/2`) so the tickets stay distinct and the
//! per-case state grows as it would on a log that size.

use sanjeh_import::Item;
use sanjeh_import::csv::{Mapping, Options, convert};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

const LOG: &str = "/work/shared/data/helpdesk_italian/helpdesk_full_finale.csv";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let copies: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    let log = PathBuf::from(args.next().unwrap_or_else(|| LOG.to_owned()));
    let mapping = args.next().map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("mappings/helpdesk_italian.toml"),
        PathBuf::from,
    );
    let options = Options::new(Mapping::load(&mapping)?, jiff::tz::TimeZone::UTC);

    let big = tempfile::NamedTempFile::new()?;
    let rows = repeat(&log, copies, big.path())?;

    let (start, cpu) = (Instant::now(), cpu_ns());
    let (mut events, mut other) = (0u64, 0u64);
    for step in convert(&[big.path().to_owned()], &options)? {
        match step? {
            Item::Event(_) => events += 1,
            _ => other += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // The machine may be shared: time on the CPU is the converter's own cost.
    let cpu_secs = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
    println!(
        "csv: {rows} rows → {events} events (+{other} other items) in {secs:.3} s wall: \
         {:.0} rows/s, {:.0} events/s",
        rows as f64 / secs,
        events as f64 / secs
    );
    if let Some(cpu) = cpu_secs {
        println!(
            "csv: {cpu:.3} s on the CPU: {:.0} rows/s, {:.0} events/s",
            rows as f64 / cpu,
            events as f64 / cpu
        );
    }
    Ok(())
}

/// Writes the log's header once and its rows `copies` times, each copy's case ids suffixed.
fn repeat(log: &PathBuf, copies: usize, out: &std::path::Path) -> std::io::Result<u64> {
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let mut rows = 0;
    for copy in 1..=copies {
        let mut lines = BufReader::new(std::fs::File::open(log)?).lines();
        let header = lines.next().transpose()?.unwrap_or_default();
        if copy == 1 {
            writeln!(w, "{header}")?;
        }
        for line in lines {
            let line = line?;
            // The case id is the first column (unquoted in this log).
            match line.split_once(',') {
                Some((case, rest)) => writeln!(w, "{case}/{copy},{rest}")?,
                None => writeln!(w, "{line}")?,
            }
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`).
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
