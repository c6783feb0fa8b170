//! The API over real HTTP for the web crate's tests: the app spawned on 127.0.0.1:0 against a
//! fresh database (SQLite, and PostgreSQL when `SANJEH_TEST_POSTGRES_URL` is set; see
//! `sanjeh_testkit::fresh_databases`), with an admin, an agent (bound to agent A-1) and a
//! reporter token, and assertions for JSON and problem answers. Logs are silent unless
//! `TEST_LOG` is set.

#![allow(dead_code)]

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sanjeh_store::auth::Role;
use sanjeh_store::{Store, Writer};
use sanjeh_testkit::{TestDb, fresh_databases, open};
use sanjeh_web::{AppState, WebOptions};
use serde_json::Value;
use std::sync::Once;
use tokio::sync::oneshot;

pub struct TestApp {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The app's writer, to seed data.
    pub writer: Writer,
    pub admin: String,
    /// An agent-role token bound to agent A-1.
    pub agent: String,
    pub reporter: String,
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

/// One app per backend under test.
pub async fn apps(options: WebOptions) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for db in fresh_databases().await {
        apps.push(TestApp::spawn(db, options).await);
    }
    apps
}

impl TestApp {
    pub async fn spawn(db: TestDb, options: WebOptions) -> TestApp {
        init_logs();
        let store = open(&db).await;
        let writer = Writer::start(store.clone(), None);
        let token = |name: &'static str, role, agent| {
            let store = store.clone();
            async move {
                store
                    .issue_token(name, role, agent)
                    .await
                    .expect("issue token")
                    .1
                    .0
            }
        };
        let admin = token("admin", Role::Admin, None).await;
        let agent = token("agent", Role::Agent, Some("A-1")).await;
        let reporter = token("reporter", Role::Reporter, None).await;
        let state = AppState::new(store.clone(), writer.clone(), options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(sanjeh_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        TestApp {
            backend: db.name,
            base,
            client: reqwest::Client::new(),
            store,
            writer,
            admin,
            agent,
            reporter,
            stop: Some(stop),
            _db: db,
        }
    }

    pub fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    /// A request with `token`, and a JSON body when one is given.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: impl Into<Option<Value>>,
    ) -> Response {
        let r = self.req(method, path, token);
        match body.into() {
            Some(b) => r.json(&b),
            None => r,
        }
        .send()
        .await
        .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, token, body).await
    }

    pub async fn admin_get(&self, path: &str) -> Response {
        self.get(path, &self.admin).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Response {
        self.post(path, &self.admin, body).await
    }

    pub async fn admin_put(&self, path: &str, body: Value) -> Response {
        self.send(Method::PUT, path, &self.admin, body).await
    }

    pub async fn admin_delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, &self.admin, None).await
    }

    /// Asserts the status and returns the JSON body (`Null` when there is none).
    pub async fn json(&self, response: Response, status: StatusCode) -> Value {
        let got = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(got, status, "[{}] body: {text}", self.backend);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Asserts an `application/problem+json` answer with this status naming this field (""
    /// for none) and the members every problem has; returns its body.
    pub async fn problem(&self, response: Response, status: StatusCode, field: &str) -> Value {
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = self.json(response, status).await;
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "[{}] {body}",
            self.backend
        );
        assert_eq!(body["status"], status.as_u16(), "[{}] {body}", self.backend);
        if field.is_empty() {
            assert!(body.get("field").is_none(), "[{}] {body}", self.backend);
        } else {
            assert_eq!(body["field"], field, "[{}] {body}", self.backend);
        }
        for member in ["type", "title", "detail"] {
            assert!(body[member].is_string(), "[{}] {body}", self.backend);
        }
        body
    }

    /// Events in the log.
    pub async fn events(&self) -> i64 {
        self.store.event_count().await.unwrap()
    }
}
