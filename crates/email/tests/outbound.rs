//! Agent replies out: queued from the event log with threading headers, a customer's answer
//! to them threads back, failures are retried with backoff and finally shown on the ticket.

use sanjeh_domain::event::{AgentProfile, TicketMessage};
use sanjeh_domain::{Author, Command, EventBody, Id};
use sanjeh_email::ingest::{InboundConfig, Received, receive};
use sanjeh_email::outbound::{
    OutboundConfig, SmtpConfig, SmtpSecurity, feed_outbox, feed_outbox_all, send_due, transport,
};
use sanjeh_email::parse::{Limits, parse};
use sanjeh_email::thread::JoinReason;
use sanjeh_store::{Request, Store, Writer};
use sanjeh_testkit::{fresh_databases, open};
use std::time::Duration;

/// Replies are what these tests follow; acknowledgements are tested in tests/notify.rs.
fn no_ack() -> InboundConfig {
    InboundConfig {
        acknowledge: false,
        ..InboundConfig::default()
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

pub async fn agent_reply(writer: &Writer, ticket: &str, body: &str) {
    writer
        .submit(
            Request::Command(Command::PostMessage(TicketMessage {
                ticket: Id::parse("id", ticket).unwrap(),
                author: Author::Agent(Id::parse("id", "A-1").unwrap()),
                public: true,
                body: body.into(),
                channel: None,
                message: None,
            })),
            None,
        )
        .await
        .unwrap();
}

pub async fn setup(store: &Store, writer: &Writer) {
    store
        .set_mailbox("support@sanjeh.test", Some("G-1"), 0)
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
}

#[tokio::test]
async fn replies_are_queued_once_with_threading_headers_and_answers_thread_back() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store, &writer).await;
        let config = OutboundConfig {
            message_id_domain: "sanjeh.test".into(),
            ..OutboundConfig::default()
        };
        // The first run starts at the end of the log.
        assert_eq!(feed_outbox(&store, &config, now()).await.unwrap(), 0);
        let inbound = b"From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Refund\r\nMessage-ID: <in-1@example.com>\r\n\r\nPlease refund.\r\n";
        let r = receive(&store, &writer, inbound, None, &no_ack(), now())
            .await
            .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        agent_reply(&writer, &ticket, "Done: refunded.\nسپاس").await;
        assert_eq!(feed_outbox(&store, &config, now()).await.unwrap(), 1);
        assert_eq!(feed_outbox(&store, &config, now()).await.unwrap(), 0);
        let queued = store.ticket_mail(&ticket).await.unwrap();
        assert_eq!(queued.len(), 1, "{}", db.name);
        let q = &queued[0];
        assert_eq!((q.status.as_str(), q.attempts), ("queued", 0));
        assert_eq!(q.recipient, "ann@example.com");
        assert_eq!(q.sender, "support@sanjeh.test");

        let out = parse(&q.message, &Limits::default()).unwrap();
        assert_eq!(out.subject, format!("Re: Refund [#{ticket}]"));
        assert_eq!(out.in_reply_to, ["in-1@example.com"]);
        assert_eq!(out.references, ["in-1@example.com"]);
        assert_eq!(out.message_id, q.message_id);
        assert!(out.text.contains("Done: refunded.\nسپاس"), "{}", out.text);
        assert!(out.html.as_deref().unwrap().contains("سپاس"));
        assert_eq!(out.from.address, "support@sanjeh.test");
        assert_eq!(out.to[0].address, "ann@example.com");

        // The customer answers the reply: it joins the ticket by In-Reply-To.
        let answer = format!(
            "From: ann@example.com\r\nTo: support@sanjeh.test\r\nSubject: Re: Re: Refund [#{ticket}]\r\nMessage-ID: <in-2@example.com>\r\nIn-Reply-To: <{}>\r\nReferences: <in-1@example.com> <{}>\r\n\r\nThanks!\r\n\r\n{}\r\n> Done: refunded.\r\n",
            q.message_id, q.message_id, "On Tue, Support <support@sanjeh.test> wrote:"
        );
        let r = receive(&store, &writer, answer.as_bytes(), None, &no_ack(), now())
            .await
            .unwrap();
        assert!(
            matches!(&r, Received::Joined { ticket: t, reason: JoinReason::Reference, .. } if *t == ticket),
            "{r:?}"
        );
        let bodies: Vec<String> = store
            .messages(&ticket, true)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(
            bodies,
            ["Please refund.", "Done: refunded.\nسپاس", "Thanks!"]
        );
    }
}

