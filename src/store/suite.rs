//! The store test suite, written once against [`Store`] and run on every backend by [`store_suite!`]:
//! what a backend must do, whatever it stores in. Backend-specific checks (schema upgrades, stored
//! spellings, damaged values written by hand) stay beside their backend.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::catalog::{Filters, Position, StretchId};
use crate::domain::participation::CheckIn;
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MAX_SCHEDULES_PER_GUILD, MessageId, NewSchedule, Pause,
    PostKind, PostRecord, PostState, PostingSchedule, RoleId, ScheduleId, UserId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Zone};
use crate::domain::store::{ClaimOutcome, Store, StoreError};

mod catalog;
mod reminders;
pub(crate) use catalog::{
    a_guild_has_at_most_its_limit_of_own_stretches, hidden_built_in_stretches_round_trip_per_guild,
    own_stretches_are_added_all_or_nothing_replaced_and_removed,
};
pub(crate) use reminders::{
    a_members_reminders_are_limited_listed_and_removed_only_by_them,
    a_reminders_fires_are_claimed_and_confirmed_like_any_schedules,
    member_zones_are_kept_and_forget_me_deletes_reminders_and_zone,
    snoozes_are_kept_due_and_cleared,
};

/// One `#[tokio::test]` per test of the suite, each on a fresh store from `$fresh`, an expression giving
/// a future of `Option<(store, kept)>`: `kept` lives until the test ends (PostgreSQL's test database,
/// dropped then); `None`: the backend is not available here and the test says so.
macro_rules! store_suite {
    ($fresh:expr) => {
        $crate::store::suite::store_suite!(@tests $fresh; guild_zones_are_set_and_replaced, updates_replace_the_settings_and_keep_the_rotation, removing_a_schedule_needs_its_guild_and_takes_its_posts, the_26th_schedule_of_a_guild_is_refused, a_fire_is_claimed_once_and_then_reported_with_its_record, an_extra_post_moves_the_rotation_but_not_the_next_fire_even_when_paused, a_claim_of_a_fire_that_is_no_longer_next_is_stale, claims_on_paused_or_removed_schedules_are_stale, skips_move_only_a_current_unpaused_fire, confirm_records_the_message_and_unconfirmed_lists_the_rest, pausing_a_guild_pauses_its_running_schedules_only, next_due_and_due_schedules_skip_paused_and_finished_schedules, pressing_twice_the_same_day_records_once, a_guilds_check_ins_are_read_by_day_range, forget_me_removes_a_members_check_ins, hide_me_round_trips, a_team_summary_is_claimed_without_a_stretch_and_leaves_the_rotation,
            an_abandoned_claim_is_kept_with_its_reason_and_never_taken_up_again,
            a_members_reminders_are_limited_listed_and_removed_only_by_them,
            a_reminders_fires_are_claimed_and_confirmed_like_any_schedules,
            snoozes_are_kept_due_and_cleared,
            member_zones_are_kept_and_forget_me_deletes_reminders_and_zone,
            the_latest_stretch_sent_in_a_channel_since_a_moment_is_found,
            own_stretches_are_added_all_or_nothing_replaced_and_removed,
            a_guild_has_at_most_its_limit_of_own_stretches,
            hidden_built_in_stretches_round_trip_per_guild);
    };
    (@tests $fresh:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some((store, _until_the_end)) = $fresh.await {
                    $crate::store::suite::$name(store).await;
                }
            }
        )*
    };
}
pub(crate) use store_suite;

pub(crate) fn backend_message<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Backend(message)) => message,
        other => panic!("expected a Backend error, got {other:?}"),
    }
}

pub(crate) const GUILD: GuildId = GuildId(1);

pub(crate) const OTHER_GUILD: GuildId = GuildId(2);

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

pub(crate) fn stretch(id: &str) -> StretchId {
    StretchId::parse(id).unwrap()
}

pub(crate) fn zone(name: &str) -> Zone {
    Zone::parse(name).unwrap()
}

