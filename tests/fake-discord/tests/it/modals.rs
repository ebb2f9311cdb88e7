//! Modals: a MODAL callback checked against the spec, then submitted as a MODAL_SUBMIT interaction
//! the way Discord's client submits it.

use fake_discord::{InvokeError, Options, sub};
use serde_json::{Value, json};

use crate::common::World;

fn callback_path(i: &fake_discord::Interaction) -> String {
    format!("/interactions/{}/{}/callback", i.id(), i.token())
}

/// A modal of two text inputs, one in an action row (the older layout) and one in a label.
fn modal() -> Value {
    json!({"type": 9, "data": {"custom_id": "feedback", "title": "Feedback", "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "name", "label": "Name", "style": 1,
            "max_length": 20, "value": "Alice"}]},
        {"type": 18, "label": "Why", "component": {"type": 4, "custom_id": "why", "style": 2,
            "required": false}},
    ]}})
}

#[tokio::test]
async fn a_modal_opened_by_a_command_is_submitted_once_with_its_values_laid_out_as_shown() {
    let w = World::with(Options::default()).await;
    w.register_commands().await;
    let mut gw = w.connect_bot(1).await;
    let opener = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "stretch", [sub("start", [])])
        .await
        .unwrap();
    gw.dispatch().await;
    assert!(
        matches!(
            w.fake.submit_modal(opener.id(), &[]).await,
            Err(InvokeError::NotFound(_))
        ),
        "no modal is open before the bot opens one"
    );
    let (status, body) = w.post(&callback_path(&opener), modal()).await;
    assert_eq!(status, 204, "{body}");

    assert!(matches!(
        w.fake.submit_modal(opener.id(), &[("colour", "red")]).await,
        Err(InvokeError::NotFound(_))
    ));
    assert!(
        matches!(
            w.fake
                .submit_modal(opener.id(), &[("name", &"x".repeat(21))])
                .await,
            Err(InvokeError::Invalid(_))
        ),
        "max_length holds"
    );
    assert!(
        matches!(
            w.fake.submit_modal(opener.id(), &[("name", "")]).await,
            Err(InvokeError::Invalid(_))
        ),
        "a required input cannot be left empty"
    );
    let submit = w
        .fake
        .submit_modal(opener.id(), &[("why", "It helps")])
        .await
        .unwrap();
    let event = gw.dispatch().await;
    let d = &event["d"];
    assert_eq!(d, submit.payload());
    assert_eq!(d["type"], 5);
    assert_eq!(d["data"]["custom_id"], "feedback");
    let components = &d["data"]["components"];
    assert_eq!(components[0]["type"], 1);
    assert_eq!(
        components[0]["components"][0],
        json!({"type": 4, "id": 2, "custom_id": "name", "value": "Alice"}),
        "an untouched input keeps its pre-filled value"
    );
    assert_eq!(components[1]["type"], 18);
    assert_eq!(components[1]["component"]["value"], "It helps");
    assert!(matches!(
        w.fake.submit_modal(opener.id(), &[]).await,
        Err(InvokeError::NotAllowed(_))
    ));

    // The answer to a submit is a message, never another modal; its metadata names the opener.
    let (status, _) = w.post(&callback_path(&submit), modal()).await;
    assert_eq!(status, 400, "a modal cannot answer a modal submit");
    let (status, body) = w
        .post(
            &format!("{}?with_response=true", callback_path(&submit)),
            json!({"type": 4, "data": {"content": "Thanks", "flags": 64}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let metadata = &body["resource"]["message"]["interaction_metadata"];
    assert_eq!(metadata["type"], 5);
    assert_eq!(
        metadata["triggering_interaction_metadata"]["id"],
        opener.id().to_string()
    );
    let violations = w.fake.violations();
    assert_eq!(
        violations.len(),
        1,
        "only the modal answering a submit: {violations:?}"
    );
    assert!(violations[0].path.contains(&submit.id().to_string()));
}

#[tokio::test]
async fn a_modal_body_discord_would_reject_is_refused() {
    let w = World::with(Options::default()).await;
    w.register_commands().await;
    let mut gw = w.connect_bot(1).await;
    let opener = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "stretch", [sub("start", [])])
        .await
        .unwrap();
    gw.dispatch().await;
    let mut untitled = modal();
    untitled["data"].as_object_mut().unwrap().remove("title");
    let (status, _) = w.post(&callback_path(&opener), untitled).await;
    assert_eq!(status, 400, "a modal needs a title");
    assert!(matches!(
        w.fake.submit_modal(opener.id(), &[]).await,
        Err(InvokeError::NotFound(_))
    ));
}
