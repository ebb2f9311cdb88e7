//! The PostgreSQL adapter's tests, on the server `STRETCHBOT_TEST_DATABASE_URL` names: each test makes a
//! database of its own ([`TestDatabase`]), so they run in parallel. Outside CI an unset variable skips
//! them, saying how to start a server; in CI (`CI=true`) it fails them.

use std::sync::Arc;

use super::PostgresStore;
use super::migrations::MIGRATIONS;
use super::test_database::TestDatabase;
use crate::domain::store::{ClaimOutcome, Store};
use crate::store::suite::{
    self, GUILD, add, at, backend_message, claim, next, stored, weekdays_at_nine,
};

/// A new, empty database on the test server (dropped with the value) and its configuration.
async fn fresh_database() -> Option<(TestDatabase, tokio_postgres::Config)> {
    let database = TestDatabase::create("store").await?;
    let config = database
        .as_str()
        .parse()
        .expect("STRETCHBOT_TEST_DATABASE_URL is a PostgreSQL url");
    Some((database, config))
}

async fn fresh_store() -> Option<(PostgresStore, TestDatabase)> {
    let (database, config) = fresh_database().await?;
    Some((PostgresStore::open_config(config).await.unwrap(), database))
}

suite::store_suite!(fresh_store());

async fn schema_version(store: &PostgresStore) -> i32 {
    let client = store.pool.get().await.unwrap();
    client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once() {
    let Some((_database, config)) = fresh_database().await else {
        return;
    };
    let opening: Vec<_> = (0..4)
        .map(|_| tokio::spawn(PostgresStore::open_config(config.clone())))
        .collect();
    let mut stores = Vec::new();
    for task in opening {
        stores.push(task.await.unwrap().unwrap());
    }
    let client = stores[0].pool.get().await.unwrap();
    let applied: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, MIGRATIONS.len() as i64);
    assert_eq!(schema_version(&stores[3]).await, MIGRATIONS.len() as i32);
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let Some((_database, config)) = fresh_database().await else {
        return;
    };
    let store = PostgresStore::open_config(config.clone()).await.unwrap();
    let newer = MIGRATIONS.len() as i32 + 1;
    store
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&newer],
        )
        .await
        .unwrap();
    let message = backend_message(PostgresStore::open_config(config).await);
    assert!(
        message.contains(&format!(
            "created by a newer stretchbot (schema {newer}); upgrade the bot or point storage.url \
             elsewhere"
        )),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_for_one_fire_claim_it_once() {
    let Some((_database, config)) = fresh_database().await else {
        return;
    };
    // Four pools, as four bot processes would have, five tasks on each.
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(PostgresStore::open_config(config.clone()).await.unwrap());
    }
    let schedule = add(&stores[0], weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|task| {
            let store = stores[task % stores.len()].clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let claimed = outcomes
        .iter()
        .filter(|outcome| **outcome == ClaimOutcome::Claimed)
        .count();
    assert_eq!(claimed, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|outcome| matches!(
            outcome,
            ClaimOutcome::Claimed | ClaimOutcome::AlreadyClaimed(_)
        )),
        "{outcomes:?}"
    );
    assert_eq!(stores[2].unconfirmed().await.unwrap().len(), 1);
    assert_eq!(
        stored(&stores[1], schedule.id).await.next_fire,
        Some(at("2027-03-16T08:00:00Z"))
    );
}