/// Weekdays at 09:00 in Berlin, in channel 100 of `guild`, for any stretch.
pub(crate) fn weekdays_at_nine(guild: GuildId) -> NewSchedule {
    NewSchedule {
        guild,
        channel: ChannelId(100),
        kind: PostKind::Stretch,
        schedule: Schedule::new(
            zone("Europe/Berlin"),
            Cadence::Daily(DailyTimes::parse("09:00", "mon-fri").unwrap()),
        ),
        role: None,
        filters: Filters::default(),
        created_by: UserId(7),
    }
}

pub(crate) async fn add(store: &impl Store, new: NewSchedule, next_fire: &str) -> PostingSchedule {
    store
        .add_schedule(new, RotationState::new(1), Some(at(next_fire)))
        .await
        .unwrap()
}

/// The fire a schedule waits for.
pub(crate) fn next(schedule: &PostingSchedule) -> Fire {
    Fire {
        schedule: schedule.id,
        at: schedule.next_fire.unwrap(),
    }
}

pub(crate) fn claim_of(fire: Fire, id: &str) -> Claim {
    Claim {
        fire,
        stretch: Some(stretch(id)),
    }
}

/// A rotation that has posted `id`, as the poster would store it after claiming.
pub(crate) fn rotation_after(id: &str) -> RotationState {
    RotationState {
        seed: 1,
        cycle: 0,
        used: vec![stretch(id)],
        last: Some(stretch(id)),
    }
}

pub(crate) async fn claim(
    store: &impl Store,
    fire: Fire,
    id: &str,
    next_fire: &str,
) -> ClaimOutcome {
    store
        .claim(claim_of(fire, id), rotation_after(id), Some(at(next_fire)))
        .await
        .unwrap()
}

pub(crate) async fn pause(store: &impl Store, schedule: &PostingSchedule, reason: Pause) {
    let paused = PostingSchedule {
        pause: Some(reason),
        ..schedule.clone()
    };
    store.update_schedule(&paused).await.unwrap();
}

pub(crate) async fn stored(store: &impl Store, id: ScheduleId) -> PostingSchedule {
    store.schedule(id).await.unwrap().unwrap()
}

pub(crate) fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

pub(crate) fn check_in(guild: GuildId, user: u64, on: &str, id: &str) -> CheckIn {
    CheckIn {
        guild,
        user: UserId(user),
        day: day(on),
        stretch: stretch(id),
    }
}

pub(crate) async fn guild_zones_are_set_and_replaced(store: impl Store + Clone) {
    let largest = GuildId(u64::MAX);
    assert_eq!(store.guild_zone(largest).await.unwrap(), None);

    store
        .set_guild_zone(largest, zone("Europe/Berlin"))
        .await
        .unwrap();
    assert_eq!(
        store.guild_zone(largest).await.unwrap(),
        Some(zone("Europe/Berlin"))
    );
    store
        .set_guild_zone(largest, zone("America/New_York"))
        .await
        .unwrap();
    assert_eq!(
        store.guild_zone(largest).await.unwrap(),
        Some(zone("America/New_York"))
    );
    assert_eq!(store.guild_zone(GUILD).await.unwrap(), None);
}

pub(crate) async fn updates_replace_the_settings_and_keep_the_rotation(store: impl Store + Clone) {
    let original = store
        .add_schedule(
            weekdays_at_nine(GUILD),
            rotation_after("cat-cow"),
            Some(at("2027-03-15T08:00:00Z")),
        )
        .await
        .unwrap();
    let edited = PostingSchedule {
        channel: ChannelId(200),
        schedule: Schedule::new(
            zone("Pacific/Apia"),
            Cadence::Cron(CronExpr::parse("0 9 13 * 5").unwrap()),
        ),
        role: Some(RoleId(300)),
        filters: Filters {
            position: Some(Position::Seated),
            ..Filters::default()
        },
        pause: Some(Pause::ByAdmin),
        next_fire: None,
        rotation: RotationState::new(99),
        ..original.clone()
    };
    store.update_schedule(&edited).await.unwrap();
    assert_eq!(
        stored(&store, original.id).await,
        PostingSchedule {
            rotation: original.rotation.clone(),
            ..edited.clone()
        }
    );

    let elsewhere = PostingSchedule {
        guild: OTHER_GUILD,
        ..edited.clone()
    };
    let missing = PostingSchedule {
        id: ScheduleId(999),
        ..edited
    };
    for schedule in [elsewhere, missing] {
        assert!(matches!(
            store.update_schedule(&schedule).await,
            Err(StoreError::NoSuchSchedule(id)) if id == schedule.id
        ));
    }
    assert_eq!(stored(&store, original.id).await.guild, GUILD);
}

