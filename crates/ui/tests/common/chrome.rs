//! Headless Chromium for UI tests: finds Debian's `chromium` and `chromedriver`, starts
//! chromedriver on a free port and opens a browser session; waits for text and saves
//! screenshots. Shared by the browser tests (`#[path = "common/chrome.rs"] mod chrome;`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

pub fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path).find_map(|dir| {
                candidates
                    .iter()
                    .filter_map(|c| Path::new(c).file_name())
                    .map(|name| dir.join(name))
                    .find(|p| p.exists())
            })
        })
}

/// chromedriver, killed when dropped.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn start_chromedriver(binary: &Path) -> (Driver, String) {
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{url}/status")).send().await
            && r.status().is_success()
        {
            return (driver, url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start on port {port}");
}

/// Waits (up to 10 s) for `check` to hold; an error (an element gone stale while the next
/// page loads) counts as not yet.
pub async fn wait_until<F, Fut>(what: &str, mut check: F) -> WebDriverResult<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = WebDriverResult<bool>>,
{
    for _ in 0..100 {
        if matches!(check().await, Ok(true)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Waits (up to 10 s) until the element at `css` exists and its text is `expected`.
pub async fn wait_for_text(driver: &WebDriver, css: &str, expected: &str) -> WebDriverResult<()> {
    wait_for_text_where(driver, css, &format!("= {expected:?}"), |t| t == expected).await
}

/// Waits (up to 10 s) until the element at `css` exists and its text contains `needle`.
pub async fn wait_for_text_containing(
    driver: &WebDriver,
    css: &str,
    needle: &str,
) -> WebDriverResult<()> {
    wait_for_text_where(driver, css, &format!("containing {needle:?}"), |t| {
        t.contains(needle)
    })
    .await
}

/// Waits (up to 10 s) until the element at `css` exists and `holds` for its text; panics
/// naming `wanted` and the last text read.
async fn wait_for_text_where(
    driver: &WebDriver,
    css: &str,
    wanted: &str,
    holds: impl Fn(&str) -> bool,
) -> WebDriverResult<()> {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = driver.find(By::Css(css)).await
            && let Ok(text) = e.text().await
        {
            if holds(&text) {
                return Ok(());
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} reads {last:?}, not {wanted}");
}

/// Where screenshots go: `$SANJEH_UI_SCREENSHOTS` when set, else `screenshots/` in the
/// target directory this test was built into (`$CARGO_TARGET_DIR` or `target/`).
pub fn screenshot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SANJEH_UI_SCREENSHOTS") {
        return PathBuf::from(dir);
    }
    // The test binary is `<target>/<profile>/deps/browser-<hash>`.
    let exe = std::env::current_exe().expect("the test's path");
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("screenshots")
}

/// Saves a screenshot of the current page as `name` in [`screenshot_dir`].
pub async fn screenshot(driver: &WebDriver, name: &str) -> WebDriverResult<()> {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    driver.screenshot(&dir.join(name)).await?;
    eprintln!("screenshot: {}", dir.join(name).display());
    Ok(())
}

/// Without the browser: a notice, or a failure when `SANJEH_REQUIRE_BROWSER=1` (CI sets it).
pub fn missing(what: &str) {
    let message = format!(
        "{what} is not installed; the browser test cannot run \
         (apt-get install -y chromium chromium-driver)"
    );
    assert!(
        !std::env::var("SANJEH_REQUIRE_BROWSER").is_ok_and(|v| v == "1"),
        "{message}"
    );
    eprintln!("notice: {message}; skipped");
}

/// A headless browser session and the chromedriver behind it; `None` (after a notice) when
/// either is not installed.
pub async fn session() -> Option<(Driver, WebDriver)> {
    let Some(chromedriver) = find(&["/usr/bin/chromedriver", "chromedriver"]) else {
        missing("chromedriver");
        return None;
    };
    let Some(chromium) = find(&["/usr/bin/chromium", "chromium", "/usr/bin/chromium-browser"])
    else {
        missing("chromium");
        return None;
    };
    let (child, driver_url) = start_chromedriver(&chromedriver).await;
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&chromium.to_string_lossy()).unwrap();
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--lang=en-US",
    ] {
        caps.add_arg(arg).unwrap();
    }
    let driver = WebDriver::new(driver_url, caps)
        .await
        .expect("a browser session");
    Some((child, driver))
}
