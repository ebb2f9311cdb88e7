//! Every string option of every slash command, fuzzed: the commands are read back from what the bot
//! registered with the fake, so commands added later are covered without touching this file. Each
//! value is hostile (huge, Unicode, mentions, markdown, control characters) or random; the bot must
//! answer every invocation (an ephemeral error or a valid answer, never a panic or silence), with bodies
//! Discord accepts, and leave the database readable and sane. No echoed text may ping anyone: every
//! message body in the fake's transcript (replies, follow-ups, edits, posts) must state
//! `allowed_mentions` that pings nobody, whatever its text says.
//!
//! The budget is fixed: the hostile list plus `FUZZ_RANDOM` random strings per option (default 4).

mod support;

use std::time::Duration;

use fake_discord::{Opt, Permissions, Scope, SplitMix, focused, opt, sub};
use serde_json::Value;
use stretchbot::domain::posting::GuildId;
use stretchbot::domain::store::Store;
use stretchbot::store::SqliteStore;
use support::{Mode, TestApp, WAIT, pings, spawn_app};

const STRING: u64 = 3;
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

/// Values that have broken bots: sizes, mentions, markdown, bidi and control characters, odd Unicode.
fn hostile() -> Vec<String> {
    vec![
        String::new(),
        " ".to_owned(),
        "x".repeat(6000),
        "🧘".repeat(1500),
        "@everyone @here".to_owned(),
        "<@1187654321098765432> <@&1> <#1> <@!42>".to_owned(),
        "**bold** __u__ ~~s~~ `code` ```rust\nfn main(){}\n``` > quote ||spoiler||".to_owned(),
        "[link](https://example.invalid) <https://example.invalid>".to_owned(),
        "\u{0}\u{1}\u{7}\u{8}\u{1b}[31m\r\n\t\u{7f}".to_owned(),
        "\u{202e}evil\u{202c}\u{200b}\u{feff}".to_owned(),
        "İıßẞǅ Ω ℃ ﬁ Ⅻ ١٢:٣٠ ０９:００".to_owned(),
        "'; DROP TABLE schedules; --".to_owned(),
        "%s %n {} {0} ${x} \\u0000".to_owned(),
        "25:61, -1:00, 9:60pm, 12:00am, 00:00".to_owned(),
        "*/0 * * * * * *".to_owned(),
        "America/../../etc/passwd".to_owned(),
        "9999999999999999999999".to_owned(),
        "mon-fri,sat-sun,funday,,,".to_owned(),
    ]
}

fn random_string(random: &mut SplitMix) -> String {
    const PIECES: &[&str] = &[
        "a", "Z", "0", "9", ":", "-", ",", "*", "/", " ", "@", "<", ">", "#", "&", "!", "\n",
        "\u{0}", "é", "🧘", "\u{202e}", "am", "pm", "mon", "UTC", "Europe/", "cat", "`",
    ];
    let len = random.below(40) as usize;
    (0..len)
        .map(|_| PIECES[random.below(PIECES.len() as u64) as usize])
        .collect()
}

/// One string option to fuzz: the path to it (command, subcommand group, subcommand) and its definition.
struct Target {
    path: Vec<String>,
    option: Value,
    siblings: Vec<Value>,
}

