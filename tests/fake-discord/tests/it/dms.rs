//! Direct messages: Create DM, messages to a DM through the normal route, and 50007 when the member's
//! DMs are closed.

use fake_discord::FindingKind;
use serde_json::{Value, json};

use crate::common::World;

#[tokio::test]
async fn create_dm_returns_one_dm_channel_per_user_and_messages_go_through_the_channel_route() {
    let w = World::start().await;
    let (status, dm) = w
        .post(
            "/users/@me/channels",
            json!({"recipient_id": w.alice.to_string()}),
        )
        .await;
    assert_eq!(status, 200, "{dm}");
    assert_eq!(dm["type"], 1);
    assert_eq!(dm["recipients"][0]["id"], w.alice.to_string());
    let (_, again) = w
        .post(
            "/users/@me/channels",
            json!({"recipient_id": w.alice.to_string()}),
        )
        .await;
    assert_eq!(again["id"], dm["id"], "asking again gives the same channel");
    let channel = dm["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.fake.dm_channel(w.alice).map(|c| c.to_string()),
        Some(channel.clone())
    );

    let path = format!("/channels/{channel}/messages");
    let body = json!({"content": "time to stretch", "nonce": "sb1-x", "enforce_nonce": true,
        "embeds": [{"title": "Cat-Cow"}]});
    let (status, sent) = w.post(&path, body.clone()).await;
    assert_eq!(status, 200, "{sent}");
    let (_, repeat) = w.post(&path, body).await;
    assert_eq!(repeat["id"], sent["id"], "nonces dedupe in DMs too");
    assert_eq!(w.fake.dms(w.alice).len(), 1);
    assert_eq!(w.fake.dms(w.alice)[0]["content"], "time to stretch");
    let (status, listed) = w.get(&path).await;
    assert_eq!((status, listed[0]["id"].clone()), (200, sent["id"].clone()));
    let (status, fetched) = w.get(&format!("/channels/{channel}")).await;
    assert_eq!((status, fetched["type"].clone()), (200, json!(1)));
    assert_eq!(fetched["last_message_id"], sent["id"]);
    assert!(
        w.fake.messages(w.channel).is_empty(),
        "nothing lands in the guild"
    );
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn a_member_with_dms_closed_gets_nothing_and_the_bot_gets_50007() {
    let w = World::start().await;
    let (_, dm) = w
        .post(
            "/users/@me/channels",
            json!({"recipient_id": w.alice.to_string()}),
        )
        .await;
    let path = format!("/channels/{}/messages", dm["id"].as_str().unwrap());
    w.fake.close_dms(w.alice);
    let (status, body) = w.post(&path, json!({"content": "hello"})).await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"code": 50007, "message": "Cannot send messages to this user"})
        )
    );
    assert!(w.fake.dms(w.alice).is_empty());
    w.fake.open_dms(w.alice);
    assert_eq!(w.post(&path, json!({"content": "hello"})).await.0, 200);
    assert_eq!(w.fake.dms(w.alice).len(), 1);
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn create_dm_bodies_are_checked() {
    let w = World::start().await;
    let (status, body) = w.post("/users/@me/channels", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!(50035)));
    let (status, body) = w
        .post(
            "/users/@me/channels",
            json!({"recipient_id": "not-a-snowflake"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let bot = w.fake.bot_user_id().to_string();
    let (status, body) = w
        .post("/users/@me/channels", json!({"recipient_id": bot}))
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(50033)));
    assert!(
        w.fake
            .violations()
            .iter()
            .all(|f| f.kind == FindingKind::Request),
        "the fake's own responses follow the spec"
    );
    assert!(w.fake.fake_bugs().is_empty(), "{:?}", w.fake.fake_bugs());
    assert_eq!(w.fake.violations().len(), 2, "{:?}", w.fake.violations());
}

