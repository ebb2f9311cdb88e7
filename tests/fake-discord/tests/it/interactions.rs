//! Interactions: building them from registered commands and messages, and their lifecycle.

use std::time::Duration;

use fake_discord::{InvokeError, Options, Permissions, ResponseKind, focused, opt, sub};
use serde_json::{Value, json};

use crate::common::{WAIT, World};

async fn ready_world(options: Options) -> (World, crate::common::Gateway) {
    let w = World::with(options).await;
    w.register_commands().await;
    let gw = w.connect_bot(1).await;
    (w, gw)
}

fn callback_path(i: &fake_discord::Interaction) -> String {
    format!("/interactions/{}/{}/callback", i.id(), i.token())
}

#[tokio::test]
async fn a_slash_command_arrives_with_the_registered_ids_and_nested_options() {
    let (w, mut gw) = ready_world(Options::default()).await;
    let i = w
        .fake
        .invoke_command(
            w.guild,
            w.channel,
            w.alice,
            "stretch",
            [sub("show", [opt("name", "cat-cow")])],
        )
        .await
        .expect("invoked");
    let event = gw.dispatch().await;
    assert_eq!(event["t"], "INTERACTION_CREATE");
    let d = &event["d"];
    assert_eq!(d, i.payload());
    assert_eq!(d["type"], 2);
    assert_eq!(
        d["data"]["id"],
        w.fake.registered_commands(fake_discord::Scope::Global)[0]["id"]
    );
    assert_eq!(
        d["data"]["options"],
        json!([{"name": "show", "type": 1, "options": [{"name": "name", "type": 3, "value": "cat-cow"}]}])
    );
    assert_eq!(d["member"]["user"]["id"], w.alice.to_string());
    assert_eq!(
        d["member"]["permissions"],
        w.fake.permissions_in(w.channel, w.alice).bits().to_string()
    );
    assert_eq!(
        d["app_permissions"],
        w.fake.bot_permissions_in(w.channel).bits().to_string()
    );
    for field in [
        "token",
        "version",
        "locale",
        "entitlements",
        "attachment_size_limit",
        "channel_id",
        "guild_id",
        "authorizing_integration_owners",
    ] {
        assert!(!d[field].is_null(), "{field} is present");
    }
    let interaction: serenity::all::Interaction =
        serde_json::from_value(d.clone()).expect("serenity reads it");
    let command = interaction.command().expect("a command interaction");
    assert_eq!(command.data.name, "stretch");
    assert_eq!(command.user.id.get(), w.alice.get());
}

#[tokio::test]
async fn the_client_side_checks_of_discord_apply() {
    let (w, _gw) = ready_world(Options::default()).await;
    let (g, c, a) = (w.guild, w.channel, w.alice);
    let invoke = |name: &'static str, options: Vec<fake_discord::Opt>| {
        w.fake.invoke_command(g, c, a, name, options)
    };
    assert!(matches!(
        invoke("nope", vec![]).await,
        Err(InvokeError::NotFound(_))
    ));
    assert!(
        matches!(
            invoke("stretch", vec![]).await,
            Err(InvokeError::Invalid(_))
        ),
        "a subcommand is needed"
    );
    assert!(
        matches!(
            invoke("stretch", vec![sub("show", [])]).await,
            Err(InvokeError::Invalid(_))
        ),
        "name is required"
    );
    assert!(
        matches!(
            invoke("stretch", vec![sub("start", [opt("minutes", 45)])]).await,
            Err(InvokeError::Invalid(_))
        ),
        "max_value 30"
    );
    assert!(matches!(
        invoke("stretch", vec![sub("start", [opt("minutes", "ten")])]).await,
        Err(InvokeError::Invalid(_))
    ));
    assert!(matches!(
        invoke("stretch", vec![sub("show", [opt("colour", "red")])]).await,
        Err(InvokeError::Invalid(_))
    ));
    assert!(
        invoke("stretch", vec![sub("start", [opt("minutes", 10)])])
            .await
            .is_ok()
    );
    w.fake.set_overwrite(
        c,
        fake_discord::Overwrite {
            target: fake_discord::OverwriteTarget::Member(a),
            allow: Permissions::empty(),
            deny: Permissions::USE_APPLICATION_COMMANDS,
        },
    );
    assert!(matches!(
        invoke("ping", vec![]).await,
        Err(InvokeError::NotAllowed(_))
    ));
}

