//! Personal reminders on PostgreSQL, as on SQLite: each is a `schedules` row of the member's own space
//! with a `reminders` row beside it, added within the per-member limit under a per-member advisory lock;
//! and the members' own zones. Claims, skips and confirmations of a reminder's fires are the schedules'.

use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};

use super::rows::{all, column, raw};
use super::{ATTEMPTS, FIRST_PAUSE, Failure, MAX_PAUSE, PostgresStore};
use crate::domain::catalog::Vocabulary;
use crate::domain::posting::{PostKind, ScheduleId, UserId};
use crate::domain::reminder::{MAX_REMINDERS_PER_MEMBER, NewReminder, PERSONAL, Reminder, Snooze};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{ReminderStore, StoreError};
use crate::store::values::{
    SELECT_REMINDERS, Settings, added_reminder, parse_instant, reminder_from_row, to_json,
};

/// The first key of the per-member advisory lock that serializes a member's additions (the second is
/// the member's hash); distinct from the guilds' class.
const MEMBER_LOCK_CLASS: i32 = 0x5352;

fn from_row(row: &tokio_postgres::Row) -> Result<Reminder, StoreError> {
    reminder_from_row!(row, raw(row, "id")?, column)
}

async fn add(
    client: &mut Client,
    new: &NewReminder,
    settings: &Settings,
    rotation: &str,
    next_fire: Option<DateTime<Utc>>,
) -> Result<ScheduleId, Failure> {
    let user = new.user.to_string();
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&MEMBER_LOCK_CLASS, &user],
        )
        .await?;
    let count: i64 = transaction
        .query_one(
            "SELECT count(*) FROM reminders WHERE user_id = $1",
            &[&user],
        )
        .await?
        .get(0);
    if count >= MAX_REMINDERS_PER_MEMBER as i64 {
        return Err(StoreError::TooManyReminders {
            limit: MAX_REMINDERS_PER_MEMBER,
        }
        .into());
    }
    let row = transaction
        .query_one(
            "INSERT INTO schedules (guild_id, channel_id, kind, zone, cadence, role_id, filters, \
             created_by, rotation, next_fire) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9) \
             RETURNING id",
            &[
                &PERSONAL.to_string(),
                &settings.channel_id,
                &PostKind::Stretch.as_str(),
                &settings.zone,
                &settings.cadence,
                &settings.filters,
                &user,
                &rotation,
                &next_fire.map(|at| at.timestamp()),
            ],
        )
        .await?;
    let id: i64 = raw(&row, "id")?;
    transaction
        .execute(
            "INSERT INTO reminders (schedule_id, user_id) VALUES ($1, $2)",
            &[&id, &user],
        )
        .await?;
    transaction.commit().await?;
    Ok(ScheduleId(id))
}

