//! Times the full report on a synthetic year of N tickets:
//!
//! ```sh
//! cargo run --release -p sanjeh-metrics --example bench_report -- 1000000
//! ```
//!
//! The dataset is fed the way the store feeds it (ticket states, reply intervals, solves,
//! reopens, agent activity, non-ticket events), then `report` runs with every KPI, grouped by
//! month × channel and by agent, with the previous period. Prints the build time, the peak
//! resident memory (from /proc, on Linux) and the best and median report times.
//!
//! `CALENDARS=1` adds business calendars to the request (Tehran's office schedule as the
//! default, Moscow's for two groups, around the clock for one), so the report also computes
//! the business-time variants; `CALENDARS=both` alternates runs without and with them and
//! prints both:
//!
//! ```sh
//! CALENDARS=both cargo run --release -p sanjeh-metrics --example bench_report -- 1000000
//! ```

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use sanjeh_calendar::{BusinessCalendar, Calendars, Schedule};
use sanjeh_domain::event::{
    Cost, Event, EventBody, LifecycleState, Opportunity, OpportunityStatus, Score, SurveyResponse,
};
use sanjeh_domain::{
    Channel, Id, Kind, Priority, ReplyInterval, Solve, Status, StatusSpan, SurveyKind, TicketFacts,
    TicketState, from_millis,
};
use sanjeh_metrics::{Dataset, Dimension, ReportRequest, report};
use std::sync::Arc;
use std::time::Instant;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// SplitMix64: a tiny, good-enough generator, so the example needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A skewed duration: mostly short, sometimes long.
    fn duration(&mut self, typical: i64) -> i64 {
        let u = self.below(1000) as i64;
        typical * u * u / 250_000 + self.below(60_000) as i64
    }
}

/// Agents work 06:00–15:00 UTC: an action due outside that waits for the next shift.
fn in_shift(t: i64, rng: &mut Rng) -> i64 {
    let day = t.div_euclid(DAY) * DAY;
    let hour = (t - day) / HOUR;
    match hour {
        0..6 => day + 6 * HOUR + rng.duration(20 * MIN),
        6..15 => t,
        _ => day + DAY + 6 * HOUR + rng.duration(20 * MIN),
    }
}

fn id(s: String) -> Id {
    Id::parse("id", &s).expect("valid id")
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let start: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let end: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let t0 = Instant::now();
    let mut ds = build(n, start.as_millisecond(), end.as_millisecond());
    ds.shrink_to_fit();
    let built = t0.elapsed();
    let stats = ds.stats();
    println!("dataset: {stats:?}");
    println!(
        "built in {:.1} s; resident {} MiB after shrink_to_fit (peak while building {} MiB)",
        built.as_secs_f64(),
        proc_status_mib("VmRSS:"),
        proc_status_mib("VmHWM:")
    );
    for (part, bytes) in ds.heap_bytes() {
        println!("  {part:<16} {:7.1} MiB", bytes as f64 / 1048576.0);
    }
    // Reset the peak so the next one read is the reports' (Linux: clear_refs 5).
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let mut req = ReportRequest::new(start, end, TimeZone::get("Asia/Tehran").unwrap(), end);
    req.by = vec![Dimension::Month, Dimension::Channel];
    req.also_by = vec![vec![Dimension::Agent]];
    req.compare_previous = true;
    if std::env::var_os("FAMILIES").is_some() {
        for (name, ms) in sanjeh_metrics::family_timings(&ds, &req, runs) {
            println!("  {name:<12} {ms:8.1} ms");
        }
    }
    let mode = std::env::var("CALENDARS").unwrap_or_default();
    let variants: Vec<(&str, Option<Arc<Calendars>>)> = match mode.as_str() {
        "" | "0" => vec![("calendar time only", None)],
        "both" => vec![
            ("calendar time only", None),
            ("with business variants", Some(calendars())),
        ],
        _ => vec![("with business variants", Some(calendars()))],
    };
    let mut times = vec![Vec::new(); variants.len()];
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        // Alternate the variants, so a busy neighbour on the machine slows both alike.
        for (v, (_, cals)) in variants.iter().enumerate() {
            req.calendars = cals.clone();
            let t = Instant::now();
            let r = report(&ds, &req);
            times[v].push(t.elapsed().as_secs_f64() * 1000.0);
            rows = r.by.iter().map(|g| g.rows.len()).sum::<usize>();
            std::hint::black_box(&r);
        }
    }
    for ((name, _), times) in variants.iter().zip(&mut times) {
        times.sort_by(f64::total_cmp);
        println!(
            "report (all KPIs, by month x channel and by agent, with previous period), {name}: best {:.1} ms, median {:.1} ms over {} runs; {} rows",
            times[0],
            times[times.len() / 2],
            times.len(),
            rows
        );
    }
    println!(
        "peak resident memory while reporting {} MiB",
        proc_status_mib("VmHWM:")
    );
}

