//! Against real mail servers on loopback, installed from Debian packages (`postfix`,
//! `dovecot-imapd`) and run from throwaway configuration in a temporary directory on free
//! ports: a customer's mail goes through Postfix into a Dovecot mailbox, Sanjeh's IMAP poller
//! opens a ticket from it; the agent's reply goes out through Postfix into the customer's
//! mailbox with headers that thread; the customer's answer lands on the same ticket.
//!
//! The servers are started by `sanjeh_testkit::mail_servers` (shared with the CLI's end-to-end
//! test). Needs root (Postfix's master runs as root and delivers as the `postfix` user).
//! Without the servers or root the test prints a notice and passes; set
//! `SANJEH_REQUIRE_MAIL_SERVERS=1` (CI) to make that a failure.

use sanjeh_domain::event::{AgentProfile, TicketMessage};
use sanjeh_domain::{Author, Channel, Command, EventBody, Id};
use sanjeh_email::imap::{ImapConfig, ImapSecurity, Processed, fetch_all, poll_once};
use sanjeh_email::ingest::InboundConfig;
use sanjeh_email::outbound::{
    OutboundConfig, SmtpConfig, SmtpPassword, SmtpSecurity, feed_outbox, send_due, transport,
};
use sanjeh_email::parse::{Limits, parse};
use sanjeh_email::smtp::{ReceiverConfig, serve};
use sanjeh_store::{Request, Writer};
use sanjeh_testkit::mail_servers::{MailServerOptions, MailServers, free_port};
use std::time::{Duration, Instant};

fn start_servers(relay_port: u16) -> Option<MailServers> {
    start_with(Some(relay_port), false)
}

fn start_with(relay_port: Option<u16>, tls: bool) -> Option<MailServers> {
    MailServers::start(&MailServerOptions {
        relay_port,
        users: vec![
            ("support@sanjeh.test".into(), "support-secret".into()),
            ("ann@example.com".into(), "ann-secret".into()),
        ],
        tls,
    })
}

fn imap(servers: &MailServers, user: &str, password: &str) -> ImapConfig {
    ImapConfig {
        host: "127.0.0.1".into(),
        port: servers.imap_port,
        security: ImapSecurity::Plain,
        ca_file: None,
        user: user.into(),
        password: SmtpPassword(password.into()),
        folder: "INBOX".into(),
        address: Some(user.into()),
        processed: Processed::MarkSeen,
        interval: Duration::from_secs(1),
    }
}

/// Submits raw mail to the Postfix on loopback.
async fn smtp_send(servers: &MailServers, from: &str, to: &str, raw: &[u8]) {
    use lettre::AsyncTransport;
    let smtp = transport(&smtp_config(servers)).unwrap();
    let envelope =
        lettre::address::Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()])
            .unwrap();
    smtp.send_raw(&envelope, raw).await.unwrap();
}

fn smtp_config(servers: &MailServers) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: servers.smtp_port,
        security: SmtpSecurity::None,
        credentials: None,
        timeout: Duration::from_secs(10),
        connections: 16,
    }
}

