//! Import holidays from an iCalendar (RFC 5545) file.
//!
//! Only what a holiday calendar uses is read: each `VEVENT`'s `DTSTART`, `DTEND` or
//! `DURATION` (whole days), `SUMMARY` and `RRULE:FREQ=YEARLY` (with `COUNT`/`UNTIL`
//! expanded). A small parser of just that keeps the crate free of a date-time stack it does
//! not need (the `icalendar` crate brings chrono and more) and lets every malformed line
//! become an error with its line number instead of a skipped event.

use crate::days::{civil_from_days, gregorian_day};
use crate::error::IcsError;
use crate::holiday::{DateCalendar, Holiday};

/// The holidays of every `VEVENT` in `text`, as Gregorian [`Holiday`]s.
///
/// A timed event (`DTSTART:20250101T120000Z`) covers the whole days it touches: holidays are
/// days. Cancelled events (`STATUS:CANCELLED`) are skipped.
pub fn parse_ics(text: &str) -> Result<Vec<Holiday>, IcsError> {
    let mut out = Vec::new();
    let mut event: Option<Event> = None;
    for (line_no, line) in unfold(text) {
        let err = |message: String| IcsError {
            line: line_no,
            message,
        };
        let Some((head, value)) = line.split_once(':') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(err(format!("expected NAME:VALUE, got {line:?}")));
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or("").to_ascii_uppercase();
        let is_date = params.any(|p| p.eq_ignore_ascii_case("VALUE=DATE"));
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    line: line_no,
                    ..Event::default()
                })
            }
            ("BEGIN", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                return Err(err("BEGIN:VEVENT inside a VEVENT".into()));
            }
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                if let Some(e) = event.take() {
                    e.finish(&mut out)?;
                }
            }
            ("DTSTART", Some(e)) => {
                e.start = Some(
                    parse_value(value, is_date)
                        .ok_or_else(|| err(format!("bad DTSTART {value:?}")))?,
                )
            }
            ("DTEND", Some(e)) => {
                e.end = Some(
                    parse_value(value, is_date)
                        .ok_or_else(|| err(format!("bad DTEND {value:?}")))?,
                )
            }
            ("DURATION", Some(e)) => {
                e.days = Some(parse_days(value).ok_or_else(|| {
                    err(format!(
                        "unsupported DURATION {value:?} (whole days: P3D, P1W)"
                    ))
                })?)
            }
            ("SUMMARY", Some(e)) => e.summary = unescape(value),
            ("STATUS", Some(e)) => e.cancelled = value.eq_ignore_ascii_case("CANCELLED"),
            ("RRULE", Some(e)) => e.rrule = Some(parse_rrule(value).map_err(err)?),
            _ => {}
        }
    }
    if let Some(e) = event {
        return Err(IcsError {
            line: e.line,
            message: "VEVENT without END:VEVENT".into(),
        });
    }
    Ok(out)
}

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<Value>,
    end: Option<Value>,
    days: Option<i64>,
    summary: String,
    cancelled: bool,
    rrule: Option<Rrule>,
}

#[derive(Clone, Copy)]
struct Value {
    day: i64,
    /// A date-time at exactly midnight, or a DATE.
    midnight: bool,
}

enum Rrule {
    Yearly,
    Count(u32),
    Until(i64),
}

impl Event {
    fn finish(self, out: &mut Vec<Holiday>) -> Result<(), IcsError> {
        let err = |m: &str| IcsError {
            line: self.line,
            message: m.into(),
        };
        if self.cancelled {
            return Ok(());
        }
        let start = self.start.ok_or_else(|| err("VEVENT without DTSTART"))?;
        // DTEND is exclusive: a DATE end (or a midnight date-time) ends the day before.
        let last = match (self.end, self.days) {
            (Some(e), _) if e.midnight => e.day - 1,
            (Some(e), _) => e.day,
            (None, Some(n)) => start.day + n - 1,
            (None, None) => start.day,
        }
        .max(start.day);
        if last - start.day > 365 && self.rrule.is_some() {
            return Err(err("a yearly event cannot last more than a year"));
        }
        let fmt = |d: i64| {
            let (y, m, dd) = civil_from_days(d);
            format!("{y:04}-{m:02}-{dd:02}")
        };
        let holiday = |first: i64, last: i64, yearly: bool| Holiday {
            name: self.summary.clone(),
            date: fmt(first),
            end: (last != first).then(|| fmt(last)),
            calendar: DateCalendar::Gregorian,
            yearly,
        };
        match self.rrule {
            None => out.push(holiday(start.day, last, false)),
            Some(Rrule::Yearly) => out.push(holiday(start.day, last, true)),
            Some(rule) => {
                let (y0, m, d) = civil_from_days(start.day);
                let len = last - start.day;
                for year in y0.. {
                    let n = (year - y0) as u32;
                    let Some(first) = gregorian_day(year, m, d) else {
                        if year > 9999 {
                            break;
                        }
                        continue; // 29 February in a common year
                    };
                    match rule {
                        Rrule::Count(c) if n >= c => break,
                        Rrule::Until(u) if first > u => break,
                        _ => {}
                    }
                    out.push(holiday(first, first + len, false));
                }
            }
        }
        Ok(())
    }
}

