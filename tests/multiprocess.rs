//! Several bot processes, one database: three real `stretchbot run` binaries, a shard each of three,
//! against one fake Discord and one PostgreSQL database, with 300 fires due at the same instant. Every
//! fire is posted exactly once, with no 429, also when one process is SIGKILLed in the middle of the
//! fan-out and not restarted: the others post the rest and finish its claims.
//!
//! The processes start as the README's "Running at scale" tells operators: one after another, each
//! once the one before has its shard READY and the identify interval has passed, so no IDENTIFY is
//! refused. Needs `STRETCHBOT_TEST_DATABASE_URL` (see `tests/support/postgres.rs`).

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fake_discord::{ChannelId, FakeDiscord, GuildId, Options};
use stretchbot::domain::catalog::Filters;
use stretchbot::domain::posting::{
    ChannelId as StoreChannel, GuildId as StoreGuild, NewSchedule, PostKind, UserId,
};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, DailyTimes, Schedule, Zone};
use stretchbot::domain::store::Store;
use stretchbot::store::PostgresStore;
use support::BotProcess;
use support::pace::Pace;
use support::postgres::TestDatabase;

const PROCESSES: u32 = 3;
const GUILDS: usize = 30;
/// One channel per fire: Discord's message bucket is 5 per 5 s per channel.
const CHANNELS_PER_GUILD: usize = 10;
const FIRES: usize = GUILDS * CHANNELS_PER_GUILD;
/// The fake's pace of IDENTIFYs, set below Discord's 5 s as an explicit option.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(1);
/// Three debug binaries starting one after another on a loaded machine.
const START_WAIT: Duration = Duration::from_secs(60);
/// The fan-out at a third of 48/s each, or the takeover of a dead process's claims (30 to 40 s).
const POST_WAIT: Duration = Duration::from_secs(120);

struct World {
    fake: FakeDiscord,
    channels: Vec<ChannelId>,
    url: TestDatabase,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Option<World> {
        let url = support::postgres::fresh_database_url().await?;
        let fake = FakeDiscord::start(Options {
            identify_interval: IDENTIFY_INTERVAL,
            ..Options::default()
        })
        .await
        .expect("the fake Discord starts");
        let mut channels = Vec::new();
        for g in 0..GUILDS {
            let guild: GuildId = fake.add_existing_guild(&format!("team {g}"));
            for c in 0..CHANNELS_PER_GUILD {
                channels.push(fake.add_text_channel(guild, &format!("wellness-{c}")));
            }
        }
        Some(World {
            fake,
            channels,
            url,
            dir: tempfile::tempdir().unwrap(),
        })
    }

    /// A daily schedule in every channel, all of them next due at `at` (their cadence's time is
    /// midnight UTC; the first fire is set as a restart after downtime would leave it).
    async fn schedule_all(&self, at: DateTime<Utc>) {
        let store = PostgresStore::open(&self.url)
            .await
            .expect("the test database opens");
        let cadence = Schedule::new(
            Zone::parse("UTC").unwrap(),
            Cadence::Daily(DailyTimes::parse("00:00", "daily").unwrap()),
        );
        for channel in &self.channels {
            let guild = self.guild_of(*channel);
            store
                .add_schedule(
                    NewSchedule {
                        guild: StoreGuild(guild.get()),
                        channel: StoreChannel(channel.get()),
                        kind: PostKind::Stretch,
                        schedule: cadence.clone(),
                        role: None,
                        filters: Filters::default(),
                        created_by: UserId(7),
                    },
                    RotationState::new(channel.get()),
                    Some(at),
                )
                .await
                .expect("the schedule is stored");
        }
    }

    fn guild_of(&self, channel: ChannelId) -> GuildId {
        let index = self.channels.iter().position(|c| *c == channel).unwrap();
        self.fake.guild_ids()[index / CHANNELS_PER_GUILD]
    }

    fn log(&self, shard: u32) -> std::path::PathBuf {
        self.dir.path().join(format!("shard-{shard}.log"))
    }

    /// Starts the processes one after another, as the README says: each once the one before has its
    /// shard READY and the identify interval has passed.
    async fn start_processes(&self) -> Vec<BotProcess> {
        let config = self.dir.path().join("bot.toml");
        std::fs::write(&config, "[log]\nformat = \"json\"\n").unwrap();
        let mut processes = Vec::new();
        for shard in 0..PROCESSES {
            let log = std::fs::File::create(self.log(shard)).unwrap();
            let process = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
                .args(["run", "--config", config.to_str().unwrap()])
                .env("DISCORD_TOKEN", self.fake.token())
                .env("STRETCHBOT_DISCORD_API_BASE", self.fake.api_base())
                .env("STRETCHBOT_DATABASE_URL", &self.url)
                .env("STRETCHBOT_SHARDS", format!("{shard}-{shard}/{PROCESSES}"))
                .env_remove("STRETCHBOT_LOG_FORMAT")
                .env_remove("RUST_LOG")
                .env_remove("STRETCHBOT_CLOCK_START")
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map(BotProcess::new)
                .expect("the binary starts");
            processes.push(process);
            self.fake
                .wait_until(START_WAIT, "the process's shard to get READY", |fake| {
                    fake.sessions()
                        .iter()
                        .any(|session| session.shard.id == shard && session.connected)
                        .then_some(())
                })
                .await
                .expect("each process's shard gets READY");
            tokio::time::sleep(IDENTIFY_INTERVAL).await;
        }
        processes
    }

