//! The `sanjeh` binary end to end: import, export, rejection of bad input, backup, admin.

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

const HISTORY: &str = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00+03:30","ticket":"T-1","customer":"C-9","channel":"email","subject":"بازپرداخت","tags":["refund"],"vendor_field":{"x":1}}
{"type":"ticket.message","at":"2026-01-05T09:10:00+03:30","ticket":"T-1","author":"agent:A-2","body":"Готово"}
{"type":"ticket.status","at":"2026-01-05T09:11:00+03:30","ticket":"T-1","status":"solved","by":"agent:A-2"}
{"type":"opportunity","at":"2026-01-05T09:12:00Z","ticket":"T-1","agent":"A-2","kind":"upsell","amount":"300.10","currency":"USD","status":"won"}
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn import_export_round_trip_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "history.jsonl", HISTORY);
    for db in sanjeh_testkit::fresh_databases().await {
        let first = sanjeh(&db.url, &["import", "--format", "events", &file]);
        let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
        ok(first);
        assert!(
            stderr.contains("imported 4 events (0 already present)"),
            "{}: {stderr}",
            db.name
        );
        let again = sanjeh(&db.url, &["import", &file]);
        assert!(
            String::from_utf8_lossy(&again.stderr)
                .contains("imported 0 events (4 already present)")
        );
        let exported = ok(sanjeh(&db.url, &["export", "--format", "events"]));
        assert_eq!(
            exported, HISTORY,
            "{}: export writes the lines as they came, unknown fields included",
            db.name
        );
    }
}

#[test]
fn a_bad_line_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let bad = format!(
        "{HISTORY}{}\n",
        r#"{"type":"ticket.status","at":"2026-01-06T00:00:00Z","ticket":"T-1","status":"archived"}"#
    );
    let file = write(dir.path(), "bad.jsonl", &bad);
    let out = sanjeh(&db, &["import", &file]);
    assert_eq!(out.status.code(), Some(65), "bad input data exits 65");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 5: status: unknown status \"archived\""),
        "{stderr}"
    );
    assert_eq!(
        ok(sanjeh(&db, &["export"])),
        "",
        "nothing of the rejected file was committed"
    );
}

#[test]
fn backup_is_a_consistent_copy_and_tokens_are_managed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    ok(sanjeh(
        &db,
        &["import", &write(dir.path(), "h.jsonl", HISTORY)],
    ));
    let copy = dir.path().join("copy.db").to_string_lossy().into_owned();
    ok(sanjeh(&db, &["backup", &copy]));
    assert_eq!(ok(sanjeh(&copy, &["export"])), HISTORY);
    let refused = sanjeh(&db, &["backup", &copy]);
    assert!(
        !refused.status.success(),
        "a backup never overwrites a file"
    );

    ok(sanjeh(
        &db,
        &[
            "admin",
            "create-agent",
            "--id",
            "A-1",
            "--name",
            "Sara",
            "--role",
            "admin",
        ],
    ));
    let secret = ok(sanjeh(
        &db,
        &[
            "admin", "token", "issue", "--name", "ops", "--role", "admin", "--agent", "A-1",
        ],
    ));
    assert!(secret.trim().starts_with("sjh_"), "{secret}");
    let list = ok(sanjeh(&db, &["admin", "token", "list"]));
    assert!(
        list.contains("admin\tA-1\tops\tlive") && !list.contains(secret.trim()),
        "{list}"
    );
    let id = list.split('\t').next().unwrap().to_owned();
    ok(sanjeh(&db, &["admin", "token", "revoke", &id]));
    assert!(ok(sanjeh(&db, &["admin", "token", "list"])).contains("revoked"));
    let before = ok(sanjeh(&db, &["export"]));
    assert!(
        before.starts_with(HISTORY) && before.lines().nth(4).unwrap().contains("\"agent.profile\""),
        "{before}"
    );
    assert!(ok(sanjeh(&db, &["admin", "rebuild"])).contains("from 5 events"));
    assert_eq!(
        ok(sanjeh(&db, &["export"])),
        before,
        "a rebuild never touches the log"
    );
}

#[test]
fn explain_names_the_events_and_facts_export_has_one_row_per_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    ok(sanjeh(
        &db,
        &["import", &write(dir.path(), "h.jsonl", HISTORY)],
    ));
    let json: serde_json::Value =
        serde_json::from_str(&ok(sanjeh(&db, &["explain", "T-1", "--format", "json"]))).unwrap();
    let frt = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "first_reply_time")
        .unwrap();
    assert_eq!(frt["value"], 600.0);
    assert_eq!(frt["from_events"], serde_json::json!([1, 2]));
    let text = ok(sanjeh(&db, &["explain", "T-1"]));
    assert!(
        text.contains("first_reply_time") && text.contains("#2"),
        "{text}"
    );
    assert_eq!(sanjeh(&db, &["explain", "T-404"]).status.code(), Some(64));

    let csv = ok(sanjeh(&db, &["export", "--format", "facts"]));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("ticket,created_at,status")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("T-1,2026-01-05T05:30:00Z,solved,normal,email,"),
        "{row}"
    );
    assert!(row.contains(",600.000,"), "first reply in seconds: {row}");
    assert!(lines.next().is_none());
}