#[tokio::test]
async fn a_callback_is_accepted_once_and_becomes_the_original_response() {
    let (w, _gw) = ready_world(Options::default()).await;
    let i = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .unwrap();
    let reply = json!({"type": 4, "data": {"content": "pong"}});
    let (status, body) =
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&reply)).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(i.wait_response(WAIT).await.unwrap(), reply);
    let original = i.original_message().expect("the response message");
    assert_eq!(original["content"], "pong");
    assert_eq!(original["type"], 20);
    assert_eq!(original["interaction_metadata"]["id"], i.id().to_string());
    assert_eq!(w.fake.messages(w.channel).len(), 1);
    let message: serenity::all::Message =
        serde_json::from_value(original).expect("serenity reads the message");
    assert_eq!(message.content, "pong");

    let (status, again) =
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&reply)).await;
    assert_eq!(
        (status, again),
        (
            400,
            json!({"code": 40060, "message": "Interaction has already been acknowledged."})
        )
    );
    assert_eq!(i.responses().len(), 1, "only accepted responses are listed");
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn a_late_callback_or_an_expired_token_is_an_unknown_interaction() {
    let options = Options {
        interaction_ack_deadline: Duration::from_millis(100),
        ..Options::default()
    };
    let (w, _gw) = ready_world(options).await;
    let reply = json!({"type": 4, "data": {"content": "too late"}});
    let late = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (status, body) =
        crate::common::send(w.http.post(w.url(&callback_path(&late))).json(&reply)).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"code": 10062, "message": "Unknown interaction"})
        )
    );

    let expired = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .unwrap();
    w.fake.inject(fake_discord::Fault::ExpiredInteraction {
        interaction: expired.id(),
    });
    assert_eq!(
        crate::common::send(w.http.post(w.url(&callback_path(&expired))).json(&reply))
            .await
            .1["code"],
        10062
    );
    let wrong_token = format!("/interactions/{}/not-the-token/callback", expired.id());
    assert_eq!(
        crate::common::send(w.http.post(w.url(&wrong_token)).json(&reply))
            .await
            .1["code"],
        10062
    );
    assert!(
        expired
            .wait_response(Duration::from_millis(50))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn deferral_edits_and_follow_ups_go_through_the_webhook() {
    let (w, _gw) = ready_world(Options::default()).await;
    let app = w.fake.application_id();
    let i = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "stretch", [sub("start", [])])
        .await
        .unwrap();
    let original = format!("/webhooks/{app}/{}/messages/@original", i.token());
    assert_eq!(
        w.get(&original).await.1["code"],
        10015,
        "no webhook before the callback"
    );

    let defer = json!({"type": 5, "data": {"flags": 64}});
    assert_eq!(
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&defer))
            .await
            .0,
        204
    );
    let thinking = i.original_message().unwrap();
    assert_eq!(thinking["flags"], 64 | 128, "ephemeral and loading");
    assert!(
        w.fake.messages(w.channel).is_empty(),
        "ephemeral messages are not in the channel"
    );

    // The first follow-up after a deferral fills in the loading message.
    let (status, filled) = w
        .post(
            &format!("/webhooks/{app}/{}", i.token()),
            json!({"content": "Get ready"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (filled["id"].clone(), filled["flags"].as_u64()),
        (thinking["id"].clone(), Some(64))
    );
    let (status, edited) = w.patch(&original, json!({"content": "Go!"})).await;
    assert_eq!((status, edited["content"].as_str()), (200, Some("Go!")));
    let (status, followup) = w
        .post(
            &format!("/webhooks/{app}/{}", i.token()),
            json!({"content": "Done", "flags": 64}),
        )
        .await;
    assert_eq!(status, 200);
    assert_ne!(followup["id"], thinking["id"]);
    assert_eq!(
        followup["interaction_metadata"]["original_response_message_id"],
        thinking["id"]
    );
    let followup_path = format!(
        "/webhooks/{app}/{}/messages/{}",
        i.token(),
        followup["id"].as_str().unwrap()
    );
    assert_eq!(
        w.patch(&followup_path, json!({"content": "Done!"})).await.1["content"],
        "Done!"
    );
    assert_eq!(w.get(&original).await.1["content"], "Go!");

    let kinds: Vec<ResponseKind> = i
        .wait_responses(5, WAIT)
        .await
        .unwrap()
        .iter()
        .map(|r| r.kind)
        .collect();
    use ResponseKind::*;
    assert_eq!(
        kinds,
        vec![Callback, Followup, EditOriginal, Followup, EditFollowup]
    );
    assert_eq!(w.delete(&original).await.0, 204);
    assert_eq!(w.get(&original).await.1["code"], 10008);

    w.fake.inject(fake_discord::Fault::ExpiredInteraction {
        interaction: i.id(),
    });
    assert_eq!(
        w.patch(&followup_path, json!({"content": "late"})).await,
        (
            401,
            json!({"code": 50027, "message": "Invalid Webhook Token"})
        )
    );
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn autocomplete_sends_the_focused_option_and_takes_choices() {
    let (w, mut gw) = ready_world(Options::default()).await;
    let i = w
        .fake
        .autocomplete(
            w.guild,
            w.channel,
            w.alice,
            "stretch",
            [sub("show", [focused("name", "cat")])],
        )
        .await
        .unwrap();
    let d = gw.dispatch().await["d"].clone();
    assert_eq!(d["type"], 4);
    assert_eq!(
        d["data"]["options"][0]["options"][0],
        json!({"name": "name", "type": 3, "value": "cat", "focused": true})
    );
    let interaction: serenity::all::Interaction =
        serde_json::from_value(d).expect("serenity reads it");
    assert!(interaction.autocomplete().is_some());

    let wrong = json!({"type": 4, "data": {"content": "not for autocomplete"}});
    let (status, _) =
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&wrong)).await;
    assert_eq!(status, 400);
    assert_eq!(
        w.fake.violations().len(),
        1,
        "a wrong callback type is the bot's mistake"
    );
    let choices =
        json!({"type": 8, "data": {"choices": [{"name": "Cat-cow", "value": "cat-cow"}]}});
    assert_eq!(
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&choices))
            .await
            .0,
        204
    );
    assert_eq!(i.wait_response(WAIT).await.unwrap(), choices);
    assert!(
        matches!(
            w.fake
                .autocomplete(
                    w.guild,
                    w.channel,
                    w.alice,
                    "stretch",
                    [sub("show", [opt("name", "cat")])]
                )
                .await,
            Err(InvokeError::Invalid(_))
        ),
        "autocomplete needs a focused option"
    );
}

