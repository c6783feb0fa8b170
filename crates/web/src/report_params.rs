//! The parameters of a report, shared by `sanjeh report` and `GET /api/v1/reports` so both
//! take the same inputs and give the same JSON.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sanjeh_domain::{Channel, FieldError};
use sanjeh_metrics::{Dimension, Filter, ReportRequest, Targets, week_start_for_language};
use serde::Deserialize;

/// What a caller asks for; every field is text as it came from a flag or a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Start of the period (inclusive): a date (midnight in `tz`) or an RFC 3339 instant.
    pub from: Option<String>,
    /// End of the period (exclusive), same forms.
    pub to: Option<String>,
    /// IANA time zone the period, days, weeks and months are cut in (default UTC).
    pub tz: Option<String>,
    /// Comma-separated groupings: day, week, month, channel, group, agent, priority, tag, kind,
    /// organization. Several groupings are separated by `;` (e.g. `month,channel;agent`).
    pub by: Option<String>,
    /// en, fa or ru: fixes the first day of the week (Saturday for fa, Monday otherwise).
    pub lang: Option<String>,
    /// Also report the period of the same length just before, with the change (default true).
    pub previous: Option<bool>,
    /// Days after a solve within which a new ticket is a repeat contact (default 7).
    pub repeat_days: Option<i64>,
    /// Seconds within which an answered call meets the service level (default 20).
    pub service_level_s: Option<i64>,
    /// Only this channel's items (email, chat, …).
    pub channel: Option<String>,
    /// Only this group's items (its id).
    pub group: Option<String>,
    /// Only what this agent is credited with (their id).
    pub agent: Option<String>,
    /// Output format (the CLI's table, json, csv or markdown; the API answers JSON or CSV).
    pub format: Option<String>,
}

fn instant(field: &str, raw: &str, tz: &TimeZone) -> Result<Timestamp, FieldError> {
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Ok(ts);
    }
    let date: Date = raw.parse().map_err(|_| {
        FieldError::new(
            field,
            format!("{raw:?} is neither a date (2026-01-31) nor an RFC 3339 instant"),
        )
    })?;
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| FieldError::new(field, format!("{raw:?}: {e}")))
}

fn groupings(raw: &str) -> Result<Vec<Vec<Dimension>>, FieldError> {
    raw.split(';')
        .filter(|g| !g.trim().is_empty())
        .map(|g| {
            g.split(',')
                .map(|d| {
                    d.trim()
                        .parse::<Dimension>()
                        .map_err(|e| FieldError::new("by", e.to_string()))
                })
                .collect()
        })
        .collect()
}

impl ReportParams {
    /// The report's filter. A channel must be one of the catalogue's; a group or agent that
    /// does not exist simply matches nothing (as an empty row would).
    fn filter(&self) -> Result<Filter, FieldError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        if let Some(c) = given(&self.channel) {
            Channel::parse("channel", c)?;
        }
        Ok(Filter {
            channel: given(&self.channel).map(str::to_owned),
            group: given(&self.group).map(str::to_owned),
            agent: given(&self.agent).map(str::to_owned),
        })
    }

    /// The engine's request. Without `from`/`to` the period is the last 30 days up to `now`.
    pub fn to_request(
        &self,
        now: Timestamp,
        targets: &Targets,
    ) -> Result<ReportRequest, FieldError> {
        let tz = match self.tz.as_deref() {
            None | Some("") => TimeZone::UTC,
            Some(name) => TimeZone::get(name).map_err(|_| {
                FieldError::new(
                    "tz",
                    format!("{name:?} is not an IANA time zone such as Asia/Tehran"),
                )
            })?,
        };
        let to = match &self.to {
            Some(raw) => instant("to", raw, &tz)?,
            None => now,
        };
        let from = match &self.from {
            Some(raw) => instant("from", raw, &tz)?,
            None => to - jiff::SignedDuration::from_hours(24 * 30),
        };
        if to <= from {
            return Err(FieldError::new("to", "must be after from"));
        }
        let mut req = ReportRequest::new(from, to, tz, now);
        if let Some(by) = self.by.as_deref() {
            let mut all = groupings(by)?.into_iter();
            req.by = all.next().unwrap_or_default();
            req.also_by = all.collect();
        }
        if let Some(lang) = self.lang.as_deref() {
            if !["en", "fa", "ru"].contains(&lang) {
                return Err(FieldError::new(
                    "lang",
                    format!("{lang:?}: expected en, fa or ru"),
                ));
            }
            req.week_start = week_start_for_language(lang);
        }
        req.compare_previous = self.previous.unwrap_or(true);
        if let Some(days) = self.repeat_days {
            req.repeat_window_days = days;
        }
        if let Some(s) = self.service_level_s {
            req.service_level_s = s;
        }
        req.filter = self.filter()?;
        req.targets = targets.clone();
        req.validate()
            .map_err(|e| FieldError::new("by", e.to_string()))?;
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(from: &str, to: &str) -> ReportParams {
        ReportParams {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
    }

    #[test]
    fn dates_are_midnight_in_the_zone() {
        let mut p = params("2026-01-01", "2026-02-01");
        p.tz = Some("Asia/Tehran".into());
        p.by = Some("month,channel;agent".into());
        p.lang = Some("fa".into());
        let r = p
            .to_request(Timestamp::UNIX_EPOCH, &Targets::default())
            .unwrap();
        assert_eq!(r.from.to_string(), "2025-12-31T20:30:00Z");
        assert_eq!(r.by.len(), 2);
        assert_eq!(r.also_by.len(), 1);
        assert_eq!(r.week_start, jiff::civil::Weekday::Saturday);
    }

    #[test]
    fn errors_name_the_parameter() {
        let now = Timestamp::UNIX_EPOCH;
        let t = Targets::default();
        assert_eq!(
            params("soon", "2026-01-01")
                .to_request(now, &t)
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            params("2026-02-01", "2026-01-01")
                .to_request(now, &t)
                .unwrap_err()
                .field,
            "to"
        );
        let mut p = params("2026-01-01", "2026-02-01");
        p.tz = Some("Mars/Olympus".into());
        assert_eq!(p.to_request(now, &t).unwrap_err().field, "tz");
        p.tz = None;
        p.by = Some("month,colour".into());
        assert_eq!(p.to_request(now, &t).unwrap_err().field, "by");
        p.by = None;
        p.channel = Some("pigeon".into());
        assert_eq!(p.to_request(now, &t).unwrap_err().field, "channel");
    }

    #[test]
    fn a_filter_is_passed_on_blank_values_left_free() {
        let mut p = params("2026-01-01", "2026-02-01");
        p.channel = Some("email".into());
        p.agent = Some(" ".into());
        p.group = Some("G-2".into());
        let r = p
            .to_request(Timestamp::UNIX_EPOCH, &Targets::default())
            .unwrap();
        assert_eq!(r.filter.channel.as_deref(), Some("email"));
        assert_eq!(r.filter.group.as_deref(), Some("G-2"));
        assert_eq!(r.filter.agent, None);
    }
}
