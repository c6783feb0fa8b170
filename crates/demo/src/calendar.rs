//! Time arithmetic on plain seconds: regions with fixed UTC offsets, weekdays and hours.
//!
//! The generator does millions of "is anyone on shift now?" checks, so instants are `i64`
//! seconds since the Unix epoch and local time is computed arithmetically. Fixed offsets are
//! exact here: Iran has kept +03:30 all year since 2022 and Moscow +03:00 since 2014.

/// Seconds since the Unix epoch, UTC.
pub(crate) type Secs = i64;

pub(crate) const MINUTE: Secs = 60;
pub(crate) const HOUR: Secs = 3_600;
pub(crate) const DAY: Secs = 86_400;

/// Hours in a week: shift masks and staffing tables are indexed by UTC hour of the week.
pub(crate) const WEEK_HOURS: usize = 168;

/// Where a customer (or an agent's team) lives; decides language, office hours and holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    /// Iranian customers and the Tehran team: Saturday-first work week, Friday off.
    Tehran,
    /// Russian customers and the Moscow team: Monday–Friday.
    Moscow,
    /// Everyone else, writing in English from many time zones.
    Intl,
}

impl Region {
    pub(crate) const ALL: [Region; 3] = [Region::Tehran, Region::Moscow, Region::Intl];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Offset from UTC in seconds.
    pub(crate) fn offset(self) -> Secs {
        match self {
            Region::Tehran => 3 * HOUR + 30 * MINUTE,
            Region::Moscow => 3 * HOUR,
            Region::Intl => 0,
        }
    }
}

/// Day of the week, Monday = 0 … Sunday = 6, at `t` shifted by `offset`.
pub(crate) fn weekday(t: Secs, offset: Secs) -> usize {
    // 1970-01-01 was a Thursday (index 3).
    ((t + offset).div_euclid(DAY) + 3).rem_euclid(7) as usize
}

/// Hour of the day 0–23 at `t` shifted by `offset`.
pub(crate) fn hour(t: Secs, offset: Secs) -> usize {
    ((t + offset).rem_euclid(DAY) / HOUR) as usize
}

/// UTC hour of the week, Monday 00:00 = 0.
pub(crate) fn hour_of_week(t: Secs) -> usize {
    weekday(t, 0) * 24 + hour(t, 0)
}

/// The start of the UTC hour containing `t`.
pub(crate) fn floor_hour(t: Secs) -> Secs {
    t - t.rem_euclid(HOUR)
}

/// The local calendar date at `t` (used only while building tables, never per event).
pub(crate) fn local_date(t: Secs, offset: Secs) -> jiff::civil::Date {
    let ts = jiff::Timestamp::from_second(t + offset).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.to_zoned(jiff::tz::TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_hours_follow_the_offset() {
        // 2025-01-03T21:00:00Z is a Friday in UTC and already Saturday 00:30 in Tehran.
        let t = jiff::Timestamp::from_second(1_735_938_000)
            .unwrap()
            .as_second();
        assert_eq!(weekday(t, 0), 4);
        assert_eq!(weekday(t, Region::Tehran.offset()), 5);
        assert_eq!(hour(t, Region::Tehran.offset()), 0);
        assert_eq!(hour(t, Region::Moscow.offset()), 0);
        assert_eq!(hour_of_week(t), 4 * 24 + 21);
        assert_eq!(
            local_date(t, Region::Tehran.offset()).to_string(),
            "2025-01-04"
        );
    }
}