/// Waits until the mailbox holds `n` messages (Postfix delivers asynchronously).
async fn wait_for_mail(servers: &MailServers, config: &ImapConfig, n: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails = fetch_all(config).await.unwrap();
        if mails.len() >= n {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "{} has {} of {n} messages\n{}",
            config.user,
            mails.len(),
            servers.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn mail_through_postfix_and_dovecot_opens_a_ticket_and_the_reply_threads() {
    let Some(servers) = start_servers(free_port()) else {
        return;
    };
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("support@sanjeh.test", Some("G-support"), 0)
        .await
        .unwrap();
    writer
        .submit(
            Request::Record(vec![EventBody::AgentProfile(AgentProfile {
                agent: Id::parse("id", "A-1").unwrap(),
                name: Some("Sara".into()),
                email: None,
                role: None,
                groups: None,
                active: None,
            })]),
            None,
        )
        .await
        .unwrap();
    let outbound = OutboundConfig {
        default_from: "support@sanjeh.test".into(),
        message_id_domain: "sanjeh.test".into(),
        ..OutboundConfig::default()
    };
    feed_outbox(&store, &outbound, 0).await.unwrap();
    let support = imap(&servers, "support@sanjeh.test", "support-secret");
    let ann = imap(&servers, "ann@example.com", "ann-secret");

    // 1. The customer writes, in KOI8-R, through Postfix; Sanjeh polls Dovecot.
    let (koi8, _, _) = encoding_rs::KOI8_R.encode("Здравствуйте! Счёт не пришёл.");
    let mut first = b"From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: =?KOI8-R?B?896j1A==?=\r\nMessage-ID: <real-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    first.extend_from_slice(&koi8);
    first.extend_from_slice(b"\r\n");
    smtp_send(&servers, "ann@example.com", "support@sanjeh.test", &first).await;
    wait_for_mail(&servers, &support, 1).await;
    // Replies are what this test follows; acknowledgements are tested in tests/notify.rs.
    let inbound = InboundConfig {
        acknowledge: false,
        ..InboundConfig::default()
    };
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let ticket = page.items[0].clone();
    assert_eq!(ticket.channel, Channel::Email);
    assert_eq!(ticket.group.as_ref().unwrap().as_str(), "G-support");
    let messages = store.messages(ticket.id.as_str(), true).await.unwrap();
    assert_eq!(messages[0].body, "Здравствуйте! Счёт не пришёл.");
    // Marked seen: the next pass fetches nothing.
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!(report.fetched, 0, "{report:?}");

    // 2. The agent replies; the queue sends it through Postfix to the customer's mailbox.
    writer
        .submit(
            Request::Command(Command::PostMessage(TicketMessage {
                ticket: ticket.id.clone(),
                author: Author::Agent(Id::parse("id", "A-1").unwrap()),
                public: true,
                body: "Отправили ещё раз.".into(),
                channel: None,
                message: None,
            })),
            None,
        )
        .await
        .unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    assert_eq!(feed_outbox(&store, &outbound, now).await.unwrap(), 1);
    let smtp = transport(&smtp_config(&servers)).unwrap();
    let sent = send_due(&store, &writer, &smtp, &outbound, now)
        .await
        .unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}\n{}", servers.log());
    let delivered = wait_for_mail(&servers, &ann, 1).await;
    let reply = parse(&delivered[0], &Limits::default()).unwrap();
    assert_eq!(reply.subject, format!("Re: Счёт [#{}]", ticket.id));
    assert_eq!(reply.in_reply_to, ["real-1@example.com"]);
    assert_eq!(reply.references, ["real-1@example.com"]);
    assert_eq!(reply.from.address, "support@sanjeh.test");
    assert!(reply.text.contains("Отправили ещё раз."));
    let queued = store.ticket_mail(ticket.id.as_str()).await.unwrap();
    assert_eq!(queued[0].status, "sent");
    assert_eq!(reply.message_id, queued[0].message_id);

    // 3. The customer answers from her mail client: it lands on the same ticket.
    let answer = format!(
        "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Re: {}\r\nMessage-ID: <real-2@example.com>\r\nIn-Reply-To: <{}>\r\nReferences: <real-1@example.com> <{}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПришло, спасибо!\r\n\r\nOn Mon, Support <support@sanjeh.test> wrote:\r\n> Отправили ещё раз.\r\n",
        reply.subject, reply.message_id, reply.message_id
    );
    smtp_send(
        &servers,
        "ann@example.com",
        "support@sanjeh.test",
        answer.as_bytes(),
    )
    .await;
    wait_for_mail(&servers, &support, 2).await;
    let report = poll_once(&store, &writer, &support, &inbound)
        .await
        .unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");
    let bodies: Vec<String> = store
        .messages(ticket.id.as_str(), true)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(
        bodies,
        [
            "Здравствуйте! Счёт не пришёл.",
            "Отправили ещё раз.",
            "Пришло, спасибо!"
        ]
    );
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "no second ticket");
}

