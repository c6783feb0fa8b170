//! Ticket KPIs, in one pass over the ticket table: first reply time, first and full
//! resolution time, handle and requester wait time, volume, solved tickets, backlog,
//! resolution, reopen, FCR and repeat-contact rates, replies per ticket and complaints.
//!
//! Each KPI counts over its own items and files them by its own instant and agent:
//! - created in the period (volume, complaints, resolution rate, unreplied): by creation,
//!   credited to the assignee;
//! - first agent reply in the period (first reply time): credited to the first replier;
//! - first solve in the period (first resolution time) and last solve in the period (the
//!   other solve KPIs): credited to the agent of the last solve (the solver, else the
//!   assignee then);
//! - unsolved at the end of the period (backlog): credited to the assignee.
//!
//! "Last solved in the period" means solved or closed now, with its last solve in the period,
//! and not merged away: a ticket reopened since drops out until it is solved again (as
//! Zendesk's solved-ticket counts do).

use super::calls::{call_attrs, call_handle_ms};
use super::{Merge, Totals, finish_cells, needs_tags, ticket_attrs, union_of};
use crate::dataset::Dataset;
use crate::engine::{Ctx, FamilyOut};
use crate::history::Interval;
use crate::output::{Backlog, Complaints, Count, Duration, Kpis, Rate, Topic};
use crate::percentile::Samples;
use crate::period::BusinessClocks;
use crate::period::{DAY_MS, DurationClock, Period};
use crate::slicing::{Key, Keyer, Slice};
use crate::table::events::NEVER;
use crate::table::sla::{Overdue, SlaTable};
use crate::table::spans::BusinessSums;
use crate::table::tickets::COMPLAINT;
use std::ops::Range;

#[derive(Default)]
struct Acc {
    volume: u64,
    complaints: u64,
    /// The tags of each complaint (0 for an untagged one), counted at the end.
    topics: Vec<u32>,
    frt: Samples,
    unreplied: u64,
    first_res: Samples,
    full_res: Samples,
    /// Business-time variants (only fed when the request has calendars).
    frt_b: Samples,
    first_res_b: Samples,
    full_res_b: Samples,
    handle: Samples,
    call_handle: Samples,
    wait: Samples,
    /// Business handle and wait time (with calendars only; see [`BusinessSums`]).
    handle_b: Samples,
    wait_b: Samples,
    solved: u64,
    reopened: u64,
    fcr: u64,
    replies: u64,
    repeat: u64,
    repeat_den: u64,
    resolved: u64,
    resolution_den: u64,
    backlog: Backlog,
    overdue: Backlog,
}

impl Acc {
    /// Totals that take their duration samples from a grouping's cells (see [`run`]).
    fn counting_only() -> Acc {
        Acc {
            frt: Samples::count_only(),
            first_res: Samples::count_only(),
            full_res: Samples::count_only(),
            frt_b: Samples::count_only(),
            first_res_b: Samples::count_only(),
            full_res_b: Samples::count_only(),
            handle: Samples::count_only(),
            call_handle: Samples::count_only(),
            wait: Samples::count_only(),
            handle_b: Samples::count_only(),
            wait_b: Samples::count_only(),
            ..Acc::default()
        }
    }
}

impl Acc {
    fn samples(&mut self) -> [&mut Samples; 11] {
        [
            &mut self.frt,
            &mut self.first_res,
            &mut self.full_res,
            &mut self.frt_b,
            &mut self.first_res_b,
            &mut self.full_res_b,
            &mut self.handle,
            &mut self.call_handle,
            &mut self.wait,
            &mut self.handle_b,
            &mut self.wait_b,
        ]
    }

    fn add_counters(&mut self, o: &Acc) {
        self.volume += o.volume;
        self.complaints += o.complaints;
        self.topics.extend_from_slice(&o.topics);
        self.unreplied += o.unreplied;
        self.solved += o.solved;
        self.reopened += o.reopened;
        self.fcr += o.fcr;
        self.replies += o.replies;
        self.repeat += o.repeat;
        self.repeat_den += o.repeat_den;
        self.resolved += o.resolved;
        self.resolution_den += o.resolution_den;
        self.backlog.add(&o.backlog);
        self.overdue.add(&o.overdue);
    }