pub(crate) async fn removing_a_schedule_needs_its_guild_and_takes_its_posts(
    store: impl Store + Clone,
) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await;

    assert!(
        !store
            .remove_schedule(OTHER_GUILD, schedule.id)
            .await
            .unwrap()
    );
    assert!(store.schedule(schedule.id).await.unwrap().is_some());

    assert!(store.remove_schedule(GUILD, schedule.id).await.unwrap());
    assert_eq!(store.schedule(schedule.id).await.unwrap(), None);
    assert_eq!(store.post(next(&schedule)).await.unwrap(), None);
    assert!(store.unconfirmed().await.unwrap().is_empty());
    assert!(!store.remove_schedule(GUILD, schedule.id).await.unwrap());

    let replacement = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    assert!(replacement.id > schedule.id, "ids are never reused");
}

pub(crate) async fn the_26th_schedule_of_a_guild_is_refused(store: impl Store + Clone) {
    let mut added = Vec::new();
    for _ in 0..MAX_SCHEDULES_PER_GUILD {
        added.push(add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await);
    }
    let refused = store
        .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
        .await;
    assert!(matches!(
        refused,
        Err(StoreError::TooManySchedules { limit: 25 })
    ));
    assert_eq!(
        store.schedules_in(GUILD).await.unwrap().len(),
        MAX_SCHEDULES_PER_GUILD
    );

    add(
        &store,
        weekdays_at_nine(OTHER_GUILD),
        "2027-03-15T08:00:00Z",
    )
    .await;
    store.remove_schedule(GUILD, added[0].id).await.unwrap();
    add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
}

pub(crate) async fn a_fire_is_claimed_once_and_then_reported_with_its_record(
    store: impl Store + Clone,
) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);

    assert_eq!(
        claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::Claimed
    );
    let record = PostRecord {
        claim: claim_of(fire, "cat-cow"),
        channel: schedule.channel,
        state: PostState::Claimed,
    };
    assert_eq!(
        claim(&store, fire, "doorway-stretch", "2027-03-17T08:00:00Z").await,
        ClaimOutcome::AlreadyClaimed(record.clone())
    );
    assert_eq!(store.post(fire).await.unwrap(), Some(record));
    let after = stored(&store, schedule.id).await;
    assert_eq!(after.rotation, rotation_after("cat-cow"), "moved on once");
    assert_eq!(after.next_fire, Some(at("2027-03-16T08:00:00Z")));

    store.confirm(fire, MessageId(5)).await.unwrap();
    assert_eq!(
        claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::AlreadyClaimed(PostRecord {
            claim: claim_of(fire, "cat-cow"),
            channel: schedule.channel,
            state: PostState::Sent {
                message: MessageId(5)
            },
        })
    );
}

pub(crate) async fn an_extra_post_moves_the_rotation_but_not_the_next_fire_even_when_paused(
    store: impl Store + Clone,
) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    pause(&store, &schedule, Pause::ByAdmin).await;
    let extra = Fire {
        schedule: schedule.id,
        at: at("2027-03-14T12:34:56Z"),
    };
    let claim_extra = || store.claim_extra(claim_of(extra, "cat-cow"), rotation_after("cat-cow"));
    assert_eq!(claim_extra().await.unwrap(), ClaimOutcome::Claimed);
    let after = stored(&store, schedule.id).await;
    assert_eq!(after.rotation, rotation_after("cat-cow"));
    assert_eq!(
        after.next_fire, schedule.next_fire,
        "the schedule's own next fire stays"
    );
    assert_eq!(after.pause, Some(Pause::ByAdmin));
    assert!(matches!(
        claim_extra().await.unwrap(),
        ClaimOutcome::AlreadyClaimed(_)
    ));
    assert_eq!(store.unconfirmed().await.unwrap().len(), 1);
    assert!(store.remove_schedule(GUILD, schedule.id).await.unwrap());
    let gone = Fire {
        at: at("2027-03-14T12:35:00Z"),
        ..extra
    };
    assert_eq!(
        store
            .claim_extra(claim_of(gone, "cat-cow"), rotation_after("cat-cow"))
            .await
            .unwrap(),
        ClaimOutcome::Stale
    );
}