#[tokio::test]
async fn mail_relayed_by_postfix_to_the_smtp_receiver_opens_a_ticket_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let Some(servers) = start_servers(port) else {
        return;
    };
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("help@help.sanjeh.test", Some("G-help"), 0)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let receiver = tokio::spawn(serve(
        listener,
        store.clone(),
        writer.clone(),
        InboundConfig::default(),
        ReceiverConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    // windows-1256 Persian, with a line starting with a dot (dot-stuffed on the wire).
    let (body, _, _) = encoding_rs::WINDOWS_1256.encode("سلام\r\n.کد تخفيف کار نمي‌کند");
    let mut raw = b"From: Reza <reza@example.com>\r\nTo: help@help.sanjeh.test\r\nSubject: =?UTF-8?B?2qnYryDYqtiu2YHbjNmB?=\r\nMessage-ID: <relay-1@example.com>\r\nContent-Type: text/plain; charset=windows-1256\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
    raw.extend_from_slice(&body);
    raw.extend_from_slice(b"\r\n");
    // Twice: the second is stored once (Message-ID dedup), whatever the MTA does.
    for _ in 0..2 {
        smtp_send(&servers, "reza@example.com", "help@help.sanjeh.test", &raw).await;
    }
    // Mail for a mailbox that is not ours is refused by the receiver (and bounced by Postfix).
    smtp_send(
        &servers,
        "reza@example.com",
        "nobody@help.sanjeh.test",
        &raw,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let ticket = loop {
        let page = store
            .tickets(&sanjeh_store::TicketFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let log = servers.log();
        let delivered = log.matches("relay=127.0.0.1").count();
        if !page.items.is_empty() && delivered >= 3 {
            break page.items[0].clone();
        }
        assert!(Instant::now() < deadline, "not relayed in time\n{log}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let log = servers.log();
    assert!(
        log.contains("550 5.1.1"),
        "the unknown mailbox is refused\n{log}"
    );
    assert_eq!(ticket.subject, "کد تخفیف");
    assert_eq!(ticket.group.as_ref().unwrap().as_str(), "G-help");
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "stored once");
    let messages = store.messages(ticket.id.as_str(), true).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body, "سلام\n.کد تخفيف کار نمي\u{200c}کند");
    let _ = stop.send(());
    receiver.await.unwrap();
}

/// The poller over IMAPS (TLS from the first byte) and over STARTTLS, trusting the test's
/// own certificate authority through `ca_file`, and refusing the same server without it;
/// replies go out to Postfix over STARTTLS the same way.
#[tokio::test]
async fn imap_over_tls_and_starttls_and_smtp_starttls_trust_the_configured_ca() {
    use sanjeh_email::config::{ImapSettings, OutboundSettings};
    let Some(servers) = start_with(None, true) else {
        return;
    };
    let ca = servers.ca_file.clone().unwrap().display().to_string();
    let db = sanjeh_testkit::fresh_sqlite();
    let store = sanjeh_testkit::open(&db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("support@sanjeh.test", Some("G-support"), 0)
        .await
        .unwrap();
    let settings = |url: String, ca_file: Option<String>| -> ImapSettings {
        serde_json::from_value(serde_json::json!({
            "url": url, "user": "support@sanjeh.test", "password": "support-secret",
            "ca_file": ca_file,
        }))
        .unwrap()
    };
    let imaps = settings(
        format!("imaps://127.0.0.1:{}", servers.imaps_port.unwrap()),
        Some(ca.clone()),
    );
    imaps.validate().unwrap();
    let imaps = imaps.to_imap_config("support@sanjeh.test").unwrap();
    assert_eq!(imaps.security, ImapSecurity::Tls);
    let starttls = settings(
        format!("imap://127.0.0.1:{}", servers.imap_port),
        Some(ca.clone()),
    )
    .to_imap_config("support@sanjeh.test")
    .unwrap();
    assert_eq!(starttls.security, ImapSecurity::StartTls);
    let untrusted = settings(
        format!("imaps://127.0.0.1:{}", servers.imaps_port.unwrap()),
        None,
    )
    .to_imap_config("support@sanjeh.test")
    .unwrap();

    // Replies to Postfix over STARTTLS, trusting the CA: refused without it.
    let relay = |ca_file: Option<String>| -> OutboundSettings {
        serde_json::from_value::<OutboundSettings>(serde_json::json!({
            "host": "127.0.0.1", "port": servers.smtp_port, "tls": "starttls",
            "from": "support@sanjeh.test", "ca_file": ca_file,
        }))
        .unwrap()
        .validated()
        .unwrap()
    };
    let send = |transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, id: &str| {
        let raw = format!(
            "From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: TLS {id}\r\nMessage-ID: <{id}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nover TLS\r\n"
        );
        async move {
            use lettre::AsyncTransport;
            let envelope = lettre::address::Envelope::new(
                Some("ann@example.com".parse().unwrap()),
                vec!["support@sanjeh.test".parse().unwrap()],
            )
            .unwrap();
            transport
                .send_raw(&envelope, raw.as_bytes())
                .await
                .map(|_| ())
        }
    };
    let refused = send(relay(None).transport().unwrap(), "tls-0").await;
    assert!(refused.is_err(), "an unknown CA must be refused");
    send(relay(Some(ca.clone())).transport().unwrap(), "tls-1")
        .await
        .unwrap();
    let log = servers.log();
    assert!(
        log.contains("TLS connection established from"),
        "Postfix saw STARTTLS\n{log}"
    );
    wait_for_mail(&servers, &imaps, 1).await;

    let inbound = InboundConfig::default();
    let error = poll_once(&store, &writer, &untrusted, &inbound)
        .await
        .unwrap_err();
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    let report = poll_once(&store, &writer, &imaps, &inbound).await.unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");

    send(relay(Some(ca.clone())).transport().unwrap(), "tls-2")
        .await
        .unwrap();
    wait_for_mail(&servers, &starttls, 2).await;
    let report = poll_once(&store, &writer, &starttls, &inbound)
        .await
        .unwrap();
    assert_eq!((report.fetched, report.stored), (1, 1), "{report:?}");
    let page = store
        .tickets(&sanjeh_store::TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut subjects: Vec<_> = page.items.iter().map(|t| t.subject.clone()).collect();
    subjects.sort();
    assert_eq!(subjects, ["TLS tls-1", "TLS tls-2"]);
    let log = servers.log();
    assert!(log.contains("TLS"), "{log}");
}