    /// Takes in the accumulator of the same cell over other tickets.
    fn absorb(&mut self, mut o: Acc) {
        self.add_counters(&o);
        for (a, b) in self.samples().into_iter().zip(o.samples()) {
            a.absorb(b);
        }
    }
}

impl Merge for Acc {
    fn merge(&mut self, o: &Acc) {
        self.add_counters(o);
        self.frt.add_counts(&o.frt);
        self.first_res.add_counts(&o.first_res);
        self.full_res.add_counts(&o.full_res);
        self.frt_b.add_counts(&o.frt_b);
        self.first_res_b.add_counts(&o.first_res_b);
        self.full_res_b.add_counts(&o.full_res_b);
        self.handle.add_counts(&o.handle);
        self.call_handle.add_counts(&o.call_handle);
        self.wait.add_counts(&o.wait);
        self.handle_b.add_counts(&o.handle_b);
        self.wait_b.add_counts(&o.wait_b);
    }
}

/// Bits of the rows whose last solve is in `p` and whose customer opened another inbound ticket
/// within `window` after it. A tight loop of its own: the lookups are independent, so the
/// processor overlaps their cache misses.
pub fn repeat_bits(ds: &Dataset, p: Period, window: i64, rows: Range<u32>) -> Vec<u64> {
    let t = &ds.tickets;
    let mut bits = vec![0u64; (rows.len() + 1).div_ceil(64)];
    for row in t.rows_for(rows.clone(), p) {
        let r = (row - rows.start) as usize;
        let tk = t.get(row);
        if tk.customer == 0 || !tk.is_finally_solved() {
            continue;
        }
        let Some(s) = t.last_solved_at(row) else {
            continue;
        };
        if p.contains(s) && t.repeat_contact(row, s, window) {
            bits[r / 64] |= 1 << (r % 64);
        }
    }
    bits
}

/// Runs the family over every ticket, then over ended calls (for `handle_time`). Large
/// datasets are split in two halves run on two threads and merged: this family is most of a
/// report's work.
pub fn run<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>]) -> FamilyOut {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_split(
        ctx,
        scopes,
        ctx.ds.tickets.len() >= SPLIT_ROWS && threads >= 2,
    )
}

/// From this many tickets on, the family runs in two halves on two threads.
const SPLIT_ROWS: usize = 200_000;

fn run_split<C: DurationClock>(ctx: &Ctx<C>, scopes: &[Option<&Keyer>], split: bool) -> FamilyOut {
    let rows = ctx.ds.tickets.len() as u32;
    let plan = Totals::plan(scopes);
    let sums = ctx.business.map(|b| business_sums(ctx, b));
    let sums = sums.as_deref();
    let slices = if !split || rows < 4 {
        pass(ctx, scopes, plan, 1.min(rows)..rows, true, sums)
    } else {
        // Halves of the work, not of the table: a short period's rows are all near its end.
        let mid = ctx.ds.tickets.middle_of(1..rows, ctx.period);
        let (mut a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| pass(ctx, scopes, plan, mid..rows, false, sums));
            let a = pass(ctx, scopes, plan, 1..mid, true, sums);
            (a, b.join().expect("the other half does not panic"))
        });
        for (x, y) in a.iter_mut().zip(b) {
            x.absorb(y, Acc::absorb);
        }
        a
    };
    let mut cells: Vec<Vec<(Key, Acc)>> = slices.into_iter().map(Slice::finish).collect();
    plan.merge(&mut cells, scopes);
    // The totals' durations come from the partition's cells.
    let totals = plan.partition().map(|g| {
        let unreplied = scopes
            .iter()
            .position(Option::is_none)
            .map_or(0, |t| cells[t][0].1.unreplied);
        let c = &mut cells[g];
        let business = ctx.business.is_some();
        let mut k = Kpis {
            first_reply_time: Some(union_of(c, |a| vec![&mut a.frt]).excluding(unreplied)),
            first_resolution_time: Some(union_of(c, |a| vec![&mut a.first_res])),
            full_resolution_time: Some(union_of(c, |a| vec![&mut a.full_res])),
            handle_time: Some(union_of(c, |a| vec![&mut a.handle, &mut a.call_handle])),
            handle_time_tickets: Some(union_of(c, |a| vec![&mut a.handle])),
            requester_wait_time: Some(union_of(c, |a| vec![&mut a.wait])),
            ..Kpis::default()
        };
        if business {
            k.first_reply_time_business =
                Some(union_of(c, |a| vec![&mut a.frt_b]).excluding(unreplied));
            k.first_resolution_time_business = Some(union_of(c, |a| vec![&mut a.first_res_b]));
            k.full_resolution_time_business = Some(union_of(c, |a| vec![&mut a.full_res_b]));
            k.handle_time_business =
                Some(union_of(c, |a| vec![&mut a.handle_b, &mut a.call_handle]));
            k.handle_time_tickets_business = Some(union_of(c, |a| vec![&mut a.handle_b]));
            k.requester_wait_time_business = Some(union_of(c, |a| vec![&mut a.wait_b]));
        }
        k
    });
    finish_cells(cells, scopes, totals, |a| finish(ctx, a))
}

