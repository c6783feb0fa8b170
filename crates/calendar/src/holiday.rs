//! Holidays: single days, ranges and yearly recurring days, entered in the Gregorian or the
//! Jalali calendar, and their compiled form that marks the holidays of a span of days.

use serde::{Deserialize, Serialize};

use crate::days::{civil_from_days, days_in_month, gregorian_day};
use crate::error::ScheduleError;
use crate::jalali::{jalali_day, jalali_days_in_month, jalali_from_days};

/// The calendar a date is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateCalendar {
    #[default]
    Gregorian,
    /// The Persian (Solar Hijri) calendar: `1403-01-01` is Nowruz 2024 (2024-03-20).
    #[serde(alias = "persian")]
    Jalali,
}

impl DateCalendar {
    pub(crate) fn expected_date(self) -> &'static str {
        match self {
            DateCalendar::Gregorian => "expected a Gregorian date YYYY-MM-DD",
            DateCalendar::Jalali => "expected a Jalali date YYYY-MM-DD (e.g. 1403-01-01)",
        }
    }
}

/// A day off, or a run of days off.
///
/// * one day: `{"date": "2025-01-01"}`
/// * a range (inclusive): `{"date": "2025-01-01", "end": "2025-01-08"}`
/// * yearly: `{"date": "01-01", "end": "01-04", "calendar": "jalali", "yearly": true}`
///   (Nowruz, 1–4 Farvardin, whatever the Gregorian days). A yearly holiday may be written
///   `YYYY-MM-DD`; it then recurs from that year on. A yearly range whose end month/day comes
///   before its start wraps into the next year (24 Dec – 2 Jan). A yearly date that does not
///   exist in some year (29 February, 30 Esfand) is skipped that year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub date: String,
    /// Last day, inclusive; absent for a single day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default)]
    pub calendar: DateCalendar,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub yearly: bool,
}

impl Holiday {
    /// Checks the dates as a schedule would; the error names the holiday's own field (`date`,
    /// `end`), for callers that add holidays one by one and prefix their own path.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        Holidays::default().compile(0, self).map_err(|mut e| {
            if let Some(rest) = e.field.strip_prefix("holidays[0].") {
                e.field = rest.to_owned();
            }
            e
        })
    }

    /// Whether this holiday starts on `date` written in `calendar` (how a holiday is named
    /// for removal: `2025-01-01`, or `01-01` for a yearly one).
    pub fn starts_on(&self, date: &str, calendar: DateCalendar) -> bool {
        self.calendar == calendar && self.date.trim() == date.trim()
    }

    /// A single Gregorian day.
    pub fn on(date: &str) -> Self {
        Holiday {
            name: String::new(),
            date: date.into(),
            end: None,
            calendar: DateCalendar::Gregorian,
            yearly: false,
        }
    }
}

pub(crate) enum ParsedDate {
    /// A full date, as a day number.
    Full(i64),
    /// `MM-DD` (or the month/day of a full date with its year), for yearly rules.
    MonthDay {
        year: Option<i32>,
        month: u8,
        day: u8,
    },
}

