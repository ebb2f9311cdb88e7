//! Personal reminders on SQLite: each is a `schedules` row of the member's own space with a `reminders`
//! row beside it (member, snooze, whether told of a pause), added within the per-member limit; and the
//! members' own zones. Claims, skips and confirmations of a reminder's fires are the schedules' own.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, named_params, params};

use super::SqliteStore;
use super::rows::{collect, column};
use crate::domain::catalog::Vocabulary;
use crate::domain::posting::{PostKind, ScheduleId, UserId};
use crate::domain::reminder::{MAX_REMINDERS_PER_MEMBER, NewReminder, PERSONAL, Reminder, Snooze};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{ReminderStore, StoreError};
use crate::store::values::{
    SELECT_REMINDERS, Settings, added_reminder, parse_instant, reminder_from_row, to_json,
};

fn from_row(row: &rusqlite::Row<'_>) -> Result<Reminder, StoreError> {
    reminder_from_row!(row, row.get::<_, i64>("id")?, column)
}

fn add(
    connection: &mut Connection,
    new: &NewReminder,
    settings: Settings,
    rotation: String,
    next_fire: Option<DateTime<Utc>>,
) -> Result<ScheduleId, StoreError> {
    // The count and the insert must see the same rows, whoever else is adding for this member.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let user = new.user.to_string();
    let count: i64 = transaction
        .prepare_cached("SELECT count(*) FROM reminders WHERE user_id = ?1")?
        .query_row([&user], |row| row.get(0))?;
    if count >= MAX_REMINDERS_PER_MEMBER as i64 {
        return Err(StoreError::TooManyReminders {
            limit: MAX_REMINDERS_PER_MEMBER,
        });
    }
    let id: i64 = transaction
        .prepare_cached(
            "INSERT INTO schedules (guild_id, channel_id, kind, zone, cadence, role_id, filters, \
             created_by, rotation, next_fire) VALUES (:guild_id, :channel_id, :kind, :zone, \
             :cadence, NULL, :filters, :created_by, :rotation, :next_fire) RETURNING id",
        )?
        .query_row(
            named_params! {
                ":guild_id": PERSONAL.to_string(),
                ":channel_id": settings.channel_id,
                ":kind": PostKind::Stretch.as_str(),
                ":zone": settings.zone,
                ":cadence": settings.cadence,
                ":filters": settings.filters,
                ":created_by": user,
                ":rotation": rotation,
                ":next_fire": next_fire.map(|at| at.timestamp()),
            },
            |row| row.get(0),
        )?;
    transaction
        .prepare_cached("INSERT INTO reminders (schedule_id, user_id) VALUES (?1, ?2)")?
        .execute(params![id, user])?;
    transaction.commit()?;
    Ok(ScheduleId(id))
}

impl ReminderStore for SqliteStore {
    async fn member_zone(&self, user: UserId) -> Result<Option<Zone>, StoreError> {
        self.blocking(move |connection| {
            let zones = collect(
                connection,
                "SELECT zone FROM member_settings WHERE user_id = ?1",
                [user.to_string()],
                |row| {
                    column(row, &format!("member {user}"), "zone", |text: String| {
                        Zone::parse(&text)
                    })
                },
            )?;
            Ok(zones.into_iter().next())
        })
        .await
    }