#[tokio::test]
async fn a_button_in_a_dm_and_a_command_in_a_dm_arrive_without_a_guild_and_are_answered() {
    let w = World::start().await;
    w.register_commands().await;
    let mut gw = w.connect_bot(1).await;
    let channel = w.fake.open_dm(w.alice);
    let body = json!({"content": "reminder", "components": [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": "in 1 h", "custom_id": "snooze:60"}]}]});
    let (status, sent) = w.post(&format!("/channels/{channel}/messages"), body).await;
    assert_eq!(status, 200, "{sent}");
    let message = fake_discord::MessageId::new(sent["id"].as_str().unwrap().parse().unwrap());
    let click = w
        .fake
        .click_dm_button(w.alice, message, "snooze:60")
        .await
        .expect("clicked");
    let event = gw.dispatch().await;
    let d = &event["d"];
    assert_eq!(d, click.payload());
    assert_eq!(d["user"]["id"], w.alice.to_string());
    assert!(
        d.get("guild_id").is_none() && d.get("member").is_none(),
        "{d}"
    );
    assert_eq!(
        (d["context"].clone(), d["channel"]["type"].clone()),
        (json!(1), json!(1))
    );
    let (status, _) = w
        .post(
            &format!("/interactions/{}/{}/callback", click.id(), click.token()),
            json!({"type": 4, "data": {"content": "snoozed", "flags": 64}}),
        )
        .await;
    assert_eq!(status, 204);
    let command = w
        .fake
        .invoke_dm_command(w.alice, "ping", [])
        .await
        .expect("a global command in a DM");
    assert_eq!(gw.dispatch().await["d"]["channel_id"], channel.to_string());
    let (status, _) = w
        .post(
            &format!(
                "/interactions/{}/{}/callback",
                command.id(),
                command.token()
            ),
            json!({"type": 4, "data": {"content": "pong"}}),
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        w.fake
            .click_dm_button(w.fake.application_owner(), message, "snooze:60")
            .await
            .is_err(),
        "only the DM's member clicks in it"
    );
    w.fake.assert_no_violations();
}

/// `integration_types` and `contexts` decide where Discord's client offers a command
/// (application-commands.mdx): a user install reaches only USER_INSTALL commands in DMs, and a command
/// without the GUILD context is not offered in servers.
#[tokio::test]
async fn installs_and_contexts_decide_where_a_command_is_offered() {
    let w = World::start().await;
    let app = w.fake.application_id();
    let command = |name: &str, types: Value, contexts: Value| {
        json!({"name": name, "description": "d", "type": 1,
            "integration_types": types, "contexts": contexts})
    };
    let (status, body) = w
        .put(
            &format!("/applications/{app}/commands"),
            json!([
                command("anywhere", json!([0, 1]), json!([0, 1, 2])),
                command("servers", json!([0]), json!([0])),
                command("dms", json!([0]), json!([1])),
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let _gw = w.connect_bot(1).await;

    // Through the server install, the bot's DM offers commands with the BOT_DM context.
    let dm = w.fake.invoke_dm_command(w.alice, "dms", []).await.unwrap();
    assert_eq!(
        dm.payload()["authorizing_integration_owners"],
        json!({"0": "0"})
    );
    assert!(
        w.fake
            .invoke_dm_command(w.alice, "servers", [])
            .await
            .is_err()
    );

    // Alice installs the app to her account: her DMs offer USER_INSTALL commands only.
    w.fake.install_to_user(w.alice);
    let mine = w
        .fake
        .invoke_dm_command(w.alice, "anywhere", [])
        .await
        .unwrap();
    assert_eq!(
        mine.payload()["authorizing_integration_owners"],
        json!({"1": w.alice.to_string()})
    );
    assert!(mine.payload().get("guild_id").is_none());
    assert!(w.fake.invoke_dm_command(w.alice, "dms", []).await.is_err());

    // In a server, a command whose contexts leave out GUILD is not offered.
    assert!(
        w.fake
            .invoke_command(w.guild, w.channel, w.alice, "anywhere", [])
            .await
            .is_ok()
    );
    assert!(
        w.fake
            .invoke_command(w.guild, w.channel, w.alice, "dms", [])
            .await
            .is_err()
    );
}
