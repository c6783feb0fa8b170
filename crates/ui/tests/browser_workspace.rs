//! The agent workspace in a real headless Chromium: keyboard shortcuts (`r` puts the focus in
//! the reply box, `n` switches it to an internal note, `j` opens the next ticket of the view,
//! `?` shows the help) and applying a macro, which fills the reply box.
//!
//! Like `browser.rs`, without chromedriver or chromium it prints a notice and passes without
//! running, unless `SANJEH_REQUIRE_BROWSER=1`.

#[path = "common/chrome.rs"]
mod chrome;
mod common;

use chrome::{wait_for_text, wait_until};
use common::{PASSWORD, TICKET, TestApp};
use sanjeh_store::{Incoming, Request};
use thirtyfour::prelude::*;

#[tokio::test]
async fn keyboard_shortcuts_and_applying_a_macro() {
    let Some((_chromedriver, driver)) = chrome::session().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let line = format!(
        r#"{{"type":"ticket.created","at":"{}","ticket":"T-101","customer":"C-9","channel":"chat","priority":"normal","subject":"Second question"}}"#,
        jiff::Timestamp::now()
    );
    app.writer
        .submit(
            Request::Ingest(vec![Incoming::parse(1, &line).unwrap()]),
            None,
        )
        .await
        .expect("seed a second ticket");
    let result = run(&driver, &app.base).await;
    let _ = driver.quit().await;
    result.expect("the browser walk-through");
}

async fn press(driver: &WebDriver, key: &str) -> WebDriverResult<()> {
    driver.action_chain().send_keys(key).perform().await
}

async fn run(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/signin")).await?;
    driver.find(By::Id("login")).await?.send_keys("A-1").await?;
    driver
        .find(By::Id("password"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    driver.find(By::Id("signin-submit")).await?.click().await?;
    wait_until("signed in", || async {
        Ok(driver.current_url().await?.path().starts_with("/tickets"))
    })
    .await?;

    // A personal macro, made through the macros page.
    driver.goto(format!("{base}/macros")).await?;
    driver
        .find(By::Id("macro-name"))
        .await?
        .send_keys("Thanks")
        .await?;
    driver
        .find(By::Id("macro-body"))
        .await?
        .send_keys("Thank you, {{customer.name}}. About {{ticket.id}}: <b>done</b>.")
        .await?;
    driver
        .find(By::Css("#macro-status option[value='solved']"))
        .await?
        .click()
        .await?;
    driver.find(By::Id("macro-save")).await?.click().await?;
    wait_until("the macro is listed", || async {
        Ok(driver.source().await?.contains("Thanks"))
    })
    .await?;

    // `r` focuses the reply box; `n` makes it an internal note.
    driver
        .goto(format!("{base}/tickets/{TICKET}?view=all"))
        .await?;
    press(driver, "r").await?;
    let active = driver.active_element().await?;
    assert_eq!(active.id().await?.as_deref(), Some("reply-body"));
    // Typing in the box is text, not shortcuts.
    press(driver, "j").await?;
    assert!(driver.current_url().await?.path().ends_with(TICKET));
    active.clear().await?;
    driver.find(By::Tag("h1")).await?.click().await?;
    press(driver, "n").await?;
    assert!(
        driver
            .find(By::Id("visibility-internal"))
            .await?
            .is_selected()
            .await?
    );
    assert_eq!(
        driver.active_element().await?.id().await?.as_deref(),
        Some("reply-body")
    );

    // `?` shows the help.
    driver.find(By::Tag("h1")).await?.click().await?;
    press(driver, "?").await?;
    let help = driver.find(By::Id("shortcuts-help")).await?;
    assert!(help.is_displayed().await?, "the shortcuts help is open");
    press(driver, "\u{e00c}").await?; // Escape closes the dialog.

    // Applying the macro fills the reply box (a form post, no script needed).
    driver.goto(format!("{base}/tickets/{TICKET}")).await?;
    driver
        .find(By::Css("#macro-select option"))
        .await?
        .click()
        .await?;
    driver.find(By::Id("macro-apply")).await?.click().await?;
    wait_until("the reply box holds the macro", || async {
        let value = driver
            .find(By::Id("reply-body"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        Ok(value == "Thank you, C-9. About T-100: <b>done</b>.")
    })
    .await?;
    assert_eq!(
        driver
            .find(By::Css("#reply-status option:checked"))
            .await?
            .value()
            .await?
            .as_deref(),
        Some("solved")
    );
    // The markup stayed text: no bold element was made from it.
    assert!(
        driver
            .find_all(By::Css(".conversation b"))
            .await?
            .is_empty()
    );
    driver.find(By::Id("reply-submit")).await?.click().await?;
    wait_for_text(driver, "#ticket-status", "Solved").await?;

    // `j` opens the next ticket of the view.
    driver
        .goto(format!("{base}/tickets/{TICKET}?view=all"))
        .await?;
    press(driver, "j").await?;
    wait_until("the next ticket is open", || async {
        Ok(driver
            .current_url()
            .await?
            .path()
            .ends_with("/tickets/T-101"))
    })
    .await?;
    Ok(())
}
