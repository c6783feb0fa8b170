//! The batched sender: leases are exclusive across stores (two `sanjeh serve` nodes on one
//! database), and against a real Postfix on loopback delivering into Dovecot, a batch that
//! fails midway — refused recipients among good ones, the relay down, a sender dying with
//! a leased batch — loses no mail and delivers none twice. Each on SQLite and, with
//! `SANJEH_TEST_POSTGRES_URL`, on PostgreSQL.
//!
//! The Postfix tests need root and `postfix` + `dovecot-imapd`, started by
//! `sanjeh_testkit::mail_servers`; without them they print a notice and pass, unless
//! `SANJEH_REQUIRE_MAIL_SERVERS=1`.

use sanjeh_email::imap::{ImapConfig, ImapSecurity, Processed, fetch_all};
use sanjeh_email::ingest::{InboundConfig, receive};
use sanjeh_email::notify::{Kind, Lang};
use sanjeh_email::outbound::{
    OutboundConfig, Reply, SmtpConfig, SmtpPassword, SmtpSecurity, compose, send_due, transport,
};
use sanjeh_email::parse::{Limits, parse};
use sanjeh_store::mail::NewOutbound;
use sanjeh_store::{Store, Writer};
use sanjeh_testkit::mail_servers::{MailServerOptions, MailServers, free_port};
use sanjeh_testkit::{fresh_databases, open};
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

const LEASE_MS: i64 = 10 * 60_000;

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn config() -> OutboundConfig {
    OutboundConfig {
        default_from: "support@sanjeh.test".into(),
        message_id_domain: "sanjeh.test".into(),
        ..OutboundConfig::default()
    }
}

/// A ticket to hang the mails on (failure notes go there).
async fn ticket(store: &Store, writer: &Writer) -> String {
    store
        .set_mailbox("support@sanjeh.test", Some("G-1"), 0)
        .await
        .unwrap();
    let inbound = b"From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Order\r\nMessage-ID: <order@example.com>\r\n\r\nWhere is it?\r\n";
    let config = InboundConfig {
        acknowledge: false,
        ..InboundConfig::default()
    };
    let r = receive(store, writer, inbound, None, &config, now())
        .await
        .unwrap();
    r.ticket().unwrap().to_owned()
}

/// Queues `recipients.len()` composed replies on `ticket`, sources `{tag}:{i}`.
async fn queue(store: &Store, ticket: &str, tag: &str, recipients: &[&str]) {
    let items: Vec<NewOutbound> = recipients
        .iter()
        .enumerate()
        .map(|(i, to)| {
            let c = compose(
                &Reply {
                    kind: Kind::Replied,
                    language: Lang::En,
                    agent_name: Some("Sara"),
                    ticket,
                    subject: "Order",
                    from: "support@sanjeh.test",
                    to,
                    to_name: None,
                    body: &format!("Reply {tag} {i}"),
                    thread: &[],
                    attachments: &[],
                },
                &config(),
            )
            .unwrap();
            NewOutbound {
                source: format!("{tag}:{i}"),
                ticket: ticket.to_owned(),
                message_id: c.message_id,
                sender: "support@sanjeh.test".into(),
                recipient: (*to).to_owned(),
                subject_key: "order".into(),
                message: c.bytes,
                kind: "reply",
            }
        })
        .collect();
    let seq = store.last_seq().await.unwrap();
    store.enqueue_mail(tag, seq, &items, now()).await.unwrap();
}

fn smtp(port: u16) -> lettre::AsyncSmtpTransport<lettre::Tokio1Executor> {
    transport(&SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        credentials: None,
        timeout: Duration::from_secs(10),
        connections: 16,
    })
    .unwrap()
}

fn servers(users: &[&str]) -> Option<MailServers> {
    MailServers::start(&MailServerOptions {
        relay_port: None,
        users: users
            .iter()
            .map(|u| ((*u).to_owned(), "secret".to_owned()))
            .collect(),
        tls: false,
    })
}

fn mailbox(servers: &MailServers, user: &str) -> ImapConfig {
    ImapConfig {
        host: "127.0.0.1".into(),
        port: servers.imap_port,
        security: ImapSecurity::Plain,
        ca_file: None,
        user: user.into(),
        password: SmtpPassword("secret".into()),
        folder: "INBOX".into(),
        address: Some(user.into()),
        processed: Processed::MarkSeen,
        interval: Duration::from_secs(1),
    }
}

