//! The PostgreSQL adapter: one database shared by any number of bot processes, behind the domain's
//! [`Store`] interface, over a small pool of connections (tokio-postgres + deadpool-postgres).
//!
//! Migrations run when a store opens, under an advisory lock, so processes starting together migrate
//! once. Claims lock their schedule's row, so processes racing for one due fire claim it once. A call
//! that fails because the connection was lost (the server restarted, a failover) is tried again with a
//! growing pause, a bounded number of times; a claim whose commit went through before the connection
//! dropped is then found claimed, and the poster finishes it with its nonce as after any crash.
//!
//! One file per aggregate, as on SQLite: [`schedules`] (and their claims), [`posts`], [`participation`],
//! [`guilds`], [`reminders`] (members' reminders and zones), beside the [`migrations`], the [`rows`]
//! readings and the operator [`tools`].

mod guilds;
mod migrations;
mod participation;
mod posts;
mod rows;
mod schedules;
#[cfg(test)]
pub(crate) mod test_database;
#[cfg(test)]
mod tests;
mod tools;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, Pause, PostRecord, PostingSchedule,
    ScheduleId, UserId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{ClaimOutcome, Store, StoreError};
use crate::store::copy::{Table, Value};
use crate::store::values::{Settings, added_schedule, pause_text, to_json};

/// Connections per process: the poster claims and confirms a few at a time, commands are short.
const POOL_SIZE: usize = 8;
/// How long a call waits for a connection (from the pool, or a new one) before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Tries of a call whose connection was lost, and the pause before the second; each pause doubles, up
/// to [`MAX_PAUSE`]: about 70 s in all, long enough for a restart (whose shutdown checkpoint alone took
/// 24 s on a loaded test machine) or a failover, short enough to surface an outage.
const ATTEMPTS: u32 = 20;
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// The PostgreSQL store. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// The database as errors name it (host, port and database, never the password).
    name: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why one try of a call failed: the database (perhaps a lost connection, worth another try), the
/// pool, or the store's own verdict, which is final.
#[derive(Debug)]
enum Failure {
    Postgres(tokio_postgres::Error),
    Pool(PoolError),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Postgres(error)
    }
}

impl From<PoolError> for Failure {
    fn from(error: PoolError) -> Self {
        Self::Pool(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl Failure {
    /// Whether trying again may succeed: the connection went, the server is starting or stopping, or
    /// the transaction lost a race PostgreSQL resolves by aborting one side.
    fn is_transient(&self) -> bool {
        let lost = |error: &tokio_postgres::Error| {
            error.is_closed()
                || error.code().is_some_and(|code| {
                    [
                        SqlState::ADMIN_SHUTDOWN,
                        SqlState::CRASH_SHUTDOWN,
                        SqlState::CANNOT_CONNECT_NOW,
                        SqlState::CONNECTION_EXCEPTION,
                        SqlState::CONNECTION_FAILURE,
                        SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
                        SqlState::T_R_SERIALIZATION_FAILURE,
                        SqlState::T_R_DEADLOCK_DETECTED,
                    ]
                    .contains(code)
                })
                || std::error::Error::source(error)
                    .is_some_and(|source| source.downcast_ref::<std::io::Error>().is_some())
        };
        match self {
            Self::Postgres(error) => lost(error),
            Self::Pool(PoolError::Backend(error)) => lost(error),
            Self::Pool(PoolError::Timeout(_)) => true,
            Self::Pool(_) | Self::Store(_) => false,
        }
    }

    fn into_store_error(self, name: &str) -> StoreError {
        match self {
            Self::Store(error) => error,
            Self::Postgres(error) => StoreError::Backend(format!("{name}: {}", describe(&error))),
            Self::Pool(PoolError::Backend(error)) => {
                StoreError::Backend(format!("{name}: cannot connect: {}", describe(&error)))
            }
            Self::Pool(error) => StoreError::Backend(format!("{name}: {error}")),
        }
    }
}

/// A database error with the server's message, which `Display` alone leaves out.
fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{error}: {}", db.message()),
        None => error.to_string(),
    }
}

/// Runs `$body` with `$client`, a pooled connection, trying again after a lost connection: each try
/// takes a fresh connection, since the pool drops the dead ones.
macro_rules! retrying {
    ($store:expr, |$client:ident| $body:expr) => {{
        let store = $store;
        let mut attempt = 1;
        let mut pause = FIRST_PAUSE;
        loop {
            let outcome: Result<_, Failure> = async {
                #[allow(unused_mut)]
                let mut $client = store.pool.get().await?;
                $body
            }
            .await;
            match outcome {
                Ok(value) => break Ok(value),
                Err(failure) if failure.is_transient() && attempt < ATTEMPTS => {
                    tracing::warn!(database = %store.name, attempt, error = ?failure, "a database call failed; trying again");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(failure) => break Err(failure.into_store_error(&store.name)),
            }
        }
    }};
}

// After `retrying!`, which it uses.
mod catalog;
mod reminders;

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|error| {
            StoreError::Backend(format!("the PostgreSQL url is not valid: {error}"))
        })?;
        Self::open_config(config).await
    }

    /// As [`open`](Self::open), from a parsed configuration.
    pub async fn open_config(config: tokio_postgres::Config) -> Result<Self, StoreError> {
        let store = Self::connect(config)?;
        retrying!(&store, |client| migrations::migrate(
            &mut client,
            &store.name
        )
        .await)?;
        Ok(store)
    }

    /// The pool, not yet connected.
    fn connect(mut config: tokio_postgres::Config) -> Result<Self, StoreError> {
        config.connect_timeout(CONNECT_TIMEOUT);
        let name = format!(
            "PostgreSQL database {} on {}",
            config.get_dbname().unwrap_or("(default)"),
            config
                .get_hosts()
                .iter()
                .map(|host| match host {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        );
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT * 6))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|error| StoreError::Backend(format!("{name}: {error}")))?;
        Ok(Self { pool, name })
    }
}

