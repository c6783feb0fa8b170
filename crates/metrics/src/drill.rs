//! The tickets behind a KPI: which items a ticket KPI counted over a request, so a dashboard
//! can list them (drill-down).
//!
//! Each list follows the KPI's own definition in `docs/metrics.md` (its items, its instant and
//! the agent it credits), the same rules the ticket family applies, so the length of a list is
//! the KPI's count (`n` for a duration, `value` for a count or backlog, `den` for a rate) for
//! the same period and the same row of a grouping. A test checks this against [`crate::report`].
//!
//! A [`Filter`] narrows to one channel, group and/or agent, as the row of a grouping by those
//! dimensions does (the ticket's current channel and group; the agent the KPI credits).

use crate::dataset::Dataset;
use crate::kpi::ticket_attrs;
use crate::period::Period;
use crate::request::ReportRequest;
use crate::slicing::Only;
use crate::table::sla::SlaTable;

/// The ticket KPIs whose items can be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrillKpi {
    /// Tickets created in the period (`ticket_volume`, the denominator of nothing else).
    Created,
    /// Tickets whose last solve is in the period and that are solved now (`solved_tickets`,
    /// the items of `full_resolution_time`, `fcr_rate`, `reopen_rate`…).
    Solved,
    /// Tickets first replied in the period (the items of `first_reply_time`).
    FirstReplied,
    /// Inbound tickets created in the period and not replied by its end (the `excluded` of
    /// `first_reply_time`).
    Unreplied,
    /// Tickets first solved in the period (the items of `first_resolution_time`).
    FirstSolved,
    /// Tickets unsolved at the end of the period (`backlog`).
    Backlog,
    /// Tickets in the backlog with an SLA target overdue at the end (`overdue_backlog`).
    Overdue,
}

impl DrillKpi {
    pub const ALL: [DrillKpi; 7] = [
        DrillKpi::Created,
        DrillKpi::Solved,
        DrillKpi::FirstReplied,
        DrillKpi::Unreplied,
        DrillKpi::FirstSolved,
        DrillKpi::Backlog,
        DrillKpi::Overdue,
    ];

    /// The name used in URLs and CSV file names.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillKpi::Created => "created",
            DrillKpi::Solved => "solved",
            DrillKpi::FirstReplied => "first_replied",
            DrillKpi::Unreplied => "unreplied",
            DrillKpi::FirstSolved => "first_solved",
            DrillKpi::Backlog => "backlog",
            DrillKpi::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<DrillKpi> {
        DrillKpi::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The list behind a catalogue KPI's headline, where there is one.
    pub fn behind(kpi: &str) -> Option<DrillKpi> {
        Some(match kpi {
            "ticket_volume" | "resolution_rate" | "complaints" => DrillKpi::Created,
            "solved_tickets"
            | "full_resolution_time"
            | "fcr_rate"
            | "reopen_rate"
            | "replies_per_ticket"
            | "handle_time_tickets"
            | "requester_wait_time" => DrillKpi::Solved,
            "first_reply_time" => DrillKpi::FirstReplied,
            "first_resolution_time" => DrillKpi::FirstSolved,
            "backlog" => DrillKpi::Backlog,
            "overdue_backlog" => DrillKpi::Overdue,
            _ => return None,
        })
    }
}

pub use crate::request::Filter;

/// A ticket behind a KPI, with the instant the KPI files it under (creation, reply, solve, or
/// the end of the period for the backlog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillItem {
    pub ticket: String,
    pub at_ms: i64,
}

