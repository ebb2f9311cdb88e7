//! Schedules and their claims: adding (within the per-guild limit), reading, editing, pausing, what is
//! due, and claiming or skipping a fire.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, named_params, params};

use super::posts;
use super::rows::{SELECT_SCHEDULES, collect, column, schedule_from_row};
use crate::domain::catalog::{StretchId, Vocabulary};
use crate::domain::posting::{
    Claim, Fire, GuildId, MAX_SCHEDULES_PER_GUILD, NewSchedule, PostingSchedule, ScheduleId,
};
use crate::domain::store::{ClaimOutcome, StoreError};
use crate::store::values::{Settings, parse_instant};

/// Inserts a schedule in its stored spellings (`settings`, `rotation` as JSON), refusing a guild's
/// 26th; returns its id.
pub(super) fn add(
    connection: &mut Connection,
    new: &NewSchedule,
    settings: Settings,
    rotation: String,
    next_fire: Option<DateTime<Utc>>,
) -> Result<ScheduleId, StoreError> {
    // The count and the insert must see the same rows, whoever else is adding to this guild.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let count: i64 = transaction
        .prepare_cached("SELECT count(*) FROM schedules WHERE guild_id = ?1")?
        .query_row([new.guild.to_string()], |row| row.get(0))?;
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
                ":guild_id": new.guild.to_string(),
                ":channel_id": settings.channel_id,
                ":kind": new.kind.as_str(),
                ":zone": settings.zone,
                ":cadence": settings.cadence,
                ":role_id": settings.role_id,
                ":filters": settings.filters,
                ":created_by": new.created_by.to_string(),
                ":rotation": rotation,
                ":next_fire": next_fire.map(|at| at.timestamp()),
            },
            |row| row.get(0),
        )?;
    transaction.commit()?;
    Ok(ScheduleId(id))
}

pub(super) fn in_guild(
    connection: &Connection,
    guild: GuildId,
) -> Result<Vec<PostingSchedule>, StoreError> {
    collect(
        connection,
        // Ids only grow (AUTOINCREMENT), so id order is creation order, with no ties.
        &format!("{SELECT_SCHEDULES} WHERE guild_id = ?1 ORDER BY id"),
        [guild.to_string()],
        schedule_from_row,
    )
}

pub(super) fn one(
    connection: &Connection,
    id: ScheduleId,
) -> Result<Option<PostingSchedule>, StoreError> {
    let schedules = collect(
        connection,
        &format!("{SELECT_SCHEDULES} WHERE id = ?1"),
        [id.0],
        schedule_from_row,
    )?;
    Ok(schedules.into_iter().next())
}

/// Replaces a schedule's settings; returns how many rows changed (0: no such schedule in that guild).
pub(super) fn update(
    connection: &Connection,
    schedule: &PostingSchedule,
    settings: Settings,
    pause: Option<String>,
) -> Result<usize, StoreError> {
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
            ":next_fire": schedule.next_fire.map(|at| at.timestamp()),
            ":id": schedule.id.0,
            ":guild_id": schedule.guild.to_string(),
        })?)
}

pub(super) fn remove(
    connection: &Connection,
    guild: GuildId,
    id: ScheduleId,
) -> Result<bool, StoreError> {
    // Its posts go with it (ON DELETE CASCADE): a removed schedule has nothing left to finish.
    let removed = connection
        .prepare_cached("DELETE FROM schedules WHERE id = ?1 AND guild_id = ?2")?
        .execute(params![id.0, guild.to_string()])?;
    Ok(removed > 0)
}

pub(super) fn pause_guild(
    connection: &Connection,
    guild: GuildId,
    pause: String,
) -> Result<usize, StoreError> {
    // Schedules paused already keep their reason: resuming the guild later must not resume what
    // an admin paused, or a schedule whose channel is gone.
    Ok(connection
        .prepare_cached("UPDATE schedules SET pause = ?1 WHERE guild_id = ?2 AND pause IS NULL")?
        .execute(params![pause, guild.to_string()])?)
}

pub(super) fn next_due(connection: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
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
}

pub(super) fn due(
    connection: &Connection,
    until: DateTime<Utc>,
) -> Result<Vec<PostingSchedule>, StoreError> {
    collect(
        connection,
        &format!(
            "{SELECT_SCHEDULES} WHERE pause IS NULL AND next_fire IS NOT NULL \
             AND next_fire <= ?1 ORDER BY next_fire, id"
        ),
        [until.timestamp()],
        schedule_from_row,
    )
}

/// Records a claim and moves its schedule's rotation on, in one transaction. With `next_fire`, the
/// claim is the schedule's own next fire: only then is it taken, and the schedule moves to
/// `next_fire`. Without, it is an extra post and the next fire stays.
pub(super) fn claim(
    connection: &mut Connection,
    claim: Claim,
    rotation: String,
    next_fire: Option<Option<DateTime<Utc>>>,
) -> Result<ClaimOutcome, StoreError> {
    let Claim { fire, stretch } = claim;
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Checked first: a fire claimed before is finished, never claimed again, even if an edit
    // has since set the schedule's next fire back to it.
    if let Some(record) = posts::find(&transaction, fire)? {
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
}

pub(super) fn skip(
    connection: &Connection,
    fire: Fire,
    next_fire: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let moved = connection
        .prepare_cached(
            "UPDATE schedules SET next_fire = ?1 WHERE id = ?2 AND pause IS NULL AND next_fire = ?3",
        )?
        .execute(params![
            next_fire.map(|at| at.timestamp()),
            fire.schedule.0,
            fire.at.timestamp()
        ])?;
    Ok(moved > 0)
}
