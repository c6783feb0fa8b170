//! The Persian (Jalali, Solar Hijri) calendar, through ICU4X's `icu_calendar`.
//!
//! ICU4X is maintained by the Unicode consortium and its Persian calendar agrees with the
//! astronomical (vernal-equinox) calendar Iran uses over the whole range Sanjeh cares about; it
//! needs no locale data, so the crate is built without `compiled_data`.

use icu_calendar::{Date, Iso, cal::Persian};

use crate::days::{civil_from_days, days_from_civil};

/// Day number (days since 1970-01-01) of a Jalali date, or `None` if the date does not exist
/// (e.g. 30 Esfand in a common year).
pub(crate) fn jalali_day(year: i32, month: u8, day: u8) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let date = Date::try_new_persian(year, month, day).ok()?;
    // `try_new_persian` rejects dates that do not exist (30 Esfand in a common year).
    let iso = date.to_calendar(Iso);
    Some(days_from_civil(
        iso.year().extended_year(),
        iso.month().ordinal,
        iso.day_of_month().0,
    ))
}

/// The Jalali (year, month, day) of a day number.
pub(crate) fn jalali_from_days(days: i64) -> Option<(i32, u8, u8)> {
    let (y, m, d) = civil_from_days(days);
    let iso = Date::try_new_iso(y, m, d).ok()?;
    let p = iso.to_calendar(Persian);
    Some((
        p.year().extended_year(),
        p.month().ordinal,
        p.day_of_month().0,
    ))
}

/// Days in a Jalali month (29 or 30 for Esfand), 0 for a bad month.
pub(crate) fn jalali_days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1..=6 => 31,
        7..=11 => 30,
        12 if jalali_day(year, 12, 30).is_some() => 30,
        12 => 29,
        _ => 0,
    }
}

/// Converts a Jalali date to the Gregorian (year, month, day), if it exists.
pub fn jalali_to_gregorian(year: i32, month: u8, day: u8) -> Option<(i32, u8, u8)> {
    jalali_day(year, month, day).map(civil_from_days)
}

/// Converts a Gregorian date to the Jalali (year, month, day), if it is a valid date.
pub fn gregorian_to_jalali(year: i32, month: u8, day: u8) -> Option<(i32, u8, u8)> {
    crate::days::gregorian_day(year, month, day).and_then(jalali_from_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nowruz_moves_between_march_20_and_21() {
        assert_eq!(jalali_to_gregorian(1403, 1, 1), Some((2024, 3, 20)));
        assert_eq!(jalali_to_gregorian(1402, 1, 1), Some((2023, 3, 21)));
        assert_eq!(jalali_to_gregorian(1404, 1, 1), Some((2025, 3, 21)));
        assert_eq!(gregorian_to_jalali(2024, 3, 19), Some((1402, 12, 29)));
        // 1403 is a leap year: 30 Esfand 1403 = 2025-03-20; 1402 is not.
        assert_eq!(jalali_to_gregorian(1403, 12, 30), Some((2025, 3, 20)));
        assert_eq!(jalali_to_gregorian(1402, 12, 30), None);
        assert_eq!(jalali_days_in_month(1403, 12), 30);
        assert_eq!(jalali_days_in_month(1402, 12), 29);
        assert_eq!(jalali_to_gregorian(1403, 13, 1), None);
        assert_eq!(jalali_to_gregorian(1403, 1, 32), None);
    }
}
