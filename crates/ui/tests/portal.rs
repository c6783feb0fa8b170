//! The customer portal over real HTTP: the emailed sign-in link (read from the durable mail
//! queue, as the mail server would get it), expiry and single use, the same answer for an
//! unknown address, a customer's own tickets only (404 for another's), the web form, replies,
//! ratings in the CSAT report, the contact form, rate limits, the per-address sign-in limit,
//! and every route walked as every role.

mod common;

use common::{
    PASSWORD, TICKET, TestApp, browser, csrf_of, fresh_databases, get_html, link_mails, location,
    signed_in, wait_for_mails,
};
use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;
use sanjeh_store::auth::Role as TokenRole;
use sanjeh_ui::{PortalOptions, UiOptions};
use serde_json::{Value, json};
use std::time::Duration;

/// The API as an admin: customers, tickets and reports are set up and read through it.
struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    async fn new(app: &TestApp) -> Api {
        let (_, secret) = app
            .store
            .issue_token("portal tests", TokenRole::Admin, Some("ADM"))
            .await
            .unwrap();
        Api {
            base: app.url("/api/v1"),
            token: secret.0,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn customer(&self, id: &str, name: &str, email: &str) {
        self.send(
            reqwest::Method::POST,
            "/customers",
            json!({"id": id, "name": name, "email": email}),
        )
        .await;
    }

    async fn ticket(&self, id: &str, customer: &str, subject: &str, body: &str) {
        self.send(
            reqwest::Method::POST,
            "/tickets",
            json!({"id": id, "customer": customer, "subject": subject, "body": body, "channel": "email"}),
        )
        .await;
    }

    async fn message(&self, ticket: &str, body: &str, public: bool) {
        self.send(
            reqwest::Method::POST,
            &format!("/tickets/{ticket}/messages"),
            json!({"body": body, "public": public, "author": "agent:A-1"}),
        )
        .await;
    }

    async fn status(&self, ticket: &str, status: &str) -> Value {
        self.send(
            reqwest::Method::PATCH,
            &format!("/tickets/{ticket}"),
            json!({ "status": status }),
        )
        .await
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }
}

/// Asks for a sign-in link for `email` on client `c`; returns the answer's status and page.
async fn ask_link(app: &TestApp, c: &reqwest::Client, email: &str) -> (StatusCode, String) {
    let (_, page) = get_html(app, c, "/portal/signin").await;
    let csrf = csrf_of(&page);
    let r = c
        .post(app.url("/portal/signin"))
        .form(&[("email", email), ("csrf", &csrf), ("next", "")])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Opens a mailed link and presses its button; returns the answer.
async fn follow_link(app: &TestApp, c: &reqwest::Client, link: &str) -> reqwest::Response {
    // The link is on the configured public URL (here the default, not this test server's
    // port): follow its path.
    assert!(
        link.starts_with("http://127.0.0.1:8080/portal/link/") || link.starts_with(&app.base),
        "{link}"
    );
    let path = &link[link.find("/portal/").expect("a portal link")..];
    let r = c.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    let page = r.text().await.unwrap();
    let csrf = if status == StatusCode::OK {
        csrf_of(&page)
    } else {
        // A spent or expired link shows no button; press one anyway, with a good token.
        assert_eq!(status, StatusCode::GONE);
        csrf_of(&get_html(app, c, "/portal/signin").await.1)
    };
    c.post(app.url(path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
}

/// A client signed in as the customer with `email` through the mailed link.
async fn customer_signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let before = link_mails(app).await.len();
    let c = browser();
    let (status, _) = ask_link(app, &c, email).await;
    assert_eq!(status, StatusCode::OK);
    let mails = wait_for_mails(app, before + 1).await;
    let mail = mails.last().unwrap();
    assert_eq!(mail.to, email);
    let r = follow_link(app, &c, &mail.link).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/portal/tickets");
    c
}

fn options_with(portal: PortalOptions) -> UiOptions {
    UiOptions {
        portal,
        ..UiOptions::default()
    }
}

/// Two customers with a ticket each.
async fn two_customers(app: &TestApp) -> Api {
    let api = Api::new(app).await;
    api.customer("C-1", "Alice", "alice@example.com").await;
    api.customer("C-2", "Bob", "bob@example.com").await;
    api.ticket("T-A", "C-1", "Alice's printer", "The printer is on fire.")
        .await;
    api.ticket("T-B", "C-2", "Bob's secret", "Bob's private words.")
        .await;
    api
}

#[tokio::test]
async fn magic_link_signs_in_once_and_unknown_addresses_get_the_same_answer() {
    for db in fresh_databases().await {
        let app = TestApp::spawn_on(db, UiOptions::default()).await;
        let api = two_customers(&app).await;
        let _ = api;
        let c = browser();
        let (unknown_status, unknown_page) = ask_link(&app, &c, "nobody@example.com").await;
        let (known_status, known_page) = ask_link(&app, &c, "Alice@Example.com").await;
        assert_eq!(unknown_status, StatusCode::OK);
        assert_eq!(known_status, unknown_status);
        assert_eq!(known_page, unknown_page, "the answer tells nothing");
        assert!(known_page.contains("id=\"portal-link-sent\""));

        let mails = wait_for_mails(&app, 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mails_after = link_mails(&app).await;
        assert_eq!(mails_after.len(), 1, "no mail for an unknown address");
        let mail = &mails[0];
        assert_eq!(mail.to, "alice@example.com");
        assert_eq!(mail.subject, "Your sign-in link");
        let secret = mail.link.rsplit('/').next().unwrap();
        assert_eq!(secret.len(), 64, "256 random bits, hex: {}", mail.link);
        assert!(
            mail.link.starts_with(&format!("{}/portal/link/", app.base))
                || mail.link.starts_with("http://127.0.0.1:8080/")
        );

        // The default public URL is not this test server's; follow the path.
        let link = format!("{}/portal/link/{secret}", app.base);
        // Opening the link does not spend it; the button does.
        let (status, page) = get_html(&app, &c, &format!("/portal/link/{secret}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"portal-link-submit\""));
        let r = follow_link(&app, &c, &link).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/portal/tickets");
        let (status, html) = get_html(&app, &c, "/portal/tickets").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Alice&#39;s printer") || html.contains("Alice's printer"),
            "{html}"
        );

        // Single use: the same link again, in another browser, is refused.
        let other = browser();
        let r = follow_link(&app, &other, &link).await;
        assert_eq!(r.status(), StatusCode::GONE);
        assert_eq!(
            get_html(&app, &other, "/portal/tickets").await.0,
            StatusCode::SEE_OTHER
        );
        // A made-up link is refused the same way.
        let r = follow_link(
            &app,
            &other,
            &format!("{}/portal/link/{}", app.base, "ab".repeat(32)),
        )
        .await;
        assert_eq!(r.status(), StatusCode::GONE);

        // A customer reaches no agent page and signs out.
        assert_eq!(
            get_html(&app, &c, "/tickets").await.0,
            StatusCode::FORBIDDEN
        );
        let (_, html) = get_html(&app, &c, "/portal/tickets").await;
        let csrf = csrf_of(&html);
        let r = c
            .post(app.url("/signout"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/portal/signin");
        let r = c.get(app.url("/portal/tickets")).send().await.unwrap();
        assert_eq!(location(&r), "/portal/signin");
    }
}

#[tokio::test]
async fn links_expire_follow_the_language_and_keep_the_page_asked_for() {
    let app = TestApp::spawn_with(options_with(PortalOptions {
        link_ttl: Duration::from_millis(800),
        ..PortalOptions::default()
    }))
    .await;
    let api = two_customers(&app).await;
    api.status("T-A", "solved").await;

    // Anonymous on the rating page (the solved-ticket mail's link): sign in, come back.
    let c = browser();
    let r = c
        .get(app.url("/portal/tickets/T-A/rate"))
        .header(ACCEPT_LANGUAGE, "fa-IR,fa;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert_eq!(to, "/portal/signin?next=%2Fportal%2Ftickets%2FT-A%2Frate");
    let page = c
        .get(app.url(&to))
        .header(ACCEPT_LANGUAGE, "fa-IR,fa;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("dir=\"rtl\""),
        "Persian pages are right to left"
    );
    let csrf = csrf_of(&page);
    let r = c
        .post(app.url("/portal/signin"))
        .header(ACCEPT_LANGUAGE, "fa-IR,fa;q=0.9")
        .form(&[
            ("email", "alice@example.com"),
            ("csrf", csrf.as_str()),
            ("next", "/portal/tickets/T-A/rate"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mail = wait_for_mails(&app, 1).await.remove(0);
    assert_eq!(
        mail.subject, "پیوند ورود شما",
        "the mail speaks the reader's language"
    );
    let secret = mail.link.rsplit('/').next().unwrap().to_owned();
    let link = format!("{}/portal/link/{secret}", app.base);
    let r = follow_link(&app, &c, &link).await;
    assert_eq!(location(&r), "/portal/tickets/T-A/rate");

    // An unused link past its lifetime is refused.
    let late = browser();
    let (_, page) = get_html(&app, &late, "/portal/signin").await;
    let csrf = csrf_of(&page);
    late.post(app.url("/portal/signin"))
        .form(&[("email", "bob@example.com"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let mail = wait_for_mails(&app, 2).await.remove(1);
    assert_eq!(mail.to, "bob@example.com");
    let secret = mail.link.rsplit('/').next().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = follow_link(&app, &late, &format!("{}/portal/link/{secret}", app.base)).await;
    assert_eq!(r.status(), StatusCode::GONE, "expired");
    assert_eq!(
        get_html(&app, &late, "/portal/tickets").await.0,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_customer_sees_and_answers_only_their_own_tickets() {
    for db in fresh_databases().await {
        let app = TestApp::spawn_on(db, UiOptions::default()).await;
        let api = two_customers(&app).await;
        api.message("T-A", "Internal: check the fuse box first", false)
            .await;
        api.message("T-A", "Please unplug it.", true).await;
        let alice = customer_signed_in(&app, "alice@example.com").await;

        let (_, list) = get_html(&app, &alice, "/portal/tickets").await;
        assert!(list.contains("/portal/tickets/T-A"));
        assert!(!list.contains("T-B") && !list.contains("Bob"), "{list}");

        let (status, page) = get_html(&app, &alice, "/portal/tickets/T-A").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("The printer is on fire."));
        assert!(page.contains("Please unplug it."));
        assert!(!page.contains("fuse box"), "no internal notes");
        assert!(!page.contains("Sara") || page.contains("Please unplug it."));
        for agent_only in ["Priority", "Assignee", "Tags", "Internal note"] {
            assert!(
                !page.contains(agent_only),
                "{agent_only} is not for customers"
            );
        }

        // Another customer's ticket and a missing one answer the same 404.
        let (status, other) = get_html(&app, &alice, "/portal/tickets/T-B").await;
        let (missing_status, missing) = get_html(&app, &alice, "/portal/tickets/T-NOPE").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(missing_status, StatusCode::NOT_FOUND);
        assert_eq!(other, missing);
        assert!(!other.contains("Bob"));
        assert_eq!(
            get_html(&app, &alice, &format!("/portal/tickets/{TICKET}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let csrf = csrf_of(&page);
        for path in ["/portal/tickets/T-B/messages", "/portal/tickets/T-B/rate"] {
            let r = alice
                .post(app.url(path))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("body", "mine now"),
                    ("score", "1"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(
            get_html(&app, &alice, "/portal/tickets/T-B/rate").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.store.messages("T-B", true).await.unwrap().len(), 1);

        // A new ticket through the web form: the web channel, Alice's.
        let (status, form) = get_html(&app, &alice, "/portal/tickets/new").await;
        assert_eq!(status, StatusCode::OK);
        let nonce = {
            let marker = "name=\"nonce\" value=\"";
            let start = form.find(marker).unwrap() + marker.len();
            form[start..].split('"').next().unwrap().to_owned()
        };
        let fields = [
            ("csrf", csrf.as_str()),
            ("nonce", nonce.as_str()),
            ("subject", "Invoice copy"),
            ("body", "Please send my March invoice again."),
            ("kind", "question"),
        ];
        let r = alice
            .post(app.url("/portal/tickets"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = location(&r);
        // The same form sent twice (a double click) is one ticket.
        let again = alice
            .post(app.url("/portal/tickets"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(location(&again), to);
        let id = to.strip_prefix("/portal/tickets/").unwrap();
        let t = app.store.ticket(id).await.unwrap().expect("the new ticket");
        assert_eq!(t.channel.as_str(), "web");
        assert_eq!(t.customer.as_ref().unwrap().as_str(), "C-1");
        assert_eq!(t.kind.map(|k| k.as_str()), Some("question"));
        let mine = app
            .store
            .tickets(&sanjeh_store::TicketFilter {
                customer: Some(sanjeh_domain::Id::parse("c", "C-1").unwrap()),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(mine.items.len(), 2);
        let (_, list) = get_html(&app, &alice, "/portal/tickets").await;
        assert!(list.contains("Invoice copy"));

        // Bad fields are refused, naming nothing written.
        let r = alice
            .post(app.url("/portal/tickets"))
            .form(&[("csrf", csrf.as_str()), ("subject", ""), ("body", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = alice
            .post(app.url("/portal/tickets"))
            .form(&[("csrf", "forged"), ("subject", "s"), ("body", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // A reply on a solved ticket reopens it (the domain's rule).
        api.status("T-A", "solved").await;
        let r = alice
            .post(app.url("/portal/tickets/T-A/messages"))
            .form(&[("csrf", csrf.as_str()), ("body", "It is burning again.")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let t = app.store.ticket("T-A").await.unwrap().unwrap();
        assert_eq!(t.status.as_str(), "open");
        let last = app
            .store
            .messages("T-A", true)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(last.author_kind, "customer");
        assert_eq!(last.channel.as_deref(), Some("web"));
    }
}

#[tokio::test]
async fn a_rating_is_recorded_replaced_and_reported() {
    for db in fresh_databases().await {
        let app = TestApp::spawn_on(db, UiOptions::default()).await;
        let api = two_customers(&app).await;
        let alice = customer_signed_in(&app, "alice@example.com").await;
        let (_, page) = get_html(&app, &alice, "/portal/tickets/T-A").await;
        let csrf = csrf_of(&page);

        // Not solved yet: no rating.
        assert!(!page.contains("portal-rate-link"));
        let r = alice
            .post(app.url("/portal/tickets/T-A/rate"))
            .form(&[("csrf", csrf.as_str()), ("score", "5")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        api.status("T-A", "solved").await;
        let (status, form) = get_html(&app, &alice, "/portal/tickets/T-A/rate").await;
        assert_eq!(status, StatusCode::OK);
        assert!(form.contains("name=\"score\""));
        for bad in ["0", "6", "x"] {
            let r = alice
                .post(app.url("/portal/tickets/T-A/rate"))
                .form(&[("csrf", csrf.as_str()), ("score", bad)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        let r = alice
            .post(app.url("/portal/tickets/T-A/rate"))
            .form(&[("csrf", csrf.as_str()), ("score", "2")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/portal/tickets/T-A?rated=1");
        let r = alice
            .post(app.url("/portal/tickets/T-A/rate"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("score", "5"),
                ("comment", "Quick and kind."),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = get_html(&app, &alice, "/portal/tickets/T-A?rated=1").await;
        assert!(page.contains("id=\"portal-rated\""));
        let plain = page.replace(['\u{2068}', '\u{2069}'], "");
        assert!(plain.contains("Your rating: 5 of 5"), "{page}");

        // Both answers are events; the report counts the latest only (the domain's rule).
        let events = api.get("/tickets/T-A/events").await;
        let surveys: Vec<&Value> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["event"])
            .filter(|e| e["type"] == "survey.response")
            .collect();
        assert_eq!(surveys.len(), 2);
        assert_eq!(surveys[1]["survey"], "csat");
        assert_eq!(surveys[1]["score"], 5);
        assert_eq!(surveys[1]["customer"], "C-1");
        assert_eq!(surveys[1]["comment"], "Quick and kind.");
        let mut csat = Value::Null;
        for _ in 0..100 {
            let report = api.get("/reports?from=2000-01-01&to=2100-01-01").await;
            csat = report["kpis"]["csat"].clone();
            if csat["den"] == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(csat["den"], 1, "one answer per ticket: {csat}");
        assert_eq!(csat["num"], 1, "the 5 replaced the 2: {csat}");
    }
}

#[tokio::test]
async fn every_portal_route_as_every_role_and_every_agent_route_as_a_customer() {
    let app = TestApp::spawn().await;
    let api = two_customers(&app).await;
    api.status("T-A", "solved").await;
    let customer = customer_signed_in(&app, "alice@example.com").await;
    let (_, page) = get_html(&app, &customer, "/portal/tickets").await;
    let customer_csrf = csrf_of(&page);

    let gets = [
        "/portal/tickets",
        "/portal/tickets/new",
        "/portal/tickets/T-A",
        "/portal/tickets/T-A/rate",
    ];
    let posts = [
        "/portal/tickets",
        "/portal/tickets/T-A/messages",
        "/portal/tickets/T-A/rate",
    ];
    let open_pages = ["/portal/signin", "/portal/contact"];

    // Anonymous: pages send to the portal's sign-in, forms too; open pages open.
    let anon = browser();
    for path in gets {
        let r = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/portal/signin"), "{path}");
    }
    for path in posts {
        let r = anon
            .post(app.url(path))
            .form(&[
                ("csrf", "x"),
                ("body", "b"),
                ("subject", "s"),
                ("score", "5"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/portal/signin"), "{path}");
    }
    for path in open_pages {
        assert_eq!(
            get_html(&app, &anon, path).await.0,
            StatusCode::OK,
            "{path}"
        );
    }

    // The customer: every portal page.
    for path in gets {
        assert_eq!(
            get_html(&app, &customer, path).await.0,
            StatusCode::OK,
            "{path}"
        );
    }

    // Agents, admins, managers: no portal page, no portal form.
    for login in ["A-1", "ADM", "M-1"] {
        let staff = signed_in(&app, login).await;
        let home = if login == "M-1" {
            "/dashboard"
        } else {
            "/tickets"
        };
        let (_, page) = get_html(&app, &staff, home).await;
        let csrf = csrf_of(&page);
        for path in gets {
            assert_eq!(
                get_html(&app, &staff, path).await.0,
                StatusCode::FORBIDDEN,
                "{login} {path}"
            );
        }
        for path in posts {
            let r = staff
                .post(app.url(path))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("body", "b"),
                    ("subject", "s"),
                    ("score", "5"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{login} {path}");
        }
    }
    assert_eq!(app.store.messages("T-A", true).await.unwrap().len(), 1);

    // The customer: no agent page, no agent form, no API.
    for path in [
        "/tickets",
        "/tickets?view=all",
        &format!("/tickets/{TICKET}"),
        "/tickets/T-A",
        "/dashboard",
        "/dashboard/agents.csv",
    ] {
        assert_eq!(
            get_html(&app, &customer, path).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for path in ["/tickets/T-A/messages", "/tickets/T-A"] {
        let r = customer
            .post(app.url(path))
            .form(&[
                ("csrf", customer_csrf.as_str()),
                ("body", "b"),
                ("status", "closed"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for path in ["/api/v1/tickets", "/api/v1/tickets/T-A", "/api/v1/reports"] {
        let r = customer.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = customer.get(app.url("/")).send().await.unwrap();
    assert_eq!(location(&r), "/portal/tickets");
    assert_eq!(app.store.messages("T-A", true).await.unwrap().len(), 1);
    let t = app.store.ticket("T-A").await.unwrap().unwrap();
    assert_eq!(t.status.as_str(), "solved");
}

#[tokio::test]
async fn script_and_event_handlers_in_customer_text_render_inert() {
    let app = TestApp::spawn().await;
    let api = two_customers(&app).await;
    let _ = api;
    let alice = customer_signed_in(&app, "alice@example.com").await;
    let (_, page) = get_html(&app, &alice, "/portal/tickets/new").await;
    let csrf = csrf_of(&page);
    let evil = "<script>alert(1)</script><img src=x onerror=\"alert(2)\">";
    let r = alice
        .post(app.url("/portal/tickets"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("subject", "<b onmouseover=alert(3)>hi</b>"),
            ("body", evil),
        ])
        .send()
        .await
        .unwrap();
    let to = location(&r);
    let r = alice
        .post(app.url(&format!("{to}/messages")))
        .form(&[("csrf", csrf.as_str()), ("body", "<svg onload=alert(4)>")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let agent = signed_in(&app, "A-1").await;
    let id = to.strip_prefix("/portal/tickets/").unwrap();
    for (who, c, path) in [
        ("customer", &alice, to.clone()),
        ("customer list", &alice, "/portal/tickets".to_owned()),
        ("agent", &agent, format!("/tickets/{id}")),
    ] {
        let (status, html) = get_html(&app, c, &path).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        for raw in ["<script>alert", "<img", "<svg", "<b onmouseover"] {
            assert!(!html.contains(raw), "{who}: {raw} is live markup");
        }
        let escaped = |s: &str| {
            html.contains(&s.replace('<', "&#60;").replace('>', "&#62;"))
                || html.contains(&s.replace('<', "&lt;").replace('>', "&gt;"))
        };
        assert!(
            escaped("<b onmouseover"),
            "{who}: the subject is shown, escaped"
        );
        if who != "customer list" {
            assert!(
                escaped("<script>alert(1)"),
                "{who}: the body is shown, escaped"
            );
        }
        // The only script element is the agent workspace's own (keyboard shortcuts), from a file.
        let html = html.replace(r#"<script src="/assets/workspace.js" defer></script>"#, "");
        assert!(!html.to_lowercase().contains("<script"), "{who}");
    }
}

#[tokio::test]
async fn the_contact_form_opens_a_ticket_and_mails_a_link_to_follow_it() {
    let app = TestApp::spawn_with(options_with(PortalOptions {
        contacts_per_client: 2,
        ..PortalOptions::default()
    }))
    .await;
    let c = browser();
    let (status, page) = get_html(&app, &c, "/portal/contact").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);

    // Without the form's token: refused, nothing made.
    let r = c
        .post(app.url("/portal/contact"))
        .form(&[
            ("csrf", "forged"),
            ("email", "new@example.com"),
            ("subject", "s"),
            ("body", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url("/portal/contact"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "not an address"),
            ("subject", "s"),
            ("body", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = c
        .post(app.url("/portal/contact"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "New.Person@Example.com"),
            ("name", "Nima"),
            ("subject", "Where is my parcel?"),
            ("body", "Order 77 has not arrived."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("id=\"portal-contact-sent\"")
    );
    let customer = app
        .store
        .customer_by_email("new.person@example.com")
        .await
        .unwrap()
        .expect("a customer made for the address");
    let mail = wait_for_mails(&app, 1).await.remove(0);
    assert_eq!(mail.to, "new.person@example.com");
    assert_eq!(mail.subject, "We have your message");
    let secret = mail.link.rsplit('/').next().unwrap();
    let r = follow_link(&app, &c, &format!("{}/portal/link/{secret}", app.base)).await;
    let to = location(&r);
    assert!(to.starts_with("/portal/tickets/T-"), "{to}");
    let (_, page) = get_html(&app, &c, &to).await;
    assert!(page.contains("Order 77 has not arrived."));
    let t = app
        .store
        .ticket(to.strip_prefix("/portal/tickets/").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.customer.unwrap().as_str(), customer);
    assert_eq!(t.channel.as_str(), "web");

    // The limit per client address: the second ticket passes, the third is refused.
    let anon = browser();
    let (_, page) = get_html(&app, &anon, "/portal/contact").await;
    let csrf = csrf_of(&page);
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", "new.person@example.com"),
        ("subject", "Again"),
        ("body", "Still nothing."),
    ];
    let r = anon
        .post(app.url("/portal/contact"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = anon
        .post(app.url("/portal/contact"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn link_requests_are_limited_per_address_and_per_client() {
    let app = TestApp::spawn_with(options_with(PortalOptions {
        links_per_address: 2,
        links_per_client: 4,
        ..PortalOptions::default()
    }))
    .await;
    two_customers(&app).await;
    let c = browser();
    for _ in 0..3 {
        assert_eq!(
            ask_link(&app, &c, "alice@example.com").await.0,
            StatusCode::OK
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_alice = link_mails(&app)
        .await
        .into_iter()
        .filter(|m| m.to == "alice@example.com")
        .count();
    assert_eq!(to_alice, 2, "at most 2 links per address in the window");
    assert_eq!(
        ask_link(&app, &c, "bob@example.com").await.0,
        StatusCode::OK
    );
    let (status, page) = ask_link(&app, &c, "bob@example.com").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "4 per client address"
    );
    assert!(page.contains("Too many requests"));
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client_address_across_logins() {
    let app = TestApp::spawn_with(UiOptions {
        max_failures_per_address: 3,
        ..UiOptions::default()
    })
    .await;
    let c = browser();
    let try_signin = |login: &'static str, password: &'static str| {
        let c = c.clone();
        let app_url = app.url("/signin");
        async move {
            let page = c.get(&app_url).send().await.unwrap().text().await.unwrap();
            let csrf = csrf_of(&page);
            c.post(&app_url)
                .form(&[("login", login), ("password", password), ("csrf", &csrf)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // One wrong password on each of three logins: under every per-login limit.
    for login in ["A-1", "A-2", "nobody"] {
        assert_eq!(
            try_signin(login, "wrong password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The address is now refused, even with a right password for a fourth login.
    assert_eq!(
        try_signin("ADM", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        try_signin("M-1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn link_mail_comes_from_the_outbound_relays_sender_once_one_is_configured() {
    let app = TestApp::spawn().await;
    two_customers(&app).await;
    let c = browser();
    assert_eq!(
        ask_link(&app, &c, "alice@example.com").await.0,
        StatusCode::OK
    );
    let sender_of_last = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let rows = store.due_mail(i64::MAX, 1000).await.unwrap();
            let last = rows.iter().rfind(|r| r.ticket.is_empty()).cloned();
            last.map(|r| {
                let parsed = mail_parser::MessageParser::default()
                    .parse(&r.message)
                    .unwrap();
                let from = parsed.from().and_then(|f| f.first()).unwrap();
                (r.sender.clone(), from.address().unwrap_or("").to_owned())
            })
        }
    };
    wait_for_mails(&app, 1).await;
    assert_eq!(
        sender_of_last(&app).await,
        Some(("support@localhost".into(), "support@localhost".into())),
        "no relay: the portal's own sender"
    );
    let relay: sanjeh_email::config::OutboundSettings = serde_json::from_value(json!({
        "host": "127.0.0.1", "from": "help@example.org", "from_name": "Example Help"
    }))
    .unwrap();
    sanjeh_email::config::put_outbound(&app.store, relay, 0)
        .await
        .unwrap();
    assert_eq!(
        ask_link(&app, &c, "bob@example.com").await.0,
        StatusCode::OK
    );
    wait_for_mails(&app, 2).await;
    assert_eq!(
        sender_of_last(&app).await,
        Some(("help@example.org".into(), "help@example.org".into()))
    );
}
