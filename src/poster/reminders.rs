//! The poster's part for personal reminders that server schedules do not have: snoozes. A reminder's
//! regular fires are posted by the poster's own loop, since a reminder is a schedule; a snoozed DM is
//! one extra fire of that schedule at the snooze's instant, claimed as an extra post (its next fire and
//! rotation stay where they are, so the cadence goes on unchanged) and then sent, confirmed, retried or
//! paused exactly as every fire is.

use chrono::{DateTime, Utc};

use super::{Delivery, PostSender, Poster};
use crate::domain::posting::{Claim, Due, Fire, GuildId, PostingSchedule, due};
use crate::domain::reminder::{PERSONAL, Reminder};
use crate::domain::store::{CatalogStore, ClaimOutcome, ReminderStore, StoreError};

/// Whose turn a schedule's post is when posts take turns: its guild's, or for a reminder, which all share
/// the one personal space, its member's, so that a thousand reminders due at 09:00 take turns with the
/// servers' posts one member at a time instead of queueing as one giant guild.
pub(super) fn turn_of(schedule: &PostingSchedule) -> GuildId {
    if schedule.guild == PERSONAL {
        GuildId(schedule.created_by.0)
    } else {
        schedule.guild
    }
}

impl<S: ReminderStore + CatalogStore, P: PostSender> Poster<S, P> {
    /// Claims every snooze due by `now` and returns the deliveries of those still worth sending. Each
    /// snooze is cleared once its fire is claimed (or found claimed after a crash), so it is sent once.
    pub(super) async fn claim_due_snoozes(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery<'_>>, StoreError> {
        let mut deliveries = Vec::new();
        for reminder in self.store.due_snoozes(now).await? {
            if let Some(delivery) = self.claim_snooze(&reminder, now).await? {
                deliveries.push(delivery);
            }
        }
        Ok(deliveries)
    }

    async fn claim_snooze(
        &self,
        reminder: &Reminder,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery<'_>>, StoreError> {
        let id = reminder.posting.id;
        let Some(snooze) = reminder.snooze.clone() else {
            return Ok(None);
        };
        let fire = Fire {
            schedule: id,
            at: snooze.at,
        };
        // A paused reminder sends nothing; a snooze missed beyond the grace window is dropped, as a
        // missed fire is.
        let worth_sending = reminder.posting.pause.is_none()
            && !matches!(due(snooze.at, now, self.grace), Due::Skip { .. });
        let outcome = if worth_sending {
            let claim = Claim {
                fire,
                stretch: Some(snooze.stretch.clone()),
            };
            Some(
                self.store
                    .claim_extra(claim, reminder.posting.rotation.clone())
                    .await?,
            )
        } else {
            tracing::info!(schedule = %id, fire = %snooze.at, "a snooze of a paused reminder, or missed beyond the grace window, is dropped");
            None
        };
        self.store.set_snooze(id, None).await?;
        if outcome != Some(ClaimOutcome::Claimed) {
            // Already claimed: an earlier pass claimed it and the unfinished posts finish it.
            return Ok(None);
        }
        match self.store.post(fire).await? {
            Some(record) => self.delivery(&reminder.posting, record, false).await,
            None => Ok(None),
        }
    }
}
