//! Prints the events the csv converter makes of a log, one interchange line each.
//!
//! `cargo run -p sanjeh-import --example csv_dump -- MAPPING.toml LOG.csv…`

use sanjeh_import::Item;
use sanjeh_import::csv::{Mapping, Options, convert};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(mapping) = args.next() else {
        eprintln!("usage: csv_dump MAPPING.toml LOG.csv…");
        return ExitCode::FAILURE;
    };
    let options = match Mapping::load(&mapping) {
        Ok(m) => Options::new(m, jiff::tz::TimeZone::UTC),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let paths: Vec<PathBuf> = args.collect();
    let stream = match convert(&paths, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for step in stream {
        match step {
            Ok(Item::Event(r)) => println!("{}", r.event.to_line()),
            Ok(other) => eprintln!("{other:?}"),
            Err(e) => {
                eprintln!("rejected: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
