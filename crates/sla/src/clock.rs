//! How a target's time is counted: business hours of a schedule, or the calendar.

use sanjeh_domain::{Id, Millis};

/// Counted time over a schedule. Implemented by the business calendars (the ticket's group's
/// schedule) and by [`CalendarClock`] for round-the-clock targets.
pub trait WorkClock {
    /// Counted milliseconds in `[from, to)`; 0 when `to <= from`.
    fn counted_ms(&self, from: Millis, to: Millis) -> i64;
    /// The instant at which `ms` counted milliseconds have passed since `from` (`ms >= 0`).
    fn after(&self, from: Millis, ms: i64) -> Millis;
}

/// Every millisecond counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarClock;

impl WorkClock for CalendarClock {
    fn counted_ms(&self, from: Millis, to: Millis) -> i64 {
        (to - from).max(0)
    }

    fn after(&self, from: Millis, ms: i64) -> Millis {
        from.saturating_add(ms.max(0))
    }
}

/// The business clock of a ticket, by its group (a group may have its own schedule; the
/// default schedule otherwise).
pub trait Clocks {
    fn business(&self, group: Option<&Id>) -> &dyn WorkClock;
}

/// With no schedules configured, business time is calendar time.
impl Clocks for CalendarClock {
    fn business(&self, _group: Option<&Id>) -> &dyn WorkClock {
        self
    }
}

/// A business calendar counts its working hours (milliseconds, floored to whole seconds as the
/// calendar computes in seconds).
impl WorkClock for sanjeh_calendar::BusinessCalendar {
    fn counted_ms(&self, from: Millis, to: Millis) -> i64 {
        if to <= from {
            return 0;
        }
        self.business_millis_between(
            sanjeh_domain::from_millis(from),
            sanjeh_domain::from_millis(to),
        )
    }

    fn after(&self, from: Millis, ms: i64) -> Millis {
        // `None`: the schedule never opens again (or past year 9999): the target never falls due.
        self.add_business_millis(sanjeh_domain::from_millis(from), ms.max(0))
            .map_or(Millis::MAX, sanjeh_domain::to_millis)
    }
}

/// A ticket's business hours are its group's schedule, else the default one.
impl Clocks for sanjeh_calendar::Calendars {
    fn business(&self, group: Option<&Id>) -> &dyn WorkClock {
        self.for_group(group.map(Id::as_str))
    }
}
