//! Exactly once, the hard way: the real `stretchbot` binary is killed (SIGKILL) in the middle of posting
//! and started again, and the fake Discord's channel (or a member's DMs, for a reminder) must hold
//! exactly one message per fire. Downtime inside and outside the grace window is tested the same way.
//!
//! The bot's wall clock is set with `STRETCHBOT_CLOCK_START` so a fire is seconds away.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fake_discord::{ChannelId, FakeDiscord, Fault, GuildId, Options, Permissions, Scope, opt, sub};
use stretchbot::domain::posting::{Fire, ScheduleId};
use stretchbot::domain::store::Store;
use stretchbot::store::SqliteStore;
use support::BotProcess;

mod support;

/// Generous for a loaded CI machine; a healthy run takes milliseconds.
const WAIT: Duration = Duration::from_secs(15);
const MESSAGES: &str = "POST /channels/{channel_id}/messages";

/// The fire every test uses: 09:00 UTC on a Tuesday.
fn fire_at() -> DateTime<Utc> {
    "2027-06-01T09:00:00Z".parse().unwrap()
}

fn fire() -> Fire {
    Fire {
        schedule: ScheduleId(1),
        at: fire_at(),
    }
}

struct World {
    fake: FakeDiscord,
    guild: GuildId,
    channel: ChannelId,
    dir: tempfile::TempDir,
}

