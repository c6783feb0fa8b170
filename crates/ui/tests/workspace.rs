//! The agent workspace over real HTTP, on SQLite and (with `SANJEH_TEST_POSTGRES_URL`)
//! PostgreSQL: views and their pagination, saved filters, SLA badges and the overdue view,
//! macros (placeholders, actions, inert markup), merge, opportunities, the customer's history,
//! the user's time zone, the shortcuts script, CSRF on every new form and which role may use
//! which new route.

mod common;

use common::{
    TICKET, TestApp, browser, csrf_of, fresh_databases, get_html as get, location, signed_in,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use sanjeh_store::{Incoming, Request};
use sanjeh_ui::UiOptions;

/// The session's CSRF token (from the ticket list, or the preferences page for a manager).
async fn token(app: &TestApp, c: &reqwest::Client) -> String {
    csrf_of(&get(app, c, "/preferences").await.1)
}

async fn post(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

/// The page's text as a reader sees it: Fluent's isolation marks removed, entities decoded.
fn plain(s: &str) -> String {
    s.replace(['\u{2068}', '\u{2069}'], "")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

/// Records interchange lines as history.
async fn ingest(app: &TestApp, lines: &[String]) {
    let incoming = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Incoming::parse(i as u64 + 1, l).expect(l))
        .collect();
    let outcome = app
        .writer
        .submit(Request::Ingest(incoming), None)
        .await
        .expect("ingest");
    assert_eq!(outcome.ingest.added, lines.len() as u64);
}

fn at(ago_minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(ago_minutes)).to_string()
}

fn created(id: &str, ago: i64, priority: &str, subject: &str, tags: &str) -> String {
    format!(
        r#"{{"type":"ticket.created","at":"{}","ticket":"{id}","customer":"C-9","channel":"web","priority":"{priority}","subject":"{subject}","tags":[{tags}]}}"#,
        at(ago)
    )
}

macro_rules! on_every_backend {
    ($name:ident, $body:ident) => {
        #[tokio::test]
        async fn $name() {
            for db in fresh_databases().await {
                $body(TestApp::spawn_on(db, UiOptions::default()).await).await;
            }
        }
    };
}

on_every_backend!(views_are_one_query_each_with_real_pagination, views_on);
async fn views_on(app: TestApp) {
    // 55 unassigned open tickets (older than T-100), one pending, one solved.
    let mut lines: Vec<String> = (0..55)
        .map(|i| {
            created(
                &format!("U-{i:03}"),
                600 - i,
                "normal",
                &format!("Printer {i}"),
                "",
            )
        })
        .collect();
    lines.push(created(
        "P-1",
        500,
        "low",
        "Waiting on customer",
        r#""vip""#,
    ));
    lines.push(format!(
        r#"{{"type":"ticket.status","at":"{}","ticket":"P-1","status":"pending"}}"#,
        at(499)
    ));
    lines.push(created("S-1", 400, "low", "Done already", ""));
    lines.push(format!(
        r#"{{"type":"ticket.status","at":"{}","ticket":"S-1","status":"solved"}}"#,
        at(399)
    ));
    ingest(&app, &lines).await;
    let agent = signed_in(&app, "A-1").await;

    // Unassigned: 50 on the first page, in creation order, then a cursor to the rest.
    let (status, html) = get(&app, &agent, "/tickets?view=unassigned").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("class=\"ticket-row\"").count(), 50);
    assert!(html.contains("U-000") && !html.contains(">S-1<") && !html.contains(TICKET));
    let next = html
        .split("class=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a next page link")
        .replace("&#38;", "&");
    let (_, second) = get(&app, &agent, &next).await;
    // The 5 left plus the pending one, which is unassigned and unsolved too.
    assert_eq!(
        second.matches("class=\"ticket-row\"").count(),
        6,
        "{second}"
    );
    assert!(second.contains("U-054") && second.contains("P-1"));
    assert!(!second.contains("class=\"next\""));
    assert_eq!(
        get(&app, &agent, "/tickets?view=unassigned&cursor=zz")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // Mine: the seeded ticket is A-1's; A-2 has none.
    let (_, mine) = get(&app, &agent, "/tickets?view=mine").await;
    assert_eq!(mine.matches("class=\"ticket-row\"").count(), 1);
    assert!(mine.contains(TICKET));
    let other = signed_in(&app, "A-2").await;
    let (_, theirs) = get(&app, &other, "/tickets?view=mine").await;
    assert_eq!(theirs.matches("class=\"ticket-row\"").count(), 0);

    // Pending and filters.
    let (_, pending) = get(&app, &agent, "/tickets?view=pending").await;
    assert_eq!(pending.matches("class=\"ticket-row\"").count(), 1);
    assert!(pending.contains("P-1"));
    let (_, by_tag) = get(&app, &agent, "/tickets?view=filter&tag=vip").await;
    assert_eq!(by_tag.matches("class=\"ticket-row\"").count(), 1);
    let (_, by_text) = get(
        &app,
        &agent,
        "/tickets?view=filter&q=PRINTER%201&status=unsolved",
    )
    .await;
    // Printer 1, Printer 10..19.
    assert_eq!(
        by_text.matches("class=\"ticket-row\"").count(),
        11,
        "{by_text}"
    );
    let (_, by_prio) = get(
        &app,
        &agent,
        "/tickets?view=filter&priority=low&status=solved",
    )
    .await;
    assert_eq!(by_prio.matches("class=\"ticket-row\"").count(), 1);
    assert!(by_prio.contains("S-1"));
    let (_, by_assignee) = get(&app, &agent, "/tickets?view=filter&assignee=me").await;
    assert_eq!(by_assignee.matches("class=\"ticket-row\"").count(), 1);
    assert_eq!(
        get(&app, &agent, "/tickets?view=filter&status=bogus")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    // Next and previous ticket in a view, also without JavaScript.
    let (_, page) = get(&app, &agent, "/tickets/U-001?view=unassigned").await;
    assert!(
        page.contains("href=\"/tickets/U-002?view=unassigned\" rel=\"next\""),
        "{page}"
    );
    assert!(page.contains("href=\"/tickets/U-000?view=unassigned\" rel=\"prev\""));
    let (_, first) = get(&app, &agent, "/tickets/U-000?view=unassigned").await;
    assert!(!first.contains("rel=\"prev\""));

    // Saved filters: private ones only for their owner, shared ones for the team.
    let csrf = token(&app, &agent).await;
    let r = post(
        &app,
        &agent,
        "/filters",
        &[
            ("csrf", &csrf),
            ("name", "VIP mine"),
            ("tag", "vip"),
            ("status", "pending"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/tickets?view=filter&status=pending&tag=vip");
    let r = post(
        &app,
        &agent,
        "/filters",
        &[
            ("csrf", &csrf),
            ("name", "Team printers"),
            ("q", "printer"),
            ("shared", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = get(&app, &agent, "/tickets").await;
    assert!(list.contains("VIP mine") && list.contains("Team printers"));
    let (_, list) = get(&app, &other, "/tickets").await;
    assert!(!list.contains("VIP mine") && list.contains("Team printers"));
    let (_, saved) = get(&app, &agent, "/tickets?view=filter&status=pending&tag=vip").await;
    assert!(
        saved.contains("aria-current=\"page\"><bdi>VIP mine"),
        "{saved}"
    );
    assert_eq!(
        post(&app, &agent, "/filters", &[("csrf", &csrf), ("name", " ")])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // A-2 may not delete A-1's shared filter; A-1 may.
    let filters = app.store.saved_filters("A-1").await.unwrap();
    let shared = filters.iter().find(|f| f.shared).unwrap();
    let other_csrf = token(&app, &other).await;
    let path = format!("/filters/{}/delete", shared.id);
    assert_eq!(
        post(&app, &other, &path, &[("csrf", &other_csrf)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let private = filters.iter().find(|f| !f.shared).unwrap();
    assert_eq!(
        post(
            &app,
            &other,
            &format!("/filters/{}/delete", private.id),
            &[("csrf", &other_csrf)]
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&app, &agent, &path, &[("csrf", &csrf)]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.store.saved_filters("A-2").await.unwrap().len(), 0);
}

on_every_backend!(sla_badges_and_the_overdue_view, sla_on);
async fn sla_on(app: TestApp) {
    ingest(
        &app,
        &[
            format!(
                r#"{{"type":"sla.policies","at":"{}","policies":[{{"id":"std","name":"Standard","targets":{{"normal":{{"first_reply":{{"minutes":60,"hours":"calendar"}}}}}}}}]}}"#,
                at(10_000)
            ),
            created("LATE-1", 180, "normal", "Nobody answered", ""),
            created("SOON-1", 10, "normal", "Just in", ""),
        ],
    )
    .await;
    let agent = signed_in(&app, "A-1").await;
    let (_, overdue) = get(&app, &agent, "/tickets?view=overdue").await;
    assert_eq!(
        overdue.matches("class=\"ticket-row\"").count(),
        1,
        "{overdue}"
    );
    assert!(overdue.contains("LATE-1"));
    assert!(
        plain(&overdue).contains("First reply: overdue by 2 h"),
        "{overdue}"
    );

    let (_, soon) = get(&app, &agent, "/tickets/SOON-1").await;
    assert!(soon.contains("class=\"sla sla-running\""));
    assert!(
        plain(&soon).contains("First reply: due in 49 min")
            || plain(&soon).contains("First reply: due in 50 min"),
        "{soon}"
    );
    let (_, all) = get(&app, &agent, "/tickets?view=all").await;
    assert!(all.contains("sla-overdue") && all.contains("sla-running"));
    // No policy applies to the seeded ticket (created before the policies were recorded).
    let (_, untracked) = get(&app, &agent, &format!("/tickets/{TICKET}")).await;
    assert!(!untracked.contains("class=\"sla "));
    // The next ticket in the overdue view follows the same order, without JavaScript.
    let (_, late) = get(&app, &agent, "/tickets/LATE-1?view=overdue").await;
    assert!(!late.contains("rel=\"next\""));
}

on_every_backend!(macros_fill_the_reply_and_apply_their_actions, macros_on);
async fn macros_on(app: TestApp) {
    let agent = signed_in(&app, "A-1").await;
    let csrf = token(&app, &agent).await;
    // An agent keeps personal macros; only admins share.
    let r = post(
        &app,
        &agent,
        "/macros",
        &[
            ("csrf", &csrf),
            ("name", "Refund done"),
            (
                "body",
                "Hi {{customer.name}}, ticket {{ticket.id}} is refunded. <script>alert(1)</script><img src=x onerror=alert(2)> — {{agent.name}}",
            ),
            ("status", "solved"),
            ("priority", "urgent"),
            ("tags", "refunded, billing"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        post(
            &app,
            &agent,
            "/macros",
            &[
                ("csrf", &csrf),
                ("name", "Shared"),
                ("body", "x"),
                ("shared", "on")
            ]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            &app,
            &agent,
            "/macros",
            &[("csrf", &csrf), ("name", ""), ("body", "x")]
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    let admin = signed_in(&app, "ADM").await;
    let admin_csrf = token(&app, &admin).await;
    let r = post(
        &app,
        &admin,
        "/macros",
        &[
            ("csrf", &admin_csrf),
            ("name", "Greeting"),
            ("body", "Hello {{customer.name}}"),
            ("shared", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let macros = app.store.macros().await.unwrap();
    assert_eq!(macros.len(), 2);
    let refund = macros
        .iter()
        .find(|m| m.name == "Refund done")
        .unwrap()
        .id
        .to_string();
    let greeting = macros
        .iter()
        .find(|m| m.name == "Greeting")
        .unwrap()
        .id
        .to_string();
    // Recorded as configuration events.
    let events: i64 = app.store.event_count().await.unwrap();
    assert!(events > 0);

    // The macros page shows the markup as text.
    let (_, page) = get(&app, &agent, "/macros").await;
    assert!(plain(&page).contains("<script>alert(1)</script>"));
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x"));
    // A-2 sees the shared macro, not A-1's personal one, and may not apply or edit it.
    let other = signed_in(&app, "A-2").await;
    let (_, theirs) = get(&app, &other, "/macros").await;
    assert!(theirs.contains("Greeting") && !theirs.contains("Refund done"));
    assert_eq!(
        get(&app, &other, &format!("/macros/{refund}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &other, &format!("/macros/{greeting}")).await.0,
        StatusCode::FORBIDDEN
    );

    // Applying fills the reply form (no JavaScript: a POST that renders the page again).
    let r = post(
        &app,
        &agent,
        &format!("/tickets/{TICKET}/macro"),
        &[("csrf", &csrf), ("apply", &refund), ("body", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        plain(&html).contains("Hi C-9, ticket T-100 is refunded. <script>alert(1)</script><img src=x onerror=alert(2)> — Sara"),
        "{html}"
    );
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<script>alert"));
    assert!(html.contains(&format!("name=\"macro\" value=\"{refund}\"")));
    assert!(plain(&html).contains("When sent: Set status to Solved · Urgent · +refunded +billing"));
    let r = post(
        &app,
        &other,
        &format!("/tickets/{TICKET}/macro"),
        &[
            ("csrf", &other_csrf_of(&app, &other).await),
            ("apply", &refund),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Sending the reply applies the macro's status, priority and tags.
    let r = post(
        &app,
        &agent,
        &format!("/tickets/{TICKET}/messages"),
        &[
            ("csrf", &csrf),
            ("body", "Refunded <b>now</b>"),
            ("visibility", "public"),
            ("status", ""),
            ("macro", &refund),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let t = app.store.ticket(TICKET).await.unwrap().unwrap();
    assert_eq!(t.status.as_str(), "solved");
    assert_eq!(t.priority.as_str(), "urgent");
    assert!(
        t.tags.contains(&"refund".to_owned())
            && t.tags.contains(&"refunded".to_owned())
            && t.tags.contains(&"billing".to_owned())
    );

    // Edit and delete.
    let r = post(
        &app,
        &agent,
        "/macros",
        &[
            ("csrf", &csrf),
            ("id", &refund),
            ("name", "Refund sent"),
            ("body", "Done."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = app.store.macros().await.unwrap();
    assert!(
        m.iter()
            .any(|m| m.name == "Refund sent" && m.status.is_none())
    );
    assert_eq!(
        post(
            &app,
            &agent,
            &format!("/macros/{greeting}/delete"),
            &[("csrf", &csrf)]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(
            &app,
            &agent,
            &format!("/macros/{refund}/delete"),
            &[("csrf", &csrf)]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.store.macros().await.unwrap().len(), 1);
}

async fn other_csrf_of(app: &TestApp, c: &reqwest::Client) -> String {
    token(app, c).await
}

on_every_backend!(merge_from_the_ticket_page_after_confirming, merge_on);
async fn merge_on(app: TestApp) {
    ingest(
        &app,
        &[created("T-300", 30, "normal", "Charged twice again", "")],
    )
    .await;
    ingest(
        &app,
        &[format!(
            r#"{{"type":"ticket.message","at":"{}","ticket":"T-300","author":"customer:C-9","public":true,"body":"Second note about the double charge"}}"#,
            at(29)
        )],
    )
    .await;
    let agent = signed_in(&app, "A-1").await;
    let csrf = token(&app, &agent).await;
    // First the confirmation; nothing changes yet.
    let r = post(
        &app,
        &agent,
        "/tickets/T-300/merge",
        &[("csrf", &csrf), ("into", TICKET)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let confirm = r.text().await.unwrap();
    assert!(
        confirm.contains("Refund for order 42")
            && confirm.contains("name=\"confirm\" value=\"yes\"")
    );
    assert!(
        app.store
            .ticket("T-300")
            .await
            .unwrap()
            .unwrap()
            .merged_into
            .is_none()
    );
    for bad in ["T-300", "T-404", ""] {
        assert_eq!(
            post(
                &app,
                &agent,
                "/tickets/T-300/merge",
                &[("csrf", &csrf), ("into", bad)]
            )
            .await
            .status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let r = post(
        &app,
        &agent,
        "/tickets/T-300/merge",
        &[("csrf", &csrf), ("into", TICKET), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/tickets/{TICKET}"));
    let source = app.store.ticket("T-300").await.unwrap().unwrap();
    assert_eq!(source.status.as_str(), "closed");
    assert_eq!(source.merged_into.unwrap().as_str(), TICKET);
    let (_, target) = get(&app, &agent, &format!("/tickets/{TICKET}")).await;
    assert!(target.contains("Second note about the double charge"));
    assert!(target.contains("class=\"badge merged\""));
    // A closed ticket cannot be merged again.
    assert_eq!(
        post(
            &app,
            &agent,
            "/tickets/T-300/merge",
            &[("csrf", &csrf), ("into", TICKET), ("confirm", "yes")]
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
}

on_every_backend!(opportunities_customer_history_and_time_zone, extras_on);
async fn extras_on(app: TestApp) {
    ingest(
        &app,
        &[
            format!(
                r#"{{"type":"survey.response","at":"{}","survey":"csat","score":4,"ticket":"{TICKET}","customer":"C-9","comment":"Quick help"}}"#,
                at(20)
            ),
            format!(r#"{{"type":"call.queued","at":"{}","call":"X-7","queue":"support","customer":"C-9"}}"#, at(90)),
            format!(r#"{{"type":"call.answered","at":"{}","call":"X-7","agent":"A-2"}}"#, at(89)),
            format!(r#"{{"type":"call.ended","at":"{}","call":"X-7"}}"#, at(84)),
            created("T-050", 5000, "normal", "Earlier question", ""),
        ],
    )
    .await;
    let agent = signed_in(&app, "A-1").await;
    let csrf = token(&app, &agent).await;
    let path = format!("/tickets/{TICKET}/opportunities");
    for (amount, currency, field) in [
        ("12,5x", "USD", "amount"),
        ("-3", "USD", "amount"),
        ("10", "dollars", "currency"),
    ] {
        let r = post(
            &app,
            &agent,
            &path,
            &[
                ("csrf", &csrf),
                ("kind", "upsell"),
                ("amount", amount),
                ("currency", currency),
                ("stage", "open"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
    }
    let r = post(
        &app,
        &agent,
        &path,
        &[
            ("csrf", &csrf),
            ("kind", "cross_sell"),
            ("amount", "149.90"),
            ("currency", "eur"),
            ("stage", "won"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&app, &agent, &format!("/tickets/{TICKET}")).await;
    assert!(
        page.contains("Cross-sell") && page.contains("149.90 EUR") && page.contains("Won"),
        "{page}"
    );
    // History across channels.
    assert!(page.contains("T-050") && page.contains("Earlier question"));
    assert!(plain(&page).contains("CSAT: 4 Quick help"), "{page}");
    assert!(
        plain(&page).contains("Call X-7 answered by Reza, talk 5 min"),
        "{page}"
    );

    // Time zone: dates render in the user's zone.
    let (_, before) = get(&app, &agent, &format!("/tickets/{TICKET}")).await;
    let r = post(
        &app,
        &agent,
        "/preferences/time-zone",
        &[("csrf", &csrf), ("time_zone", "Asia/Tehran")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, prefs) = get(&app, &agent, "/preferences").await;
    assert!(prefs.contains("<option value=\"Asia/Tehran\" selected>"));
    let (_, after) = get(&app, &agent, &format!("/tickets/{TICKET}")).await;
    let created_time = |html: &str| {
        html.split("Created: <time")
            .nth(1)
            .unwrap()
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(created_time(&before), created_time(&after));
    assert_eq!(
        post(
            &app,
            &agent,
            "/preferences/time-zone",
            &[("csrf", &csrf), ("time_zone", "Mars/Olympus")]
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
}

on_every_backend!(
    shortcuts_script_is_served_and_loaded_without_inline_code,
    script_on
);
async fn script_on(app: TestApp) {
    let agent = signed_in(&app, "A-1").await;
    let r = agent
        .get(app.url("/assets/workspace.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(r.text().await.unwrap().contains("reply-body"));
    for path in ["/tickets", &format!("/tickets/{TICKET}")] {
        let r = agent.get(app.url(path)).send().await.unwrap();
        assert!(
            r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        let html = r.text().await.unwrap();
        assert_eq!(html.matches("<script").count(), 1, "{path}");
        assert!(html.contains("<script src=\"/assets/workspace.js\" defer></script>"));
        assert!(html.contains("id=\"shortcuts-help\""));
    }
}

on_every_backend!(every_new_form_refuses_a_forged_csrf_token, csrf_on);
async fn csrf_on(app: TestApp) {
    let agent = signed_in(&app, "A-1").await;
    let events = app.store.event_count().await.unwrap();
    let forged = "0".repeat(64);
    for (path, extra) in new_posts() {
        let mut form = vec![("csrf", forged.as_str())];
        form.extend(extra.iter().copied());
        let r = post(&app, &agent, path, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = post(&app, &agent, path, extra).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} without a token");
    }
    assert_eq!(
        app.store.event_count().await.unwrap(),
        events,
        "nothing was written"
    );
    assert!(app.store.saved_filters("A-1").await.unwrap().is_empty());
    assert!(app.store.web_time_zone("A-1").await.unwrap().is_none());
}

/// Every new POST route with a form that would be accepted with the right token.
fn new_posts() -> Vec<(&'static str, &'static [(&'static str, &'static str)])> {
    vec![
        ("/filters", &[("name", "x"), ("tag", "vip")]),
        ("/filters/abc/delete", &[]),
        ("/macros", &[("name", "x"), ("body", "y")]),
        ("/macros/MAC-1/delete", &[]),
        ("/tickets/T-100/macro", &[("apply", "MAC-1")]),
        (
            "/tickets/T-100/merge",
            &[("into", "T-100"), ("confirm", "yes")],
        ),
        (
            "/tickets/T-100/opportunities",
            &[("kind", "upsell"), ("amount", "1"), ("currency", "USD")],
        ),
        ("/preferences/time-zone", &[("time_zone", "Asia/Tehran")]),
    ]
}

on_every_backend!(every_new_route_as_every_role, roles_on);
async fn roles_on(app: TestApp) {
    let gets = [
        "/tickets?view=overdue",
        "/tickets?view=filter&tag=x",
        "/macros",
        "/macros/MAC-404",
        "/preferences",
    ];
    // Nobody signed in: every new page and form sends to the sign-in page.
    let anon = browser();
    for path in gets {
        let r = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/signin");
    }
    for (path, form) in new_posts() {
        let mut f = vec![("csrf", "x")];
        f.extend(form.iter().copied());
        let r = post(&app, &anon, path, &f).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/signin");
    }
    // A manager: preferences only.
    let manager = signed_in(&app, "M-1").await;
    let csrf = token(&app, &manager).await;
    assert_eq!(get(&app, &manager, "/preferences").await.0, StatusCode::OK);
    for path in &gets[..4] {
        assert_eq!(
            get(&app, &manager, path).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for (path, form) in new_posts() {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend(form.iter().copied());
        let status = post(&app, &manager, path, &f).await.status();
        if path == "/preferences/time-zone" {
            assert_eq!(status, StatusCode::SEE_OTHER);
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
    }
    // Agents and admins: the pages open (an unknown macro is not found).
    for login in ["A-1", "ADM"] {
        let c = signed_in(&app, login).await;
        for path in gets {
            let expected = if path == "/macros/MAC-404" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            assert_eq!(get(&app, &c, path).await.0, expected, "{login} {path}");
        }
    }
    // Nothing a manager or anonymous posted reached the log.
    assert!(app.store.macros().await.unwrap().is_empty());
    assert!(
        app.store
            .ticket_opportunities(TICKET)
            .await
            .unwrap()
            .is_empty()
    );
}
