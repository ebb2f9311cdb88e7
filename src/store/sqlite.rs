//! The SQLite adapter: one database file, migrated on open, behind the domain's [`Store`] interface.
//!
//! SQLite calls block, so every call runs on tokio's blocking pool with the one connection behind a
//! mutex. Writes that read before they write (migrations, the per-guild limit, claims, confirmations)
//! take the write lock at `BEGIN IMMEDIATE`, which also keeps them correct if a second process opens the
//! same file.
//! Stored values are parsed again on every read, and a value that no longer parses is a
//! [`StoreError::Backend`] naming its row and column, never a panic.

use std::fmt::Display;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row, TransactionBehavior, named_params, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::catalog::{Filters, StretchId, Vocabulary};
use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MAX_SCHEDULES_PER_GUILD, MessageId, NewSchedule, Pause,
    PostKind, PostRecord, PostState, PostingSchedule, RoleId, ScheduleId, UserId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::{Cadence, Schedule, Zone};
use crate::domain::store::{ClaimOutcome, Store, StoreError};

/// The schema's history, oldest first: applying `MIGRATIONS[n]` takes `PRAGMA user_version` from `n` to
/// `n + 1`. Append only: a released migration is never edited, since databases have already run it.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_initial.sql"),
    include_str!("../../migrations/0002_participation.sql"),
    include_str!("../../migrations/0003_post_kinds.sql"),
];

/// How long a call waits for another connection's lock (a second bot process, the sqlite3 shell, a
/// backup) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Every schedule read goes through [`schedule_from_row`], which expects these columns.
const SELECT_SCHEDULES: &str = "SELECT id, guild_id, channel_id, kind, zone, cadence, role_id, \
     filters, created_by, pause, rotation, next_fire FROM schedules";

/// Every post read goes through [`post_from_row`], which expects these columns.
const SELECT_POSTS: &str =
    "SELECT schedule_id, fire_at, stretch_id, channel_id, state, message_id FROM posts";

/// Every check-in read goes through [`check_in_from_row`], which expects these columns.
const SELECT_CHECK_INS: &str = "SELECT guild_id, user_id, day, stretch_id FROM check_ins";

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
        let _call = crate::metrics::store_call();
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held cannot have left a transaction open (`Transaction` rolls
            // back as it unwinds), so a poisoned connection is still sound.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            crate::metrics::store_result(work(&mut connection))
        })
        .await
        .map_err(|error| StoreError::Backend(format!("a storage task failed: {error}")))?
    }
}

/// Applies the migrations this database lacks, each in its own transaction with the version it reaches,
/// so a failure leaves the database at the last complete version.
fn migrate(connection: &mut Connection, name: &str) -> Result<(), StoreError> {
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

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// A schedule's settings in their stored spellings: what `add_schedule` inserts and `update_schedule`
/// replaces.
struct Settings {
    channel_id: String,
    zone: &'static str,
    cadence: String,
    role_id: Option<String>,
    filters: String,
}

impl Settings {
    fn new(
        channel: ChannelId,
        schedule: &Schedule,
        role: Option<RoleId>,
        filters: &Filters,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            channel_id: channel.to_string(),
            zone: schedule.zone.name(),
            cadence: schedule.cadence.storage_text(),
            role_id: role.map(|role| role.to_string()),
            filters: to_json(filters)?,
        })
    }
}

fn to_json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Backend(format!("cannot encode a stored value: {error}")))
}

fn from_json<T: DeserializeOwned>(text: String) -> Result<T, serde_json::Error> {
    serde_json::from_str(&text)
}

/// A pause reason as serde spells it (`left-guild`), so that the domain's one list of spellings also
/// governs the database.
fn pause_text(pause: Pause) -> Result<String, StoreError> {
    match serde_json::to_value(pause) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        other => Err(StoreError::Backend(format!(
            "pause reason {pause:?} did not encode as a name: {other:?}"
        ))),
    }
}

fn parse_pause(text: String) -> Result<Pause, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(text))
}

fn parse_instant(seconds: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| format!("{seconds} is not a time stretchbot can represent"))
}

/// Reads `name` from `row` and converts it to its domain value. A failure of either step names the row's
/// `owner` and the column, so that the log line leads straight to the value to repair.
fn column<T: FromSql, U, E: Display>(
    row: &Row<'_>,
    owner: &str,
    name: &str,
    convert: impl FnOnce(T) -> Result<U, E>,
) -> Result<U, StoreError> {
    let fail = |error: &dyn Display| {
        StoreError::Backend(format!(
            "{owner}, column {name}: {error} (stored data is damaged)"
        ))
    };
    let raw = row.get(name).map_err(|error| fail(&error))?;
    convert(raw).map_err(|error| fail(&error))
}

/// Runs a query and maps every row with `map`, failing on the first row that does not read.
fn collect<T>(
    connection: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut mapped = Vec::new();
    while let Some(row) = rows.next()? {
        mapped.push(map(row)?);
    }
    Ok(mapped)
}

/// The one reading of a [`SELECT_SCHEDULES`] row.
fn schedule_from_row(row: &Row<'_>) -> Result<PostingSchedule, StoreError> {
    let id = ScheduleId(row.get("id")?);
    let owner = format!("schedule {id}");
    let owner = owner.as_str();
    Ok(PostingSchedule {
        id,
        guild: column(row, owner, "guild_id", |text: String| {
            text.parse().map(GuildId)
        })?,
        channel: column(row, owner, "channel_id", |text: String| {
            text.parse().map(ChannelId)
        })?,
        kind: column(row, owner, "kind", |text: String| text.parse::<PostKind>())?,
        schedule: Schedule::new(
            column(row, owner, "zone", |text: String| Zone::parse(&text))?,
            column(row, owner, "cadence", |text: String| {
                Cadence::from_storage_text(&text)
            })?,
        ),
        role: column(row, owner, "role_id", |text: Option<String>| {
            text.map(|text| text.parse().map(RoleId)).transpose()
        })?,
        filters: column(row, owner, "filters", from_json)?,
        created_by: column(row, owner, "created_by", |text: String| {
            text.parse().map(UserId)
        })?,
        pause: column(row, owner, "pause", |text: Option<String>| {
            text.map(parse_pause).transpose()
        })?,
        rotation: column(row, owner, "rotation", from_json)?,
        next_fire: column(row, owner, "next_fire", |seconds: Option<i64>| {
            seconds.map(parse_instant).transpose()
        })?,
    })
}

/// The one reading of a [`SELECT_POSTS`] row.
fn post_from_row(row: &Row<'_>) -> Result<PostRecord, StoreError> {
    let schedule = ScheduleId(row.get("schedule_id")?);
    let fire_at: i64 = row.get("fire_at")?;
    let owner = format!("schedule {schedule}, post at {fire_at}");
    let owner = owner.as_str();
    let message = column(row, owner, "message_id", |text: Option<String>| {
        text.map(|text| text.parse().map(MessageId)).transpose()
    })?;
    Ok(PostRecord {
        claim: Claim {
            fire: Fire {
                schedule,
                at: column(row, owner, "fire_at", parse_instant)?,
            },
            stretch: column(row, owner, "stretch_id", |text: Option<String>| {
                text.map(|text| StretchId::parse(&text)).transpose()
            })?,
        },
        channel: column(row, owner, "channel_id", |text: String| {
            text.parse().map(ChannelId)
        })?,
        state: column(row, owner, "state", |state: String| {
            match (state.as_str(), message) {
                ("claimed", None) => Ok(PostState::Claimed),
                ("sent", Some(message)) => Ok(PostState::Sent { message }),
                _ => Err(format!("`{state}` with message {message:?}")),
            }
        })?,
    })
}

