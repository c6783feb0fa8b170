//! Inbound mail through the real write path, on SQLite and (when configured) PostgreSQL:
//! a mail opens a ticket, a reply joins it, a retry is stored once, loops are dropped.

use sanjeh_domain::{Channel, Status};
use sanjeh_email::ingest::{Ignored, InboundConfig, Received, receive};
use sanjeh_email::thread::JoinReason;
use sanjeh_store::{Store, Writer};
use sanjeh_testkit::{TestDb, fresh_databases, open};

const NOW: i64 = 1_767_600_000_000;

async fn setup(db: &TestDb) -> (Store, Writer) {
    let store = open(db).await;
    let writer = Writer::start(store.clone(), None);
    store
        .set_mailbox("support@sanjeh.test", Some("G-support"), NOW)
        .await
        .unwrap();
    store
        .set_mailbox("billing@sanjeh.test", Some("G-billing"), NOW)
        .await
        .unwrap();
    (store, writer)
}

fn mail(from: &str, to: &str, id: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ann <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn mail_opens_a_ticket_replies_join_and_retries_are_stored_once() {
    for db in fresh_databases().await {
        let (store, writer) = setup(&db).await;
        let cfg = InboundConfig::default();
        let first = mail(
            "ann@example.com",
            "billing@sanjeh.test",
            "m1@example.com",
            "Double charge",
            "",
            "I was charged twice.",
        );
        let r = receive(&store, &writer, &first, None, &cfg, NOW)
            .await
            .unwrap();
        let Received::Created { ticket, .. } = &r else {
            panic!("{}: {r:?}", db.name)
        };
        let t = store.ticket(ticket).await.unwrap().unwrap();
        assert_eq!(t.channel, Channel::Email);
        assert_eq!(t.subject, "Double charge");
        assert_eq!(t.group.as_ref().map(|g| g.as_str()), Some("G-billing"));
        let customer = t.customer.clone().unwrap();
        let profile = store.customer(customer.as_str()).await.unwrap().unwrap();
        assert_eq!(profile.email.as_deref(), Some("ann@example.com"));

        // The same message again (a retry, or over another channel): stored once.
        let again = receive(&store, &writer, &first, None, &cfg, NOW + 1)
            .await
            .unwrap();
        assert_eq!(
            again,
            Received::Duplicate {
                ticket: ticket.clone(),
                message_id: "m1@example.com".into()
            }
        );
        let messages = store.messages(ticket, true).await.unwrap();
        assert_eq!(messages.len(), 1, "{}", db.name);
        assert_eq!(messages[0].body, "I was charged twice.");

        // A reply by In-Reply-To joins, quoted history stripped.
        let reply = mail(
            "ann@example.com",
            "billing@sanjeh.test",
            "m2@example.com",
            "Re: something else entirely",
            "In-Reply-To: <m1@example.com>\r\n",
            "Any news?\r\n\r\nOn Mon, Ann wrote:\r\n> I was charged twice.",
        );
        let r = receive(&store, &writer, &reply, None, &cfg, NOW + 2)
            .await
            .unwrap();
        assert!(
            matches!(&r, Received::Joined { ticket: t, reason: JoinReason::Reference, .. } if t == ticket),
            "{r:?}"
        );
        // A new message, same sender, same subject, minutes later: no duplicate ticket.
        let again_subject = mail(
            "ann@example.com",
            "billing@sanjeh.test",
            "m3@example.com",
            "RE: Double charge",
            "",
            "Hello?",
        );
        let r = receive(&store, &writer, &again_subject, None, &cfg, NOW + 60_000)
            .await
            .unwrap();
        assert!(
            matches!(
                &r,
                Received::Joined {
                    reason: JoinReason::SameSubject,
                    ..
                }
            ),
            "{r:?}"
        );
        // The ticket token of the customer's own ticket joins it.
        let by_token = mail(
            "ann@example.com",
            "support@sanjeh.test",
            "m4@example.com",
            &format!("Update [#{ticket}]"),
            "",
            "One more thing.",
        );
        let r = receive(&store, &writer, &by_token, None, &cfg, NOW + 10 * 3_600_000)
            .await
            .unwrap();
        assert!(
            matches!(
                &r,
                Received::Joined {
                    reason: JoinReason::Token,
                    ..
                }
            ),
            "{r:?}"
        );
        let messages = store.messages(ticket, true).await.unwrap();
        let bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(
            bodies,
            [
                "I was charged twice.",
                "Any news?",
                "Hello?",
                "One more thing."
            ],
            "{}",
            db.name
        );

        // Someone else naming that token gets a ticket of their own.
        let stranger = mail(
            "eve@example.net",
            "support@sanjeh.test",
            "m5@example.net",
            &format!("Re: [#{ticket}]"),
            "",
            "Let me in.",
        );
        let r = receive(&store, &writer, &stranger, None, &cfg, NOW + 10 * 3_600_000)
            .await
            .unwrap();
        match &r {
            Received::Created { ticket: other, .. } => {
                assert_ne!(other, ticket);
                let t = store.ticket(other).await.unwrap().unwrap();
                assert_eq!(t.group.as_ref().map(|g| g.as_str()), Some("G-support"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_reply_to_a_closed_ticket_opens_a_follow_up() {
    for db in fresh_databases().await {
        let (store, writer) = setup(&db).await;
        let cfg = InboundConfig::default();
        let first = mail(
            "bob@example.com",
            "support@sanjeh.test",
            "c1@x",
            "Help",
            "",
            "hi",
        );
        let r = receive(&store, &writer, &first, None, &cfg, NOW)
            .await
            .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        writer
            .submit(
                sanjeh_store::Request::Command(sanjeh_domain::Command::ChangeTicket {
                    ticket: sanjeh_domain::Id::parse("id", &ticket).unwrap(),
                    by: None,
                    changes: sanjeh_domain::TicketChanges {
                        status: Some(Status::Closed),
                        ..Default::default()
                    },
                }),
                None,
            )
            .await
            .unwrap();
        let reply = mail(
            "bob@example.com",
            "support@sanjeh.test",
            "c2@x",
            "Re: Help",
            "References: <c1@x>\r\n",
            "again",
        );
        let r = receive(&store, &writer, &reply, None, &cfg, NOW + 5)
            .await
            .unwrap();
        let Received::Created { ticket: new, .. } = &r else {
            panic!("{r:?}")
        };
        assert_ne!(new, &ticket);
        let t = store.ticket(new).await.unwrap().unwrap();
        assert_eq!(t.tags, ["follow-up"]);
    }
}

#[tokio::test]
async fn loops_bounces_and_floods_are_dropped() {
    for db in fresh_databases().await {
        let (store, writer) = setup(&db).await;
        let cfg = InboundConfig {
            rate_limit: 2,
            own_addresses: vec!["noreply@sanjeh.test".into()],
            ..InboundConfig::default()
        };
        for (from, id) in [
            ("support@sanjeh.test", "o1@x"),
            ("NoReply+x@sanjeh.test", "o2@x"),
        ] {
            let raw = mail(from, "support@sanjeh.test", id, "loop", "", "x");
            let r = receive(&store, &writer, &raw, None, &cfg, NOW)
                .await
                .unwrap();
            assert_eq!(
                r,
                Received::Ignored {
                    reason: Ignored::OwnAddress,
                    message_id: id.into()
                }
            );
        }
        let bounce = b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@sanjeh.test\r\nSubject: Undelivered\r\nMessage-ID: <b1@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\n--r--\r\n";
        for _ in 0..2 {
            let r = receive(&store, &writer, bounce, None, &cfg, NOW)
                .await
                .unwrap();
            assert!(matches!(
                r,
                Received::Ignored {
                    reason: Ignored::Bounce,
                    ..
                }
            ));
        }
        assert_eq!(store.bounces("gone@example.org").await.unwrap(), 1);
        // An auto-reply that belongs to no ticket opens none …
        let ooo = mail(
            "carl@example.com",
            "support@sanjeh.test",
            "a1@x",
            "Out of office",
            "Auto-Submitted: auto-replied\r\n",
            "away",
        );
        let r = receive(&store, &writer, &ooo, None, &cfg, NOW)
            .await
            .unwrap();
        assert_eq!(
            r,
            Received::Ignored {
                reason: Ignored::AutoReply,
                message_id: "a1@x".into()
            }
        );
        // … one answering a ticket's mail still reaches that ticket (someone may need to
        // see it), marked so no automatic answer goes back.
        let first = mail(
            "dora@example.com",
            "support@sanjeh.test",
            "d1@x",
            "Help",
            "",
            "x",
        );
        let opened = receive(&store, &writer, &first, None, &cfg, NOW)
            .await
            .unwrap();
        let ooo = mail(
            "dora@example.com",
            "support@sanjeh.test",
            "d2@x",
            "Out of office",
            "Auto-Submitted: auto-replied\r\nIn-Reply-To: <d1@x>\r\n",
            "away",
        );
        let r = receive(&store, &writer, &ooo, None, &cfg, NOW)
            .await
            .unwrap();
        assert!(
            matches!(
                &r,
                Received::Joined {
                    class: sanjeh_email::parse::MailClass::AutoSubmitted,
                    ticket,
                    ..
                } if Some(ticket.as_str()) == opened.ticket()
            ),
            "{r:?}"
        );
        // The flood: over two messages an hour from one sender, the rest are dropped.
        let mut outcomes = Vec::new();
        for i in 0..3 {
            let raw = mail(
                "carl@example.com",
                "support@sanjeh.test",
                &format!("f{i}@x"),
                &format!("flood {i}"),
                "",
                "x",
            );
            outcomes.push(
                receive(&store, &writer, &raw, None, &cfg, NOW + i)
                    .await
                    .unwrap(),
            );
        }
        assert!(
            matches!(outcomes[0], Received::Created { .. })
                && matches!(outcomes[1], Received::Created { .. }),
            "{outcomes:?}"
        );
        assert!(
            matches!(
                outcomes[2],
                Received::Ignored {
                    reason: Ignored::RateLimited,
                    ..
                }
            ),
            "{outcomes:?}"
        );
    }
}

#[tokio::test]
async fn racing_deliveries_of_one_message_make_one_ticket() {
    for db in fresh_databases().await {
        let (store, writer) = setup(&db).await;
        let cfg = InboundConfig::default();
        let raw = mail(
            "dana@example.com",
            "support@sanjeh.test",
            "r1@x",
            "Race",
            "",
            "once",
        );
        let (a, b) = tokio::join!(
            receive(&store, &writer, &raw, None, &cfg, NOW),
            receive(&store, &writer, &raw, None, &cfg, NOW)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.ticket(), b.ticket(), "{a:?} {b:?}");
        let created = [&a, &b]
            .iter()
            .filter(|r| matches!(r, Received::Created { .. }))
            .count();
        assert_eq!(created, 1, "{a:?} {b:?}");
        let page = store
            .tickets(&sanjeh_store::TicketFilter {
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
    }
}
