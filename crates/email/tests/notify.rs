//! Customer notifications (acknowledgement, reply, solved) rendered from the templates in the
//! customer's language and queued through the durable outbox; bounces recorded on the
//! customer and on the mail they returned; attachments stored once per content. SQLite, and
//! PostgreSQL when `SANJEH_TEST_POSTGRES_URL` is set.

use sanjeh_domain::command::TicketChanges;
use sanjeh_domain::event::{CustomerProfile, TicketMessage};
use sanjeh_domain::{Author, Command, EventBody, Id, Status};
use sanjeh_email::ingest::{InboundConfig, Received, receive};
use sanjeh_email::notify::{Context, Kind, Lang, render};
use sanjeh_email::outbound::{OutboundConfig, feed_outbox};
use sanjeh_email::parse::{Limits, REPLY_ABOVE_MARKER, parse};
use sanjeh_store::{Request, Store, Writer};
use sanjeh_testkit::{fresh_databases, open};

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn config() -> OutboundConfig {
    OutboundConfig {
        message_id_domain: "sanjeh.test".into(),
        base_url: Some("https://help.example.com/".into()),
        ..OutboundConfig::default()
    }
}

async fn setup(store: &Store) {
    store
        .set_mailbox("support@sanjeh.test", Some("G-1"), 0)
        .await
        .unwrap();
    // The first run of the reader starts at the end of the log.
    feed_outbox(store, &config(), now()).await.unwrap();
}

async fn mail_in(store: &Store, writer: &Writer, raw: &[u8]) -> Received {
    receive(store, writer, raw, None, &InboundConfig::default(), now())
        .await
        .unwrap()
}