/// Business handle and wait time of the tickets last solved in the period, from their
/// status spans, each in its group's calendar.
fn business_sums<C>(ctx: &Ctx<C>, clocks: &BusinessClocks) -> Vec<BusinessSums> {
    let t = &ctx.ds.tickets;
    let p = ctx.period;
    ctx.ds.spans.business_sums(
        t.len(),
        |row| {
            let tk = t.get(row);
            tk.is_present()
                && tk.is_finally_solved()
                && t.last_solved_at(row).is_some_and(|s| p.contains(s))
        },
        |row| t.get(row).group,
        clocks,
    )
}

/// A ticket's business time in some statuses from its spans: known when it has spans, or when
/// it spent no time in those statuses at all (`calendar_ms` 0); unknown for a ticket whose
/// spans were never recorded (written before the store kept them).
fn from_spans(seen: bool, calendar_ms: Option<i64>, business_ms: i64) -> Option<i64> {
    match (seen, calendar_ms) {
        (_, None) => None,
        (true, Some(_)) => Some(business_ms),
        (false, Some(0)) => Some(0),
        (false, Some(_)) => None,
    }
}

/// One pass over tickets `rows` (and, `with_calls`, over the calls).
fn pass<'k, C: DurationClock>(
    ctx: &Ctx<C>,
    scopes: &[Option<&'k Keyer>],
    plan: Totals,
    rows: Range<u32>,
    with_calls: bool,
    sums: Option<&[BusinessSums]>,
) -> Vec<Slice<'k, Acc>> {
    let ds = ctx.ds;
    let t = &ds.tickets;
    let p = ctx.period;
    let window = ctx.req.repeat_window_days.saturating_mul(DAY_MS);
    let repeats = repeat_bits(ds, p, window, rows.clone());
    let mut slices: Vec<Slice<Acc>> = plan.slices(scopes, p, ctx.only, Acc::counting_only);
    let mut intervals: Vec<Interval> = Vec::with_capacity(4);
    let tags = needs_tags(scopes);
    let sla_empty = ds.sla.overdue.is_empty();

    for row in t.rows_for(rows.clone(), p) {
        let tk = t.get(row);
        if !tk.is_present() || tk.created >= p.to {
            continue;
        }
        let attrs = ticket_attrs(ds, row, tags);
        // Outside the filter nothing is fed: skip the work (the slices would refuse it too).
        if !ctx.only.admits(&attrs) {
            continue;
        }
        let created = tk.created;
        let merged = tk.is_merged();
        let outbound = tk.is_outbound();
        let in_created = p.contains(created);
        let first_reply_any = t.first_reply_at(row);
        let first_reply = if outbound {
            None
        } else {
            first_reply_any.filter(|&x| p.contains(x))
        };
        let first_solve = if merged {
            None
        } else {
            t.first_solved_at(row).filter(|&x| p.contains(x))
        };
        let last_solve = if tk.is_finally_solved() {
            t.last_solved_at(row).filter(|&x| p.contains(x))
        } else {
            None
        };
        intervals.clear();
        ds.each_unsolved(row, |iv| {
            if iv.open < p.to && iv.close > p.from {
                intervals.push(iv);
            }
        });
        if !in_created
            && first_reply.is_none()
            && first_solve.is_none()
            && last_solve.is_none()
            && intervals.is_empty()
        {
            continue;
        }

        // Business time, once per ticket (not per slice): its group's calendar.
        let cal = ctx.business.map(|b| b.calendar(tk.group));
        let biz = |start: i64, end: i64| cal.map(|c| c.elapsed(start, end));
        let frt_b = first_reply.and_then(|fr| biz(created, fr));
        let first_res_b = first_solve.and_then(|fs| biz(created, fs));
        // Most tickets are solved once: the first solve is the last.
        let full_res_b = match (last_solve, first_solve) {
            (Some(ls), Some(fs)) if ls == fs => first_res_b,
            (ls, _) => ls.and_then(|ls| biz(created, ls)),
        };
        // SLA targets overdue (only looked up for tickets in a backlog).
        let overdue: &[Overdue] = if intervals.is_empty() || sla_empty {
            &[]
        } else {
            ds.sla.overdue.get(&row).map_or(&[], Vec::as_slice)
        };
        let topics: &[u32] = if tk.kind == COMPLAINT {
            ds.names.tag_sets.get(tk.tag_set)
        } else {
            &[]
        };
        let assignee = tk.assignee;
        let solver = tk.solved_by;
        let priority = tk.priority;
        let complaint = tk.kind == COMPLAINT;
        let merged_at = if merged {
            t.merged_at.get(&row).copied()
        } else {
            None
        };
        // Unsolved at `end` (for the resolution rate): `intervals` holds every interval that
        // can contain an end inside the period.
        let unsolved_at = |end: i64| intervals.iter().any(|iv| iv.open < end && end <= iv.close);
        let bit = row as usize - rows.start as usize;
        let repeat = (tk.customer != 0).then(|| repeats[bit / 64] & (1 << (bit % 64)) != 0);
        for slice in &mut slices {
            slice.begin(&attrs);
            if in_created {
                slice.at(assignee, created, |a, end| {
                    a.volume += 1;
                    if complaint {
                        a.complaints += 1;
                        if topics.is_empty() {
                            a.topics.push(0);
                        }
                        a.topics.extend_from_slice(topics);
                    }
                    if !merged {
                        a.resolution_den += 1;
                        a.resolved += u64::from(!unsolved_at(end));
                    }
                    let replied = first_reply_any.is_some_and(|x| x < end);
                    let merged_before = merged_at.is_some_and(|m| m < end);
                    a.unreplied += u64::from(!outbound && !replied && !merged_before);
                });
            }
            if let Some(fr) = first_reply {
                slice.at(tk.first_reply_by, fr, |a, _| {
                    a.frt.push(ctx.clock.elapsed(created, fr));
                    if let Some(b) = frt_b {
                        a.frt_b.push(b);
                    }
                });
            }
            if let Some(fs) = first_solve {
                slice.at(solver, fs, |a, _| {
                    a.first_res.push(ctx.clock.elapsed(created, fs));
                    if let Some(b) = first_res_b {
                        a.first_res_b.push(b);
                    }
                });
            }
            if let Some(ls) = last_solve {
                let handle = t.handle_ms(row);
                let wait = t.wait_ms(row);
                let (handle_b, wait_b) = match sums.map(|s| s[row as usize]) {
                    Some(s) => (
                        from_spans(s.seen, handle, s.handle),
                        from_spans(s.seen, wait, s.wait),
                    ),
                    None => (None, None),
                };
                let replies = u64::from(tk.agent_replies);
                let reopened = tk.reopens > 0;
                slice.at(solver, ls, |a, _| {
                    a.full_res.push(ctx.clock.elapsed(created, ls));
                    if let Some(b) = full_res_b {
                        a.full_res_b.push(b);
                    }
                    if let Some(h) = handle {
                        a.handle.push(h);
                    }
                    if let Some(w) = wait {
                        a.wait.push(w);
                    }
                    if let Some(h) = handle_b {
                        a.handle_b.push(h);
                    }
                    if let Some(w) = wait_b {
                        a.wait_b.push(w);
                    }
                    a.solved += 1;
                    a.reopened += u64::from(reopened);
                    a.fcr += u64::from(replies == 1 && !reopened);
                    a.replies += replies;
                    if let Some(rep) = repeat {
                        a.repeat_den += 1;
                        a.repeat += u64::from(rep);
                    }
                });
            }
            for iv in &intervals {
                slice.at_ends(assignee, iv.open, iv.close, |a, end| {
                    let age = end.min(ctx.now.max(created)) - created;
                    count_backlog(&mut a.backlog, priority, age, iv.inferred);
                    // Past due before the end (a due date after `now` has not passed yet).
                    if SlaTable::overdue_at(overdue, end.min(ctx.now), end) {
                        count_backlog(&mut a.overdue, priority, age, iv.inferred);
                    }
                });
            }
        }
    }

    // Calls join tickets in `handle_time`: talk (including hold) plus wrap-up.
    let calls = &ds.events.calls;
    let call_rows = if with_calls { 1 } else { calls.len() }..calls.len();
    for row in calls.zones.rows(call_rows, p) {
        let (ended, answered) = (calls.ended[row], calls.answered[row]);
        if answered == NEVER || ended == NEVER || !p.contains(ended) {
            continue;
        }
        let attrs = call_attrs(ds, row);
        let h = call_handle_ms(ds, row);
        for slice in &mut slices {
            slice.begin(&attrs);
            slice.at(calls.agent[row], ended, |a, _| a.call_handle.push(h));
        }
    }

    slices
}