fn digits(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `YYYY-MM-DD` → a day number (the date must exist); `MM-DD` → month/day (day ≤ the longest
/// such month).
pub(crate) fn parse_date(text: &str, calendar: DateCalendar) -> Option<ParsedDate> {
    let parts: Vec<&str> = text.trim().split('-').collect();
    match parts.as_slice() {
        [y, m, d] => {
            let (y, m, d) = (
                digits(y, 4)? as i32,
                digits(m, 2)? as u8,
                digits(d, 2)? as u8,
            );
            let day = match calendar {
                DateCalendar::Gregorian => gregorian_day(y, m, d)?,
                DateCalendar::Jalali => jalali_day(y, m, d)?,
            };
            Some(ParsedDate::Full(day))
        }
        [m, d] => {
            let (m, d) = (digits(m, 2)? as u8, digits(d, 2)? as u8);
            let max = match calendar {
                DateCalendar::Gregorian => days_in_month(2000, m),
                DateCalendar::Jalali => jalali_days_in_month(1403, m),
            };
            (d >= 1 && d <= max).then_some(ParsedDate::MonthDay {
                year: None,
                month: m,
                day: d,
            })
        }
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Yearly {
    calendar: DateCalendar,
    from_year: Option<i32>,
    month: u8,
    day: u8,
    end_month: u8,
    end_day: u8,
}

/// Compiled holidays: fixed day ranges plus yearly rules expanded on demand.
#[derive(Debug, Clone, Default)]
pub(crate) struct Holidays {
    fixed: Vec<(i64, i64)>,
    yearly: Vec<Yearly>,
}

impl Holidays {
    pub(crate) fn add_fixed(&mut self, first: i64, last: i64) {
        self.fixed.push((first, last));
    }

    pub(crate) fn compile(&mut self, i: usize, h: &Holiday) -> Result<(), ScheduleError> {
        let field = |f: &str| format!("holidays[{i}].{f}");
        let expected = if h.yearly {
            match h.calendar {
                DateCalendar::Gregorian => "expected MM-DD or YYYY-MM-DD (Gregorian)",
                DateCalendar::Jalali => "expected MM-DD or YYYY-MM-DD (Jalali, e.g. 01-01)",
            }
        } else {
            h.calendar.expected_date()
        };
        let start = parse_date(&h.date, h.calendar)
            .ok_or_else(|| ScheduleError::new(field("date"), expected))?;
        let end = match &h.end {
            None => None,
            Some(e) => Some(
                parse_date(e, h.calendar)
                    .ok_or_else(|| ScheduleError::new(field("end"), expected))?,
            ),
        };
        if !h.yearly {
            let ParsedDate::Full(first) = start else {
                return Err(ScheduleError::new(
                    field("date"),
                    format!("{expected}; MM-DD needs yearly: true"),
                ));
            };
            let last = match end {
                None => first,
                Some(ParsedDate::Full(last)) if last >= first => last,
                Some(ParsedDate::Full(_)) => {
                    return Err(ScheduleError::new(field("end"), "must not be before date"));
                }
                Some(ParsedDate::MonthDay { .. }) => {
                    return Err(ScheduleError::new(field("end"), expected));
                }
            };
            self.fixed.push((first, last));
            return Ok(());
        }
        let (from_year, month, day) = month_day(&start, h.calendar);
        let (end_month, end_day) = match &end {
            None => (month, day),
            Some(e) => {
                let (_, m, d) = month_day(e, h.calendar);
                if let (ParsedDate::Full(a), ParsedDate::Full(b)) = (&start, e)
                    && (b < a || b - a > 365)
                {
                    return Err(ScheduleError::new(
                        field("end"),
                        "must be on or after date, within a year",
                    ));
                }
                (m, d)
            }
        };
        self.yearly.push(Yearly {
            calendar: h.calendar,
            from_year,
            month,
            day,
            end_month,
            end_day,
        });
        Ok(())
    }

    /// Sets `out[d - first]` for every holiday `d` in `first..first + out.len()`.
    pub(crate) fn mark(&self, first: i64, out: &mut [bool]) {
        let last = first + out.len() as i64 - 1;
        let mut set = |a: i64, b: i64| {
            for d in a.max(first)..=b.min(last) {
                out[(d - first) as usize] = true;
            }
        };
        for &(a, b) in &self.fixed {
            set(a, b);
        }
        if self.yearly.is_empty() {
            return;
        }
        let g0 = civil_from_days(first).0;
        let g1 = civil_from_days(last).0;
        let (j0, j1) = match (jalali_from_days(first), jalali_from_days(last)) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => (g0 - 622, g1 - 621),
        };
        for rule in &self.yearly {
            let (y0, y1) = match rule.calendar {
                DateCalendar::Gregorian => (g0 - 1, g1),
                DateCalendar::Jalali => (j0 - 1, j1),
            };
            for year in y0.max(rule.from_year.unwrap_or(i32::MIN))..=y1 {
                if let Some((a, b)) = rule.occurrence(year) {
                    set(a, b);
                }
            }
        }
    }
}

impl Yearly {
    fn occurrence(&self, year: i32) -> Option<(i64, i64)> {
        let day_of = |y: i32, m: u8, d: u8| match self.calendar {
            DateCalendar::Gregorian => gregorian_day(y, m, d),
            DateCalendar::Jalali => jalali_day(y, m, d),
        };
        let start = day_of(year, self.month, self.day)?;
        let end_year = if (self.end_month, self.end_day) < (self.month, self.day) {
            year + 1
        } else {
            year
        };
        // An end on a day that does not exist that year (29 Feb) ends on the month's last day.
        let end = (1..=self.end_day)
            .rev()
            .find_map(|d| day_of(end_year, self.end_month, d))?;
        Some((start, end))
    }
}

fn month_day(p: &ParsedDate, calendar: DateCalendar) -> (Option<i32>, u8, u8) {
    match *p {
        ParsedDate::MonthDay { year, month, day } => (year, month, day),
        ParsedDate::Full(d) => {
            let (y, m, dd) = match calendar {
                DateCalendar::Gregorian => civil_from_days(d),
                DateCalendar::Jalali => jalali_from_days(d).unwrap_or((0, 1, 1)),
            };
            (Some(y), m, dd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::days::days_from_civil;

    fn marked(hs: &Holidays, from: (i32, u8, u8), n: usize) -> Vec<(i32, u8, u8)> {
        let first = days_from_civil(from.0, from.1, from.2);
        let mut out = vec![false; n];
        hs.mark(first, &mut out);
        (0..n)
            .filter(|&i| out[i])
            .map(|i| civil_from_days(first + i as i64))
            .collect()
    }

    #[test]
    fn nowruz_yearly_in_jalali() {
        let mut hs = Holidays::default();
        let nowruz = Holiday {
            name: "Nowruz".into(),
            date: "01-01".into(),
            end: Some("01-04".into()),
            calendar: DateCalendar::Jalali,
            yearly: true,
        };
        hs.compile(0, &nowruz).unwrap();
        assert_eq!(
            marked(&hs, (2024, 3, 1), 40),
            vec![(2024, 3, 20), (2024, 3, 21), (2024, 3, 22), (2024, 3, 23)]
        );
        assert_eq!(
            marked(&hs, (2025, 3, 1), 40),
            vec![(2025, 3, 21), (2025, 3, 22), (2025, 3, 23), (2025, 3, 24)]
        );
    }

    #[test]
    fn gregorian_ranges_wraps_and_bad_fields() {
        let mut hs = Holidays::default();
        let xmas = Holiday {
            name: String::new(),
            date: "12-31".into(),
            end: Some("01-02".into()),
            calendar: DateCalendar::Gregorian,
            yearly: true,
        };
        hs.compile(0, &xmas).unwrap();
        assert_eq!(
            marked(&hs, (2024, 12, 30), 5),
            vec![(2024, 12, 31), (2025, 1, 1), (2025, 1, 2)]
        );
        let from_2026 = Holiday {
            date: "2026-05-01".into(),
            ..Holiday::on("x")
        };
        let mut h2 = Holidays::default();
        h2.compile(
            0,
            &Holiday {
                yearly: true,
                ..from_2026
            },
        )
        .unwrap();
        assert!(marked(&h2, (2025, 5, 1), 1).is_empty());
        assert_eq!(marked(&h2, (2027, 5, 1), 1).len(), 1);
        let j = Holiday {
            date: "1403-01-01".into(),
            calendar: DateCalendar::Jalali,
            ..Holiday::on("")
        };
        let mut h3 = Holidays::default();
        h3.compile(0, &j).unwrap();
        assert_eq!(marked(&h3, (2024, 3, 19), 3), vec![(2024, 3, 20)]);

        let err = Holidays::default()
            .compile(3, &Holiday::on("2025-02-30"))
            .unwrap_err();
        assert_eq!(err.field, "holidays[3].date");
        let err = Holidays::default()
            .compile(
                1,
                &Holiday {
                    end: Some("2024-12-31".into()),
                    ..Holiday::on("2025-01-01")
                },
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "holidays[1].end: must not be before date");
        assert!(
            Holidays::default()
                .compile(0, &Holiday::on("01-01"))
                .is_err()
        );
    }
}