#[tokio::test]
async fn failures_back_off_then_show_on_the_ticket_and_the_mail_is_kept() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store, &writer).await;
        let config = OutboundConfig {
            max_attempts: 2,
            ..OutboundConfig::default()
        };
        feed_outbox(&store, &config, now()).await.unwrap();
        let inbound = b"From: bob@example.com\r\nTo: support@sanjeh.test\r\nSubject: Hi\r\nMessage-ID: <b-1@example.com>\r\n\r\nHello\r\n";
        let r = receive(&store, &writer, inbound, None, &no_ack(), now())
            .await
            .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        agent_reply(&writer, &ticket, "Hello Bob").await;
        feed_outbox(&store, &config, now()).await.unwrap();
        // Nothing listens on this port: a transient failure.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let smtp = transport(&SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            credentials: None,
            timeout: Duration::from_secs(5),
            connections: 4,
        })
        .unwrap();
        let t0 = now();
        let report = send_due(&store, &writer, &smtp, &config, t0).await.unwrap();
        assert_eq!(report.retrying, 1, "{report:?}");
        let q = &store.ticket_mail(&ticket).await.unwrap()[0];
        assert_eq!((q.status.as_str(), q.attempts), ("queued", 1));
        assert_eq!(q.next_attempt_at, t0 + 60_000);
        assert!(q.last_error.is_some());
        // Not due yet: nothing happens.
        let report = send_due(&store, &writer, &smtp, &config, t0 + 1000)
            .await
            .unwrap();
        assert_eq!(report, Default::default());
        // The second attempt is the last.
        let report = send_due(&store, &writer, &smtp, &config, t0 + 60_000)
            .await
            .unwrap();
        assert_eq!(report.failed, 1, "{report:?}");
        let q = &store.ticket_mail(&ticket).await.unwrap()[0];
        assert_eq!((q.status.as_str(), q.attempts), ("failed", 2));
        let notes: Vec<_> = store
            .messages(&ticket, true)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| !m.public)
            .collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].body.contains("could not be delivered"));
        // An admin's retry puts it back.
        assert!(store.retry_mail(q.id, t0 + 70_000).await.unwrap());
        assert_eq!(store.due_mail(t0 + 70_000, 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_burst_of_replies_is_queued_in_one_pass() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store, &writer).await;
        let config = OutboundConfig::default();
        assert_eq!(feed_outbox_all(&store, &config, now()).await.unwrap(), 0);
        let inbound = b"From: Ann <ann@example.com>\r\nTo: support@sanjeh.test\r\nSubject: Many\r\nMessage-ID: <burst@example.com>\r\n\r\nHello.\r\n";
        let r = receive(&store, &writer, inbound, None, &no_ack(), now())
            .await
            .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        // More than two of feed_outbox's 200-event batches.
        for i in 0..450 {
            agent_reply(&writer, &ticket, &format!("Answer {i}")).await;
        }
        assert_eq!(
            feed_outbox_all(&store, &config, now()).await.unwrap(),
            450,
            "{}",
            db.name
        );
        assert_eq!(feed_outbox_all(&store, &config, now()).await.unwrap(), 0);
        assert_eq!(store.ticket_mail(&ticket).await.unwrap().len(), 450);
    }
}