fn simple(from: &str, id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@sanjeh.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[test]
fn every_template_renders_in_every_language() {
    let words = |kind: Kind, lang: Lang| match (kind, lang) {
        (Kind::Received, Lang::En) => "received your message",
        (Kind::Received, Lang::Fa) => "دریافت شد",
        (Kind::Received, Lang::Ru) => "получили ваше сообщение",
        (Kind::Replied, _) => "Body <b>line</b>",
        (Kind::Solved, Lang::En) => "as solved",
        (Kind::Solved, Lang::Fa) => "حل‌شده",
        (Kind::Solved, Lang::Ru) => "решённая",
    };
    for kind in Kind::ALL {
        for lang in Lang::ALL {
            let r = render(
                kind,
                lang,
                &Context {
                    ticket: "T-9",
                    token: "[#T-9]",
                    subject: "Refund & <more>",
                    customer_name: Some("Ann"),
                    body: "Body <b>line</b>\nsecond",
                    agent_name: Some("Sara"),
                    rate_url: Some("https://help.example.com/portal/tickets/T-9/rate"),
                },
            )
            .unwrap_or_else(|e| panic!("{kind:?} {lang:?}: {e}"));
            let what = format!("{kind:?}/{lang:?}");
            assert_eq!(r.subject.is_some(), kind != Kind::Replied, "{what}");
            if let Some(s) = &r.subject {
                assert!(
                    s.contains("Refund & <more>") && !s.contains('\n'),
                    "{what}: {s}"
                );
            }
            assert!(r.text.starts_with(REPLY_ABOVE_MARKER), "{what}: {}", r.text);
            assert!(r.text.contains("T-9"), "{what}");
            assert!(r.text.contains(words(kind, lang)), "{what}: {}", r.text);
            let dir = if lang == Lang::Fa { "rtl" } else { "ltr" };
            assert!(
                r.html
                    .contains(&format!("<html lang=\"{}\" dir=\"{dir}\">", lang.code())),
                "{what}: {}",
                r.html
            );
            assert!(r.html.contains(REPLY_ABOVE_MARKER), "{what}");
            // Values are escaped in HTML, never in plain text.
            assert!(!r.html.contains("<b>line</b>"), "{what}");
            if kind == Kind::Replied {
                assert!(
                    r.html.contains("Body &lt;b&gt;line&lt;&#x2f;b&gt;"),
                    "{what}: {}",
                    r.html
                );
                assert!(r.text.contains("Sara"), "{what}");
            }
            if kind == Kind::Solved {
                assert!(
                    r.text
                        .contains("https://help.example.com/portal/tickets/T-9/rate"),
                    "{what}"
                );
                assert!(
                    r.html.contains("href=\"https:&#x2f;&#x2f;help.example.com"),
                    "{what}: {}",
                    r.html
                );
            }
        }
    }
}

#[tokio::test]
async fn a_new_ticket_is_acknowledged_once_per_sender_in_the_mailbox_language() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store).await;
        assert!(
            store
                .set_mailbox_language("support@sanjeh.test", Some("ru"))
                .await
                .unwrap()
        );
        let r = mail_in(
            &store,
            &writer,
            &simple("Ann <ann@example.com>", "a-1@x", "Счёт", "Где счёт?"),
        )
        .await;
        let ticket = r.ticket().unwrap().to_owned();
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 1);
        assert_eq!(
            feed_outbox(&store, &config(), now()).await.unwrap(),
            0,
            "queued once"
        );
        let queued = store.ticket_mail(&ticket).await.unwrap();
        assert_eq!(queued.len(), 1, "{}", db.name);
        let ack = parse(&queued[0].message, &Limits::default()).unwrap();
        assert_eq!(
            ack.subject,
            format!("Мы получили ваше сообщение: Счёт [#{ticket}]")
        );
        assert_eq!(ack.in_reply_to, ["a-1@x"]);
        assert_eq!(ack.to[0].address, "ann@example.com");
        assert_eq!(ack.from.address, "support@sanjeh.test");
        assert!(ack.text.contains(&ticket), "{}", ack.text);
        // Marked as automatic, so other robots leave it alone; and our own parser agrees.
        assert_eq!(ack.class.as_str(), "auto_submitted");

        // Another new ticket from the same sender within the hour: no second acknowledgement.
        let r2 = mail_in(
            &store,
            &writer,
            &simple("ann@example.com", "a-2@x", "Another thing", "And this."),
        )
        .await;
        assert!(matches!(r2, Received::Created { .. }), "{r2:?}");
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 0);
        assert!(
            store
                .ticket_mail(r2.ticket().unwrap())
                .await
                .unwrap()
                .is_empty()
        );
        // A message joining a ticket is not acknowledged either.
        let r3 = mail_in(
            &store,
            &writer,
            &simple(
                "ann@example.com",
                "a-3@x",
                &format!("Re: Счёт [#{ticket}]"),
                "Ещё.",
            ),
        )
        .await;
        assert!(matches!(r3, Received::Joined { .. }), "{r3:?}");
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 0);

        // The customer's own language wins over the mailbox's.
        writer
            .submit(
                Request::Record(vec![EventBody::CustomerProfile(CustomerProfile {
                    customer: Id::parse("id", "C-fa").unwrap(),
                    name: Some("Sara".into()),
                    email: Some("sara@example.ir".into()),
                    organization: None,
                    language: Some("fa-IR".into()),
                })]),
                None,
            )
            .await
            .unwrap();
        let r4 = mail_in(
            &store,
            &writer,
            &simple("sara@example.ir", "s-1@x", "فاکتور", "سلام"),
        )
        .await;
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 1);
        let q = &store.ticket_mail(r4.ticket().unwrap()).await.unwrap()[0];
        let ack = parse(&q.message, &Limits::default()).unwrap();
        assert!(
            ack.subject.starts_with("پیام شما را دریافت کردیم"),
            "{}",
            ack.subject
        );
        // The HTML part as sent (the parser's sanitized copy drops <html> and <body>).
        let sent = mail_parser::MessageParser::default()
            .parse(&q.message)
            .unwrap();
        let html = sent.body_html(0).unwrap();
        assert!(html.contains("<html lang=\"fa\" dir=\"rtl\">"), "{html}");
    }
}

#[tokio::test]
async fn bounces_auto_replies_bulk_mail_and_our_own_mail_get_no_acknowledgement() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store).await;
        let mut tickets = Vec::new();
        for name in ["auto-reply-ooo.eml", "bulk-list.eml", "bounce-postfix.eml"] {
            let r = mail_in(&store, &writer, &corpus(name)).await;
            tickets.extend(r.ticket().map(str::to_owned));
        }
        let own = simple("support@sanjeh.test", "own-1@x", "Loop", "loop");
        assert!(matches!(
            mail_in(&store, &writer, &own).await,
            Received::Ignored { .. }
        ));
        // The list digest makes a ticket; the out-of-office, answering no ticket, opens none.
        assert_eq!(tickets.len(), 1, "only the digest makes a ticket");
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 0);
        assert!(store.pending_acks(10).await.unwrap().is_empty());
        for t in &tickets {
            assert!(
                store.ticket_mail(t).await.unwrap().is_empty(),
                "{}",
                db.name
            );
        }
        // A person's mail in the same database does get one: the test can fail.
        mail_in(
            &store,
            &writer,
            &simple("pat@example.com", "p-1@x", "Hi", "Hello"),
        )
        .await;
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 1);
    }
}