/// A day as stored: `YYYY-MM-DD`, which sorts as the date does.
fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The one reading of a [`SELECT_CHECK_INS`] row.
fn check_in_from_row(row: &Row<'_>) -> Result<CheckIn, StoreError> {
    let guild: String = row.get("guild_id")?;
    let user: String = row.get("user_id")?;
    let day: String = row.get("day")?;
    let owner = format!("check-in of user {user} in guild {guild} on {day}");
    let owner = owner.as_str();
    Ok(CheckIn {
        guild: column(row, owner, "guild_id", |text: String| {
            text.parse().map(GuildId)
        })?,
        user: column(row, owner, "user_id", |text: String| {
            text.parse().map(UserId)
        })?,
        day: column(row, owner, "day", |text: String| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        })?,
        stretch: column(row, owner, "stretch_id", |text: String| {
            StretchId::parse(&text)
        })?,
    })
}

fn find_post(connection: &Connection, fire: Fire) -> Result<Option<PostRecord>, StoreError> {
    let posts = collect(
        connection,
        &format!("{SELECT_POSTS} WHERE schedule_id = ?1 AND fire_at = ?2"),
        params![fire.schedule.0, fire.at.timestamp()],
        post_from_row,
    )?;
    Ok(posts.into_iter().next())
}

impl SqliteStore {
    /// Records a claim and moves its schedule's rotation on, in one transaction. With `next_fire`, the
    /// claim is the schedule's own next fire: only then is it taken, and the schedule moves to
    /// `next_fire`. Without, it is an extra post and the next fire stays.
    async fn claim_moving(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<Option<DateTime<Utc>>>,
    ) -> Result<ClaimOutcome, StoreError> {
        let rotation = to_json(&rotation)?;
        let Claim { fire, stretch } = claim;
        self.blocking(move |connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Checked first: a fire claimed before is finished, never claimed again, even if an edit
            // has since set the schedule's next fire back to it.
            if let Some(record) = find_post(&transaction, fire)? {
                return Ok(ClaimOutcome::AlreadyClaimed(record));
            }
            let channels = match next_fire {
                Some(next_fire) => collect(
                    &transaction,
                    "UPDATE schedules SET rotation = ?1, next_fire = ?2 \
                     WHERE id = ?3 AND pause IS NULL AND next_fire = ?4 RETURNING channel_id",
                    params![
                        rotation,
                        next_fire.map(|at| at.timestamp()),
                        fire.schedule.0,
                        fire.at.timestamp()
                    ],
                    |row| Ok(row.get("channel_id")?),
                )?,
                None => collect(
                    &transaction,
                    "UPDATE schedules SET rotation = ?1 WHERE id = ?2 RETURNING channel_id",
                    params![rotation, fire.schedule.0],
                    |row| Ok(row.get("channel_id")?),
                )?,
            };
            let Some(channel): Option<String> = channels.into_iter().next() else {
                return Ok(ClaimOutcome::Stale);
            };
            transaction
                .prepare_cached(
                    "INSERT INTO posts (schedule_id, fire_at, stretch_id, channel_id, nonce, state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 'claimed')",
                )?
                .execute(params![
                    fire.schedule.0,
                    fire.at.timestamp(),
                    stretch.as_ref().map(StretchId::as_str),
                    channel,
                    fire.nonce()
                ])?;
            transaction.commit()?;
            Ok(ClaimOutcome::Claimed)
        })
        .await
    }
}

impl Store for SqliteStore {
    async fn guild_zone(&self, guild: GuildId) -> Result<Option<Zone>, StoreError> {
        self.blocking(move |connection| {
            let zones = collect(
                connection,
                "SELECT zone FROM guild_settings WHERE guild_id = ?1",
                [guild.to_string()],
                |row| {
                    column(row, &format!("guild {guild}"), "zone", |text: String| {
                        Zone::parse(&text)
                    })
                },
            )?;
            Ok(zones.into_iter().next())
        })
        .await
    }