#[tokio::test]
async fn buttons_and_selects_on_a_message_create_component_interactions() {
    let (w, mut gw) = ready_world(Options::default()).await;
    let components = json!([
        {"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Done", "custom_id": "done"},
            {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"},
            {"type": 2, "style": 2, "label": "Off", "custom_id": "off", "disabled": true}]},
        {"type": 1, "components": [
            {"type": 3, "custom_id": "pick", "options": [{"label": "Cat-cow", "value": "cat-cow"}, {"label": "Cobra", "value": "cobra"}]}]}
    ]);
    let (_, message) = w
        .post(
            &format!("/channels/{}/messages", w.channel),
            json!({"content": "Pick one", "components": components}),
        )
        .await;
    let message_id = fake_discord::MessageId::new(message["id"].as_str().unwrap().parse().unwrap());

    let click = w
        .fake
        .click_button(w.guild, w.channel, w.alice, message_id, "done")
        .await
        .unwrap();
    let event = loop {
        let event = gw.dispatch().await;
        if event["t"] == "INTERACTION_CREATE" {
            break event;
        }
    };
    assert_eq!(event["d"]["type"], 3);
    assert_eq!(
        event["d"]["data"],
        json!({"custom_id": "done", "component_type": 2})
    );
    assert_eq!(event["d"]["message"]["id"], message["id"]);
    let interaction: serenity::all::Interaction =
        serde_json::from_value(event["d"].clone()).expect("serenity reads it");
    assert_eq!(
        interaction.message_component().unwrap().data.custom_id,
        "done"
    );

    let update = json!({"type": 7, "data": {"content": "Well done", "components": []}});
    assert_eq!(
        crate::common::send(w.http.post(w.url(&callback_path(&click))).json(&update))
            .await
            .0,
        204
    );
    let updated = w.fake.message(message_id).unwrap();
    assert_eq!(
        (updated["content"].as_str(), updated["components"].clone()),
        (Some("Well done"), json!([]))
    );
    assert!(
        matches!(
            w.fake
                .click_button(w.guild, w.channel, w.alice, message_id, "done")
                .await,
            Err(InvokeError::NotFound(_))
        ),
        "the button is gone"
    );

    let (_, message) = w
        .post(
            &format!("/channels/{}/messages", w.channel),
            json!({"content": "Again", "components": components}),
        )
        .await;
    let message_id = fake_discord::MessageId::new(message["id"].as_str().unwrap().parse().unwrap());
    assert!(matches!(
        w.fake
            .click_button(w.guild, w.channel, w.alice, message_id, "off")
            .await,
        Err(InvokeError::NotAllowed(_))
    ));
    let select = w
        .fake
        .select(w.guild, w.channel, w.alice, message_id, "pick", &["cobra"])
        .await
        .unwrap();
    assert_eq!(select.payload()["data"]["values"], json!(["cobra"]));
    assert!(matches!(
        w.fake
            .select(w.guild, w.channel, w.alice, message_id, "pick", &["plank"])
            .await,
        Err(InvokeError::Invalid(_))
    ));
    assert!(
        matches!(
            w.fake
                .select(
                    w.guild,
                    w.channel,
                    w.alice,
                    message_id,
                    "pick",
                    &["cobra", "cat-cow"]
                )
                .await,
            Err(InvokeError::Invalid(_))
        ),
        "max_values 1"
    );
}

