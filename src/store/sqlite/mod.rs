//! The SQLite adapter: one database file, migrated on open, behind the domain's [`Store`] interface.
//!
//! SQLite calls block, so every call runs on tokio's blocking pool with the one connection behind a
//! mutex. Writes that read before they write (migrations, the per-guild limit, claims, confirmations)
//! take the write lock at `BEGIN IMMEDIATE`, which also keeps them correct if a second process opens the
//! same file.
//! Stored values are parsed again on every read, and a value that no longer parses is a
//! [`StoreError::Backend`] naming its row and column, never a panic.
//!
//! One file per aggregate: [`schedules`] (and their claims), [`posts`] (the post log), [`participation`]
//! (check-ins and privacy), [`guilds`] (guild settings), [`reminders`] (members' reminders and zones), beside the [`migrations`] and the [`rows`]
//! readings they share. Each holds plain functions on a connection; this file runs them off the runtime.

mod catalog;
mod guilds;
mod migrations;
mod participation;
mod posts;
mod reminders;
mod rows;
mod schedules;
#[cfg(test)]
mod tests;
mod tools;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, Pause, PostRecord, PostingSchedule,
    ScheduleId, UserId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{ClaimOutcome, Store, StoreError};
use crate::store::copy::{Kind, Table, Value};
use crate::store::values::{Settings, added_schedule, pause_text, to_json};
use migrations::migrate;
pub use tools::SchemaVersion;