/// The tickets behind `kpi` over the request's period (`req.from`, `req.to`, `req.now`;
/// groupings are ignored), most recent first, then by id.
pub fn tickets_behind(
    ds: &Dataset,
    req: &ReportRequest,
    kpi: DrillKpi,
    filter: &Filter,
) -> Vec<DrillItem> {
    let n = &ds.names;
    let only = Only::resolve(filter, n);
    let p = Period {
        from: req.from.as_millisecond(),
        to: req.to.as_millisecond().max(req.from.as_millisecond()),
    };
    let now = req.now.as_millisecond();
    let t = &ds.tickets;
    let mut out = Vec::new();
    for row in t.rows_for(1..t.len() as u32, p) {
        let tk = t.get(row);
        if !tk.is_present() || tk.created >= p.to {
            continue;
        }
        if !only.admits(&ticket_attrs(ds, row, false)) {
            continue;
        }
        // The instant the KPI files the ticket under and the agent it credits.
        let hit: Option<(i64, u32)> = match kpi {
            DrillKpi::Created => p.contains(tk.created).then_some((tk.created, tk.assignee)),
            DrillKpi::Solved => {
                if tk.is_finally_solved() {
                    t.last_solved_at(row)
                        .filter(|&s| p.contains(s))
                        .map(|s| (s, tk.solved_by))
                } else {
                    None
                }
            }
            DrillKpi::FirstReplied => {
                if tk.is_outbound() {
                    None
                } else {
                    t.first_reply_at(row)
                        .filter(|&r| p.contains(r))
                        .map(|r| (r, tk.first_reply_by))
                }
            }
            DrillKpi::Unreplied => {
                let replied = t.first_reply_at(row).is_some_and(|r| r < p.to);
                let merged_before =
                    tk.is_merged() && t.merged_at.get(&row).is_some_and(|&m| m < p.to);
                (p.contains(tk.created) && !tk.is_outbound() && !replied && !merged_before)
                    .then_some((tk.created, tk.assignee))
            }
            DrillKpi::FirstSolved => {
                if tk.is_merged() {
                    None
                } else {
                    t.first_solved_at(row)
                        .filter(|&s| p.contains(s))
                        .map(|s| (s, tk.solved_by))
                }
            }
            DrillKpi::Backlog | DrillKpi::Overdue => {
                let unsolved = ds.unsolved_at(row, p.to).is_some();
                let counted = unsolved
                    && (kpi == DrillKpi::Backlog || {
                        let overdue = ds.sla.overdue.get(&row).map_or(&[][..], Vec::as_slice);
                        SlaTable::overdue_at(overdue, p.to.min(now), p.to)
                    });
                counted.then_some((p.to, tk.assignee))
            }
        };
        let Some((at, credited)) = hit else { continue };
        if !only.credits(credited) {
            continue;
        }
        out.push(DrillItem {
            ticket: n.tickets.name(row).to_owned(),
            at_ms: at,
        });
    }
    out.sort_by(|a, b| b.at_ms.cmp(&a.at_ms).then_with(|| a.ticket.cmp(&b.ticket)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Dimension;
    use serde_json::Value;

    /// A month of tickets over three channels, two groups and three agents: replied or not,
    /// solved, reopened, merged, outbound.
    fn dataset() -> Dataset {
        let mut lines = String::new();
        for i in 0..240 {
            let day = 1 + i % 28;
            let channel = ["email", "chat", "web"][i % 3];
            let group = ["billing", "tech"][i % 2];
            let agent = format!("A{}", i % 3);
            let by = if i % 17 == 0 {
                format!(",\"by\":\"agent:{agent}\"")
            } else {
                String::new()
            };
            lines += &format!(
                "{{\"type\":\"ticket.created\",\"at\":\"2026-01-{day:02}T08:00:00Z\",\"ticket\":\"T{i}\",\"customer\":\"C{}\",\"channel\":\"{channel}\",\"group\":\"{group}\"{by}}}\n",
                i % 50
            );
            if i % 5 != 0 {
                lines += &format!(
                    "{{\"type\":\"ticket.assigned\",\"at\":\"2026-01-{day:02}T08:01:00Z\",\"ticket\":\"T{i}\",\"agent\":\"{agent}\"}}\n"
                );
            }
            if i % 4 != 0 {
                let replier = format!("A{}", (i + 1) % 3);
                lines += &format!(
                    "{{\"type\":\"ticket.message\",\"at\":\"2026-01-{day:02}T09:{:02}:00Z\",\"ticket\":\"T{i}\",\"author\":\"agent:{replier}\",\"public\":true}}\n",
                    i % 60
                );
            }
            if i % 3 != 0 {
                lines += &format!(
                    "{{\"type\":\"ticket.status\",\"at\":\"2026-01-{:02}T10:00:00Z\",\"ticket\":\"T{i}\",\"status\":\"solved\",\"by\":\"agent:{agent}\"}}\n",
                    (day + i % 4).min(31)
                );
                if i % 11 == 0 {
                    lines += &format!(
                        "{{\"type\":\"ticket.status\",\"at\":\"2026-01-{:02}T12:00:00Z\",\"ticket\":\"T{i}\",\"status\":\"open\",\"by\":\"system\"}}\n",
                        (day + i % 4).min(31)
                    );
                }
            }
            if i % 23 == 5 {
                lines += &format!(
                    "{{\"type\":\"ticket.merged\",\"at\":\"2026-01-{day:02}T13:00:00Z\",\"ticket\":\"T{i}\",\"into\":\"T0\"}}\n"
                );
            }
        }
        crate::replay::Replayer::dataset_from_lines(&lines).unwrap()
    }

    /// The count the report gives for the list `kpi` (in `kpis`, a report's KPI object).
    fn count(kpis: &Value, kpi: DrillKpi) -> u64 {
        let get = |p: &str| kpis.pointer(p).and_then(Value::as_u64).unwrap();
        match kpi {
            DrillKpi::Created => get("/ticket_volume/value"),
            DrillKpi::Solved => get("/solved_tickets/value"),
            DrillKpi::FirstReplied => get("/first_reply_time/n"),
            DrillKpi::Unreplied => get("/first_reply_time/excluded"),
            DrillKpi::FirstSolved => get("/first_resolution_time/n"),
            DrillKpi::Backlog => get("/backlog/value"),
            DrillKpi::Overdue => get("/overdue_backlog/value"),
        }
    }

    #[test]
    fn lists_have_the_reports_counts_in_every_row() {
        let ds = dataset();
        // Two periods: mid-month (a backlog of tickets still open) and the whole month.
        for (from, to) in [
            ("2026-01-08T00:00:00Z", "2026-01-20T00:00:00Z"),
            ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        ] {
            let (from, to) = (from.parse().unwrap(), to.parse().unwrap());
            let mut req = ReportRequest::new(from, to, jiff::tz::TimeZone::UTC, to);
            req.by = vec![Dimension::Channel, Dimension::Group, Dimension::Agent];
            req.also_by = vec![vec![Dimension::Agent], vec![Dimension::Channel]];
            let report = serde_json::to_value(crate::report(&ds, &req)).unwrap();
            for kpi in DrillKpi::ALL {
                let all = tickets_behind(&ds, &req, kpi, &Filter::default());
                assert_eq!(all.len() as u64, count(&report["kpis"], kpi), "{kpi:?}");
                if kpi != DrillKpi::Overdue {
                    assert!(!all.is_empty(), "{kpi:?} has tickets to list");
                }
                for grouping in report["by"].as_array().unwrap() {
                    for row in grouping["rows"].as_array().unwrap() {
                        let key = |d: &str| row["key"].get(d).and_then(Value::as_str);
                        let f = Filter {
                            channel: key("channel").map(str::to_owned),
                            group: key("group").map(str::to_owned),
                            agent: key("agent").map(str::to_owned),
                        };
                        // Rows keyed by none (no agent) cannot be asked for by a filter.
                        let dims = grouping["dimensions"].as_array().unwrap();
                        if dims.iter().any(|d| key(d.as_str().unwrap()).is_none()) {
                            continue;
                        }
                        let list = tickets_behind(&ds, &req, kpi, &f);
                        assert_eq!(
                            list.len() as u64,
                            count(&row["kpis"], kpi),
                            "{kpi:?} in {:?}",
                            row["key"]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn solved_lists_the_right_tickets_newest_first() {
        let lines = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"S1","customer":"C1","channel":"email"}
{"type":"ticket.status","at":"2026-01-05T10:00:00Z","ticket":"S1","status":"solved","by":"agent:A"}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"S2","customer":"C2","channel":"chat"}
{"type":"ticket.status","at":"2026-01-06T10:00:00Z","ticket":"S2","status":"solved","by":"agent:B"}
{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"S3","customer":"C3","channel":"email"}
{"type":"ticket.status","at":"2026-01-05T10:00:00Z","ticket":"S3","status":"solved","by":"agent:A"}
{"type":"ticket.status","at":"2026-01-08T10:00:00Z","ticket":"S3","status":"open","by":"system"}
"#;
        let ds = crate::replay::Replayer::dataset_from_lines(lines).unwrap();
        let from = "2026-01-01T00:00:00Z".parse().unwrap();
        let to = "2026-02-01T00:00:00Z".parse().unwrap();
        let req = ReportRequest::new(from, to, jiff::tz::TimeZone::UTC, to);
        let ids = |kpi, f: &Filter| -> Vec<String> {
            tickets_behind(&ds, &req, kpi, f)
                .into_iter()
                .map(|i| i.ticket)
                .collect()
        };
        let all = Filter::default();
        assert_eq!(ids(DrillKpi::Solved, &all), ["S2", "S1"]);
        assert_eq!(ids(DrillKpi::Backlog, &all), ["S3"]);
        let email = Filter {
            channel: Some("email".into()),
            ..Filter::default()
        };
        assert_eq!(ids(DrillKpi::Solved, &email), ["S1"]);
        let agent_b = Filter {
            agent: Some("B".into()),
            ..Filter::default()
        };
        assert_eq!(ids(DrillKpi::Solved, &agent_b), ["S2"]);
        let nobody = Filter {
            group: Some("no-such-group".into()),
            ..Filter::default()
        };
        assert!(ids(DrillKpi::Created, &nobody).is_empty());
        assert_eq!(DrillKpi::behind("solved_tickets"), Some(DrillKpi::Solved));
        assert_eq!(DrillKpi::parse("unreplied"), Some(DrillKpi::Unreplied));
    }
}
