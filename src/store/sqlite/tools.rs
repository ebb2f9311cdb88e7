//! Operator tools on a SQLite database file that another process (the running bot) may be using: its
//! schema version, read without creating or migrating it, and an online backup.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::migrations::MIGRATIONS;
use super::{BUSY_TIMEOUT, SqliteStore};
use crate::domain::store::StoreError;

/// The schema of a database file as this build sees it (see [`SqliteStore::schema_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    /// The version the file is at (`PRAGMA user_version`).
    pub found: usize,
    /// The newest version this build knows; [`SqliteStore::open`] migrates an older file to it.
    pub known: usize,
}

/// Operator tools on a database file that another process (the running bot) may be using.
impl SqliteStore {
    /// The schema of the database at `path`, read without creating, migrating or locking it; `None`
    /// when there is no file.
    pub fn schema_of(path: &Path) -> Result<Option<SchemaVersion>, StoreError> {
        let name = path.display();
        match path.try_exists() {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => {
                return Err(StoreError::Backend(format!(
                    "cannot look at {name}: {error}"
                )));
            }
        }
        let in_database = |error: rusqlite::Error| StoreError::Backend(format!("{name}: {error}"));
        let connection = open_existing(path).map_err(in_database)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(in_database)?;
        let found: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(in_database)?;
        Ok(Some(SchemaVersion {
            found: usize::try_from(found).unwrap_or(usize::MAX),
            known: MIGRATIONS.len(),
        }))
    }

    /// Copies the database at `from` to a new file `to` with SQLite's online backup API, which gives a
    /// consistent copy while the bot keeps writing (a step that meets a write starts over).
    pub fn backup(from: &Path, to: &Path) -> Result<(), StoreError> {
        if to.exists() {
            return Err(StoreError::Backend(format!(
                "{} already exists; give a new file name, or remove it first",
                to.display()
            )));
        }
        let source = open_existing(from).map_err(|error| {
            StoreError::Backend(format!("cannot open {}: {error}", from.display()))
        })?;
        let mut copy = Connection::open(to).map_err(|error| {
            StoreError::Backend(format!("cannot create {}: {error}", to.display()))
        })?;
        rusqlite::backup::Backup::new(&source, &mut copy)
            .and_then(|backup| backup.run_to_completion(256, Duration::from_millis(10), None))
            .map_err(|error| {
                StoreError::Backend(format!(
                    "copying {} to {}: {error}",
                    from.display(),
                    to.display()
                ))
            })
    }
}

/// A connection to the database file at `path` that fails rather than create a missing one. Read-write
/// even for reading: a read-only connection cannot open a WAL database whose `-shm` file is gone.
fn open_existing(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::default().difference(rusqlite::OpenFlags::SQLITE_OPEN_CREATE),
    )
}
