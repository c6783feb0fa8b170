//! Email throughput (issue #7 targets): inbound ≥ 500 messages/s parsed, threaded and stored
//! on SQLite through `ingest::receive`; outbound ≥ 200 messages/s delivered from the queue to
//! a local SMTP server (Postfix on loopback, started by `sanjeh_testkit::mail_servers`).
//!
//! `cargo run --release -p sanjeh-email --example mail_bench -- [INBOUND] [CONCURRENCY] [OUTBOUND]`
//! (defaults 5000, 16, 2000). The SQLite file is durable (`synchronous=FULL`, as `serve`).
//! The outbound half needs root and Postfix/Dovecot; without them it is skipped.

use sanjeh_email::ingest::{InboundConfig, receive};
use sanjeh_email::notify::{Kind, Lang};
use sanjeh_email::outbound::{OutboundConfig, Reply, compose, send_due};
use sanjeh_store::mail::NewOutbound;
use sanjeh_store::{Store, StoreOptions, Writer};
use std::sync::Arc;
use std::time::Instant;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Message `i` of the mix: 60 % new tickets, 40 % replies by In-Reply-To to a message 50 to
/// 54 earlier (stored by then even with concurrent deliveries); bodies in KOI8-R,
/// windows-1256 and UTF-8 multipart/alternative, a third each.
fn message(i: usize) -> Vec<u8> {
    let reply_to = (i % 5 >= 3 && i >= 55).then(|| i - (i % 5) - 50);
    // A reply comes from the customer of the message it answers.
    let base = reply_to.map_or(i, |r| r);
    let sender = format!("customer{base}@example.com");
    let mut head = format!(
        "From: Customer {base} <{sender}>\r\nTo: support@bench.test\r\nMessage-ID: <bench-{i}@example.com>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    );
    if let Some(r) = reply_to {
        head.push_str(&format!(
            "In-Reply-To: <bench-{r}@example.com>\r\nReferences: <bench-{r}@example.com>\r\nSubject: Re: Order {r}\r\n"
        ));
    } else {
        head.push_str(&format!("Subject: Order {i}\r\n"));
    }
    let mut raw = head.into_bytes();
    match i % 3 {
        0 => {
            raw.extend_from_slice(b"Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            let (b, _, _) = encoding_rs::KOI8_R.encode("Здравствуйте! Заказ не пришёл, помогите.\r\n\r\nOn Mon, Support wrote:\r\n> old text\r\n");
            raw.extend_from_slice(&b);
        }
        1 => {
            raw.extend_from_slice(b"Content-Type: text/plain; charset=windows-1256\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
            let (b, _, _) = encoding_rs::WINDOWS_1256.encode("سلام، سفارش من نرسيد.\r\n");
            raw.extend_from_slice(&b);
        }
        _ => raw.extend_from_slice(
            b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, my order has not arrived.\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello, my order <b>has not</b> arrived.</p>\r\n--alt--\r\n",
        ),
    }
    raw
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (inbound_n, concurrency, outbound_n) = (arg(1, 5000), arg(2, 16), arg(3, 2000));
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("bench.db").display().to_string();
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("support@bench.test", Some("G-support"), 0)
        .await
        .unwrap();
    let config = Arc::new(InboundConfig {
        rate_limit: i64::MAX,
        ..InboundConfig::default()
    });
    let messages: Arc<Vec<Vec<u8>>> = Arc::new((0..inbound_n).map(message).collect());
    let bytes: usize = messages.iter().map(Vec::len).sum();

    // Inbound: `concurrency` deliveries at once (the SMTP receiver takes connections in
    // parallel; one IMAP poller is sequential: run with CONCURRENCY 1 for that figure).
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (store, writer, config, messages, next) = (
            store.clone(),
            writer.clone(),
            config.clone(),
            messages.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut outcomes = [0usize; 4];
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= messages.len() {
                    return outcomes;
                }
                let now = jiff::Timestamp::now().as_millisecond();
                let r = receive(&store, &writer, &messages[i], None, &config, now)
                    .await
                    .unwrap();
                outcomes[match r {
                    sanjeh_email::ingest::Received::Created { .. } => 0,
                    sanjeh_email::ingest::Received::Joined { .. } => 1,
                    sanjeh_email::ingest::Received::Duplicate { .. } => 2,
                    sanjeh_email::ingest::Received::Ignored { .. } => 3,
                }] += 1;
            }
        }));
    }
    let mut totals = [0usize; 4];
    for t in tasks {
        for (a, b) in totals.iter_mut().zip(t.await.unwrap()) {
            *a += b;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "inbound: {inbound_n} messages ({:.1} MiB) in {secs:.2} s = {:.0} messages/s (concurrency {concurrency}; created {}, joined {}, duplicate {}, ignored {})",
        bytes as f64 / 1048576.0,
        inbound_n as f64 / secs,
        totals[0],
        totals[1],
        totals[2],
        totals[3]
    );

    // Outbound: queue `outbound_n` composed replies, then drain the queue into Postfix.
    let Some(servers) = sanjeh_testkit::mail_servers::MailServers::start(
        &sanjeh_testkit::mail_servers::MailServerOptions {
            relay_port: None,
            users: vec![("sink@example.com".into(), "sink".into())],
            tls: false,
        },
    ) else {
        println!("outbound: skipped (no Postfix or not root)");
        return;
    };
    let out_config = OutboundConfig {
        default_from: "support@bench.test".into(),
        message_id_domain: "bench.test".into(),
        ..OutboundConfig::default()
    };
    let thread = vec!["bench-0@example.com".to_owned()];
    let items: Vec<NewOutbound> = (0..outbound_n)
        .map(|i| {
            let c = compose(
                &Reply {
                    kind: Kind::Replied,
                    language: Lang::En,
                    agent_name: Some("Sara"),
                    ticket: &format!("T-{i}"),
                    subject: "Order",
                    from: "support@bench.test",
                    to: "sink@example.com",
                    to_name: None,
                    body: "We sent it again.\nСпасибо. سپاس.",
                    thread: &thread,
                    attachments: &[],
                },
                &out_config,
            )
            .unwrap();
            NewOutbound {
                source: format!("bench:{i}"),
                ticket: format!("T-{i}"),
                message_id: c.message_id,
                sender: "support@bench.test".into(),
                recipient: "sink@example.com".into(),
                subject_key: "order".into(),
                message: c.bytes,
                kind: "reply",
            }
        })
        .collect();
    let now = jiff::Timestamp::now().as_millisecond();
    store
        .enqueue_mail("bench", store.last_seq().await.unwrap(), &items, now)
        .await
        .unwrap();
    let transport = sanjeh_email::outbound::transport(&sanjeh_email::outbound::SmtpConfig {
        host: "127.0.0.1".into(),
        port: servers.smtp_port,
        security: sanjeh_email::outbound::SmtpSecurity::None,
        credentials: None,
        timeout: std::time::Duration::from_secs(30),
        connections: out_config.connections as u32,
    })
    .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while sent < outbound_n {
        let r = send_due(&store, &writer, &transport, &out_config, now)
            .await
            .unwrap();
        assert_eq!(r.failed + r.retrying, 0, "{r:?}\n{}", servers.log());
        if r.sent == 0 {
            break;
        }
        sent += r.sent;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "outbound: {sent} replies accepted by Postfix (SMTP on loopback) in {secs:.2} s = {:.0} messages/s",
        sent as f64 / secs
    );
}
