//! `sanjeh sla …` end to end on every backend: policies and calendars recorded as events, a
//! ticket's targets, overdue tickets, bad files refused naming the field.

use std::path::Path;
use std::process::{Command, Output};

fn sanjeh(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sanjeh"))
        .args(["--database", db])
        .args(args)
        .env_remove("SANJEH_DATABASE_URL")
        .env("SANJEH_LOG", "warn")
        .output()
        .expect("run sanjeh")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "sanjeh failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.to_string_lossy().into_owned()
}

const POLICIES: &str = r#"{"policies":[{"id":"std","name":"Standard","targets":{"normal":{"first_reply":{"minutes":60},"resolution":{"minutes":480,"hours":"calendar"}}}}]}"#;

const CALENDARS: &str = r#"{"default":{"time_zone":"UTC","intervals":[{"day":"monday","start":"09:00","end":"17:00"},{"day":"tuesday","start":"09:00","end":"17:00"}]},"groups":{"night":{"time_zone":"UTC","intervals":[{"day":"monday","start":"00:00","end":"24:00"}]}}}"#;

// Tickets after the policies take effect (now): 2030-01-07 is a Monday.
const TICKETS: &str = r#"{"type":"ticket.created","at":"2030-01-07T09:00:00Z","ticket":"T-1","customer":"C-1"}
{"type":"ticket.created","at":"2030-01-07T09:00:00Z","ticket":"T-2","customer":"C-2"}
{"type":"ticket.message","at":"2030-01-07T09:30:00Z","ticket":"T-1","author":"agent:A-1","body":"Hello"}
{"type":"ticket.created","at":"2030-01-07T20:00:00Z","ticket":"N-1","customer":"C-3","group":"night"}
"#;

#[tokio::test]
async fn policies_and_calendars_set_show_status_and_overdue() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write(dir.path(), "policies.json", POLICIES);
    let calendars = write(dir.path(), "calendars.json", CALENDARS);
    let tickets = write(dir.path(), "tickets.jsonl", TICKETS);
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"policies":[{"id":"p","name":"x","targets":{"normal":{"first_reply":{"minutes":0}}}}]}"#,
    );
    let bad_tz = write(
        dir.path(),
        "bad-calendars.json",
        r#"{"groups":{"billing":{"time_zone":"Mars/Olympus","intervals":[]}}}"#,
    );
    for db in sanjeh_testkit::fresh_databases().await {
        let db = &db.url;
        assert!(ok(sanjeh(db, &["sla", "policies", "show"])).contains("no SLA policies"));
        ok(sanjeh(db, &["sla", "calendars", "set", &calendars]));
        ok(sanjeh(db, &["sla", "policies", "set", &policies]));
        let shown = ok(sanjeh(db, &["sla", "policies", "show"]));
        assert!(shown.contains("\"std\""), "{shown}");

        let refused = sanjeh(db, &["sla", "policies", "set", &bad]);
        assert_eq!(refused.status.code(), Some(65));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("policies[0].targets.normal.first_reply.minutes"),
            "{stderr}"
        );
        let refused = sanjeh(db, &["sla", "calendars", "set", &bad_tz]);
        assert_eq!(refused.status.code(), Some(65));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("groups.billing.time_zone"));
        assert!(ok(sanjeh(db, &["sla", "policies", "show"])).contains("\"std\""));

        ok(sanjeh(db, &["import", &tickets]));
        let t1 = ok(sanjeh(
            db,
            &["sla", "status", "T-1", "--at", "2030-01-07T10:00:00Z"],
        ));
        assert!(
            t1.contains("first_reply\tstd\t60 min business\tachieved"),
            "{t1}"
        );
        assert!(
            t1.contains("resolution\tstd\t480 min calendar\tactive\tdue 2030-01-07T17:00:00Z"),
            "{t1}"
        );
        // Business hours of the night group: round the clock on Mondays.
        let n1 = ok(sanjeh(
            db,
            &[
                "sla",
                "status",
                "N-1",
                "--at",
                "2030-01-07T20:00:00Z",
                "--json",
            ],
        ));
        let n1: serde_json::Value = serde_json::from_str(&n1).unwrap();
        let first = n1
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["metric"] == "first_reply")
            .unwrap();
        assert_eq!(first["due_at"], jiff_ms("2030-01-07T21:00:00Z"), "{n1}");

        let overdue = ok(sanjeh(
            db,
            &["sla", "overdue", "--at", "2030-01-07T10:30:00Z"],
        ));
        assert_eq!(
            overdue, "T-2\tfirst_reply\tstd\tdue 2030-01-07T10:00:00Z\n",
            "T-1 was answered in time"
        );
        let missing = sanjeh(db, &["sla", "status", "T-404"]);
        assert_eq!(missing.status.code(), Some(64));
    }
}

