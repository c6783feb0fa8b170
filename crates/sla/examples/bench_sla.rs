//! Recomputes the SLA state of N open tickets at one instant (the overdue-backlog question:
//! which targets are due when, which are breached), on one thread:
//!
//! ```sh
//! cargo run --release -p sanjeh-sla --example bench_sla -- 1000000
//! ```
//!
//! Each ticket is opened under a two-policy set on Tehran's office calendar, gets a reply and a
//! customer answer (so first reply is done and next reply and resolution run), and some are
//! pending; then every ticket's statuses are computed for "now".

use sanjeh_calendar::{BusinessCalendar, Calendars, Schedule};
use sanjeh_domain::event::{TicketCreated, TicketMessage};
use sanjeh_domain::{Author, Channel, EventBody, Id, Priority, Status};
use sanjeh_sla::{Hours, Policy, PolicySet, State, Target, Targets, TicketSla};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let calendars = Calendars::new(BusinessCalendar::new(Schedule::iran_office()).expect("valid"));
    let policies = PolicySet::new(vec![policy()]).expect("valid");
    let id = |s: String| Id::parse("id", &s).expect("valid id");
    let start = 1_735_700_000_000i64;
    let t0 = Instant::now();
    let mut tickets = Vec::with_capacity(n);
    for i in 0..n {
        // One ticket every 10 seconds: a million over about 115 days.
        let at = start + i as i64 * 10_000;
        let priority = [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ][i % 4];
        let created = TicketCreated {
            ticket: id(format!("T-{i}")),
            customer: None,
            organization: None,
            channel: Channel::Email,
            priority,
            group: None,
            subject: None,
            tags: vec![],
            kind: None,
            by: None,
        };
        let mut sla = TicketSla::open(&created, at, &policies);
        let msg = |author| {
            EventBody::TicketMessage(TicketMessage {
                ticket: id(format!("T-{i}")),
                author,
                public: true,
                body: String::new(),
                channel: None,
                message: None,
            })
        };
        sla.apply(
            at + 3_600_000,
            &msg(Author::Agent(id("A".into()))),
            &policies,
            &calendars,
        );
        sla.apply(
            at + 7_200_000,
            &msg(Author::Customer(id("C".into()))),
            &policies,
            &calendars,
        );
        if i % 5 == 0 {
            let pending = EventBody::TicketStatus {
                ticket: id(format!("T-{i}")),
                status: Status::Pending,
                by: None,
            };
            sla.apply(at + 7_300_000, &pending, &policies, &calendars);
        }
        tickets.push(sla);
    }
    println!(
        "built {n} open tickets in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // About halfway through the arrivals: some targets are breached, others still run.
    let now = start + 5_000_000_000;
    for _ in 0..3 {
        let t = Instant::now();
        let mut breached = 0u64;
        let mut active = 0u64;
        for sla in &tickets {
            for s in sla.statuses(now, &calendars) {
                match s.state {
                    State::Breached => breached += 1,
                    State::Active => active += 1,
                    _ => {}
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "recomputed {n} tickets' SLA states in {:.0} ms ({breached} breached, {active} active targets)",
            secs * 1000.0
        );
    }
}

fn policy() -> Policy {
    let t = |minutes, hours| Some(Target { minutes, hours });
    let mut targets = BTreeMap::new();
    for (p, k) in [
        (Priority::Low, 4),
        (Priority::Normal, 2),
        (Priority::High, 1),
        (Priority::Urgent, 1),
    ] {
        targets.insert(
            p,
            Targets {
                first_reply: t(60 * k, Hours::Business),
                next_reply: t(120 * k, Hours::Business),
                periodic_update: t(480, Hours::Calendar),
                resolution: t(24 * 60 * k, Hours::Business),
            },
        );
    }
    Policy {
        id: "standard".into(),
        name: "Standard".into(),
        conditions: Default::default(),
        targets,
    }
}
