//! Reading PostgreSQL rows back into domain values, with the same spellings and the same damaged-value
//! errors (naming row and column) as the SQLite adapter.

use std::fmt::Display;

use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use crate::domain::catalog::StretchId;
use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, PostRecord, PostingSchedule, ScheduleId, UserId,
};
use crate::domain::store::StoreError;
use crate::store::values::{parse_day, parse_instant, post_state};

/// Every schedule read goes through [`schedule_from_row`], which expects these columns.
pub(super) const SELECT_SCHEDULES: &str = "SELECT id, guild_id, channel_id, kind, zone, cadence, \
     role_id, filters, created_by, pause, rotation, next_fire FROM schedules";

/// Every post read goes through [`post_from_row`], which expects these columns.
pub(super) const SELECT_POSTS: &str = "SELECT schedule_id, fire_at, stretch_id, channel_id, state, message_id, abandoned_reason \
     FROM posts";

/// Every check-in read goes through [`check_in_from_row`], which expects these columns.
pub(super) const SELECT_CHECK_INS: &str =
    "SELECT guild_id, user_id, day, stretch_id FROM check_ins";

/// Reads `name` from `row` and converts it to its domain value; a failure names `owner` and the column.
pub(super) fn column<'row, T: FromSql<'row>, U, E: Display>(
    row: &'row Row,
    owner: &str,
    name: &str,
    convert: impl FnOnce(T) -> Result<U, E>,
) -> Result<U, StoreError> {
    let fail = |error: &dyn Display| {
        StoreError::Backend(format!(
            "{owner}, column {name}: {error} (stored data is damaged)"
        ))
    };
    let raw = row.try_get(name).map_err(|error| fail(&error))?;
    convert(raw).map_err(|error| fail(&error))
}

/// A column read as it is, for the values that name a row in errors.
pub(super) fn raw<'row, T: FromSql<'row>>(row: &'row Row, name: &str) -> Result<T, StoreError> {
    row.try_get(name)
        .map_err(|error| StoreError::Backend(format!("column {name}: {error}")))
}

pub(super) fn schedule_from_row(row: &Row) -> Result<PostingSchedule, StoreError> {
    crate::store::values::schedule_from_row!(row, raw(row, "id")?, column)
}

pub(super) fn post_from_row(row: &Row) -> Result<PostRecord, StoreError> {
    let schedule = ScheduleId(raw(row, "schedule_id")?);
    let fire_at: i64 = raw(row, "fire_at")?;
    let owner = format!("schedule {schedule}, post at {fire_at}");
    let owner = owner.as_str();
    let message = column(row, owner, "message_id", |text: Option<String>| {
        text.map(|text| text.parse().map(MessageId)).transpose()
    })?;
    let reason = column(row, owner, "abandoned_reason", |text: Option<String>| {
        Ok::<_, std::convert::Infallible>(text)
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
            post_state(state, message, reason)
        })?,
    })
}

pub(super) fn check_in_from_row(row: &Row) -> Result<CheckIn, StoreError> {
    let guild: String = raw(row, "guild_id")?;
    let user: String = raw(row, "user_id")?;
    let day: String = raw(row, "day")?;
    let owner = format!("check-in of user {user} in guild {guild} on {day}");
    let owner = owner.as_str();
    Ok(CheckIn {
        guild: column(row, owner, "guild_id", |text: String| {
            text.parse().map(GuildId)
        })?,
        user: column(row, owner, "user_id", |text: String| {
            text.parse().map(UserId)
        })?,
        day: column(row, owner, "day", parse_day)?,
        stretch: column(row, owner, "stretch_id", |text: String| {
            StretchId::parse(&text)
        })?,
    })
}

/// Maps every row, failing on the first that does not read.
pub(super) fn all<T>(
    rows: Vec<Row>,
    map: impl FnMut(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(map).collect()
}
