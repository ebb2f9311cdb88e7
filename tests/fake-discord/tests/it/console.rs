//! The console of `cargo run -p fake-discord`, driven as a person would type into it, with a raw
//! client playing the bot.

use std::time::Duration;

use fake_discord::console::{Console, Flow};
use fake_discord::{FakeDiscord, Options, Permissions};
use serde_json::{Value, json};

use crate::common::{Gateway, WAIT, commands, send};

/// The fake, and a bot client that registered the test commands and is connected.
async fn bot(fake: &FakeDiscord) -> (reqwest::Client, Gateway) {
    let http = reqwest::Client::new();
    let app = fake.application_id();
    let (status, body) = send(
        http.put(format!(
            "{}/api/v10/applications/{app}/commands",
            fake.api_base()
        ))
        .header("Authorization", format!("Bot {}", fake.token()))
        .json(&commands()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut gw = Gateway::connect(fake.gateway_url()).await;
    assert_eq!(gw.recv().await["op"], 10);
    gw.identify(fake.token(), 1).await;
    assert_eq!(gw.dispatch().await["t"], "READY");
    assert_eq!(gw.dispatch().await["t"], "GUILD_CREATE");
    (http, gw)
}

/// Polls the console until a printed line contains `needle`; returns everything printed.
async fn printed_until(console: &mut Console<'_>, needle: &str) -> Vec<String> {
    let mut printed = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        console.poll();
        printed.extend(console.take_output());
        if printed.iter().any(|l| l.contains(needle)) {
            return printed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("`{needle}` never printed; got:\n{}", printed.join("\n"));
}

async fn answer(http: &reqwest::Client, fake: &FakeDiscord, interaction: &Value, reply: Value) {
    let path = format!(
        "{}/api/v10/interactions/{}/{}/callback",
        fake.api_base(),
        interaction["id"].as_str().unwrap(),
        interaction["token"].as_str().unwrap()
    );
    let (status, body) = send(http.post(path).json(&reply)).await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn a_person_runs_a_command_reads_the_card_and_clicks_its_button() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let mut console = Console::start(&fake);
    let (http, mut gw) = bot(&fake).await;

    let flow = console
        .execute(r#"/stretch show name:"cat and cow""#)
        .await
        .unwrap();
    assert_eq!(flow, Flow::Continue);
    let event = gw.dispatch().await;
    let d = &event["d"];
    assert_eq!(
        d["data"]["options"][0]["options"][0]["value"], "cat and cow",
        "the quoted value keeps its spaces"
    );
    assert_eq!(d["member"]["user"]["username"], "alice");
    let card = json!({"type": 4, "data": {
        "embeds": [{"title": "Cat-Cow", "description": "Due <t:1796000000:t>", "footer": {"text": "Not medical advice."}}],
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Start timer", "custom_id": "timer:cat-cow"}]}],
        "flags": 64,
    }});
    answer(&http, &fake, d, card).await;
    let printed = printed_until(&mut console, "[1 Start timer]").await;
    let text = printed.join("\n");
    let header = format!(
        "── #wellness · {} · only you can see this",
        Options::default().bot_name
    );
    assert!(printed.contains(&header), "{text}");
    assert!(text.contains("┃ **Cat-Cow**"), "{text}");
    assert!(
        text.contains("Due 00:53 UTC"),
        "timestamps read as times: {text}"
    );

    console.execute("as bob").await.unwrap();
    console.execute("click 1").await.unwrap();
    let click = gw.dispatch().await;
    assert_eq!(click["d"]["type"], 3);
    assert_eq!(click["d"]["data"]["custom_id"], "timer:cat-cow");
    assert_eq!(click["d"]["member"]["user"]["username"], "bob");
}

#[tokio::test]
async fn mistakes_are_told_with_what_to_type_instead() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let mut console = Console::start(&fake);
    assert!(
        console
            .execute("/stretch show name:x")
            .await
            .unwrap_err()
            .contains("registered no commands yet")
    );
    let (_http, _gw) = bot(&fake).await;
    let cases = [
        (
            "/strech show",
            "there is no /strech; the bot has: /stretch, /ping",
        ),
        ("/stretch shw", "has no `shw`; it has: show, start"),
        (
            "/stretch start minutes:ten",
            "`minutes` takes a whole number, not `ten`",
        ),
        (r#"/stretch show name:"cat"#, "a quote is not closed"),
        ("click 4", "there is no button or menu 4"),
        ("in #random", "type `channel add random`"),
        ("grant carol manage-server", "type `as carol`"),
        ("grant alice fly", "no permission `fly`"),
        ("dance", "type help"),
    ];
    for (line, expected) in cases {
        let error = console.execute(line).await.unwrap_err();
        assert!(error.contains(expected), "{line}: {error}");
    }
    assert_eq!(console.execute("quit").await.unwrap(), Flow::Quit);
}

#[tokio::test]
async fn permissions_granted_and_revoked_are_what_the_bot_sees() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let mut console = Console::start(&fake);
    let alice = console.member();
    let channel = console.channel();
    assert!(
        fake.permissions_in(channel, alice)
            .contains(Permissions::MANAGE_GUILD)
    );
    console.execute("as bob").await.unwrap();
    let bob = console.member();
    assert!(
        !fake
            .permissions_in(channel, bob)
            .contains(Permissions::MANAGE_GUILD)
    );
    console.execute("grant bob manage-server").await.unwrap();
    assert!(
        fake.permissions_in(channel, bob)
            .contains(Permissions::MANAGE_GUILD)
    );
    console.execute("revoke bob manage-server").await.unwrap();
    assert!(
        !fake
            .permissions_in(channel, bob)
            .contains(Permissions::MANAGE_GUILD)
    );
    console
        .execute("bot deny #wellness send-messages")
        .await
        .unwrap();
    assert!(
        !fake
            .bot_permissions_in(channel)
            .contains(Permissions::SEND_MESSAGES)
    );
    console.execute("channel add standup").await.unwrap();
    console.execute("in #standup").await.unwrap();
    assert_ne!(console.channel(), channel);
    let printed = console.take_output().join("\n");
    assert!(printed.contains("you are in #standup now"), "{printed}");
}