fn jiff_ms(s: &str) -> serde_json::Value {
    let ts: jiff::Timestamp = s.parse().unwrap();
    serde_json::Value::from(ts.as_millisecond())
}

#[tokio::test]
async fn schedules_and_holidays_added_imported_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let calendars = write(dir.path(), "calendars.json", CALENDARS);
    let moscow = write(
        dir.path(),
        "moscow.json",
        &serde_json::to_string(&sanjeh_calendar::Schedule::russia_office()).unwrap(),
    );
    let ics = write(
        dir.path(),
        "ru.ics",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Labour day\nDTSTART;VALUE=DATE:20300501\nEND:VEVENT\nEND:VCALENDAR\n",
    );
    let bad_ics = write(
        dir.path(),
        "bad.ics",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20300501\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR\n",
    );
    for db in sanjeh_testkit::fresh_databases().await {
        let db = &db.url;
        let none = sanjeh(db, &["sla", "calendars", "holidays", "list", "default"]);
        assert_eq!(none.status.code(), Some(64));
        ok(sanjeh(db, &["sla", "calendars", "set", &calendars]));
        ok(sanjeh(
            db,
            &["sla", "calendars", "schedule", "billing", &moscow],
        ));
        let add = |args: &[&str]| {
            let mut all = vec!["sla", "calendars", "holidays", "add"];
            all.extend_from_slice(args);
            sanjeh(db, &all)
        };
        // Nowruz, yearly in the Jalali calendar, and a Gregorian range.
        ok(add(&[
            "default", "01-01", "--end", "01-04", "--in", "jalali", "--yearly", "--name", "Nowruz",
        ]));
        ok(add(&["default", "2030-12-24", "--end", "2030-12-26"]));
        let again = ok(add(&["default", "2030-12-24", "--end", "2030-12-26"]));
        assert!(again.contains("nothing recorded"), "{again}");
        let bad = add(&["default", "1409-13-01", "--in", "jalali"]);
        assert_eq!(bad.status.code(), Some(64));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("date: expected a Jalali date"));
        ok(sanjeh(
            db,
            &[
                "sla",
                "calendars",
                "holidays",
                "import-ics",
                "billing",
                &ics,
            ],
        ));
        let refused = sanjeh(
            db,
            &[
                "sla",
                "calendars",
                "holidays",
                "import-ics",
                "billing",
                &bad_ics,
            ],
        );
        assert_eq!(refused.status.code(), Some(64));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("line 4"));

        let listed: serde_json::Value = serde_json::from_str(&ok(sanjeh(
            db,
            &["sla", "calendars", "holidays", "list", "default"],
        )))
        .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
        assert_eq!(listed[0]["calendar"], "jalali");
        ok(sanjeh(
            db,
            &[
                "sla",
                "calendars",
                "holidays",
                "remove",
                "default",
                "01-01",
                "--in",
                "jalali",
            ],
        ));
        let gone = sanjeh(
            db,
            &[
                "sla",
                "calendars",
                "holidays",
                "remove",
                "default",
                "01-01",
                "--in",
                "jalali",
            ],
        );
        assert_eq!(gone.status.code(), Some(64));

        let shown: serde_json::Value =
            serde_json::from_str(&ok(sanjeh(db, &["sla", "calendars", "show"]))).unwrap();
        assert_eq!(
            shown["default"]["holidays"].as_array().unwrap().len(),
            1,
            "{shown}"
        );
        assert_eq!(shown["groups"]["billing"]["time_zone"], "Europe/Moscow");
        assert_eq!(
            shown["groups"]["billing"]["holidays"][0]["date"],
            "2030-05-01"
        );
        assert!(
            shown["groups"]["night"].is_object(),
            "the other group is kept"
        );
    }
}

/// The worked examples of docs/sla.md ("Pausing, worked in three offices"): New York across a
/// DST change, Tehran across a national holiday, Moscow on a transferred working Saturday.
#[tokio::test]
async fn pausing_in_three_offices() {
    let events = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sla_three_offices.jsonl"
    );
    for db in sanjeh_testkit::fresh_databases().await {
        let db = &db.url;
        ok(sanjeh(db, &["import", events]));
        for (ticket, at, due) in [
            ("EN-1", "2024-03-11T15:00:00Z", "2024-03-12T13:30:00Z"),
            ("FA-1", "2024-05-04T07:00:00Z", "2024-05-05T12:00:00Z"),
            ("RU-1", "2024-04-27T08:00:00Z", "2024-04-27T14:00:00Z"),
        ] {
            let out = ok(sanjeh(db, &["sla", "status", ticket, "--at", at, "--json"]));
            let targets: serde_json::Value = serde_json::from_str(&out).unwrap();
            let target = |m: &str| {
                targets
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["metric"] == m)
                    .cloned()
                    .unwrap_or_else(|| panic!("{ticket}: no {m} in {targets}"))
            };
            assert_eq!(
                target("first_reply")["state"],
                "achieved",
                "{ticket}: {targets}"
            );
            let resolution = target("resolution");
            assert_eq!(resolution["state"], "active", "{ticket}: {targets}");
            assert_eq!(resolution["due_at"], jiff_ms(due), "{ticket}: {targets}");
        }
    }
}

