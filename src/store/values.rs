//! Stored spellings shared by every backend: how domain values become the text and numbers in a row
//! and back. One list, so that SQLite and PostgreSQL hold the same values and `store copy` moves them
//! as they are.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::catalog::Filters;
use crate::domain::posting::{
    ChannelId, MessageId, NewSchedule, Pause, PostState, PostingSchedule, RoleId, ScheduleId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Schedule;
use crate::domain::store::StoreError;

/// A schedule's settings in their stored spellings: what `add_schedule` inserts and `update_schedule`
/// replaces.
pub(super) struct Settings {
    pub channel_id: String,
    pub zone: &'static str,
    pub cadence: String,
    pub role_id: Option<String>,
    pub filters: String,
}

impl Settings {
    pub fn new(
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

pub(super) fn to_json(value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Backend(format!("cannot encode a stored value: {error}")))
}

pub(super) fn from_json<T: DeserializeOwned>(text: String) -> Result<T, serde_json::Error> {
    serde_json::from_str(&text)
}

/// A pause reason as serde spells it (`left-guild`), so that the domain's one list of spellings also
/// governs the database.
pub(super) fn pause_text(pause: Pause) -> Result<String, StoreError> {
    match serde_json::to_value(pause) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        other => Err(StoreError::Backend(format!(
            "pause reason {pause:?} did not encode as a name: {other:?}"
        ))),
    }
}

pub(super) fn parse_pause(text: String) -> Result<Pause, serde_json::Error> {
    serde_json::from_value(serde_json::Value::String(text))
}

pub(super) fn parse_instant(seconds: i64) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| format!("{seconds} is not a time stretchbot can represent"))
}

/// A day as stored: `YYYY-MM-DD`, which sorts as the date does.
pub(super) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_day(text: String) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
}

/// A post's `state` and `message_id` columns read together: each is only meaningful with the other.
pub(super) fn post_state(
    state: String,
    message: Option<MessageId>,
    reason: Option<String>,
) -> Result<PostState, String> {
    match (state.as_str(), message, reason) {
        ("claimed", None, None) => Ok(PostState::Claimed),
        ("sent", Some(message), None) => Ok(PostState::Sent { message }),
        ("abandoned", None, Some(reason)) => Ok(PostState::Abandoned { reason }),
        (_, message, reason) => Err(format!(
            "`{state}` with message {message:?} and reason {reason:?}"
        )),
    }
}

/// The schedule `add_schedule` returns: what was asked for, under its new id, not paused.
pub(super) fn added_schedule(
    id: ScheduleId,
    new: NewSchedule,
    rotation: RotationState,
    next_fire: Option<DateTime<Utc>>,
) -> PostingSchedule {
    PostingSchedule {
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
    }
}

/// The one reading of a schedule row, written once for both backends: `$column` is the backend's own
/// reader of a named column (`rows::column`), which turns a bad value into an error naming its row.
macro_rules! schedule_from_row {
    ($row:expr, $id:expr, $column:ident) => {{
        use $crate::domain::posting::{
            ChannelId, GuildId, PostKind, PostingSchedule, RoleId, ScheduleId, UserId,
        };
        use $crate::domain::schedule::{Cadence, Schedule, Zone};
        use $crate::store::values::{from_json, parse_instant, parse_pause};
        let id = ScheduleId($id);
        let owner = format!("schedule {id}");
        let owner = owner.as_str();
        Ok(PostingSchedule {
            id,
            guild: $column($row, owner, "guild_id", |text: String| {
                text.parse().map(GuildId)
            })?,
            channel: $column($row, owner, "channel_id", |text: String| {
                text.parse().map(ChannelId)
            })?,
            kind: $column($row, owner, "kind", |text: String| text.parse::<PostKind>())?,
            schedule: Schedule::new(
                $column($row, owner, "zone", |text: String| Zone::parse(&text))?,
                $column($row, owner, "cadence", |text: String| {
                    Cadence::from_storage_text(&text)
                })?,
            ),
            role: $column($row, owner, "role_id", |text: Option<String>| {
                text.map(|text| text.parse().map(RoleId)).transpose()
            })?,
            filters: $column($row, owner, "filters", from_json)?,
            created_by: $column($row, owner, "created_by", |text: String| {
                text.parse().map(UserId)
            })?,
            pause: $column($row, owner, "pause", |text: Option<String>| {
                text.map(parse_pause).transpose()
            })?,
            rotation: $column($row, owner, "rotation", from_json)?,
            next_fire: $column($row, owner, "next_fire", |seconds: Option<i64>| {
                seconds.map(parse_instant).transpose()
            })?,
        })
    }};
}
pub(super) use schedule_from_row;

/// Every reminder read goes through [`reminder_from_row`], which expects these columns: its schedule's,
/// then its own. The same on both backends.
pub(super) const SELECT_REMINDERS: &str = "SELECT s.id, s.guild_id, s.channel_id, s.kind, s.zone, \
     s.cadence, s.role_id, s.filters, s.created_by, s.pause, s.rotation, s.next_fire, r.user_id, \
     r.snooze_at, r.snooze_stretch, r.pause_told FROM schedules s JOIN reminders r ON r.schedule_id = s.id";

/// The one reading of a [`SELECT_REMINDERS`] row, for both backends (see [`schedule_from_row`]).
macro_rules! reminder_from_row {
    ($row:expr, $id:expr, $column:ident) => {{
        use $crate::domain::catalog::StretchId;
        use $crate::domain::posting::{PostingSchedule, UserId};
        use $crate::domain::reminder::{Reminder, Snooze};
        use $crate::store::values::parse_instant;
        let id: i64 = $id;
        let posting: Result<PostingSchedule, StoreError> =
            $crate::store::values::schedule_from_row!($row, id, $column);
        let owner = format!("reminder {id}");
        let owner = owner.as_str();
        let at = $column($row, owner, "snooze_at", |seconds: Option<i64>| {
            seconds.map(parse_instant).transpose()
        })?;
        let stretch = $column($row, owner, "snooze_stretch", |text: Option<String>| {
            text.map(|text| StretchId::parse(&text)).transpose()
        })?;
        Ok(Reminder {
            posting: posting?,
            user: $column($row, owner, "user_id", |text: String| {
                text.parse().map(UserId)
            })?,
            snooze: match (at, stretch) {
                (Some(at), Some(stretch)) => Some(Snooze { at, stretch }),
                _ => None,
            },
            pause_told: $column($row, owner, "pause_told", |told: i64| {
                Ok::<_, std::convert::Infallible>(told != 0)
            })?,
        })
    }};
}
pub(super) use reminder_from_row;

/// The reminder `add_reminder` returns: what was asked for, under its new id, not paused.
pub(super) fn added_reminder(
    id: ScheduleId,
    new: crate::domain::reminder::NewReminder,
    rotation: RotationState,
    next_fire: Option<DateTime<Utc>>,
) -> crate::domain::reminder::Reminder {
    use crate::domain::posting::PostKind;
    use crate::domain::reminder::{PERSONAL, Reminder};
    Reminder {
        posting: PostingSchedule {
            id,
            guild: PERSONAL,
            channel: new.dm_channel,
            kind: PostKind::Stretch,
            schedule: new.schedule,
            role: None,
            filters: new.filters,
            created_by: new.user,
            pause: None,
            rotation,
            next_fire,
        },
        user: new.user,
        snooze: None,
        pause_told: false,
    }
}
