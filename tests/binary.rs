//! The `stretchbot run` binary as an operator starts it: environment, config file, stdout, signals.

use std::process::{Command, Stdio};
use std::time::Duration;

use fake_discord::{FakeDiscord, Options, Permissions, Scope, opt, sub};
use support::{BotProcess, WAIT};

mod support;

#[tokio::test]
async fn the_binary_connects_answers_and_stops_gracefully_on_sigterm() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let member = fake.add_member(guild, "alice", Permissions::empty());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    let database = dir.path().join("stretchbot.sqlite3");
    std::fs::write(
        &config,
        format!(
            "[storage]\nsqlite_path = \"{}\"\n\n[discord]\ncommand_guilds = [{guild}]\n",
            database.display()
        ),
    )
    .unwrap();

    let bot = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("DISCORD_TOKEN", fake.token())
        .env("STRETCHBOT_DISCORD_API_BASE", fake.api_base())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(BotProcess::new)
        .unwrap();

    fake.wait_ready(WAIT).await.expect("the binary connects");
    fake.wait_until(WAIT, "commands registered", |fake| {
        (!fake.registered_commands(Scope::Guild(guild)).is_empty()).then_some(())
    })
    .await
    .unwrap();
    // Stay connected across several heartbeat intervals (the fake's is 1 s): a stalled runtime would be
    // disconnected here.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        fake.session().unwrap().connected,
        "still connected after heartbeats were due"
    );
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
        .unwrap();
    assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");

    let signalled = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
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
            && stdout.contains("&permissions=84992"),
        "{stdout}"
    );
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(!stderr.contains(fake.token()), "the token is never logged");
    assert!(
        database.exists(),
        "the bot created its database where the config said"
    );
    fake.assert_no_violations();
}
