//! Schedules: the serde form a person (or the API) writes, and its validation.
//!
//! A [`Schedule`] is plain data so it can be stored as JSON; [`crate::BusinessCalendar::new`]
//! validates it (errors name the field) and compiles it for fast business-time math.

use serde::{Deserialize, Serialize};

use crate::error::ScheduleError;
use crate::holiday::{DateCalendar, Holiday, parse_date};
use crate::national::Country;

/// A day of the week. Serialized in lowercase English (`"saturday"`); three-letter forms are
/// accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    #[serde(alias = "mon")]
    Monday,
    #[serde(alias = "tue")]
    Tuesday,
    #[serde(alias = "wed")]
    Wednesday,
    #[serde(alias = "thu")]
    Thursday,
    #[serde(alias = "fri")]
    Friday,
    #[serde(alias = "sat")]
    Saturday,
    #[serde(alias = "sun")]
    Sunday,
}

impl Weekday {
    /// Monday first, as ISO 8601 numbers them.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// Monday = 0 … Sunday = 6.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A weekly working interval: from `start` on `day` to `end`, in the schedule's local time.
///
/// Times are `HH:MM` or `HH:MM:SS`; `end` may be `24:00`. A night shift that runs past
/// midnight (Friday 22:00 – Saturday 06:00) is written on the day it starts with
/// `crosses_midnight: true`; it belongs to that day, so a holiday on Friday cancels the whole
/// shift while a holiday on Saturday does not cut it short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyInterval {
    pub day: Weekday,
    pub start: String,
    pub end: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crosses_midnight: bool,
}

/// Working hours of one specific date (see [`WorkingDay`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInterval {
    pub start: String,
    pub end: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crosses_midnight: bool,
}

/// A date that is worked whatever its weekday or holidays say (Russia's transferred working
/// Saturdays). With no `intervals`, the day is worked with the hours of the first weekday,
/// Monday first, that has working hours in the schedule (a transferred Saturday is worked
/// like a regular weekday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDay {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `YYYY-MM-DD` in `calendar`.
    pub date: String,
    #[serde(default)]
    pub calendar: DateCalendar,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intervals: Vec<DayInterval>,
}

/// A business calendar as stored: time zone, weekly hours, holidays and exceptions.
///
/// Precedence for a local date: a [`WorkingDay`] entry wins over holidays, a holiday (own or
/// national) wins over the weekly hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// IANA time zone, e.g. `Asia/Tehran`.
    pub time_zone: String,
    /// Weekly working intervals; several per day allowed. Empty means never open (unless
    /// working days say otherwise).
    pub intervals: Vec<WeeklyInterval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<Holiday>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub working_days: Vec<WorkingDay>,
    /// National holiday sets to include (see [`crate::national`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub national_holidays: Vec<Country>,
}

impl Default for Schedule {
    /// Monday–Friday 09:00–17:00 UTC: the schedule of a group nobody configured.
    fn default() -> Self {
        Schedule::weekly("UTC", &Weekday::ALL[..5], "09:00", "17:00")
    }
}

impl Schedule {
    /// The same hours on each of `days`.
    pub fn weekly(time_zone: &str, days: &[Weekday], start: &str, end: &str) -> Self {
        Schedule {
            time_zone: time_zone.to_owned(),
            intervals: days
                .iter()
                .map(|&day| WeeklyInterval {
                    day,
                    start: start.to_owned(),
                    end: end.to_owned(),
                    crosses_midnight: false,
                })
                .collect(),
            holidays: Vec::new(),
            working_days: Vec::new(),
            national_holidays: Vec::new(),
        }
    }

    /// Adds holidays, skipping those the schedule already has (so adding the same list twice
    /// changes nothing). Returns how many were added.
    pub fn add_holidays(&mut self, holidays: impl IntoIterator<Item = Holiday>) -> usize {
        let before = self.holidays.len();
        for h in holidays {
            if !self.holidays.contains(&h) {
                self.holidays.push(h);
            }
        }
        self.holidays.len() - before
    }

    /// Removes every holiday that starts on `date` in `calendar`; returns how many.
    pub fn remove_holidays(&mut self, date: &str, calendar: DateCalendar) -> usize {
        let before = self.holidays.len();
        self.holidays.retain(|h| !h.starts_on(date, calendar));
        before - self.holidays.len()
    }

    /// Open around the clock, every day.
    pub fn always_open(time_zone: &str) -> Self {
        Schedule::weekly(time_zone, &Weekday::ALL, "00:00", "24:00")
    }

