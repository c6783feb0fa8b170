//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `SANJEH_TEST_POSTGRES_URL` is set (skipped with a printed notice otherwise), so the same
//! integration tests run on both backends.

pub mod mail_servers;

use sanjeh_store::{Store, StoreOptions};

/// An empty database for one test; dropped with it (the SQLite file is deleted, the
/// PostgreSQL database dropped), so test runs leave nothing behind.
pub struct TestDb {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// For PostgreSQL: the server URL the database was created on, and its name.
    created_on: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.created_on.take() else {
            return;
        };
        // Drop runs outside any runtime the test may still be in: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&base).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// The PostgreSQL server to create test databases on, if configured.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var("SANJEH_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "notice: SANJEH_TEST_POSTGRES_URL is not set; skipping the PostgreSQL run of this test"
            );
            None
        }
    }
}

/// A fresh SQLite database in a temporary directory.
pub fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = dir.path().join("sanjeh.db").to_string_lossy().into_owned();
    TestDb {
        name: "sqlite",
        url,
        _dir: Some(dir),
        created_on: None,
    }
}

/// A fresh, empty database on each backend under test.
pub async fn fresh_databases() -> Vec<TestDb> {
    let mut dbs = vec![fresh_sqlite()];
    if let Some(base) = postgres_base_url() {
        let url = fresh_postgres(&base).await;
        let name = url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        dbs.push(TestDb {
            name: "postgres",
            url,
            _dir: None,
            created_on: Some((base, name)),
        });
    }
    dbs
}

/// Creates an empty PostgreSQL database on the server `base` points at and returns its URL.
pub async fn fresh_postgres(base: &str) -> String {
    use sqlx::Connection;
    let name = format!("sanjeh_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .expect("connect to SANJEH_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (without_query, query) = match base.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (base, String::new()),
    };
    let (prefix, _) = without_query
        .rsplit_once('/')
        .expect("a database URL ends with /NAME");
    format!("{prefix}/{name}{query}")
}

/// Opens a test database with default options.
pub async fn open(db: &TestDb) -> Store {
    Store::connect(&db.url, &StoreOptions::default())
        .await
        .expect("open store")
}
