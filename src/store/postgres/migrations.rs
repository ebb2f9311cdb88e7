//! The PostgreSQL schema's history and how a database is brought up to date when the bot starts.

use deadpool_postgres::Client;

use super::Failure;
use crate::domain::store::StoreError;

/// The schema's history, oldest first: `MIGRATIONS[n]` takes the database from version `n` to `n + 1`.
/// Append only: a released migration is never edited, since databases have already run it.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_initial.sql"),
    include_str!("../../../migrations/postgres/0002_abandoned_posts.sql"),
    include_str!("../../../migrations/postgres/0003_posts_by_channel.sql"),
    include_str!("../../../migrations/postgres/0004_reminders.sql"),
    include_str!("../../../migrations/postgres/0005_own_stretches.sql"),
];

/// Every process that starts takes this lock before it looks at the schema, so that two starting
/// together do not both migrate. The number is arbitrary, only unique among the database's users.
const MIGRATION_LOCK: i64 = 0x5354_5245_5443_4801;

/// Applies the migrations the database lacks, all in one transaction under the migration lock: DDL is
/// transactional in PostgreSQL, so a failure leaves the database as it was.
pub(super) async fn migrate(client: &mut Client, name: &str) -> Result<(), Failure> {
    let transaction = client.transaction().await?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (\
                 version INTEGER PRIMARY KEY, \
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
    let version: i32 = transaction
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let applied = usize::try_from(version)
        .ok()
        .filter(|applied| *applied <= MIGRATIONS.len())
        .ok_or_else(|| {
            StoreError::Backend(format!(
                "{name} was created by a newer stretchbot (schema {version}); upgrade the bot or \
                 point storage.url elsewhere"
            ))
        })?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let reached = i32::try_from(index + 1).unwrap_or(i32::MAX);
        transaction
            .batch_execute(migration)
            .await
            .map_err(|error| {
                StoreError::Backend(format!("{name}: migrating to schema {reached}: {error}"))
            })?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&reached],
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}
