//! What a dashboard URL asks for: the period (a preset or custom dates), the channel, group
//! and agent filters, and how the period is cut into time buckets. Every dashboard link
//! carries these as GET parameters, so a view can be shared.

use crate::error::UiError;
use crate::i18n::Lang;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use sanjeh_metrics::Dimension;
use sanjeh_metrics::drill::Filter;
use serde::Deserialize;

/// The dashboard's GET parameters (empty values, as an "all" option sends, mean none).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashQuery {
    pub period: Option<String>,
    /// Custom period: first and last day, inclusive, in the desk's time zone.
    pub from: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
    pub group: Option<String>,
    pub agent: Option<String>,
    /// Drill-down: which list, and which page of it.
    pub kpi: Option<String>,
    pub page: Option<u32>,
    /// CSV export: which table.
    pub table: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Week,
    Days7,
    Days30,
    Days90,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Week, Preset::Days7, Preset::Days30, Preset::Days90];

    pub fn code(self) -> &'static str {
        match self {
            Preset::Week => "week",
            Preset::Days7 => "7d",
            Preset::Days30 => "30d",
            Preset::Days90 => "90d",
            Preset::Custom => "custom",
        }
    }
}

/// The longest custom period (so a daily chart stays readable and a request stays cheap).
const MAX_DAYS: i64 = 3 * 366;

/// A resolved dashboard view.
#[derive(Debug, Clone)]
pub struct View {
    pub preset: Preset,
    /// The period `[from, to)`.
    pub from: Timestamp,
    pub to: Timestamp,
    /// The custom dates as given (for the form).
    pub from_date: Option<Date>,
    pub to_date: Option<Date>,
    pub filter: Filter,
    /// Days, weeks or months, by the period's length.
    pub bucket: Dimension,
    pub tz: TimeZone,
    pub lang: Lang,
}

fn date(field: &str, raw: &str) -> Result<Date, UiError> {
    raw.parse::<Date>().map_err(|_| UiError::Invalid {
        field: field.to_owned(),
        key: "dash-error-date",
    })
}

fn midnight(d: Date, tz: &TimeZone) -> Result<Timestamp, UiError> {
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| UiError::Invalid {
            field: "from".into(),
            key: "dash-error-date",
        })
}

impl View {
    pub fn parse(
        q: &DashQuery,
        now: Timestamp,
        lang: Lang,
        tz: &TimeZone,
    ) -> Result<View, UiError> {
        let filter = Filter {
            channel: given(&q.channel).map(str::to_owned),
            group: given(&q.group).map(str::to_owned),
            agent: given(&q.agent).map(str::to_owned),
        };
        if let Some(c) = &filter.channel
            && !sanjeh_domain::Channel::ALL.iter().any(|x| x.as_str() == c)
        {
            return Err(UiError::Invalid {
                field: "channel".into(),
                key: "dash-error-channel",
            });
        }
        let custom = given(&q.from).is_some() || given(&q.to).is_some();
        let preset = match given(&q.period) {
            _ if custom => Preset::Custom,
            None => Preset::Days30,
            Some("custom") => Preset::Days30,
            Some(p) => Preset::ALL
                .into_iter()
                .find(|x| x.code() == p)
                .ok_or_else(|| UiError::Invalid {
                    field: "period".into(),
                    key: "dash-error-period",
                })?,
        };
        let (from, to, from_date, to_date) = match preset {
            Preset::Custom => {
                let today = now.to_zoned(tz.clone()).date();
                let to_d = given(&q.to)
                    .map(|s| date("to", s))
                    .transpose()?
                    .unwrap_or(today);
                let from_d = match given(&q.from) {
                    Some(s) => date("from", s)?,
                    None => to_d.checked_sub(29.days()).unwrap_or(to_d),
                };
                if to_d < from_d {
                    return Err(UiError::Invalid {
                        field: "to".into(),
                        key: "dash-error-order",
                    });
                }
                if i64::from((to_d - from_d).get_days()) > MAX_DAYS {
                    return Err(UiError::Invalid {
                        field: "to".into(),
                        key: "dash-error-long",
                    });
                }
                let end = to_d.checked_add(1.day()).map_err(|_| UiError::Invalid {
                    field: "to".into(),
                    key: "dash-error-date",
                })?;
                (
                    midnight(from_d, tz)?,
                    midnight(end, tz)?,
                    Some(from_d),
                    Some(to_d),
                )
            }
            Preset::Week => {
                let today = now.to_zoned(tz.clone()).date();
                let back = i64::from(today.weekday().since(lang.week_start()));
                let start = today.checked_sub(back.days()).unwrap_or(today);
                (midnight(start, tz)?, now, None, None)
            }
            p => {
                let days = match p {
                    Preset::Days7 => 7,
                    Preset::Days90 => 90,
                    _ => 30,
                };
                (
                    now - jiff::SignedDuration::from_hours(24 * days),
                    now,
                    None,
                    None,
                )
            }
        };
        let days = to.duration_since(from).as_hours() / 24;
        let bucket = if days <= 45 {
            Dimension::Day
        } else if days <= 200 {
            Dimension::Week
        } else {
            Dimension::Month
        };
        Ok(View {
            preset,
            from,
            to,
            from_date,
            to_date,
            filter,
            bucket,
            tz: tz.clone(),
            lang,
        })
    }