impl World {
    async fn new(options: Options) -> World {
        let fake = FakeDiscord::start(options).await.unwrap();
        let guild = fake.add_guild("Team");
        let channel = fake.add_text_channel(guild, "wellness");
        World {
            fake,
            guild,
            channel,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("stretchbot.sqlite3")
    }

    /// Starts the real binary with its wall clock at `clock`.
    async fn start_bot(&self, clock: DateTime<Utc>) -> BotProcess {
        let config = self.dir.path().join("bot.toml");
        std::fs::write(
            &config,
            format!(
                "[storage]\nsqlite_path = \"{}\"\n\n[discord]\ncommand_guilds = [{}]\n",
                self.database().display(),
                self.guild
            ),
        )
        .unwrap();
        let sessions_before = self.fake.session().map(|session| session.session_id);
        let bot = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
            .args(["run", "--config", config.to_str().unwrap()])
            .env("DISCORD_TOKEN", self.fake.token())
            .env("STRETCHBOT_DISCORD_API_BASE", self.fake.api_base())
            .env("STRETCHBOT_CLOCK_START", clock.to_rfc3339())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(BotProcess::new)
            .unwrap();
        self.fake
            .wait_until(WAIT, "the bot to connect", |fake| {
                fake.session()
                    .filter(|session| {
                        session.connected && Some(&session.session_id) != sessions_before.as_ref()
                    })
                    .map(|_| ())
            })
            .await
            .expect("the bot connects");
        self.fake
            .wait_until(WAIT, "the bot's commands", |fake| {
                (!fake
                    .registered_commands(Scope::Guild(self.guild))
                    .is_empty())
                .then_some(())
            })
            .await
            .expect("the bot registers its commands");
        bot
    }

    /// Adds `09:00 UTC daily` through `/schedule add`, as an admin would.
    async fn add_schedule(&self) {
        let admin = self
            .fake
            .add_member(self.guild, "boss", Permissions::MANAGE_GUILD);
        self.fake
            .invoke_command(
                self.guild,
                self.channel,
                admin,
                "schedule",
                [sub(
                    "add",
                    [
                        opt("channel", self.channel.get()),
                        opt("times", "09:00"),
                        opt("tz", "UTC"),
                    ],
                )],
            )
            .await
            .unwrap()
            .wait_responses(2, WAIT)
            .await
            .expect("the schedule is added");
    }

    /// Adds `09:00 UTC daily` as `member`'s personal reminder through `/remind add`.
    async fn add_reminder(&self, member: fake_discord::UserId) {
        self.fake
            .invoke_command(
                self.guild,
                self.channel,
                member,
                "remind",
                [sub("add", [opt("times", "09:00"), opt("tz", "UTC")])],
            )
            .await
            .unwrap()
            .wait_responses(2, WAIT)
            .await
            .expect("the reminder is added");
    }

    async fn wait_for_claim(&self) {
        let store = SqliteStore::open(&self.database()).unwrap();
        for _ in 0..300 {
            if store.post(fire()).await.unwrap().is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the fire was never claimed");
    }

    async fn wait_for_confirmation(&self) {
        let store = SqliteStore::open(&self.database()).unwrap();
        for _ in 0..300 {
            if store.unconfirmed().await.unwrap().is_empty()
                && store.post(fire()).await.unwrap().is_some()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the post was never confirmed");
    }

    /// The restarted bot records the fire's post, the channel holds exactly one message, and the bot
    /// stops cleanly without a single invalid request.
    async fn expect_exactly_one_post(&self, bot: BotProcess) -> Vec<serde_json::Value> {
        self.wait_for_confirmation().await;
        let messages = self.settled_messages().await;
        assert_eq!(messages.len(), 1, "{messages:?}");
        stop(bot);
        self.fake.assert_no_violations();
        messages
    }

    /// Every message in the channel, after giving a stray duplicate time to show up.
    async fn settled_messages(&self) -> Vec<serde_json::Value> {
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.fake.messages(self.channel)
    }
}

fn kill(bot: BotProcess) {
    let mut bot = bot.into_child();
    bot.kill().unwrap(); // SIGKILL: no cleanup at all
    bot.wait().unwrap();
}

fn stop(bot: BotProcess) {
    let stopped = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let output = bot.into_child().wait_with_output().unwrap();
    assert!(output.status.success());
}

#[tokio::test]
async fn killed_between_claim_and_send_the_post_goes_out_once_after_restart() {
    let world = World::new(Options::default()).await;
    let bot = world.start_bot(fire_at() - TimeDelta::seconds(4)).await;
    world.add_schedule().await;
    // Hold the send at Discord's door, then kill the bot while it waits: claimed, never sent.
    world.fake.inject(Fault::Slow {
        route: MESSAGES.into(),
        delay: Duration::from_secs(30),
        times: 1,
    });
    world.wait_for_claim().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill(bot);
    assert!(
        world.fake.messages(world.channel).is_empty(),
        "nothing was sent"
    );

    let bot = world.start_bot(fire_at() + TimeDelta::seconds(20)).await;
    let messages = world.expect_exactly_one_post(bot).await;
    assert_eq!(messages[0]["nonce"], fire().nonce());
}

#[tokio::test]
async fn a_reminder_killed_between_claim_and_send_goes_out_as_one_dm_after_restart() {
    let world = World::new(Options::default()).await;
    let member = world
        .fake
        .add_member(world.guild, "alice", Permissions::empty());
    let bot = world.start_bot(fire_at() - TimeDelta::seconds(4)).await;
    world.add_reminder(member).await;
    // The DM goes through the same message route: held there, the bot is killed while it waits.
    world.fake.inject(Fault::Slow {
        route: MESSAGES.into(),
        delay: Duration::from_secs(30),
        times: 1,
    });
    world.wait_for_claim().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill(bot);
    assert!(world.fake.dms(member).is_empty(), "nothing was sent");

    let bot = world.start_bot(fire_at() + TimeDelta::seconds(20)).await;
    world.wait_for_confirmation().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let dms = world.fake.dms(member);
    assert_eq!(dms.len(), 1, "{dms:?}");
    assert_eq!(dms[0]["nonce"], fire().nonce());
    assert!(world.fake.messages(world.channel).is_empty());
    stop(bot);
    world.fake.assert_no_violations();
}

#[tokio::test]
async fn killed_between_send_and_record_the_post_is_found_not_repeated() {
    // Discord forgets nonces after a few minutes; here at once, so only the post key can stop a second
    // message.
    let world = World::new(Options {
        nonce_window: Duration::from_millis(1),
        ..Options::default()
    })
    .await;
    let bot = world.start_bot(fire_at() - TimeDelta::seconds(4)).await;
    world.add_schedule().await;
    // Slow the send down enough to lock the database before the bot can record it.
    world.fake.inject(Fault::Slow {
        route: MESSAGES.into(),
        delay: Duration::from_secs(2),
        times: 1,
    });
    world.wait_for_claim().await;
    let lock = hold_write_lock(&world.database());
    world
        .fake
        .wait_until(WAIT, "the post to land", |fake| {
            (!fake.messages(world.channel).is_empty()).then_some(())
        })
        .await
        .expect("the post is sent");
    kill(bot); // sent, but the bot could not record it
    drop(lock);

    // Ten minutes later: Discord no longer dedupes the nonce, so the bot must look before sending.
    let bot = world.start_bot(fire_at() + TimeDelta::minutes(10)).await;
    world.expect_exactly_one_post(bot).await;
}

#[tokio::test]
async fn a_fire_missed_within_the_grace_window_is_posted_late_once() {
    let world = World::new(Options::default()).await;
    let bot = world.start_bot(fire_at() - TimeDelta::minutes(5)).await;
    world.add_schedule().await;
    stop(bot);

    // Back up 20 minutes after the fire: within the 30-minute grace window.
    let bot = world.start_bot(fire_at() + TimeDelta::minutes(20)).await;
    world.expect_exactly_one_post(bot).await;
}

#[tokio::test]
async fn a_fire_missed_beyond_the_grace_window_is_skipped() {
    let world = World::new(Options::default()).await;
    let bot = world.start_bot(fire_at() - TimeDelta::minutes(5)).await;
    world.add_schedule().await;
    stop(bot);

    // Back up 45 minutes after the fire: too late, so no post; the next one is tomorrow.
    let bot = world.start_bot(fire_at() + TimeDelta::minutes(45)).await;
    let store = SqliteStore::open(&world.database()).unwrap();
    let mut next = None;
    for _ in 0..300 {
        next = store
            .schedule(ScheduleId(1))
            .await
            .unwrap()
            .and_then(|s| s.next_fire);
        if next == Some(fire_at() + TimeDelta::days(1)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        next,
        Some(fire_at() + TimeDelta::days(1)),
        "moved on to tomorrow"
    );
    assert!(
        world.settled_messages().await.is_empty(),
        "the missed post was not sent"
    );
    assert!(store.post(fire()).await.unwrap().is_none());
    stop(bot);
    world.fake.assert_no_violations();
}

/// Takes SQLite's write lock on `database` until dropped, so the bot's next write waits.
fn hold_write_lock(database: &Path) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(database).unwrap();
    connection.execute_batch("BEGIN EXCLUSIVE").unwrap();
    connection
}
