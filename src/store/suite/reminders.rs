//! The store suite's reminder tests: personal reminders and members' zones, on every backend.

use crate::domain::catalog::Filters;
use crate::domain::posting::{ChannelId, MessageId, Pause, PostState, ScheduleId, UserId};
use crate::domain::reminder::{MAX_REMINDERS_PER_MEMBER, NewReminder, PERSONAL, Snooze};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::{Cadence, DailyTimes, Schedule};
use crate::domain::store::{ClaimOutcome, ReminderStore, StoreError};

use super::{GUILD, at, claim, next, pause, stored, stretch, weekdays_at_nine, zone};

const ALICE: UserId = UserId(11);
const BOB: UserId = UserId(12);

fn nine_in_berlin(user: UserId) -> NewReminder {
    NewReminder {
        user,
        dm_channel: ChannelId(500 + user.0),
        schedule: Schedule::new(
            zone("Europe/Berlin"),
            Cadence::Daily(DailyTimes::parse("09:00", "daily").unwrap()),
        ),
        filters: Filters::default(),
    }
}

async fn add_reminder(store: &impl ReminderStore, user: UserId) -> ScheduleId {
    store
        .add_reminder(
            nine_in_berlin(user),
            RotationState::new(1),
            Some(at("2027-06-01T07:00:00Z")),
        )
        .await
        .unwrap()
        .posting
        .id
}