    async fn set_member_zone(&self, user: UserId, zone: Zone) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO member_settings (user_id, zone) VALUES (?1, ?2) \
                     ON CONFLICT (user_id) DO UPDATE SET zone = excluded.zone",
                )?
                .execute(params![user.to_string(), zone.name()])?;
            Ok(())
        })
        .await
    }

    async fn add_reminder(
        &self,
        new: NewReminder,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> Result<Reminder, StoreError> {
        let settings = Settings::new(new.dm_channel, &new.schedule, None, &new.filters)?;
        let rotation_json = to_json(&rotation)?;
        let (id, new) = self
            .blocking(move |connection| {
                let id = add(connection, &new, settings, rotation_json, next_fire)?;
                Ok((id, new))
            })
            .await?;
        Ok(added_reminder(id, new, rotation, next_fire))
    }

    async fn reminders_of(&self, user: UserId) -> Result<Vec<Reminder>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                &format!("{SELECT_REMINDERS} WHERE r.user_id = ?1 ORDER BY s.id"),
                [user.to_string()],
                from_row,
            )
        })
        .await
    }

    async fn reminder(&self, id: ScheduleId) -> Result<Option<Reminder>, StoreError> {
        self.blocking(move |connection| {
            let found = collect(
                connection,
                &format!("{SELECT_REMINDERS} WHERE s.id = ?1"),
                [id.0],
                from_row,
            )?;
            Ok(found.into_iter().next())
        })
        .await
    }

    async fn remove_reminder(&self, user: UserId, id: ScheduleId) -> Result<bool, StoreError> {
        self.blocking(move |connection| {
            // Its reminders row and its posts go with the schedule (ON DELETE CASCADE).
            let removed = connection
                .prepare_cached(
                    "DELETE FROM schedules WHERE id = ?1 AND guild_id = ?2 AND id IN \
                     (SELECT schedule_id FROM reminders WHERE user_id = ?3)",
                )?
                .execute(params![id.0, PERSONAL.to_string(), user.to_string()])?;
            Ok(removed > 0)
        })
        .await
    }

    async fn set_snooze(&self, id: ScheduleId, snooze: Option<Snooze>) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            let (at, stretch) = match &snooze {
                Some(snooze) => (Some(snooze.at.timestamp()), Some(snooze.stretch.as_str())),
                None => (None, None),
            };
            connection
                .prepare_cached(
                    "UPDATE reminders SET snooze_at = ?1, snooze_stretch = ?2 WHERE schedule_id = ?3",
                )?
                .execute(params![at, stretch, id.0])?;
            Ok(())
        })
        .await
    }

    async fn due_snoozes(&self, until: DateTime<Utc>) -> Result<Vec<Reminder>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                &format!(
                    "{SELECT_REMINDERS} WHERE r.snooze_at IS NOT NULL AND r.snooze_at <= ?1 \
                     ORDER BY r.snooze_at, s.id"
                ),
                [until.timestamp()],
                from_row,
            )
        })
        .await
    }

    async fn next_snooze(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.blocking(move |connection| {
            let earliest = collect(
                connection,
                "SELECT schedule_id, snooze_at FROM reminders WHERE snooze_at IS NOT NULL \
                 ORDER BY snooze_at LIMIT 1",
                [],
                |row| {
                    let id: i64 = row.get("schedule_id")?;
                    column(row, &format!("reminder {id}"), "snooze_at", parse_instant)
                },
            )?;
            Ok(earliest.into_iter().next())
        })
        .await
    }

    async fn set_pause_told(&self, id: ScheduleId, told: bool) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            connection
                .prepare_cached("UPDATE reminders SET pause_told = ?1 WHERE schedule_id = ?2")?
                .execute(params![i64::from(told), id.0])?;
            Ok(())
        })
        .await
    }

    async fn forget_reminders(&self, user: UserId) -> Result<usize, StoreError> {
        self.blocking(move |connection| {
            let transaction = connection.transaction()?;
            let user = user.to_string();
            let removed = transaction
                .prepare_cached(
                    "DELETE FROM schedules WHERE guild_id = ?1 AND id IN \
                     (SELECT schedule_id FROM reminders WHERE user_id = ?2)",
                )?
                .execute(params![PERSONAL.to_string(), user])?;
            transaction
                .prepare_cached("DELETE FROM member_settings WHERE user_id = ?1")?
                .execute([&user])?;
            transaction.commit()?;
            Ok(removed)
        })
        .await
    }
}