pub(crate) async fn a_claim_of_a_fire_that_is_no_longer_next_is_stale(store: impl Store + Clone) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let edited_away = Fire {
        at: at("2027-03-14T08:00:00Z"),
        ..next(&schedule)
    };

    assert_eq!(
        claim(&store, edited_away, "cat-cow", "2027-03-15T08:00:00Z").await,
        ClaimOutcome::Stale
    );
    assert_eq!(stored(&store, schedule.id).await, schedule);
    assert_eq!(store.post(edited_away).await.unwrap(), None);
}

pub(crate) async fn claims_on_paused_or_removed_schedules_are_stale(store: impl Store + Clone) {
    let paused = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    pause(&store, &paused, Pause::ChannelGone).await;
    let removed = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    store.remove_schedule(GUILD, removed.id).await.unwrap();

    for schedule in [&paused, &removed] {
        assert_eq!(
            claim(&store, next(schedule), "cat-cow", "2027-03-16T08:00:00Z").await,
            ClaimOutcome::Stale
        );
    }
    assert_eq!(stored(&store, paused.id).await.rotation, paused.rotation);
    assert!(store.unconfirmed().await.unwrap().is_empty());
}

pub(crate) async fn skips_move_only_a_current_unpaused_fire(store: impl Store + Clone) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);
    let tomorrow = Some(at("2027-03-16T08:00:00Z"));

    let not_next = Fire {
        at: at("2027-03-14T08:00:00Z"),
        ..fire
    };
    assert!(!store.skip(not_next, tomorrow).await.unwrap());
    assert!(store.skip(fire, tomorrow).await.unwrap());
    assert!(!store.skip(fire, tomorrow).await.unwrap(), "moved already");
    let skipped = stored(&store, schedule.id).await;
    assert_eq!(skipped.next_fire, tomorrow);
    assert_eq!(skipped.rotation, schedule.rotation, "nothing was posted");
    assert_eq!(store.post(fire).await.unwrap(), None);

    pause(&store, &skipped, Pause::ByAdmin).await;
    assert!(!store.skip(next(&skipped), None).await.unwrap());
    assert_eq!(stored(&store, schedule.id).await.next_fire, tomorrow);
}

pub(crate) async fn confirm_records_the_message_and_unconfirmed_lists_the_rest(
    store: impl Store + Clone,
) {
    let early = add(&store, weekdays_at_nine(GUILD), "2027-03-15T07:00:00Z").await;
    let late = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    // Claimed in the opposite order to their fires: the list follows the fires.
    claim(&store, next(&late), "cat-cow", "2027-03-16T08:00:00Z").await;
    claim(&store, next(&early), "child-pose", "2027-03-16T07:00:00Z").await;
    let pending: Vec<Fire> = store
        .unconfirmed()
        .await
        .unwrap()
        .into_iter()
        .map(|record| record.claim.fire)
        .collect();
    assert_eq!(pending, [next(&early), next(&late)]);

    let message = MessageId(u64::MAX);
    store.confirm(next(&early), message).await.unwrap();
    store.confirm(next(&early), message).await.unwrap();
    assert_eq!(
        store.post(next(&early)).await.unwrap().unwrap().state,
        PostState::Sent { message }
    );
    let pending = store.unconfirmed().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].claim, claim_of(next(&late), "cat-cow"));

    let twice = backend_message(store.confirm(next(&early), MessageId(9)).await);
    assert!(twice.contains("already confirmed as message"), "{twice}");
    assert_eq!(
        store.post(next(&early)).await.unwrap().unwrap().state,
        PostState::Sent { message },
        "the first message stays on record"
    );

    let never_claimed = Fire {
        at: at("2027-03-20T08:00:00Z"),
        ..next(&late)
    };
    store.confirm(never_claimed, MessageId(3)).await.unwrap();
    assert_eq!(store.post(never_claimed).await.unwrap(), None);
}

