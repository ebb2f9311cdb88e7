//! The lookup commands end to end: the real bot (serenity + poise) against the fake Discord, every body
//! checked against Discord's OpenAPI spec by the fake.

mod support;

use fake_discord::{Direction, Event, Fault, MessageId, RateLimitScope, Scope, focused, opt, sub};
use serde_json::Value;
use stretchbot::domain::catalog::{Difficulty, SAFETY_LINE, Vocabulary};
use support::{Mode, Setup, TestApp, WAIT, add_schedule, spawn_app, spawn_app_at, spawn_app_with};

/// Discord's EPHEMERAL message flag.
const EPHEMERAL: u64 = 1 << 6;

async fn run_command(app: &TestApp, subcommand: &str, options: Vec<fake_discord::Opt>) -> Value {
    let interaction = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub(subcommand, options)],
        )
        .await
        .expect("the fake delivers the command");
    interaction
        .wait_response(WAIT)
        .await
        .expect("the bot answers in time")
}

fn is_ephemeral(reply: &Value) -> bool {
    reply["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
}

fn embed_text(embed: &Value) -> String {
    let mut text = format!("{}\n{}\n", embed["title"], embed["description"]);
    for field in embed["fields"].as_array().into_iter().flatten() {
        text.push_str(&format!("{}\n{}\n", field["name"], field["value"]));
    }
    text.push_str(embed["footer"]["text"].as_str().unwrap_or_default());
    text
}

#[tokio::test]
async fn the_bot_registers_its_commands_with_valid_bodies() {
    let app = spawn_app(Mode::Proxy).await;
    let commands = app.fake.registered_commands(Scope::Guild(app.guild));
    let stretch = commands
        .iter()
        .find(|command| command["name"] == "stretch")
        .expect("/stretch is registered");
    let subcommands: Vec<&str> = stretch["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| option["name"].as_str().unwrap())
        .collect();
    assert_eq!(subcommands, ["show", "random", "timer", "list", "today"]);
    // Where each command may be installed and used (application-commands.mdx).
    let contexts = |name: &str| {
        let command = commands
            .iter()
            .find(|command| command["name"] == name)
            .unwrap_or_else(|| panic!("/{name} is registered"));
        (
            command["integration_types"].clone(),
            command["contexts"].clone(),
        )
    };
    for anywhere in ["stretch", "help"] {
        assert_eq!(
            contexts(anywhere),
            (serde_json::json!([0, 1]), serde_json::json!([0, 1, 2])),
            "/{anywhere}"
        );
    }
    for servers_only in ["schedule", "stats"] {
        assert_eq!(
            contexts(servers_only),
            (serde_json::json!([0]), serde_json::json!([0])),
            "/{servers_only}"
        );
    }
    // Everything went to the fake: nothing fell back to the real Discord.
    assert!(!app.fake.requests().is_empty());
    let session = app.fake.session().expect("a gateway session");
    assert_eq!(
        session.intents.bits(),
        1,
        "GUILDS only, no privileged intents"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn show_answers_with_the_full_card() {
    let app = spawn_app(Mode::Proxy).await;
    let reply = run_command(&app, "show", vec![opt("name", "thread-the-needle")]).await;
    assert_eq!(reply["type"], 4, "{reply}");
    assert!(!is_ephemeral(&reply));
    let embed = &reply["data"]["embeds"][0];
    let entry = app.catalog.get("thread-the-needle").unwrap();
    assert_eq!(embed["title"], entry.name.as_str());
    let text = embed_text(embed);
    for (number, step) in entry.steps.iter().enumerate() {
        assert!(
            text.contains(&format!("{}. {step}", number + 1)),
            "step {} in {text}",
            number + 1
        );
    }
    assert!(text.contains(SAFETY_LINE), "{text}");
    assert!(
        text.contains("hold 5–10 s") && text.contains("each side"),
        "{text}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

/// The card's picture: uploaded as the request's one file, shown as the stored message's embed image.
fn assert_carries_picture(app: &TestApp, reply: &Value, entry_id: &str) {
    let entry = app.catalog.get(entry_id).unwrap();
    let drawn = stretchbot::render::card_picture(entry).unwrap();
    let embed = &reply["data"]["embeds"][0];
    assert_eq!(
        embed["image"]["url"],
        format!("attachment://{}", drawn.file_name),
        "{reply}"
    );
    let upload = app
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|request| request.path.ends_with("/callback"))
        .expect("the interaction response");
    let files: Vec<_> = upload
        .parts
        .iter()
        .filter(|part| part.name.as_deref() != Some("payload_json"))
        .collect();
    assert_eq!(files.len(), 1, "{:?}", upload.parts);
    assert_eq!(files[0].filename.as_deref(), Some(drawn.file_name.as_str()));
    assert_eq!(files[0].size, drawn.bytes.len());
    let stored = app
        .fake
        .messages(app.channel)
        .into_iter()
        .rev()
        .find(|message| message["embeds"][0]["title"] == entry.name.as_str())
        .expect("the card is stored");
    let image = stored["embeds"][0]["image"]["url"]
        .as_str()
        .unwrap_or_default();
    assert!(
        image.ends_with(&format!("/{}", drawn.file_name)),
        "{stored}"
    );
}

#[tokio::test]
async fn show_and_random_cards_carry_the_entrys_picture() {
    let app = spawn_app(Mode::Proxy).await;
    let moving = app
        .catalog
        .entries()
        .iter()
        .find(|entry| stretchbot::render::animation(entry).unwrap().is_some())
        .expect("an entry that moves");
    let reply = run_command(&app, "show", vec![opt("name", moving.id.to_string())]).await;
    assert_carries_picture(&app, &reply, &moving.id.to_string());
    assert!(
        reply["data"]["embeds"][0]["image"]["url"]
            .as_str()
            .is_some_and(|url| url.ends_with(".gif"))
    );

    let reply = run_command(&app, "random", vec![]).await;
    let title = reply["data"]["embeds"][0]["title"].as_str().unwrap();
    let picked = app
        .catalog
        .entries()
        .iter()
        .find(|entry| entry.name == title)
        .expect("a catalog entry");
    assert_carries_picture(&app, &reply, &picked.id.to_string());
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn show_accepts_a_typed_name_or_alias() {
    let app = spawn_app(Mode::Proxy).await;
    let reply = run_command(&app, "show", vec![opt("name", "child's pose")]).await;
    assert_eq!(reply["data"]["embeds"][0]["title"], "Child's Pose");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn every_catalog_card_is_accepted_by_discord() {
    let app = spawn_app(Mode::Proxy).await;
    for entry in app.catalog.entries() {
        let reply = run_command(&app, "show", vec![opt("name", entry.id.as_str())]).await;
        let text = embed_text(&reply["data"]["embeds"][0]);
        assert!(text.contains(SAFETY_LINE), "{}", entry.id);
        assert!(text.contains(entry.steps.last().unwrap()), "{}", entry.id);
    }
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_name_gets_an_ephemeral_hint() {
    let app = spawn_app(Mode::Proxy).await;
    let reply = run_command(&app, "show", vec![opt("name", "thred the neede")]).await;
    assert!(is_ephemeral(&reply), "{reply}");
    let content = reply["data"]["content"].as_str().unwrap();
    assert!(
        content.contains("Did you mean **Thread the Needle**"),
        "{content}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn autocomplete_offers_close_matches_within_discords_limit() {
    let app = spawn_app(Mode::Proxy).await;
    for (typed, expected_first) in [
        ("thre", "thread-the-needle"),
        ("cobar", "cobra-pose"),
        ("", "cat-cow"),
    ] {
        let interaction = app
            .fake
            .autocomplete(
                app.guild,
                app.channel,
                app.member,
                "stretch",
                [sub("show", [focused("name", typed)])],
            )
            .await
            .unwrap();
        let reply = interaction.wait_response(WAIT).await.unwrap();
        assert_eq!(reply["type"], 8, "{reply}");
        let choices = reply["data"]["choices"].as_array().unwrap();
        assert!(
            !choices.is_empty() && choices.len() <= 25,
            "{typed}: {reply}"
        );
        assert_eq!(choices[0]["value"], expected_first, "{typed}: {reply}");
    }
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn random_respects_filters_and_explains_when_nothing_matches() {
    let app = spawn_app(Mode::Proxy).await;
    let reply = run_command(
        &app,
        "random",
        vec![opt("position", 1), opt("difficulty", 0)],
    )
    .await;
    let title = reply["data"]["embeds"][0]["title"]
        .as_str()
        .expect("a card")
        .to_owned();
    let entry = app
        .catalog
        .entries()
        .iter()
        .find(|entry| entry.name == title)
        .unwrap();
    assert_eq!(entry.position.as_str(), "standing");
    assert_eq!(entry.difficulty.as_str(), "easy");

    // Standing and advanced: nothing in the catalog.
    let reply = run_command(
        &app,
        "random",
        vec![opt("position", 1), opt("difficulty", 2)],
    )
    .await;
    assert!(is_ephemeral(&reply), "{reply}");
    assert!(
        reply["data"]["content"]
            .as_str()
            .unwrap()
            .contains("No stretch matches standing, advanced")
    );

    // No filter: never an advanced entry, and the reply says how to ask for one.
    for _ in 0..12 {
        let reply = run_command(&app, "random", vec![]).await;
        let title = reply["data"]["embeds"][0]["title"].as_str().unwrap();
        assert_ne!(title, "Wheel Pose", "{reply}");
        assert!(
            reply["data"]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("`/stretch random difficulty:Advanced`"),
            "{reply}"
        );
    }
    let asked = run_command(&app, "random", vec![opt("difficulty", 2)]).await;
    assert_eq!(asked["data"]["embeds"][0]["title"], "Wheel Pose", "{asked}");
    assert!(asked["data"]["content"].is_null(), "{asked}");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn list_pages_with_buttons() {
    let app = spawn_app(Mode::Proxy).await;
    let interaction = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub("list", [])],
        )
        .await
        .unwrap();
    let reply = interaction.wait_response(WAIT).await.unwrap();
    assert!(is_ephemeral(&reply), "{reply}");
    assert!(
        reply["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .ends_with("(1 of 3)"),
        "{reply}"
    );
    let buttons = &reply["data"]["components"][0]["components"];
    assert_eq!(buttons[0]["disabled"], true, "no previous page on page 1");
    let next = buttons[1]["custom_id"].as_str().unwrap().to_owned();

    let message = interaction
        .original_message()
        .expect("the list message exists");
    let message_id = MessageId::new(message["id"].as_str().unwrap().parse().unwrap());
    let click = app
        .fake
        .click_button(app.guild, app.channel, app.member, message_id, &next)
        .await
        .unwrap();
    let update = click.wait_response(WAIT).await.unwrap();
    assert_eq!(update["type"], 7, "the page is updated in place: {update}");
    assert!(
        update["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .ends_with("(2 of 3)"),
        "{update}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_list_page_of_one_entry_carries_its_picture_and_a_page_of_several_none() {
    let app = spawn_app(Mode::Proxy).await;
    let advanced: Vec<_> = app
        .catalog
        .entries()
        .iter()
        .filter(|entry| entry.difficulty == Difficulty::Advanced)
        .collect();
    let [only] = advanced[..] else {
        panic!("the catalog has one advanced entry: {advanced:?}");
    };
    let drawn = stretchbot::render::card_picture(only).unwrap();
    let advanced_choice = Difficulty::ALL
        .iter()
        .position(|difficulty| *difficulty == only.difficulty)
        .unwrap();
    let interaction = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub("list", [opt("difficulty", advanced_choice)])],
        )
        .await
        .unwrap();
    let reply = interaction.wait_response(WAIT).await.unwrap();
    assert_eq!(
        reply["data"]["embeds"][0]["image"]["url"],
        format!("attachment://{}", drawn.file_name),
        "{reply}"
    );
    let upload = app
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|request| request.path.ends_with("/callback"))
        .expect("the list's reply");
    let files: Vec<_> = upload
        .parts
        .iter()
        .filter(|part| part.name.as_deref() != Some("payload_json"))
        .map(|part| (part.filename.clone(), part.size))
        .collect();
    assert_eq!(files, [(Some(drawn.file_name.clone()), drawn.bytes.len())]);
    let message = interaction.original_message().expect("the list message");
    let image = message["embeds"][0]["image"]["url"]
        .as_str()
        .unwrap_or_default();
    assert!(
        image.ends_with(&format!("/{}", drawn.file_name)),
        "{message}"
    );

    let several = run_command(&app, "list", vec![]).await;
    assert!(
        several["data"]["embeds"][0].get("image").is_none(),
        "{several}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn commands_still_work_after_a_gateway_reconnect() {
    let app = spawn_app(Mode::Proxy).await;
    let session = app.fake.session().unwrap().session_id;
    assert!(app.fake.reconnect_gateway().await);
    app.fake
        .wait_until(WAIT, "the bot to RESUME its session", |fake| {
            fake.transcript()
                .into_iter()
                .find_map(|entry| match entry.event {
                    Event::Gateway(frame)
                        if frame.direction == Direction::Received
                            && frame.payload["op"] == 6
                            && frame.payload["d"]["session_id"] == session.as_str() =>
                    {
                        Some(())
                    }
                    _ => None,
                })
        })
        .await
        .expect("the bot resumes its session");
    assert_eq!(
        app.fake.session().unwrap().session_id,
        session,
        "the same session goes on"
    );
    let reply = run_command(&app, "show", vec![opt("name", "cat-cow")]).await;
    assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn tls_mode_keeps_serenitys_rate_limiter_and_works() {
    let app = spawn_app(Mode::Tls).await;
    let reply = run_command(&app, "show", vec![opt("name", "cat-cow")]).await;
    assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");
    assert!(
        app.fake.requests().iter().any(|exchange| exchange.tls),
        "requests came over TLS"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn shutdown_closes_the_gateway_and_returns() {
    let app = spawn_app(Mode::Proxy).await;
    let fake = app.stop().await;
    fake.wait_until(WAIT, "the gateway to close", |fake| {
        fake.session()
            .is_none_or(|session| !session.connected)
            .then_some(())
    })
    .await
    .expect("the bot closed its gateway connection");
    fake.assert_no_violations();
}

#[tokio::test]
async fn in_proxy_mode_the_bot_retries_a_rate_limited_reply_and_error_reply() {
    let app = spawn_app(Mode::Proxy).await;
    let rate_limit_the_next_callback = || {
        app.fake.inject(Fault::RateLimited {
            route: "POST /interactions/{interaction_id}/{interaction_token}/callback".into(),
            retry_after: std::time::Duration::from_millis(300),
            scope: RateLimitScope::User,
            times: 1,
        })
    };
    let callbacks = || -> Vec<u16> {
        app.fake
            .requests()
            .iter()
            .filter(|exchange| exchange.path.ends_with("/callback"))
            .map(|exchange| exchange.status)
            .collect()
    };
    rate_limit_the_next_callback();
    let reply = run_command(&app, "show", vec![opt("name", "cat-cow")]).await;
    assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");
    assert_eq!(
        callbacks(),
        [429, 204],
        "one 429, then the retry went through"
    );

    // A member's mistake is answered by the error handler, under the same limiter.
    rate_limit_the_next_callback();
    let refused = run_command(&app, "show", vec![opt("name", "zzzz")]).await;
    assert!(is_ephemeral(&refused), "{refused}");
    let content = refused["data"]["content"].as_str().unwrap_or_default();
    assert!(content.contains("No stretch is called `zzzz`"), "{content}");
    assert_eq!(
        callbacks(),
        [429, 204, 429, 204],
        "the error reply met one 429 and its retry went through"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_reply_that_meets_a_server_error_is_sent_again() {
    for mode in [Mode::Proxy, Mode::Tls] {
        let app = spawn_app(mode).await;
        app.fake.inject(Fault::ServerError {
            route: "POST /interactions/{interaction_id}/{interaction_token}/callback".into(),
            status: 502,
            times: 1,
        });
        let reply = run_command(&app, "show", vec![opt("name", "cat-cow")]).await;
        assert_eq!(reply["data"]["embeds"][0]["title"], "Cat-Cow");
        let callbacks: Vec<u16> = app
            .fake
            .requests()
            .iter()
            .filter(|exchange| exchange.path.ends_with("/callback"))
            .map(|exchange| exchange.status)
            .collect();
        assert_eq!(
            callbacks,
            [502, 204],
            "one 502, then the retry went through"
        );
        app.fake.assert_no_violations();
        app.stop().await;
    }
}

#[tokio::test]
async fn a_command_the_bot_no_longer_has_gets_a_private_note() {
    let app = spawn_app(Mode::Proxy).await;
    // A global command left registered by an older version of the bot, which registers per guild.
    let registered = reqwest::Client::new()
        .post(format!(
            "{}/api/v10/applications/{}/commands",
            app.fake.api_base(),
            app.fake.application_id()
        ))
        .header("Authorization", format!("Bot {}", app.fake.token()))
        .header("Content-Type", "application/json")
        .body(r#"{"name": "breathe", "description": "Breathe along", "type": 1}"#)
        .send()
        .await
        .expect("the fake answers");
    assert!(registered.status().is_success(), "{registered:?}");

    let reply = app
        .fake
        .invoke_command(app.guild, app.channel, app.member, "breathe", [])
        .await
        .expect("the fake delivers the command")
        .wait_response(WAIT)
        .await
        .expect("the bot answers a command it does not know");
    assert!(is_ephemeral(&reply), "{reply}");
    let content = reply["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("Please try again in a minute"),
        "{content}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn show_with_a_body_area_lists_the_stretches_for_it() {
    let app = spawn_app(Mode::Proxy).await;
    let reply = run_command(&app, "show", vec![opt("name", "shoulders")]).await;
    assert!(is_ephemeral(&reply), "{reply}");
    let embed = &reply["data"]["embeds"][0];
    assert_eq!(embed["title"], "Stretches for the shoulders", "{reply}");
    let listed = embed["description"].as_str().unwrap();
    for entry in app.catalog.for_area("shoulders") {
        assert!(listed.contains(&entry.name), "{} in {listed}", entry.name);
    }
    let unknown = run_command(&app, "show", vec![opt("name", "elbows")]).await;
    assert!(
        unknown["data"]["content"]
            .as_str()
            .unwrap()
            .contains("No stretch is called `elbows`"),
        "{unknown}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn help_lists_the_commands_privately_and_its_buttons_work() {
    let app = spawn_app(Mode::Proxy).await;
    let interaction = app
        .fake
        .invoke_command(app.guild, app.channel, app.member, "help", [])
        .await
        .expect("the fake delivers /help");
    let reply = interaction.wait_response(WAIT).await.unwrap();
    assert!(is_ephemeral(&reply), "{reply}");
    let text = embed_text(&reply["data"]["embeds"][0]);
    for line in [
        "`/stretch random`",
        "`/stretch timer`",
        "`/schedule add`",
        "`/help`",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(text.contains(SAFETY_LINE), "{text}");
    assert!(text.contains("Privacy"), "{text}");
    let buttons = reply["data"]["components"][0]["components"]
        .as_array()
        .unwrap()
        .clone();
    let message = interaction.original_message().expect("the help message");
    let message_id = MessageId::new(message["id"].as_str().unwrap().parse().unwrap());
    let mut answers = Vec::new();
    for button in &buttons {
        let click = app
            .fake
            .click_button(
                app.guild,
                app.channel,
                app.member,
                message_id,
                button["custom_id"].as_str().unwrap(),
            )
            .await
            .expect("the help buttons can be clicked");
        answers.push(click.wait_response(WAIT).await.unwrap());
    }
    let [card, timer] = &answers[..] else {
        panic!("two buttons: {buttons:?}");
    };
    assert_eq!(card["type"], 4, "{card}");
    assert!(is_ephemeral(card), "{card}");
    let title = card["data"]["embeds"][0]["title"].as_str().unwrap();
    assert!(
        app.catalog
            .entries()
            .iter()
            .any(|entry| entry.name == title),
        "{card}"
    );
    assert_ne!(title, "Wheel Pose");
    assert_eq!(timer["type"], 4, "{timer}");
    assert!(
        timer["data"]["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .starts_with('⏱'),
        "{timer}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn today_shows_the_stretch_posted_in_the_channel_today_with_its_buttons() {
    // 09:00 in Berlin is 08:00Z; the bot's clock starts a few seconds before.
    let app = spawn_app_at(Mode::Proxy, "2027-03-01T07:59:56Z".parse().unwrap()).await;
    let nothing = run_command(&app, "today", vec![]).await;
    assert!(is_ephemeral(&nothing), "{nothing}");
    assert!(
        nothing["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Nothing was posted in this channel today"),
        "{nothing}"
    );
    add_schedule(
        &app,
        vec![opt("times", "09:00"), opt("tz", "Europe/Berlin")],
    )
    .await;
    let post = app
        .fake
        .wait_until(WAIT, "the scheduled post", |fake| {
            fake.messages(app.channel)
                .into_iter()
                .find(|message| !message["embeds"][0]["title"].is_null())
        })
        .await
        .expect("the stretch of the day is posted");
    // The post is confirmed in the store just after Discord has it: ask again until it is.
    let mut today = run_command(&app, "today", vec![]).await;
    for _ in 0..20 {
        if !today["data"]["embeds"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        today = run_command(&app, "today", vec![]).await;
    }
    assert!(is_ephemeral(&today), "{today}");
    assert_eq!(
        today["data"]["embeds"][0]["title"], post["embeds"][0]["title"],
        "{today}"
    );
    assert!(
        today["data"]["content"]
            .as_str()
            .unwrap()
            .contains("by schedule #1"),
        "{today}"
    );
    let buttons: Vec<&str> = today["data"]["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|button| button["custom_id"].as_str().unwrap())
        .collect();
    assert!(buttons[0].starts_with("timer-start:"), "{buttons:?}");
    assert!(
        buttons[1].starts_with("did-it:") && buttons[1].ends_with(":1"),
        "{buttons:?}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

/// A member who installed the bot to their own account uses it in their DM with it: no guild in the
/// interaction, authorized by their install. The server-only commands are not offered there.
#[tokio::test]
async fn a_user_install_is_answered_in_a_dm_without_a_guild() {
    let app = spawn_app_with(Setup {
        global_commands: true,
        ..Setup::new(Mode::Proxy)
    })
    .await;
    app.fake.install_to_user(app.member);
    let run = |name: &'static str, options: Vec<fake_discord::Opt>| {
        let app = &app;
        async move {
            let interaction = app
                .fake
                .invoke_dm_command(app.member, name, options)
                .await?;
            assert!(interaction.payload()["guild_id"].is_null());
            assert_eq!(interaction.payload()["context"], 1);
            assert_eq!(
                interaction.payload()["authorizing_integration_owners"],
                serde_json::json!({"1": app.member.to_string()})
            );
            Ok::<Value, fake_discord::InvokeError>(interaction.wait_response(WAIT).await.unwrap())
        }
    };
    let card = run("stretch", vec![sub("show", [opt("name", "cat-cow")])])
        .await
        .expect("/stretch is offered in DMs to a user install");
    assert_eq!(card["data"]["embeds"][0]["title"], "Cat-Cow", "{card}");
    let help = run("help", vec![]).await.expect("/help is offered in DMs");
    assert!(is_ephemeral(&help), "{help}");
    let today = run("stretch", vec![sub("today", [])]).await.unwrap();
    assert!(
        today["data"]["content"]
            .as_str()
            .unwrap()
            .contains("No reminder was sent to you today"),
        "{today}"
    );
    for servers_only in ["schedule", "stats"] {
        let refused = app
            .fake
            .invoke_dm_command(app.member, servers_only, [sub("list", [])])
            .await
            .err();
        assert!(
            matches!(refused, Some(fake_discord::InvokeError::NotFound(_))),
            "/{servers_only} is not offered in a DM: {refused:?}"
        );
    }
    app.fake.assert_no_violations();
    app.stop().await;
}