async fn agent_reply(writer: &Writer, ticket: &str, body: &str) {
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

#[tokio::test]
async fn solving_an_email_ticket_mails_the_survey_link_in_the_customers_language() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store).await;
        let inbound = InboundConfig {
            acknowledge: false,
            ..InboundConfig::default()
        };
        let r = receive(
            &store,
            &writer,
            &corpus("koi8-r.eml"),
            None,
            &inbound,
            now(),
        )
        .await
        .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        let customer = store
            .customer_by_email("anna@example.ru")
            .await
            .unwrap()
            .unwrap();
        writer
            .submit(
                Request::Record(vec![EventBody::CustomerProfile(CustomerProfile {
                    customer: Id::parse("id", &customer).unwrap(),
                    name: Some("Анна".into()),
                    email: Some("anna@example.ru".into()),
                    organization: None,
                    language: Some("ru".into()),
                })]),
                None,
            )
            .await
            .unwrap();
        agent_reply(&writer, &ticket, "Отправили счёт ещё раз.").await;
        writer
            .submit(
                Request::Command(Command::ChangeTicket {
                    ticket: Id::parse("id", &ticket).unwrap(),
                    by: Some(Author::Agent(Id::parse("id", "A-1").unwrap())),
                    changes: TicketChanges {
                        status: Some(Status::Solved),
                        ..TicketChanges::default()
                    },
                }),
                None,
            )
            .await
            .unwrap();
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 2);
        let queued = store.ticket_mail(&ticket).await.unwrap();
        let reply = parse(&queued[0].message, &Limits::default()).unwrap();
        assert_eq!(reply.subject, format!("Re: Счёт [#{ticket}]"));
        assert!(reply.text.starts_with(REPLY_ABOVE_MARKER));
        assert!(reply.text.contains("Отправили счёт ещё раз."));
        assert!(reply.text.contains(&format!("[#{ticket}]")));
        assert_eq!(
            reply.class.as_str(),
            "personal",
            "an agent's reply is not automatic"
        );
        let solved = parse(&queued[1].message, &Limits::default()).unwrap();
        assert_eq!(
            solved.subject,
            format!("Ваша заявка решена: Счёт [#{ticket}]")
        );
        let link = format!("https://help.example.com/portal/tickets/{ticket}/rate");
        assert!(solved.text.contains(&link), "{}", solved.text);
        assert!(solved.html.as_deref().unwrap().contains("portal/tickets/"));
        // Queued in the same pass as the reply, it answers the customer's mail.
        assert_eq!(solved.in_reply_to, ["koi8-1@example.ru"]);

        // Without a base URL the notice goes without a link; with notify_solved off, not at all.
        let off = OutboundConfig {
            notify_solved: false,
            ..config()
        };
        writer
            .submit(
                Request::Command(Command::PostMessage(TicketMessage {
                    ticket: Id::parse("id", &ticket).unwrap(),
                    author: Author::Customer(Id::parse("id", &customer).unwrap()),
                    public: true,
                    body: "Не пришло".into(),
                    channel: None,
                    message: None,
                })),
                None,
            )
            .await
            .unwrap();
        writer
            .submit(
                Request::Command(Command::ChangeTicket {
                    ticket: Id::parse("id", &ticket).unwrap(),
                    by: None,
                    changes: TicketChanges {
                        status: Some(Status::Solved),
                        ..TicketChanges::default()
                    },
                }),
                None,
            )
            .await
            .unwrap();
        assert_eq!(feed_outbox(&store, &off, now()).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn a_bounce_of_our_mail_marks_it_failed_notes_the_ticket_and_shows_on_the_customer() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store).await;
        let inbound = InboundConfig {
            acknowledge: false,
            ..InboundConfig::default()
        };
        let r = receive(
            &store,
            &writer,
            &simple("gone@example.org", "g-1@x", "Refund", "Please"),
            None,
            &inbound,
            now(),
        )
        .await
        .unwrap();
        let ticket = r.ticket().unwrap().to_owned();
        agent_reply(&writer, &ticket, "Refunded.").await;
        assert_eq!(feed_outbox(&store, &config(), now()).await.unwrap(), 1);
        let sent = store.ticket_mail(&ticket).await.unwrap().remove(0);
        store.mail_sent(sent.id, now()).await.unwrap();

        // The Postfix bounce of the corpus, naming the mail we sent in its headers part.
        let raw = String::from_utf8(corpus("bounce-postfix.eml"))
            .unwrap()
            .replace("sanjeh.T-500.0123456789@sanjeh.test", &sent.message_id);
        for _ in 0..2 {
            let r = receive(&store, &writer, raw.as_bytes(), None, &inbound, now())
                .await
                .unwrap();
            assert!(matches!(r, Received::Ignored { .. }), "{r:?}");
        }
        let after = store.ticket_mail(&ticket).await.unwrap().remove(0);
        assert_eq!(after.status, "failed");
        assert_eq!(
            after.last_error.as_deref(),
            Some("smtp; 550 5.1.1 User unknown")
        );
        let notes: Vec<String> = store
            .messages(&ticket, true)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| !m.public)
            .map(|m| m.body)
            .collect();
        assert_eq!(notes.len(), 1, "one note, whatever the retries: {notes:?}");
        assert!(
            notes[0].contains("bounced") && notes[0].contains("550 5.1.1"),
            "{notes:?}"
        );

        let customer = store
            .customer_by_email("gone@example.org")
            .await
            .unwrap()
            .unwrap();
        let summary = store.bounce_summaries(&[&customer]).await.unwrap();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].count, 1);
        assert_eq!(
            summary[0].last_reason.as_deref(),
            Some("smtp; 550 5.1.1 User unknown")
        );
        assert!(
            store
                .bounce_summaries(&["C-nobody"])
                .await
                .unwrap()
                .is_empty()
        );
        // An admin can still send it again.
        assert!(store.retry_mail(after.id, now()).await.unwrap());
    }
}

