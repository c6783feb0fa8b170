//! Properties every schedule must have, over random instants (mostly 2000–2040, some far).

use std::sync::OnceLock;

use jiff::Timestamp;
use proptest::prelude::*;
use sanjeh_calendar::{BusinessCalendar, Holiday, Schedule, Weekday, WeeklyInterval};

fn calendars() -> &'static [BusinessCalendar] {
    static CALS: OnceLock<Vec<BusinessCalendar>> = OnceLock::new();
    CALS.get_or_init(|| {
        let mut night = Schedule::weekly("Europe/Berlin", &Weekday::ALL[..5], "09:00", "17:00");
        night.intervals.push(WeeklyInterval {
            day: Weekday::Friday,
            start: "22:00".into(),
            end: "06:00".into(),
            crosses_midnight: true,
        });
        night.holidays.push(Holiday {
            yearly: true,
            ..Holiday::on("12-24")
        });
        night.holidays.push(Holiday {
            end: Some("2026-01-06".into()),
            ..Holiday::on("2025-12-20")
        });
        let mut split = Schedule::weekly("America/New_York", &Weekday::ALL[..5], "09:00", "12:00");
        split.intervals.extend(
            Schedule::weekly("America/New_York", &Weekday::ALL[..5], "13:00", "17:00").intervals,
        );
        vec![
            BusinessCalendar::new(Schedule::iran_office()).unwrap(),
            BusinessCalendar::new(Schedule::russia_office()).unwrap(),
            BusinessCalendar::new(night).unwrap(),
            BusinessCalendar::new(split).unwrap(),
            BusinessCalendar::new(Schedule::always_open("Asia/Tehran")).unwrap(),
        ]
    })
}

/// Instants from 2000 to 2040, with 1 in 10 from anywhere in years 1000–9000.
fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![9 => 946_684_800i64..2_208_988_800, 1 => -30_610_224_000i64..221_845_392_000]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn add_then_measure_gives_n(c in 0..5usize, a in instant(), n in 0i64..5_000 * 3600) {
        let cal = &calendars()[c];
        let a = Timestamp::from_second(a).unwrap();
        let due = cal.add_business_seconds(a, n).unwrap();
        prop_assert!(due >= a);
        prop_assert_eq!(cal.business_seconds_between(a, due), n);
        prop_assert!(cal.is_in_hours(due) || n > 0, "n = 0 lands on an opening");
    }

    #[test]
    fn business_time_never_exceeds_calendar_time(c in 0..5usize, a in instant(), d in 0i64..400 * 86_400) {
        let cal = &calendars()[c];
        let (ta, tb) = (Timestamp::from_second(a).unwrap(), Timestamp::from_second(a + d).unwrap());
        let bt = cal.business_seconds_between(ta, tb);
        prop_assert!((0..=d).contains(&bt));
        prop_assert_eq!(cal.business_seconds_between(tb, ta), 0);
    }

    #[test]
    fn additivity(c in 0..5usize, a in instant(), d1 in 0i64..200 * 86_400, d2 in 0i64..200 * 86_400) {
        let cal = &calendars()[c];
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        let (a, b, cc) = (t(a), t(a + d1), t(a + d1 + d2));
        prop_assert_eq!(
            cal.business_seconds_between(a, b) + cal.business_seconds_between(b, cc),
            cal.business_seconds_between(a, cc)
        );
    }

    #[test]
    fn in_hours_matches_a_one_second_window(c in 0..5usize, a in instant()) {
        let cal = &calendars()[c];
        let (t0, t1) = (Timestamp::from_second(a).unwrap(), Timestamp::from_second(a + 1).unwrap());
        prop_assert_eq!(cal.is_in_hours(t0), cal.business_seconds_between(t0, t1) == 1);
        let open = cal.next_opening(t0).unwrap();
        prop_assert!(open >= t0 && cal.is_in_hours(open));
        prop_assert_eq!(cal.business_seconds_between(t0, open), 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The millisecond API agrees with the second one and with itself.
    #[test]
    fn millis_agree_with_seconds(c in 0..5usize, a in 946_684_800_000i64..2_208_988_800_000, d in 0i64..40 * 86_400_000, n in 0i64..500 * 3_600_000) {
        let cal = &calendars()[c];
        let t = |ms: i64| Timestamp::from_millisecond(ms).unwrap();
        let (ta, tb) = (t(a), t(a + d));
        let ms = cal.business_millis_between(ta, tb);
        prop_assert!((0..=d).contains(&ms));
        let whole = |x: i64| x - x.rem_euclid(1000);
        prop_assert_eq!(cal.business_millis_between(t(whole(a)), t(whole(a + d))), cal.business_seconds_between(ta, tb) * 1000);
        let due = cal.add_business_millis(ta, n).unwrap();
        prop_assert_eq!(cal.business_millis_between(ta, due), n);
        prop_assert!(n == 0 || cal.business_millis_between(ta, t(due.as_millisecond() - 1)) == n - 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Bad input is an error, never a panic.
    #[test]
    fn bad_input_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("BEGIN:VEVENT".to_owned()),
                Just("END:VEVENT".to_owned()),
                "(DTSTART|DTEND|DTSTART;VALUE=DATE|RRULE|DURATION|SUMMARY):[0-9A-Za-zé=;:TZ\\\\-]{0,20}",
                "\\PC{0,30}",
            ],
            0..12,
        ),
        time in "\\PC{0,8}",
        date in "[0-9\\-é]{0,12}",
        crosses in any::<bool>(),
    ) {
        let _ = sanjeh_calendar::parse_ics(&lines.join("\r\n"));
        let mut s = Schedule::default();
        s.intervals[0].end = time.clone();
        s.intervals[1].crosses_midnight = crosses;
        s.holidays.push(Holiday { yearly: crosses, ..Holiday::on(&date) });
        s.working_days.push(sanjeh_calendar::WorkingDay {
            name: String::new(),
            date: date.clone(),
            calendar: sanjeh_calendar::DateCalendar::Jalali,
            intervals: vec![],
        });
        if let Ok(cal) = BusinessCalendar::new(s) {
            let t = Timestamp::from_second(1_700_000_000).unwrap();
            let _ = cal.add_business_seconds(t, 3600);
        }
    }
}
