//! Languages: English, Persian and Russian from Fluent catalogues (`locales/*/main.ftl`,
//! compiled into the binary), with each language's digits, number separators, dates and
//! direction.
//!
//! Every user-facing string comes from a catalogue. Numbers are formatted here (Fluent does not
//! localise digits), then handed to messages as text; plural selection gets the number itself
//! as `$count`, so Russian picks one/few/many and the display still shows Persian digits.
//! Persian dates are Jalali (ICU4X's arithmetic Persian calendar), with the Gregorian date
//! for a `title` on hover.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use icu_calendar::{Date, cal::Persian};
use jiff::Timestamp;
use jiff::civil::Weekday;
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fa,
    Ru,
}

static EN: LanguageIdentifier = langid!("en");
static FA: LanguageIdentifier = langid!("fa");
static RU: LanguageIdentifier = langid!("ru");

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fa, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
            Lang::Ru => "ru",
        }
    }

    pub fn parse(raw: &str) -> Option<Lang> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fa" => Some(Lang::Fa),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// `rtl` for Persian, `ltr` otherwise.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Fa => "rtl",
            _ => "ltr",
        }
    }

    /// The first day of the week: Saturday in Iran, Monday otherwise.
    pub fn week_start(self) -> Weekday {
        sanjeh_metrics::week_start_for_language(self.code())
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Fa => &FA,
            Lang::Ru => &RU,
        }
    }

    /// The best supported language in an `Accept-Language` header (English if none fits).
    pub fn negotiate(header: Option<&str>) -> Lang {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (pos, item) in header.unwrap_or("").split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            let Some(lang) = Lang::parse(primary) else {
                continue;
            };
            if q <= 0.0 {
                continue;
            }
            // Highest q wins; on a tie, the one listed first.
            if best.is_none_or(|(bq, bpos, _)| q > bq || (q == bq && pos < bpos)) {
                best = Some((q, pos, lang));
            }
        }
        best.map_or(Lang::En, |(_, _, l)| l)
    }

    /// The message `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message `key` with text arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// The message `key` for a count: `$count` selects the plural form, `$n` is the count
    /// written in this language's digits.
    pub fn t_count(self, key: &str, count: u64) -> String {
        let mut map: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        map.insert(Cow::Borrowed("count"), FluentValue::from(count));
        map.insert(
            Cow::Borrowed("n"),
            FluentValue::from(self.int(count as i64)),
        );
        LOCALES.lookup_with_args(self.id(), key, &map)
    }

    /// Replaces ASCII digits and separators with this language's.
    pub fn digits(self, ascii: &str) -> String {
        match self {
            Lang::En => ascii.to_owned(),
            Lang::Ru => ascii
                .chars()
                .map(|c| match c {
                    '.' => ',',
                    ',' => '\u{a0}',
                    c => c,
                })
                .collect(),
            Lang::Fa => ascii
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(0x06F0 + (c as u32 - '0' as u32)).unwrap_or(c),
                    '.' => '\u{066B}',
                    ',' => '\u{066C}',
                    '-' => '\u{2212}',
                    '%' => '\u{066A}',
                    c => c,
                })
                .collect(),
        }
    }

    /// An integer with thousands separators, in this language's digits.
    pub fn int(self, n: i64) -> String {
        let raw = n.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in raw.chars().enumerate() {
            if i > 0 && (raw.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if n < 0 {
            grouped.insert(0, '-');
        }
        self.digits(&grouped)
    }

    /// A number with `decimals` places, in this language's digits.
    pub fn number(self, x: f64, decimals: usize) -> String {
        let raw = format!("{:.*}", decimals, x.abs());
        let (int, frac) = raw.split_once('.').unwrap_or((raw.as_str(), ""));
        let mut out = self.int(int.parse::<i64>().unwrap_or(0));
        if x < 0.0 && raw.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.insert_str(0, &self.digits("-"));
        }
        if !frac.is_empty() {
            out.push_str(&self.digits("."));
            out.push_str(&self.digits(frac));
        }
        out
    }

    /// A fraction as a percentage with one decimal.
    pub fn percent(self, fraction: f64) -> String {
        self.t_args("percent", &[("value", self.number(fraction * 100.0, 1))])
    }

    /// A duration in seconds, to the minute (or second, under a minute).
    pub fn duration(self, seconds: f64) -> String {
        let s = seconds.max(0.0).round() as u64;
        if s < 60 {
            return self.t_args("duration-s", &[("s", self.int(s as i64))]);
        }
        let minutes = s / 60;
        if minutes < 60 {
            return self.t_args("duration-m", &[("m", self.int(minutes as i64))]);
        }
        let (h, m) = (minutes / 60, minutes % 60);
        if h < 48 {
            return self.t_args(
                "duration-hm",
                &[("h", self.int(h as i64)), ("m", self.int(m as i64))],
            );
        }
        self.t_args(
            "duration-dh",
            &[
                ("d", self.int((h / 24) as i64)),
                ("h", self.int((h % 24) as i64)),
            ],
        )
    }

    /// An instant as a date and time in `tz`, in this language's calendar.
    pub fn datetime(self, ms: i64, tz: &jiff::tz::TimeZone) -> DateText {
        let Ok(ts) = Timestamp::from_millisecond(ms) else {
            return DateText::default();
        };
        let zoned = ts.to_zoned(tz.clone());
        let date = zoned.date();
        let time = format!("{:02}:{:02}", zoned.hour(), zoned.minute());
        let gregorian = format!("{date} {time}");
        let text = match self {
            Lang::Fa => match jalali(date) {
                Some((y, m, d)) => {
                    let month = self.t(&format!("jalali-month-{m}"));
                    self.t_args(
                        "date-time",
                        &[
                            ("day", self.digits(&d.to_string())),
                            ("month", month),
                            ("year", self.digits(&y.to_string())),
                            ("time", self.digits(&time)),
                        ],
                    )
                }
                None => self.digits(&gregorian),
            },
            _ => {
                let month = self.t(&format!("month-{}", date.month()));
                self.t_args(
                    "date-time",
                    &[
                        ("day", date.day().to_string()),
                        ("month", month),
                        ("year", date.year().to_string()),
                        ("time", time),
                    ],
                )
            }
        };
        DateText {
            text,
            title: gregorian,
            iso: zoned.timestamp().to_string(),
        }
    }
}

