//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `SANJEH_TEST_POSTGRES_URL` is set (skipped with a printed notice otherwise).

#![allow(dead_code)]

use sanjeh_store::{Store, StoreOptions};

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

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

/// A fresh, empty database on each backend under test.
pub async fn fresh_databases() -> Vec<TestDb> {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("sanjeh.db").to_string_lossy().into_owned();
    let mut dbs = vec![TestDb {
        name: "sqlite",
        url: sqlite,
        _dir: Some(dir),
    }];
    if let Some(base) = postgres_base_url() {
        dbs.push(TestDb {
            name: "postgres",
            url: fresh_postgres(&base).await,
            _dir: None,
        });
    }
    dbs
}

/// Creates an empty PostgreSQL database next to the one `base` names and returns its URL.
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
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("a database URL ends with /NAME");
    let query = base
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{prefix}/{name}{query}")
}

pub async fn open(db: &TestDb) -> Store {
    Store::connect(&db.url, &StoreOptions::default())
        .await
        .expect("open store")
}
