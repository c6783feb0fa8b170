//! Writes the demo history as JSON Lines to stdout.
//!
//! `cargo run --release -p sanjeh-demo --example demo_jsonl -- 50000 [seed] > demo.jsonl`

use sanjeh_demo::{DemoConfig, generate};
use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let tickets = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let config = DemoConfig {
        tickets,
        seed,
        ..DemoConfig::default()
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    for event in generate(&config) {
        writeln!(out, "{}", event.to_line())?;
    }
    out.flush()
}
