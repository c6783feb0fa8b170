//! Business-time math over a compiled schedule.
//!
//! Time is cut into fixed chunks of 2^25 s (≈ 388 days) of epoch seconds. A chunk holds the
//! schedule's open intervals inside it as sorted, merged epoch-second pairs with a running
//! sum of open seconds, so every question is a binary search: business seconds between two
//! instants is a difference of two running sums, and adding business seconds is a search in
//! the sums. Chunks are built lazily on first use (one pass over their ~390 local days, which
//! is where time zones, DST, holidays and working days are applied) and kept for 1900–2200;
//! outside that window they are built on demand and dropped. No query walks day by day: a
//! span of many weeks or years costs one search per end plus one addition per chunk between.
//!
//! Local times become instants with jiff's `compatible` disambiguation (RFC 5545 / Temporal):
//! a time in a spring-forward gap is read with the offset before the gap (02:30 on a
//! 02:00→03:00 day is 03:30), a time in a fall-back fold is its first occurrence. So a 09:00–17:00
//! day stays 8 business hours on DST days, and an interval that touches the skipped or repeated
//! hour counts the real elapsed seconds. All math is in whole seconds: sub-second parts of an
//! input are dropped (floor).

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{TimeZone, TimeZoneDatabase};

use crate::days::{civil_from_days, weekday_index};
use crate::error::ScheduleError;
use crate::holiday::Holidays;
use crate::national::{NationalDayKind, national_days_of};
use crate::schedule::{LocalSpan, Schedule, check_span, check_working_day};

const CHUNK_BITS: u32 = 25;
const CHUNK: i64 = 1 << CHUNK_BITS;
/// Chunks cached: those covering 1900-01-01 … 2200-01-01 (UTC).
const CACHE_FIRST: i64 = -2_208_988_800 >> CHUNK_BITS;
const CACHE_LAST: i64 = 7_258_118_400 >> CHUNK_BITS;
/// Jiff's instant range, in seconds.
const MIN_SECOND: i64 = -377_705_116_800;
const MAX_SECOND: i64 = 253_402_207_199;

/// The tz database every calendar uses: the copy bundled into the binary
/// (`tzdb-bundle-always`), so an answer never depends on the host's `/usr/share/zoneinfo`
/// and a rebuild on another machine computes the same SLA deadlines.
pub fn tz_database() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// A validated, compiled [`Schedule`], answering business-time questions.
///
/// Cheap to share (`Send + Sync`); answers are cached per chunk of time inside.
pub struct BusinessCalendar {
    schedule: Schedule,
    tz: TimeZone,
    weekly: [Vec<LocalSpan>; 7],
    /// Day number → that date's own hours (working days), sorted by day.
    working: Vec<(i64, Vec<LocalSpan>)>,
    holidays: Holidays,
    cache: Box<[OnceLock<Chunk>]>,
}

impl std::fmt::Debug for BusinessCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusinessCalendar")
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

impl Clone for BusinessCalendar {
    fn clone(&self) -> Self {
        BusinessCalendar {
            schedule: self.schedule.clone(),
            tz: self.tz.clone(),
            weekly: self.weekly.clone(),
            working: self.working.clone(),
            holidays: self.holidays.clone(),
            cache: new_cache(),
        }
    }
}

fn new_cache() -> Box<[OnceLock<Chunk>]> {
    (CACHE_FIRST..=CACHE_LAST)
        .map(|_| OnceLock::new())
        .collect()
}

/// Open intervals inside one chunk, in epoch seconds.
#[derive(Debug, Clone, Default)]
struct Chunk {
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// Open seconds in this chunk up to and including interval `i`.
    cum_end: Vec<i64>,
}

impl Chunk {
    fn total(&self) -> i64 {
        self.cum_end.last().copied().unwrap_or(0)
    }

