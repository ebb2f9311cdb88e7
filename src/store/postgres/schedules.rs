//! Schedules and their claims. Several processes may claim at once: a claim locks its schedule's row
//! first, so that the loser of a race waits, then finds the winner's post (`AlreadyClaimed`), and the
//! `(schedule, fire)` key refuses a second record whatever happens.

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};

use super::Failure;
use super::posts;
use super::rows::{SELECT_SCHEDULES, all, column, raw, schedule_from_row};
use crate::domain::catalog::{StretchId, Vocabulary};
use crate::domain::posting::{
    Claim, Fire, GuildId, MAX_SCHEDULES_PER_GUILD, NewSchedule, PostingSchedule, ScheduleId,
};
use crate::domain::store::{ClaimOutcome, StoreError};
use crate::store::values::{Settings, parse_instant};

/// The first key of the per-guild advisory lock that serializes a guild's additions, so that the count
/// and the insert see the same rows (the second key is the guild's hash).
const GUILD_LOCK_CLASS: i32 = 0x5342;

pub(super) async fn add(
    client: &mut Client,
    new: &NewSchedule,
    settings: &Settings,
    rotation: &str,
    next_fire: Option<DateTime<Utc>>,
) -> Result<ScheduleId, Failure> {
    let guild = new.guild.to_string();
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&GUILD_LOCK_CLASS, &guild],
        )
        .await?;
    let count: i64 = transaction
        .query_one(
            "SELECT count(*) FROM schedules WHERE guild_id = $1",
            &[&guild],
        )
        .await?
        .get(0);
    if count >= MAX_SCHEDULES_PER_GUILD as i64 {
        return Err(StoreError::TooManySchedules {
            limit: MAX_SCHEDULES_PER_GUILD,
        }
        .into());
    }
    let statement = transaction
        .prepare_cached(
            "INSERT INTO schedules (guild_id, channel_id, kind, zone, cadence, role_id, filters, \
             created_by, rotation, next_fire) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id",
        )
        .await?;
    let row = transaction
        .query_one(
            &statement,
            &[
                &guild,
                &settings.channel_id,
                &new.kind.as_str(),
                &settings.zone,
                &settings.cadence,
                &settings.role_id,
                &settings.filters,
                &new.created_by.to_string(),
                &rotation,
                &next_fire.map(|at| at.timestamp()),
            ],
        )
        .await?;
    let id = ScheduleId(raw(&row, "id")?);
    transaction.commit().await?;
    Ok(id)
}

pub(super) async fn in_guild(
    client: &impl GenericClient,
    guild: GuildId,
) -> Result<Vec<PostingSchedule>, Failure> {
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_SCHEDULES} WHERE guild_id = $1 ORDER BY id"
        ))
        .await?;
    let rows = client.query(&statement, &[&guild.to_string()]).await?;
    Ok(all(rows, schedule_from_row)?)
}

pub(super) async fn one(
    client: &impl GenericClient,
    id: ScheduleId,
) -> Result<Option<PostingSchedule>, Failure> {
    let statement = client
        .prepare_cached(&format!("{SELECT_SCHEDULES} WHERE id = $1"))
        .await?;
    let row = client.query_opt(&statement, &[&id.0]).await?;
    Ok(row.map(|row| schedule_from_row(&row)).transpose()?)
}

/// Replaces a schedule's settings; returns how many rows changed (0: no such schedule in that guild).
pub(super) async fn update(
    client: &impl GenericClient,
    schedule: &PostingSchedule,
    settings: &Settings,
    pause: &Option<String>,
) -> Result<u64, Failure> {
    let statement = client
        .prepare_cached(
            "UPDATE schedules SET channel_id = $1, zone = $2, cadence = $3, role_id = $4, \
             filters = $5, pause = $6, next_fire = $7 WHERE id = $8 AND guild_id = $9",
        )
        .await?;
    Ok(client
        .execute(
            &statement,
            &[
                &settings.channel_id,
                &settings.zone,
                &settings.cadence,
                &settings.role_id,
                &settings.filters,
                pause,
                &schedule.next_fire.map(|at| at.timestamp()),
                &schedule.id.0,
                &schedule.guild.to_string(),
            ],
        )
        .await?)
}

pub(super) async fn remove(
    client: &impl GenericClient,
    guild: GuildId,
    id: ScheduleId,
) -> Result<bool, Failure> {
    // Its posts go with it (ON DELETE CASCADE): a removed schedule has nothing left to finish.
    let statement = client
        .prepare_cached("DELETE FROM schedules WHERE id = $1 AND guild_id = $2")
        .await?;
    Ok(client
        .execute(&statement, &[&id.0, &guild.to_string()])
        .await?
        > 0)
}

