//! Reading SQLite rows back into domain values: one reading per table, and a damaged value is a
//! [`StoreError::Backend`] naming its row and column.

use std::fmt::Display;

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row};

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

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// Reads `name` from `row` and converts it to its domain value. A failure of either step names the row's
/// `owner` and the column, so that the log line leads straight to the value to repair.
pub(super) fn column<T: FromSql, U, E: Display>(
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
pub(super) fn collect<T>(
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
pub(super) fn schedule_from_row(row: &Row<'_>) -> Result<PostingSchedule, StoreError> {
    crate::store::values::schedule_from_row!(row, row.get("id")?, column)
}

pub(super) fn post_from_row(row: &Row<'_>) -> Result<PostRecord, StoreError> {
    let schedule = ScheduleId(row.get("schedule_id")?);
    let fire_at: i64 = row.get("fire_at")?;
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

/// The one reading of a [`SELECT_CHECK_INS`] row.
pub(super) fn check_in_from_row(row: &Row<'_>) -> Result<CheckIn, StoreError> {
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
        day: column(row, owner, "day", parse_day)?,
        stretch: column(row, owner, "stretch_id", |text: String| {
            StretchId::parse(&text)
        })?,
    })
}
