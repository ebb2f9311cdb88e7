//! The store the bot runs on, chosen from the configuration: one type for `Data`, the poster and the
//! command line, whichever backend is behind it.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::catalog::{OwnEntry, StretchId};
use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, Pause, PostRecord, PostingSchedule,
    ScheduleId, UserId,
};
use crate::domain::reminder::{NewReminder, Reminder, Snooze};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{CatalogStore, ClaimOutcome, ReminderStore, Store, StoreError};

use super::{PostgresStore, SqliteStore};

/// One of the storage backends. Cloning is cheap and shares the connection (or pool).
#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(store: SqliteStore) -> Self {
        Self::Sqlite(store)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(store: PostgresStore) -> Self {
        Self::Postgres(store)
    }
}

/// Implements [`Store`] for [`AnyStore`] by handing every call to the backend inside, so that a method
/// added to the interface is one line here. Every call is timed and its failures counted for the metrics.
macro_rules! delegate {
    ($trait:ident: $(fn $name:ident(&self $(, $arg:ident: $kind:ty)*) -> $output:ty;)*) => {
        impl $trait for AnyStore {
            $(
                async fn $name(&self $(, $arg: $kind)*) -> Result<$output, StoreError> {
                    let _call = crate::metrics::store_call();
                    crate::metrics::store_result(match self {
                        Self::Sqlite(store) => store.$name($($arg),*).await,
                        Self::Postgres(store) => store.$name($($arg),*).await,
                    })
                }
            )*
        }
    };
}

delegate! {
    Store:
    fn guild_zone(&self, guild: GuildId) -> Option<Zone>;
    fn set_guild_zone(&self, guild: GuildId, zone: Zone) -> ();
    fn add_schedule(
        &self,
        new: NewSchedule,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>
    ) -> PostingSchedule;
    fn schedules_in(&self, guild: GuildId) -> Vec<PostingSchedule>;
    fn schedule(&self, id: ScheduleId) -> Option<PostingSchedule>;
    fn update_schedule(&self, schedule: &PostingSchedule) -> ();
    fn remove_schedule(&self, guild: GuildId, id: ScheduleId) -> bool;
    fn pause_guild(&self, guild: GuildId, pause: Pause) -> usize;
    fn next_due(&self) -> Option<DateTime<Utc>>;
    fn due_schedules(&self, until: DateTime<Utc>) -> Vec<PostingSchedule>;
    fn claim(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>
    ) -> ClaimOutcome;
    fn claim_extra(&self, claim: Claim, rotation: RotationState) -> ClaimOutcome;
    fn skip(&self, fire: Fire, next_fire: Option<DateTime<Utc>>) -> bool;
    fn confirm(&self, fire: Fire, message: MessageId) -> ();
    fn abandon(&self, fire: Fire, reason: String) -> ();
    fn unconfirmed(&self) -> Vec<PostRecord>;
    fn post(&self, fire: Fire) -> Option<PostRecord>;
    fn latest_stretch_post(&self, channel: ChannelId, since: DateTime<Utc>) -> Option<PostRecord>;
    fn check_in(&self, check_in: CheckIn) -> bool;
    fn check_ins_of(&self, guild: GuildId, user: UserId) -> Vec<CheckIn>;
    fn check_ins_in(&self, guild: GuildId, from: NaiveDate, to: NaiveDate) -> Vec<CheckIn>;
    fn forget_member(&self, guild: GuildId, user: UserId) -> usize;
    fn set_hidden(&self, guild: GuildId, user: UserId, hidden: bool) -> ();
    fn hidden_members(&self, guild: GuildId) -> HashSet<UserId>;
}

delegate! {
    ReminderStore:
    fn member_zone(&self, user: UserId) -> Option<Zone>;
    fn set_member_zone(&self, user: UserId, zone: Zone) -> ();
    fn add_reminder(
        &self,
        new: NewReminder,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>
    ) -> Reminder;
    fn reminders_of(&self, user: UserId) -> Vec<Reminder>;
    fn reminder(&self, id: ScheduleId) -> Option<Reminder>;
    fn remove_reminder(&self, user: UserId, id: ScheduleId) -> bool;
    fn set_snooze(&self, id: ScheduleId, snooze: Option<Snooze>) -> ();
    fn due_snoozes(&self, until: DateTime<Utc>) -> Vec<Reminder>;
    fn next_snooze(&self) -> Option<DateTime<Utc>>;
    fn set_pause_told(&self, id: ScheduleId, told: bool) -> ();
    fn forget_reminders(&self, user: UserId) -> usize;
}

delegate! {
    CatalogStore:
    fn own_entries(&self, guild: GuildId) -> Vec<OwnEntry>;
    fn add_own_entries(&self, guild: GuildId, entries: Vec<OwnEntry>) -> ();
    fn replace_own_entry(&self, guild: GuildId, entry: OwnEntry) -> bool;
    fn remove_own_entry(&self, guild: GuildId, id: StretchId) -> bool;
    fn hidden_stretches(&self, guild: GuildId) -> HashSet<StretchId>;
    fn set_stretch_hidden(&self, guild: GuildId, id: StretchId, hidden: bool) -> ();
}