impl PostgresStore {
    /// Writes `tables` into this database in one transaction, for `store copy`: refused unless every
    /// table is empty. The schedule ids are kept, and the id sequence moved past them.
    pub(crate) async fn load(
        &self,
        tables: &[(&Table, Vec<Vec<Value>>)],
    ) -> Result<(), StoreError> {
        retrying!(self, |client| {
            let transaction = client.transaction().await?;
            for (table, _) in tables {
                let count: i64 = transaction
                    .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])
                    .await?
                    .get(0);
                if count > 0 {
                    return Err(StoreError::Backend(format!(
                        "{}: table {} already has {count} rows; store copy only fills an empty \
                         database (make a new one, or drop this one's tables)",
                        self.name, table.name
                    ))
                    .into());
                }
            }
            for (table, rows) in tables {
                let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
                let placeholders: Vec<String> =
                    (1..=names.len()).map(|index| format!("${index}")).collect();
                let statement = transaction
                    .prepare(&format!(
                        "INSERT INTO {} ({}) VALUES ({})",
                        table.name,
                        names.join(", "),
                        placeholders.join(", ")
                    ))
                    .await?;
                for row in rows {
                    let values: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = row
                        .iter()
                        .map(|value| match value {
                            Value::Text(text) => text as &(dyn tokio_postgres::types::ToSql + Sync),
                            Value::Integer(number) => number,
                        })
                        .collect();
                    transaction.execute(&statement, &values).await?;
                }
            }
            transaction
                .batch_execute(
                    "SELECT setval(pg_get_serial_sequence('schedules', 'id'), \
                     coalesce(max(id), 0) + 1, false) FROM schedules",
                )
                .await?;
            transaction.commit().await?;
            Ok(())
        })
    }
}

impl Store for PostgresStore {
    async fn guild_zone(&self, guild: GuildId) -> Result<Option<Zone>, StoreError> {
        retrying!(self, |client| guilds::zone(&client, guild).await)
    }

    async fn set_guild_zone(&self, guild: GuildId, zone: Zone) -> Result<(), StoreError> {
        retrying!(self, |client| guilds::set_zone(&client, guild, zone).await)
    }

