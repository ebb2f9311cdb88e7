//! The `stretchbot run` binary as an operator starts it: environment, config file, stdout and stderr
//! (pipes that may close), logs, signals, and the first contact with Discord going wrong.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use fake_discord::{ChannelId, FakeDiscord, GuildId, Options, Permissions, Scope, opt, sub};
use serde_json::Value;
use stretchbot::domain::posting::{Fire, ScheduleId};
use stretchbot::domain::store::Store;
use stretchbot::store::SqliteStore;
use support::{BotProcess, WAIT};

mod support;

/// A fake Discord with one guild and channel, and a folder for the bot's config and database.
struct World {
    fake: FakeDiscord,
    guild: GuildId,
    channel: ChannelId,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let fake = FakeDiscord::start(Options::default()).await.unwrap();
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

    /// The binary, configured for this world (`log` is the body of the `[log]` section), not started.
    fn command(&self, log: &str) -> Command {
        let config = self.dir.path().join("bot.toml");
        std::fs::write(
            &config,
            format!(
                "[storage]\nsqlite_path = \"{}\"\n\n[log]\n{log}\n\n[discord]\ncommand_guilds = [{}]\n",
                self.database().display(),
                self.guild
            ),
        )
        .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_stretchbot"));
        command
            .args(["run", "--config", config.to_str().unwrap()])
            .env("DISCORD_TOKEN", self.fake.token())
            .env("STRETCHBOT_DISCORD_API_BASE", self.fake.api_base())
            .env_remove("RUST_LOG")
            .env_remove("STRETCHBOT_LOG_FORMAT")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Starts `command` and waits until the bot is connected and its commands are registered.
    async fn start(&self, mut command: Command) -> BotProcess {
        let bot = command.spawn().map(BotProcess::new).unwrap();
        self.wait_up().await;
        bot
    }

    async fn wait_up(&self) {
        self.fake
            .wait_ready(WAIT)
            .await
            .expect("the binary connects");
        self.fake
            .wait_until(WAIT, "commands registered", |fake| {
                (!fake
                    .registered_commands(Scope::Guild(self.guild))
                    .is_empty())
                .then_some(())
            })
            .await
            .unwrap();
    }
}

fn sigterm(bot: &BotProcess) {
    let signalled = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
}

/// Waits for the bot to exit by itself, or kills it after `limit`.
async fn exit_within(mut bot: Child, limit: Duration) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = bot.try_wait().unwrap() {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = bot.kill();
            let _ = bot.wait();
            return Err(format!("still running {limit:?} after SIGTERM; killed"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_binary_connects_answers_and_stops_gracefully_on_sigterm() {
    let world = World::new().await;
    let member = world
        .fake
        .add_member(world.guild, "alice", Permissions::empty());
    let bot = world.start(world.command("")).await;
    // Stay connected across several heartbeat intervals (the fake's is 1 s): a stalled runtime would be
    // disconnected here.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        world.fake.session().unwrap().connected,
        "still connected after heartbeats were due"
    );
    let reply = world
        .fake
        .invoke_command(
            world.guild,
            world.channel,
            member,
            "stretch",
            [sub("show", [opt("name", "cat-cow")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");

    sigterm(&bot);
    let bot = bot.into_child();
    let output = tokio::task::spawn_blocking(move || bot.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("https://discord.com/oauth2/authorize?client_id=")
            && stdout.contains("&permissions=117760"),
        "{stdout}"
    );
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal: {stderr}"
    );
    assert!(
        !stderr.contains(world.fake.token()),
        "the token is never logged"
    );
    assert!(
        world.database().exists(),
        "the bot created its database where the config said"
    );
    world.fake.assert_no_violations();
}

/// `stretchbot run 2>&1 | tee log`, then Ctrl-C, which ends `tee` too: the bot's stdout and stderr are
/// closed pipes from then on. It must go on serving, still shut down cleanly, and mark its running timers
/// interrupted.
#[tokio::test]
async fn with_stdout_and_stderr_closed_sigterm_still_shuts_down_cleanly() {
    let world = World::new().await;
    let member = world
        .fake
        .add_member(world.guild, "alice", Permissions::empty());
    // stdout is closed before the bot prints its invite line, stderr while it runs.
    let mut bot = world.command("").spawn().unwrap();
    drop(bot.stdout.take());
    let bot = BotProcess::new(bot);
    world.wait_up().await;
    let timer = world
        .fake
        .invoke_command(
            world.guild,
            world.channel,
            member,
            "stretch",
            [sub("timer", [opt("name", "cat-cow")])],
        )
        .await
        .unwrap();
    timer.wait_response(WAIT).await.expect("the timer starts");

    let mut bot = bot.into_child();
    drop(bot.stderr.take());
    let bot = BotProcess::new(bot);
    // A log line written into the closed pipe before the signal (the timer's next steps log nothing).
    world
        .fake
        .invoke_command(
            world.guild,
            world.channel,
            member,
            "stretch",
            [sub("show", [opt("name", "cat-cow")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    sigterm(&bot);
    // The drain timeout is 5 s; a healthy stop takes well under it.
    let status = exit_within(bot.into_child(), Duration::from_secs(5) + WAIT)
        .await
        .unwrap();
    assert!(status.success(), "exit {status:?}");
    let message = timer.original_message().unwrap();
    let title = message["embeds"][0]["title"].as_str().unwrap_or_default();
    assert!(title.ends_with("interrupted"), "{message}");
    world.fake.assert_no_violations();
}

/// `log.format = "json"`: every line of stderr is one JSON object, and a scheduled post is one event
/// with its schedule, fire instant, nonce and outcome as fields.
#[tokio::test]
async fn json_logs_are_one_object_per_line_with_one_event_per_post() {
    let world = World::new().await;
    let admin = world
        .fake
        .add_member(world.guild, "boss", Permissions::MANAGE_GUILD);
    let mut command = world.command("format = \"json\"");
    // Time enough to start and add the schedule before its fire, on a loaded machine too.
    command.env("STRETCHBOT_CLOCK_START", "2027-06-01T08:59:52Z");
    let bot = world.start(command).await;
    world
        .fake
        .invoke_command(
            world.guild,
            world.channel,
            admin,
            "schedule",
            [sub(
                "add",
                [
                    opt("channel", world.channel.get()),
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
    let sent = world
        .fake
        .wait_until(WAIT, "the scheduled post", |fake| {
            fake.messages(world.channel)
                .into_iter()
                .find(|message| message["nonce"].is_string())
        })
        .await
        .unwrap();
    // Sent is not yet recorded: the post's event comes with the record.
    let store = SqliteStore::open(&world.database()).unwrap();
    let fire = Fire {
        schedule: ScheduleId(1),
        at: "2027-06-01T09:00:00Z".parse().unwrap(),
    };
    let deadline = Instant::now() + WAIT;
    while !(store.unconfirmed().await.unwrap().is_empty()
        && store.post(fire).await.unwrap().is_some())
    {
        assert!(Instant::now() < deadline, "the post was never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    sigterm(&bot);
    let bot = bot.into_child();
    let output = tokio::task::spawn_blocking(move || bot.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "exit {:?}", output.status);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let events: Vec<Value> = stderr
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line}"));
            assert!(
                event.is_object() && event["level"].is_string() && event["message"].is_string(),
                "{line}"
            );
            event
        })
        .collect();
    assert!(
        events.iter().any(|event| event["message"]
            == "shutting down: stopping the poster and closing the gateway"),
        "{stderr}"
    );
    let posts: Vec<&Value> = events
        .iter()
        .filter(|event| event["outcome"].is_string())
        .collect();
    assert_eq!(posts.len(), 1, "one event per post: {stderr}");
    let post = posts[0];
    assert_eq!(post["outcome"], "posted", "{post}");
    assert_eq!(post["schedule"], "1", "{post}");
    assert_eq!(post["fire"], "2027-06-01 09:00:00 UTC", "{post}");
    let nonce = post["nonce"].as_str().expect("the nonce is a field");
    assert_eq!(sent["nonce"].as_str(), Some(nonce), "{sent}");
    assert!(
        !stderr.contains(world.fake.token()),
        "the token is never logged"
    );
    world.fake.assert_no_violations();
}

#[tokio::test]
async fn rust_log_overrides_the_configured_level() {
    let world = World::new().await;
    let mut command = world.command("level = \"error\"");
    command.env("RUST_LOG", "stretchbot=info");
    let bot = world.start(command).await;
    sigterm(&bot);
    let bot = bot.into_child();
    let output = tokio::task::spawn_blocking(move || bot.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("connected to Discord"), "{stderr}");
    assert!(
        !stderr.contains("serenity"),
        "only stretchbot's events: {stderr}"
    );
}

/// Runs the binary to its end and returns its exit code and stderr.
async fn run_to_end(mut command: Command) -> (Option<i32>, String) {
    let bot = command.spawn().unwrap();
    let output = tokio::task::spawn_blocking(move || bot.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_api_base_where_nothing_listens_is_one_line_naming_the_url_and_what_to_check() {
    let world = World::new().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut command = world.command("");
    command.env(
        "STRETCHBOT_DISCORD_API_BASE",
        format!("http://127.0.0.1:{port}"),
    );
    let (code, stderr) = run_to_end(command).await;
    assert_eq!(code, Some(1), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    let error = errors[0];
    assert!(
        error.contains(&format!(
            "could not reach http://127.0.0.1:{port}/api/v10/users/@me"
        )) && error.to_lowercase().contains("connection refused")
            && error.contains("discord.api_base"),
        "{error}"
    );
    assert!(
        !error.contains("Error while sending HTTP request")
            && !error.contains("error sending request"),
        "{error}"
    );
}

#[tokio::test]
async fn a_bad_token_is_one_line_saying_so() {
    let world = World::new().await;
    let mut command = world.command("");
    command.env("DISCORD_TOKEN", "not-the-token");
    let (code, stderr) = run_to_end(command).await;
    assert_eq!(code, Some(1), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("Discord refused the bot's token (401 Unauthorized")
            && errors[0].contains(&format!("{}/api/v10/users/@me", world.fake.api_base()))
            && errors[0].contains("DISCORD_TOKEN"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not-the-token"),
        "the token is never shown"
    );
}