pub(crate) async fn pausing_a_guild_pauses_its_running_schedules_only(store: impl Store + Clone) {
    let running = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let finished = store
        .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
        .await
        .unwrap();
    let by_admin = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    pause(&store, &by_admin, Pause::ByAdmin).await;
    let elsewhere = add(
        &store,
        weekdays_at_nine(OTHER_GUILD),
        "2027-03-15T08:00:00Z",
    )
    .await;

    assert_eq!(store.pause_guild(GUILD, Pause::LeftGuild).await.unwrap(), 2);
    let pauses = |schedules: Vec<PostingSchedule>| -> Vec<(ScheduleId, Option<Pause>)> {
        schedules.into_iter().map(|s| (s.id, s.pause)).collect()
    };
    assert_eq!(
        pauses(store.schedules_in(GUILD).await.unwrap()),
        [
            (running.id, Some(Pause::LeftGuild)),
            (finished.id, Some(Pause::LeftGuild)),
            (by_admin.id, Some(Pause::ByAdmin)),
        ]
    );
    assert_eq!(stored(&store, elsewhere.id).await.pause, None);
    assert_eq!(store.pause_guild(GUILD, Pause::LeftGuild).await.unwrap(), 0);
}

pub(crate) async fn next_due_and_due_schedules_skip_paused_and_finished_schedules(
    store: impl Store + Clone,
) {
    assert_eq!(store.next_due().await.unwrap(), None);

    let ten = add(&store, weekdays_at_nine(GUILD), "2027-03-15T10:00:00Z").await;
    let nine = add(&store, weekdays_at_nine(GUILD), "2027-03-15T09:00:00Z").await;
    let paused = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    pause(&store, &paused, Pause::MissingAccess).await;
    store
        .add_schedule(weekdays_at_nine(GUILD), RotationState::new(1), None)
        .await
        .unwrap();
    let also_ten = add(
        &store,
        weekdays_at_nine(OTHER_GUILD),
        "2027-03-15T10:00:00Z",
    )
    .await;
    let eleven = add(&store, weekdays_at_nine(GUILD), "2027-03-15T11:00:00Z").await;

    assert_eq!(
        store.next_due().await.unwrap(),
        Some(at("2027-03-15T09:00:00Z"))
    );
    let due = |until: &str| {
        let store = store.clone();
        let until = at(until);
        async move {
            store
                .due_schedules(until)
                .await
                .unwrap()
                .into_iter()
                .map(|schedule| schedule.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(due("2027-03-15T08:59:59Z").await, []);
    assert_eq!(due("2027-03-15T09:00:00Z").await, [nine.id]);
    assert_eq!(
        due("2027-03-15T10:30:00Z").await,
        [nine.id, ten.id, also_ten.id]
    );
    assert_eq!(
        due("2030-01-01T00:00:00Z").await,
        [nine.id, ten.id, also_ten.id, eleven.id]
    );
}

pub(crate) async fn pressing_twice_the_same_day_records_once(store: impl Store + Clone) {
    let first = check_in(GUILD, u64::MAX, "2027-03-14", "cat-cow");
    assert!(store.check_in(first.clone()).await.unwrap());
    let again = check_in(GUILD, u64::MAX, "2027-03-14", "thread-the-needle");
    assert!(!store.check_in(again).await.unwrap());
    // The same day in another guild, and the next day, are new check-ins.
    assert!(
        store
            .check_in(check_in(OTHER_GUILD, u64::MAX, "2027-03-14", "cat-cow"))
            .await
            .unwrap()
    );
    let next_day = check_in(GUILD, u64::MAX, "2027-03-15", "cat-cow");
    assert!(store.check_in(next_day.clone()).await.unwrap());

    assert_eq!(
        store.check_ins_of(GUILD, UserId(u64::MAX)).await.unwrap(),
        [first, next_day]
    );
}

pub(crate) async fn a_guilds_check_ins_are_read_by_day_range(store: impl Store + Clone) {
    for check_in in [
        check_in(GUILD, 2, "2027-03-15", "cat-cow"),
        check_in(GUILD, 1, "2027-03-15", "cat-cow"),
        check_in(GUILD, 1, "2027-03-14", "cat-cow"),
        check_in(GUILD, 1, "2027-03-21", "cat-cow"),
        check_in(GUILD, 1, "2027-03-22", "cat-cow"),
        check_in(OTHER_GUILD, 1, "2027-03-16", "cat-cow"),
    ] {
        assert!(store.check_in(check_in).await.unwrap());
    }
    let week = store
        .check_ins_in(GUILD, day("2027-03-15"), day("2027-03-21"))
        .await
        .unwrap();
    assert_eq!(
        week,
        [
            check_in(GUILD, 1, "2027-03-15", "cat-cow"),
            check_in(GUILD, 2, "2027-03-15", "cat-cow"),
            check_in(GUILD, 1, "2027-03-21", "cat-cow"),
        ]
    );
}

pub(crate) async fn forget_me_removes_a_members_check_ins(store: impl Store + Clone) {
    for check_in in [
        check_in(GUILD, 1, "2027-03-14", "cat-cow"),
        check_in(GUILD, 1, "2027-03-15", "cat-cow"),
        check_in(GUILD, 2, "2027-03-15", "cat-cow"),
        check_in(OTHER_GUILD, 1, "2027-03-15", "cat-cow"),
    ] {
        store.check_in(check_in).await.unwrap();
    }
    store.set_hidden(GUILD, UserId(1), true).await.unwrap();

    assert_eq!(store.forget_member(GUILD, UserId(1)).await.unwrap(), 2);
    assert!(
        store
            .check_ins_of(GUILD, UserId(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .check_ins_in(GUILD, day("2000-01-01"), day("2999-12-31"))
            .await
            .unwrap(),
        [check_in(GUILD, 2, "2027-03-15", "cat-cow")]
    );
    // Another guild's data is that guild's, and hiding outlives forgetting.
    assert_eq!(
        store
            .check_ins_of(OTHER_GUILD, UserId(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .hidden_members(GUILD)
            .await
            .unwrap()
            .contains(&UserId(1))
    );
    assert_eq!(store.forget_member(GUILD, UserId(1)).await.unwrap(), 0);
}

pub(crate) async fn hide_me_round_trips(store: impl Store + Clone) {
    assert!(store.hidden_members(GUILD).await.unwrap().is_empty());
    store
        .set_hidden(GUILD, UserId(u64::MAX), true)
        .await
        .unwrap();
    // Hiding twice is fine.
    store
        .set_hidden(GUILD, UserId(u64::MAX), true)
        .await
        .unwrap();
    store.set_hidden(GUILD, UserId(3), true).await.unwrap();
    store
        .set_hidden(OTHER_GUILD, UserId(4), true)
        .await
        .unwrap();
    assert_eq!(
        store.hidden_members(GUILD).await.unwrap(),
        HashSet::from([UserId(u64::MAX), UserId(3)])
    );
    store
        .set_hidden(GUILD, UserId(u64::MAX), false)
        .await
        .unwrap();
    store.set_hidden(GUILD, UserId(5), false).await.unwrap();
    assert_eq!(
        store.hidden_members(GUILD).await.unwrap(),
        HashSet::from([UserId(3)])
    );
}

pub(crate) async fn a_team_summary_is_claimed_without_a_stretch_and_leaves_the_rotation(
    store: impl Store + Clone,
) {
    let summary = store
        .add_schedule(
            NewSchedule {
                kind: PostKind::TeamSummary,
                ..weekdays_at_nine(GUILD)
            },
            RotationState::new(3),
            Some(at("2027-03-15T08:00:00Z")),
        )
        .await
        .unwrap();
    let fire = next(&summary);
    let outcome = store
        .claim(
            Claim {
                fire,
                stretch: None,
            },
            summary.rotation.clone(),
            Some(at("2027-03-16T08:00:00Z")),
        )
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::Claimed);
    assert_eq!(store.post(fire).await.unwrap().unwrap().claim.stretch, None);
    let after = stored(&store, summary.id).await;
    assert_eq!(after.rotation, RotationState::new(3));
    assert_eq!(after.kind, PostKind::TeamSummary);
}

pub(crate) async fn an_abandoned_claim_is_kept_with_its_reason_and_never_taken_up_again(
    store: impl Store + Clone,
) {
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);
    claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await;
    let reason = "Discord rejected the post: 400 (code 50035)".to_owned();
    store.abandon(fire, reason.clone()).await.unwrap();
    let abandoned = PostState::Abandoned { reason };
    assert!(store.unconfirmed().await.unwrap().is_empty());
    assert_eq!(store.post(fire).await.unwrap().unwrap().state, abandoned);
    assert!(matches!(
        claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::AlreadyClaimed(record) if record.state == abandoned
    ));

    // A post confirmed already stays confirmed; a fire never claimed gets no record.
    let sent = add(
        &store,
        weekdays_at_nine(OTHER_GUILD),
        "2027-03-15T08:00:00Z",
    )
    .await;
    claim(&store, next(&sent), "cat-cow", "2027-03-16T08:00:00Z").await;
    store.confirm(next(&sent), MessageId(5)).await.unwrap();
    store
        .abandon(next(&sent), "too late".to_owned())
        .await
        .unwrap();
    assert_eq!(
        store.post(next(&sent)).await.unwrap().unwrap().state,
        PostState::Sent {
            message: MessageId(5)
        }
    );
    let never = Fire {
        at: at("2027-04-01T08:00:00Z"),
        ..fire
    };
    store.abandon(never, "too late".to_owned()).await.unwrap();
    assert_eq!(store.post(never).await.unwrap(), None);
}

pub(crate) async fn the_latest_stretch_sent_in_a_channel_since_a_moment_is_found(
    store: impl Store + Clone,
) {
    let morning = add(&store, weekdays_at_nine(GUILD), "2027-03-01T08:00:00Z").await;
    let noon = add(&store, weekdays_at_nine(GUILD), "2027-03-01T11:00:00Z").await;
    let elsewhere = add(
        &store,
        NewSchedule {
            channel: ChannelId(200),
            ..weekdays_at_nine(GUILD)
        },
        "2027-03-01T12:00:00Z",
    )
    .await;
    let (morning, noon, elsewhere) = (next(&morning), next(&noon), next(&elsewhere));
    claim(&store, morning, "cat-cow", "2027-03-02T08:00:00Z").await;
    claim(&store, noon, "childs-pose", "2027-03-02T11:00:00Z").await;
    claim(&store, elsewhere, "superman", "2027-03-02T12:00:00Z").await;
    store.confirm(morning, MessageId(1)).await.unwrap();
    store.confirm(elsewhere, MessageId(3)).await.unwrap();
    let latest = |since: &str| {
        let store = store.clone();
        let since = at(since);
        async move {
            store
                .latest_stretch_post(ChannelId(100), since)
                .await
                .unwrap()
                .map(|record| (record.claim.fire, record.claim.stretch))
        }
    };

    // The noon post is only claimed, so the morning one is the latest sent.
    assert_eq!(
        latest("2027-03-01T00:00:00Z").await,
        Some((morning, Some(stretch("cat-cow"))))
    );
    store.confirm(noon, MessageId(2)).await.unwrap();
    assert_eq!(
        latest("2027-03-01T00:00:00Z").await,
        Some((noon, Some(stretch("childs-pose"))))
    );
    assert_eq!(
        latest("2027-03-01T11:00:01Z").await,
        None,
        "none since then"
    );
    assert_eq!(
        store
            .latest_stretch_post(ChannelId(300), at("2027-01-01T00:00:00Z"))
            .await
            .unwrap(),
        None
    );
}
