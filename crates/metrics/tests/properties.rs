//! Invariants over random help-desk histories: rates within [0, 1], medians no greater than
//! 90th percentiles, solved no more than what could be solved, periods that add up, groupings
//! that add up to the whole, and reports that do not depend on the order data arrived in.

mod common;

use common::*;
use proptest::prelude::*;
use sanjeh_metrics::replay::Replayer;
use sanjeh_metrics::{Dataset, Filter};
use serde_json::Value;

const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MIN: i64 = 60_000;

#[derive(Debug, Clone)]
struct TicketSpec {
    created_min: i64,
    outbound: bool,
    channel: usize,
    priority: usize,
    tags: u8,
    customer: u8,
    csat: Option<u8>,
    steps: Vec<(i64, u8, u8)>,
}

fn ticket_spec(allow_reopen: bool) -> impl Strategy<Value = TicketSpec> {
    (
        0i64..60 * 24 * 60,
        prop::bool::weighted(0.15),
        0usize..4,
        0usize..4,
        any::<u8>(),
        0u8..6,
        prop::option::weighted(0.3, 1u8..=5),
        prop::collection::vec((1i64..3000, 0u8..10, 0u8..3), 0..8),
    )
        .prop_map(
            move |(created_min, outbound, channel, priority, tags, customer, csat, mut steps)| {
                if !allow_reopen {
                    // Once solved, only closing is allowed.
                    let mut solved = false;
                    steps.retain(|&(_, a, _)| {
                        let unsolved_status = (4..=6).contains(&a);
                        let keep = !(solved && unsolved_status);
                        if a == 7 || a == 8 {
                            solved = true;
                        }
                        keep
                    });
                }
                TicketSpec {
                    created_min,
                    outbound,
                    channel,
                    priority,
                    tags,
                    customer,
                    csat,
                    steps,
                }
            },
        )
}

const CHANNELS: [&str; 4] = ["email", "chat", "web", "phone"];
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
const TAGS: [&str; 3] = ["billing", "refund", "login"];

