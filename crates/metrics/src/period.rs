//! Periods, calendar buckets in a time zone, and how durations are measured.

use crate::request::Dimension;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use sanjeh_calendar::{BusinessCalendar, Calendars};

/// Milliseconds in a (24-hour) day: for windows counted in days, such as repeat contacts.
pub const DAY_MS: i64 = 86_400_000;

/// How long an interval lasts for a duration KPI. Calendar time is plain subtraction; another
/// clock can replace it for every KPI at once ([`crate::report_with_clock`]). Business time
/// per ticket (each group's schedule) is not a clock but [`BusinessClocks`], which adds the
/// `*_business` variants next to the calendar KPIs when the request has calendars. Only
/// end-point durations go through the clock (first reply, reply, first and full resolution,
/// speed of answer): handle and requester wait time are sums the domain keeps per status, and
/// their business variants are measured over the tickets' status spans instead.
pub trait DurationClock: Sync {
    /// Milliseconds from `start` to `end` (never negative).
    fn elapsed(&self, start: i64, end: i64) -> i64;
}

/// Wall-clock time: every millisecond counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarClock;

impl DurationClock for CalendarClock {
    #[inline]
    fn elapsed(&self, start: i64, end: i64) -> i64 {
        end.saturating_sub(start).max(0)
    }
}

/// Business time per ticket: each group's calendar (else the default), resolved once per
/// report into a dense table indexed by the interned group id, so measuring an item is one
/// array read and a lookup in that calendar's [`SlotTable`], with no hashing.
pub struct BusinessClocks<'a> {
    /// `by_group[g]` indexes `tables` for group `g` (slot 0, no group: the default).
    by_group: Vec<u32>,
    /// One table per distinct calendar in use (`tables[0]` is the default's).
    tables: Vec<SlotTable<'a>>,
}

impl<'a> BusinessClocks<'a> {
    /// Resolves the calendar of every interned group `0..groups` (`label(g)` names group `g`),
    /// and tabulates each distinct calendar over `range` (ms).
    pub fn new<'n>(
        calendars: &'a Calendars,
        groups: usize,
        label: impl Fn(u32) -> Option<&'n str>,
        range: Period,
    ) -> BusinessClocks<'a> {
        let default = calendars.default_calendar();
        let mut distinct: Vec<&'a BusinessCalendar> = vec![default];
        let by_group = (0..groups.max(1) as u32)
            .map(|g| {
                let cal = calendars.for_group(label(g));
                match distinct.iter().position(|c| std::ptr::eq(*c, cal)) {
                    Some(i) => i as u32,
                    None => {
                        distinct.push(cal);
                        distinct.len() as u32 - 1
                    }
                }
            })
            .collect();
        BusinessClocks {
            by_group,
            tables: distinct
                .into_iter()
                .map(|c| SlotTable::new(c, range))
                .collect(),
        }
    }

    /// The business clock of group `group` (an unknown id gets the default).
    #[inline]
    pub fn calendar(&self, group: u32) -> &SlotTable<'a> {
        let i = self.by_group.get(group as usize).copied().unwrap_or(0);
        &self.tables[i as usize]
    }

    /// Business milliseconds from `start` to `end` in `group`'s calendar (never negative).
    #[inline]
    pub fn elapsed(&self, group: u32, start: i64, end: i64) -> i64 {
        self.calendar(group).elapsed(start, end)
    }
}

/// Slots of a [`SlotTable`]: 15 minutes, so slot bounds fall on every zone's offset from UTC
/// and on schedules' quarter hours.
const SLOT_MS: i64 = 15 * 60_000;

/// One calendar's business time tabulated over a range, per 15-minute slot: the business
/// milliseconds before each slot. A slot wholly open or wholly closed answers an instant
/// inside it by arithmetic; only a slot the schedule opens or closes in (or an instant outside
/// the range) asks the calendar. Answers are exactly the calendar's.
pub struct SlotTable<'a> {
    cal: &'a BusinessCalendar,
    /// First slot's start (ms).
    base: i64,
    /// `cum[k]`: business ms from `base` to the start of slot `k` (`cum.len()` = slots + 1).
    cum: Vec<i64>,
}

