//! A newcomer's email setup, end to end, with the real `sanjeh` binary and real Postfix and
//! Dovecot (IMAPS and SMTP STARTTLS with a certificate authority the test makes):
//! configure a mailbox and the relay with `sanjeh mail …`, run `sanjeh serve --smtp-listen`,
//! a customer's mail arrives over IMAP and another over SMTP (relayed by Postfix), an agent
//! answers through the REST API with a file attached, the answer (the file as a MIME
//! attachment, byte for byte) reaches the customer's mailbox with threading
//! headers, her reply lands on the same ticket, and the report counts the first reply time.
//! A bounce and an auto-reply open no ticket. Then `sanjeh serve` is killed (SIGKILL) in the
//! middle of an IMAP pass over 200 messages and restarted: every message is stored once.
//!
//! Skips with a notice without root or the servers (see `sanjeh_testkit::mail_servers`).

use base64::Engine;
use sanjeh_email::imap::{ImapConfig, ImapSecurity, Processed, fetch_all};
use sanjeh_email::outbound::SmtpPassword;
use sanjeh_email::parse::{Limits, parse};
use sanjeh_testkit::mail_servers::{MailServerOptions, MailServers, free_port};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn sanjeh(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sanjeh"));
    cmd.args(["--database", db])
        .env_remove("SANJEH_DATABASE_URL")
        .env("SANJEH_LOG", "warn")
        .env("SANJEH_MAIL_RELOAD_SECS", "1");
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run sanjeh");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `sanjeh serve` with the SMTP receiver; returns once it listens.
fn serve(db: &str, http: u16, smtp: u16) -> Child {
    let mut child = sanjeh(db)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{http}"),
            "--smtp-listen",
            &format!("127.0.0.1:{smtp}"),
        ])
        .env("SUPPORT_IMAP_PASSWORD", "support-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sanjeh serve");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("SMTP"), "{line}");
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("serving on"), "{line}");
    child
}

/// A minimal SMTP client: one message to Postfix on loopback.
fn smtp_send(port: u16, from: &str, to: &str, raw: &str) {
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let mut expect = |code: &str| loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with(code), "expected {code}, got {line:?}");
        if line.as_bytes().get(3) != Some(&b'-') {
            break;
        }
    };
    expect("220");
    for (cmd, code) in [
        ("EHLO test.example.com".to_owned(), "250"),
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_owned(), "354"),
    ] {
        write!(w, "{cmd}\r\n").unwrap();
        expect(code);
    }
    let body = raw.replace("\r\n.", "\r\n..");
    write!(w, "{body}\r\n.\r\n").unwrap();
    expect("250");
    write!(w, "QUIT\r\n").unwrap();
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let r = http.get(url).bearer_auth(token).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