    /// An Iranian office: Saturday–Wednesday 08:00–16:00, Thursday 08:00–13:00, Asia/Tehran,
    /// with Iran's national holidays.
    pub fn iran_office() -> Self {
        use Weekday::*;
        let mut s = Schedule::weekly(
            "Asia/Tehran",
            &[Saturday, Sunday, Monday, Tuesday, Wednesday],
            "08:00",
            "16:00",
        );
        s.intervals.push(WeeklyInterval {
            day: Thursday,
            start: "08:00".into(),
            end: "13:00".into(),
            crosses_midnight: false,
        });
        s.national_holidays.push(Country::IR);
        s
    }

    /// A Russian office: Monday–Friday 09:00–18:00, Europe/Moscow, with Russia's national
    /// holidays and transferred working Saturdays.
    pub fn russia_office() -> Self {
        let mut s = Schedule::weekly("Europe/Moscow", &Weekday::ALL[..5], "09:00", "18:00");
        s.national_holidays.push(Country::RU);
        s
    }
}

/// Seconds after midnight of `HH:MM` or `HH:MM:SS`, `24:00` allowed.
pub(crate) fn parse_time(text: &str) -> Option<u32> {
    let mut parts = text.split(':');
    let mut num = |max: u32| -> Option<u32> {
        let p = parts.next()?;
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = p.parse().ok()?;
        (v <= max).then_some(v)
    };
    let h = num(24)?;
    let m = num(59)?;
    let s = match parts.next() {
        None => 0,
        Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let v: u32 = p.parse().ok()?;
            if v > 59 {
                return None;
            }
            v
        }
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let total = h * 3600 + m * 60 + s;
    (total <= 86_400).then_some(total)
}

/// An interval in seconds from the local midnight of the day it belongs to; `end` may reach
/// 48 h for an interval crossing midnight.
pub(crate) type LocalSpan = (u32, u32);

pub(crate) fn check_span(
    field: &str,
    start: &str,
    end: &str,
    crosses_midnight: bool,
) -> Result<LocalSpan, ScheduleError> {
    let bad_time = "expected a time HH:MM or HH:MM:SS (00:00–24:00)";
    let s =
        parse_time(start).ok_or_else(|| ScheduleError::new(format!("{field}.start"), bad_time))?;
    let e = parse_time(end).ok_or_else(|| ScheduleError::new(format!("{field}.end"), bad_time))?;
    if s == 86_400 {
        return Err(ScheduleError::new(
            format!("{field}.start"),
            "must be before 24:00",
        ));
    }
    if crosses_midnight {
        if e > s || e == 86_400 {
            return Err(ScheduleError::new(
                format!("{field}.end"),
                "with crosses_midnight, end is a time on the next day and must not be after start",
            ));
        }
        Ok((s, e + 86_400))
    } else if e <= s {
        Err(ScheduleError::new(
            format!("{field}.end"),
            "must be after start unless crossing midnight is intended (set crosses_midnight: true)",
        ))
    } else {
        Ok((s, e))
    }
}

/// Parses a working day's date into a day number.
pub(crate) fn check_working_day(i: usize, w: &WorkingDay) -> Result<i64, ScheduleError> {
    let field = format!("working_days[{i}].date");
    match parse_date(&w.date, w.calendar) {
        Some(crate::holiday::ParsedDate::Full(day)) => Ok(day),
        _ => Err(ScheduleError::new(field, w.calendar.expected_date())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("08:00"), Some(8 * 3600));
        assert_eq!(parse_time("24:00"), Some(86_400));
        assert_eq!(parse_time("23:59:59"), Some(86_399));
        for bad in [
            "24:01",
            "8:00",
            "08:60",
            "08:00:60",
            "",
            "08",
            "08:00:00:00",
            "+8:00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn spans_name_the_field() {
        let e = check_span("intervals[2]", "22:00", "06:00", false).unwrap_err();
        assert_eq!(e.field, "intervals[2].end");
        assert!(e.to_string().starts_with(
            "intervals[2].end: must be after start unless crossing midnight is intended"
        ));
        assert_eq!(
            check_span("x", "22:00", "06:00", true),
            Ok((79_200, 108_000))
        );
        assert!(check_span("x", "06:00", "22:00", true).is_err());
        assert_eq!(check_span("x", "00:00", "24:00", false), Ok((0, 86_400)));
        assert_eq!(
            check_span("x", "xx", "24:00", false).unwrap_err().field,
            "x.start"
        );
    }
}