impl<'a> SlotTable<'a> {
    pub fn new(cal: &'a BusinessCalendar, range: Period) -> SlotTable<'a> {
        let base = range.from.div_euclid(SLOT_MS) * SLOT_MS;
        let slots = (range.to.saturating_sub(base)).max(0).div_euclid(SLOT_MS) + 1;
        // A year is 35 040 slots; a range of more than ten years is not tabulated.
        if slots > 10 * 35_136 {
            return SlotTable {
                cal,
                base,
                cum: Vec::new(),
            };
        }
        let mut inc = vec![0i64; slots as usize];
        fill(cal, base, &mut inc, 0);
        let mut cum = Vec::with_capacity(inc.len() + 1);
        let mut acc = 0;
        cum.push(0);
        for d in inc {
            acc += d;
            cum.push(acc);
        }
        SlotTable { cal, base, cum }
    }

    /// Business ms from `base` to `t`, when `t` is in the range.
    #[inline]
    fn before(&self, t: i64) -> Option<i64> {
        let off = t.checked_sub(self.base)?;
        if off < 0 {
            return None;
        }
        let k = (off / SLOT_MS) as usize;
        let (&lo, &hi) = (self.cum.get(k)?, self.cum.get(k + 1)?);
        let into = off - k as i64 * SLOT_MS;
        Some(match hi - lo {
            0 => lo,
            SLOT_MS => lo + into,
            _ => lo + business_ms(self.cal, t - into, t),
        })
    }

    /// Business milliseconds from `start` to `end` (0 when `end <= start`).
    #[inline]
    pub fn elapsed(&self, start: i64, end: i64) -> i64 {
        if end <= start {
            return 0;
        }
        match (self.before(start), self.before(end)) {
            (Some(a), Some(b)) => b - a,
            _ => business_ms(self.cal, start, end),
        }
    }
}

/// Fills `inc[i]` with the business ms of slot `first + i`, splitting in halves until a part
/// is wholly open, wholly closed or one slot: a few calendar questions per schedule change
/// rather than one per slot.
fn fill(cal: &BusinessCalendar, base: i64, inc: &mut [i64], first: usize) {
    let n = inc.len() as i64;
    let from = base + first as i64 * SLOT_MS;
    let total = business_ms(cal, from, from + n * SLOT_MS);
    if total == 0 {
        return;
    }
    if total == n * SLOT_MS {
        inc.fill(SLOT_MS);
        return;
    }
    if n == 1 {
        inc[0] = total;
        return;
    }
    let mid = inc.len() / 2;
    let (a, b) = inc.split_at_mut(mid);
    fill(cal, base, a, first);
    fill(cal, base, b, first + mid);
}

/// Business milliseconds from `start` to `end` in `cal` (0 when `end <= start`).
#[inline]
pub fn business_ms(cal: &BusinessCalendar, start: i64, end: i64) -> i64 {
    if end <= start {
        return 0;
    }
    match (
        Timestamp::from_millisecond(start),
        Timestamp::from_millisecond(end),
    ) {
        (Ok(a), Ok(b)) => cal.business_millis_between(a, b).max(0),
        _ => 0,
    }
}

/// A half-open interval `[from, to)` of instants in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    #[inline]
    pub fn contains(&self, t: i64) -> bool {
        self.from <= t && t < self.to
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }
}

/// The calendar buckets (days, weeks or months in a zone) that cut a period. The first and
/// last buckets may stick out of the period; items are only ever counted inside it.
#[derive(Debug, Clone)]
pub struct Buckets {
    /// Instant each bucket starts, ascending.
    pub starts: Vec<i64>,
    /// The instant each bucket ends within the period (the next start, or the period's end).
    pub ends: Vec<i64>,
    /// The period's part of each bucket starts here (the bucket start or the period start).
    pub clipped_starts: Vec<i64>,
    /// `2026-01-05` for a day or the first day of a week, `2026-01` for a month.
    pub labels: Vec<String>,
    /// A lookup table so finding an instant's bucket is O(1): `slots[k]` is the bucket holding
    /// `starts[0] + (k << slot_shift)` and the start of the next bucket.
    slots: Vec<(u32, i64)>,
    slot_shift: u32,
    /// No slot holds more than one bucket start (slots are shorter than buckets), so the
    /// table's answer needs at most one step.
    one_start_per_slot: bool,
}