    pub fn is_filtered(&self) -> bool {
        self.filter != Filter::default()
    }

    /// The view's GET parameters, URL-encoded (without `?`), to carry on every link.
    pub fn query(&self) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        match self.preset {
            Preset::Custom => {
                if let Some(d) = self.from_date {
                    parts.push(("from", d.to_string()));
                }
                if let Some(d) = self.to_date {
                    parts.push(("to", d.to_string()));
                }
            }
            p => parts.push(("period", p.code().to_owned())),
        }
        let f = &self.filter;
        for (k, v) in [
            ("channel", &f.channel),
            ("group", &f.group),
            ("agent", &f.agent),
        ] {
            if let Some(v) = v {
                parts.push((k, v.clone()));
            }
        }
        parts
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The start of each time bucket of the period as the engine labels it (`2026-01-05` for
    /// a day or a week's first day, `2026-01` for a month), empty buckets included.
    pub fn buckets(&self) -> Vec<String> {
        let local = self.from.to_zoned(self.tz.clone()).date();
        let mut d = match self.bucket {
            Dimension::Week => {
                let back = i64::from(local.weekday().since(self.lang.week_start()));
                local.checked_sub(back.days()).unwrap_or(local)
            }
            Dimension::Month => local.first_of_month(),
            _ => local,
        };
        let mut out = Vec::new();
        while let Ok(start) = d.to_zoned(self.tz.clone()) {
            if start.timestamp() >= self.to || out.len() > 4000 {
                break;
            }
            out.push(match self.bucket {
                Dimension::Month => d.strftime("%Y-%m").to_string(),
                _ => d.to_string(),
            });
            let next = match self.bucket {
                Dimension::Week => d.checked_add(1.week()),
                Dimension::Month => d.checked_add(1.month()),
                _ => d.checked_add(1.day()),
            };
            match next {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
        out
    }

    /// A bucket's label as shown: the date in the page's calendar and digits (a month as
    /// its month and year).
    pub fn bucket_text(&self, key: &str) -> String {
        let parsed = match self.bucket {
            Dimension::Month => format!("{key}-01").parse::<Date>().ok(),
            _ => key.parse::<Date>().ok(),
        };
        let Some(d) = parsed else {
            return key.to_owned();
        };
        let lang = self.lang;
        let (year, month_key, day) = match lang {
            Lang::Fa => match crate::i18n::jalali(d) {
                Some((y, m, day)) => (y, format!("jalali-month-{m}"), day),
                None => return lang.digits(key),
            },
            _ => (
                i32::from(d.year()),
                format!("month-{}", d.month()),
                d.day() as u8,
            ),
        };
        let month = lang.t(&month_key);
        if self.bucket == Dimension::Month {
            lang.t_args(
                "dash-month",
                &[("month", month), ("year", lang.digits(&year.to_string()))],
            )
        } else {
            lang.t_args(
                "dash-day",
                &[("month", month), ("day", lang.digits(&day.to_string()))],
            )
        }
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> DashQuery {
        let mut q = DashQuery::default();
        for (k, v) in pairs {
            let v = Some((*v).to_owned());
            match *k {
                "period" => q.period = v,
                "from" => q.from = v,
                "to" => q.to = v,
                "channel" => q.channel = v,
                "group" => q.group = v,
                "agent" => q.agent = v,
                _ => unreachable!(),
            }
        }
        q
    }

    #[test]
    fn custom_dates_are_inclusive_days_and_round_trip() {
        let now: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
        let v = View::parse(
            &q(&[
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
                ("group", "a b"),
            ]),
            now,
            Lang::En,
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(v.from.to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(v.to.to_string(), "2026-02-01T00:00:00Z");
        assert_eq!(v.bucket, Dimension::Day);
        assert_eq!(v.buckets().len(), 31);
        assert_eq!(v.query(), "from=2026-01-01&to=2026-01-31&group=a%20b");
        assert_eq!(v.filter.dimensions(), [Dimension::Group]);
    }

    #[test]
    fn bad_input_names_the_field() {
        let now = Timestamp::UNIX_EPOCH;
        let field =
            |pairs: &[(&str, &str)]| match View::parse(&q(pairs), now, Lang::En, &TimeZone::UTC) {
                Err(UiError::Invalid { field, .. }) => field,
                other => panic!("{other:?}"),
            };
        assert_eq!(field(&[("from", "soon")]), "from");
        assert_eq!(field(&[("from", "2026-02-01"), ("to", "2026-01-01")]), "to");
        assert_eq!(field(&[("period", "year")]), "period");
        assert_eq!(field(&[("channel", "pigeon")]), "channel");
    }

    #[test]
    fn persian_weeks_start_on_saturday() {
        let now: Timestamp = "2026-01-07T12:00:00Z".parse().unwrap(); // a Wednesday
        let v = View::parse(&q(&[("period", "week")]), now, Lang::Fa, &TimeZone::UTC).unwrap();
        assert_eq!(v.from.to_string(), "2026-01-03T00:00:00Z");
        let v = View::parse(
            &q(&[("from", "2025-09-01"), ("to", "2025-12-31")]),
            now,
            Lang::Fa,
            &TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(v.bucket, Dimension::Week);
        assert_eq!(v.buckets()[0], "2025-08-30");
    }
}