#[tokio::test]
async fn escalation_and_alert_rules_set_show_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let escalation = write(
        dir.path(),
        "escalation.json",
        r#"{"rules":[{"id":"breach","name":"First reply breached","level":2,
            "when":{"metric":"first_reply"},
            "actions":[{"type":"raise_priority","to":"urgent"},{"type":"reassign","group":"tier2"}]}]}"#,
    );
    let bad_escalation = write(
        dir.path(),
        "bad-escalation.json",
        r#"[{"id":"near","name":"x","level":1,"when":{"metric":"first_reply","at_percent":175},
            "actions":[{"type":"in_app","assignee":true}]}]"#,
    );
    let alerts = write(
        dir.path(),
        "alerts.json",
        r#"[{"id":"busy","kpi":"ticket_volume","op":">","threshold":1,"window_minutes":60,
             "repeat_minutes":10,"notify":[{"type":"in_app","agents":["A-1"]},
             {"type":"webhook","url":"https://ops.example.com/hook","secret":"cli-secret-0123456789"}]}]"#,
    );
    let bad_alerts = write(
        dir.path(),
        "bad-alerts.json",
        r#"{"rules":[{"id":"x","kpi":"happiness","op":">","threshold":1,"window_minutes":60,
             "notify":[{"type":"in_app","agents":["A-1"]}]}]}"#,
    );
    let not_rules = write(dir.path(), "not-rules.json", r#"{"policies":[]}"#);
    for db in sanjeh_testkit::fresh_databases().await {
        let db = &db.url;
        let shown: serde_json::Value =
            serde_json::from_str(&ok(sanjeh(db, &["sla", "escalation", "show"]))).unwrap();
        assert_eq!(shown["rules"], serde_json::json!([]));

        ok(sanjeh(db, &["sla", "escalation", "set", &escalation]));
        let shown: serde_json::Value =
            serde_json::from_str(&ok(sanjeh(db, &["sla", "escalation", "show"]))).unwrap();
        assert_eq!(shown["rules"][0]["id"], "breach", "{shown}");
        assert!(shown["since"].is_string());

        let refused = sanjeh(db, &["sla", "escalation", "set", &bad_escalation]);
        assert_eq!(refused.status.code(), Some(65));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("rules[0].when.at_percent"), "{stderr}");
        let refused = sanjeh(db, &["sla", "escalation", "set", &not_rules]);
        assert_eq!(refused.status.code(), Some(65));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("policies"), "{stderr}");

        ok(sanjeh(db, &["sla", "alerts", "set", &alerts]));
        let refused = sanjeh(db, &["sla", "alerts", "set", &bad_alerts]);
        assert_eq!(refused.status.code(), Some(65));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("rules[0].kpi"));
        let shown: serde_json::Value =
            serde_json::from_str(&ok(sanjeh(db, &["sla", "alerts", "show"]))).unwrap();
        assert_eq!(shown["rules"][0]["kpi"], "ticket_volume", "{shown}");
        // The webhook's secret is stored apart: shown and exported by its id only.
        let hook = &shown["rules"][0]["notify"][1];
        assert!(
            hook["secret_id"].as_str().unwrap().starts_with("whsec_"),
            "{shown}"
        );
        assert!(
            !shown.to_string().contains("cli-secret-0123456789"),
            "{shown}"
        );
        let exported = ok(sanjeh(db, &["export", "--format", "events"]));
        assert!(exported.contains("alert.rules"));
        assert!(!exported.contains("cli-secret-0123456789"));
        // Not evaluated yet (no server ran): the state is unknown, with no history.
        let status: serde_json::Value =
            serde_json::from_str(&ok(sanjeh(db, &["sla", "alerts", "status"]))).unwrap();
        assert_eq!(status["items"][0]["rule"], "busy", "{status}");
        assert_eq!(status["items"][0]["state"], "unknown", "{status}");
        assert_eq!(status["items"][0]["history"], serde_json::json!([]));
    }
}
