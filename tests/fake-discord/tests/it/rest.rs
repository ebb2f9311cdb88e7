//! REST: happy paths, Discord's errors, body validation, nonces, permissions.

use std::time::Duration;

use fake_discord::{FindingKind, Options, Permissions, Scope};
use serde_json::{Value, json};

use crate::common::{World, send};

#[tokio::test]
async fn startup_routes_answer_like_discord() {
    let w = World::start().await;
    let (status, gateway) = send(w.http.get(w.url("/gateway"))).await;
    assert_eq!(
        (status, gateway),
        (200, json!({"url": w.fake.gateway_url()})),
        "/gateway needs no token"
    );
    let (status, bot_gateway) = w.get("/gateway/bot").await;
    assert_eq!(status, 200);
    assert_eq!(bot_gateway["shards"], 1);
    assert_eq!(bot_gateway["session_start_limit"]["max_concurrency"], 1);

    let (status, app) = w.get("/oauth2/applications/@me").await;
    assert_eq!(status, 200);
    assert_eq!(app["id"], w.fake.application_id().to_string());
    assert_eq!(app["owner"]["id"], w.fake.application_owner().to_string());
    let (status, me) = w.get("/users/@me").await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["id"].as_str(), me["bot"].as_bool()),
        (Some(w.fake.bot_user_id().to_string().as_str()), Some(true))
    );
    let (status, alice) = w.get(&format!("/users/{}", w.alice)).await;
    assert_eq!((status, alice["username"].as_str()), (200, Some("alice")));
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn the_token_is_checked() {
    let w = World::start().await;
    let (status, body) = send(w.http.get(w.url("/users/@me"))).await;
    assert_eq!(
        (status, body),
        (401, json!({"code": 0, "message": "401: Unauthorized"}))
    );
    let wrong = w
        .http
        .get(w.url("/users/@me"))
        .header("Authorization", "Bot wrong");
    assert_eq!(send(wrong).await.0, 401);
    let bearer = w
        .http
        .get(w.url("/users/@me"))
        .header("Authorization", format!("Bearer {}", w.fake.token()));
    assert_eq!(send(bearer).await.0, 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_discords_error_bodies() {
    let w = World::start().await;
    assert_eq!(
        w.get("/nowhere/at/all").await,
        (404, json!({"code": 0, "message": "404: Not Found"}))
    );
    assert_eq!(
        send(w.http.get(format!("{}/not-the-api", w.fake.api_base())))
            .await
            .0,
        404
    );
    assert_eq!(
        w.put(&format!("/channels/{}/messages", w.channel), json!({}))
            .await,
        (
            405,
            json!({"code": 0, "message": "405: Method Not Allowed"})
        )
    );
    // A route Discord has but the fake does not serve is a finding, so a test notices the gap.
    let (status, _) = w.get(&format!("/guilds/{}/emojis", w.guild)).await;
    assert_eq!(status, 404);
    let gaps = w.fake.fake_bugs();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (gaps[0].kind, gaps[0].route.as_deref()),
        (
            FindingKind::Unimplemented,
            Some("/guilds/{guild_id}/emojis")
        )
    );
}

#[tokio::test]
async fn odd_requests_never_break_the_fake() {
    let w = World::start().await;
    let messages = format!("/channels/{}/messages", w.channel);
    let garbage = w
        .req(reqwest::Method::POST, &messages)
        .header("Content-Type", "application/json")
        .body("{not json");
    let (status, body) = send(garbage).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50109)));
    let huge = w
        .req(reqwest::Method::POST, &messages)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 26 * 1024 * 1024]);
    assert_eq!(send(huge).await.0, 413);
    let (status, body) = w.get("/channels/not-a-snowflake").await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
    assert_eq!(
        body["errors"]["channel_id"]["_errors"][0]["code"],
        "NUMBER_TYPE_COERCE"
    );
    let plain = w
        .req(reqwest::Method::POST, &messages)
        .header("Content-Type", "text/plain")
        .body("hello");
    assert_eq!(send(plain).await.0, 400);
    assert_eq!(w.get(&"/deep".repeat(2000)).await.0, 404);
    // The fake still answers.
    assert_eq!(w.get("/users/@me").await.0, 200);
    assert_eq!(
        w.fake.violations().len(),
        3,
        "bad JSON, a bad snowflake, a bad content type"
    );
}

