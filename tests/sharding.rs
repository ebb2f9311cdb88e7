//! Sharding end to end: the real bot against the fake Discord with thousands of guilds. With
//! `shards = "auto"` it runs the shards Discord recommends and answers in a guild of each; with too
//! few shards it refuses to start and says what to set, before IDENTIFY when Discord's recommendation
//! shows it, or once the gateway closed the shard with 4011; split over two processes, only the one
//! running shard 0 registers the commands.
//!
//! serenity boots one shard every 5 s, so a three-shard start takes about 10 s, and the 4011 test
//! waits out the bot's 30 s for READY: the waits below allow for both. The fake's identify pace is set faster than serenity's, as an explicit option.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use fake_discord::{
    ChannelId, Direction, Event, FakeDiscord, GuildId, Options, Permissions, Scope, Shard, UserId,
    opt, sub,
};
use stretchbot::discord::Shards;
use support::{WAIT, start_sharded_bot};

/// Three boots 5 s apart, on a loaded machine.
const SHARDS_WAIT: Duration = Duration::from_secs(40);

async fn fake_with_guilds(count: usize) -> FakeDiscord {
    let fake = FakeDiscord::start(Options {
        // Below serenity's 5 s between boots, so no IDENTIFY of a single process is refused.
        identify_interval: Duration::from_secs(1),
        // A debug build takes seconds over a thousand GUILD_CREATEs; Discord's interval is ~41 s.
        heartbeat_interval: Duration::from_secs(15),
        ..Options::default()
    })
    .await
    .expect("the fake Discord starts");
    for i in 0..count {
        fake.add_existing_guild(&format!("team {i}"));
    }
    fake
}

fn owner(guild: GuildId, total: u32) -> u32 {
    ((guild.get() >> 22) % u64::from(total)) as u32
}

/// A guild of each of `total` shards, with a channel and a member ready to type commands.
fn a_guild_per_shard(fake: &FakeDiscord, total: u32) -> Vec<(GuildId, ChannelId, UserId)> {
    let guilds: Vec<GuildId> = fake.guild_ids();
    (0..total)
        .map(|shard| {
            let guild = *guilds
                .iter()
                .find(|g| owner(**g, total) == shard)
                .expect("a guild on every shard");
            let channel = fake.add_text_channel(guild, "wellness");
            let member = fake.add_member(guild, "alice", Permissions::empty());
            (guild, channel, member)
        })
        .collect()
}