impl Buckets {
    pub fn new(dim: Dimension, period: Period, tz: &TimeZone, week_start: Weekday) -> Buckets {
        let mut b = Buckets {
            starts: vec![],
            ends: vec![],
            clipped_starts: vec![],
            labels: vec![],
            slots: vec![],
            slot_shift: 0,
            one_start_per_slot: false,
        };
        let from = Timestamp::from_millisecond(period.from).unwrap_or(Timestamp::MIN);
        let local = from.to_zoned(tz.clone()).date();
        let mut date = match dim {
            Dimension::Week => {
                let back = (local.weekday().to_monday_zero_offset()
                    - week_start.to_monday_zero_offset())
                .rem_euclid(7);
                local.checked_sub(i64::from(back).days()).unwrap_or(local)
            }
            Dimension::Month => local.first_of_month(),
            _ => local,
        };
        loop {
            let start = start_of(date, tz);
            if start >= period.to {
                break;
            }
            let next = match dim {
                Dimension::Week => date.checked_add(1.week()),
                Dimension::Month => date.checked_add(1.month()),
                _ => date.checked_add(1.day()),
            };
            let Ok(next) = next else { break };
            b.starts.push(start);
            b.clipped_starts.push(start.max(period.from));
            b.ends.push(start_of(next, tz).min(period.to));
            b.labels.push(match dim {
                Dimension::Month => date.strftime("%Y-%m").to_string(),
                _ => date.to_string(),
            });
            date = next;
        }
        b.build_slots();
        b
    }

    fn build_slots(&mut self) {
        let (Some(&base), Some(&end)) = (self.starts.first(), self.ends.last()) else {
            return;
        };
        let span = (end - base).max(1) as u64;
        // About an hour per slot (2^22 ms), coarser for very long periods (at most 2^16 slots).
        self.slot_shift = 22.max(64 - (span >> 16).leading_zeros());
        let slots = (span >> self.slot_shift) + 1;
        let mut i = 0usize;
        self.slots = (0..slots)
            .map(|k| {
                let t = base + ((k as i64) << self.slot_shift);
                while i + 1 < self.starts.len() && self.starts[i + 1] <= t {
                    i += 1;
                }
                (
                    i as u32,
                    self.starts.get(i + 1).copied().unwrap_or(i64::MAX),
                )
            })
            .collect();
        let slot_len = 1i64 << self.slot_shift;
        self.one_start_per_slot = self.starts.windows(2).all(|w| w[1] - w[0] > slot_len);
    }

    /// The bucket holding `t`, for `t` inside the period.
    #[inline]
    pub fn index(&self, t: i64) -> Option<u32> {
        let base = *self.starts.first()?;
        if t < base {
            return None;
        }
        let k = ((t - base) as u64 >> self.slot_shift) as usize;
        let &(i, next) = self.slots.get(k)?;
        let mut i = i as usize + usize::from(t >= next);
        if !self.one_start_per_slot {
            while i + 1 < self.starts.len() && self.starts[i + 1] <= t {
                i += 1;
            }
        }
        (t < self.ends[i]).then_some(i as u32)
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }
}

/// The first instant of a civil date in a zone (after a gap if midnight is skipped).
fn start_of(date: Date, tz: &TimeZone) -> i64 {
    date.to_zoned(tz.clone())
        .and_then(|z| z.start_of_day())
        .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
}

