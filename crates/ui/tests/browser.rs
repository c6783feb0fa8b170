//! End to end in a real headless Chromium (Debian's `chromium` and `chromium-driver`): sign in,
//! reply to a ticket and solve it, see the dashboard's solved count change, then switch to
//! Persian and see a right-to-left page with Jalali dates.
//!
//! The test starts chromedriver itself on a free port. Without chromedriver or chromium
//! installed it prints a notice and passes without running, unless `SANJEH_REQUIRE_BROWSER=1`
//! (CI installs both and sets it).

#[path = "common/chrome.rs"]
mod chrome;
mod common;

use chrome::{screenshot, wait_for_text, wait_until};
use common::{PASSWORD, TICKET, TestApp};
use std::time::Duration;
use thirtyfour::prelude::*;

async fn solved_count(driver: &WebDriver, base: &str) -> WebDriverResult<String> {
    driver.goto(format!("{base}/dashboard?period=7d")).await?;
    driver
        .find(By::Css("[data-kpi='solved_tickets'] .value"))
        .await?
        .text()
        .await
}

#[tokio::test]
async fn sign_in_reply_and_see_the_dashboard_change_then_persian() {
    let app = TestApp::spawn().await;
    let Some((_chromedriver, driver)) = chrome::session().await else {
        return;
    };
    let result = run(&driver, &app.base).await;
    let _ = driver.quit().await;
    result.expect("the browser walk-through");
}

