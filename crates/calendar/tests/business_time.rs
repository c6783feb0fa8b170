//! Business-time answers on the three calendars Sanjeh is built for, DST and tz rule changes,
//! edge cases and validation.

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};
use sanjeh_calendar::{
    BusinessCalendar, Calendars, CalendarsConfig, DateCalendar, DayInterval, Holiday, Schedule,
    Weekday, WeeklyInterval, WorkingDay, parse_ics, tz_database,
};

/// A local wall-clock time in `zone` (compatible disambiguation), as an instant.
fn at(zone: &str, local: &str) -> Timestamp {
    let tz: TimeZone = tz_database().get(zone).unwrap();
    let dt: DateTime = local.parse().unwrap();
    tz.to_ambiguous_timestamp(dt).compatible().unwrap()
}

fn cal(s: Schedule) -> BusinessCalendar {
    BusinessCalendar::new(s).unwrap()
}

const H: i64 = 3600;

#[test]
fn iran_saturday_to_wednesday_thursday_half_day_and_nowruz() {
    let c = cal(Schedule::iran_office());
    let z = "Asia/Tehran";
    // Wednesday 12:00 + 6 h: 4 h on Wednesday, 2 h on the Thursday half day.
    assert_eq!(
        c.add_business_seconds(at(z, "2024-05-01T12:00"), 6 * H),
        Some(at(z, "2024-05-02T10:00"))
    );
    // Thursday ends at 13:00, Friday is the weekend and Saturday 4 May 2024 a national
    // holiday, so the second hour is worked on Sunday the 5th.
    assert_eq!(
        c.add_business_seconds(at(z, "2024-05-02T12:00"), 2 * H),
        Some(at(z, "2024-05-05T09:00"))
    );
    assert_eq!(
        c.next_opening(at(z, "2024-05-03T10:00")),
        Some(at(z, "2024-05-05T08:00"))
    );
    // Monday 18 March 2024 14:00 + 4 h: 2 h on Monday, then 19 March (oil nationalisation
    // day) and Nowruz 20–23 March are off, Thursday/Friday fall inside them: Sunday 24th 10:00.
    assert_eq!(
        c.add_business_seconds(at(z, "2024-03-18T14:00"), 4 * H),
        Some(at(z, "2024-03-24T10:00"))
    );
    assert!(!c.is_in_hours(at(z, "2024-03-20T10:00")));
    assert_eq!(
        c.business_seconds_between(at(z, "2024-03-18T08:00"), at(z, "2024-03-25T08:00")),
        8 * H + 8 * H
    );
}

#[test]
fn nowruz_entered_in_jalali_lands_on_different_gregorian_days() {
    let mut s = Schedule::weekly("Asia/Tehran", &Weekday::ALL, "08:00", "16:00");
    s.holidays.push(Holiday {
        name: "Nowruz".into(),
        date: "01-01".into(),
        end: Some("01-04".into()),
        calendar: DateCalendar::Jalali,
        yearly: true,
    });
    s.holidays.push(Holiday {
        calendar: DateCalendar::Jalali,
        ..Holiday::on("1403-01-13")
    });
    let c = cal(s);
    let z = "Asia/Tehran";
    assert!(c.is_in_hours(at(z, "2024-03-19T10:00")));
    assert!(!c.is_in_hours(at(z, "2024-03-20T10:00"))); // 1 Farvardin 1403
    assert!(!c.is_in_hours(at(z, "2024-03-23T10:00")));
    assert!(c.is_in_hours(at(z, "2024-03-24T10:00")));
    assert!(c.is_in_hours(at(z, "2025-03-20T10:00"))); // 30 Esfand 1403
    assert!(!c.is_in_hours(at(z, "2025-03-21T10:00"))); // 1 Farvardin 1404
    assert!(!c.is_in_hours(at(z, "2024-04-01T10:00"))); // 13 Farvardin 1403
    assert!(c.is_in_hours(at(z, "2025-04-02T10:00"))); // single-day, not yearly
}

