//! Civil days as plain integers (days since 1970-01-01, proleptic Gregorian).
//!
//! Holiday expansion and the per-chunk interval tables work on day numbers rather than
//! `jiff::civil::Date` because they are plain integer arithmetic: no allocation, no error path,
//! and a weekday is one `rem_euclid`.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub(crate) fn weekday_index(days: i64) -> usize {
    (days + 3).rem_euclid(7) as usize
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A valid Gregorian date's day number, or `None`.
pub(crate) fn gregorian_day(year: i32, month: u8, day: u8) -> Option<i64> {
    (day >= 1 && day <= days_in_month(year, month) && (-9999..=9999).contains(&year))
        .then(|| days_from_civil(year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday_index(0), 3); // Thursday
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for d in (-800_000..800_000).step_by(97) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
            let j = jiff::civil::date(y as i16, m as i8, dd as i8);
            assert_eq!(
                j.weekday().to_monday_zero_offset() as usize,
                weekday_index(d)
            );
        }
        assert_eq!(gregorian_day(2023, 2, 29), None);
        assert!(gregorian_day(2024, 2, 29).is_some());
    }
}