fn string_options(commands: &[Value]) -> Vec<Target> {
    fn walk(path: Vec<String>, options: &[Value], out: &mut Vec<Target>) {
        for option in options {
            let name = option["name"].as_str().unwrap_or_default().to_owned();
            match option["type"].as_u64() {
                Some(SUB_COMMAND | SUB_COMMAND_GROUP) => {
                    let mut deeper = path.clone();
                    deeper.push(name);
                    walk(
                        deeper,
                        option["options"].as_array().map_or(&[], Vec::as_slice),
                        out,
                    );
                }
                Some(STRING) => out.push(Target {
                    path: path.clone(),
                    option: option.clone(),
                    siblings: options.to_vec(),
                }),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for command in commands.iter().filter(|c| c["type"] == 1) {
        let name = command["name"].as_str().unwrap_or_default().to_owned();
        walk(
            vec![name],
            command["options"].as_array().map_or(&[], Vec::as_slice),
            &mut out,
        );
    }
    out
}

/// A valid value for a required option that is not the one fuzzed.
fn filler(app: &TestApp, option: &Value) -> Option<Value> {
    if let Some(first) = option["choices"].as_array().and_then(|c| c.first()) {
        return Some(first["value"].clone());
    }
    Some(match option["type"].as_u64()? {
        STRING => Value::from("09:00"),
        4 | 10 => Value::from(option["min_value"].as_i64().unwrap_or(1)),
        5 => Value::from(true),
        6 => Value::from(app.member.get().to_string()),
        7 => Value::from(app.channel.get().to_string()),
        _ => return None,
    })
}

/// The client lets a member type only what fits the option: its length bounds and its choices.
fn as_typed(option: &Value, raw: &str) -> String {
    let max = option["max_length"].as_u64().unwrap_or(6000) as usize;
    let min = option["min_length"].as_u64().unwrap_or(0) as usize;
    let mut typed: String = raw.chars().take(max).collect();
    while typed.chars().count() < min {
        typed.push('x');
    }
    typed
}

/// Nests `options` inside the subcommands of `path` (after the command name).
fn nest(path: &[String], options: Vec<Opt>) -> Vec<Opt> {
    path[1..]
        .iter()
        .rev()
        .fold(options, |inner, name| vec![sub(name, inner)])
}

#[tokio::test]
async fn every_string_option_takes_hostile_input_without_harm() {
    let app = spawn_app(Mode::Proxy).await;
    let admin = app
        .fake
        .add_member(app.guild, "admin", Permissions::MANAGE_GUILD);
    let commands = app.fake.registered_commands(Scope::Guild(app.guild));
    let targets = string_options(&commands);
    assert!(!targets.is_empty(), "the bot has string options to fuzz");
    let random_count: usize = std::env::var("FUZZ_RANDOM")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    let mut random = SplitMix::new(0x5eed);
    let mut invoked = 0;
    let mut problems = Vec::new();

    for target in &targets {
        let name = target.option["name"].as_str().unwrap();
        if target.option["choices"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
        {
            continue; // the client offers only the choices
        }
        let values: Vec<String> = hostile()
            .into_iter()
            .chain((0..random_count).map(|_| random_string(&mut random)))
            .map(|raw| as_typed(&target.option, &raw))
            .collect();
        for value in values {
            let mut options: Vec<Opt> = target
                .siblings
                .iter()
                .filter(|o| o["required"] == true && o["name"] != name)
                .filter_map(|o| Some(opt(o["name"].as_str()?, filler(&app, o)?)))
                .collect();
            options.push(opt(name, value.as_str()));
            let place = format!("/{} {name}:{value:?}", target.path.join(" "));
            let invocation = app
                .fake
                .invoke_command(
                    app.guild,
                    app.channel,
                    admin,
                    &target.path[0],
                    nest(&target.path, options),
                )
                .await;
            let interaction = match invocation {
                Ok(interaction) => interaction,
                Err(refused) => {
                    problems.push(format!("{place}: the fake refused it: {refused:?}"));
                    continue;
                }
            };
            invoked += 1;
            match interaction.wait_response(WAIT).await {
                Ok(body) => check_reply(&place, &body, &mut problems),
                Err(_) => problems.push(format!("{place}: no answer")),
            }
            if target.option["autocomplete"] == true {
                let typed = nest(&target.path, vec![focused(name, &value)]);
                let answer = app
                    .fake
                    .autocomplete(app.guild, app.channel, admin, &target.path[0], typed)
                    .await
                    .expect("autocomplete is dispatched");
                if let Ok(body) = answer.wait_response(WAIT).await {
                    if body["type"] != 8 {
                        problems.push(format!("{place}: autocomplete answered {body}"));
                    }
                } else {
                    problems.push(format!("{place}: no autocomplete answer"));
                }
            }
        }
    }
    println!(
        "fuzzed {} string options: {}; {invoked} invocations",
        targets.len(),
        targets
            .iter()
            .map(|t| format!("/{} {}", t.path.join(" "), t.option["name"]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(invoked >= targets.len(), "every string option was invoked");
    // Replies still in flight (follow-ups) settle before the database is read.
    tokio::time::sleep(Duration::from_millis(200)).await;
    check_store(&app).await;
    let fake = app.stop().await;
    let pings = pings(&fake);
    assert!(
        pings.messages >= invoked,
        "every invocation was answered with a message ({} messages, {invoked} invocations)",
        pings.messages
    );
    problems.extend(pings.problems);
    // No fuzzed schedule has a role, so nothing at all may ping.
    problems.extend(
        pings
            .roles
            .iter()
            .map(|(request, roles)| format!("{request}: may ping roles {roles:?}")),
    );
    fake.assert_no_violations();
    assert!(
        problems.is_empty(),
        "{} problems in {invoked} invocations:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// An answer: a message (ephemeral or not), a deferral, or a modal. Whom it may ping is checked on
/// every body of the transcript at the end.
fn check_reply(place: &str, body: &Value, problems: &mut Vec<String>) {
    let kind = body["type"].as_u64().unwrap_or(0);
    if !matches!(kind, 4 | 5 | 9) {
        problems.push(format!("{place}: answered with type {kind}: {body}"));
    }
}

/// Whatever the fuzzing stored is readable and points at the guild's one channel.
async fn check_store(app: &TestApp) {
    let store = SqliteStore::open(&app.database()).expect("the database opens");
    let guild = GuildId(app.guild.get());
    let schedules = store
        .schedules_in(guild)
        .await
        .expect("every stored schedule reads back");
    for schedule in &schedules {
        assert_eq!(schedule.channel.0, app.channel.get(), "{schedule:?}");
        assert_eq!(schedule.guild, guild);
    }
    store
        .guild_zone(guild)
        .await
        .expect("the guild's zone reads back");
    store
        .due_schedules(chrono::Utc::now() + chrono::TimeDelta::days(800))
        .await
        .expect("due schedules read back");
}