pub(super) async fn pause_guild(
    client: &impl GenericClient,
    guild: GuildId,
    pause: &str,
) -> Result<usize, Failure> {
    // Schedules paused already keep their reason.
    let statement = client
        .prepare_cached("UPDATE schedules SET pause = $1 WHERE guild_id = $2 AND pause IS NULL")
        .await?;
    let paused = client
        .execute(&statement, &[&pause, &guild.to_string()])
        .await?;
    Ok(usize::try_from(paused).unwrap_or(usize::MAX))
}

pub(super) async fn next_due(
    client: &impl GenericClient,
) -> Result<Option<DateTime<Utc>>, Failure> {
    // The earliest row rather than min(next_fire), so that a damaged value names its schedule.
    let statement = client
        .prepare_cached(
            "SELECT id, next_fire FROM schedules WHERE pause IS NULL AND next_fire IS NOT NULL \
             ORDER BY next_fire LIMIT 1",
        )
        .await?;
    let row = client.query_opt(&statement, &[]).await?;
    Ok(row
        .map(|row| {
            let id: i64 = raw(&row, "id")?;
            column(&row, &format!("schedule {id}"), "next_fire", parse_instant)
        })
        .transpose()?)
}

pub(super) async fn due(
    client: &impl GenericClient,
    until: DateTime<Utc>,
) -> Result<Vec<PostingSchedule>, Failure> {
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_SCHEDULES} WHERE pause IS NULL AND next_fire IS NOT NULL \
             AND next_fire <= $1 ORDER BY next_fire, id"
        ))
        .await?;
    let rows = client.query(&statement, &[&until.timestamp()]).await?;
    Ok(all(rows, schedule_from_row)?)
}

/// Records a claim and moves its schedule's rotation on, in one transaction. With `next_fire`, the
/// claim is the schedule's own next fire: only then is it taken (compare-and-set on `next_fire`), and
/// the schedule moves to `next_fire`. Without, it is an extra post and the next fire stays.
pub(super) async fn claim(
    client: &mut Client,
    claim: &Claim,
    rotation: &str,
    next_fire: Option<Option<DateTime<Utc>>>,
) -> Result<ClaimOutcome, Failure> {
    let fire = claim.fire;
    let transaction = client.transaction().await?;
    // The schedule's row lock first: a second claimer waits here until the first commits, and its
    // next statement then sees the first one's post.
    transaction
        .execute(
            "SELECT 1 FROM schedules WHERE id = $1 FOR UPDATE",
            &[&fire.schedule.0],
        )
        .await?;
    if let Some(record) = posts::find(&transaction, fire, false).await? {
        return Ok(ClaimOutcome::AlreadyClaimed(record));
    }
    let moved = match next_fire {
        Some(next_fire) => {
            transaction
                .query_opt(
                    "UPDATE schedules SET rotation = $1, next_fire = $2 \
                     WHERE id = $3 AND pause IS NULL AND next_fire = $4 RETURNING channel_id",
                    &[
                        &rotation,
                        &next_fire.map(|at| at.timestamp()),
                        &fire.schedule.0,
                        &fire.at.timestamp(),
                    ],
                )
                .await?
        }
        None => {
            transaction
                .query_opt(
                    "UPDATE schedules SET rotation = $1 WHERE id = $2 RETURNING channel_id",
                    &[&rotation, &fire.schedule.0],
                )
                .await?
        }
    };
    let Some(row) = moved else {
        return Ok(ClaimOutcome::Stale);
    };
    let channel: String = raw(&row, "channel_id")?;
    let statement = transaction
        .prepare_cached(
            "INSERT INTO posts (schedule_id, fire_at, stretch_id, channel_id, nonce, state) \
             VALUES ($1, $2, $3, $4, $5, 'claimed')",
        )
        .await?;
    transaction
        .execute(
            &statement,
            &[
                &fire.schedule.0,
                &fire.at.timestamp(),
                &claim.stretch.as_ref().map(StretchId::as_str),
                &channel,
                &fire.nonce(),
            ],
        )
        .await?;
    transaction.commit().await?;
    Ok(ClaimOutcome::Claimed)
}

pub(super) async fn skip(
    client: &impl GenericClient,
    fire: Fire,
    next_fire: Option<DateTime<Utc>>,
) -> Result<bool, Failure> {
    let statement = client
        .prepare_cached(
            "UPDATE schedules SET next_fire = $1 WHERE id = $2 AND pause IS NULL AND next_fire = $3",
        )
        .await?;
    let moved = client
        .execute(
            &statement,
            &[
                &next_fire.map(|at| at.timestamp()),
                &fire.schedule.0,
                &fire.at.timestamp(),
            ],
        )
        .await?;
    Ok(moved > 0)
}
