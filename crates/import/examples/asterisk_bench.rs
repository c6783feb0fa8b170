//! Times the asterisk converter alone on the real queue_log export, repeated to a size worth
//! timing, in both layouts: the table export as it is, and the same lines as a flat file.
//!
//! `cargo run --release -p sanjeh-import --example asterisk_bench -- [COPIES] [LOG]`
//!
//! Each copy shifts its times by a week and renames its calls, so calls stay distinct and the
//! converter's memory of recent calls is swept as on a long log.

use sanjeh_import::Item;
use sanjeh_import::asterisk::{Options, convert};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const LOG: &str = "/work/shared/data/asterisk_queue_log_voipreports/queue_log.csv";
const WEEK: i64 = 7 * 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let copies: usize = args.next().map_or(Ok(500), |a| a.parse())?;
    let log = PathBuf::from(args.next().unwrap_or_else(|| LOG.to_owned()));

    let table = tempfile::NamedTempFile::new()?;
    let flat = tempfile::NamedTempFile::new()?;
    let lines = repeat(&log, copies, table.path(), flat.path())?;
    for (name, path) in [("table export", table.path()), ("flat file", flat.path())] {
        time(name, path, lines)?;
    }
    Ok(())
}

fn time(name: &str, path: &Path, lines: u64) -> Result<(), Box<dyn std::error::Error>> {
    let (start, cpu) = (Instant::now(), cpu_ns());
    let (mut events, mut other) = (0u64, 0u64);
    for step in convert(&[path.to_owned()], &Options::default())? {
        match step? {
            Item::Event(_) => events += 1,
            _ => other += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // The machine may be shared: time on the CPU is the converter's own cost.
    let cpu_secs = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
    println!(
        "asterisk {name}: {lines} lines → {events} events (+{other} other items) in {secs:.3} s \
         wall: {:.0} lines/s",
        lines as f64 / secs
    );
    if let Some(cpu) = cpu_secs {
        println!(
            "asterisk {name}: {cpu:.3} s on the CPU: {:.0} lines/s",
            lines as f64 / cpu
        );
    }
    Ok(())
}

/// Writes `copies` shifted copies of the export, and the same lines as `epoch|callid|…`.
fn repeat(log: &Path, copies: usize, table: &Path, flat: &Path) -> Result<u64, csv::Error> {
    let mut reader = csv::Reader::from_path(log)?;
    let header = reader.headers()?.clone();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let (epoch, callid) = (col("date_time"), col("callid"));
    let mut t = csv::Writer::from_writer(BufWriter::new(std::fs::File::create(table)?));
    let mut f = BufWriter::new(std::fs::File::create(flat)?);
    t.write_record(&header)?;
    let mut lines = 0;
    for copy in 0..copies {
        for row in &rows {
            let shifted = row[epoch].parse::<i64>().unwrap_or(0) + copy as i64 * WEEK;
            let call = if &row[callid] == "NONE" {
                "NONE".to_owned()
            } else {
                format!("{}-{copy}", &row[callid])
            };
            let mut out: Vec<String> = row.iter().map(str::to_owned).collect();
            out[epoch] = shifted.to_string();
            out[callid] = call.clone();
            t.write_record(&out)?;
            let field = |name: &str| row.get(col(name)).unwrap_or("");
            writeln!(
                f,
                "{shifted}|{call}|{}|{}|{}|{}|{}|{}",
                field("queue_name"),
                field("type"),
                field("event"),
                field("htime"),
                field("param2"),
                field("param3")
            )?;
            lines += 1;
        }
    }
    t.flush()?;
    f.flush()?;
    Ok(lines)
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`).
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