/// Every ticket, all pages.
async fn tickets(http: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/tickets?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = get(http, &url, token).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Fails the test once `start` is a minute ago; else waits a little.
async fn tick(what: &str, servers: &MailServers, start: Instant) {
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "timed out waiting for {what}\n{}",
        servers.log()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn mailbox(servers: &MailServers, user: &str, password: &str) -> ImapConfig {
    ImapConfig {
        host: "127.0.0.1".into(),
        port: servers.imaps_port.unwrap(),
        security: ImapSecurity::Tls,
        ca_file: servers.ca_file.clone(),
        user: user.into(),
        password: SmtpPassword(password.into()),
        folder: "INBOX".into(),
        address: None,
        processed: Processed::MarkSeen,
        interval: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_newcomer_answers_real_email_and_a_killed_poll_loses_nothing() {
    for db in sanjeh_testkit::fresh_databases().await {
        let (http_port, smtp_port) = (free_port(), free_port());
        let Some(servers) = MailServers::start(&MailServerOptions {
            relay_port: Some(smtp_port),
            users: vec![
                ("support@sanjeh.test".into(), "support-secret".into()),
                ("ann@example.com".into(), "ann-secret".into()),
            ],
            tls: true,
        }) else {
            return;
        };
        let ca = servers.ca_file.clone().unwrap().display().to_string();
        let url = &db.url;

        // 1. Configure, as docs/email.md tells a newcomer.
        ok(sanjeh(url).args([
            "mail",
            "mailbox",
            "add",
            "support@sanjeh.test",
            "--group",
            "G-support",
            "--imap-url",
            &format!("imaps://127.0.0.1:{}", servers.imaps_port.unwrap()),
            "--imap-password-env",
            "SUPPORT_IMAP_PASSWORD",
            "--imap-ca-file",
            &ca,
            "--imap-interval",
            "1",
        ]));
        ok(sanjeh(url).args([
            "mail",
            "mailbox",
            "add",
            "help@help.sanjeh.test",
            "--group",
            "G-help",
        ]));
        ok(sanjeh(url).args([
            "mail",
            "outbound",
            "set",
            "--host",
            "127.0.0.1",
            "--port",
            &servers.smtp_port.to_string(),
            "--tls",
            "starttls",
            "--ca-file",
            &ca,
            "--from",
            "support@sanjeh.test",
            "--message-id-domain",
            "sanjeh.test",
        ]));
        let listed: Value =
            serde_json::from_str(&ok(sanjeh(url).args(["mail", "mailbox", "list", "--json"])))
                .unwrap();
        assert_eq!(listed[1]["imap"]["password_env"], "SUPPORT_IMAP_PASSWORD");
        assert_eq!(listed[1]["imap"]["password_set"], false);
        let bad = sanjeh(url)
            .args(["mail", "mailbox", "add", "not-an-address"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(64));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("address"));
        ok(sanjeh(url).args([
            "admin",
            "create-agent",
            "--id",
            "A-1",
            "--name",
            "Sara",
            "--role",
            "agent",
        ]));
        let token = ok(sanjeh(url).args([
            "admin", "token", "issue", "--name", "t", "--role", "admin", "--agent", "A-1",
        ]))
        .trim()
        .to_owned();

        let mut server = serve(url, http_port, smtp_port);
        let base = format!("http://127.0.0.1:{http_port}");
        let http = reqwest::Client::new();
        let outbound = get(&http, &format!("{base}/api/v1/mail/outbound"), &token).await;
        assert_eq!(outbound["tls"], "starttls");
        assert_eq!(outbound["password_set"], false);

        // 2. Ann writes to support@ (Postfix → Dovecot → IMAPS poller); Reza writes to
        //    help@ (Postfix → Sanjeh's SMTP receiver).
        smtp_send(
            servers.smtp_port,
            "ann@example.com",
            "support@sanjeh.test",
            "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Invoice missing\r\nMessage-ID: <ann-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy invoice did not arrive.\r\n",
        );
        smtp_send(
            servers.smtp_port,
            "reza@example.com",
            "help@help.sanjeh.test",
            "From: Reza <reza@example.com>\r\nTo: help@help.sanjeh.test\r\nSubject: =?UTF-8?B?2qnYryDYqtiu2YHbjNmB?=\r\nMessage-ID: <reza-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nسلام\r\n",
        );
        let start = Instant::now();
        let found = loop {
            let found = tickets(&http, &base, &token).await;
            if found.len() >= 2 {
                break found;
            }
            tick("two tickets", &servers, start).await;
        };
        let by_subject = |s: &str| {
            found
                .iter()
                .find(|t| t["subject"] == s)
                .unwrap_or_else(|| panic!("no ticket {s}: {found:?}"))
                .clone()
        };
        let ann = by_subject("Invoice missing");
        assert_eq!(ann["group"], "G-support");
        assert_eq!(ann["channel"], "email");
        assert_eq!(by_subject("کد تخفیف")["group"], "G-help");
        let ticket = ann["id"].as_str().unwrap().to_owned();

        // 3. The agent answers through the API with the invoice attached; the reply reaches
        //    Ann's mailbox with the file intact.
        let invoice: Vec<u8> = b"%PDF-1.4\n"
            .iter()
            .copied()
            .chain((0..=255u8).cycle().take(20_000))
            .collect();
        let posted = http
            .post(format!("{base}/api/v1/tickets/{ticket}/messages"))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"body": "We sent it again.", "attachments": [
                    {"filename": "счёт 7.pdf", "content_type": "application/pdf",
                     "content_base64": base64::engine::general_purpose::STANDARD.encode(&invoice)}
                ]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201, "{}", posted.text().await.unwrap());
        let ann_box = mailbox(&servers, "ann@example.com", "ann-secret");
        let start = Instant::now();
        // Her mailbox gets the acknowledgement of her new ticket, then the agent's reply.
        let (acknowledgement, reply) = loop {
            let delivered: Vec<_> = fetch_all(&ann_box)
                .await
                .unwrap()
                .iter()
                .map(|raw| parse(raw, &Limits::default()).unwrap())
                .collect();
            let ack = delivered
                .iter()
                .find(|m| m.subject.starts_with("We received your message"));
            let reply = delivered.iter().find(|m| m.subject.starts_with("Re: "));
            if let (Some(ack), Some(reply)) = (ack, reply) {
                break (ack.clone(), reply.clone());
            }
            tick(
                "the acknowledgement and the reply in Ann's mailbox",
                &servers,
                start,
            )
            .await;
        };
        assert_eq!(
            acknowledgement.subject,
            format!("We received your message: Invoice missing [#{ticket}]")
        );
        assert_eq!(reply.subject, format!("Re: Invoice missing [#{ticket}]"));
        assert_eq!(reply.in_reply_to, ["ann-1@example.com"]);
        assert_eq!(reply.references, ["ann-1@example.com"]);
        assert!(reply.text.contains("We sent it again."));
        // The file is the attachment, not a line of the text.
        assert!(!reply.text.contains("Attachments:"), "{}", reply.text);
        assert_eq!(reply.attachments.len(), 1, "{:?}", reply.attachments);
        let file = &reply.attachments[0];
        assert_eq!(file.filename.as_deref(), Some("счёт 7.pdf"));
        assert_eq!(file.declared_type, "application/pdf");
        assert!(!file.inline);
        assert_eq!(file.content, invoice, "the attachment arrived intact");
        let queue = get(&http, &format!("{base}/api/v1/mail/queue"), &token).await;
        assert_eq!(queue["items"][0]["status"], "sent");
        assert!(
            servers.log().contains("TLS connection established from"),
            "the reply went over STARTTLS"
        );

        // 4. Ann answers; it lands on the same ticket.
        smtp_send(
            servers.smtp_port,
            "ann@example.com",
            "support@sanjeh.test",
            &format!(
                "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: {}\r\nMessage-ID: <ann-2@example.com>\r\nIn-Reply-To: <{}>\r\nReferences: <ann-1@example.com> <{}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGot it, thanks!\r\n\r\nOn Mon, Support wrote:\r\n> We sent it again.\r\n",
                reply.subject, reply.message_id, reply.message_id
            ),
        );
        let messages_url = format!("{base}/api/v1/tickets/{ticket}/messages");
        let start = Instant::now();
        while get(&http, &messages_url, &token).await["items"]
            .as_array()
            .is_none_or(|i| i.len() < 3)
        {
            tick("Ann's answer on the ticket", &servers, start).await;
        }
        let m = get(&http, &messages_url, &token).await;
        let bodies: Vec<&str> = m["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [
                "My invoice did not arrive.",
                "We sent it again.\n\nAttachments:\n- счёт 7.pdf (application/pdf, 20009 bytes)",
                "Got it, thanks!"
            ]
        );
        let files = get(
            &http,
            &format!("{base}/api/v1/tickets/{ticket}/attachments"),
            &token,
        )
        .await;
        assert_eq!(files["items"][0]["filename"], "счёт 7.pdf");
        assert_eq!(files["items"][0]["message"], m["items"][1]["id"]);

        // 5. The report counts the first reply time.
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let report = get(
            &http,
            &format!(
                "{base}/api/v1/reports?from={}&to={}",
                today.yesterday().unwrap(),
                today.tomorrow().unwrap()
            ),
            &token,
        )
        .await;
        let frt = &report["kpis"]["first_reply_time"];
        assert!(frt["median_s"].as_f64().is_some_and(|s| s >= 0.0), "{frt}");

        // 6. A bounce and an auto-reply open no ticket; a later mail shows they were read.
        smtp_send(
            servers.smtp_port,
            "",
            "support@sanjeh.test",
            "From: MAILER-DAEMON@mx.example.org\r\nTo: support@sanjeh.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.org>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n",
        );
        smtp_send(
            servers.smtp_port,
            "carl@example.com",
            "support@sanjeh.test",
            "From: Carl <carl@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Out of office\r\nMessage-ID: <ooo-1@example.com>\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI am away.\r\n",
        );
        smtp_send(
            servers.smtp_port,
            "dora@example.com",
            "support@sanjeh.test",
            "From: Dora <dora@example.com>\r\nTo: support@sanjeh.test\r\nSubject: After the robots\r\nMessage-ID: <dora-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n",
        );
        let start = Instant::now();
        while !tickets(&http, &base, &token)
            .await
            .iter()
            .any(|t| t["subject"] == "After the robots")
        {
            tick("Dora's ticket", &servers, start).await;
        }
        let all = tickets(&http, &base, &token).await;
        assert_eq!(
            all.len(),
            3,
            "no ticket from the bounce or the auto-reply: {all:?}"
        );

        // 7. 200 messages wait in the mailbox; serve is killed mid-pass and restarted.
        server.kill().unwrap();
        server.wait().unwrap();
        for i in 0..200 {
            smtp_send(
                servers.smtp_port,
                &format!("c{i}@example.com"),
                "support@sanjeh.test",
                &format!(
                    "From: <c{i}@example.com>\r\nTo: support@sanjeh.test\r\nSubject: bulk {i}\r\nMessage-ID: <bulk-{i}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nmessage {i}\r\n"
                ),
            );
        }
        let support_box = mailbox(&servers, "support@sanjeh.test", "support-secret");
        let start = Instant::now();
        // Ann (2), the bounce, the auto-reply, Dora, and the 200.
        while fetch_all(&support_box).await.unwrap().len() < 205 {
            tick("200 messages in the mailbox", &servers, start).await;
        }
        let mut server = serve(url, http_port, smtp_port);
        let start = Instant::now();
        let at_kill = loop {
            let stored = tickets(&http, &base, &token).await.len() - 3;
            if stored >= 10 {
                break stored;
            }
            tick("the pass to be under way", &servers, start).await;
        };
        // SIGKILL: no shutdown, no lease released, a pass cut anywhere.
        server.kill().unwrap();
        server.wait().unwrap();
        eprintln!("{}: killed with {at_kill} of 200 stored", db.name);
        assert!(at_kill < 200, "the kill came after the pass ended");
        let mut server = serve(url, http_port, smtp_port);
        let start = Instant::now();
        while tickets(&http, &base, &token).await.len() < 203 {
            tick("all 200 after the restart", &servers, start).await;
        }
        // A further pass must not add anything.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let all = tickets(&http, &base, &token).await;
        let mut bulk: Vec<&str> = all
            .iter()
            .filter_map(|t| t["subject"].as_str())
            .filter(|s| s.starts_with("bulk "))
            .collect();
        assert_eq!(all.len(), 203, "every message once");
        bulk.sort_unstable();
        bulk.dedup();
        assert_eq!(bulk.len(), 200, "no loss, no duplicate");

        // A clean stop: SIGTERM ends the HTTP server and the email tasks.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(server.id().to_string())
            .status();
        let stopped = tokio::task::spawn_blocking(move || server.wait()).await;
        assert!(stopped.unwrap().unwrap().success());
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", smtp_port)).is_err(),
            "the SMTP receiver stopped"
        );
        drop(servers);
    }
}