pub(crate) async fn a_members_reminders_are_limited_listed_and_removed_only_by_them(
    store: impl ReminderStore,
) {
    let added = store
        .add_reminder(
            nine_in_berlin(ALICE),
            RotationState::new(1),
            Some(at("2027-06-01T07:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(
        (added.posting.guild, added.posting.channel, added.user),
        (PERSONAL, ChannelId(511), ALICE)
    );
    assert_eq!(
        store.reminder(added.posting.id).await.unwrap(),
        Some(added.clone())
    );
    for _ in 1..MAX_REMINDERS_PER_MEMBER {
        add_reminder(&store, ALICE).await;
    }
    assert!(matches!(
        store
            .add_reminder(nine_in_berlin(ALICE), RotationState::new(1), None)
            .await,
        Err(StoreError::TooManyReminders { limit: 5 })
    ));
    let bobs = add_reminder(&store, BOB).await;
    let alices = store.reminders_of(ALICE).await.unwrap();
    assert_eq!(alices.len(), MAX_REMINDERS_PER_MEMBER);
    assert_eq!(alices[0], added, "oldest first");
    assert!(
        !store.remove_reminder(ALICE, bobs).await.unwrap(),
        "not hers"
    );
    assert!(store.remove_reminder(BOB, bobs).await.unwrap());
    assert!(store.reminders_of(BOB).await.unwrap().is_empty());
    assert!(
        store.schedule(bobs).await.unwrap().is_none(),
        "its schedule goes too"
    );
    // A server's schedules are not reminders, whatever their creator.
    let schedule = super::add(&store, weekdays_at_nine(GUILD), "2027-06-01T07:00:00Z").await;
    assert!(!store.remove_reminder(UserId(7), schedule.id).await.unwrap());
    assert!(store.schedules_in(GUILD).await.unwrap().len() == 1);
    assert!(store.schedules_in(PERSONAL).await.unwrap().len() == MAX_REMINDERS_PER_MEMBER);
}

pub(crate) async fn a_reminders_fires_are_claimed_and_confirmed_like_any_schedules(
    store: impl ReminderStore,
) {
    let id = add_reminder(&store, ALICE).await;
    let due = store
        .due_schedules(at("2027-06-01T07:00:00Z"))
        .await
        .unwrap();
    assert_eq!(due.iter().map(|s| s.id).collect::<Vec<_>>(), vec![id]);
    let fire = next(&stored(&store, id).await);
    assert_eq!(
        claim(&store, fire, "cat-cow", "2027-06-02T07:00:00Z").await,
        ClaimOutcome::Claimed
    );
    let record = store.post(fire).await.unwrap().unwrap();
    assert_eq!(record.channel, ChannelId(511), "claimed for the DM channel");
    assert!(matches!(
        claim(&store, fire, "cat-cow", "2027-06-02T07:00:00Z").await,
        ClaimOutcome::AlreadyClaimed(_)
    ));
    store.confirm(fire, MessageId(9)).await.unwrap();
    assert_eq!(
        store.post(fire).await.unwrap().unwrap().state,
        PostState::Sent {
            message: MessageId(9)
        }
    );
    // Paused by the poster (50007): told once, and the flag goes back on resume.
    let reminder = store.reminder(id).await.unwrap().unwrap();
    pause(&store, &reminder.posting, Pause::DmsClosed).await;
    let paused = store.reminder(id).await.unwrap().unwrap();
    assert_eq!(
        (paused.posting.pause, paused.pause_told),
        (Some(Pause::DmsClosed), false)
    );
    store.set_pause_told(id, true).await.unwrap();
    assert!(store.reminder(id).await.unwrap().unwrap().pause_told);
}

pub(crate) async fn snoozes_are_kept_due_and_cleared(store: impl ReminderStore) {
    let first = add_reminder(&store, ALICE).await;
    let second = add_reminder(&store, BOB).await;
    assert_eq!(store.next_snooze().await.unwrap(), None);
    let snooze = |text: &str| Snooze {
        at: at(text),
        stretch: stretch("cat-cow"),
    };
    store
        .set_snooze(first, Some(snooze("2027-06-01T08:00:00Z")))
        .await
        .unwrap();
    store
        .set_snooze(second, Some(snooze("2027-06-01T07:30:00Z")))
        .await
        .unwrap();
    assert_eq!(
        store.next_snooze().await.unwrap(),
        Some(at("2027-06-01T07:30:00Z"))
    );
    let due = store.due_snoozes(at("2027-06-01T07:45:00Z")).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].posting.id, due[0].snooze.clone()),
        (second, Some(snooze("2027-06-01T07:30:00Z")))
    );
    store.set_snooze(second, None).await.unwrap();
    assert_eq!(
        store.next_snooze().await.unwrap(),
        Some(at("2027-06-01T08:00:00Z"))
    );
    assert!(
        store
            .due_snoozes(at("2027-06-01T07:45:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    // The regular cadence is untouched by a snooze.
    assert_eq!(
        stored(&store, first).await.next_fire,
        Some(at("2027-06-01T07:00:00Z"))
    );
}

pub(crate) async fn member_zones_are_kept_and_forget_me_deletes_reminders_and_zone(
    store: impl ReminderStore,
) {
    assert_eq!(store.member_zone(ALICE).await.unwrap(), None);
    store
        .set_member_zone(ALICE, zone("Europe/Berlin"))
        .await
        .unwrap();
    store
        .set_member_zone(ALICE, zone("Asia/Tokyo"))
        .await
        .unwrap();
    store.set_member_zone(BOB, zone("UTC")).await.unwrap();
    assert_eq!(
        store.member_zone(ALICE).await.unwrap(),
        Some(zone("Asia/Tokyo"))
    );
    let id = add_reminder(&store, ALICE).await;
    add_reminder(&store, ALICE).await;
    let bobs = add_reminder(&store, BOB).await;
    let fire = next(&stored(&store, id).await);
    claim(&store, fire, "cat-cow", "2027-06-02T07:00:00Z").await;
    assert_eq!(store.forget_reminders(ALICE).await.unwrap(), 2);
    assert!(store.reminders_of(ALICE).await.unwrap().is_empty());
    assert_eq!(store.member_zone(ALICE).await.unwrap(), None);
    assert!(
        store.post(fire).await.unwrap().is_none(),
        "the post log goes too"
    );
    assert!(store.reminder(bobs).await.unwrap().is_some());
    assert_eq!(store.member_zone(BOB).await.unwrap(), Some(zone("UTC")));
}