#[test]
fn russia_transferred_working_saturday() {
    let c = cal(Schedule::russia_office());
    let z = "Europe/Moscow";
    // Saturday 27 April 2024 is worked; 29–30 April and 1 May are days off.
    assert!(c.is_in_hours(at(z, "2024-04-27T12:00")));
    assert_eq!(
        c.add_business_seconds(at(z, "2024-04-26T17:00"), 2 * H),
        Some(at(z, "2024-04-27T10:00"))
    );
    assert_eq!(
        c.next_opening(at(z, "2024-04-27T18:00")),
        Some(at(z, "2024-05-02T09:00"))
    );
    // An ordinary Saturday is not.
    assert!(!c.is_in_hours(at(z, "2024-05-04T12:00")));
    // Hand-entered working day with its own hours wins over a holiday.
    let mut s = Schedule::russia_office();
    s.working_days.push(WorkingDay {
        name: "stock-taking".into(),
        date: "2024-05-01".into(),
        calendar: DateCalendar::Gregorian,
        intervals: vec![DayInterval {
            start: "10:00".into(),
            end: "14:00".into(),
            crosses_midnight: false,
        }],
    });
    let c = cal(s);
    assert_eq!(
        c.business_seconds_between(at(z, "2024-05-01T00:00"), at(z, "2024-05-02T00:00")),
        4 * H
    );
}

#[test]
fn dst_days_keep_nine_to_five_at_eight_hours() {
    for (zone, spring, autumn) in [
        ("Europe/Berlin", "2024-03-31", "2024-10-27"),
        ("America/New_York", "2024-03-10", "2024-11-03"),
    ] {
        let c = cal(Schedule::weekly(zone, &Weekday::ALL, "09:00", "17:00"));
        for day in [spring, autumn] {
            let from = at(zone, &format!("{day}T00:00"));
            let to = at(zone, &format!("{day}T23:59:59"));
            assert_eq!(c.business_seconds_between(from, to), 8 * H, "{zone} {day}");
            assert_eq!(
                c.add_business_seconds(from, 8 * H),
                Some(at(zone, &format!("{day}T17:00")))
            );
        }
    }
    // Around the clock, business time is elapsed time: the spring-forward weekend has 47 h.
    let c = cal(Schedule::always_open("Europe/Berlin"));
    assert_eq!(
        c.business_seconds_between(
            at("Europe/Berlin", "2024-03-30T00:00"),
            at("Europe/Berlin", "2024-04-01T00:00")
        ),
        47 * H
    );
}

#[test]
fn intervals_touching_the_skipped_or_repeated_hour_count_elapsed_time() {
    let z = "America/New_York";
    // 01:00–03:00 on the spring-forward day: 02:00–03:00 does not exist, 1 h elapses.
    let c = cal(Schedule::weekly(z, &Weekday::ALL, "01:00", "03:00"));
    assert_eq!(
        c.business_seconds_between(at(z, "2024-03-10T00:00"), at(z, "2024-03-10T12:00")),
        H
    );
    // 02:30–04:00 that day: 02:30 is read as 03:30 EDT (the offset before the gap).
    let c = cal(Schedule::weekly(z, &Weekday::ALL, "02:30", "04:00"));
    assert_eq!(
        c.next_opening(at(z, "2024-03-10T00:00")),
        Some(at(z, "2024-03-10T03:30"))
    );
    assert_eq!(
        c.business_seconds_between(at(z, "2024-03-10T00:00"), at(z, "2024-03-10T12:00")),
        H / 2
    );
    // 00:00–02:00 on the fall-back day: 01:00–02:00 happens twice, 3 h elapse.
    let c = cal(Schedule::weekly(z, &Weekday::ALL, "00:00", "02:00"));
    assert_eq!(
        c.business_seconds_between(at(z, "2024-11-03T00:00"), at(z, "2024-11-03T12:00")),
        3 * H
    );
    // An opening inside the repeated hour is its first occurrence (EDT).
    let c = cal(Schedule::weekly(z, &Weekday::ALL, "01:30", "03:00"));
    assert_eq!(
        c.next_opening(at(z, "2024-11-03T00:00"))
            .unwrap()
            .as_second(),
        1_730_611_800
    );
}