    /// Open seconds from the chunk's start to `t`.
    fn open_before(&self, t: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s <= t);
        if i == 0 {
            return 0;
        }
        let j = i - 1;
        self.cum_end[j] - (self.ends[j] - t.min(self.ends[j]))
    }

    fn contains(&self, t: i64) -> bool {
        let i = self.starts.partition_point(|&s| s <= t);
        i > 0 && self.ends[i - 1] > t
    }

    /// Open milliseconds from the chunk's start to `(second, ms)`: interval bounds are whole
    /// seconds, so the millisecond part counts exactly when its second is open.
    fn open_before_ms(&self, second: i64, ms: i64) -> i64 {
        self.open_before(second) * 1000 + if self.contains(second) { ms } else { 0 }
    }
}

/// Whole seconds (floor) and the milliseconds past them.
fn split_ms(t: Timestamp) -> (i64, i64) {
    let ms = t.as_millisecond();
    (ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A chunk, borrowed from the cache or built for one query.
enum ChunkRef<'a> {
    Cached(&'a Chunk),
    Owned(Chunk),
}

impl std::ops::Deref for ChunkRef<'_> {
    type Target = Chunk;
    fn deref(&self) -> &Chunk {
        match self {
            ChunkRef::Cached(c) => c,
            ChunkRef::Owned(c) => c,
        }
    }
}

fn floor_second(t: Timestamp) -> i64 {
    let s = t.as_second();
    if t.subsec_nanosecond() < 0 { s - 1 } else { s }
}

impl BusinessCalendar {
    /// Validates and compiles a schedule. The error names the offending field.
    pub fn new(schedule: Schedule) -> Result<Self, ScheduleError> {
        let tz = tz_database().get(&schedule.time_zone).map_err(|_| {
            ScheduleError::new(
                "time_zone",
                format!("unknown IANA time zone {:?}", schedule.time_zone),
            )
        })?;
        let mut weekly: [Vec<LocalSpan>; 7] = Default::default();
        for (i, iv) in schedule.intervals.iter().enumerate() {
            let span = check_span(
                &format!("intervals[{i}]"),
                &iv.start,
                &iv.end,
                iv.crosses_midnight,
            )?;
            weekly[iv.day.index()].push(span);
        }
        for spans in &mut weekly {
            spans.sort_unstable();
        }
        let default_day: Vec<LocalSpan> = weekly
            .iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_default();

        let mut holidays = Holidays::default();
        for (i, h) in schedule.holidays.iter().enumerate() {
            holidays.compile(i, h)?;
        }
        let mut working: Vec<(i64, Vec<LocalSpan>)> = Vec::new();
        for &country in &schedule.national_holidays {
            for d in national_days_of(country) {
                match d.kind {
                    NationalDayKind::Holiday => holidays.add_fixed(d.day, d.day),
                    NationalDayKind::Workday => working.push((d.day, default_day.clone())),
                }
            }
        }
        for (i, w) in schedule.working_days.iter().enumerate() {
            let day = check_working_day(i, w)?;
            let mut spans = Vec::with_capacity(w.intervals.len());
            for (j, iv) in w.intervals.iter().enumerate() {
                spans.push(check_span(
                    &format!("working_days[{i}].intervals[{j}]"),
                    &iv.start,
                    &iv.end,
                    iv.crosses_midnight,
                )?);
            }
            if spans.is_empty() {
                spans = default_day.clone();
            }
            spans.sort_unstable();
            // The schedule's own entry wins over a national one for the same date.
            working.retain(|(d, _)| *d != day);
            working.push((day, spans));
        }
        working.sort_by_key(|(d, _)| *d);
        working.dedup_by_key(|(d, _)| *d);
        Ok(BusinessCalendar {
            schedule,
            tz,
            weekly,
            working,
            holidays,
            cache: new_cache(),
        })
    }

    /// The schedule this calendar was compiled from.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The schedule's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Business seconds in `[start, end)`; 0 if `end <= start`.
    pub fn business_seconds_between(&self, start: Timestamp, end: Timestamp) -> i64 {
        let (a, b) = (floor_second(start), floor_second(end));
        if b <= a {
            return 0;
        }
        let (ka, kb) = (a >> CHUNK_BITS, b >> CHUNK_BITS);
        let ca = self.chunk(ka);
        if ka == kb {
            return ca.open_before(b) - ca.open_before(a);
        }
        let mut total = ca.total() - ca.open_before(a);
        for k in ka + 1..kb {
            total += self.chunk(k).total();
        }
        total + self.chunk(kb).open_before(b)
    }

    /// The instant `n` business seconds after `start`, or `None` if there is no such instant
    /// (a negative `n`, a schedule that never opens again, or past year 9999).
    ///
    /// Like Zendesk, a due date lands inside business hours: for `n > 0` it is the earliest
    /// instant with `n` business seconds since `start`, so 8 hours from Monday 09:00 on a
    /// 09:00–17:00 schedule is Monday 17:00 (the close), not Tuesday 09:00; `n = 0` gives
    /// [`next_opening`](Self::next_opening)`(start)`. Always
    /// `business_seconds_between(start, add_business_seconds(start, n)) == n`.
    pub fn add_business_seconds(&self, start: Timestamp, n: i64) -> Option<Timestamp> {
        if n < 0 {
            return None;
        }
        if n == 0 {
            return self.next_opening(start);
        }
        let s = floor_second(start);
        let mut k = s >> CHUNK_BITS;
        let mut chunk = self.chunk(k);
        let mut target = chunk.open_before(s).checked_add(n)?;
        loop {
            let total = chunk.total();
            if target <= total {
                let j = chunk.cum_end.partition_point(|&c| c < target);
                let t = chunk.ends[j] - (chunk.cum_end[j] - target);
                return Timestamp::from_second(t).ok();
            }
            target -= total;
            k += 1;
            if k > MAX_SECOND >> CHUNK_BITS {
                return None;
            }
            chunk = self.chunk(k);
        }
    }

    /// [`business_seconds_between`](Self::business_seconds_between) to the millisecond, for
    /// callers that keep instants as epoch milliseconds (sub-millisecond parts are dropped).
    pub fn business_millis_between(&self, start: Timestamp, end: Timestamp) -> i64 {
        let ((a, am), (b, bm)) = (split_ms(start), split_ms(end));
        if (b, bm) <= (a, am) {
            return 0;
        }
        let (ka, kb) = (a >> CHUNK_BITS, b >> CHUNK_BITS);
        let ca = self.chunk(ka);
        if ka == kb {
            return ca.open_before_ms(b, bm) - ca.open_before_ms(a, am);
        }
        let mut total = ca.total() * 1000 - ca.open_before_ms(a, am);
        for k in ka + 1..kb {
            total += self.chunk(k).total() * 1000;
        }
        total + self.chunk(kb).open_before_ms(b, bm)
    }

    /// [`add_business_seconds`](Self::add_business_seconds) to the millisecond: the earliest
    /// instant with `n_ms` business milliseconds since `start` (`n_ms = 0`: the next opening).
    pub fn add_business_millis(&self, start: Timestamp, n_ms: i64) -> Option<Timestamp> {
        if n_ms < 0 {
            return None;
        }
        if n_ms == 0 {
            return self.next_opening(start);
        }
        let (s, ms) = split_ms(start);
        let mut k = s >> CHUNK_BITS;
        let mut chunk = self.chunk(k);
        let mut target = chunk.open_before_ms(s, ms).checked_add(n_ms)?;
        loop {
            let total = chunk.total() * 1000;
            if target <= total {
                let j = chunk.cum_end.partition_point(|&c| c * 1000 < target);
                let t = chunk.ends[j] * 1000 - (chunk.cum_end[j] * 1000 - target);
                return Timestamp::from_millisecond(t).ok();
            }
            target -= total;
            k += 1;
            if k > MAX_SECOND >> CHUNK_BITS {
                return None;
            }
            chunk = self.chunk(k);
        }
    }

    /// Whether `instant` is inside business hours (intervals are `[open, close)`).
    pub fn is_in_hours(&self, instant: Timestamp) -> bool {
        let s = floor_second(instant);
        self.chunk(s >> CHUNK_BITS).contains(s)
    }

    /// `instant` itself if it is in business hours, else the next opening after it; `None` if
    /// the schedule never opens again (before year 9999).
    pub fn next_opening(&self, instant: Timestamp) -> Option<Timestamp> {
        let s = floor_second(instant);
        let mut k = s >> CHUNK_BITS;
        let chunk = self.chunk(k);
        let i = chunk.starts.partition_point(|&x| x <= s);
        if i > 0 && chunk.ends[i - 1] > s {
            return Some(instant);
        }
        if let Some(&next) = chunk.starts.get(i) {
            return Timestamp::from_second(next).ok();
        }
        loop {
            k += 1;
            if k > MAX_SECOND >> CHUNK_BITS {
                return None;
            }
            if let Some(&next) = self.chunk(k).starts.first() {
                return Timestamp::from_second(next).ok();
            }
        }
    }

    fn chunk(&self, k: i64) -> ChunkRef<'_> {
        if (CACHE_FIRST..=CACHE_LAST).contains(&k) {
            let slot = &self.cache[(k - CACHE_FIRST) as usize];
            ChunkRef::Cached(slot.get_or_init(|| self.build_chunk(k)))
        } else {
            ChunkRef::Owned(self.build_chunk(k))
        }
    }

    /// The open intervals of every local day that can reach into chunk `k`, clipped to it.
    fn build_chunk(&self, k: i64) -> Chunk {
        let lo = (k * CHUNK).max(MIN_SECOND);
        let hi = ((k + 1) * CHUNK).min(MAX_SECOND + 1);
        if lo >= hi {
            return Chunk::default();
        }
        // A day's intervals reach at most 48 h past its local midnight, and UTC offsets stay
        // within ±26 h: four days of margin on each side cover both.
        let first_day = lo.div_euclid(86_400) - 4;
        let last_day = hi.div_euclid(86_400) + 4;
        let mut off = vec![false; (last_day - first_day + 1) as usize];
        self.holidays.mark(first_day, &mut off);
        let mut w = self.working.partition_point(|(d, _)| *d < first_day);

        let mut spans: Vec<(i64, i64)> = Vec::with_capacity(((hi - lo) / 86_400 * 3) as usize);
        for day in first_day..=last_day {
            let own = match self.working.get(w) {
                Some((d, s)) if *d == day => {
                    w += 1;
                    Some(s.as_slice())
                }
                _ => None,
            };
            let day_spans = match own {
                Some(s) => s,
                None if off[(day - first_day) as usize] => continue,
                None => self.weekly[weekday_index(day)].as_slice(),
            };
            for &(s, e) in day_spans {
                let (Some(a), Some(b)) =
                    (self.local_to_second(day, s), self.local_to_second(day, e))
                else {
                    continue;
                };
                let (a, b) = (a.max(lo), b.min(hi));
                if a < b {
                    spans.push((a, b));
                }
            }
        }
        spans.sort_unstable();
        let mut chunk = Chunk::default();
        let mut sum = 0;
        for (a, b) in spans {
            if let Some(last) = chunk.ends.last_mut()
                && a <= *last
            {
                if b > *last {
                    sum += b - *last;
                    *last = b;
                    *chunk.cum_end.last_mut().expect("parallel vectors") = sum;
                }
                continue;
            }
            sum += b - a;
            chunk.starts.push(a);
            chunk.ends.push(b);
            chunk.cum_end.push(sum);
        }
        chunk
    }

    /// The instant of local `day` + `secs` (secs may pass midnight), compatible disambiguation.
    fn local_to_second(&self, day: i64, secs: u32) -> Option<i64> {
        let day = day + i64::from(secs / 86_400);
        let secs = secs % 86_400;
        let (y, m, d) = civil_from_days(day);
        let y = i16::try_from(y).ok()?;
        let dt = DateTime::new(
            y,
            m as i8,
            d as i8,
            (secs / 3600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            0,
        )
        .ok()?;
        let ts = self.tz.to_ambiguous_timestamp(dt).compatible().ok()?;
        Some(ts.as_second())
    }
}