/// How long a call waits for another connection's lock (a second bot process, the sqlite3 shell, a
/// backup) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite store. Cloning is cheap and shares the connection.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its folder if missing, and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path
            .parent()
            .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|error| {
                StoreError::Backend(format!(
                    "cannot create the folder {} for the database: {error}",
                    folder.display()
                ))
            })?;
        }
        let name = path.display().to_string();
        let connection = Connection::open(path)
            .map_err(|error| StoreError::Backend(format!("cannot open {name}: {error}")))?;
        Self::prepare(connection, &name)
    }

    /// A fresh database in memory, gone when the store is dropped: for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?, "the in-memory database")
    }

    /// Sets the connection up and migrates it; `name` says which database in errors.
    fn prepare(mut connection: Connection, name: &str) -> Result<Self, StoreError> {
        let in_database = |error: rusqlite::Error| StoreError::Backend(format!("{name}: {error}"));
        // First, so that everything after it (the migration's write lock included) waits rather than fails.
        connection.busy_timeout(BUSY_TIMEOUT).map_err(in_database)?;
        // WAL: readers in other processes (the sqlite3 shell, a backup) do not block the poster's writes,
        // and a commit costs one sync rather than two. `synchronous` stays at its default, FULL: a claim
        // must survive a power cut, or its fire could be posted twice. Writes are a few a day per schedule.
        // An in-memory database stays in `memory` mode, which is fine for tests.
        connection
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))
            .map_err(in_database)?;
        // Off by default in SQLite and set per connection; `posts` rows must go with their schedule.
        connection
            .pragma_update(None, "foreign_keys", true)
            .map_err(in_database)?;
        migrate(&mut connection, name)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` with the connection on tokio's blocking pool, so that no runtime worker waits on disk.
    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held cannot have left a transaction open (`Transaction` rolls
            // back as it unwinds), so a poisoned connection is still sound.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
        .map_err(|error| StoreError::Backend(format!("a storage task failed: {error}")))?
    }
}

impl SqliteStore {
    /// Every row of `table`, for `store copy`.
    pub(crate) async fn read_table(
        &self,
        table: &'static Table,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        self.blocking(move |connection| {
            let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            let sql = format!("SELECT {} FROM {}", names.join(", "), table.name);
            rows::collect(connection, &sql, [], |row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(index, (_, kind))| {
                        Ok(match kind {
                            Kind::Text => Value::Text(row.get(index)?),
                            Kind::Integer => Value::Integer(row.get(index)?),
                        })
                    })
                    .collect()
            })
        })
        .await
    }
}

impl Store for SqliteStore {
    async fn guild_zone(&self, guild: GuildId) -> Result<Option<Zone>, StoreError> {
        self.blocking(move |connection| guilds::zone(connection, guild))
            .await
    }

    async fn set_guild_zone(&self, guild: GuildId, zone: Zone) -> Result<(), StoreError> {
        self.blocking(move |connection| guilds::set_zone(connection, guild, zone))
            .await
    }

    async fn add_schedule(
        &self,
        new: NewSchedule,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<PostingSchedule, StoreError> {
        let settings = Settings::new(new.channel, &new.schedule, new.role, &new.filters)?;
        let rotation_json = to_json(&rotation)?;
        let (id, new) = self
            .blocking(move |connection| {
                let id = schedules::add(connection, &new, settings, rotation_json, next_fire)?;
                Ok((id, new))
            })
            .await?;
        Ok(added_schedule(id, new, rotation, next_fire))
    }

    async fn schedules_in(&self, guild: GuildId) -> Result<Vec<PostingSchedule>, StoreError> {
        self.blocking(move |connection| schedules::in_guild(connection, guild))
            .await
    }

    async fn schedule(&self, id: ScheduleId) -> Result<Option<PostingSchedule>, StoreError> {
        self.blocking(move |connection| schedules::one(connection, id))
            .await
    }

    async fn update_schedule(&self, schedule: &PostingSchedule) -> Result<(), StoreError> {
        let settings = Settings::new(
            schedule.channel,
            &schedule.schedule,
            schedule.role,
            &schedule.filters,
        )?;
        let pause = schedule.pause.map(pause_text).transpose()?;
        let owned = schedule.clone();
        let updated = self
            .blocking(move |connection| schedules::update(connection, &owned, settings, pause))
            .await?;
        if updated == 0 {
            return Err(StoreError::NoSuchSchedule(schedule.id));
        }
        Ok(())
    }

    async fn remove_schedule(&self, guild: GuildId, id: ScheduleId) -> Result<bool, StoreError> {
        self.blocking(move |connection| schedules::remove(connection, guild, id))
            .await
    }

    async fn pause_guild(&self, guild: GuildId, pause: Pause) -> Result<usize, StoreError> {
        let pause = pause_text(pause)?;
        self.blocking(move |connection| schedules::pause_guild(connection, guild, pause))
            .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.blocking(|connection| schedules::next_due(connection))
            .await
    }

    async fn due_schedules(
        &self,
        until: DateTime<Utc>,
    ) -> Result<Vec<PostingSchedule>, StoreError> {
        self.blocking(move |connection| schedules::due(connection, until))
            .await
    }

    async fn claim(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<ClaimOutcome, StoreError> {
        let rotation = to_json(&rotation)?;
        self.blocking(move |connection| {
            schedules::claim(connection, claim, rotation, Some(next_fire))
        })
        .await
    }

    async fn claim_extra(
        &self,
        claim: Claim,
        rotation: RotationState,
    ) -> Result<ClaimOutcome, StoreError> {
        let rotation = to_json(&rotation)?;
        self.blocking(move |connection| schedules::claim(connection, claim, rotation, None))
            .await
    }

    async fn skip(&self, fire: Fire, next_fire: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
        self.blocking(move |connection| schedules::skip(connection, fire, next_fire))
            .await
    }

    async fn confirm(&self, fire: Fire, message: MessageId) -> Result<(), StoreError> {
        self.blocking(move |connection| posts::confirm(connection, fire, message))
            .await
    }

    async fn abandon(&self, fire: Fire, reason: String) -> Result<(), StoreError> {
        self.blocking(move |connection| posts::abandon(connection, fire, &reason))
            .await
    }

    async fn unconfirmed(&self) -> Result<Vec<PostRecord>, StoreError> {
        self.blocking(|connection| posts::unconfirmed(connection))
            .await
    }

    async fn post(&self, fire: Fire) -> Result<Option<PostRecord>, StoreError> {
        self.blocking(move |connection| posts::find(connection, fire))
            .await
    }

    async fn latest_stretch_post(
        &self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> Result<Option<PostRecord>, StoreError> {
        self.blocking(move |connection| posts::latest_stretch(connection, channel, since))
            .await
    }

    async fn check_in(&self, check_in: CheckIn) -> Result<bool, StoreError> {
        self.blocking(move |connection| participation::check_in(connection, check_in))
            .await
    }

    async fn check_ins_of(&self, guild: GuildId, user: UserId) -> Result<Vec<CheckIn>, StoreError> {
        self.blocking(move |connection| participation::of_member(connection, guild, user))
            .await
    }

    async fn check_ins_in(
        &self,
        guild: GuildId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CheckIn>, StoreError> {
        self.blocking(move |connection| participation::in_days(connection, guild, from, to))
            .await
    }

    async fn forget_member(&self, guild: GuildId, user: UserId) -> Result<usize, StoreError> {
        self.blocking(move |connection| participation::forget(connection, guild, user))
            .await
    }

    async fn set_hidden(
        &self,
        guild: GuildId,
        user: UserId,
        hidden: bool,
    ) -> Result<(), StoreError> {
        self.blocking(move |connection| participation::set_hidden(connection, guild, user, hidden))
            .await
    }

    async fn hidden_members(&self, guild: GuildId) -> Result<HashSet<UserId>, StoreError> {
        self.blocking(move |connection| participation::hidden(connection, guild))
            .await
    }
}
