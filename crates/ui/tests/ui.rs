//! The UI over real HTTP: sign-in (good and bad passwords, the rate limit), CSRF, roles,
//! replying through the form, sign-out everywhere, languages, the dashboard and its CSV.

mod common;

use common::{
    PASSWORD, TICKET, TestApp, browser, csrf_of, fresh_databases, get_html, location, signed_in,
    try_signin,
};
use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;
use sanjeh_ui::UiOptions;

/// Fluent isolates placeables with FSI/PDI; tests compare the text without them.
fn plain(s: &str) -> String {
    s.replace(['\u{2068}', '\u{2069}'], "")
}

#[tokio::test]
async fn sign_in_with_good_and_bad_passwords() {
    for db in fresh_databases().await {
        sign_in_with_good_and_bad_passwords_on(TestApp::spawn_on(db, UiOptions::default()).await)
            .await;
    }
}

async fn sign_in_with_good_and_bad_passwords_on(app: TestApp) {
    let c = browser();

    let bad = try_signin(&app, &c, "A-1", "not the password").await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("The agent ID or password is not correct.")
    );
    let unknown = try_signin(&app, &c, "nobody", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let good = try_signin(&app, &c, "A-1", PASSWORD).await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&good), "/tickets");
    let cookies: Vec<_> = good
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("sanjeh_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );

    let (status, html) = get_html(&app, &c, "/tickets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(TICKET),
        "my open view lists the assigned ticket"
    );
    assert!(html.contains("Refund for order 42"));
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_login() {
    for db in fresh_databases().await {
        let options = UiOptions {
            max_failures: 3,
            ..UiOptions::default()
        };
        sign_in_is_rate_limited_per_login_on(TestApp::spawn_on(db, options).await).await;
    }
}

async fn sign_in_is_rate_limited_per_login_on(app: TestApp) {
    let c = browser();
    for _ in 0..3 {
        let r = try_signin(&app, &c, "A-2", "wrong password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, without being checked.
    let r = try_signin(&app, &c, "A-2", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Too many failed sign-ins"));
    // Other logins are not affected.
    let other = try_signin(&app, &c, "A-1", PASSWORD).await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn parallel_guesses_get_no_more_tries_than_the_limit() {
    for db in fresh_databases().await {
        let options = UiOptions {
            max_failures: 3,
            ..UiOptions::default()
        };
        let app = TestApp::spawn_on(db, options).await;
        // Twelve guesses at once, each from its own browser (cookie and CSRF token).
        let mut guesses = Vec::new();
        for _ in 0..12 {
            let c = browser();
            let page = c.get(app.url("/signin")).send().await.unwrap();
            let csrf = csrf_of(&page.text().await.unwrap());
            let url = app.url("/signin");
            guesses.push(tokio::spawn(async move {
                c.post(url)
                    .form(&[("login", "A-2"), ("password", "guess"), ("csrf", &csrf)])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut checked = 0;
        for g in guesses {
            let status = g.await.unwrap();
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
                "{status}"
            );
            checked += usize::from(status == StatusCode::UNAUTHORIZED);
        }
        assert_eq!(checked, 3, "[{}] passwords checked", app.backend);
        // A success gives its attempt back: the right password still works for another login.
        let c = browser();
        assert_eq!(
            try_signin(&app, &c, "A-1", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    for db in fresh_databases().await {
        forms_without_the_right_csrf_token_are_refused_on(
            TestApp::spawn_on(db, UiOptions::default()).await,
        )
        .await;
    }
}

async fn forms_without_the_right_csrf_token_are_refused_on(app: TestApp) {
    // Sign-in without the double-submit cookie's value.
    let c = browser();
    let r = c
        .post(app.url("/signin"))
        .form(&[("login", "A-1"), ("password", PASSWORD), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A reply with another token than the session's.
    let c = signed_in(&app, "A-1").await;
    let r = c
        .post(app.url(&format!("/tickets/{TICKET}/messages")))
        .form(&[("csrf", "0".repeat(64).as_str()), ("body", "forged reply")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("This form has expired"));
    let r = c
        .post(app.url(&format!("/tickets/{TICKET}/messages")))
        .form(&[("body", "no token at all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let messages = app.store.messages(TICKET, true).await.unwrap();
    assert_eq!(messages.len(), 1, "nothing was written");

    // Sign-out needs the token too.
    let r = c
        .post(app.url("/signout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn each_role_sees_only_what_it_may() {
    for db in fresh_databases().await {
        each_role_sees_only_what_it_may_on(TestApp::spawn_on(db, UiOptions::default()).await).await;
    }
}

async fn each_role_sees_only_what_it_may_on(app: TestApp) {
    // Nobody signed in: every page sends to the sign-in form.
    let anon = browser();
    for path in [
        "/tickets",
        &format!("/tickets/{TICKET}"),
        "/dashboard",
        "/dashboard/agents.csv",
    ] {
        let r = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/signin", "{path}");
    }
    let r = anon
        .post(app.url(&format!("/tickets/{TICKET}/messages")))
        .form(&[("csrf", "x"), ("body", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // A manager reads reports, not tickets.
    let manager = signed_in(&app, "M-1").await;
    assert_eq!(
        get_html(&app, &manager, "/dashboard").await.0,
        StatusCode::OK
    );
    assert_eq!(
        get_html(&app, &manager, "/tickets").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, html) = get_html(&app, &manager, &format!("/tickets/{TICKET}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!html.contains("I was charged twice."));
    let (_, dash) = get_html(&app, &manager, "/dashboard").await;
    let csrf = csrf_of(&dash);
    let r = manager
        .post(app.url(&format!("/tickets/{TICKET}/messages")))
        .form(&[("csrf", csrf.as_str()), ("body", "manager writes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // An agent works tickets but does not see the dashboard.
    let agent = signed_in(&app, "A-2").await;
    assert_eq!(
        get_html(&app, &agent, "/tickets?view=all").await.0,
        StatusCode::OK
    );
    assert_eq!(
        get_html(&app, &agent, "/dashboard").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_html(&app, &agent, "/dashboard/agents.csv").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_html(&app, &agent, "/tickets/T-404").await.0,
        StatusCode::NOT_FOUND
    );

    // An admin does both.
    let admin = signed_in(&app, "ADM").await;
    assert_eq!(get_html(&app, &admin, "/dashboard").await.0, StatusCode::OK);
    assert_eq!(get_html(&app, &admin, "/tickets").await.0, StatusCode::OK);
}

#[tokio::test]
async fn agent_replies_adds_a_note_and_solves_through_the_forms() {
    for db in fresh_databases().await {
        agent_replies_adds_a_note_and_solves_through_the_forms_on(
            TestApp::spawn_on(db, UiOptions::default()).await,
        )
        .await;
    }
}

async fn agent_replies_adds_a_note_and_solves_through_the_forms_on(app: TestApp) {
    let c = signed_in(&app, "A-1").await;
    let path = format!("/tickets/{TICKET}");
    let (status, html) = get_html(&app, &c, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("I was charged twice."));
    let csrf = csrf_of(&html);

    let r = c
        .post(app.url(&format!("{path}/messages")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", "Checking with billing."),
            ("visibility", "internal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), path);

    let r = c
        .post(app.url(&format!("{path}/messages")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", "Refunded <b>today</b>."),
            ("visibility", "public"),
            ("status", "solved"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Written through the writer, as the API would: the reply is the agent's, the note
    // internal, the ticket solved.
    let messages = app.store.messages(TICKET, true).await.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1].author_id.as_deref(), Some("A-1"));
    assert!(!messages[1].public);
    assert!(messages[2].public);
    let ticket = app.store.ticket(TICKET).await.unwrap().unwrap();
    assert_eq!(ticket.status.as_str(), "solved");
    assert_eq!(ticket.facts.agent_replies, 1);

    let (_, html) = get_html(&app, &c, &path).await;
    assert!(html.contains("Internal note"));
    assert!(html.contains("Refunded "), "the reply is shown");
    assert!(!html.contains("<b>today</b>"), "bodies are escaped");
    assert!(html.contains("status-solved"));

    // Properties: priority, assignee, tags.
    let r = c
        .post(app.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "solved"),
            ("priority", "urgent"),
            ("assignee", "A-2"),
            ("tags", "refund, VIP"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ticket = app.store.ticket(TICKET).await.unwrap().unwrap();
    assert_eq!(ticket.priority.as_str(), "urgent");
    assert_eq!(ticket.assignee.as_ref().map(|a| a.as_str()), Some("A-2"));
    assert_eq!(ticket.tags, vec!["refund".to_owned(), "vip".to_owned()]);

    // An empty reply is refused with a page that says why.
    let r = c
        .post(app.url(&format!("{path}/messages")))
        .form(&[("csrf", csrf.as_str()), ("body", "   ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("The message is empty."));
}

#[tokio::test]
async fn sign_out_here_and_everywhere() {
    for db in fresh_databases().await {
        sign_out_here_and_everywhere_on(TestApp::spawn_on(db, UiOptions::default()).await).await;
    }
}

async fn sign_out_here_and_everywhere_on(app: TestApp) {
    let laptop = signed_in(&app, "A-1").await;
    let phone = signed_in(&app, "A-1").await;
    let other = signed_in(&app, "A-2").await;

    let (_, html) = get_html(&app, &laptop, "/tickets").await;
    let r = laptop
        .post(app.url("/signout/everywhere"))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/signin");
    for c in [&laptop, &phone] {
        let r = c.get(app.url("/tickets")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/signin");
    }
    assert_eq!(get_html(&app, &other, "/tickets").await.0, StatusCode::OK);

    let (_, html) = get_html(&app, &other, "/tickets").await;
    let r = other
        .post(app.url("/signout"))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        other
            .get(app.url("/tickets"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn languages_follow_accept_language_then_the_users_choice() {
    for db in fresh_databases().await {
        languages_follow_accept_language_then_the_users_choice_on(
            TestApp::spawn_on(db, UiOptions::default()).await,
        )
        .await;
    }
}

async fn languages_follow_accept_language_then_the_users_choice_on(app: TestApp) {
    let anon = browser();
    for (header, dir, text) in [
        ("fa-IR,fa;q=0.9", "rtl", "ورود"),
        ("ru", "ltr", "Вход"),
        ("de, en;q=0.5", "ltr", "Sign in"),
    ] {
        let r = anon
            .get(app.url("/signin"))
            .header(ACCEPT_LANGUAGE, header)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("dir=\"{dir}\"")), "{header}");
        assert!(html.contains(text), "{header}");
    }

    // A user picks Persian: pages are right-to-left with Persian digits and Jalali dates,
    // the Gregorian date in the title.
    let c = signed_in(&app, "A-1").await;
    let (_, html) = get_html(&app, &c, "/tickets").await;
    let r = c
        .post(app.url("/preferences/language"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("lang", "fa"),
            ("next", "/tickets"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/tickets");
    let (_, html) = get_html(&app, &c, &format!("/tickets/{TICKET}")).await;
    assert!(html.contains("<html lang=\"fa\" dir=\"rtl\">"));
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let (jy, _, _) = sanjeh_ui::i18n::jalali(today).unwrap();
    let persian_year: String = jy
        .to_string()
        .chars()
        .map(|c| char::from_u32(0x06F0 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let html = plain(&html);
    assert!(
        html.contains(&persian_year),
        "Jalali year {persian_year} in Persian digits"
    );
    assert!(
        html.contains(&format!("title=\"{today}")),
        "Gregorian date on hover"
    );
    assert!(html.contains("یادداشت داخلی") || html.contains("پاسخ عمومی"));

    // The choice follows the user to another browser.
    let other = signed_in(&app, "A-1").await;
    let (_, html) = get_html(&app, &other, "/tickets").await;
    assert!(html.contains("dir=\"rtl\""));

    // Russian plural rules.
    let (_, html) = get_html(&app, &c, "/tickets").await;
    let csrf = csrf_of(&html);
    c.post(app.url("/preferences/language"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("lang", "ru"),
            ("next", "/tickets"),
        ])
        .send()
        .await
        .unwrap();
    let (_, html) = get_html(&app, &c, "/tickets").await;
    assert!(plain(&html).contains("1 обращение"), "one form");
}

/// The solved count of the dashboard's card, as shown (English digits).
fn solved_card(html: &str) -> String {
    let card = html
        .split("data-kpi=\"solved_tickets\"")
        .nth(1)
        .expect("a solved card");
    let start = card.find("<p class=\"value\">").unwrap() + "<p class=\"value\">".len();
    // The value may be a link to the tickets behind it: the text outside tags.
    let value = &card[start..card.find("</p>").unwrap()];
    value
        .split('>')
        .filter_map(|s| s.split('<').next())
        .collect()
}

#[tokio::test]
async fn dashboard_shows_kpis_from_the_engine_and_exports_csv() {
    for db in fresh_databases().await {
        dashboard_shows_kpis_from_the_engine_and_exports_csv_on(
            TestApp::spawn_on(db, UiOptions::default()).await,
        )
        .await;
    }
}

async fn dashboard_shows_kpis_from_the_engine_and_exports_csv_on(app: TestApp) {
    let admin = signed_in(&app, "ADM").await;
    let (status, html) = get_html(&app, &admin, "/dashboard?period=7d").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(solved_card(&html), "0");
    assert!(html.contains("Tickets solved"));
    assert!(html.contains("First reply time"));

    // Solve the ticket through the form; the next report sees it.
    let (_, page) = get_html(&app, &admin, &format!("/tickets/{TICKET}")).await;
    let r = admin
        .post(app.url(&format!("/tickets/{TICKET}/messages")))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("body", "Done."),
            ("status", "solved"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut solved = String::new();
    for _ in 0..50 {
        let (_, html) = get_html(&app, &admin, "/dashboard?period=7d").await;
        solved = solved_card(&html);
        if solved == "1" {
            assert!(
                html.contains("Ava Admin") || html.contains("<bdi>ADM</bdi>"),
                "the solver is in the top-agents table"
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(solved, "1");
    let (_, html) = get_html(&app, &admin, "/dashboard?period=7d").await;
    let chart = html
        .split("<svg id=\"chart-volume\"")
        .nth(1)
        .expect("a volume chart");
    assert!(chart.contains("class=\"bar s0\""));
    assert!(plain(chart).contains(" · Email: 1</title>"), "{chart}");

    let r = admin
        .get(app.url("/dashboard/agents.csv?period=7d"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Rank,Agent ID,Agent,Solved")
    );
    assert!(lines.any(|l| l.starts_with("1,ADM,")), "{csv}");

    // The week of a Persian user starts on Saturday.
    let (_, html) = get_html(&app, &admin, "/dashboard?period=week").await;
    assert!(html.contains("data-kpi=\"solved_tickets\""));
}

#[tokio::test]
async fn assets_are_embedded_and_pages_carry_security_headers() {
    for db in fresh_databases().await {
        assets_are_embedded_and_pages_carry_security_headers_on(
            TestApp::spawn_on(db, UiOptions::default()).await,
        )
        .await;
    }
}

async fn assets_are_embedded_and_pages_carry_security_headers_on(app: TestApp) {
    let c = browser();
    let r = c.get(app.url("/assets/app.css")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(r.text().await.unwrap().contains("inline-start"));
    let r = c.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    // The API is still served beside the UI.
    let r = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