#[tokio::test]
async fn attachments_are_stored_once_per_content_and_over_limit_ones_are_listed() {
    for db in fresh_databases().await {
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        setup(&store).await;
        let raw = corpus("attachments.eml");
        let r = mail_in(&store, &writer, &raw).await;
        let ticket = r.ticket().unwrap().to_owned();
        let rows = store.ticket_attachments(&ticket).await.unwrap();
        assert_eq!(rows.len(), 3, "{rows:?}");
        let messages = store.messages(&ticket, true).await.unwrap();
        assert!(rows.iter().all(|a| a.message == Some(messages[0].id)));
        let png = rows
            .iter()
            .find(|a| a.filename.as_deref() == Some("shot.png"))
            .unwrap();
        assert!(png.inline);
        assert_eq!(png.content_id.as_deref(), Some("shot@eve"));
        assert_eq!(png.sniffed_type.as_deref(), Some("image/png"));
        let pdf = rows
            .iter()
            .find(|a| a.filename.as_deref() == Some("invoice.pdf"))
            .unwrap();
        assert_eq!(pdf.sniffed_type.as_deref(), Some("application/pdf"));
        let exe = rows
            .iter()
            .find(|a| a.filename.as_deref() == Some("photo.jpg"))
            .unwrap();
        assert_eq!(exe.declared_type, "image/jpeg");
        assert_eq!(
            exe.sniffed_type.as_deref(),
            Some("application/x-msdownload")
        );
        let (_, bytes) = store
            .ticket_attachment(&ticket, pdf.id)
            .await
            .unwrap()
            .unwrap();
        assert!(bytes.unwrap().starts_with(b"%PDF-1.4"));
        // Another ticket's id does not reach it.
        assert!(
            store
                .ticket_attachment("T-other", pdf.id)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.mail_blob_count().await.unwrap(), 3);

        // The same files in another mail: listed again, stored once.
        let again = String::from_utf8(raw.clone())
            .unwrap()
            .replace("<att-1@example.com>", "<att-2@example.com>")
            .replace("Subject: Screenshot and invoice", "Subject: Same files");
        let r2 = mail_in(&store, &writer, again.as_bytes()).await;
        assert_eq!(
            store
                .ticket_attachments(r2.ticket().unwrap())
                .await
                .unwrap()
                .len(),
            3
        );
        assert_eq!(store.mail_blob_count().await.unwrap(), 3);
        // A retried delivery stores nothing twice.
        mail_in(&store, &writer, again.as_bytes()).await;
        assert_eq!(
            store
                .ticket_attachments(r2.ticket().unwrap())
                .await
                .unwrap()
                .len(),
            3
        );

        // Over the limit: listed, not kept.
        let small = InboundConfig {
            limits: Limits {
                max_attachment_bytes: 50,
                ..Limits::default()
            },
            ..InboundConfig::default()
        };
        let third = again
            .replace("<att-2@example.com>", "<att-3@example.com>")
            .replace("Subject: Same files", "Subject: Small limit");
        let r3 = receive(&store, &writer, third.as_bytes(), None, &small, now())
            .await
            .unwrap();
        let rows = store
            .ticket_attachments(r3.ticket().unwrap())
            .await
            .unwrap();
        // The 70-byte PNG is over a 50-byte limit; the 45-byte PDF is not.
        let png = rows
            .iter()
            .find(|a| a.filename.as_deref() == Some("shot.png"))
            .unwrap();
        assert_eq!(png.sha256, None);
        assert_eq!(png.size, 70);
        let (_, bytes) = store
            .ticket_attachment(r3.ticket().unwrap(), png.id)
            .await
            .unwrap()
            .unwrap();
        assert!(bytes.is_none());
        let pdf = rows
            .iter()
            .find(|a| a.filename.as_deref() == Some("invoice.pdf"))
            .unwrap();
        assert!(pdf.sha256.is_some());
    }
}