    async fn add_schedule(
        &self,
        new: NewSchedule,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<PostingSchedule, StoreError> {
        let settings = Settings::new(new.channel, &new.schedule, new.role, &new.filters)?;
        let rotation_json = to_json(&rotation)?;
        let id = retrying!(self, |client| {
            schedules::add(&mut client, &new, &settings, &rotation_json, next_fire).await
        })?;
        Ok(added_schedule(id, new, rotation, next_fire))
    }

    async fn schedules_in(&self, guild: GuildId) -> Result<Vec<PostingSchedule>, StoreError> {
        retrying!(self, |client| schedules::in_guild(&client, guild).await)
    }

    async fn schedule(&self, id: ScheduleId) -> Result<Option<PostingSchedule>, StoreError> {
        retrying!(self, |client| schedules::one(&client, id).await)
    }

    async fn update_schedule(&self, schedule: &PostingSchedule) -> Result<(), StoreError> {
        let settings = Settings::new(
            schedule.channel,
            &schedule.schedule,
            schedule.role,
            &schedule.filters,
        )?;
        let pause = schedule.pause.map(pause_text).transpose()?;
        let updated = retrying!(self, |client| {
            schedules::update(&client, schedule, &settings, &pause).await
        })?;
        if updated == 0 {
            return Err(StoreError::NoSuchSchedule(schedule.id));
        }
        Ok(())
    }

    async fn remove_schedule(&self, guild: GuildId, id: ScheduleId) -> Result<bool, StoreError> {
        retrying!(self, |client| schedules::remove(&client, guild, id).await)
    }

    async fn pause_guild(&self, guild: GuildId, pause: Pause) -> Result<usize, StoreError> {
        let pause = pause_text(pause)?;
        retrying!(self, |client| schedules::pause_guild(
            &client, guild, &pause
        )
        .await)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        retrying!(self, |client| schedules::next_due(&client).await)
    }

    async fn due_schedules(
        &self,
        until: DateTime<Utc>,
    ) -> Result<Vec<PostingSchedule>, StoreError> {
        retrying!(self, |client| schedules::due(&client, until).await)
    }

    async fn claim(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<ClaimOutcome, StoreError> {
        let rotation = to_json(&rotation)?;
        retrying!(self, |client| {
            schedules::claim(&mut client, &claim, &rotation, Some(next_fire)).await
        })
    }

    async fn claim_extra(
        &self,
        claim: Claim,
        rotation: RotationState,
    ) -> Result<ClaimOutcome, StoreError> {
        let rotation = to_json(&rotation)?;
        retrying!(self, |client| {
            schedules::claim(&mut client, &claim, &rotation, None).await
        })
    }

    async fn skip(&self, fire: Fire, next_fire: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
        retrying!(self, |client| schedules::skip(&client, fire, next_fire)
            .await)
    }

    async fn confirm(&self, fire: Fire, message: MessageId) -> Result<(), StoreError> {
        retrying!(self, |client| posts::confirm(&mut client, fire, message)
            .await)
    }

    async fn abandon(&self, fire: Fire, reason: String) -> Result<(), StoreError> {
        retrying!(self, |client| posts::abandon(&client, fire, &reason).await)
    }

    async fn unconfirmed(&self) -> Result<Vec<PostRecord>, StoreError> {
        retrying!(self, |client| posts::unconfirmed(&client).await)
    }

    async fn post(&self, fire: Fire) -> Result<Option<PostRecord>, StoreError> {
        retrying!(self, |client| posts::find(&client, fire, false).await)
    }

    async fn latest_stretch_post(
        &self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> Result<Option<PostRecord>, StoreError> {
        retrying!(self, |client| posts::latest_stretch(
            &client, channel, since
        )
        .await)
    }

    async fn check_in(&self, check_in: CheckIn) -> Result<bool, StoreError> {
        retrying!(self, |client| {
            participation::check_in(&client, check_in.clone()).await
        })
    }

    async fn check_ins_of(&self, guild: GuildId, user: UserId) -> Result<Vec<CheckIn>, StoreError> {
        retrying!(self, |client| participation::of_member(
            &client, guild, user
        )
        .await)
    }

    async fn check_ins_in(
        &self,
        guild: GuildId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CheckIn>, StoreError> {
        retrying!(self, |client| {
            participation::in_days(&client, guild, from, to).await
        })
    }

    async fn forget_member(&self, guild: GuildId, user: UserId) -> Result<usize, StoreError> {
        retrying!(self, |client| participation::forget(&client, guild, user)
            .await)
    }

    async fn set_hidden(
        &self,
        guild: GuildId,
        user: UserId,
        hidden: bool,
    ) -> Result<(), StoreError> {
        retrying!(self, |client| {
            participation::set_hidden(&client, guild, user, hidden).await
        })
    }

    async fn hidden_members(&self, guild: GuildId) -> Result<HashSet<UserId>, StoreError> {
        retrying!(self, |client| participation::hidden(&client, guild).await)
    }
}