/// Signs in through the form.
async fn sign_in(driver: &WebDriver, base: &str, login: &str) -> WebDriverResult<()> {
    driver.goto(format!("{base}/signin")).await?;
    driver.find(By::Id("login")).await?.send_keys(login).await?;
    driver
        .find(By::Id("password"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    driver.find(By::Id("signin-submit")).await?.click().await?;
    Ok(())
}

/// Picks a language with the page's picker.
async fn pick_language(driver: &WebDriver, code: &str) -> WebDriverResult<()> {
    driver
        .find(By::Css(format!(
            "select[name='lang'] option[value='{code}']"
        )))
        .await?
        .click()
        .await?;
    driver
        .find(By::Css("form[action='/preferences/language'] button"))
        .await?
        .click()
        .await?;
    for _ in 0..100 {
        // The element may go stale while the next page loads: ask again.
        if let Ok(html) = driver.find(By::Tag("html")).await
            && let Ok(Some(lang)) = html.attr("lang").await
            && lang == code
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page did not switch to {code}");
}

/// The dashboard over a populated store (a year of demo history ending now, 3,000 tickets),
/// in English, Persian and Russian: screenshots `dashboard-{en,fa,ru}.png` of the whole page.
#[tokio::test]
async fn dashboard_screenshots_in_each_language_over_demo_history() {
    let app = TestApp::spawn().await;
    let now = jiff::Timestamp::now();
    let config = sanjeh_demo::DemoConfig {
        tickets: 3_000,
        seed: 7,
        start: now - jiff::SignedDuration::from_hours(24 * 365),
    };
    let events: Vec<sanjeh_store::Incoming> = sanjeh_demo::generate(&config)
        .filter(|e| e.at < now)
        .enumerate()
        .map(|(i, e)| sanjeh_store::Incoming::from_event(i as u64 + 1, e))
        .collect();
    app.writer
        .submit(sanjeh_store::Request::Ingest(events), None)
        .await
        .expect("demo history");
    let Some((_chromedriver, driver)) = chrome::session().await else {
        return;
    };
    let result = screenshots(&driver, &app.base).await;
    let _ = driver.quit().await;
    result.expect("the dashboard in three languages");
}

async fn screenshots(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    sign_in(driver, base, "ADM").await?;
    for lang in ["en", "fa", "ru"] {
        driver.goto(format!("{base}/dashboard?period=30d")).await?;
        pick_language(driver, lang).await?;
        driver.goto(format!("{base}/dashboard?period=30d")).await?;
        // Wait for the cards (the engine's dataset is fed after the commit).
        let mut volume = String::new();
        for _ in 0..100 {
            volume = driver
                .find(By::Css("[data-kpi='ticket_volume'] .value"))
                .await?
                .text()
                .await?;
            if !["0", "۰"].contains(&volume.as_str()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            driver.refresh().await?;
        }
        assert!(
            !["0", "۰"].contains(&volume.as_str()),
            "demo tickets on the cards"
        );
        let svg = driver.find(By::Id("chart-volume")).await?;
        let dir = if lang == "fa" { "rtl" } else { "ltr" };
        assert_eq!(svg.attr("direction").await?.as_deref(), Some(dir));
        // The whole page in one picture.
        let height = driver
            .execute("return document.documentElement.scrollHeight", vec![])
            .await?
            .convert::<i64>()?;
        driver
            .set_window_rect(0, 0, 1280, height.clamp(900, 6000) as u32)
            .await?;
        screenshot(driver, &format!("dashboard-{lang}.png")).await?;
        driver.set_window_rect(0, 0, 1280, 900).await?;
    }
    Ok(())
}

async fn run(driver: &WebDriver, base: &str) -> WebDriverResult<()> {
    // Sign in as the admin (who works tickets and reads the dashboard).
    driver.goto(format!("{base}/signin")).await?;
    driver.find(By::Id("login")).await?.send_keys("ADM").await?;
    driver
        .find(By::Id("password"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    driver.find(By::Id("signin-submit")).await?.click().await?;
    // The click can return before the next page has loaded (argon2 in a debug build, on a
    // loaded machine).
    wait_until("signed in", || async {
        Ok(driver.current_url().await?.path().starts_with("/tickets"))
    })
    .await?;

    assert_eq!(solved_count(driver, base).await?, "0");

    // Reply and solve through the ticket page's form.
    driver.goto(format!("{base}/tickets/{TICKET}")).await?;
    driver
        .find(By::Id("reply-body"))
        .await?
        .send_keys("Your refund is on its way.")
        .await?;
    driver
        .find(By::Css("#reply-status option[value='solved']"))
        .await?
        .click()
        .await?;
    driver.find(By::Id("reply-submit")).await?.click().await?;
    wait_for_text(driver, "#ticket-status", "Solved").await?;
    assert!(
        driver
            .source()
            .await?
            .contains("Your refund is on its way.")
    );

    // The dashboard's solved count follows within moments (the engine's dataset is fed by
    // the writer's commit hook).
    let mut solved = String::new();
    for _ in 0..50 {
        solved = solved_count(driver, base).await?;
        if solved == "1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(solved, "1", "the solved count changed");

    // Switch to Persian with the language picker: right to left, Persian digits, Jalali
    // dates with the Gregorian date on hover.
    driver
        .find(By::Css("select[name='lang'] option[value='fa']"))
        .await?
        .click()
        .await?;
    driver
        .find(By::Css("form[action='/preferences/language'] button"))
        .await?
        .click()
        .await?;
    wait_for_text(driver, "#signout", "خروج").await?;
    let html = driver.find(By::Tag("html")).await?;
    assert_eq!(html.attr("dir").await?.as_deref(), Some("rtl"));
    assert_eq!(html.attr("lang").await?.as_deref(), Some("fa"));
    assert_eq!(solved_count(driver, base).await?, "۱", "Persian digits");
    let chart = driver.find(By::Id("chart-volume")).await?;
    assert_eq!(chart.attr("direction").await?.as_deref(), Some("rtl"));
    screenshot(driver, "dashboard-fa.png").await?;

    driver.goto(format!("{base}/tickets/{TICKET}")).await?;
    let time = driver.find(By::Css(".messages time")).await?;
    let text = time.text().await?;
    let title = time.attr("title").await?.unwrap_or_default();
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let (_, month, _) = sanjeh_ui::i18n::jalali(today).unwrap();
    let jalali_months = [
        "فروردین",
        "اردیبهشت",
        "خرداد",
        "تیر",
        "مرداد",
        "شهریور",
        "مهر",
        "آبان",
        "آذر",
        "دی",
        "بهمن",
        "اسفند",
    ];
    assert!(
        text.contains(jalali_months[usize::from(month) - 1]),
        "a Jalali month in {text:?}"
    );
    assert!(
        text.chars().any(|c| ('۰'..='۹').contains(&c)),
        "Persian digits in {text:?}"
    );
    assert!(
        title.starts_with(&today.to_string()),
        "Gregorian {title:?} on hover"
    );
    screenshot(driver, "ticket-fa.png").await?;
    Ok(())
}
