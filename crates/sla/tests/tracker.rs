//! The SLA state machine, event by event: achieved and breached targets, pauses, reopens,
//! a priority raised mid-flight, a policy changed under a running ticket, business hours.

use proptest::prelude::*;
use sanjeh_domain::event::{TicketCreated, TicketMessage, TicketUpdated};
use sanjeh_domain::{Author, Channel, EventBody, Id, Millis, Priority, Status};
use sanjeh_sla::{
    CalendarClock, Clocks, Hours, Metric, MetricStatus, Policy, PolicySet, State, Target, Targets,
    TicketSla, WorkClock,
};
use std::collections::BTreeMap;

const MIN: Millis = 60_000;
const HOUR: Millis = 60 * MIN;
const DAY: Millis = 24 * HOUR;

/// Working hours 09:00–17:00 UTC every day: small enough to check by hand. (The real
/// schedules, with weeks, holidays and zones, are the calendar crate's and tested there.)
struct NineToFive;

impl NineToFive {
    fn open_in_day(day: Millis) -> (Millis, Millis) {
        (day + 9 * HOUR, day + 17 * HOUR)
    }
}

impl WorkClock for NineToFive {
    fn counted_ms(&self, from: Millis, to: Millis) -> i64 {
        let mut total = 0;
        let mut day = from.div_euclid(DAY) * DAY;
        while day < to {
            let (open, close) = Self::open_in_day(day);
            total += (close.min(to) - open.max(from)).max(0);
            day += DAY;
        }
        total
    }

    fn after(&self, from: Millis, ms: i64) -> Millis {
        let mut left = ms;
        let mut day = from.div_euclid(DAY) * DAY;
        loop {
            let (open, close) = Self::open_in_day(day);
            let start = open.max(from);
            let available = (close - start).max(0);
            if left <= available && available > 0 {
                return start + left;
            }
            left -= available;
            day += DAY;
        }
    }
}

impl Clocks for NineToFive {
    fn business(&self, _group: Option<&Id>) -> &dyn WorkClock {
        self
    }
}

fn id(s: &str) -> Id {
    Id::parse("id", s).unwrap()
}

fn target(minutes: u32, hours: Hours) -> Option<Target> {
    Some(Target { minutes, hours })
}

/// Urgent: first reply 60 business minutes, next reply 120, updates every 240 calendar
/// minutes, resolution 8 business hours. Normal: first reply 240, resolution 24 hours.
fn standard() -> Policy {
    let mut targets = BTreeMap::new();
    targets.insert(
        Priority::Urgent,
        Targets {
            first_reply: target(60, Hours::Business),
            next_reply: target(120, Hours::Business),
            periodic_update: target(240, Hours::Calendar),
            resolution: target(480, Hours::Business),
        },
    );
    targets.insert(
        Priority::Normal,
        Targets {
            first_reply: target(240, Hours::Business),
            resolution: target(24 * 60, Hours::Business),
            ..Targets::default()
        },
    );
    Policy {
        id: "standard".into(),
        name: "Standard".into(),
        conditions: Default::default(),
        targets,
    }
}

fn created(priority: Priority, by: Option<Author>) -> TicketCreated {
    TicketCreated {
        ticket: id("T-1"),
        customer: Some(id("C-1")),
        organization: None,
        channel: Channel::Email,
        priority,
        group: None,
        subject: None,
        tags: vec![],
        kind: None,
        by,
    }
}

fn message(author: Author, public: bool) -> EventBody {
    EventBody::TicketMessage(TicketMessage {
        ticket: id("T-1"),
        author,
        public,
        body: "…".into(),
        channel: None,
        message: None,
    })
}

fn agent() -> Author {
    Author::Agent(id("A-1"))
}

fn customer() -> Author {
    Author::Customer(id("C-1"))
}

fn status(s: Status) -> EventBody {
    EventBody::TicketStatus {
        ticket: id("T-1"),
        status: s,
        by: None,
    }
}

fn of(statuses: &[MetricStatus], metric: Metric) -> &MetricStatus {
    statuses
        .iter()
        .find(|s| s.metric == metric)
        .unwrap_or_else(|| panic!("no {metric:?} in {statuses:?}"))
}

/// Monday 2025-01-06 00:00 UTC.
const MONDAY: Millis = 1_736_121_600_000;

