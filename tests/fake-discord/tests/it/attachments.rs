//! Files attached to a command's ATTACHMENT option: resolved in the interaction and served at their url.

use fake_discord::{InvokeError, Options, opt};
use serde_json::json;

use crate::common::World;

#[tokio::test]
async fn an_attached_file_is_resolved_in_the_interaction_and_served_at_its_url() {
    let w = World::with(Options::default()).await;
    let app = w.fake.application_id();
    let (status, body) = w
        .post(
            &format!("/applications/{app}/commands"),
            json!({"name": "upload", "description": "Send a file", "options": [
                {"type": 11, "name": "file", "description": "The file", "required": true}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut gw = w.connect_bot(1).await;
    assert!(matches!(
        w.fake
            .invoke_command(w.guild, w.channel, w.alice, "upload", [opt("file", "123")])
            .await,
        Err(InvokeError::Invalid(_))
    ));
    let id = w.fake.attach_file("stretches.toml", "name = \"x\"\n");
    let i = w
        .fake
        .invoke_command(
            w.guild,
            w.channel,
            w.alice,
            "upload",
            [opt("file", id.as_str())],
        )
        .await
        .unwrap();
    let d = gw.dispatch().await["d"].clone();
    assert_eq!(&d, i.payload());
    assert_eq!(
        d["data"]["options"][0],
        json!({"name": "file", "type": 11, "value": id})
    );
    let attachment = &d["data"]["resolved"]["attachments"][&id];
    assert_eq!(attachment["filename"], "stretches.toml");
    assert_eq!(attachment["size"], 11);
    let interaction: serenity::all::Interaction =
        serde_json::from_value(d.clone()).expect("serenity reads it");
    let command = interaction.command().unwrap();
    let resolved = command.data.resolved.attachments.values().next().unwrap();
    assert_eq!(resolved.filename, "stretches.toml");

    let url = attachment["url"].as_str().unwrap();
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "name = \"x\"\n");
    let elsewhere = url.replace("stretches.toml", "other.toml");
    assert_eq!(reqwest::get(&elsewhere).await.unwrap().status(), 404);
}