/// The guilds the fake sent the bot a GUILD_CREATE for, over all its connections.
fn guilds_sent(fake: &FakeDiscord) -> BTreeSet<String> {
    fake.transcript()
        .into_iter()
        .filter_map(|entry| match entry.event {
            Event::Gateway(frame)
                if frame.direction == Direction::Sent && frame.payload["t"] == "GUILD_CREATE" =>
            {
                frame.payload["d"]["id"].as_str().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

fn registrations(fake: &FakeDiscord) -> usize {
    fake.requests()
        .iter()
        .filter(|exchange| exchange.method == "PUT" && exchange.path.ends_with("/commands"))
        .count()
}

#[tokio::test]
async fn auto_runs_the_recommended_shards_and_answers_in_a_guild_of_each() {
    // Discord recommends a shard per 1,000 guilds: three here, over the 2,500 one shard may hold.
    let fake = fake_with_guilds(3000).await;
    let places = a_guild_per_shard(&fake, 3);
    let folder = tempfile::tempdir().unwrap();
    let (stop, bot) = start_sharded_bot(&fake, Shards::Auto, folder.path());

    let sessions = fake
        .wait_shards_ready(3, SHARDS_WAIT)
        .await
        .expect("three shards get READY");
    assert_eq!(
        sessions.iter().map(|s| s.shard).collect::<Vec<_>>(),
        (0..3).map(|id| Shard { id, total: 3 }).collect::<Vec<_>>()
    );
    let every_guild: BTreeSet<String> = fake.guild_ids().iter().map(|g| g.to_string()).collect();
    fake.wait_until(WAIT, "a GUILD_CREATE for every guild", |fake| {
        (guilds_sent(fake) == every_guild).then_some(())
    })
    .await
    .expect("every guild reaches the bot");
    fake.wait_until(WAIT, "the commands registered", |fake| {
        (!fake.registered_commands(Scope::Global).is_empty()).then_some(())
    })
    .await
    .expect("the commands are registered");

    for (guild, channel, member) in places {
        let reply = fake
            .invoke_command(
                guild,
                channel,
                member,
                "stretch",
                [sub("show", [opt("name", "cat-cow")])],
            )
            .await
            .expect("the fake delivers the command")
            .wait_response(WAIT)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no answer in guild {guild} of shard {}: {e}",
                    owner(guild, 3)
                )
            });
        assert_eq!(reply["type"], 4, "{reply}");
    }
    assert_eq!(
        registrations(&fake),
        1,
        "once per application, not per shard"
    );

    let _ = stop.send(());
    tokio::time::timeout(WAIT, bot)
        .await
        .expect("the bot stops")
        .unwrap()
        .expect("the bot stops cleanly");
    fake.assert_no_violations();
}

#[tokio::test]
async fn one_shard_for_6000_guilds_is_refused_saying_what_to_set() {
    let fake = fake_with_guilds(6000).await;
    let folder = tempfile::tempdir().unwrap();
    let one = Shards::parse_env("0-0/1").unwrap();
    let (_stop, bot) = start_sharded_bot(&fake, one, folder.path());
    let error = tokio::time::timeout(WAIT, bot)
        .await
        .expect("the bot gives up at once")
        .unwrap()
        .expect_err("the bot refuses to start");
    let message = format!("{error:#}");
    assert!(message.contains("4011"), "{message}");
    assert!(message.contains("2500"), "{message}");
    assert!(message.contains("discord.shards = \"auto\""), "{message}");
    assert!(message.contains("at least 3"), "{message}");
    assert!(
        fake.sessions().is_empty() && registrations(&fake) == 0,
        "refused before any IDENTIFY: no session start spent"
    );
}

#[tokio::test]
async fn a_shard_discord_closes_with_4011_stops_the_bot_saying_what_to_set() {
    // 3,000 guilds: Discord recommends three shards, yet two could hold them, so the bot's own check
    // lets a total of 1 through and the gateway refuses it.
    let fake = fake_with_guilds(3000).await;
    let folder = tempfile::tempdir().unwrap();
    let (_stop, bot) = start_sharded_bot(&fake, Shards::parse_env("0-0/1").unwrap(), folder.path());
    let error = tokio::time::timeout(Duration::from_secs(60), bot)
        .await
        .expect("the bot gives up 30 s after the shard's turn to boot")
        .unwrap()
        .expect_err("the bot stops with an error");
    let message = format!("{error:#}");
    assert!(message.contains("4011"), "{message}");
    assert!(message.contains("discord.shards = \"auto\""), "{message}");
    let closes = fake
        .transcript()
        .into_iter()
        .filter(
            |entry| matches!(&entry.event, Event::Gateway(frame) if frame.payload["close"] == 4011),
        )
        .count();
    assert!(closes >= 1, "the fake closed the IDENTIFY with 4011");
}

#[tokio::test]
async fn two_processes_split_the_shards_and_only_shard_0s_registers_commands() {
    let fake = fake_with_guilds(3000).await;
    let places = a_guild_per_shard(&fake, 3);
    let (first, rest) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (stop_rest, rest_bot) =
        start_sharded_bot(&fake, Shards::parse_env("1-2/3").unwrap(), rest.path());
    fake.wait_shards_ready(2, SHARDS_WAIT)
        .await
        .expect("shards 1 and 2 get READY");
    // Started after the other's last IDENTIFY, as the README's staggered start says.
    let (stop_first, first_bot) =
        start_sharded_bot(&fake, Shards::parse_env("0-0/3").unwrap(), first.path());
    fake.wait_shards_ready(3, SHARDS_WAIT)
        .await
        .expect("shard 0 gets READY too");
    fake.wait_until(WAIT, "the commands registered", |fake| {
        (!fake.registered_commands(Scope::Global).is_empty()).then_some(())
    })
    .await
    .expect("the process with shard 0 registers the commands");
    // Shard 1's guild is answered by the other process, whose setup ran without registering.
    let (guild, channel, member) = places[1];
    let reply = fake
        .invoke_command(
            guild,
            channel,
            member,
            "stretch",
            [sub("show", [opt("name", "cat-cow")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .expect("the process with shard 1 answers");
    assert_eq!(reply["type"], 4);
    assert_eq!(registrations(&fake), 1);

    for (stop, bot) in [(stop_first, first_bot), (stop_rest, rest_bot)] {
        let _ = stop.send(());
        tokio::time::timeout(WAIT, bot)
            .await
            .expect("the bot stops")
            .unwrap()
            .expect("the bot stops cleanly");
    }
    fake.assert_no_violations();
}

/// `stretchbot run` with `args` and `env`, pointed at an API base where nothing listens, so any
/// network attempt would fail differently. Returns stderr.
fn run_refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .arg("run")
        .args(args)
        .env("DISCORD_TOKEN", "not-a-real-token")
        .env("STRETCHBOT_DISCORD_API_BASE", "http://127.0.0.1:9")
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("stretchbot runs");
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_bad_shards_setting_is_refused_before_any_network_call_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "[discord]\nshards = { total = 4, range = \"2-5\" }\n",
    )
    .unwrap();
    let err = run_refused(&["--config", config.to_str().unwrap()], &[]);
    assert!(
        err.starts_with(&format!("{}:2: ", config.display()))
            && err.contains("`shards`")
            && err.contains("raise the total"),
        "{err}"
    );

    let err = run_refused(&[], &[("STRETCHBOT_SHARDS", "3-1/4")]);
    assert!(
        err.contains("STRETCHBOT_SHARDS `3-1/4`") && err.contains("after its end"),
        "{err}"
    );
    let err = run_refused(&[], &[("STRETCHBOT_SHARDS", "0-3/0")]);
    assert!(err.contains("at least 1"), "{err}");
}
