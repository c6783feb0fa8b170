//! The app over real HTTP for UI tests: the API and the UI on 127.0.0.1:0 against a fresh
//! SQLite file, reports enabled from the live dataset, with three users (an admin, an agent,
//! a manager) and one ticket from a customer. Logs are silent unless `TEST_LOG` is set.

#![allow(dead_code)]

use sanjeh_domain::command::NewTicket;
use sanjeh_domain::event::{AgentProfile, TicketCreated};
use sanjeh_domain::{Channel, Command, EventBody, Id, Priority};
use sanjeh_store::{Request, Store, Writer};
#[allow(unused_imports)]
pub use sanjeh_testkit::fresh_databases;
use sanjeh_testkit::{TestDb, fresh_sqlite, open};
use sanjeh_ui::UiOptions;
use sanjeh_web::live::{self, SharedDataset};
use sanjeh_web::{AppState, WebOptions};
use std::sync::{Arc, Once, RwLock};
use std::time::Duration;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";
pub const TICKET: &str = "T-100";

pub struct TestApp {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub base: String,
    pub store: Store,
    /// The app's writer, to seed more data.
    pub writer: Writer,
    stop: Option<oneshot::Sender<()>>,
    _db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("debug,sqlx=warn,hyper=info")
                .with_test_writer()
                .init();
        }
    });
}

fn agent(id: &str, name: &str, role: &str) -> EventBody {
    EventBody::AgentProfile(AgentProfile {
        agent: Id::parse("id", id).unwrap(),
        name: Some(name.into()),
        email: None,
        role: Some(role.into()),
        groups: None,
        active: Some(true),
    })
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(UiOptions::default()).await
    }

    pub async fn spawn_with(options: UiOptions) -> TestApp {
        TestApp::spawn_on(fresh_sqlite(), options).await
    }

    /// The app on `db` (see `sanjeh_testkit::fresh_databases`).
    pub async fn spawn_on(db: TestDb, options: UiOptions) -> TestApp {
        init_logs();
        eprintln!("backend: {}", db.name);
        let store = open(&db).await;
        let dataset: SharedDataset = Arc::new(RwLock::new(
            live::load_dataset(&store).await.expect("dataset"),
        ));
        let writer = Writer::start(store.clone(), Some(live::commit_hook(dataset.clone())));
        writer
            .submit(
                Request::Record(vec![
                    agent("ADM", "Ava Admin", "admin"),
                    agent("A-1", "Sara", "agent"),
                    agent("A-2", "Reza", "agent"),
                    agent("M-1", "Maryam", "manager"),
                ]),
                None,
            )
            .await
            .expect("seed agents");
        for id in ["ADM", "A-1", "A-2", "M-1"] {
            store.set_password(id, PASSWORD).await.expect("password");
        }
        writer
            .submit(
                Request::Command(Command::CreateTicket(NewTicket {
                    created: TicketCreated {
                        ticket: Id::parse("id", TICKET).unwrap(),
                        customer: Some(Id::parse("customer", "C-9").unwrap()),
                        organization: None,
                        channel: Channel::Email,
                        priority: Priority::High,
                        group: None,
                        subject: Some("Refund for order 42".into()),
                        tags: vec!["refund".into()],
                        kind: None,
                        by: None,
                    },
                    body: Some("I was charged twice.".into()),
                    assignee: Some(Id::parse("agent", "A-1").unwrap()),
                })),
                None,
            )
            .await
            .expect("seed ticket");
        let state = AppState::new(store.clone(), writer.clone(), WebOptions::default())
            .with_reports(dataset, sanjeh_metrics::Targets::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(sanjeh_ui::serve(listener, state, options, async {
            let _ = stopped.await;
        }));
        TestApp {
            backend: db.name,
            base,
            store,
            writer,
            stop: Some(stop),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A link mail as the mail server gets it from the queue.
#[derive(Debug)]
pub struct LinkMail {
    pub to: String,
    pub subject: String,
    pub link: String,
}

/// Every portal link mail in the queue, oldest first.
pub async fn link_mails(app: &TestApp) -> Vec<LinkMail> {
    let rows = app.store.due_mail(i64::MAX, 1000).await.unwrap();
    rows.into_iter()
        .filter(|r| r.ticket.is_empty())
        .map(|r| {
            let parsed = mail_parser::MessageParser::default()
                .parse(&r.message)
                .expect("a parsable mail");
            let text = parsed.body_text(0).expect("a text body").into_owned();
            let link = text
                .lines()
                .find(|l| l.starts_with("http"))
                .expect("a link line")
                .trim()
                .to_owned();
            LinkMail {
                to: r.recipient,
                subject: parsed.subject().unwrap_or("").to_owned(),
                link,
            }
        })
        .collect()
}

/// Waits until `n` link mails are queued (they are made after the answer).
pub async fn wait_for_mails(app: &TestApp, n: usize) -> Vec<LinkMail> {
    for _ in 0..100 {
        let mails = link_mails(app).await;
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!(
        "{n} link mails were not queued: {:?}",
        link_mails(app).await
    );
}

/// A client that keeps cookies and does not follow redirects, like a browser whose answers
/// the test reads one by one.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the sign-in form; returns the response.
pub async fn try_signin(
    app: &TestApp,
    c: &reqwest::Client,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = c.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    c.post(app.url("/signin"))
        .form(&[("login", login), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

/// Signs in with the test password and returns a client holding the session.
pub async fn signed_in(app: &TestApp, login: &str) -> reqwest::Client {
    let c = browser();
    let r = try_signin(app, &c, login, PASSWORD).await;
    assert_eq!(
        r.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{login}: {}",
        r.text().await.unwrap()
    );
    c
}

/// A page's status and HTML; fails on a message missing from the catalogues.
pub async fn get_html(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
) -> (reqwest::StatusCode, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("Unknown localization key"),
        "{path} uses a message missing from the catalogue: {html}"
    );
    (status, html)
}

/// A redirect's `Location`, or "".
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
