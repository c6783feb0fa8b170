//! The customer portal in a real headless Chromium: a customer asks for a sign-in link, opens
//! the mailed link (read from the durable mail queue, as the mail server would get it), sees
//! their own ticket, and gets the not-found page, without a word of it, for another customer's
//! ticket URL.
//!
//! Like `browser.rs`, without chromedriver or chromium it prints a notice and passes without
//! running, unless `SANJEH_REQUIRE_BROWSER=1`.

#[path = "common/chrome.rs"]
mod chrome;
mod common;

use chrome::{wait_for_text, wait_for_text_containing};
use common::{TestApp, wait_for_mails};
use sanjeh_store::{Incoming, Request};
use thirtyfour::prelude::*;

/// Alice (C-1) and Bob (C-2), with a ticket each.
const SEED: &str = r#"{"type":"customer.profile","at":"2026-01-01T00:00:00Z","customer":"C-1","name":"Alice","email":"alice@example.com"}
{"type":"customer.profile","at":"2026-01-01T00:00:00Z","customer":"C-2","name":"Bob","email":"bob@example.com"}
{"type":"ticket.created","at":"2026-01-02T09:00:00Z","ticket":"T-A","customer":"C-1","channel":"web","priority":"normal","subject":"Alice's printer"}
{"type":"ticket.created","at":"2026-01-02T09:05:00Z","ticket":"T-B","customer":"C-2","channel":"web","priority":"normal","subject":"Bob's secret"}"#;

#[tokio::test]
async fn a_customer_signs_in_by_link_and_gets_404_for_another_customers_ticket() {
    let Some((_chromedriver, driver)) = chrome::session().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let lines = SEED
        .lines()
        .enumerate()
        .map(|(i, l)| Incoming::parse(i as u64 + 1, l).unwrap())
        .collect();
    app.writer
        .submit(Request::Ingest(lines), None)
        .await
        .expect("seed customers and tickets");
    let result = run(&driver, &app).await;
    let _ = driver.quit().await;
    result.expect("the browser walk-through");
}

async fn run(driver: &WebDriver, app: &TestApp) -> WebDriverResult<()> {
    driver.goto(app.url("/portal/signin")).await?;
    driver
        .find(By::Id("email"))
        .await?
        .send_keys("alice@example.com")
        .await?;
    driver
        .find(By::Id("portal-signin-submit"))
        .await?
        .click()
        .await?;
    let mails = wait_for_mails(app, 1).await;
    let link = &mails[0].link;
    assert_eq!(mails[0].to, "alice@example.com");
    // The link names the configured public URL; open its path on this test server.
    let path = &link[link.find("/portal/link/").expect("a portal link")..];
    driver.goto(app.url(path)).await?;
    driver
        .find(By::Id("portal-link-submit"))
        .await?
        .click()
        .await?;
    wait_for_text_containing(driver, "#portal-tickets", "Alice's printer").await?;
    let list = driver.source().await?;
    assert!(!list.contains("Bob's secret"), "{list}");

    driver.goto(app.url("/portal/tickets/T-A")).await?;
    wait_for_text(driver, "#ticket-subject", "Alice's printer").await?;

    driver.goto(app.url("/portal/tickets/T-B")).await?;
    wait_for_text(driver, "#error-message", "There is no such page or ticket.").await?;
    let page = driver.source().await?;
    assert!(!page.contains("Bob's secret"), "{page}");
    // The browser got a 404, not a page that merely says so.
    let status: i64 = driver
        .execute(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        )
        .await?
        .convert()?;
    assert_eq!(status, 404);
    Ok(())
}
