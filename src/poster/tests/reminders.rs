//! The poster with personal reminders: a snooze is sent once at its instant and leaves the cadence
//! alone; closed DMs pause the reminder without a retry; a snooze after a crash is finished, not resent.

use super::*;
use crate::domain::reminder::{NewReminder, Snooze};
use crate::domain::store::ReminderStore;

const DM: ChannelId = ChannelId(77);

impl World {
    /// Stores a member's reminder at 09:00 UTC daily in DM channel [`DM`].
    async fn add_reminder(&self) -> PostingSchedule {
        let new = NewReminder {
            user: UserId(5),
            dm_channel: DM,
            schedule: daily("UTC", "09:00"),
            filters: Filters::default(),
        };
        let next_fire = new.schedule.next_after(self.clock.now());
        self.store
            .add_reminder(new, RotationState::new(7), next_fire)
            .await
            .unwrap()
            .posting
    }
}

#[tokio::test(start_paused = true)]
async fn a_snooze_is_sent_once_at_its_instant_and_the_cadence_goes_on() {
    let world = World::at("2027-03-15T08:59:00Z");
    let reminder = world.add_reminder().await;
    let poster = world.start();
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let first = world.discord.messages();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].channel, DM);
    let stretch = first[0].stretch.clone().unwrap();

    let snooze = Snooze {
        at: utc("2027-03-15T09:30:00Z"),
        stretch: stretch.clone(),
    };
    world
        .store
        .set_snooze(reminder.id, Some(snooze))
        .await
        .unwrap();
    poster.schedules_changed.notify_one();
    world.settle_at(utc("2027-03-15T09:30:00Z")).await;
    let sent = world.discord.messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].stretch, Some(stretch), "the snoozed stretch again");
    assert_eq!(sent[1].nonce, nonce(&reminder, utc("2027-03-15T09:30:00Z")));
    assert_eq!(
        world.stored(&reminder).await.next_fire,
        Some(utc("2027-03-16T09:00:00Z")),
        "the cadence is untouched"
    );
    world.settle_at(utc("2027-03-16T09:00:00Z")).await;
    let sent = world.discord.messages();
    assert_eq!(sent.len(), 3, "once each");
    assert_eq!(sent[2].nonce, nonce(&reminder, utc("2027-03-16T09:00:00Z")));
    assert!(
        world.store.next_snooze().await.unwrap().is_none(),
        "the snooze is spent"
    );
    poster.stop().await;
}

#[tokio::test(start_paused = true)]
async fn closed_dms_pause_the_reminder_and_nothing_is_retried() {
    let world = World::at("2027-03-15T08:59:00Z");
    let reminder = world.add_reminder().await;
    world.discord.break_channel(DM, SendError::CannotDm);
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    assert_eq!(world.stored(&reminder).await.pause, Some(Pause::DmsClosed));
    world.settle_at(utc("2027-03-18T12:00:00Z")).await;
    assert_eq!(world.discord.attempts().len(), 1, "not retried");
}

#[tokio::test(start_paused = true)]
async fn a_snooze_claimed_before_a_crash_is_finished_with_its_nonce_not_claimed_again() {
    let world = World::at("2027-03-15T09:29:00Z");
    let reminder = world.add_reminder().await;
    let at = utc("2027-03-15T09:30:00Z");
    let stretch = StretchId::parse("cat-cow").unwrap();
    world
        .store
        .set_snooze(
            reminder.id,
            Some(Snooze {
                at,
                stretch: stretch.clone(),
            }),
        )
        .await
        .unwrap();
    // What a crash between the claim and clearing the snooze leaves: both.
    let fire = Fire {
        schedule: reminder.id,
        at,
    };
    let claim = Claim {
        fire,
        stretch: Some(stretch),
    };
    world
        .store
        .claim_extra(claim, reminder.rotation.clone())
        .await
        .unwrap();
    let _poster = world.start();
    world.settle_at(at + TimeDelta::minutes(1)).await;
    let sent = world.discord.messages();
    assert_eq!(sent.len(), 1, "{:?}", world.discord.attempts());
    assert_eq!(sent[0].nonce, nonce(&reminder, at));
    assert!(world.store.next_snooze().await.unwrap().is_none());
    assert!(matches!(
        world.post_state(fire).await,
        PostState::Sent { .. }
    ));
}
