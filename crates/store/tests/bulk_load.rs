//! A whole history loaded into an empty store: its indexes are built at the end of the load and
//! come back exactly as the migrations made them, a failed load keeps them, and a store opened
//! for a bulk load keeps a rollback journal only while it is open, and only where it is alone.

use sanjeh_testkit::{self as common, import_text as import, index_definitions as indexes};

use sanjeh_store::{Store, StoreError, StoreOptions};

const HISTORY: &str = r#"{"type":"ticket.created","at":"2026-01-05T09:00:00Z","ticket":"T-1","customer":"C-9","channel":"email","subject":"Refund"}
{"type":"ticket.message","at":"2026-01-05T09:10:00Z","ticket":"T-1","author":"agent:A-2","public":true,"body":"Done"}
{"type":"ticket.status","at":"2026-01-05T09:11:00Z","ticket":"T-1","status":"solved","by":"agent:A-2"}
{"type":"ticket.created","at":"2026-01-06T10:00:00Z","ticket":"T-2","customer":"C-8","channel":"chat"}
{"type":"ticket.message","at":"2026-01-06T10:01:00Z","ticket":"T-2","author":"customer:C-8","public":true,"body":"Hello?"}
"#;

const BAD_LAST_LINE: &str =
    r#"{"type":"ticket.status","at":"2026-01-07T00:00:00Z","ticket":"T-1","status":"done"}"#;

#[tokio::test]
async fn a_load_into_an_empty_store_ends_with_the_indexes_the_migrations_made() {
    for db in common::fresh_databases().await {
        let store = common::open(&db).await;
        let migrated = indexes(&db).await;
        for name in [
            "events_by_ticket",
            "messages_by_ticket",
            "tickets_by_status",
        ] {
            assert!(
                migrated.iter().any(|(n, _)| n == name),
                "{}: {name} is one of the indexes a bulk load defers",
                db.name
            );
        }

        let bad = format!("{HISTORY}{BAD_LAST_LINE}\n");
        assert!(matches!(
            import(&store, &bad).await,
            Err(StoreError::Line(_))
        ));
        assert_eq!(
            indexes(&db).await,
            migrated,
            "{}: a failed load keeps every index",
            db.name
        );
        assert_eq!(store.event_count().await.unwrap(), 0);

        assert_eq!(import(&store, HISTORY).await.unwrap().added, 5);
        assert_eq!(
            indexes(&db).await,
            migrated,
            "{}: the indexes built at the end are the migrations' own",
            db.name
        );
        // The rebuilt indexes answer: the messages of a ticket, the tickets of a status.
        assert_eq!(store.messages("T-1", true).await.unwrap().len(), 1);
        assert_eq!(store.messages("T-2", true).await.unwrap().len(), 1);
        // A second load into the now non-empty store takes the ordinary path.
        let more = r#"{"type":"ticket.message","at":"2026-01-07T10:01:00Z","ticket":"T-2","author":"agent:A-2","public":true,"body":"Hi"}"#;
        assert_eq!(import(&store, more).await.unwrap().added, 1);
        assert_eq!(store.messages("T-2", true).await.unwrap().len(), 2);
        assert_eq!(indexes(&db).await, migrated, "{}", db.name);
        store.close().await;
    }
}

fn bulk() -> StoreOptions {
    StoreOptions {
        bulk_load: true,
        ..StoreOptions::default()
    }
}

#[tokio::test]
async fn a_store_opened_for_a_bulk_load_keeps_a_rollback_journal_until_closed() {
    let db = common::fresh_sqlite();
    let store = Store::connect(&db.url, &bulk()).await.unwrap();
    // Only the WAL is recorded in the file: any rollback journal reads as "delete".
    let mode = common::sqlite_journal_mode(&db.url).await;
    assert_eq!(mode, "delete", "the file has left the WAL");
    assert_eq!(import(&store, HISTORY).await.unwrap().added, 5);
    store.close().await;
    assert_eq!(
        common::sqlite_journal_mode(&db.url).await,
        "wal",
        "back to the WAL at close"
    );

    let store = common::open(&db).await;
    assert_eq!(store.event_count().await.unwrap(), 5);
    store.close().await;
}

#[tokio::test]
async fn a_bulk_load_beside_a_serving_store_keeps_the_wal_and_succeeds() {
    let db = common::fresh_sqlite();
    let serving = common::open(&db).await;
    assert_eq!(serving.event_count().await.unwrap(), 0);
    let loading = Store::connect(&db.url, &bulk()).await.unwrap();
    assert_eq!(import(&loading, HISTORY).await.unwrap().added, 5);
    assert_eq!(
        serving.event_count().await.unwrap(),
        5,
        "the serving store reads what the load committed"
    );
    assert!(serving.ticket("T-2").await.unwrap().is_some());
    loading.close().await;
    serving.close().await;
    assert_eq!(common::sqlite_journal_mode(&db.url).await, "wal");
}