    async fn wait_for_messages(&self, count: usize, wait: Duration) {
        self.fake
            .wait_until(wait, "the posts", |fake| {
                (fake.message_count() >= count).then_some(())
            })
            .await
            .unwrap_or_else(|timeout| {
                panic!(
                    "{timeout:?}: {} of {count} posts",
                    self.fake.message_count()
                )
            });
    }

    /// Every channel holds exactly one post, nothing is left claimed, no request got a 429 and the bot
    /// made no invalid request; prints how the run used the global limit.
    async fn expect_every_fire_posted_once(&self, what: &str) {
        self.wait_for_messages(FIRES, POST_WAIT).await;
        // Time for a stray duplicate to show.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let counts: HashMap<ChannelId, usize> = self
            .channels
            .iter()
            .map(|channel| (*channel, self.fake.messages(*channel).len()))
            .collect();
        let wrong: Vec<_> = counts.iter().filter(|(_, count)| **count != 1).collect();
        assert!(
            wrong.is_empty(),
            "channels without exactly one post: {wrong:?}"
        );
        let store = PostgresStore::open(&self.url).await.unwrap();
        assert!(
            store.unconfirmed().await.unwrap().is_empty(),
            "left claimed"
        );
        let pace = Pace::of(&self.fake);
        assert_eq!(pace.too_many_requests, 0, "429s");
        self.fake.assert_no_violations();
        eprintln!(
            "{what}: {FIRES} posts at {:.1}/s; global-limit requests {:.1}/s while posting, at most {} in one second; posts per process {:?}",
            pace.posts_per_second(),
            pace.global_per_second_while_posting(),
            pace.busiest_second(),
            (0..PROCESSES)
                .map(|shard| self.posted_by(shard))
                .collect::<Vec<_>>(),
        );
    }

    /// How many posts the process with `shard` logged as posted (its log is JSON lines on stderr).
    fn posted_by(&self, shard: u32) -> usize {
        std::fs::read_to_string(self.log(shard))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(r#""outcome":"posted""#))
            .count()
    }
}

/// Late enough for the three staggered starts; a slower start only makes the posts late, within the
/// grace window.
fn due_after_start() -> DateTime<Utc> {
    Utc::now() + TimeDelta::seconds(30)
}

fn stop(process: BotProcess) {
    let id = process.id().to_string();
    let signalled = Command::new("kill").args(["-TERM", &id]).status().unwrap();
    assert!(signalled.success());
    let status = process.into_child().wait().unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn three_processes_post_300_fires_due_together_exactly_once() {
    let Some(world) = World::new().await else {
        return;
    };
    world.schedule_all(due_after_start()).await;
    let processes = world.start_processes().await;
    world.expect_every_fire_posted_once("three processes").await;
    let by_process: Vec<usize> = (0..PROCESSES).map(|shard| world.posted_by(shard)).collect();
    assert_eq!(by_process.iter().sum::<usize>(), FIRES, "{by_process:?}");
    for process in processes {
        stop(process);
    }
}

#[tokio::test]
async fn with_one_of_three_processes_killed_mid_fan_out_the_others_post_every_fire_once() {
    let Some(world) = World::new().await else {
        return;
    };
    world.schedule_all(due_after_start()).await;
    let mut processes = world.start_processes().await;
    world.wait_for_messages(FIRES / 3, POST_WAIT).await;
    let killed = processes.remove(1).into_child();
    kill(killed);
    let posted_when_killed = world.fake.message_count();
    assert!(
        posted_when_killed < FIRES,
        "killed in the middle, not after"
    );
    world
        .expect_every_fire_posted_once("one of three killed")
        .await;
    let survivors = world.posted_by(0) + world.posted_by(2);
    assert!(
        survivors + world.posted_by(1) >= FIRES,
        "every post logged by the process that made it"
    );
    assert!(
        survivors >= FIRES - posted_when_killed,
        "the rest by the others"
    );
    for process in processes {
        stop(process);
    }
}

fn kill(mut process: std::process::Child) {
    process.kill().unwrap(); // SIGKILL: no cleanup at all
    process.wait().unwrap();
}