/// Tehran's office hours by default; Moscow's for groups G-1 and G-2; G-3 around the clock.
fn calendars() -> Arc<Calendars> {
    let cal = |s: Schedule| BusinessCalendar::new(s).expect("valid schedule");
    let mut c = Calendars::new(cal(Schedule::iran_office()));
    c.insert_group("G-1", cal(Schedule::russia_office()));
    c.insert_group("G-2", cal(Schedule::russia_office()));
    c.insert_group("G-3", cal(Schedule::always_open("UTC")));
    Arc::new(c)
}

/// A memory figure of this process from /proc (Linux), in MiB.
fn proc_status_mib(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(|| "?".to_owned(), |kb| (kb / 1024).to_string())
}

fn build(n: usize, from: i64, to: i64) -> Dataset {
    let mut rng = Rng(42);
    let mut ds = Dataset::new();
    let agents: Vec<Id> = (0..(n / 5000).max(20))
        .map(|i| id(format!("A-{i}")))
        .collect();
    let groups: Vec<Id> = (0..12).map(|i| id(format!("G-{i}"))).collect();
    let n_customers = (n / 10).max(100);
    let n_orgs = (n_customers / 20).max(10);
    let orgs: Vec<Id> = (0..n_orgs).map(|i| id(format!("O-{i}"))).collect();
    let tags: Vec<String> = (0..60).map(|i| format!("topic-{i}")).collect();
    let span = to - from;

    for i in 0..n {
        let created = from + (i as i64) * span / n as i64 + rng.below(HOUR as u64) as i64;
        let ticket = id(format!("T-{i}"));
        let customer_n = rng.below(n_customers as u64) as usize;
        let outbound = rng.chance(8);
        let agent = agents[rng.below(agents.len() as u64) as usize].clone();
        let mut facts = TicketFacts::new(created, outbound);
        let mut tset = Vec::new();
        for _ in 0..rng.below(4) {
            let t = tags[rng.below(tags.len() as u64) as usize].clone();
            if !tset.contains(&t) {
                tset.push(t);
            }
        }
        // Replies: the first after a skewed delay, then more customer/agent exchanges.
        let mut t = created;
        let replied = outbound || rng.chance(94);
        let mut replies = 0;
        if replied {
            let exchanges = 1 + rng.below(3) as i64;
            for k in 0..exchanges {
                let waiting_since = t;
                t = in_shift(
                    t + rng.duration(if k == 0 { 40 * MIN } else { 3 * HOUR }),
                    &mut rng,
                );
                if !(outbound && k == 0) {
                    ds.add_reply(&ReplyInterval {
                        ticket: ticket.clone(),
                        waiting_since,
                        replied_at: t,
                        agent: agent.clone(),
                        first: k == 0,
                    });
                }
                ds.add_agent_activity(&agent, t);
                replies += 1;
                if k == 0 {
                    facts.first_reply_at = Some(t);
                    facts.first_reply_by = Some(agent.clone());
                }
                t += rng.duration(2 * HOUR);
            }
            facts.agent_replies = replies;
        }
        let merged = rng.chance(2);
        let mut status = Status::Open;
        if merged {
            facts.merged_at = Some(t + MIN);
            status = Status::Closed;
        } else if replied && rng.chance(90) {
            let mut solve_at = in_shift(t + rng.duration(HOUR), &mut rng);
            let reopened = rng.chance(5);
            let solves = if reopened { 2 } else { 1 };
            for s in 0..solves {
                ds.add_solve(&Solve {
                    ticket: ticket.clone(),
                    at: solve_at,
                    agent: Some(agent.clone()),
                    tags: tset.clone(),
                });
                ds.add_agent_activity(&agent, solve_at);
                facts.first_solved_at.get_or_insert(solve_at);
                facts.last_solved_at = Some(solve_at);
                if s + 1 < solves {
                    let reopen = solve_at + rng.duration(DAY);
                    ds.add_reopen(&ticket, reopen);
                    facts.reopens += 1;
                    solve_at = in_shift(reopen + rng.duration(4 * HOUR), &mut rng);
                }
            }
            facts.solves = solves;
            facts.solved_by = Some(agent.clone());
            let full = solve_at - created;
            facts.handle_ms = Some(full / 2);
            facts.requester_wait_ms = Some(full * 3 / 4);
            // The status spans those sums come from (business handle and wait time): new,
            // open, then on hold, a quarter of the time each.
            for (k, status) in [Status::New, Status::Open, Status::OnHold]
                .into_iter()
                .enumerate()
            {
                let k = k as i64;
                ds.add_status_span(&StatusSpan {
                    ticket: ticket.clone(),
                    status,
                    from: created + full * k / 4,
                    to: created + full * (k + 1) / 4,
                });
            }
            status = if rng.chance(70) {
                Status::Closed
            } else {
                Status::Solved
            };
        }
        let state = TicketState {
            id: ticket.clone(),
            subject: String::new(),
            status,
            priority: Priority::ALL[[0, 1, 1, 1, 1, 2, 2, 3][rng.below(8) as usize]],
            channel: Channel::ALL[rng.below(Channel::ALL.len() as u64) as usize],
            kind: if rng.chance(5) {
                Some(Kind::Complaint)
            } else {
                Some(Kind::Question)
            },
            group: Some(groups[rng.below(groups.len() as u64) as usize].clone()),
            assignee: Some(agent.clone()),
            customer: Some(id(format!("C-{customer_n}"))),
            organization: Some(orgs[customer_n % n_orgs].clone()),
            tags: tset,
            merged_into: merged.then(|| id(format!("T-{}", i.saturating_sub(1)))),
            created_at: created,
            updated_at: t,
            facts,
        };
        ds.upsert_ticket(&state);

        // Surveys on some tickets.
        let customer = state.customer.clone();
        if rng.chance(15) {
            let survey = [
                SurveyKind::Csat,
                SurveyKind::Csat,
                SurveyKind::Csat,
                SurveyKind::Nps,
                SurveyKind::Ces,
            ][rng.below(5) as usize];
            let score = match survey {
                SurveyKind::Csat => 1 + rng.below(5) as i64,
                SurveyKind::Nps => rng.below(11) as i64,
                SurveyKind::Ces => 1 + rng.below(7) as i64,
            };
            ds.add_event(&Event::new(
                from_millis(t + HOUR),
                EventBody::SurveyResponse(SurveyResponse {
                    survey,
                    score: Score::Scale(score),
                    ticket: Some(ticket.clone()),
                    customer: customer.clone(),
                    agent: None,
                    comment: None,
                }),
            ));
        }
        if rng.chance(1) {
            ds.add_event(&Event::new(
                from_millis(t),
                EventBody::Opportunity(Opportunity {
                    opportunity: None,
                    ticket: Some(ticket.clone()),
                    agent: Some(agent.clone()),
                    kind: "upsell".into(),
                    amount: Decimal::new(rng.below(100_000) as i64, 2),
                    currency: "USD".into(),
                    status: OpportunityStatus::Won,
                }),
            ));
        }
        // Calls, article views and votes alongside.
        if i % 5 == 0 {
            let call = id(format!("X-{i}"));
            let q = from_millis(created);
            ds.add_event(&Event::new(
                q,
                EventBody::CallQueued {
                    call: call.clone(),
                    queue: Some("support".into()),
                    customer: customer.clone(),
                },
            ));
            let wait = rng.duration(MIN);
            if rng.chance(90) {
                ds.add_event(&Event::new(
                    from_millis(created + wait),
                    EventBody::CallAnswered {
                        call: call.clone(),
                        agent: Some(agent.clone()),
                    },
                ));
                ds.add_event(&Event::new(
                    from_millis(created + wait + rng.duration(5 * MIN)),
                    EventBody::CallEnded {
                        call,
                        hold_s: None,
                        wrapup_s: Some(rng.below(120) as i64),
                    },
                ));
            } else {
                ds.add_event(&Event::new(
                    from_millis(created + wait),
                    EventBody::CallAbandoned { call },
                ));
            }
        }
        ds.add_event(&Event::new(
            from_millis(created + rng.below(DAY as u64) as i64),
            EventBody::ArticleViewed {
                article: id(format!("K-{}", i % 500)),
                visitor: None,
            },
        ));
        if i % 20 == 0 {
            ds.add_event(&Event::new(
                from_millis(created),
                EventBody::Vote {
                    target: format!("article:K-{}", i % 500),
                    helpful: rng.chance(70),
                    visitor: None,
                },
            ));
        }
    }
    for c in 0..n_customers {
        let customer = id(format!("C-{c}"));
        ds.add_event(&Event::new(
            from_millis(from - DAY),
            EventBody::CustomerLifecycle {
                customer: customer.clone(),
                state: LifecycleState::Active,
            },
        ));
        if rng.chance(15) {
            ds.add_event(&Event::new(
                from_millis(from + rng.below(span as u64) as i64),
                EventBody::CustomerLifecycle {
                    customer,
                    state: LifecycleState::Churned,
                },
            ));
        }
    }
    let mut month = from;
    let tz = TimeZone::UTC;
    while month < to {
        for (category, amount) in [
            ("staff", 1_200_000),
            ("tools", 80_000),
            ("telephony", 150_000),
            ("overhead", 50_000),
        ] {
            ds.add_event(&Event::new(
                from_millis(month),
                EventBody::Cost(Cost {
                    period: "month".into(),
                    category: category.into(),
                    amount: Decimal::new(amount * (n as i64 / 100_000).max(1), 2),
                    currency: "USD".into(),
                }),
            ));
        }
        month = from_millis(month)
            .to_zoned(tz.clone())
            .checked_add(jiff::Span::new().months(1))
            .unwrap()
            .timestamp()
            .as_millisecond();
    }
    ds
}
