//! `sanjeh`: the one binary. Parsing and dispatch live in the library modules; this is a shim.

mod cli;
mod commands;
mod config;
mod progress;

use clap::Parser;
use std::process::ExitCode;

// The write path hands strings from the thread that folds a batch to SQLite's worker thread,
// which frees them; jemalloc's thread caches take such frees without the lock glibc's arenas
// need (measured in docs/benchmarks.md, "Seventh session").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let settings = match config::Settings::load(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    config::init_logging(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