/// The Message-IDs in `user`'s mailbox once it holds `n` messages and nothing more arrives
/// for a moment (a duplicate would arrive too); asserts none is there twice.
async fn delivered(servers: &MailServers, user: &str, n: usize) -> BTreeSet<String> {
    let config = mailbox(servers, user);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut mails = fetch_all(&config).await.unwrap();
    while mails.len() < n {
        assert!(
            Instant::now() < deadline,
            "{user} has {} of {n} messages\n{}",
            mails.len(),
            servers.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        mails = fetch_all(&config).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = fetch_all(&config).await.unwrap();
    let ids: Vec<String> = mails
        .iter()
        .map(|m| parse(m, &Limits::default()).unwrap().message_id)
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), n, "{user}: {} messages, {n} expected", ids.len());
    assert_eq!(unique.len(), n, "{user}: a message delivered twice");
    unique
}

/// The Message-IDs of the mails the store says were sent.
async fn sent_ids(store: &Store, ticket: &str) -> BTreeSet<String> {
    store
        .ticket_mail(ticket)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.status == "sent")
        .map(|m| m.message_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_claiming_at_once_never_lease_the_same_mail() {
    for db in fresh_databases().await {
        let (a, b) = (open(&db).await, open(&db).await);
        let writer = Writer::start(a.clone(), None);
        let ticket = ticket(&a, &writer).await;
        let recipients = vec!["ann@example.com"; 400];
        queue(&a, &ticket, "claim", &recipients).await;
        let t0 = now();
        // Both stores' writing connections open before the race (nothing is due at 0), so
        // neither drains the queue while the other is still connecting.
        for s in [&a, &b] {
            assert!(s.claim_due_mail(0, 0, 1).await.unwrap().is_empty());
        }
        let claim_all = |store: Store| async move {
            let mut ids = Vec::new();
            loop {
                let batch = store.claim_due_mail(t0, t0 + LEASE_MS, 7).await.unwrap();
                if batch.is_empty() {
                    return ids;
                }
                ids.extend(batch.iter().map(|m| m.id));
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let (ia, ib) = tokio::join!(
            tokio::spawn(claim_all(a.clone())),
            tokio::spawn(claim_all(b.clone()))
        );
        let (ia, ib) = (ia.unwrap(), ib.unwrap());
        let (sa, sb): (HashSet<i64>, HashSet<i64>) =
            (ia.iter().copied().collect(), ib.iter().copied().collect());
        assert_eq!(
            sa.len() + sb.len(),
            400,
            "[{}] a mail leased twice",
            db.name
        );
        assert!(sa.is_disjoint(&sb), "[{}] a mail leased by both", db.name);
        assert!(
            !sa.is_empty() && !sb.is_empty(),
            "[{}] one store took everything ({} / {})",
            db.name,
            sa.len(),
            sb.len()
        );
        // Leased mail is nobody's until the lease ends; then it is due again.
        assert!(
            a.claim_due_mail(t0, t0 + LEASE_MS, 500)
                .await
                .unwrap()
                .is_empty()
        );
        let again = b
            .claim_due_mail(t0 + LEASE_MS, t0 + 2 * LEASE_MS, 500)
            .await
            .unwrap();
        assert_eq!(again.len(), 400, "[{}]", db.name);
    }
}

#[tokio::test]
async fn two_senders_on_one_store_deliver_each_mail_once() {
    let users = ["ann@example.com", "bob@example.com"];
    let Some(servers) = servers(&users) else {
        return;
    };
    for (db, user) in fresh_databases().await.into_iter().zip(users) {
        let (a, b) = (open(&db).await, open(&db).await);
        let (wa, wb) = (
            Writer::start(a.clone(), None),
            Writer::start(b.clone(), None),
        );
        let ticket = ticket(&a, &wa).await;
        queue(&a, &ticket, "two", &[user; 300]).await;
        let (ta, tb) = (smtp(servers.smtp_port), smtp(servers.smtp_port));
        let t0 = now();
        let config = config();
        let (ra, rb) = tokio::join!(
            send_due(&a, &wa, &ta, &config, t0),
            send_due(&b, &wb, &tb, &config, t0)
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        assert_eq!(ra.sent + rb.sent, 300, "[{}] {ra:?} {rb:?}", db.name);
        assert_eq!(ra.failed + ra.retrying + rb.failed + rb.retrying, 0);
        let rows = a.ticket_mail(&ticket).await.unwrap();
        assert!(
            rows.iter().all(|m| m.status == "sent" && m.attempts == 1),
            "[{}] {:?}",
            db.name,
            rows.iter().find(|m| m.status != "sent" || m.attempts != 1)
        );
        let got = delivered(&servers, user, 300).await;
        assert_eq!(got, sent_ids(&a, &ticket).await, "[{}]", db.name);
    }
}

#[tokio::test]
async fn a_batch_failing_midway_loses_nothing_and_delivers_nothing_twice() {
    let users = ["ann@example.com", "bob@example.com"];
    let Some(servers) = servers(&users) else {
        return;
    };
    for (db, user) in fresh_databases().await.into_iter().zip(users) {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        let ticket = ticket(&store, &writer).await;
        let config = config();
        let relay = smtp(servers.smtp_port);

        // 1. Postfix refuses every fifth recipient (no such mailbox: 550, permanent) in the
        //    middle of the batch; the others go through.
        let recipients: Vec<&str> = (0..40)
            .map(|i| {
                if i % 5 == 2 {
                    "nobody@example.com"
                } else {
                    user
                }
            })
            .collect();
        queue(&store, &ticket, "mixed", &recipients).await;
        let t0 = now();
        let r = send_due(&store, &writer, &relay, &config, t0)
            .await
            .unwrap();
        assert_eq!(
            (r.sent, r.failed, r.retrying),
            (32, 8, 0),
            "[{}] {r:?}",
            db.name
        );
        let rows = store.ticket_mail(&ticket).await.unwrap();
        for m in &rows {
            if m.recipient == "nobody@example.com" {
                assert_eq!((m.status.as_str(), m.attempts), ("failed", 1));
                assert!(m.last_error.as_deref().unwrap().contains("550"), "{m:?}");
            } else {
                assert_eq!((m.status.as_str(), m.attempts), ("sent", 1));
            }
        }
        let notes = store
            .messages(&ticket, true)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| !m.public && m.body.contains("nobody@example.com could not be delivered"))
            .count();
        assert_eq!(notes, 8, "[{}] each given-up mail is noted once", db.name);

        // 2. The relay is down: every mail of the batch is kept, due again after the backoff.
        queue(&store, &ticket, "down", &[user; 20]).await;
        let t1 = now();
        let r = send_due(&store, &writer, &smtp(free_port()), &config, t1)
            .await
            .unwrap();
        assert_eq!((r.sent, r.retrying), (0, 20), "[{}] {r:?}", db.name);
        let r = send_due(&store, &writer, &relay, &config, t1 + 1000)
            .await
            .unwrap();
        assert_eq!(r, Default::default(), "[{}] not due yet", db.name);
        let r = send_due(&store, &writer, &relay, &config, t1 + 60_000)
            .await
            .unwrap();
        assert_eq!((r.sent, r.retrying, r.failed), (20, 0, 0), "[{}]", db.name);

        // 3. A sender leases a batch and dies before sending: another sends the rest now
        //    and the abandoned mails when the lease ends, each once.
        queue(&store, &ticket, "crash", &[user; 10]).await;
        let t2 = now() + 120_000;
        let abandoned = store.claim_due_mail(t2, t2 + LEASE_MS, 4).await.unwrap();
        assert_eq!(abandoned.len(), 4);
        let r = send_due(&store, &writer, &relay, &config, t2)
            .await
            .unwrap();
        assert_eq!(r.sent, 6, "[{}] {r:?}", db.name);
        let r = send_due(&store, &writer, &relay, &config, t2 + LEASE_MS)
            .await
            .unwrap();
        assert_eq!(r.sent, 4, "[{}] {r:?}", db.name);

        let sent = sent_ids(&store, &ticket).await;
        assert_eq!(sent.len(), 32 + 20 + 10);
        assert_eq!(delivered(&servers, user, 62).await, sent, "[{}]", db.name);
    }
}