async fn select(
    client: &impl GenericClient,
    filter: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Reminder>, Failure> {
    let statement = client
        .prepare_cached(&format!("{SELECT_REMINDERS} {filter}"))
        .await?;
    Ok(all(client.query(&statement, params).await?, from_row)?)
}

impl ReminderStore for PostgresStore {
    async fn member_zone(&self, user: UserId) -> Result<Option<Zone>, StoreError> {
        retrying!(self, |client| {
            let row = client
                .query_opt(
                    "SELECT zone FROM member_settings WHERE user_id = $1",
                    &[&user.to_string()],
                )
                .await?;
            Ok(row
                .map(|row| {
                    column(&row, &format!("member {user}"), "zone", |text: String| {
                        Zone::parse(&text)
                    })
                })
                .transpose()?)
        })
    }

    async fn set_member_zone(&self, user: UserId, zone: Zone) -> Result<(), StoreError> {
        retrying!(self, |client| {
            client
                .execute(
                    "INSERT INTO member_settings (user_id, zone) VALUES ($1, $2) \
                     ON CONFLICT (user_id) DO UPDATE SET zone = excluded.zone",
                    &[&user.to_string(), &zone.name()],
                )
                .await?;
            Ok(())
        })
    }

    async fn add_reminder(
        &self,
        new: NewReminder,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<Reminder, StoreError> {
        let settings = Settings::new(new.dm_channel, &new.schedule, None, &new.filters)?;
        let rotation_json = to_json(&rotation)?;
        let id = retrying!(self, |client| {
            add(&mut client, &new, &settings, &rotation_json, next_fire).await
        })?;
        Ok(added_reminder(id, new, rotation, next_fire))
    }

    async fn reminders_of(&self, user: UserId) -> Result<Vec<Reminder>, StoreError> {
        let user = user.to_string();
        retrying!(self, |client| {
            select(&client, "WHERE r.user_id = $1 ORDER BY s.id", &[&user]).await
        })
    }

    async fn reminder(&self, id: ScheduleId) -> Result<Option<Reminder>, StoreError> {
        retrying!(self, |client| {
            let found = select(&client, "WHERE s.id = $1", &[&id.0]).await?;
            Ok(found.into_iter().next())
        })
    }

    async fn remove_reminder(&self, user: UserId, id: ScheduleId) -> Result<bool, StoreError> {
        retrying!(self, |client| {
            // Its reminders row and its posts go with the schedule (ON DELETE CASCADE).
            let removed = client
                .execute(
                    "DELETE FROM schedules WHERE id = $1 AND guild_id = $2 AND id IN \
                     (SELECT schedule_id FROM reminders WHERE user_id = $3)",
                    &[&id.0, &PERSONAL.to_string(), &user.to_string()],
                )
                .await?;
            Ok(removed > 0)
        })
    }

    async fn set_snooze(&self, id: ScheduleId, snooze: Option<Snooze>) -> Result<(), StoreError> {
        let at = snooze.as_ref().map(|snooze| snooze.at.timestamp());
        let stretch = snooze
            .as_ref()
            .map(|snooze| snooze.stretch.as_str().to_owned());
        retrying!(self, |client| {
            client
                .execute(
                    "UPDATE reminders SET snooze_at = $1, snooze_stretch = $2 WHERE schedule_id = $3",
                    &[&at, &stretch, &id.0],
                )
                .await?;
            Ok(())
        })
    }

    async fn due_snoozes(&self, until: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
        let until = until.timestamp();
        retrying!(self, |client| {
            select(
                &client,
                "WHERE r.snooze_at IS NOT NULL AND r.snooze_at <= $1 ORDER BY r.snooze_at, s.id",
                &[&until],
            )
            .await
        })
    }

    async fn next_snooze(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        retrying!(self, |client| {
            let row = client
                .query_opt(
                    "SELECT schedule_id, snooze_at FROM reminders WHERE snooze_at IS NOT NULL \
                     ORDER BY snooze_at LIMIT 1",
                    &[],
                )
                .await?;
            Ok(row
                .map(|row| {
                    let id: i64 = raw(&row, "schedule_id")?;
                    column(&row, &format!("reminder {id}"), "snooze_at", parse_instant)
                })
                .transpose()?)
        })
    }

    async fn set_pause_told(&self, id: ScheduleId, told: bool) -> Result<(), StoreError> {
        retrying!(self, |client| {
            client
                .execute(
                    "UPDATE reminders SET pause_told = $1 WHERE schedule_id = $2",
                    &[&i64::from(told), &id.0],
                )
                .await?;
            Ok(())
        })
    }

    async fn forget_reminders(&self, user: UserId) -> Result<usize, StoreError> {
        let user = user.to_string();
        retrying!(self, |client| {
            let transaction = client.transaction().await?;
            let removed = transaction
                .execute(
                    "DELETE FROM schedules WHERE guild_id = $1 AND id IN \
                     (SELECT schedule_id FROM reminders WHERE user_id = $2)",
                    &[&PERSONAL.to_string(), &user],
                )
                .await?;
            transaction
                .execute("DELETE FROM member_settings WHERE user_id = $1", &[&user])
                .await?;
            transaction.commit().await?;
            Ok(usize::try_from(removed).unwrap_or(usize::MAX))
        })
    }
}