#[test]
fn first_reply_within_business_hours_is_achieved_and_counts_only_open_hours() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    // Created 16:30: 30 business minutes left today, 30 tomorrow: due 09:30 the next day.
    let t0 = MONDAY + 16 * HOUR + 30 * MIN;
    let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
    let s = sla.statuses(t0 + MIN, &NineToFive);
    let frt = of(&s, Metric::FirstReply);
    assert_eq!(frt.state, State::Active);
    assert_eq!(frt.due_at, Some(MONDAY + DAY + 9 * HOUR + 30 * MIN));
    // Replied at 09:20 next day: 50 business minutes, achieved.
    sla.apply(
        MONDAY + DAY + 9 * HOUR + 20 * MIN,
        &message(agent(), true),
        &policies,
        &NineToFive,
    );
    let s = sla.statuses(MONDAY + 2 * DAY, &NineToFive);
    let frt = of(&s, Metric::FirstReply);
    assert_eq!(frt.state, State::Achieved);
    assert_eq!(frt.counted_ms, 50 * MIN);
    assert_eq!(frt.breached_at, None);
}

#[test]
fn a_breach_is_dated_when_the_target_ran_out_not_when_the_reply_came() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY + 10 * HOUR;
    let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
    // Nobody answers; an internal note does not count as a reply.
    sla.apply(
        t0 + 30 * MIN,
        &message(agent(), false),
        &policies,
        &NineToFive,
    );
    let now = t0 + 90 * MIN;
    let frt = of(&sla.statuses(now, &NineToFive), Metric::FirstReply).clone();
    assert_eq!(frt.state, State::Breached);
    assert_eq!(frt.breached_at, Some(t0 + HOUR));
    sla.apply(
        t0 + 2 * HOUR,
        &message(agent(), true),
        &policies,
        &NineToFive,
    );
    let done = &sla.finished()[0];
    assert_eq!(done.metric, Metric::FirstReply);
    assert_eq!(done.breached_at, Some(t0 + HOUR));
    assert!(!done.achieved());
}

#[test]
fn pending_pauses_resolution_but_not_replies_and_on_hold_pauses_updates() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY + 9 * HOUR;
    let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
    sla.apply(
        t0 + 10 * MIN,
        &message(agent(), true),
        &policies,
        &CalendarClock,
    );
    sla.apply(
        t0 + 20 * MIN,
        &status(Status::Pending),
        &policies,
        &CalendarClock,
    );
    let paused = sla.statuses(t0 + 5 * HOUR, &CalendarClock);
    let res = of(&paused, Metric::Resolution);
    assert_eq!(res.state, State::Paused);
    assert_eq!(res.counted_ms, 20 * MIN, "the clock stopped at pending");
    assert_eq!(res.due_at, None);
    assert_eq!(of(&paused, Metric::PeriodicUpdate).state, State::Paused);
    // The customer answers after 5 hours: resolution resumes where it stopped; a next reply
    // is owed at once.
    sla.apply(
        t0 + 5 * HOUR,
        &message(customer(), true),
        &policies,
        &CalendarClock,
    );
    sla.apply(
        t0 + 5 * HOUR,
        &status(Status::Open),
        &policies,
        &CalendarClock,
    );
    let s = sla.statuses(t0 + 5 * HOUR + MIN, &CalendarClock);
    let res = of(&s, Metric::Resolution);
    assert_eq!(res.state, State::Active);
    assert_eq!(res.counted_ms, 21 * MIN);
    assert_eq!(res.due_at, Some(t0 + 5 * HOUR + (480 - 20) * MIN));
    assert_eq!(of(&s, Metric::NextReply).state, State::Active);
    // On hold: updates pause, the requester still waits.
    sla.apply(
        t0 + 6 * HOUR,
        &status(Status::OnHold),
        &policies,
        &CalendarClock,
    );
    let s = sla.statuses(t0 + 7 * HOUR, &CalendarClock);
    assert_eq!(of(&s, Metric::PeriodicUpdate).state, State::Paused);
    assert_eq!(of(&s, Metric::Resolution).state, State::Active);
}

