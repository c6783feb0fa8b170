//! Measures generation speed and prints what the demo history contains.
//!
//! `cargo run --release -p sanjeh-demo --example demo_bench -- 1000000 [--lines]`
//! (`--lines` also serializes every event with `Event::to_line`, as an export would.)

use sanjeh_demo::{DemoConfig, generate};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let tickets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let lines = args.any(|a| a == "--lines");
    let config = DemoConfig {
        tickets,
        ..DemoConfig::default()
    };

    let started = Instant::now();
    let mut demo = generate(&config);
    let mut events = 0u64;
    let mut bytes = 0u64;
    let mut max_in_flight = 0;
    let mut by_type: BTreeMap<&'static str, u64> = BTreeMap::new();
    while let Some(e) = demo.next() {
        events += 1;
        *by_type.entry(e.body.type_name()).or_default() += 1;
        if lines {
            bytes += e.to_line().len() as u64 + 1;
        }
        if events.is_multiple_of(4096) {
            max_in_flight = max_in_flight.max(demo.in_flight());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("tickets            {tickets}");
    println!("customers          {}", demo.customers());
    println!("events             {events}");
    println!("events per ticket  {:.2}", events as f64 / tickets as f64);
    println!("seconds            {secs:.2}");
    println!("events per second  {:.0}", events as f64 / secs);
    println!("max stories held   {max_in_flight}");
    if lines {
        println!("bytes of JSONL     {bytes}");
    }
    for (t, n) in by_type {
        println!(
            "  {t:<22}{n:>10}  {:>6.3}/ticket",
            n as f64 / tickets as f64
        );
    }
}
