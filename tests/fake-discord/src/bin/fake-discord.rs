//! Runs a fake Discord to try the bot by hand: one guild, one channel, one member; prints where to
//! point the bot, streams the transcript to stdout as JSON lines, and reads commands from stdin:
//!
//! ```text
//! /stretch show name:cat-cow      alice runs a slash command (words without ':' are subcommands)
//! click MESSAGE_ID CUSTOM_ID      alice clicks a button
//! select MESSAGE_ID CUSTOM_ID v1 v2
//! reconnect | drop | invalidate   gateway faults
//! quit
//! ```
//!
//! `--tls` also serves HTTPS for discord.com and prints the test CA.

use std::time::Duration;

use fake_discord::{
    ChannelId, FakeDiscord, GuildId, Interaction, InvokeError, MessageId, Opt, Options,
    Permissions, UserId, opt, sub,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tls = std::env::args().any(|a| a == "--tls");
    let fake = FakeDiscord::start(Options {
        tls,
        ..Options::default()
    })
    .await?;
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let alice = fake.add_member(guild, "alice", Permissions::empty());
    eprintln!("fake-discord is up");
    eprintln!(
        "  API base (serenity HttpBuilder::proxy): {}",
        fake.api_base()
    );
    eprintln!(
        "  gateway:                                {}",
        fake.gateway_url()
    );
    eprintln!("  bot token:                              {}", fake.token());
    eprintln!(
        "  application id:                         {}",
        fake.application_id()
    );
    eprintln!("  guild {guild}, channel #wellness {channel}, member alice {alice}");
    if let (Some(addr), Some(pem)) = (fake.tls_addr(), fake.ca_pem()) {
        eprintln!("  HTTPS for discord.com at {addr}; trust this CA:\n{pem}");
    }
    eprintln!(
        "type /command sub option:value, click MESSAGE_ID CUSTOM_ID, select MESSAGE_ID CUSTOM_ID VALUES…, reconnect, drop, invalidate, quit"
    );

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut printed = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for entry in fake.transcript().into_iter().skip(printed) {
                    println!("{}", serde_json::to_string(&entry)?);
                    printed += 1;
                }
            }
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                let at = Target { guild, channel, member: alice };
                match run(&fake, at, line.trim()).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => eprintln!("! {e}"),
                }
            }
        }
    }
    fake.shutdown().await;
    Ok(())
}

#[derive(Clone, Copy)]
struct Target {
    guild: GuildId,
    channel: ChannelId,
    member: UserId,
}

/// Runs one stdin command; false to quit.
async fn run(
    fake: &FakeDiscord,
    at: Target,
    line: &str,
) -> Result<bool, Box<dyn std::error::Error>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [] => {}
        ["quit" | "exit"] => return Ok(false),
        ["reconnect"] => report("RECONNECT", fake.reconnect_gateway().await),
        ["drop"] => report("connection drop", fake.drop_gateway().await),
        ["invalidate"] => report("INVALID_SESSION", fake.invalidate_session(false).await),
        ["click", message, custom_id] => {
            let message = MessageId::new(message.parse()?);
            watch(
                fake.click_button(at.guild, at.channel, at.member, message, custom_id)
                    .await,
            );
        }
        ["select", message, custom_id, values @ ..] => {
            let message = MessageId::new(message.parse()?);
            watch(
                fake.select(at.guild, at.channel, at.member, message, custom_id, values)
                    .await,
            );
        }
        [command, rest @ ..] if command.starts_with('/') => {
            watch(
                fake.invoke_command(
                    at.guild,
                    at.channel,
                    at.member,
                    &command[1..],
                    parse_options(rest),
                )
                .await,
            );
        }
        _ => eprintln!("? {line}"),
    }
    Ok(true)
}

fn report(what: &str, sent: bool) {
    eprintln!(
        "{what} {}",
        if sent {
            "sent"
        } else {
            "not sent: the bot is not connected"
        }
    );
}

/// Prints the bot's first response to an interaction when it comes (in the background).
fn watch(result: Result<Interaction, InvokeError>) {
    match result {
        Ok(interaction) => {
            tokio::spawn(async move {
                match interaction.wait_response(Duration::from_secs(5)).await {
                    Ok(response) => eprintln!(
                        "< bot answered interaction {}: {response}",
                        interaction.id()
                    ),
                    Err(e) => eprintln!("! {e}"),
                }
            });
        }
        Err(e) => eprintln!("! {e}"),
    }
}

/// `show name:cat-cow count:3` → subcommand `show` holding `name` and `count`; values are JSON when
/// they parse as JSON (numbers, booleans), strings otherwise.
fn parse_options(words: &[&str]) -> Vec<Opt> {
    match words.split_first() {
        None => vec![],
        Some((word, rest)) => match word.split_once(':') {
            None => vec![sub(word, parse_options(rest))],
            Some((name, value)) => {
                let value = serde_json::from_str::<Value>(value)
                    .unwrap_or_else(|_| Value::String(value.to_owned()));
                std::iter::once(opt(name, value))
                    .chain(parse_options(rest))
                    .collect()
            }
        },
    }
}