#[test]
fn a_reopened_ticket_waits_again_on_top_of_the_time_already_waited() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY;
    let mut sla = TicketSla::open(&created(Priority::Normal, None), t0, &policies);
    sla.apply(
        t0 + HOUR,
        &message(agent(), true),
        &policies,
        &CalendarClock,
    );
    sla.apply(
        t0 + 2 * HOUR,
        &status(Status::Solved),
        &policies,
        &CalendarClock,
    );
    let s = sla.statuses(t0 + 10 * HOUR, &CalendarClock);
    assert_eq!(of(&s, Metric::Resolution).state, State::Achieved);
    assert_eq!(of(&s, Metric::Resolution).ended_at, Some(t0 + 2 * HOUR));
    sla.apply(
        t0 + 30 * HOUR,
        &message(customer(), true),
        &policies,
        &CalendarClock,
    );
    sla.apply(
        t0 + 30 * HOUR,
        &status(Status::Open),
        &policies,
        &CalendarClock,
    );
    let s = sla.statuses(t0 + 31 * HOUR, &CalendarClock);
    let res = of(&s, Metric::Resolution);
    assert_eq!(res.state, State::Active);
    assert_eq!(
        res.counted_ms,
        3 * HOUR,
        "2 h before the solve, 1 h since the reopen"
    );
    assert_eq!(res.due_at, Some(t0 + 30 * HOUR + 22 * HOUR));
}

#[test]
fn raising_the_priority_mid_flight_puts_the_new_target_on_the_time_already_waited() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY;
    let mut sla = TicketSla::open(&created(Priority::Normal, None), t0, &policies);
    let raise = EventBody::TicketUpdated(TicketUpdated {
        ticket: Some(id("T-1")),
        priority: Some(Priority::Urgent),
        ..TicketUpdated::default()
    });
    // 30 minutes in: urgent's 60 minutes apply from the creation: due at t0 + 60 min.
    sla.apply(t0 + 30 * MIN, &raise, &policies, &CalendarClock);
    let frt = of(
        &sla.statuses(t0 + 31 * MIN, &CalendarClock),
        Metric::FirstReply,
    )
    .clone();
    assert_eq!(frt.target.minutes, 60);
    assert_eq!(frt.due_at, Some(t0 + HOUR));
    // Raised after 90 minutes instead: already past urgent's target, breached at the change
    // (history is not rewritten to an instant when the ticket was still normal).
    let mut late = TicketSla::open(&created(Priority::Normal, None), t0, &policies);
    late.apply(t0 + 90 * MIN, &raise, &policies, &CalendarClock);
    let frt = of(
        &late.statuses(t0 + 91 * MIN, &CalendarClock),
        Metric::FirstReply,
    )
    .clone();
    assert_eq!(frt.state, State::Breached);
    assert_eq!(frt.breached_at, Some(t0 + 90 * MIN));
}

#[test]
fn a_policy_change_applies_from_the_next_event_and_keeps_finished_outcomes() {
    let mut policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY;
    let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
    sla.apply(
        t0 + 30 * MIN,
        &message(agent(), true),
        &policies,
        &CalendarClock,
    );
    // From t0 + 1 h, urgent tickets must have their first reply in 10 minutes and be
    // resolved in 2 hours.
    let mut stricter = standard();
    stricter.id = "stricter".into();
    let urgent = stricter.targets.get_mut(&Priority::Urgent).unwrap();
    urgent.first_reply = target(10, Hours::Calendar);
    urgent.resolution = target(120, Hours::Calendar);
    policies.publish(t0 + HOUR, vec![stricter]).unwrap();
    // Before the ticket's next event, its running targets are those it had.
    let s = sla.statuses(t0 + 90 * MIN, &CalendarClock);
    assert_eq!(of(&s, Metric::Resolution).policy, "standard");
    sla.apply(
        t0 + 3 * HOUR,
        &status(Status::Open),
        &policies,
        &CalendarClock,
    );
    let s = sla.statuses(t0 + 3 * HOUR, &CalendarClock);
    assert_eq!(sla.policy(), Some("stricter"));
    let res = of(&s, Metric::Resolution);
    assert_eq!(res.policy, "stricter");
    assert_eq!(res.state, State::Breached);
    assert_eq!(res.breached_at, Some(t0 + 3 * HOUR));
    // The first reply was achieved under the old policy and stays so.
    let frt = of(&s, Metric::FirstReply);
    assert_eq!(
        (frt.policy.as_str(), frt.state),
        ("standard", State::Achieved)
    );
}

