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

/// Imports interchange lines held in memory, as `sanjeh import` imports a file.
pub async fn import_text(
    store: &Store,
    text: &str,
) -> Result<sanjeh_store::IngestReport, sanjeh_store::StoreError> {
    store
        .import_reader(
            std::io::Cursor::new(text.to_owned().into_bytes()),
            sanjeh_store::ingest::IngestOptions::default(),
        )
        .await
}

/// Every index of a test database with its definition, as the catalogue holds them.
pub async fn index_definitions(db: &TestDb) -> Vec<(String, Option<String>)> {
    if db.name != "postgres" {
        return sqlite_index_definitions(&db.url).await;
    }
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    let rows = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() ORDER BY indexname",
    )
    .fetch_all(&pool)
    .await
    .expect("read pg_indexes");
    pool.close().await;
    rows
}

/// Every index of the SQLite file at `path` with its definition.
pub async fn sqlite_index_definitions(path: &str) -> Vec<(String, Option<String>)> {
    sqlite_query(
        path,
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name",
    )
    .await
}

/// The SQLite file's journal mode, as a connection that changes nothing sees it: `wal`, or
/// `delete` for any rollback journal (only the WAL is recorded in the file).
pub async fn sqlite_journal_mode(path: &str) -> String {
    let rows: Vec<(String,)> = sqlite_query(path, "PRAGMA journal_mode").await;
    rows.into_iter().next().expect("one row").0
}

async fn sqlite_query<T>(path: &str, sql: &'static str) -> Vec<T>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
{
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .expect("open the SQLite file");
    let rows = sqlx::query_as(sql)
        .fetch_all(&pool)
        .await
        .expect("query the SQLite file");
    pool.close().await;
    rows
}