/// `at` plus `n` calendar units in a zone (for what a recurring cost covers).
pub fn add_calendar(at: i64, tz: &TimeZone, unit: jiff::Unit, n: i64) -> i64 {
    let Ok(ts) = Timestamp::from_millisecond(at) else {
        return at;
    };
    let z = ts.to_zoned(tz.clone());
    let span = match unit {
        jiff::Unit::Day => n.days(),
        jiff::Unit::Week => n.weeks(),
        jiff::Unit::Month => n.months(),
        jiff::Unit::Year => n.years(),
        _ => n.milliseconds(),
    };
    z.checked_add(span)
        .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn weeks_start_on_the_given_day_in_the_zone() {
        let tz = TimeZone::get("Asia/Tehran").unwrap();
        // 2026-01-01 is a Thursday. Tehran is +03:30 all year since 2023.
        let p = Period {
            from: ms("2025-12-31T20:30:00Z"),
            to: ms("2026-01-14T20:30:00Z"),
        };
        let b = Buckets::new(Dimension::Week, p, &tz, Weekday::Saturday);
        assert_eq!(b.labels, ["2025-12-27", "2026-01-03", "2026-01-10"]);
        assert_eq!(b.starts[1], ms("2026-01-02T20:30:00Z"));
        assert_eq!(b.clipped_starts[0], p.from);
        assert_eq!(*b.ends.last().unwrap(), p.to);
        assert_eq!(b.index(p.from), Some(0));
        assert_eq!(b.index(ms("2026-01-02T20:30:00Z")), Some(1));
        assert_eq!(b.index(p.to), None);
    }

    #[test]
    fn months_follow_the_zone_and_dst() {
        let tz = TimeZone::get("Europe/Moscow").unwrap();
        let p = Period {
            from: ms("2025-12-31T21:00:00Z"),
            to: ms("2026-03-31T21:00:00Z"),
        };
        let b = Buckets::new(Dimension::Month, p, &tz, Weekday::Monday);
        assert_eq!(b.labels, ["2026-01", "2026-02", "2026-03"]);
        let ny = TimeZone::get("America/New_York").unwrap();
        let p = Period {
            from: ms("2026-03-07T05:00:00Z"),
            to: ms("2026-03-10T04:00:00Z"),
        };
        let d = Buckets::new(Dimension::Day, p, &ny, Weekday::Monday);
        assert_eq!(d.labels, ["2026-03-07", "2026-03-08", "2026-03-09"]);
        // The DST day is 23 hours long.
        assert_eq!(d.ends[1] - d.starts[1], 23 * 3_600_000);
    }

    /// The slot table answers exactly what the calendar answers, inside its range and out,
    /// for schedules whose changes fall inside slots (Tehran's +03:30, a 08:10 opening).
    #[test]
    fn slot_tables_answer_exactly_what_the_calendar_answers() {
        use sanjeh_calendar::{BusinessCalendar, Schedule, Weekday};
        let odd = Schedule::weekly("Asia/Kathmandu", &Weekday::ALL[..5], "08:10", "17:55");
        for schedule in [Schedule::iran_office(), odd, Schedule::always_open("UTC")] {
            let cal = BusinessCalendar::new(schedule).unwrap();
            let range = Period {
                from: ms("2026-01-01T00:00:00Z"),
                to: ms("2026-03-01T00:00:00Z"),
            };
            let table = SlotTable::new(&cal, range);
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            for _ in 0..20_000 {
                // Instants from 10 days before the range to 10 days after, to the millisecond.
                let span = (range.to - range.from + 20 * DAY_MS) as u64;
                let a = range.from - 10 * DAY_MS + (next() % span) as i64;
                let b = a + (next() % (12 * DAY_MS as u64)) as i64 - DAY_MS;
                assert_eq!(table.elapsed(a, b), business_ms(&cal, a, b), "{a} {b}");
            }
        }
    }

    #[test]
    fn calendar_months_have_their_own_lengths() {
        let jan = ms("2026-01-01T00:00:00Z");
        assert_eq!(
            add_calendar(jan, &TimeZone::UTC, jiff::Unit::Month, 1),
            ms("2026-02-01T00:00:00Z")
        );
        assert_eq!(
            add_calendar(jan, &TimeZone::UTC, jiff::Unit::Year, 1),
            ms("2027-01-01T00:00:00Z")
        );
    }
}