#[test]
fn outbound_tickets_owe_no_first_reply_but_a_reply_to_the_customers_answer() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY + 10 * HOUR;
    let mut sla = TicketSla::open(&created(Priority::Urgent, Some(agent())), t0, &policies);
    assert!(
        sla.statuses(t0, &NineToFive)
            .iter()
            .all(|s| s.metric != Metric::FirstReply)
    );
    sla.apply(
        t0 + HOUR,
        &message(customer(), true),
        &policies,
        &NineToFive,
    );
    let s = sla.statuses(t0 + HOUR, &NineToFive);
    assert_eq!(of(&s, Metric::NextReply).due_at, Some(t0 + 3 * HOUR));
}

#[test]
fn solving_ends_every_target_and_no_policy_means_no_targets() {
    let policies = PolicySet::new(vec![standard()]).unwrap();
    let t0 = MONDAY + 10 * HOUR;
    let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
    sla.apply(
        t0 + 5 * MIN,
        &status(Status::Solved),
        &policies,
        &NineToFive,
    );
    let s = sla.statuses(t0 + DAY, &NineToFive);
    assert!(s.iter().all(|m| m.state == State::Achieved), "{s:?}");
    let low = TicketSla::open(&created(Priority::Low, None), t0, &policies);
    assert!(low.statuses(t0 + DAY, &NineToFive).is_empty());
    let none = TicketSla::open(
        &created(Priority::Urgent, None),
        t0,
        &PolicySet::new(vec![]).unwrap(),
    );
    assert_eq!(none.policy(), None);
}

proptest! {
    /// Whatever the events, a target's counted time never exceeds the calendar time since it
    /// started, and a breach is never dated before the run started or after now.
    #[test]
    fn counted_time_and_breaches_stay_in_bounds(
        steps in proptest::collection::vec((0i64..600, 0u8..6), 1..30),
    ) {
        let policies = PolicySet::new(vec![standard()]).unwrap();
        let t0 = MONDAY + 8 * HOUR;
        let mut sla = TicketSla::open(&created(Priority::Urgent, None), t0, &policies);
        let mut t = t0;
        for (gap, what) in steps {
            t += gap * MIN;
            let body = match what {
                0 => message(agent(), true),
                1 => message(customer(), true),
                2 => status(Status::Pending),
                3 => status(Status::Open),
                4 => status(Status::OnHold),
                _ => status(Status::Solved),
            };
            sla.apply(t, &body, &policies, &NineToFive);
            for s in sla.statuses(t, &NineToFive) {
                prop_assert!(s.counted_ms <= t - s.started_at);
                prop_assert!(s.counted_ms >= 0);
                if let Some(b) = s.breached_at {
                    prop_assert!(b >= s.started_at && b <= t, "{s:?} at {t}");
                }
                prop_assert_eq!(s.state == State::Breached, s.breached_at.is_some());
            }
        }
    }
}

/// With a real schedule: Tehran's office week (Saturday–Wednesday 08:00–16:00, Thursday
/// 08:00–13:00). A ticket at Wednesday 15:00 with a 2-business-hour first reply target is due
/// Thursday 09:00 local (one hour Wednesday, one Thursday); Friday is not worked.
#[test]
fn business_targets_follow_the_group_schedule() {
    use sanjeh_calendar::{BusinessCalendar, Calendars, Schedule};
    let mut policy = standard();
    policy
        .targets
        .get_mut(&Priority::Normal)
        .unwrap()
        .first_reply = target(120, Hours::Business);
    let policies = PolicySet::new(vec![policy]).unwrap();
    let calendars = Calendars::new(BusinessCalendar::new(Schedule::iran_office()).unwrap());
    // 2025-01-08 is a Wednesday; 15:00 Tehran is 11:30 UTC.
    let t0: Millis = "2025-01-08T11:30:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let sla = TicketSla::open(&created(Priority::Normal, None), t0, &policies);
    let frt = of(&sla.statuses(t0, &calendars), Metric::FirstReply).clone();
    let due: jiff::Timestamp = "2025-01-09T05:30:00Z".parse().unwrap();
    assert_eq!(frt.due_at, Some(due.as_millisecond()));
    // Saturday 09:00 Tehran: 1 h Wednesday + 5 h Thursday + 1 h Saturday = 7 business hours.
    let sat: jiff::Timestamp = "2025-01-11T05:30:00Z".parse().unwrap();
    let frt = of(
        &sla.statuses(sat.as_millisecond(), &calendars),
        Metric::FirstReply,
    )
    .clone();
    assert_eq!(frt.counted_ms, 7 * HOUR);
    assert_eq!(frt.breached_at, Some(due.as_millisecond()));
}
