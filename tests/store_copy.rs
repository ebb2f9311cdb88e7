//! `stretchbot store copy` and `stretchbot migrate` on PostgreSQL, through the real binary.

mod support;

use std::collections::HashSet;
use std::process::Command;

use chrono::{DateTime, NaiveDate, Utc};
use stretchbot::domain::catalog::{
    Catalog, Category, Choices, Difficulty, Draft, Equipment, Filters, Position, StretchId,
};
use stretchbot::domain::participation::CheckIn;
use stretchbot::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, Pause, PostKind, PostingSchedule,
    RoleId, UserId,
};
use stretchbot::domain::reminder::{NewReminder, Snooze};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Zone};
use stretchbot::domain::store::{CatalogStore, ReminderStore, Store};
use stretchbot::store::{PostgresStore, SqliteStore};
use support::postgres::fresh_database_url;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn stretch(id: &str) -> StretchId {
    StretchId::parse(id).unwrap()
}

fn stretchbot(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(args)
        .env_remove("STRETCHBOT_DATABASE_URL")
        .output()
        .expect("the binary runs")
}

/// A SQLite install with something in every table: guild zones, two schedules (one paused, with a
/// moved rotation), a sent, a claimed and an abandoned post, check-ins and a hidden member.
async fn populated(path: &std::path::Path) -> (Vec<PostingSchedule>, Vec<Fire>) {
    let store = SqliteStore::open(path).unwrap();
    let guild = GuildId(u64::MAX);
    store
        .set_guild_zone(guild, Zone::parse("Asia/Tokyo").unwrap())
        .await
        .unwrap();
    store.set_guild_zone(GuildId(2), Zone::UTC).await.unwrap();
    let new = NewSchedule {
        guild,
        channel: ChannelId(100),
        kind: PostKind::Stretch,
        schedule: Schedule::new(
            Zone::parse("Europe/Berlin").unwrap(),
            Cadence::Daily(DailyTimes::parse("09:00", "mon-fri").unwrap()),
        ),
        role: Some(RoleId(300)),
        filters: Filters::default(),
        created_by: UserId(7),
    };
    let daily = store
        .add_schedule(
            new.clone(),
            RotationState::new(5),
            Some(at("2027-03-15T08:00:00Z")),
        )
        .await
        .unwrap();
    let summary = store
        .add_schedule(
            NewSchedule {
                kind: PostKind::TeamSummary,
                schedule: Schedule::new(
                    Zone::UTC,
                    Cadence::Cron(CronExpr::parse("0 17 * * FRI").unwrap()),
                ),
                ..new
            },
            RotationState::new(6),
            Some(at("2027-03-19T17:00:00Z")),
        )
        .await
        .unwrap();
    let mut fires = Vec::new();
    for (day, next) in [
        ("2027-03-15T08:00:00Z", "2027-03-16T08:00:00Z"),
        ("2027-03-16T08:00:00Z", "2027-03-17T08:00:00Z"),
        ("2027-03-17T08:00:00Z", "2027-03-18T08:00:00Z"),
    ] {
        let fire = Fire {
            schedule: daily.id,
            at: at(day),
        };
        let rotation = RotationState {
            seed: 5,
            cycle: 0,
            used: vec![stretch("cat-cow")],
            last: Some(stretch("cat-cow")),
        };
        let claim = Claim {
            fire,
            stretch: Some(stretch("cat-cow")),
        };
        store.claim(claim, rotation, Some(at(next))).await.unwrap();
        fires.push(fire);
    }
    store.confirm(fires[0], MessageId(55)).await.unwrap();
    store
        .abandon(fires[1], "Discord rejected the post".to_owned())
        .await
        .unwrap();
    let mut paused = store.schedule(summary.id).await.unwrap().unwrap();
    paused.pause = Some(Pause::ByAdmin);
    store.update_schedule(&paused).await.unwrap();
    for (user, day) in [
        (1, "2027-03-15"),
        (1, "2027-03-16"),
        (u64::MAX, "2027-03-16"),
    ] {
        store
            .check_in(CheckIn {
                guild,
                user: UserId(user),
                day: day.parse::<NaiveDate>().unwrap(),
                stretch: stretch("cat-cow"),
            })
            .await
            .unwrap();
    }
    store.set_hidden(guild, UserId(1), true).await.unwrap();
    // A member's reminder, snoozed, and their zone.
    store
        .set_member_zone(UserId(u64::MAX), Zone::parse("Asia/Tokyo").unwrap())
        .await
        .unwrap();
    let reminder = store
        .add_reminder(
            NewReminder {
                user: UserId(u64::MAX),
                dm_channel: ChannelId(900),
                schedule: Schedule::new(
                    Zone::parse("Asia/Tokyo").unwrap(),
                    Cadence::Daily(DailyTimes::parse("07:30", "daily").unwrap()),
                ),
                filters: Filters::default(),
            },
            RotationState::new(8),
            Some(at("2027-03-15T22:30:00Z")),
        )
        .await
        .unwrap();
    let snooze = Snooze {
        at: at("2027-03-15T23:00:00Z"),
        stretch: stretch("cat-cow"),
    };
    store
        .set_snooze(reminder.posting.id, Some(snooze))
        .await
        .unwrap();
    // The server's own stretch and a built-in one it hid.
    let builtin =
        Catalog::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
            .unwrap();
    let own = Draft {
        name: "Desk neck roll".into(),
        why: "Loosens a stiff neck.".into(),
        steps: "Sit tall.\nRoll your head slowly.".into(),
        dose: "5 breaths, per side".into(),
        caution: String::new(),
    }
    .check(
        &Choices {
            category: Category::Stretch,
            position: Position::Seated,
            equipment: Equipment::Chair,
            difficulty: Difficulty::Easy,
        },
        &builtin,
        &[],
        None,
    )
    .unwrap();
    store.add_own_entries(guild, vec![own]).await.unwrap();
    store
        .set_stretch_hidden(guild, stretch("cat-cow"), true)
        .await
        .unwrap();
    (store.schedules_in(guild).await.unwrap(), fires)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_copy_moves_every_table_and_refuses_a_database_with_data() {
    let Some(url) = fresh_database_url().await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretchbot.sqlite3");
    let (schedules, fires) = populated(&path).await;
    let from = format!("sqlite:{}", path.display());

    let output = stretchbot(&["store", "copy", "--from", &from, "--to", &url]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout,
        "2 guild zones\n3 schedules (with their rotation states)\n3 posts in the post log\n\
         3 check-ins\n1 hidden members\n1 personal reminders (their schedules are among the \
         schedules)\n1 members' zones\n1 servers' own stretches\n1 built-in stretches servers hid\n"
    );

    let sqlite = SqliteStore::open(&path).unwrap();
    let postgres = PostgresStore::open(&url).await.unwrap();
    let guild = GuildId(u64::MAX);
    assert_eq!(postgres.schedules_in(guild).await.unwrap(), schedules);
    for fire in &fires {
        assert_eq!(
            postgres.post(*fire).await.unwrap(),
            sqlite.post(*fire).await.unwrap()
        );
    }
    assert_eq!(
        postgres.unconfirmed().await.unwrap(),
        sqlite.unconfirmed().await.unwrap()
    );
    for user in [UserId(1), UserId(u64::MAX)] {
        assert_eq!(
            postgres.check_ins_of(guild, user).await.unwrap(),
            sqlite.check_ins_of(guild, user).await.unwrap()
        );
    }
    assert_eq!(
        postgres.hidden_members(guild).await.unwrap(),
        HashSet::from([UserId(1)])
    );
    assert_eq!(
        postgres.own_entries(guild).await.unwrap(),
        sqlite.own_entries(guild).await.unwrap()
    );
    assert_eq!(postgres.own_entries(guild).await.unwrap().len(), 1);
    assert_eq!(
        postgres.hidden_stretches(guild).await.unwrap(),
        HashSet::from([stretch("cat-cow")])
    );
    let member = UserId(u64::MAX);
    assert_eq!(
        postgres.reminders_of(member).await.unwrap(),
        sqlite.reminders_of(member).await.unwrap()
    );
    assert_eq!(postgres.reminders_of(member).await.unwrap().len(), 1);
    assert_eq!(
        postgres.member_zone(member).await.unwrap(),
        sqlite.member_zone(member).await.unwrap()
    );
    for zoned in [guild, GuildId(2)] {
        assert_eq!(
            postgres.guild_zone(zoned).await.unwrap(),
            sqlite.guild_zone(zoned).await.unwrap()
        );
    }
    // Ids go on after the copied ones: a new schedule is never mistaken for a moved one.
    let added = postgres
        .add_schedule(
            NewSchedule {
                guild,
                channel: ChannelId(1),
                kind: PostKind::Stretch,
                schedule: schedules[0].schedule.clone(),
                role: None,
                filters: Filters::default(),
                created_by: UserId(1),
            },
            RotationState::new(1),
            None,
        )
        .await
        .unwrap();
    assert!(schedules.iter().all(|copied| copied.id < added.id));

    let again = stretchbot(&["store", "copy", "--from", &from, "--to", &url]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("table guild_settings already has 2 rows")
            && stderr.contains("only fills an empty database"),
        "{stderr}"
    );
}

#[tokio::test]
async fn store_copy_refuses_what_is_not_a_sqlite_file_or_a_postgres_url() {
    let bare = stretchbot(&["store", "copy", "--from", "stretchbot.sqlite3", "--to", "x"]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("sqlite:PATH"));
    let to = stretchbot(&[
        "store",
        "copy",
        "--from",
        "sqlite:stretchbot.sqlite3",
        "--to",
        "mysql://x",
    ]);
    assert_eq!(to.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&to.stderr).contains("--to: give the PostgreSQL database"));
}

#[tokio::test]
async fn migrate_brings_a_postgres_database_to_this_builds_schema_without_a_token() {
    let Some(url) = fresh_database_url().await else {
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .arg("migrate")
        .env("STRETCHBOT_DATABASE_URL", &url)
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "the PostgreSQL database is at this build's schema\n"
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_name IN ('schedules', 'posts', 'check_ins', 'hidden_members', \
             'guild_settings', 'schema_migrations')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 6);
}