/// JSON Lines of one ticket's history, each line with its instant for ordering.
fn lines_of(i: usize, t: &TicketSpec) -> Vec<(i64, String)> {
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    let id = format!("T{i}");
    let customer = format!("C{}", t.customer);
    let tags: Vec<&str> = TAGS
        .iter()
        .enumerate()
        .filter(|(b, _)| t.tags & (1 << b) != 0)
        .map(|(_, s)| *s)
        .collect();
    let mut now = START + t.created_min * MIN;
    let by = if t.outbound {
        r#","by":"agent:A0""#
    } else {
        ""
    };
    let kind = if t.tags & 0x80 != 0 {
        "complaint"
    } else {
        "question"
    };
    let mut out = vec![(
        now,
        format!(
            r#"{{"type":"ticket.created","at":"{}","ticket":"{id}","customer":"{customer}","channel":"{}","priority":"{}","tags":{},"kind":"{kind}"{by}}}"#,
            at(now),
            CHANNELS[t.channel],
            PRIORITIES[t.priority],
            serde_json::to_string(&tags).unwrap()
        ),
    )];
    for &(gap, action, agent) in &t.steps {
        now += gap * MIN;
        let a = format!("agent:A{agent}");
        let line = match action {
            0 => format!(
                r#"{{"type":"ticket.message","at":"{}","ticket":"{id}","author":"customer:{customer}","public":true}}"#,
                at(now)
            ),
            1 | 2 => format!(
                r#"{{"type":"ticket.message","at":"{}","ticket":"{id}","author":"{a}","public":true}}"#,
                at(now)
            ),
            3 => format!(
                r#"{{"type":"ticket.message","at":"{}","ticket":"{id}","author":"{a}","public":false}}"#,
                at(now)
            ),
            4 => format!(
                r#"{{"type":"ticket.status","at":"{}","ticket":"{id}","status":"open","by":"{a}"}}"#,
                at(now)
            ),
            5 => format!(
                r#"{{"type":"ticket.status","at":"{}","ticket":"{id}","status":"pending","by":"{a}"}}"#,
                at(now)
            ),
            6 => format!(
                r#"{{"type":"ticket.status","at":"{}","ticket":"{id}","status":"on_hold","by":"{a}"}}"#,
                at(now)
            ),
            7 => format!(
                r#"{{"type":"ticket.status","at":"{}","ticket":"{id}","status":"solved","by":"{a}"}}"#,
                at(now)
            ),
            8 => format!(
                r#"{{"type":"ticket.status","at":"{}","ticket":"{id}","status":"closed","by":"{a}"}}"#,
                at(now)
            ),
            _ => format!(
                r#"{{"type":"ticket.merged","at":"{}","ticket":"{id}","into":"T0"}}"#,
                at(now)
            ),
        };
        out.push((now, line));
        if action >= 8 {
            break; // closed and merged tickets are final
        }
    }
    if let Some(score) = t.csat {
        now += MIN;
        out.push((
            now,
            format!(r#"{{"type":"survey.response","at":"{}","survey":"csat","score":{score},"ticket":"{id}"}}"#, at(now)),
        ));
    }
    out
}

/// All histories interleaved in time order.
fn interleaved(specs: &[TicketSpec]) -> String {
    let mut all: Vec<(i64, usize, String)> = Vec::new();
    for (i, t) in specs.iter().enumerate() {
        for (at, l) in lines_of(i, t) {
            all.push((at, i, l));
        }
    }
    all.sort_by_key(|x| (x.0, x.1));
    all.into_iter().map(|x| x.2).collect::<Vec<_>>().join("\n")
}

/// Each ticket's whole history, one ticket after another, last ticket first.
fn ticket_by_ticket(specs: &[TicketSpec]) -> String {
    let mut out = Vec::new();
    for (i, t) in specs.iter().enumerate().rev() {
        out.extend(lines_of(i, t).into_iter().map(|x| x.1));
    }
    out.join("\n")
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

fn report_kpis(ds: &Dataset, from: i64, to: i64) -> Value {
    run(ds, &request(&iso(from), &iso(to))).1["kpis"].clone()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

const RATES: [&str; 8] = [
    "resolution_rate",
    "reopen_rate",
    "fcr_rate",
    "repeat_contact_rate",
    "csat",
    "learning_rate",
    "abandonment_rate",
    "service_level",
];
const DURATIONS: [&str; 7] = [
    "first_reply_time",
    "reply_time",
    "first_resolution_time",
    "full_resolution_time",
    "handle_time",
    "requester_wait_time",
    "speed_of_answer",
];
/// Counts that add up when a period is split in two.
const ADDITIVE: [(&str, &str); 13] = [
    ("ticket_volume", "value"),
    ("solved_tickets", "value"),
    ("complaints", "value"),
    ("first_reply_time", "n"),
    ("reply_time", "n"),
    ("first_resolution_time", "n"),
    ("full_resolution_time", "n"),
    ("handle_time", "n"),
    ("csat", "num"),
    ("csat", "den"),
    ("reopen_rate", "num"),
    ("fcr_rate", "num"),
    ("learning_rate", "den"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rates_are_fractions_and_medians_do_not_exceed_p90(specs in prop::collection::vec(ticket_spec(true), 1..25)) {
        let ds = dataset(&interleaved(&specs));
        let k = report_kpis(&ds, START, START + 90 * 24 * 60 * MIN);
        for r in RATES {
            if let Some(v) = k[r]["value"].as_f64() {
                prop_assert!((0.0..=1.0).contains(&v), "{r} = {v}");
                prop_assert!(n(&k[r]["num"]) <= n(&k[r]["den"]));
            }
        }
        for d in DURATIONS {
            if let (Some(m), Some(p)) = (k[d]["median_s"].as_f64(), k[d]["p90_s"].as_f64()) {
                prop_assert!(0.0 <= m && m <= p, "{d}: median {m} > p90 {p}");
                prop_assert!(k[d]["mean_s"].as_f64().unwrap() >= 0.0);
            }
        }
    }

    #[test]
    fn solved_never_exceeds_created_plus_the_starting_backlog(
        specs in prop::collection::vec(ticket_spec(false), 1..25),
        split in 1i64..59,
    ) {
        // Without reopens: every ticket last solved in a period was created in it or was in the
        // backlog at its start.
        let ds = dataset(&interleaved(&specs));
        let mid = START + split * 24 * 60 * MIN;
        let end = START + 90 * 24 * 60 * MIN;
        let before = report_kpis(&ds, START, mid);
        let after = report_kpis(&ds, mid, end);
        prop_assert!(
            n(&after["solved_tickets"]["value"])
                <= n(&after["ticket_volume"]["value"]) + n(&before["backlog"]["value"])
        );
        // And the backlog moves by what came in and what went out.
        prop_assert!(n(&after["backlog"]["value"]) <= n(&before["backlog"]["value"]) + n(&after["ticket_volume"]["value"]));
    }

    #[test]
    fn splitting_a_period_in_two_adds_up(
        specs in prop::collection::vec(ticket_spec(true), 1..25),
        split in 1i64..89,
    ) {
        let ds = dataset(&interleaved(&specs));
        let mid = START + split * 24 * 60 * MIN;
        let end = START + 90 * 24 * 60 * MIN;
        let (whole, a, b) = (report_kpis(&ds, START, end), report_kpis(&ds, START, mid), report_kpis(&ds, mid, end));
        for (kpi, field) in ADDITIVE {
            prop_assert_eq!(n(&whole[kpi][field]), n(&a[kpi][field]) + n(&b[kpi][field]), "{}.{}", kpi, field);
        }
        // The backlog is as of the end: the whole period's is the second half's.
        prop_assert_eq!(&whole["backlog"], &b["backlog"]);
    }

    #[test]
    fn rows_add_up_to_the_whole(specs in prop::collection::vec(ticket_spec(true), 1..25)) {
        let ds = dataset(&interleaved(&specs));
        let mut req = request(&iso(START), &iso(START + 90 * 24 * 60 * MIN));
        by(&mut req, &["day"]);
        req.also_by = vec![vec!["channel".parse().unwrap()], vec!["agent".parse().unwrap()]];
        let (_, v) = run(&ds, &req);
        for (g, dims) in v["by"].as_array().unwrap().iter().enumerate() {
            let rows = dims["rows"].as_array().unwrap();
            for (kpi, field) in ADDITIVE.iter().filter(|(k, _)| !k.starts_with("learning")) {
                let sum: u64 = rows.iter().map(|r| n(&r["kpis"][kpi][field])).sum();
                prop_assert_eq!(sum, n(&v["kpis"][kpi][field]), "grouping {} {}.{}", g, kpi, field);
            }
        }
        // By day, the last day's backlog is the period's.
        if let Some(last) = v["by"][0]["rows"].as_array().unwrap().iter().rfind(|r| r["key"]["day"] == "2026-03-31") {
            prop_assert_eq!(&last["kpis"]["backlog"]["value"], &v["kpis"]["backlog"]["value"]);
        }
    }

    /// A filtered report is the row of a grouping by the filtered dimensions, for the period
    /// and for the previous one; a name the data does not know matches nothing.
    #[test]
    fn a_filter_gives_the_row_of_a_grouping_by_its_dimensions(
        specs in prop::collection::vec(ticket_spec(true), 1..25),
        dims in prop::sample::select(vec![vec!["channel"], vec!["agent"], vec!["channel", "agent"]]),
        pick in any::<prop::sample::Index>(),
    ) {
        let ds = dataset(&interleaved(&specs));
        let (from, to) = (START + 20 * 24 * 60 * MIN, START + 50 * 24 * 60 * MIN);
        let row_of = |from: i64, to: i64, filter: &Filter| {
            let mut req = request(&iso(from), &iso(to));
            by(&mut req, &dims);
            let (_, v) = run(&ds, &req);
            v["by"][0]["rows"].as_array().unwrap().iter().find(|r| {
                r["key"]["channel"].as_str() == filter.channel.as_deref()
                    && r["key"]["agent"].as_str() == filter.agent.as_deref()
            }).map(|r| r["kpis"].clone())
        };
        let mut req = request(&iso(from), &iso(to));
        by(&mut req, &dims);
        let (_, grouped) = run(&ds, &req);
        let rows = grouped["by"][0]["rows"].as_array().unwrap();
        // A row whose every key has a value (none cannot be asked for by a filter).
        let named: Vec<&Value> = rows.iter().filter(|r| dims.iter().all(|d| r["key"][d].is_string())).collect();
        prop_assume!(!named.is_empty());
        let row = pick.get(&named);
        let filter = Filter {
            channel: row["key"]["channel"].as_str().map(str::to_owned),
            agent: row["key"]["agent"].as_str().map(str::to_owned),
            ..Filter::default()
        };
        let mut filtered = request(&iso(from), &iso(to));
        filtered.filter = filter.clone();
        filtered.compare_previous = true;
        let (_, v) = run(&ds, &filtered);
        let mut totals = v["kpis"].clone();
        totals.as_object_mut().unwrap().remove("top_agents");
        prop_assert_eq!(&totals, &row["kpis"]);
        let len = to - from;
        if let Some(prev) = row_of(from - len, from, &filter) {
            prop_assert_eq!(&v["previous"]["kpis"], &prev);
        } else {
            prop_assert_eq!(n(&v["previous"]["kpis"]["ticket_volume"]["value"]), 0);
        }
        // The ranking is the slice's: only the filtered agent, if any.
        if let Some(agent) = &filter.agent {
            for a in v["kpis"]["top_agents"].as_array().unwrap() {
                prop_assert_eq!(a["agent"].as_str(), Some(agent.as_str()));
            }
        }
        filtered.filter.agent = Some("nobody".into());
        let (_, none) = run(&ds, &filtered);
        prop_assert_eq!(n(&none["kpis"]["ticket_volume"]["value"]), 0);
        prop_assert_eq!(n(&none["kpis"]["solved_tickets"]["value"]), 0);
    }

    #[test]
    fn the_order_data_arrives_in_does_not_matter(specs in prop::collection::vec(ticket_spec(true), 1..20)) {
        let a = dataset(&interleaved(&specs));
        let mut r = Replayer::new();
        r.apply_lines(&ticket_by_ticket(&specs)).unwrap();
        let b = r.dataset;
        let mut req = request(&iso(START), &iso(START + 90 * 24 * 60 * MIN));
        by(&mut req, &["week", "priority"]);
        let (_, va) = run(&a, &req);
        let (_, vb) = run(&b, &req);
        prop_assert_eq!(&va["kpis"], &vb["kpis"]);
        prop_assert_eq!(&va["by"], &vb["by"]);
    }

    /// Round the clock (UTC, no DST), business time is calendar time: the status spans add up
    /// to exactly the sums the domain keeps, whatever the history (reopens, merges, holds).
    #[test]
    fn round_the_clock_business_time_is_calendar_time(specs in prop::collection::vec(ticket_spec(true), 1..25)) {
        use sanjeh_calendar::{BusinessCalendar, Calendars, Schedule};
        let ds = dataset(&interleaved(&specs));
        let mut req = request(&iso(START), &iso(START + 90 * 24 * 60 * MIN));
        req.calendars = Some(std::sync::Arc::new(Calendars::new(
            BusinessCalendar::new(Schedule::always_open("UTC")).unwrap(),
        )));
        by(&mut req, &["week", "agent"]);
        let (_, v) = run(&ds, &req);
        let mut scopes = vec![v["kpis"].clone()];
        scopes.extend(v["by"][0]["rows"].as_array().unwrap().iter().map(|r| r["kpis"].clone()));
        for k in &scopes {
            for d in ["first_reply_time", "reply_time", "first_resolution_time", "full_resolution_time",
                      "handle_time", "handle_time_tickets", "requester_wait_time"] {
                let b = &k[format!("{d}_business")];
                let c = &k[d];
                prop_assert_eq!(&b["n"], &c["n"], "{}", d);
                for stat in ["mean_s", "median_s", "p90_s"] {
                    prop_assert_eq!(&b[stat], &c[stat], "{}.{}", d, stat);
                }
            }
        }
    }

    #[test]
    fn business_time_never_exceeds_calendar_time_and_sla_rates_are_fractions(
        specs in prop::collection::vec(ticket_spec(true), 1..25),
        runs in prop::collection::vec((0usize..25, 0usize..4, 0i64..20_000, 1i64..5_000, prop::option::of(0i64..5_000), any::<bool>()), 0..40),
        tehran in any::<bool>(),
    ) {
        use sanjeh_calendar::{BusinessCalendar, Calendars, Schedule};
        use sanjeh_sla::{Finished, Hours, Metric, MetricStatus, State, Target};
        let mut ds = dataset(&interleaved(&specs));
        // Random SLA runs on random tickets: ended ones and running ones.
        let mut finished: Vec<Vec<Finished>> = vec![Vec::new(); specs.len()];
        let mut statuses: Vec<Vec<MetricStatus>> = vec![Vec::new(); specs.len()];
        for &(ticket, metric, start, len, breach, ended) in &runs {
            let ticket = ticket % specs.len();
            let started_at = START + start * 10 * MIN;
            let target = Target { minutes: 60, hours: Hours::Business };
            let breached_at = breach.filter(|&b| b < len).map(|b| started_at + b * MIN);
            if ended {
                finished[ticket].push(Finished {
                    metric: Metric::ALL[metric],
                    policy: format!("p{}", metric % 2),
                    target,
                    started_at,
                    ended_at: started_at + len * MIN,
                    breached_at,
                    counted_ms: 0,
                });
            } else {
                statuses[ticket].push(MetricStatus {
                    metric: Metric::ALL[metric],
                    policy: "p0".into(),
                    target,
                    state: if breached_at.is_some() { State::Breached } else { State::Active },
                    started_at,
                    due_at: Some(started_at + len * MIN),
                    breached_at,
                    ended_at: None,
                    counted_ms: 0,
                });
            }
        }
        for (i, (f, st)) in finished.iter().zip(&statuses).enumerate() {
            let id = sanjeh_domain::Id::parse("ticket", &format!("T{i}")).unwrap();
            ds.set_sla_outcomes(&id, f);
            ds.set_sla_statuses(&id, st);
        }
        let schedule = if tehran { Schedule::iran_office() } else { Schedule::default() };
        let mut req = request(&iso(START), &iso(START + 90 * 24 * 60 * MIN));
        req.calendars = Some(std::sync::Arc::new(Calendars::new(BusinessCalendar::new(schedule).unwrap())));
        by(&mut req, &["week", "channel"]);
        let (_, v) = run(&ds, &req);
        let mut scopes = vec![v["kpis"].clone()];
        scopes.extend(v["by"][0]["rows"].as_array().unwrap().iter().map(|r| r["kpis"].clone()));
        for k in &scopes {
            for d in ["first_reply_time", "reply_time", "first_resolution_time", "full_resolution_time", "speed_of_answer",
                      "handle_time", "handle_time_tickets", "requester_wait_time"] {
                let b = &k[format!("{d}_business")];
                let c = &k[d];
                prop_assert_eq!(&b["n"], &c["n"], "{}", d);
                for stat in ["mean_s", "median_s", "p90_s"] {
                    if let (Some(x), Some(y)) = (b[stat].as_f64(), c[stat].as_f64()) {
                        prop_assert!(0.0 <= x && x <= y + 1e-9, "{}.{}: business {} > calendar {}", d, stat, x, y);
                    }
                }
            }
            let sla = &k["sla_achievement_rate"];
            if let Some(x) = sla["value"].as_f64() {
                prop_assert!((0.0..=1.0).contains(&x));
                prop_assert!(n(&sla["num"]) <= n(&sla["den"]));
                let parts: u64 = sla["by_metric"].as_object().unwrap().values().map(|p| n(&p["den"])).sum();
                prop_assert_eq!(parts, n(&sla["den"]));
                let parts: u64 = sla["by_policy"].as_object().unwrap().values().map(|p| n(&p["den"])).sum();
                prop_assert_eq!(parts, n(&sla["den"]));
            }
            prop_assert!(n(&k["overdue_backlog"]["value"]) <= n(&k["backlog"]["value"]));
        }
    }
}

proptest! {
    // Thousands of tickets per case: a few cases are enough to cross many block edges.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// A report over a short period reads only the blocks of rows that reach into it (the
    /// tables' zone maps): with thousands of tickets, a dataset fed in time order (tight
    /// blocks, most skipped) gives exactly what one fed ticket by ticket in random order
    /// (every block spanning the whole history, none skipped) gives.
    #[test]
    fn reading_only_the_blocks_in_the_period_changes_nothing(
        specs in prop::collection::vec(ticket_spec(true), 3000..5000),
        first_day in 0i64..60,
        days in 1i64..10,
    ) {
        let a = dataset(&interleaved(&specs));
        let mut r = Replayer::new();
        r.apply_lines(&ticket_by_ticket(&specs)).unwrap();
        let b = r.dataset;
        let from = START + first_day * 24 * 60 * MIN;
        let mut req = request(&iso(from), &iso(from + days * 24 * 60 * MIN));
        by(&mut req, &["day", "channel"]);
        req.also_by = vec![vec!["agent".parse().unwrap()]];
        req.compare_previous = true;
        let (_, va) = run(&a, &req);
        let (_, vb) = run(&b, &req);
        prop_assert_eq!(&va["kpis"], &vb["kpis"]);
        prop_assert_eq!(&va["by"], &vb["by"]);
        prop_assert_eq!(&va["previous"], &vb["previous"]);
    }
}