#[test]
fn time_zone_rule_changes() {
    // Tehran dropped DST in 2022: 08:00 was 03:30 UTC in June 2021, is 04:30 UTC in June 2023.
    let c = cal(Schedule::weekly(
        "Asia/Tehran",
        &Weekday::ALL,
        "08:00",
        "16:00",
    ));
    assert_eq!(
        c.next_opening("2021-06-01T00:00Z".parse().unwrap()),
        Some("2021-06-01T03:30Z".parse().unwrap())
    );
    assert_eq!(
        c.next_opening("2023-06-01T00:00Z".parse().unwrap()),
        Some("2023-06-01T04:30Z".parse().unwrap())
    );
    // Moscow: UTC+3 with DST until 2011, UTC+4 2011–2014, UTC+3 since.
    let c = cal(Schedule::weekly(
        "Europe/Moscow",
        &Weekday::ALL,
        "09:00",
        "18:00",
    ));
    assert_eq!(
        c.next_opening("2010-01-12T00:00Z".parse().unwrap()),
        Some("2010-01-12T06:00Z".parse().unwrap())
    );
    assert_eq!(
        c.next_opening("2012-01-12T00:00Z".parse().unwrap()),
        Some("2012-01-12T05:00Z".parse().unwrap())
    );
    assert_eq!(
        c.next_opening("2015-01-12T00:00Z".parse().unwrap()),
        Some("2015-01-12T06:00Z".parse().unwrap())
    );
    // 26 Oct 2014 had a 25 h day; 24/7 counts it.
    let c = cal(Schedule::always_open("Europe/Moscow"));
    let z = "Europe/Moscow";
    assert_eq!(
        c.business_seconds_between(at(z, "2014-10-26T00:00"), at(z, "2014-10-27T00:00")),
        25 * H
    );
}

#[test]
fn night_shift_belongs_to_the_day_it_starts() {
    let mut s = Schedule::weekly("Europe/Berlin", &[], "09:00", "17:00");
    s.intervals.push(WeeklyInterval {
        day: Weekday::Friday,
        start: "22:00".into(),
        end: "06:00".into(),
        crosses_midnight: true,
    });
    let z = "Europe/Berlin";
    let c = cal(s.clone());
    assert!(c.is_in_hours(at(z, "2024-06-08T03:00"))); // Saturday
    assert_eq!(
        c.business_seconds_between(at(z, "2024-06-07T00:00"), at(z, "2024-06-09T00:00")),
        8 * H
    );
    assert_eq!(
        c.add_business_seconds(at(z, "2024-06-08T05:00"), 2 * H),
        Some(at(z, "2024-06-14T23:00"))
    );
    s.holidays.push(Holiday::on("2024-06-08")); // Saturday off: Friday's shift still runs
    s.holidays.push(Holiday::on("2024-06-14")); // Friday off: its shift is cancelled
    let c = cal(s);
    assert!(c.is_in_hours(at(z, "2024-06-08T03:00")));
    assert!(!c.is_in_hours(at(z, "2024-06-15T03:00")));
}

#[test]
fn zero_negative_and_never() {
    let z = "America/New_York";
    let c = cal(Schedule::weekly(z, &Weekday::ALL[..5], "09:00", "17:00"));
    let fri_evening = at(z, "2024-06-07T19:00");
    assert_eq!(
        c.add_business_seconds(fri_evening, 0),
        Some(at(z, "2024-06-10T09:00"))
    );
    let inside = at(z, "2024-06-07T10:00");
    assert_eq!(c.add_business_seconds(inside, 0), Some(inside));
    assert_eq!(c.add_business_seconds(inside, -1), None);
    // 7 h from 10:00 lands at Friday's close, not Monday's opening.
    assert_eq!(
        c.add_business_seconds(inside, 7 * H),
        Some(at(z, "2024-06-07T17:00"))
    );
    assert_eq!(c.business_seconds_between(inside, fri_evening), 7 * H);
    assert_eq!(c.business_seconds_between(fri_evening, inside), 0);
    let never = cal(Schedule {
        intervals: vec![],
        ..Schedule::default()
    });
    assert_eq!(never.next_opening(inside), None);
    assert_eq!(never.add_business_seconds(inside, 1), None);
    assert_eq!(c.add_business_seconds(inside, i64::MAX), None);
    // Sub-second inputs are floored to the second.
    let frac = inside
        .checked_add(jiff::SignedDuration::from_millis(1500))
        .unwrap();
    assert_eq!(c.business_seconds_between(inside, frac), 1);
}

