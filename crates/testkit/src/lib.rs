//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `SANJEH_TEST_POSTGRES_URL` is set (skipped with a printed notice otherwise), so the same
//! integration tests run on both backends.

use sanjeh_store::{Store, StoreOptions};

/// An empty database for one test; the SQLite file is deleted when this is dropped.
pub struct TestDb {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
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
    }
}

/// A fresh, empty database on each backend under test.
pub async fn fresh_databases() -> Vec<TestDb> {
    let mut dbs = vec![fresh_sqlite()];
    if let Some(base) = postgres_base_url() {
        dbs.push(TestDb {
            name: "postgres",
            url: fresh_postgres(&base).await,
            _dir: None,
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