/// Joins folded lines (CRLF or LF followed by a space or tab), keeping the number of the line
/// each logical line starts on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => out.push((i + 1, raw.to_owned())),
        }
    }
    out
}

fn num(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `20250101` or `20250101T093000[Z]`.
fn parse_value(v: &str, is_date: bool) -> Option<Value> {
    let v = v.trim();
    let (date, time) = match v.split_once('T') {
        Some((d, t)) if !is_date => (d, Some(t.trim_end_matches('Z'))),
        Some(_) => return None,
        None => (v, None),
    };
    // ASCII first: slicing a multi-byte character would panic.
    if date.len() != 8 || !date.is_ascii() {
        return None;
    }
    let day = gregorian_day(
        num(&date[..4])? as i32,
        num(&date[4..6])? as u8,
        num(&date[6..])? as u8,
    )?;
    let midnight = match time {
        None => true,
        Some(t) if t.len() == 6 && num(t).is_some() => t == "000000",
        Some(_) => return None,
    };
    Some(Value { day, midnight })
}

/// `P3D`, `P1W`, `P1DT0H0M0S`: whole days only.
fn parse_days(v: &str) -> Option<i64> {
    let v = v.trim().strip_prefix('P')?;
    let (date, time) = v.split_once('T').unwrap_or((v, ""));
    if !time.trim_end_matches(['0', 'H', 'M', 'S']).is_empty() {
        return None;
    }
    if let Some(w) = date.strip_suffix('W') {
        return Some(i64::from(num(w)?) * 7);
    }
    Some(i64::from(num(date.strip_suffix('D')?)?)).filter(|&d| d > 0)
}

fn parse_rrule(v: &str) -> Result<Rrule, String> {
    let mut yearly = false;
    let mut rule = Rrule::Yearly;
    for part in v.split(';') {
        let (k, val) = part
            .split_once('=')
            .ok_or_else(|| format!("bad RRULE part {part:?}"))?;
        match k.to_ascii_uppercase().as_str() {
            "FREQ" if val.eq_ignore_ascii_case("YEARLY") => yearly = true,
            "FREQ" => {
                return Err(format!(
                    "only RRULE:FREQ=YEARLY is supported, got FREQ={val}"
                ));
            }
            "INTERVAL" if val == "1" => {}
            "COUNT" => rule = Rrule::Count(num(val).ok_or_else(|| format!("bad COUNT {val:?}"))?),
            "UNTIL" => {
                rule = Rrule::Until(
                    parse_value(val, false)
                        .ok_or_else(|| format!("bad UNTIL {val:?}"))?
                        .day,
                )
            }
            // Holiday files repeat DTSTART's month and day here; anything else changes the
            // meaning and is refused rather than ignored.
            "BYMONTH" | "BYMONTHDAY" | "WKST" => {}
            other => return Err(format!("unsupported RRULE part {other}")),
        }
    }
    if !yearly {
        return Err("RRULE without FREQ=YEARLY".into());
    }
    Ok(rule)
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20250101\r\nDTEND;VALUE=DATE:20250109\r\nSUMMARY:New Year\r\n  holidays\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20240508\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Victory Day\\, eve\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:3\r\nDTSTART;VALUE=DATE:20240612\r\nDURATION:P1D\r\nRRULE:FREQ=YEARLY;COUNT=2\r\nSUMMARY:Russia Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:4\r\nDTSTART:20250301T120000Z\r\nDTEND:20250302T000000Z\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:5\r\nDTSTART;VALUE=DATE:20250401\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn reads_dates_ranges_and_yearly_rules() {
        let hs = parse_ics(SAMPLE).unwrap();
        let got: Vec<(&str, Option<&str>, bool, &str)> = hs
            .iter()
            .map(|h| (h.date.as_str(), h.end.as_deref(), h.yearly, h.name.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2025-01-01", Some("2025-01-08"), false, "New Year holidays"),
                ("2024-05-08", None, true, "Victory Day, eve"),
                ("2024-06-12", None, false, "Russia Day"),
                ("2025-06-12", None, false, "Russia Day"),
                ("2025-03-01", None, false, ""),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20251301\nEND:VEVENT\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e =
            parse_ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250101\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n")
                .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("FREQ=YEARLY"));
        let e = parse_ics("BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (1, "VEVENT without DTSTART"));
        assert!(parse_ics("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20250101\n").is_err());
        assert_eq!(parse_ics("").unwrap(), vec![]);
    }
}
