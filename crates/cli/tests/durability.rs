//! A request that got a 2xx is never lost: concurrent writers, then SIGKILL, then count.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn sanjeh(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanjeh"));
    cmd.args(["--database", db])
        .env_remove("SANJEH_DATABASE_URL")
        .env("SANJEH_LOG", "warn");
    cmd
}

/// Starts `sanjeh serve` on a free port and returns it with its base URL.
fn start_server(db: &str) -> (Child, String) {
    let mut child = sanjeh(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sanjeh serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read banner");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_messages_survive_sigkill_under_concurrent_load() {
    for db in sanjeh_testkit::fresh_databases().await {
        let issued = sanjeh(&db.url)
            .args([
                "admin", "token", "issue", "--name", "load", "--role", "admin",
            ])
            .output()
            .unwrap();
        assert!(
            issued.status.success(),
            "{}",
            String::from_utf8_lossy(&issued.stderr)
        );
        let token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
        let (mut server, base) = start_server(&db.url);
        let http = reqwest::Client::new();
        let created = http
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"id": "K-1", "customer": "C-1", "subject": "durability", "body": "first"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for client in 0..32 {
            let (http, base, token, stop) =
                (http.clone(), base.clone(), token.clone(), stop.clone());
            clients.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body = format!("m-{client}-{i}");
                    i += 1;
                    let sent = http
                        .post(format!("{base}/api/v1/tickets/K-1/messages"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"author": "customer:C-1", "body": body}))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => acknowledged.push(body),
                        Ok(r) => panic!(
                            "unexpected {}: {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        ),
                        Err(_) => break, // the server is gone
                    }
                }
                acknowledged
            }));
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill().expect("SIGKILL the server");
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let mut acknowledged = Vec::new();
        for c in clients {
            acknowledged.extend(c.await.unwrap());
        }
        assert!(
            acknowledged.len() > 100,
            "{}: only {} writes acknowledged",
            db.name,
            acknowledged.len()
        );

        let store = sanjeh_testkit::open(&db).await;
        let stored: std::collections::HashSet<String> = store
            .messages("K-1", true)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        let lost: Vec<_> = acknowledged
            .iter()
            .filter(|b| !stored.contains(*b))
            .collect();
        assert!(
            lost.is_empty(),
            "{}: {} of {} acknowledged messages lost: {:?}",
            db.name,
            lost.len(),
            acknowledged.len(),
            &lost[..lost.len().min(5)]
        );
        eprintln!(
            "{}: {} acknowledged messages, all present after SIGKILL",
            db.name,
            acknowledged.len()
        );
        store.close().await;
    }
}

/// Interchange lines of `tickets` tickets, each created, answered and solved.
fn history(tickets: usize) -> String {
    let mut lines = String::new();
    for i in 0..tickets {
        let (day, minute) = (1 + i / 20_000, (i / 20) % 1000);
        let at = |m: usize| {
            let m = minute + m;
            format!("2026-01-{day:02}T{:02}:{:02}:00Z", m / 60 % 24, m % 60)
        };
        lines += &format!(
            "{{\"type\":\"ticket.created\",\"at\":\"{}\",\"ticket\":\"T-{i}\",\"customer\":\"C-{}\",\"channel\":\"email\",\"subject\":\"s\"}}\n",
            at(0),
            i % 997
        );
        lines += &format!(
            "{{\"type\":\"ticket.message\",\"at\":\"{}\",\"ticket\":\"T-{i}\",\"author\":\"agent:A-{}\",\"public\":true,\"body\":\"reply {i}\"}}\n",
            at(1),
            i % 23
        );
        lines += &format!(
            "{{\"type\":\"ticket.status\",\"at\":\"{}\",\"ticket\":\"T-{i}\",\"status\":\"solved\",\"by\":\"agent:A-{}\"}}\n",
            at(2),
            i % 23
        );
    }
    lines
}

/// `sanjeh import` into an empty SQLite store keeps a rollback journal and builds its indexes
/// at the end (see `StoreOptions::bulk_load`): killed half-way, it leaves the store exactly as
/// it was, indexes included, and the same import then succeeds.
#[tokio::test]
async fn an_import_killed_half_way_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, history(100_000)).unwrap();
    let input = input.to_string_lossy().into_owned();
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let migrated = sanjeh(&db).args(["export"]).output().unwrap();
    assert!(migrated.status.success());
    let indexes = sanjeh_testkit::sqlite_index_definitions(&db).await;

    let mut import = sanjeh(&db)
        .args(["import", &input])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The load has written into the database once its journal holds the pages it replaced.
    let journal = std::path::PathBuf::from(format!("{db}-journal"));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(&journal).map_or(true, |m| m.len() == 0) {
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import ended before it could be killed: make the input longer"
        );
        assert!(std::time::Instant::now() < deadline, "no journal appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        import.try_wait().unwrap().is_none(),
        "the import ended before it could be killed: make the input longer"
    );
    import.kill().unwrap();
    import.wait().unwrap();

    let exported = sanjeh(&db).args(["export"]).output().unwrap();
    assert!(exported.status.success());
    assert!(
        exported.stdout.is_empty(),
        "nothing of the killed import remains"
    );
    assert_eq!(
        sanjeh_testkit::sqlite_index_definitions(&db).await,
        indexes,
        "every index is there"
    );

    let again = sanjeh(&db).args(["import", &input]).output().unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(sanjeh_testkit::sqlite_index_definitions(&db).await, indexes);
    let store = sanjeh_store::Store::connect(&db, &Default::default())
        .await
        .unwrap();
    assert_eq!(store.event_count().await.unwrap(), 300_000);
    store.close().await;
}