/// A date as shown (`text`), with the Gregorian date for a hover `title` and the instant for
/// `<time datetime>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateText {
    pub text: String,
    pub title: String,
    pub iso: String,
}

/// The Jalali (Solar Hijri) year, month and day of a Gregorian date.
pub fn jalali(date: jiff::civil::Date) -> Option<(i32, u8, u8)> {
    let iso =
        Date::try_new_iso(i32::from(date.year()), date.month() as u8, date.day() as u8).ok()?;
    let persian = iso.to_calendar(Persian::new());
    Some((
        persian.year().extended_year(),
        persian.month().ordinal,
        persian.day_of_month().0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_accept_language() {
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("fa-IR,fa;q=0.9,en;q=0.8")), Lang::Fa);
        assert_eq!(Lang::negotiate(Some("de, ru;q=0.5, en;q=0.4")), Lang::Ru);
        assert_eq!(Lang::negotiate(Some("en;q=0.2, fa;q=0.7")), Lang::Fa);
        assert_eq!(Lang::negotiate(Some("de-DE")), Lang::En);
    }

    #[test]
    fn jalali_dates() {
        // Nowruz 1405 is 21 March 2026.
        assert_eq!(jalali(jiff::civil::date(2026, 3, 21)), Some((1405, 1, 1)));
        assert_eq!(jalali(jiff::civil::date(2026, 3, 20)), Some((1404, 12, 29)));
        assert_eq!(jalali(jiff::civil::date(2026, 11, 22)), Some((1405, 9, 1)));
    }

    #[test]
    fn persian_digits_and_numbers() {
        assert_eq!(Lang::Fa.int(1234567), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(Lang::Fa.number(12.5, 1), "۱۲٫۵");
        assert_eq!(Lang::En.number(1234.56, 1), "1,234.6");
        assert_eq!(Lang::Ru.number(1234.56, 1), "1\u{a0}234,6");
        assert_eq!(Lang::En.number(0.96, 0), "1");
        assert_eq!(Lang::En.number(9.96, 1), "10.0");
    }

    #[test]
    fn russian_plurals() {
        let strip = |s: String| s.replace(['\u{2068}', '\u{2069}'], "");
        assert_eq!(strip(Lang::Ru.t_count("tickets-count", 1)), "1 обращение");
        assert_eq!(strip(Lang::Ru.t_count("tickets-count", 3)), "3 обращения");
        assert_eq!(strip(Lang::Ru.t_count("tickets-count", 5)), "5 обращений");
        assert_eq!(strip(Lang::Ru.t_count("tickets-count", 21)), "21 обращение");
        assert_eq!(strip(Lang::En.t_count("tickets-count", 1)), "1 ticket");
        assert_eq!(strip(Lang::Fa.t_count("tickets-count", 12)), "۱۲ تیکت");
    }

    #[test]
    fn persian_date_with_gregorian_title() {
        let ms = jiff::civil::date(2026, 3, 21)
            .at(9, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        let d = Lang::Fa.datetime(ms, &jiff::tz::TimeZone::UTC);
        let text = d.text.replace(['\u{2068}', '\u{2069}'], "");
        assert!(text.contains("۱۴۰۵"), "{text}");
        assert!(text.contains("فروردین"), "{text}");
        assert_eq!(d.title, "2026-03-21 09:30");
    }

    #[test]
    fn every_key_exists_in_every_language() {
        fn keys(ftl: &str) -> Vec<&str> {
            ftl.lines()
                .filter(|l| !l.starts_with([' ', '#', '*', '[']) && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap_or("").trim())
                .collect()
        }
        let en = keys(include_str!("../locales/en/main.ftl"));
        for (code, ftl) in [
            ("fa", include_str!("../locales/fa/main.ftl")),
            ("ru", include_str!("../locales/ru/main.ftl")),
        ] {
            let other = keys(ftl);
            for key in &en {
                assert!(other.contains(key), "{key} is missing in {code}");
            }
        }
        for lang in Lang::ALL {
            assert!(!lang.t("signin-title").starts_with("Unknown"));
        }
    }
}