    async fn set_guild_zone(&self, guild: GuildId, zone: Zone) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO guild_settings (guild_id, zone) VALUES (?1, ?2) \
                     ON CONFLICT (guild_id) DO UPDATE SET zone = excluded.zone",
                )?
                .execute(params![guild.to_string(), zone.name()])?;
            Ok(())
        })
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
        let (guild, created_by, kind) = (new.guild, new.created_by, new.kind);
        let id = self
            .blocking(move |connection| {
                // The count and the insert must see the same rows, whoever else is adding to this guild.
                let transaction =
                    connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let count: i64 = transaction
                    .prepare_cached("SELECT count(*) FROM schedules WHERE guild_id = ?1")?
                    .query_row([guild.to_string()], |row| row.get(0))?;
                if count >= MAX_SCHEDULES_PER_GUILD as i64 {
                    return Err(StoreError::TooManySchedules {
                        limit: MAX_SCHEDULES_PER_GUILD,
                    });
                }
                let id = transaction
                    .prepare_cached(
                        "INSERT INTO schedules (guild_id, channel_id, kind, zone, cadence, role_id, \
                         filters, created_by, rotation, next_fire) VALUES (:guild_id, :channel_id, \
                         :kind, :zone, :cadence, :role_id, :filters, :created_by, :rotation, \
                         :next_fire) RETURNING id",
                    )?
                    .query_row(
                        named_params! {
                            ":guild_id": guild.to_string(),
                            ":channel_id": settings.channel_id,
                            ":kind": kind.as_str(),
                            ":zone": settings.zone,
                            ":cadence": settings.cadence,
                            ":role_id": settings.role_id,
                            ":filters": settings.filters,
                            ":created_by": created_by.to_string(),
                            ":rotation": rotation_json,
                            ":next_fire": next_fire.map(|at| at.timestamp()),
                        },
                        |row| row.get(0),
                    )?;
                transaction.commit()?;
                Ok(ScheduleId(id))
            })
            .await?;
        Ok(PostingSchedule {
            id,
            guild: new.guild,
            channel: new.channel,
            kind: new.kind,
            schedule: new.schedule,
            role: new.role,
            filters: new.filters,
            created_by: new.created_by,
            pause: None,
            rotation,
            next_fire,
        })
    }

    async fn schedules_in(&self, guild: GuildId) -> Result<Vec<PostingSchedule>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                // Ids only grow (AUTOINCREMENT), so id order is creation order, with no ties.
                &format!("{SELECT_SCHEDULES} WHERE guild_id = ?1 ORDER BY id"),
                [guild.to_string()],
                schedule_from_row,
            )
        })
        .await
    }

    async fn schedule(&self, id: ScheduleId) -> Result<Option<PostingSchedule>, StoreError> {
        self.blocking(move |connection| {
            let schedules = collect(
                connection,
                &format!("{SELECT_SCHEDULES} WHERE id = ?1"),
                [id.0],
                schedule_from_row,
            )?;
            Ok(schedules.into_iter().next())
        })
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
        let (id, guild, next_fire) = (schedule.id, schedule.guild, schedule.next_fire);
        let updated = self
            .blocking(move |connection| {
                // The guild is part of the key: a schedule never moves to another guild.
                Ok(connection
                    .prepare_cached(
                        "UPDATE schedules SET channel_id = :channel_id, zone = :zone, \
                         cadence = :cadence, role_id = :role_id, filters = :filters, pause = :pause, \
                         next_fire = :next_fire WHERE id = :id AND guild_id = :guild_id",
                    )?
                    .execute(named_params! {
                        ":channel_id": settings.channel_id,
                        ":zone": settings.zone,
                        ":cadence": settings.cadence,
                        ":role_id": settings.role_id,
                        ":filters": settings.filters,
                        ":pause": pause,
                        ":next_fire": next_fire.map(|at| at.timestamp()),
                        ":id": id.0,
                        ":guild_id": guild.to_string(),
                    })?)
            })
            .await?;
        if updated == 0 {
            return Err(StoreError::NoSuchSchedule(id));
        }
        Ok(())
    }

    async fn remove_schedule(&self, guild: GuildId, id: ScheduleId) -> Result<bool, StoreError> {
        self.blocking(move |connection| {
            // Its posts go with it (ON DELETE CASCADE): a removed schedule has nothing left to finish.
            let removed = connection
                .prepare_cached("DELETE FROM schedules WHERE id = ?1 AND guild_id = ?2")?
                .execute(params![id.0, guild.to_string()])?;
            Ok(removed > 0)
        })
        .await
    }

    async fn pause_guild(&self, guild: GuildId, pause: Pause) -> Result<usize, StoreError> {
        let pause = pause_text(pause)?;
        self.blocking(move |connection| {
            // Schedules paused already keep their reason: resuming the guild later must not resume what
            // an admin paused, or a schedule whose channel is gone.
            Ok(connection
                .prepare_cached(
                    "UPDATE schedules SET pause = ?1 WHERE guild_id = ?2 AND pause IS NULL",
                )?
                .execute(params![pause, guild.to_string()])?)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.blocking(|connection| {
            // The earliest row rather than min(next_fire), so that a damaged value names its schedule.
            let earliest = collect(
                connection,
                "SELECT id, next_fire FROM schedules WHERE pause IS NULL AND next_fire IS NOT NULL \
                 ORDER BY next_fire LIMIT 1",
                [],
                |row| {
                    let id: i64 = row.get("id")?;
                    column(row, &format!("schedule {id}"), "next_fire", parse_instant)
                },
            )?;
            Ok(earliest.into_iter().next())
        })
        .await
    }

    async fn due_schedules(
        &self,
        until: DateTime<Utc>,
    ) -> Result<Vec<PostingSchedule>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                &format!(
                    "{SELECT_SCHEDULES} WHERE pause IS NULL AND next_fire IS NOT NULL \
                     AND next_fire <= ?1 ORDER BY next_fire, id"
                ),
                [until.timestamp()],
                schedule_from_row,
            )
        })
        .await
    }

    async fn claim(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.claim_moving(claim, rotation, Some(next_fire)).await
    }

    async fn claim_extra(
        &self,
        claim: Claim,
        rotation: RotationState,
    ) -> Result<ClaimOutcome, StoreError> {
        self.claim_moving(claim, rotation, None).await
    }

    async fn skip(&self, fire: Fire, next_fire: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
        self.blocking(move |connection| {
            let moved = connection
                .prepare_cached(
                    "UPDATE schedules SET next_fire = ?1 \
                     WHERE id = ?2 AND pause IS NULL AND next_fire = ?3",
                )?
                .execute(params![
                    next_fire.map(|at| at.timestamp()),
                    fire.schedule.0,
                    fire.at.timestamp()
                ])?;
            Ok(moved > 0)
        })
        .await
    }

    async fn confirm(&self, fire: Fire, message: MessageId) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            match find_post(&transaction, fire)?.map(|record| record.state) {
                // The schedule was removed while the post was out: nothing is left to record.
                None => Ok(()),
                Some(PostState::Claimed) => {
                    transaction
                        .prepare_cached(
                            "UPDATE posts SET state = 'sent', message_id = ?1, confirmed_at = unixepoch() \
                             WHERE schedule_id = ?2 AND fire_at = ?3",
                        )?
                        .execute(params![
                            message.to_string(),
                            fire.schedule.0,
                            fire.at.timestamp()
                        ])?;
                    transaction.commit()?;
                    Ok(())
                }
                Some(PostState::Sent { message: first }) if first == message => Ok(()),
                // Only a fire posted twice gets here; the first message stays on record.
                Some(PostState::Sent { message: first }) => Err(StoreError::Backend(format!(
                    "schedule {}, post at {}: already confirmed as message {first}, not {message}",
                    fire.schedule,
                    fire.at.timestamp()
                ))),
            }
        })
        .await
    }

    async fn unconfirmed(&self) -> Result<Vec<PostRecord>, StoreError> {
        self.blocking(|connection| {
            collect(
                connection,
                &format!("{SELECT_POSTS} WHERE state = 'claimed' ORDER BY fire_at, schedule_id"),
                [],
                post_from_row,
            )
        })
        .await
    }

    async fn post(&self, fire: Fire) -> Result<Option<PostRecord>, StoreError> {
        self.blocking(move |connection| find_post(connection, fire))
            .await
    }

    async fn check_in(&self, check_in: CheckIn) -> Result<bool, StoreError> {
        self.blocking(move |connection| {
            // DO NOTHING rather than replace: the day keeps the stretch of its first press.
            let inserted = connection
                .prepare_cached(
                    "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (guild_id, user_id, day) DO NOTHING",
                )?
                .execute(params![
                    check_in.guild.to_string(),
                    check_in.user.to_string(),
                    day_text(check_in.day),
                    check_in.stretch.as_str()
                ])?;
            Ok(inserted > 0)
        })
        .await
    }

    async fn check_ins_of(&self, guild: GuildId, user: UserId) -> Result<Vec<CheckIn>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                &format!("{SELECT_CHECK_INS} WHERE guild_id = ?1 AND user_id = ?2 ORDER BY day"),
                params![guild.to_string(), user.to_string()],
                check_in_from_row,
            )
        })
        .await
    }

    async fn check_ins_in(
        &self,
        guild: GuildId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CheckIn>, StoreError> {
        self.blocking(move |connection| {
            // User ids are text, so this orders members by text, not number: only for a stable order.
            collect(
                connection,
                &format!(
                    "{SELECT_CHECK_INS} WHERE guild_id = ?1 AND day BETWEEN ?2 AND ?3 \
                     ORDER BY day, user_id"
                ),
                params![guild.to_string(), day_text(from), day_text(to)],
                check_in_from_row,
            )
        })
        .await
    }

    async fn forget_member(&self, guild: GuildId, user: UserId) -> Result<usize, StoreError> {
        self.blocking(move |connection| {
            Ok(connection
                .prepare_cached("DELETE FROM check_ins WHERE guild_id = ?1 AND user_id = ?2")?
                .execute(params![guild.to_string(), user.to_string()])?)
        })
        .await
    }

    async fn set_hidden(
        &self,
        guild: GuildId,
        user: UserId,
        hidden: bool,
    ) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            let sql = if hidden {
                "INSERT INTO hidden_members (guild_id, user_id) VALUES (?1, ?2) \
                 ON CONFLICT (guild_id, user_id) DO NOTHING"
            } else {
                "DELETE FROM hidden_members WHERE guild_id = ?1 AND user_id = ?2"
            };
            connection
                .prepare_cached(sql)?
                .execute(params![guild.to_string(), user.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn hidden_members(&self, guild: GuildId) -> Result<HashSet<UserId>, StoreError> {
        self.blocking(move |connection| {
            let users = collect(
                connection,
                "SELECT user_id FROM hidden_members WHERE guild_id = ?1",
                [guild.to_string()],
                |row| {
                    column(row, &format!("guild {guild}"), "user_id", |text: String| {
                        text.parse().map(UserId)
                    })
                },
            )?;
            Ok(users.into_iter().collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use tempfile::TempDir;

    use super::*;
    use crate::domain::catalog::{Category, Difficulty, Equipment, Position};
    use crate::domain::schedule::{CronExpr, DailyTimes};

    const GUILD: GuildId = GuildId(1);
    const OTHER_GUILD: GuildId = GuildId(2);

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn stretch(id: &str) -> StretchId {
        StretchId::parse(id).unwrap()
    }

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    /// Weekdays at 09:00 in Berlin, in channel 100 of `guild`, for any stretch.
    fn weekdays_at_nine(guild: GuildId) -> NewSchedule {
        NewSchedule {
            guild,
            channel: ChannelId(100),
            kind: PostKind::Stretch,
            schedule: Schedule::new(
                zone("Europe/Berlin"),
                Cadence::Daily(DailyTimes::parse("09:00", "mon-fri").unwrap()),
            ),
            role: None,
            filters: Filters::default(),
            created_by: UserId(7),
        }
    }

    /// A store on a real file, in a folder that lives as long as the returned guard.
    fn file_store() -> (TempDir, PathBuf, SqliteStore) {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("stretchbot.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        (folder, path, store)
    }

    async fn add(store: &SqliteStore, new: NewSchedule, next_fire: &str) -> PostingSchedule {
        store
            .add_schedule(new, RotationState::new(1), Some(at(next_fire)))
            .await
            .unwrap()
    }

    /// The fire a schedule waits for.
    fn next(schedule: &PostingSchedule) -> Fire {
        Fire {
            schedule: schedule.id,
            at: schedule.next_fire.unwrap(),
        }
    }

    fn claim_of(fire: Fire, id: &str) -> Claim {
        Claim {
            fire,
            stretch: Some(stretch(id)),
        }
    }

    /// A rotation that has posted `id`, as the poster would store it after claiming.
    fn rotation_after(id: &str) -> RotationState {
        RotationState {
            seed: 1,
            cycle: 0,
            used: vec![stretch(id)],
            last: Some(stretch(id)),
        }
    }

    async fn claim(store: &SqliteStore, fire: Fire, id: &str, next_fire: &str) -> ClaimOutcome {
        store
            .claim(claim_of(fire, id), rotation_after(id), Some(at(next_fire)))
            .await
            .unwrap()
    }

    async fn pause(store: &SqliteStore, schedule: &PostingSchedule, reason: Pause) {
        let paused = PostingSchedule {
            pause: Some(reason),
            ..schedule.clone()
        };
        store.update_schedule(&paused).await.unwrap();
    }

    async fn stored(store: &SqliteStore, id: ScheduleId) -> PostingSchedule {
        store.schedule(id).await.unwrap().unwrap()
    }

    /// Runs raw SQL on the store's connection, as a repair (or damage) done by hand would.
    async fn execute(store: &SqliteStore, sql: String) {
        store
            .blocking(move |connection| Ok(connection.execute_batch(&sql)?))
            .await
            .unwrap();
    }

    async fn query_text(store: &SqliteStore, sql: &'static str) -> String {
        store
            .blocking(move |connection| Ok(connection.query_row(sql, [], |row| row.get(0))?))
            .await
            .unwrap()
    }

    fn backend_message<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
        match result {
            Err(StoreError::Backend(message)) => message,
            other => panic!("expected a Backend error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn migrates_a_fresh_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("not/yet/there/stretchbot.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        assert!(path.is_file());

        let raw = Connection::open(&path).unwrap();
        let version: i64 = raw
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let mode: String = raw
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let tables: Vec<String> = raw
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "check_ins",
                "guild_settings",
                "hidden_members",
                "posts",
                "schedules",
                "sqlite_sequence"
            ]
        );

        let foreign_keys = query_text(
            &store,
            "SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys",
        )
        .await;
        assert_eq!(foreign_keys, "1");
        assert!(store.schedules_in(GUILD).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn reopening_keeps_the_data() {
        let (_folder, path, store) = file_store();
        store
            .set_guild_zone(GUILD, zone("Asia/Tokyo"))
            .await
            .unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        assert_eq!(
            claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::Claimed
        );
        drop(store);

        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(
            reopened.guild_zone(GUILD).await.unwrap(),
            Some(zone("Asia/Tokyo"))
        );
        let kept = stored(&reopened, schedule.id).await;
        assert_eq!(kept.next_fire, Some(at("2027-03-16T08:00:00Z")));
        assert_eq!(kept.rotation, rotation_after("cat-cow"));
        assert_eq!(reopened.unconfirmed().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_database_from_a_newer_build_is_refused() {
        let (_folder, path, store) = file_store();
        drop(store);
        let newer = MIGRATIONS.len() + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer as i64)
            .unwrap();

        let message = backend_message(SqliteStore::open(&path));
        assert!(
            message.contains(&format!(
                "created by a newer stretchbot (schema {newer}); upgrade the bot or point sqlite_path \
                 elsewhere"
            )),
            "{message}"
        );
        assert!(message.contains(&path.display().to_string()), "{message}");
    }

    #[tokio::test]
    async fn guild_zones_are_set_and_replaced() {
        let store = SqliteStore::open_in_memory().unwrap();
        let largest = GuildId(u64::MAX);
        assert_eq!(store.guild_zone(largest).await.unwrap(), None);

        store
            .set_guild_zone(largest, zone("Europe/Berlin"))
            .await
            .unwrap();
        assert_eq!(
            store.guild_zone(largest).await.unwrap(),
            Some(zone("Europe/Berlin"))
        );
        store
            .set_guild_zone(largest, zone("America/New_York"))
            .await
            .unwrap();
        assert_eq!(
            store.guild_zone(largest).await.unwrap(),
            Some(zone("America/New_York"))
        );
        assert_eq!(store.guild_zone(GUILD).await.unwrap(), None);
    }

    #[tokio::test]
    async fn schedules_round_trip_every_field() {
        let (_folder, path, store) = file_store();
        let guild = GuildId(u64::MAX);
        let daily = NewSchedule {
            guild,
            channel: ChannelId(u64::MAX),
            kind: PostKind::Stretch,
            schedule: Schedule::new(
                zone("Australia/Lord_Howe"),
                Cadence::Daily(DailyTimes::parse("9am, 15:30", "mon,wed,fri").unwrap()),
            ),
            role: Some(RoleId(u64::MAX)),
            filters: Filters {
                position: Some(Position::HandsAndKnees),
                equipment: Some(vec![Equipment::Mat, Equipment::FoamRoller]),
                difficulty: Some(Difficulty::Moderate),
                category: Some(Category::Mobility),
            },
            created_by: UserId(u64::MAX),
        };
        let rotation = RotationState {
            seed: u64::MAX,
            cycle: 3,
            used: vec![stretch("cat-cow"), stretch("thread-the-needle")],
            last: Some(stretch("thread-the-needle")),
        };
        let daily = store
            .add_schedule(daily, rotation, Some(at("2027-03-15T22:00:00Z")))
            .await
            .unwrap();
        let cron = NewSchedule {
            kind: PostKind::TeamSummary,
            schedule: Schedule::new(
                zone("America/New_York"),
                Cadence::Cron(CronExpr::parse("*/15 8-18/2 13 jan-jun MON").unwrap()),
            ),
            ..weekdays_at_nine(guild)
        };
        let cron = store
            .add_schedule(cron, RotationState::new(0), None)
            .await
            .unwrap();
        pause(&store, &cron, Pause::MissingPermissions).await;
        let cron = PostingSchedule {
            pause: Some(Pause::MissingPermissions),
            ..cron
        };

        assert_eq!(stored(&store, daily.id).await, daily);
        assert_eq!(stored(&store, cron.id).await, cron);
        assert_eq!(
            store.schedules_in(guild).await.unwrap(),
            [daily.clone(), cron.clone()]
        );
        assert!(store.schedules_in(GUILD).await.unwrap().is_empty());
        assert_eq!(store.schedule(ScheduleId(999)).await.unwrap(), None);

        // The documented stored spellings.
        assert_eq!(
            query_text(&store, "SELECT group_concat(kind, ' ') FROM schedules").await,
            "stretch team-summary"
        );
        assert_eq!(
            query_text(&store, "SELECT guild_id FROM schedules LIMIT 1").await,
            "18446744073709551615"
        );
        assert_eq!(
            query_text(
                &store,
                "SELECT pause FROM schedules WHERE pause IS NOT NULL"
            )
            .await,
            "missing-permissions"
        );

        drop(store);
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.schedules_in(guild).await.unwrap(), [daily, cron]);
    }

    #[tokio::test]
    async fn updates_replace_the_settings_and_keep_the_rotation() {
        let store = SqliteStore::open_in_memory().unwrap();
        let original = store
            .add_schedule(
                weekdays_at_nine(GUILD),
                rotation_after("cat-cow"),
                Some(at("2027-03-15T08:00:00Z")),
            )
            .await
            .unwrap();
        let edited = PostingSchedule {
            channel: ChannelId(200),
            schedule: Schedule::new(
                zone("Pacific/Apia"),
                Cadence::Cron(CronExpr::parse("0 9 13 * 5").unwrap()),
            ),
            role: Some(RoleId(300)),
            filters: Filters {
                position: Some(Position::Seated),
                ..Filters::default()
            },
            pause: Some(Pause::ByAdmin),
            next_fire: None,
            rotation: RotationState::new(99),
            ..original.clone()
        };
        store.update_schedule(&edited).await.unwrap();
        assert_eq!(
            stored(&store, original.id).await,
            PostingSchedule {
                rotation: original.rotation.clone(),
                ..edited.clone()
            }
        );

        let elsewhere = PostingSchedule {
            guild: OTHER_GUILD,
            ..edited.clone()
        };
        let missing = PostingSchedule {
            id: ScheduleId(999),
            ..edited
        };
        for schedule in [elsewhere, missing] {
            assert!(matches!(
                store.update_schedule(&schedule).await,
                Err(StoreError::NoSuchSchedule(id)) if id == schedule.id
            ));
        }
        assert_eq!(stored(&store, original.id).await.guild, GUILD);
    }

    #[tokio::test]
    async fn removing_a_schedule_needs_its_guild_and_takes_its_posts() {
        let (_folder, _path, store) = file_store();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await;

        assert!(
            !store
                .remove_schedule(OTHER_GUILD, schedule.id)
                .await
                .unwrap()
        );
        assert!(store.schedule(schedule.id).await.unwrap().is_some());

        assert!(store.remove_schedule(GUILD, schedule.id).await.unwrap());
        assert_eq!(store.schedule(schedule.id).await.unwrap(), None);
        assert_eq!(store.post(next(&schedule)).await.unwrap(), None);
        assert!(store.unconfirmed().await.unwrap().is_empty());
        assert!(!store.remove_schedule(GUILD, schedule.id).await.unwrap());

        let replacement = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        assert!(replacement.id > schedule.id, "ids are never reused");
    }

    #[tokio::test]
    async fn the_26th_schedule_of_a_guild_is_refused() {
        let store = SqliteStore::open_in_memory().unwrap();
        let mut added = Vec::new();
        for _ in 0..MAX_SCHEDULES_PER_GUILD {
            added.push(add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await);
        }
        let refused = store
            .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
            .await;
        assert!(matches!(
            refused,
            Err(StoreError::TooManySchedules { limit: 25 })
        ));
        assert_eq!(
            store.schedules_in(GUILD).await.unwrap().len(),
            MAX_SCHEDULES_PER_GUILD
        );

        add(
            &store,
            weekdays_at_nine(OTHER_GUILD),
            "2027-03-15T08:00:00Z",
        )
        .await;
        store.remove_schedule(GUILD, added[0].id).await.unwrap();
        add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    }

    #[tokio::test]
    async fn a_fire_is_claimed_once_and_then_reported_with_its_record() {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let fire = next(&schedule);

        assert_eq!(
            claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::Claimed
        );
        let record = PostRecord {
            claim: claim_of(fire, "cat-cow"),
            channel: schedule.channel,
            state: PostState::Claimed,
        };
        assert_eq!(
            claim(&store, fire, "doorway-stretch", "2027-03-17T08:00:00Z").await,
            ClaimOutcome::AlreadyClaimed(record.clone())
        );
        assert_eq!(store.post(fire).await.unwrap(), Some(record));
        let after = stored(&store, schedule.id).await;
        assert_eq!(after.rotation, rotation_after("cat-cow"), "moved on once");
        assert_eq!(after.next_fire, Some(at("2027-03-16T08:00:00Z")));

        store.confirm(fire, MessageId(5)).await.unwrap();
        assert_eq!(
            claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::AlreadyClaimed(PostRecord {
                claim: claim_of(fire, "cat-cow"),
                channel: schedule.channel,
                state: PostState::Sent {
                    message: MessageId(5)
                },
            })
        );
    }

    #[tokio::test]
    async fn an_extra_post_moves_the_rotation_but_not_the_next_fire_even_when_paused() {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        pause(&store, &schedule, Pause::ByAdmin).await;
        let extra = Fire {
            schedule: schedule.id,
            at: at("2027-03-14T12:34:56Z"),
        };
        let claim_extra =
            || store.claim_extra(claim_of(extra, "cat-cow"), rotation_after("cat-cow"));
        assert_eq!(claim_extra().await.unwrap(), ClaimOutcome::Claimed);
        let after = stored(&store, schedule.id).await;
        assert_eq!(after.rotation, rotation_after("cat-cow"));
        assert_eq!(
            after.next_fire, schedule.next_fire,
            "the schedule's own next fire stays"
        );
        assert_eq!(after.pause, Some(Pause::ByAdmin));
        assert!(matches!(
            claim_extra().await.unwrap(),
            ClaimOutcome::AlreadyClaimed(_)
        ));
        assert_eq!(store.unconfirmed().await.unwrap().len(), 1);
        assert!(store.remove_schedule(GUILD, schedule.id).await.unwrap());
        let gone = Fire {
            at: at("2027-03-14T12:35:00Z"),
            ..extra
        };
        assert_eq!(
            store
                .claim_extra(claim_of(gone, "cat-cow"), rotation_after("cat-cow"))
                .await
                .unwrap(),
            ClaimOutcome::Stale
        );
    }

    #[tokio::test]
    async fn a_claim_of_a_fire_that_is_no_longer_next_is_stale() {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let edited_away = Fire {
            at: at("2027-03-14T08:00:00Z"),
            ..next(&schedule)
        };

        assert_eq!(
            claim(&store, edited_away, "cat-cow", "2027-03-15T08:00:00Z").await,
            ClaimOutcome::Stale
        );
        assert_eq!(stored(&store, schedule.id).await, schedule);
        assert_eq!(store.post(edited_away).await.unwrap(), None);
    }

    #[tokio::test]
    async fn claims_on_paused_or_removed_schedules_are_stale() {
        let store = SqliteStore::open_in_memory().unwrap();
        let paused = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        pause(&store, &paused, Pause::ChannelGone).await;
        let removed = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        store.remove_schedule(GUILD, removed.id).await.unwrap();

        for schedule in [&paused, &removed] {
            assert_eq!(
                claim(&store, next(schedule), "cat-cow", "2027-03-16T08:00:00Z").await,
                ClaimOutcome::Stale
            );
        }
        assert_eq!(stored(&store, paused.id).await.rotation, paused.rotation);
        assert!(store.unconfirmed().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_claim_moves_the_rotation_and_next_fire() {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let fire = next(&schedule);
        assert_eq!(
            claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::Claimed
        );
        let moved = stored(&store, schedule.id).await;
        assert_eq!(moved.rotation, rotation_after("cat-cow"));
        assert_eq!(moved.next_fire, Some(at("2027-03-16T08:00:00Z")));
        assert_eq!(
            query_text(&store, "SELECT nonce FROM posts").await,
            fire.nonce()
        );

        // A post goes to the channel of its claim, whatever the schedule says later.
        let moved_channel = PostingSchedule {
            channel: ChannelId(555),
            ..moved.clone()
        };
        store.update_schedule(&moved_channel).await.unwrap();
        assert_eq!(
            store.post(fire).await.unwrap().unwrap().channel,
            schedule.channel
        );

        // The last fire of a cadence leaves nothing next.
        let last = store
            .claim(
                claim_of(next(&moved), "child-pose"),
                rotation_after("child-pose"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(last, ClaimOutcome::Claimed);
        assert_eq!(stored(&store, schedule.id).await.next_fire, None);
        assert_eq!(
            store.post(next(&moved)).await.unwrap().unwrap().channel,
            ChannelId(555)
        );
    }

    #[tokio::test]
    async fn skips_move_only_a_current_unpaused_fire() {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let fire = next(&schedule);
        let tomorrow = Some(at("2027-03-16T08:00:00Z"));

        let not_next = Fire {
            at: at("2027-03-14T08:00:00Z"),
            ..fire
        };
        assert!(!store.skip(not_next, tomorrow).await.unwrap());
        assert!(store.skip(fire, tomorrow).await.unwrap());
        assert!(!store.skip(fire, tomorrow).await.unwrap(), "moved already");
        let skipped = stored(&store, schedule.id).await;
        assert_eq!(skipped.next_fire, tomorrow);
        assert_eq!(skipped.rotation, schedule.rotation, "nothing was posted");
        assert_eq!(store.post(fire).await.unwrap(), None);

        pause(&store, &skipped, Pause::ByAdmin).await;
        assert!(!store.skip(next(&skipped), None).await.unwrap());
        assert_eq!(stored(&store, schedule.id).await.next_fire, tomorrow);
    }

    #[tokio::test]
    async fn confirm_records_the_message_and_unconfirmed_lists_the_rest() {
        let (_folder, _path, store) = file_store();
        let early = add(&store, weekdays_at_nine(GUILD), "2027-03-15T07:00:00Z").await;
        let late = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        // Claimed in the opposite order to their fires: the list follows the fires.
        claim(&store, next(&late), "cat-cow", "2027-03-16T08:00:00Z").await;
        claim(&store, next(&early), "child-pose", "2027-03-16T07:00:00Z").await;
        let pending: Vec<Fire> = store
            .unconfirmed()
            .await
            .unwrap()
            .into_iter()
            .map(|record| record.claim.fire)
            .collect();
        assert_eq!(pending, [next(&early), next(&late)]);

        let message = MessageId(u64::MAX);
        store.confirm(next(&early), message).await.unwrap();
        store.confirm(next(&early), message).await.unwrap();
        assert_eq!(
            store.post(next(&early)).await.unwrap().unwrap().state,
            PostState::Sent { message }
        );
        let pending = store.unconfirmed().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].claim, claim_of(next(&late), "cat-cow"));

        let twice = backend_message(store.confirm(next(&early), MessageId(9)).await);
        assert!(twice.contains("already confirmed as message"), "{twice}");
        assert_eq!(
            store.post(next(&early)).await.unwrap().unwrap().state,
            PostState::Sent { message },
            "the first message stays on record"
        );

        let never_claimed = Fire {
            at: at("2027-03-20T08:00:00Z"),
            ..next(&late)
        };
        store.confirm(never_claimed, MessageId(3)).await.unwrap();
        assert_eq!(store.post(never_claimed).await.unwrap(), None);
    }

    #[tokio::test]
    async fn pausing_a_guild_pauses_its_running_schedules_only() {
        let store = SqliteStore::open_in_memory().unwrap();
        let running = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let finished = store
            .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
            .await
            .unwrap();
        let by_admin = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        pause(&store, &by_admin, Pause::ByAdmin).await;
        let elsewhere = add(
            &store,
            weekdays_at_nine(OTHER_GUILD),
            "2027-03-15T08:00:00Z",
        )
        .await;

        assert_eq!(store.pause_guild(GUILD, Pause::LeftGuild).await.unwrap(), 2);
        let pauses = |schedules: Vec<PostingSchedule>| -> Vec<(ScheduleId, Option<Pause>)> {
            schedules.into_iter().map(|s| (s.id, s.pause)).collect()
        };
        assert_eq!(
            pauses(store.schedules_in(GUILD).await.unwrap()),
            [
                (running.id, Some(Pause::LeftGuild)),
                (finished.id, Some(Pause::LeftGuild)),
                (by_admin.id, Some(Pause::ByAdmin)),
            ]
        );
        assert_eq!(stored(&store, elsewhere.id).await.pause, None);
        assert_eq!(store.pause_guild(GUILD, Pause::LeftGuild).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn next_due_and_due_schedules_skip_paused_and_finished_schedules() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.next_due().await.unwrap(), None);

        let ten = add(&store, weekdays_at_nine(GUILD), "2027-03-15T10:00:00Z").await;
        let nine = add(&store, weekdays_at_nine(GUILD), "2027-03-15T09:00:00Z").await;
        let paused = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        pause(&store, &paused, Pause::MissingAccess).await;
        store
            .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
            .await
            .unwrap();
        let also_ten = add(
            &store,
            weekdays_at_nine(OTHER_GUILD),
            "2027-03-15T10:00:00Z",
        )
        .await;
        let eleven = add(&store, weekdays_at_nine(GUILD), "2027-03-15T11:00:00Z").await;

        assert_eq!(
            store.next_due().await.unwrap(),
            Some(at("2027-03-15T09:00:00Z"))
        );
        let due = |until: &str| {
            let store = store.clone();
            let until = at(until);
            async move {
                store
                    .due_schedules(until)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|schedule| schedule.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(due("2027-03-15T08:59:59Z").await, []);
        assert_eq!(due("2027-03-15T09:00:00Z").await, [nine.id]);
        assert_eq!(
            due("2027-03-15T10:30:00Z").await,
            [nine.id, ten.id, also_ten.id]
        );
        assert_eq!(
            due("2030-01-01T00:00:00Z").await,
            [nine.id, ten.id, also_ten.id, eleven.id]
        );
    }

    #[tokio::test]
    async fn damaged_stored_values_are_backend_errors_naming_row_and_column() {
        let damages = [
            ("guild_id", "'-1'"),
            ("channel_id", "'#general'"),
            ("zone", "'Mars/Olympus_Mons'"),
            ("cadence", "'weekly 9:00'"),
            ("role_id", "'@everyone'"),
            ("filters", r#"'{"position":"upside-down"}'"#),
            ("created_by", "''"),
            ("pause", "'on-holiday'"),
            ("rotation", "'not json'"),
            ("next_fire", "9223372036854775807"),
        ];
        for (name, value) in damages {
            let store = SqliteStore::open_in_memory().unwrap();
            let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
            execute(&store, format!("UPDATE schedules SET {name} = {value}")).await;

            let message = backend_message(store.schedule(schedule.id).await);
            let expected = format!("schedule {}, column {name}: ", schedule.id);
            assert!(message.contains(&expected), "{message}");
            if name == "next_fire" {
                let message = backend_message(store.next_due().await);
                assert!(message.contains(&expected), "{message}");
            }
        }

        let store = SqliteStore::open_in_memory().unwrap();
        store.set_guild_zone(GUILD, Zone::UTC).await.unwrap();
        execute(
            &store,
            "UPDATE guild_settings SET zone = 'Nowhere/Atall'".to_owned(),
        )
        .await;
        let message = backend_message(store.guild_zone(GUILD).await);
        assert!(message.contains("guild 1, column zone"), "{message}");

        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await;
        execute(&store, "UPDATE posts SET stretch_id = 'Cat Cow'".to_owned()).await;
        let message = backend_message(store.unconfirmed().await);
        assert!(
            message.contains(&format!(
                "schedule {}, post at {}, column stretch_id",
                schedule.id,
                next(&schedule).at.timestamp()
            )),
            "{message}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claims_of_one_fire_claim_it_once() {
        let (_folder, path, store) = file_store();
        // Four connections to the same file, five tasks each, as if four bot processes shared it: SQLite's
        // locking is tested as well as the mutex.
        let connections: Vec<SqliteStore> =
            (0..4).map(|_| SqliteStore::open(&path).unwrap()).collect();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        let fire = next(&schedule);

        // Every task waits at the barrier, so that the claims start together rather than one by one.
        let start = Arc::new(tokio::sync::Barrier::new(20));
        let tasks: Vec<_> = (0..20)
            .map(|task| {
                let store = connections[task % connections.len()].clone();
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
        assert_eq!(store.unconfirmed().await.unwrap().len(), 1);
        assert_eq!(
            stored(&connections[1], schedule.id).await.next_fire,
            Some(at("2027-03-16T08:00:00Z"))
        );
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn check_in(guild: GuildId, user: u64, on: &str, id: &str) -> CheckIn {
        CheckIn {
            guild,
            user: UserId(user),
            day: day(on),
            stretch: stretch(id),
        }
    }

    #[tokio::test]
    async fn pressing_twice_the_same_day_records_once() {
        let store = SqliteStore::open_in_memory().unwrap();
        let first = check_in(GUILD, u64::MAX, "2027-03-14", "cat-cow");
        assert!(store.check_in(first.clone()).await.unwrap());
        let again = check_in(GUILD, u64::MAX, "2027-03-14", "thread-the-needle");
        assert!(!store.check_in(again).await.unwrap());
        // The same day in another guild, and the next day, are new check-ins.
        assert!(
            store
                .check_in(check_in(OTHER_GUILD, u64::MAX, "2027-03-14", "cat-cow"))
                .await
                .unwrap()
        );
        let next_day = check_in(GUILD, u64::MAX, "2027-03-15", "cat-cow");
        assert!(store.check_in(next_day.clone()).await.unwrap());

        assert_eq!(
            store.check_ins_of(GUILD, UserId(u64::MAX)).await.unwrap(),
            [first, next_day]
        );
    }

    #[tokio::test]
    async fn a_guilds_check_ins_are_read_by_day_range() {
        let store = SqliteStore::open_in_memory().unwrap();
        for check_in in [
            check_in(GUILD, 2, "2027-03-15", "cat-cow"),
            check_in(GUILD, 1, "2027-03-15", "cat-cow"),
            check_in(GUILD, 1, "2027-03-14", "cat-cow"),
            check_in(GUILD, 1, "2027-03-21", "cat-cow"),
            check_in(GUILD, 1, "2027-03-22", "cat-cow"),
            check_in(OTHER_GUILD, 1, "2027-03-16", "cat-cow"),
        ] {
            assert!(store.check_in(check_in).await.unwrap());
        }
        let week = store
            .check_ins_in(GUILD, day("2027-03-15"), day("2027-03-21"))
            .await
            .unwrap();
        assert_eq!(
            week,
            [
                check_in(GUILD, 1, "2027-03-15", "cat-cow"),
                check_in(GUILD, 2, "2027-03-15", "cat-cow"),
                check_in(GUILD, 1, "2027-03-21", "cat-cow"),
            ]
        );
    }

    #[tokio::test]
    async fn forget_me_removes_a_members_check_ins() {
        let store = SqliteStore::open_in_memory().unwrap();
        for check_in in [
            check_in(GUILD, 1, "2027-03-14", "cat-cow"),
            check_in(GUILD, 1, "2027-03-15", "cat-cow"),
            check_in(GUILD, 2, "2027-03-15", "cat-cow"),
            check_in(OTHER_GUILD, 1, "2027-03-15", "cat-cow"),
        ] {
            store.check_in(check_in).await.unwrap();
        }
        store.set_hidden(GUILD, UserId(1), true).await.unwrap();

        assert_eq!(store.forget_member(GUILD, UserId(1)).await.unwrap(), 2);
        assert!(
            store
                .check_ins_of(GUILD, UserId(1))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .check_ins_in(GUILD, day("2000-01-01"), day("2999-12-31"))
                .await
                .unwrap(),
            [check_in(GUILD, 2, "2027-03-15", "cat-cow")]
        );
        // Another guild's data is that guild's, and hiding outlives forgetting.
        assert_eq!(
            store
                .check_ins_of(OTHER_GUILD, UserId(1))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .hidden_members(GUILD)
                .await
                .unwrap()
                .contains(&UserId(1))
        );
        assert_eq!(store.forget_member(GUILD, UserId(1)).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn hide_me_round_trips() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert!(store.hidden_members(GUILD).await.unwrap().is_empty());
        store
            .set_hidden(GUILD, UserId(u64::MAX), true)
            .await
            .unwrap();
        // Hiding twice is fine.
        store
            .set_hidden(GUILD, UserId(u64::MAX), true)
            .await
            .unwrap();
        store.set_hidden(GUILD, UserId(3), true).await.unwrap();
        store
            .set_hidden(OTHER_GUILD, UserId(4), true)
            .await
            .unwrap();
        assert_eq!(
            store.hidden_members(GUILD).await.unwrap(),
            HashSet::from([UserId(u64::MAX), UserId(3)])
        );
        store
            .set_hidden(GUILD, UserId(u64::MAX), false)
            .await
            .unwrap();
        store.set_hidden(GUILD, UserId(5), false).await.unwrap();
        assert_eq!(
            store.hidden_members(GUILD).await.unwrap(),
            HashSet::from([UserId(3)])
        );
    }

    #[tokio::test]
    async fn schema_2_applies_to_a_database_at_schema_1() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("stretchbot.sqlite3");
        {
            // A database as the previous release left it: schema 1 with data.
            let raw = Connection::open(&path).unwrap();
            raw.execute_batch(MIGRATIONS[0]).unwrap();
            raw.pragma_update(None, "user_version", 1).unwrap();
            raw.execute(
                "INSERT INTO guild_settings (guild_id, zone) VALUES ('1', 'Asia/Tokyo')",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let version = query_text(
            &store,
            "SELECT CAST(user_version AS TEXT) FROM pragma_user_version",
        )
        .await;
        assert_eq!(version, MIGRATIONS.len().to_string());
        assert_eq!(
            store.guild_zone(GUILD).await.unwrap(),
            Some(zone("Asia/Tokyo"))
        );
        assert!(
            store
                .check_in(check_in(GUILD, 1, "2027-03-14", "cat-cow"))
                .await
                .unwrap()
        );
        store.set_hidden(GUILD, UserId(1), true).await.unwrap();
    }

    #[tokio::test]
    async fn schema_3_applies_to_a_database_at_schema_2_keeping_schedules_and_posts() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("stretchbot.sqlite3");
        let fire_at = at("2027-03-15T08:00:00Z").timestamp();
        {
            // A database as the previous release left it: schema 2, a schedule with a sent post and a
            // claimed one.
            let raw = Connection::open(&path).unwrap();
            raw.execute_batch(MIGRATIONS[0]).unwrap();
            raw.execute_batch(MIGRATIONS[1]).unwrap();
            raw.pragma_update(None, "user_version", 2).unwrap();
            raw.execute(
                "INSERT INTO schedules (guild_id, channel_id, zone, cadence, filters, created_by, \
                 rotation, next_fire) VALUES ('1', '100', 'Europe/Berlin', ?1, '{}', '7', ?2, ?3)",
                params![
                    weekdays_at_nine(GUILD).schedule.cadence.storage_text(),
                    to_json(&RotationState::new(1)).unwrap(),
                    fire_at + 86_400
                ],
            )
            .unwrap();
            raw.execute(
                "INSERT INTO posts (schedule_id, fire_at, stretch_id, channel_id, nonce, state, \
                 message_id, confirmed_at) VALUES (1, ?1, 'cat-cow', '100', 'sb1-x', 'sent', '55', 1), \
                 (1, ?2, 'thread-the-needle', '100', 'sb1-y', 'claimed', NULL, NULL)",
                params![fire_at - 86_400, fire_at],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let old = stored(&store, ScheduleId(1)).await;
        assert_eq!(old.kind, PostKind::Stretch, "old schedules post stretches");
        let fire = Fire {
            schedule: old.id,
            at: at("2027-03-15T08:00:00Z"),
        };
        assert_eq!(
            store.unconfirmed().await.unwrap(),
            [PostRecord {
                claim: claim_of(fire, "thread-the-needle"),
                channel: ChannelId(100),
                state: PostState::Claimed,
            }]
        );
        let earlier = Fire {
            at: at("2027-03-14T08:00:00Z"),
            ..fire
        };
        assert_eq!(
            store.post(earlier).await.unwrap().unwrap().state,
            PostState::Sent {
                message: MessageId(55)
            }
        );
        // The rebuilt table still goes with its schedule and still allows one claim per fire.
        assert!(matches!(
            claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::AlreadyClaimed(_)
        ));
        assert!(store.remove_schedule(GUILD, old.id).await.unwrap());
        assert_eq!(
            query_text(&store, "SELECT CAST(count(*) AS TEXT) FROM posts").await,
            "0"
        );
    }

    #[tokio::test]
    async fn a_team_summary_is_claimed_without_a_stretch_and_leaves_the_rotation() {
        let store = SqliteStore::open_in_memory().unwrap();
        let summary = store
            .add_schedule(
                NewSchedule {
                    kind: PostKind::TeamSummary,
                    ..weekdays_at_nine(GUILD)
                },
                RotationState::new(3),
                Some(at("2027-03-15T08:00:00Z")),
            )
            .await
            .unwrap();
        let fire = next(&summary);
        let outcome = store
            .claim(
                Claim {
                    fire,
                    stretch: None,
                },
                summary.rotation.clone(),
                Some(at("2027-03-16T08:00:00Z")),
            )
            .await
            .unwrap();
        assert_eq!(outcome, ClaimOutcome::Claimed);
        assert_eq!(store.post(fire).await.unwrap().unwrap().claim.stretch, None);
        let after = stored(&store, summary.id).await;
        assert_eq!(after.rotation, RotationState::new(3));
        assert_eq!(after.kind, PostKind::TeamSummary);
    }

    #[tokio::test]
    async fn team_stats_read_a_streak_back_to_its_start_however_long() {
        use crate::domain::participation::WEEK_STARTS_ON;
        use crate::domain::store::load_team_stats;

        let store = SqliteStore::open_in_memory().unwrap();
        let today = day("2027-05-05");
        // Member 1: 100 days in a row up to today, well past the first read's four weeks. Member 2:
        // checked in on the first read's first day and the two before, then stopped: no streak.
        for back in 0..100 {
            let on = today - chrono::Days::new(back);
            store
                .check_in(check_in(GUILD, 1, &on.to_string(), "cat-cow"))
                .await
                .unwrap();
        }
        for on in ["2027-04-03", "2027-04-04", "2027-04-05"] {
            store
                .check_in(check_in(GUILD, 2, on, "cat-cow"))
                .await
                .unwrap();
        }
        let team = load_team_stats(&store, GUILD, today, WEEK_STARTS_ON)
            .await
            .unwrap();
        assert_eq!(team.top_streaks, [(UserId(1), 100)]);
        assert_eq!(team.per_day, [1, 1, 1, 0, 0, 0, 0]);
        assert_eq!(team.members, 1);
    }

    #[tokio::test]
    async fn a_damaged_check_in_day_is_a_backend_error() {
        let store = SqliteStore::open_in_memory().unwrap();
        execute(
            &store,
            "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) \
             VALUES ('1', '1', '2027-02-30', 'cat-cow')"
                .to_owned(),
        )
        .await;
        let message = backend_message(store.check_ins_of(GUILD, UserId(1)).await);
        assert!(message.contains("column day"), "{message}");
    }
}