/// Counts one ticket into a backlog, by priority and age band.
#[inline]
fn count_backlog(b: &mut Backlog, priority: u8, age: i64, inferred: bool) {
    b.value += 1;
    b.inferred += u64::from(inferred);
    match priority {
        1 => b.by_priority.low += 1,
        2 => b.by_priority.normal += 1,
        3 => b.by_priority.high += 1,
        _ => b.by_priority.urgent += 1,
    }
    match age {
        a if a < DAY_MS => b.by_age.under_1d += 1,
        a if a < 7 * DAY_MS => b.by_age.from_1d_to_7d += 1,
        a if a < 30 * DAY_MS => b.by_age.from_7d_to_30d += 1,
        _ => b.by_age.over_30d += 1,
    }
}

fn finish<C>(ctx: &Ctx<C>, mut a: Acc) -> Kpis {
    let tags = &ctx.ds.names.tags;
    a.topics.sort_unstable();
    let mut by_topic: Vec<Topic> = a
        .topics
        .chunk_by(|x, y| x == y)
        .map(|run| Topic {
            topic: tags.label(run[0]).map(str::to_owned),
            value: run.len() as u64,
        })
        .collect();
    by_topic.sort_by(|x, y| {
        y.value
            .cmp(&x.value)
            .then_with(|| x.topic.is_none().cmp(&y.topic.is_none()))
            .then_with(|| x.topic.cmp(&y.topic))
    });
    let business = ctx.business.is_some();
    Kpis {
        first_reply_time_business: business
            .then(|| Duration::from_samples(&mut a.frt_b).excluding(a.unreplied)),
        first_resolution_time_business: business
            .then(|| Duration::from_samples(&mut a.first_res_b)),
        full_resolution_time_business: business.then(|| Duration::from_samples(&mut a.full_res_b)),
        // Calls count whole: their handle time is work done whenever the call came.
        handle_time_business: business
            .then(|| Duration::from_union(&mut [&mut a.handle_b, &mut a.call_handle])),
        handle_time_tickets_business: business.then(|| Duration::from_samples(&mut a.handle_b)),
        requester_wait_time_business: business.then(|| Duration::from_samples(&mut a.wait_b)),
        first_reply_time: Some(Duration::from_samples(&mut a.frt).excluding(a.unreplied)),
        first_resolution_time: Some(Duration::from_samples(&mut a.first_res)),
        full_resolution_time: Some(Duration::from_samples(&mut a.full_res)),
        handle_time: Some(Duration::from_union(&mut [
            &mut a.handle,
            &mut a.call_handle,
        ])),
        handle_time_tickets: Some(Duration::from_samples(&mut a.handle)),
        requester_wait_time: Some(Duration::from_samples(&mut a.wait)),
        ticket_volume: Some(Count::new(a.volume)),
        solved_tickets: Some(Count::new(a.solved)),
        backlog: Some(a.backlog),
        overdue_backlog: Some(a.overdue),
        resolution_rate: Some(Rate::new(a.resolved, a.resolution_den)),
        reopen_rate: Some(Rate::new(a.reopened, a.solved)),
        fcr_rate: Some(Rate::new(a.fcr, a.solved)),
        replies_per_ticket: Some(Rate::new(a.replies, a.solved)),
        repeat_contact_rate: Some(Rate::new(a.repeat, a.repeat_den)),
        complaints: Some(Complaints {
            value: a.complaints,
            by_topic,
            band: None,
        }),
        ..Kpis::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::{CalendarClock, Period};
    use crate::request::{Dimension, ReportRequest};
    use crate::slicing::Cardinalities;

    /// The two halves merged give exactly what one pass gives.
    #[test]
    fn splitting_the_tickets_in_two_changes_nothing() {
        let mut lines = String::new();
        for i in 0..300 {
            let day = 1 + i % 28;
            let (agent, channel) = (i % 7, ["email", "chat", "web"][i % 3]);
            lines += &format!(
                "{{\"type\":\"ticket.created\",\"at\":\"2026-01-{day:02}T08:00:00Z\",\"ticket\":\"T{i}\",\"customer\":\"C{}\",\"channel\":\"{channel}\",\"tags\":[\"t{}\"],\"kind\":\"{}\"}}\n",
                i % 40,
                i % 5,
                if i % 9 == 0 { "complaint" } else { "question" }
            );
            if i % 4 != 0 {
                lines += &format!(
                    "{{\"type\":\"ticket.message\",\"at\":\"2026-01-{day:02}T09:{:02}:00Z\",\"ticket\":\"T{i}\",\"author\":\"agent:A{agent}\",\"public\":true}}\n",
                    i % 60
                );
            }
            if i % 3 != 0 {
                lines += &format!(
                    "{{\"type\":\"ticket.status\",\"at\":\"2026-01-{day:02}T1{}:00:00Z\",\"ticket\":\"T{i}\",\"status\":\"solved\",\"by\":\"agent:A{agent}\"}}\n",
                    i % 10
                );
            }
        }
        let ds = crate::replay::Replayer::dataset_from_lines(&lines).unwrap();
        let from = "2026-01-01T00:00:00Z".parse().unwrap();
        let to = "2026-02-01T00:00:00Z".parse().unwrap();
        let req = ReportRequest::new(from, to, jiff::tz::TimeZone::UTC, to);
        let period = Period {
            from: from.as_millisecond(),
            to: to.as_millisecond(),
        };
        let card = Cardinalities::of(&ds.names);
        let ctx = Ctx {
            ds: &ds,
            req: &req,
            period,
            clock: &CalendarClock,
            now: period.to,
            main: true,
            business: None,
            only: Default::default(),
        };
        for dims in [
            vec![Dimension::Agent],
            vec![Dimension::Week, Dimension::Channel],
            vec![Dimension::Tag],
        ] {
            let k = Keyer::new(&dims, period, &req.tz, req.week_start, card);
            let scopes = [None, Some(&k)];
            let json = |out: FamilyOut| {
                serde_json::to_string(
                    &out.into_iter()
                        .map(|mut cells| {
                            cells.sort_by_key(|c| c.0);
                            cells
                                .into_iter()
                                .map(|c| (c.0.to_string(), c.1))
                                .collect::<Vec<_>>()
                        })
                        .collect::<Vec<_>>(),
                )
                .unwrap()
            };
            assert_eq!(
                json(run_split(&ctx, &scopes, false)),
                json(run_split(&ctx, &scopes, true)),
                "{dims:?}"
            );
        }
    }
}
