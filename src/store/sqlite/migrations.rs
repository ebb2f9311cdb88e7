//! The SQLite schema's history and how a database is brought up to date on open.

use rusqlite::{Connection, TransactionBehavior};

use crate::domain::store::StoreError;

/// The schema's history, oldest first: applying `MIGRATIONS[n]` takes `PRAGMA user_version` from `n` to
/// `n + 1`. Append only: a released migration is never edited, since databases have already run it.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_initial.sql"),
    include_str!("../../../migrations/sqlite/0002_participation.sql"),
    include_str!("../../../migrations/sqlite/0003_post_kinds.sql"),
    include_str!("../../../migrations/sqlite/0004_abandoned_posts.sql"),
    include_str!("../../../migrations/sqlite/0005_posts_by_channel.sql"),
    include_str!("../../../migrations/sqlite/0006_reminders.sql"),
    include_str!("../../../migrations/sqlite/0007_own_stretches.sql"),
];

/// Applies the migrations this database lacks, each in its own transaction with the version it reaches,
/// so a failure leaves the database at the last complete version.
pub(super) fn migrate(connection: &mut Connection, name: &str) -> Result<(), StoreError> {
    let in_database = |error: rusqlite::Error| StoreError::Backend(format!("{name}: {error}"));
    loop {
        // The write lock comes before the version is read: two processes opening a fresh file at once
        // then apply each migration once, the second finding it done.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(in_database)?;
        let version: i64 = transaction
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(in_database)?;
        let applied = usize::try_from(version)
            .ok()
            .filter(|applied| *applied <= MIGRATIONS.len())
            .ok_or_else(|| {
                StoreError::Backend(format!(
                    "{name} was created by a newer stretchbot (schema {version}); upgrade the bot or \
                     point sqlite_path elsewhere"
                ))
            })?;
        let Some(migration) = MIGRATIONS.get(applied) else {
            return Ok(());
        };
        let migrating = |error: rusqlite::Error| {
            StoreError::Backend(format!(
                "{name}: migrating to schema {}: {error}",
                version + 1
            ))
        };
        transaction.execute_batch(migration).map_err(migrating)?;
        transaction
            .pragma_update(None, "user_version", version + 1)
            .map_err(migrating)?;
        transaction.commit().map_err(migrating)?;
    }
}
