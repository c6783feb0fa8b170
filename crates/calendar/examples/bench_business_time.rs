//! Business-time throughput on one core.
//!
//!     cargo run --release --example bench_business_time -p sanjeh-calendar
//!
//! For each schedule: 1,000,000 random (start, end) pairs and (start, n) pairs across 2025
//! (spans up to 30 days, n up to 200 business hours), timed after one warm-up pass that
//! builds the chunk tables (also reported: the cold first pass).

use std::hint::black_box;
use std::time::Instant;

use jiff::Timestamp;
use sanjeh_calendar::{BusinessCalendar, Schedule, Weekday, WeeklyInterval};

const N: usize = 1_000_000;
const YEAR_2025: i64 = 1_735_689_600;

struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as i64
    }
}

fn main() {
    let mut night = Schedule::weekly("Europe/Berlin", &Weekday::ALL[..5], "09:00", "17:00");
    night.intervals.push(WeeklyInterval {
        day: Weekday::Friday,
        start: "22:00".into(),
        end: "06:00".into(),
        crosses_midnight: true,
    });
    let schedules = [
        ("Iran office (Tehran, IR holidays)", Schedule::iran_office()),
        (
            "Russia office (Moscow, RU holidays)",
            Schedule::russia_office(),
        ),
        (
            "New York Mon-Fri 09-17",
            Schedule::weekly("America/New_York", &Weekday::ALL[..5], "09:00", "17:00"),
        ),
        ("Berlin + Friday night shift", night),
    ];
    let mut rng = XorShift(0x5eed_2025);
    let starts: Vec<Timestamp> = (0..N)
        .map(|_| Timestamp::from_second(YEAR_2025 + rng.below(365 * 86_400)).unwrap())
        .collect();
    let ends: Vec<Timestamp> = starts
        .iter()
        .map(|s| Timestamp::from_second(s.as_second() + rng.below(30 * 86_400)).unwrap())
        .collect();
    let amounts: Vec<i64> = (0..N).map(|_| rng.below(200 * 3600)).collect();

    println!("{N} computations per operation, one thread");
    for (name, schedule) in schedules {
        let cal = BusinessCalendar::new(schedule).expect("valid schedule");
        let cold = Instant::now();
        let mut sum = 0i64;
        for (a, b) in starts.iter().zip(&ends) {
            sum = sum.wrapping_add(cal.business_seconds_between(*a, *b));
        }
        let cold = cold.elapsed();
        let between = Instant::now();
        for (a, b) in starts.iter().zip(&ends) {
            sum = sum.wrapping_add(cal.business_seconds_between(black_box(*a), black_box(*b)));
        }
        let between = between.elapsed();
        let add = Instant::now();
        for (a, n) in starts.iter().zip(&amounts) {
            let due = cal.add_business_seconds(black_box(*a), black_box(*n));
            sum = sum.wrapping_add(due.map_or(0, |t| t.as_second()));
        }
        let add = add.elapsed();
        black_box(sum);
        let rate = |d: std::time::Duration| N as f64 / d.as_secs_f64() / 1e6;
        println!(
            "{name:38} between: {:6.2} M/s ({:5.1} ns)   add: {:6.2} M/s ({:5.1} ns)   cold first pass: {:.1} ms",
            rate(between),
            between.as_nanos() as f64 / N as f64,
            rate(add),
            add.as_nanos() as f64 / N as f64,
            cold.as_secs_f64() * 1e3,
        );
    }
    // Building the tables: two centuries on a fresh calendar, one chunk (≈ 388 days) at a time.
    let cal = BusinessCalendar::new(Schedule::russia_office()).expect("valid schedule");
    let (from, to) = (
        Timestamp::from_second(-1_420_070_400).unwrap(),
        Timestamp::from_second(4_891_363_200).unwrap(),
    );
    let build = Instant::now();
    let total = cal.business_seconds_between(from, to);
    let build = build.elapsed();
    println!(
        "cold 1925-2125 on a fresh calendar: {total} business seconds in {:.1} ms ({:.0} us per chunk)",
        build.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e6 / ((to.as_second() - from.as_second()) >> 25) as f64
    );
}