#[tokio::test]
async fn channels_guilds_and_members_are_served() {
    let w = World::start().await;
    let (status, channel) = w.get(&format!("/channels/{}", w.channel)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (channel["name"].as_str(), channel["type"].as_u64()),
        (Some("wellness"), Some(0))
    );
    assert_eq!(channel["guild_id"], w.guild.to_string());
    let (status, guild) = w
        .get(&format!("/guilds/{}?with_counts=true", w.guild))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            guild["name"].as_str(),
            guild["approximate_member_count"].as_u64()
        ),
        (Some("Team"), Some(3))
    );
    assert_eq!(guild["owner_id"], w.fake.application_owner().to_string());
    let (status, channels) = w.get(&format!("/guilds/{}/channels", w.guild)).await;
    assert_eq!((status, channels.as_array().map(Vec::len)), (200, Some(1)));
    let (status, member) = w
        .get(&format!("/guilds/{}/members/{}", w.guild, w.alice))
        .await;
    assert_eq!(status, 200);
    assert_eq!(member["user"]["username"], "alice");
    let (status, roles) = w.get(&format!("/guilds/{}/roles", w.guild)).await;
    assert_eq!(
        (status, roles.as_array().map(Vec::len)),
        (200, Some(2)),
        "@everyone and the bot's role"
    );
    assert_eq!(
        w.get(&format!("/guilds/{}/members/42", w.guild)).await.1["code"],
        10007
    );
    assert_eq!(w.get("/guilds/42").await.1["code"], 10004);
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn commands_are_registered_listed_and_keep_their_ids() {
    let w = World::start().await;
    let app = w.fake.application_id();
    let first = w.register_commands().await;
    let stretch = &first[0];
    assert_eq!(stretch["name"], "stretch");
    assert_eq!(stretch["application_id"], app.to_string());
    assert_eq!(stretch["type"], 1);
    assert!(stretch["id"].is_string() && stretch["version"].is_string());
    assert_eq!(
        w.fake.registered_commands(Scope::Global),
        first.as_array().unwrap().clone()
    );
    let (status, listed) = w.get(&format!("/applications/{app}/commands")).await;
    assert_eq!((status, &listed), (200, &first));

    // Re-registering the same names keeps the ids; a changed command gets a new version.
    let mut changed = crate::common::commands();
    changed[1]["description"] = json!("Still there?");
    let (_, second) = w
        .put(&format!("/applications/{app}/commands"), changed)
        .await;
    assert_eq!(second[0]["id"], first[0]["id"]);
    assert_eq!(second[0]["version"], first[0]["version"]);
    assert_eq!(second[1]["id"], first[1]["id"]);
    assert_ne!(second[1]["version"], first[1]["version"]);

    let (status, guild_commands) = w
        .put(
            &format!("/applications/{app}/guilds/{}/commands", w.guild),
            json!([{"name": "local", "description": "Guild only"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(guild_commands[0]["guild_id"], w.guild.to_string());
    assert_eq!(w.fake.registered_commands(Scope::Guild(w.guild)).len(), 1);
    let id = guild_commands[0]["id"].as_str().unwrap();
    assert_eq!(
        w.delete(&format!(
            "/applications/{app}/guilds/{}/commands/{id}",
            w.guild
        ))
        .await
        .0,
        204
    );
    assert!(w.fake.registered_commands(Scope::Guild(w.guild)).is_empty());
    assert_eq!(
        w.get(&format!("/applications/{app}/commands/{id}")).await.1["code"],
        10063
    );
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn messages_are_created_edited_fetched_listed_and_deleted() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let embed = json!({"title": "Cat-cow", "description": "Arch and round", "fields": [{"name": "Time", "value": "1 min"}]});
    let (status, m1) = w
        .post(
            &path,
            json!({"content": "Stretch time!", "embeds": [embed]}),
        )
        .await;
    assert_eq!(status, 200, "{m1}");
    assert_eq!(m1["content"], "Stretch time!");
    assert_eq!(m1["author"]["id"], w.fake.bot_user_id().to_string());
    assert_eq!(m1["embeds"][0]["type"], "rich");
    assert_eq!(m1["embeds"][0]["fields"][0]["inline"], false);
    assert_eq!(m1["edited_timestamp"], Value::Null);
    let buttons = json!([{"type": 1, "components": [{"type": 2, "style": 1, "label": "Done", "custom_id": "done"}]}]);
    let (_, m2) = w
        .post(&path, json!({"content": "second", "components": buttons}))
        .await;
    assert_eq!(m2["components"][0]["id"], 1, "Discord numbers components");
    assert_eq!(m2["components"][0]["components"][0]["id"], 2);
    let id1: u64 = m1["id"].as_str().unwrap().parse().unwrap();
    let id2: u64 = m2["id"].as_str().unwrap().parse().unwrap();
    assert!(id2 > id1, "snowflakes grow");
    assert!(id1 >> 22 > 0, "a timestamp from the Discord epoch");

    let (status, edited) = w
        .patch(
            &format!("{path}/{id1}"),
            json!({"content": "Stretch time (edited)"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(edited["edited_timestamp"].is_string());
    assert_eq!(
        edited["embeds"][0]["title"], "Cat-cow",
        "fields not in the edit stay"
    );
    assert_eq!(
        w.get(&format!("{path}/{id1}")).await.1["content"],
        "Stretch time (edited)"
    );

    let (_, newest_first) = w.get(&format!("{path}?limit=10")).await;
    assert_eq!(
        newest_first
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect::<Vec<_>>(),
        vec![m2["id"].clone(), m1["id"].clone()]
    );
    let (_, before) = w.get(&format!("{path}?limit=1&before={id2}")).await;
    assert_eq!(before[0]["id"], m1["id"]);
    let (status, bad_limit) = w.get(&format!("{path}?limit=500")).await;
    assert_eq!((status, bad_limit["code"].as_u64()), (400, Some(50035)));
    assert_eq!(
        w.fake.violations().len(),
        1,
        "a limit over 100 is the bot's mistake"
    );

    assert_eq!(w.delete(&format!("{path}/{id1}")).await.0, 204);
    assert_eq!(w.get(&format!("{path}/{id1}")).await.1["code"], 10008);
    assert_eq!(w.fake.messages(w.channel).len(), 1);
}

#[tokio::test]
async fn invalid_message_bodies_get_50035_or_50006_and_are_violations() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let (status, body) = w.post(&path, json!({"content": "x".repeat(2001)})).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 50035);
    assert_eq!(body["message"], "Invalid Form Body");
    assert_eq!(
        body["errors"]["content"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    assert_eq!(
        w.post(&path, json!({"content": ""})).await,
        (
            400,
            json!({"code": 50006, "message": "Cannot send an empty message"})
        )
    );
    let twins = json!([{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "a", "custom_id": "same"},
        {"type": 2, "style": 1, "label": "b", "custom_id": "same"}]}]);
    assert_eq!(
        w.post(&path, json!({"content": "hi", "components": twins}))
            .await
            .0,
        400
    );
    let violations = w.fake.violations();
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert_eq!(violations[0].problems[0].pointer, "/content");
    assert!(w.fake.messages(w.channel).is_empty());
    let result = std::panic::catch_unwind(|| w.fake.assert_no_violations());
    assert!(result.is_err(), "violations fail the assertion");
}

#[tokio::test]
async fn the_spec_refuses_invalid_bodies_and_unknown_keys() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let (status, body) = w
        .post(
            &path,
            json!({"content": "hi", "embeds": [{"title": "t".repeat(300)}]}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (400, Some(50035)),
        "{body}"
    );
    assert!(body["errors"]["embeds"].is_object(), "{body}");
    let (status, body) = w.post(&path, json!({"content": "hi", "colour": 5})).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (400, Some(50035)),
        "unknown keys are refused: {body}"
    );
    let app = w.fake.application_id();
    let (status, _) = w
        .put(
            &format!("/applications/{app}/commands"),
            json!([{"name": "x".repeat(40), "description": "d"}]),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.violations().len(), 3);
    assert!(w.fake.messages(w.channel).is_empty());
}

#[tokio::test]
async fn nonces_dedupe_within_the_window_and_expire_after_it() {
    let w = World::with(Options {
        nonce_window: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let path = format!("/channels/{}/messages", w.channel);
    let body = json!({"content": "once", "nonce": "stretch-2024-06-01", "enforce_nonce": true});
    let (_, first) = w.post(&path, body.clone()).await;
    let (status, again) = w.post(&path, body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], first["id"], "the first message comes back");
    assert_eq!(w.fake.messages(w.channel).len(), 1);
    let mut unenforced = body.clone();
    unenforced["enforce_nonce"] = json!(false);
    assert_ne!(
        w.post(&path, unenforced).await.1["id"],
        first["id"],
        "without enforce_nonce, a new message"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_ne!(
        w.post(&path, body).await.1["id"],
        first["id"],
        "after the window, a new message"
    );
    assert_eq!(w.fake.messages(w.channel).len(), 3);
}

#[tokio::test]
async fn channel_permissions_are_enforced_on_message_create() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let hello = json!({"content": "hello"});
    w.fake.deny_bot(w.channel, Permissions::EMBED_LINKS);
    let (status, body) = w
        .post(&path, json!({"content": "x", "embeds": [{"title": "t"}]}))
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"code": 50013, "message": "Missing Permissions"})
        )
    );
    assert_eq!(
        w.post(&path, hello.clone()).await.0,
        200,
        "text without embeds is fine"
    );
    w.fake.deny_bot(w.channel, Permissions::SEND_MESSAGES);
    assert_eq!(w.post(&path, hello.clone()).await.1["code"], 50013);
    w.fake.deny_bot(w.channel, Permissions::VIEW_CHANNEL);
    assert_eq!(
        w.post(&path, hello.clone()).await,
        (403, json!({"code": 50001, "message": "Missing Access"}))
    );
    assert_eq!(
        w.get(&format!("/channels/{}", w.channel)).await.1["code"],
        50001
    );
    w.fake.allow_bot(
        w.channel,
        Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS,
    );
    assert_eq!(w.post(&path, hello.clone()).await.0, 200);
    assert_eq!(
        w.post("/channels/1234/messages", hello).await,
        (404, json!({"code": 10003, "message": "Unknown Channel"}))
    );
    assert_eq!(
        w.fake.invalid_request_count(),
        4,
        "four 403s; a 404 is not counted"
    );
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn replies_reference_a_message_of_the_channel() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let (_, original) = w.post(&path, json!({"content": "Stretch at 10"})).await;
    let reference = json!({"message_id": original["id"], "fail_if_not_exists": true});
    let (status, reply) = w
        .post(
            &path,
            json!({"content": "Done!", "message_reference": reference}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(reply["type"], 19);
    assert_eq!(reply["message_reference"]["message_id"], original["id"]);
    let gone = json!({"content": "?", "message_reference": {"message_id": "42"}});
    let (status, body) = w.post(&path, gone).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
    let lenient = json!({"content": "fine", "message_reference": {"message_id": "42", "fail_if_not_exists": false}});
    assert_eq!(w.post(&path, lenient).await.1["type"], 0);
    w.fake.assert_no_violations();
}
