//! The SQLite adapter's tests.

use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::{Connection, params};
use tempfile::TempDir;

use super::SqliteStore;
use super::migrations::MIGRATIONS;
use crate::domain::catalog::{Category, Difficulty, Equipment, Filters, Position};
use crate::domain::posting::{
    ChannelId, Fire, GuildId, MessageId, NewSchedule, Pause, PostKind, PostRecord, PostState,
    PostingSchedule, RoleId, ScheduleId, UserId,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Zone};
use crate::domain::store::{ClaimOutcome, Store};
use crate::store::suite::{
    self, GUILD, add, at, backend_message, check_in, claim, claim_of, day, next, pause,
    rotation_after, stored, stretch, weekdays_at_nine, zone,
};
use crate::store::values::to_json;

/// A store on a real file, in a folder that lives as long as the returned guard.
fn file_store() -> (TempDir, PathBuf, SqliteStore) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretchbot.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    (folder, path, store)
}

/// Runs raw SQL on the store's connection, as a repair (or damage) done by hand would.
async fn execute(store: &SqliteStore, sql: String) {
    store
        .blocking(move |connection| Ok(connection.execute_batch(&sql)?))
        .await
        .unwrap();
}

async fn query_text(store: &SqliteStore, sql: &'static str) -> String {
    store
        .blocking(move |connection| Ok(connection.query_row(sql, [], |row| row.get(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn migrates_a_fresh_file() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("not/yet/there/stretchbot.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    assert!(path.is_file());

    let raw = Connection::open(&path).unwrap();
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "check_ins",
            "guild_settings",
            "hidden_members",
            "hidden_stretches",
            "member_settings",
            "own_stretches",
            "posts",
            "reminders",
            "schedules",
            "sqlite_sequence"
        ]
    );

    let foreign_keys = query_text(
        &store,
        "SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys",
    )
    .await;
    assert_eq!(foreign_keys, "1");
    assert!(store.schedules_in(GUILD).await.unwrap().is_empty());
}

#[tokio::test]
async fn reopening_keeps_the_data() {
    let (_folder, path, store) = file_store();
    store
        .set_guild_zone(GUILD, zone("Asia/Tokyo"))
        .await
        .unwrap();
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    assert_eq!(
        claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::Claimed
    );
    drop(store);

    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(
        reopened.guild_zone(GUILD).await.unwrap(),
        Some(zone("Asia/Tokyo"))
    );
    let kept = stored(&reopened, schedule.id).await;
    assert_eq!(kept.next_fire, Some(at("2027-03-16T08:00:00Z")));
    assert_eq!(kept.rotation, rotation_after("cat-cow"));
    assert_eq!(reopened.unconfirmed().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let (_folder, path, store) = file_store();
    drop(store);
    let newer = MIGRATIONS.len() + 1;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer as i64)
        .unwrap();

    let message = backend_message(SqliteStore::open(&path));
    assert!(
        message.contains(&format!(
            "created by a newer stretchbot (schema {newer}); upgrade the bot or point sqlite_path \
             elsewhere"
        )),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[tokio::test]
async fn schedules_round_trip_every_field() {
    let (_folder, path, store) = file_store();
    let guild = GuildId(u64::MAX);
    let daily = NewSchedule {
        guild,
        channel: ChannelId(u64::MAX),
        kind: PostKind::Stretch,
        schedule: Schedule::new(
            zone("Australia/Lord_Howe"),
            Cadence::Daily(DailyTimes::parse("9am, 15:30", "mon,wed,fri").unwrap()),
        ),
        role: Some(RoleId(u64::MAX)),
        filters: Filters {
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::Mat, Equipment::FoamRoller]),
            difficulty: Some(Difficulty::Moderate),
            category: Some(Category::Mobility),
            include_advanced: false,
        },
        created_by: UserId(u64::MAX),
    };
    let rotation = RotationState {
        seed: u64::MAX,
        cycle: 3,
        used: vec![stretch("cat-cow"), stretch("thread-the-needle")],
        last: Some(stretch("thread-the-needle")),
    };
    let daily = store
        .add_schedule(daily, rotation, Some(at("2027-03-15T22:00:00Z")))
        .await
        .unwrap();
    let cron = NewSchedule {
        kind: PostKind::TeamSummary,
        schedule: Schedule::new(
            zone("America/New_York"),
            Cadence::Cron(CronExpr::parse("*/15 8-18/2 13 jan-jun MON").unwrap()),
        ),
        ..weekdays_at_nine(guild)
    };
    let cron = store
        .add_schedule(cron, RotationState::new(0), None)
        .await
        .unwrap();
    pause(&store, &cron, Pause::MissingPermissions).await;
    let cron = PostingSchedule {
        pause: Some(Pause::MissingPermissions),
        ..cron
    };

    assert_eq!(stored(&store, daily.id).await, daily);
    assert_eq!(stored(&store, cron.id).await, cron);
    assert_eq!(
        store.schedules_in(guild).await.unwrap(),
        [daily.clone(), cron.clone()]
    );
    assert!(store.schedules_in(GUILD).await.unwrap().is_empty());
    assert_eq!(store.schedule(ScheduleId(999)).await.unwrap(), None);

    // The documented stored spellings.
    assert_eq!(
        query_text(&store, "SELECT group_concat(kind, ' ') FROM schedules").await,
        "stretch team-summary"
    );
    assert_eq!(
        query_text(&store, "SELECT guild_id FROM schedules LIMIT 1").await,
        "18446744073709551615"
    );
    assert_eq!(
        query_text(
            &store,
            "SELECT pause FROM schedules WHERE pause IS NOT NULL"
        )
        .await,
        "missing-permissions"
    );

    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.schedules_in(guild).await.unwrap(), [daily, cron]);
}

#[tokio::test]
async fn a_claim_moves_the_rotation_and_next_fire() {
    let store = SqliteStore::open_in_memory().unwrap();
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);
    assert_eq!(
        claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::Claimed
    );
    let moved = stored(&store, schedule.id).await;
    assert_eq!(moved.rotation, rotation_after("cat-cow"));
    assert_eq!(moved.next_fire, Some(at("2027-03-16T08:00:00Z")));
    assert_eq!(
        query_text(&store, "SELECT nonce FROM posts").await,
        fire.nonce()
    );

    // A post goes to the channel of its claim, whatever the schedule says later.
    let moved_channel = PostingSchedule {
        channel: ChannelId(555),
        ..moved.clone()
    };
    store.update_schedule(&moved_channel).await.unwrap();
    assert_eq!(
        store.post(fire).await.unwrap().unwrap().channel,
        schedule.channel
    );

    // The last fire of a cadence leaves nothing next.
    let last = store
        .claim(
            claim_of(next(&moved), "child-pose"),
            rotation_after("child-pose"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(last, ClaimOutcome::Claimed);
    assert_eq!(stored(&store, schedule.id).await.next_fire, None);
    assert_eq!(
        store.post(next(&moved)).await.unwrap().unwrap().channel,
        ChannelId(555)
    );
}

#[tokio::test]
async fn damaged_stored_values_are_backend_errors_naming_row_and_column() {
    let damages = [
        ("guild_id", "'-1'"),
        ("channel_id", "'#general'"),
        ("zone", "'Mars/Olympus_Mons'"),
        ("cadence", "'weekly 9:00'"),
        ("role_id", "'@everyone'"),
        ("filters", r#"'{"position":"upside-down"}'"#),
        ("created_by", "''"),
        ("pause", "'on-holiday'"),
        ("rotation", "'not json'"),
        ("next_fire", "9223372036854775807"),
    ];
    for (name, value) in damages {
        let store = SqliteStore::open_in_memory().unwrap();
        let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
        execute(&store, format!("UPDATE schedules SET {name} = {value}")).await;

        let message = backend_message(store.schedule(schedule.id).await);
        let expected = format!("schedule {}, column {name}: ", schedule.id);
        assert!(message.contains(&expected), "{message}");
        if name == "next_fire" {
            let message = backend_message(store.next_due().await);
            assert!(message.contains(&expected), "{message}");
        }
    }

    let store = SqliteStore::open_in_memory().unwrap();
    store.set_guild_zone(GUILD, Zone::UTC).await.unwrap();
    execute(
        &store,
        "UPDATE guild_settings SET zone = 'Nowhere/Atall'".to_owned(),
    )
    .await;
    let message = backend_message(store.guild_zone(GUILD).await);
    assert!(message.contains("guild 1, column zone"), "{message}");

    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    claim(&store, next(&schedule), "cat-cow", "2027-03-16T08:00:00Z").await;
    execute(&store, "UPDATE posts SET stretch_id = 'Cat Cow'".to_owned()).await;
    let message = backend_message(store.unconfirmed().await);
    assert!(
        message.contains(&format!(
            "schedule {}, post at {}, column stretch_id",
            schedule.id,
            next(&schedule).at.timestamp()
        )),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_of_one_fire_claim_it_once() {
    let (_folder, path, store) = file_store();
    // Four connections to the same file, five tasks each, as if four bot processes shared it: SQLite's
    // locking is tested as well as the mutex.
    let connections: Vec<SqliteStore> = (0..4).map(|_| SqliteStore::open(&path).unwrap()).collect();
    let schedule = add(&store, weekdays_at_nine(GUILD), "2027-03-15T08:00:00Z").await;
    let fire = next(&schedule);

    // Every task waits at the barrier, so that the claims start together rather than one by one.
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|task| {
            let store = connections[task % connections.len()].clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    let claimed = outcomes
        .iter()
        .filter(|outcome| **outcome == ClaimOutcome::Claimed)
        .count();
    assert_eq!(claimed, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|outcome| matches!(
            outcome,
            ClaimOutcome::Claimed | ClaimOutcome::AlreadyClaimed(_)
        )),
        "{outcomes:?}"
    );
    assert_eq!(store.unconfirmed().await.unwrap().len(), 1);
    assert_eq!(
        stored(&connections[1], schedule.id).await.next_fire,
        Some(at("2027-03-16T08:00:00Z"))
    );
}

#[tokio::test]
async fn schema_2_applies_to_a_database_at_schema_1() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretchbot.sqlite3");
    {
        // A database as the previous release left it: schema 1 with data.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(MIGRATIONS[0]).unwrap();
        raw.pragma_update(None, "user_version", 1).unwrap();
        raw.execute(
            "INSERT INTO guild_settings (guild_id, zone) VALUES ('1', 'Asia/Tokyo')",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let version = query_text(
        &store,
        "SELECT CAST(user_version AS TEXT) FROM pragma_user_version",
    )
    .await;
    assert_eq!(version, MIGRATIONS.len().to_string());
    assert_eq!(
        store.guild_zone(GUILD).await.unwrap(),
        Some(zone("Asia/Tokyo"))
    );
    assert!(
        store
            .check_in(check_in(GUILD, 1, "2027-03-14", "cat-cow"))
            .await
            .unwrap()
    );
    store.set_hidden(GUILD, UserId(1), true).await.unwrap();
}

#[tokio::test]
async fn schema_3_applies_to_a_database_at_schema_2_keeping_schedules_and_posts() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretchbot.sqlite3");
    let fire_at = at("2027-03-15T08:00:00Z").timestamp();
    {
        // A database as the previous release left it: schema 2, a schedule with a sent post and a
        // claimed one.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(MIGRATIONS[0]).unwrap();
        raw.execute_batch(MIGRATIONS[1]).unwrap();
        raw.pragma_update(None, "user_version", 2).unwrap();
        raw.execute(
            "INSERT INTO schedules (guild_id, channel_id, zone, cadence, filters, created_by, \
             rotation, next_fire) VALUES ('1', '100', 'Europe/Berlin', ?1, '{}', '7', ?2, ?3)",
            params![
                weekdays_at_nine(GUILD).schedule.cadence.storage_text(),
                to_json(&RotationState::new(1)).unwrap(),
                fire_at + 86_400
            ],
        )
        .unwrap();
        raw.execute(
            "INSERT INTO posts (schedule_id, fire_at, stretch_id, channel_id, nonce, state, \
             message_id, confirmed_at) VALUES (1, ?1, 'cat-cow', '100', 'sb1-x', 'sent', '55', 1), \
             (1, ?2, 'thread-the-needle', '100', 'sb1-y', 'claimed', NULL, NULL)",
            params![fire_at - 86_400, fire_at],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let old = stored(&store, ScheduleId(1)).await;
    assert_eq!(old.kind, PostKind::Stretch, "old schedules post stretches");
    let fire = Fire {
        schedule: old.id,
        at: at("2027-03-15T08:00:00Z"),
    };
    assert_eq!(
        store.unconfirmed().await.unwrap(),
        [PostRecord {
            claim: claim_of(fire, "thread-the-needle"),
            channel: ChannelId(100),
            state: PostState::Claimed,
        }]
    );
    let earlier = Fire {
        at: at("2027-03-14T08:00:00Z"),
        ..fire
    };
    assert_eq!(
        store.post(earlier).await.unwrap().unwrap().state,
        PostState::Sent {
            message: MessageId(55)
        }
    );
    // The rebuilt table still goes with its schedule and still allows one claim per fire.
    assert!(matches!(
        claim(&store, fire, "cat-cow", "2027-03-16T08:00:00Z").await,
        ClaimOutcome::AlreadyClaimed(_)
    ));
    assert!(store.remove_schedule(GUILD, old.id).await.unwrap());
    assert_eq!(
        query_text(&store, "SELECT CAST(count(*) AS TEXT) FROM posts").await,
        "0"
    );
}

#[tokio::test]
async fn team_stats_read_a_streak_back_to_its_start_however_long() {
    use crate::domain::participation::WEEK_STARTS_ON;
    use crate::domain::store::load_team_stats;

    let store = SqliteStore::open_in_memory().unwrap();
    let today = day("2027-05-05");
    // Member 1: 100 days in a row up to today, well past the first read's four weeks. Member 2:
    // checked in on the first read's first day and the two before, then stopped: no streak.
    for back in 0..100 {
        let on = today - chrono::Days::new(back);
        store
            .check_in(check_in(GUILD, 1, &on.to_string(), "cat-cow"))
            .await
            .unwrap();
    }
    for on in ["2027-04-03", "2027-04-04", "2027-04-05"] {
        store
            .check_in(check_in(GUILD, 2, on, "cat-cow"))
            .await
            .unwrap();
    }
    let team = load_team_stats(&store, GUILD, today, WEEK_STARTS_ON)
        .await
        .unwrap();
    assert_eq!(team.top_streaks, [(UserId(1), 100)]);
    assert_eq!(team.per_day, [1, 1, 1, 0, 0, 0, 0]);
    assert_eq!(team.members, 1);
}

#[tokio::test]
async fn a_damaged_check_in_day_is_a_backend_error() {
    let store = SqliteStore::open_in_memory().unwrap();
    execute(
        &store,
        "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) \
         VALUES ('1', '1', '2027-02-30', 'cat-cow')"
            .to_owned(),
    )
    .await;
    let message = backend_message(store.check_ins_of(GUILD, UserId(1)).await);
    assert!(message.contains("column day"), "{message}");
}

suite::store_suite!(async { Some((SqliteStore::open_in_memory().unwrap(), ())) });