#[tokio::test]
async fn interactions_need_a_session_and_queue_for_a_resume() {
    let w = World::start().await;
    w.register_commands().await;
    assert_eq!(
        w.fake
            .invoke_command(w.guild, w.channel, w.alice, "ping", [])
            .await
            .err(),
        Some(InvokeError::NotConnected)
    );
    let gw = w.connect_bot(1).await;
    assert!(w.fake.drop_gateway().await);
    let i = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .expect("queued for the resume");
    let mut gw2 = crate::common::Gateway::connect(w.fake.gateway_url()).await;
    gw2.recv().await;
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq}})).await;
    let replayed = gw2.dispatch().await;
    assert_eq!(replayed["d"]["id"], i.id().to_string());
}

#[tokio::test]
async fn the_token_stops_working_after_its_lifetime() {
    let lifetime = Duration::from_millis(500);
    let (w, _gw) = ready_world(Options {
        interaction_token_lifetime: lifetime,
        ..Options::default()
    })
    .await;
    let i = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .unwrap();
    let reply = json!({"type": 4, "data": {"content": "pong"}});
    assert_eq!(
        crate::common::send(w.http.post(w.url(&callback_path(&i))).json(&reply))
            .await
            .0,
        204
    );
    tokio::time::sleep(lifetime).await;
    let followup = format!("/webhooks/{}/{}", w.fake.application_id(), i.token());
    assert_eq!(
        w.post(&followup, json!({"content": "late"})).await.1["code"],
        50027
    );
}
