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
