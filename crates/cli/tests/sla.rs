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