#[test]
fn long_spans_and_far_years() {
    let z = "Europe/Berlin";
    let c = cal(Schedule::weekly(z, &Weekday::ALL[..5], "09:00", "17:00"));
    // 2000-01-03 (Monday) … 2030-01-07 (Monday): 1566 weeks of 40 h.
    let (a, b) = (at(z, "2000-01-03T00:00"), at(z, "2030-01-07T00:00"));
    assert_eq!(c.business_seconds_between(a, b), 1566 * 40 * H);
    assert_eq!(
        c.add_business_seconds(a, 1566 * 40 * H),
        Some(at(z, "2030-01-04T17:00"))
    );
    // Outside the cached 1900–2200 window the answers are the same kind.
    for year in [1850, 2500, 9000] {
        let d = jiff::civil::date(year, 6, 1);
        let monday = d - jiff::Span::new().days(d.weekday().to_monday_zero_offset());
        let from = at(z, &format!("{monday}T00:00"));
        let to = at(z, &format!("{}T00:00", monday + jiff::Span::new().days(7)));
        assert_eq!(c.business_seconds_between(from, to), 40 * H, "{year}");
    }
    assert_eq!(
        c.business_seconds_between(Timestamp::MIN, Timestamp::MIN),
        0
    );
    assert!(c.next_opening(Timestamp::MAX).is_none());
}

#[test]
fn validation_names_the_field() {
    let mut s = Schedule::default();
    s.intervals[2].end = "08:00".into();
    let e = BusinessCalendar::new(s).unwrap_err();
    assert_eq!(e.field, "intervals[2].end");
    assert_eq!(
        e.to_string(),
        "intervals[2].end: must be after start unless crossing midnight is intended (set crosses_midnight: true)"
    );
    let e = BusinessCalendar::new(Schedule {
        time_zone: "Mars/Olympus".into(),
        ..Schedule::default()
    })
    .unwrap_err();
    assert_eq!(e.field, "time_zone");
    let mut s = Schedule::default();
    s.holidays.push(Holiday {
        calendar: DateCalendar::Jalali,
        ..Holiday::on("1402-12-30")
    });
    assert_eq!(
        BusinessCalendar::new(s).unwrap_err().field,
        "holidays[0].date"
    );
    let mut s = Schedule::default();
    s.working_days.push(WorkingDay {
        name: String::new(),
        date: "2024-13-01".into(),
        calendar: DateCalendar::Gregorian,
        intervals: vec![],
    });
    assert_eq!(
        BusinessCalendar::new(s).unwrap_err().field,
        "working_days[0].date"
    );
}

#[test]
fn schedules_are_json_and_groups_pick_theirs() {
    let json = r#"{
        "default": {"time_zone": "UTC", "intervals": [{"day": "mon", "start": "09:00", "end": "17:00"}]},
        "groups": {
            "iran": {"time_zone": "Asia/Tehran", "national_holidays": ["IR"],
                     "intervals": [{"day": "saturday", "start": "08:00", "end": "16:00"}],
                     "holidays": [{"date": "01-01", "end": "01-04", "calendar": "jalali", "yearly": true}]},
            "night": {"time_zone": "Europe/Berlin",
                      "intervals": [{"day": "friday", "start": "22:00", "end": "06:00", "crosses_midnight": true}]}
        }
    }"#;
    let config: CalendarsConfig = serde_json::from_str(json).unwrap();
    let back: CalendarsConfig =
        serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(back, config);
    let cals = Calendars::from_config(&config).unwrap();
    assert_eq!(
        cals.for_group(Some("iran")).schedule().time_zone,
        "Asia/Tehran"
    );
    assert_eq!(cals.for_group(Some("nobody")).schedule().time_zone, "UTC");
    assert_eq!(cals.for_group(None).schedule().time_zone, "UTC");
    let mut bad = config.clone();
    bad.groups.get_mut("night").unwrap().intervals[0].crosses_midnight = false;
    assert_eq!(
        Calendars::from_config(&bad).unwrap_err().field,
        "groups.night.intervals[0].end"
    );
}

#[test]
fn ics_holidays_feed_a_schedule() {
    let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20250101\nDTEND;VALUE=DATE:20250103\nSUMMARY:New Year\nEND:VEVENT\n\
BEGIN:VEVENT\nDTSTART;VALUE=DATE:20200612\nRRULE:FREQ=YEARLY\nSUMMARY:Russia Day\nEND:VEVENT\nEND:VCALENDAR\n";
    let mut s = Schedule::weekly("Europe/Moscow", &Weekday::ALL, "09:00", "18:00");
    s.holidays = parse_ics(ics).unwrap();
    let c = cal(s);
    let z = "Europe/Moscow";
    assert!(!c.is_in_hours(at(z, "2025-01-02T10:00")));
    assert!(c.is_in_hours(at(z, "2025-01-03T10:00")));
    assert!(!c.is_in_hours(at(z, "2031-06-12T10:00")));
    assert!(c.is_in_hours(at(z, "2019-06-12T10:00")));
}
