//! Uploads: `multipart/form-data` bodies on every route that takes them, each rule Discord applies,
//! the attachment objects the stored message carries, and what the transcript keeps of the parts.

use std::time::Duration;

use fake_discord::transcript::Part;
use fake_discord::{Fault, FindingKind, Interaction, MessageId, Options, sub};
use reqwest::multipart::{Form, Part as FormPart};
use serde_json::{Value, json};

use crate::common::{Gateway, World, send};

const MIB: usize = 1024 * 1024;

/// A PNG of `width` × `height`: the signature and IHDR chunk are what the fake reads.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = b"GIF89a".to_vec();
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0x3b]);
    bytes
}

/// A GIF of `frames` one-pixel frames, each with its graphic control extension.
fn animated_gif(frames: usize) -> Vec<u8> {
    let mut bytes = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    for _ in 0..frames {
        bytes.extend_from_slice(&[0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        bytes.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0]);
    }
    bytes.push(0x3B);
    bytes
}

/// A file part `files[n]` named `filename` (none: no filename in its Content-Disposition).
fn file(filename: Option<&str>, bytes: Vec<u8>) -> FormPart {
    let part = FormPart::bytes(bytes);
    match filename {
        Some(name) => part.file_name(name.to_owned()),
        None => part,
    }
}

/// A form of `payload_json` (if any) and the parts `files[0]`, `files[1]`… in order.
fn form(payload: Option<Value>, files: Vec<FormPart>) -> Form {
    let mut form = Form::new();
    if let Some(payload) = payload {
        let json = FormPart::text(payload.to_string())
            .mime_str("application/json")
            .expect("mime");
        form = form.part("payload_json", json);
    }
    for (n, part) in files.into_iter().enumerate() {
        form = form.part(format!("files[{n}]"), part);
    }
    form
}

async fn upload(w: &World, method: reqwest::Method, path: &str, form: Form) -> (u16, Value) {
    send(w.req(method, path).multipart(form)).await
}

fn card_payload() -> Value {
    json!({
        "content": "Stretch of the day",
        "embeds": [{"title": "Cat-cow", "image": {"url": "attachment://card.png"}}],
        "attachments": [
            {"id": 0, "filename": "card.png", "description": "A cat-cow stretch"},
            {"id": 1, "filename": "loop.gif"},
            {"id": 2, "filename": "notes.txt"}
        ]
    })
}

fn card_files() -> Vec<FormPart> {
    vec![
        file(Some("card.png"), png(400, 300)),
        file(Some("loop.gif"), gif(64, 48)),
        file(Some("notes.txt"), b"breathe".to_vec()),
    ]
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn last_parts(w: &World) -> Vec<Part> {
    w.fake.requests().last().expect("a request").parts.clone()
}

fn only_violation(w: &World) -> fake_discord::Finding {
    let violations = w.fake.violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    violations[0].clone()
}

#[tokio::test]
async fn a_valid_upload_is_stored_with_its_attachment_objects() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let (status, message) = upload(
        &w,
        reqwest::Method::POST,
        &path,
        form(Some(card_payload()), card_files()),
    )
    .await;
    assert_eq!(status, 200, "{message}");
    w.fake.assert_no_violations();

    // The picture the embed uses is shown there, not listed in `attachments` (message.mdx).
    let image = &message["embeds"][0]["image"];
    let cdn = format!("https://cdn.discordapp.com/attachments/{}/", w.channel);
    assert!(image["url"].as_str().unwrap().starts_with(&cdn), "{image}");
    assert!(image["url"].as_str().unwrap().ends_with("/card.png"));
    assert!(
        image["proxy_url"]
            .as_str()
            .unwrap()
            .starts_with("https://media.discordapp.net/attachments/")
    );
    assert_eq!(
        (&image["width"], &image["height"], &image["content_type"]),
        (&json!(400), &json!(300), &json!("image/png"))
    );
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{attachments:?}");
    let gif = &attachments[0];
    assert_eq!(gif["filename"], "loop.gif");
    assert_eq!(gif["size"], 14);
    assert_eq!(
        (&gif["width"], &gif["height"], &gif["content_type"]),
        (&json!(64), &json!(48), &json!("image/gif"))
    );
    assert!(gif.get("flags").is_none(), "a still GIF is not animated");
    let id = gif["id"].as_str().unwrap();
    assert_eq!(gif["url"], format!("{cdn}{id}/loop.gif"));
    let notes = &attachments[1];
    assert_eq!(notes["filename"], "notes.txt");
    assert_eq!(notes["size"], 7);
    assert!(notes.get("width").is_none(), "no dimensions for text");
    assert_eq!(notes["content_type"], "text/plain; charset=utf-8");

    let stored = w
        .fake
        .message(MessageId::new(
            message["id"].as_str().unwrap().parse().unwrap(),
        ))
        .unwrap();
    assert_eq!(stored, message);
    let serenity: serenity::all::Message =
        serde_json::from_value(message).expect("serenity reads it");
    assert_eq!(serenity.attachments[0].width, Some(64));

    // The transcript has the payload as the body and the parts without their bytes.
    let exchange = w.fake.requests().pop().unwrap();
    assert_eq!(exchange.body.as_ref(), Some(&card_payload()));
    let parts = exchange.parts;
    let names: Vec<_> = parts.iter().map(|p| p.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["payload_json", "files[0]", "files[1]", "files[2]"]);
    assert_eq!(parts[1].filename.as_deref(), Some("card.png"));
    assert_eq!(parts[1].size, png(400, 300).len());
    assert_eq!(parts[1].sha256, sha256(&png(400, 300)));
    assert_eq!(
        parts[1].content_type, None,
        "reqwest sends no type for bytes"
    );
    let line = serde_json::to_string(&w.fake.transcript().last().unwrap()).unwrap();
    assert!(line.contains("\"sha256\""), "{line}");
    assert!(!line.contains("breathe"), "no raw bytes in the transcript");
}

#[tokio::test]
async fn without_attachments_every_file_is_attached_and_names_are_cleaned() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    // Discord cleans "cat cow.png" to "cat_cow.png"; the embed must use the cleaned name.
    let payload = json!({"embeds": [{"thumbnail": {"url": "attachment://cat_cow.png"}}]});
    let files = vec![
        file(Some("cat cow.png"), png(10, 20)),
        file(Some("b.png"), png(1, 1)),
    ];
    let (status, message) =
        upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!(status, 200, "{message}");
    assert!(
        message["embeds"][0]["thumbnail"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/cat_cow.png")
    );
    assert_eq!(message["attachments"][0]["filename"], "b.png");
    w.fake.assert_no_violations();

    let payload = json!({"embeds": [{"image": {"url": "attachment://cat%20cow.png"}}]});
    let files = vec![file(Some("cat cow.png"), png(10, 20))];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        only_violation(&w).problems[0].pointer,
        "/embeds/0/image/url"
    );
}

#[tokio::test]
async fn animated_gifs_are_flagged_in_attachments_and_embeds() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let payload = json!({"embeds": [{"image": {"url": "attachment://twist.gif"}}]});
    let files = vec![
        file(Some("twist.gif"), animated_gif(2)),
        file(Some("loop.gif"), animated_gif(3)),
        file(Some("still.gif"), animated_gif(1)),
    ];
    let (status, message) =
        upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["embeds"][0]["image"]["flags"], 32);
    assert_eq!(message["attachments"][0]["flags"], 32, "IS_ANIMATED");
    assert!(message["attachments"][1].get("flags").is_none());
}

#[tokio::test]
async fn a_body_without_payload_json_is_its_files_alone() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    // payload_json is optional: files alone make a message (api-reference.mdx, Uploading Files).
    let files = vec![file(Some("a.png"), png(2, 3))];
    let (status, message) = upload(&w, reqwest::Method::POST, &path, form(None, files)).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["attachments"][0]["width"], 2);
    w.fake.assert_no_violations();

    // Neither payload_json nor files: an empty message.
    let nothing = Form::new();
    let (status, body) = send(
        w.req(reqwest::Method::POST, &path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={}", nothing.boundary()),
            )
            .body(format!("--{}--\r\n", nothing.boundary())),
    )
    .await;
    assert_eq!((status, &body["code"]), (400, &json!(50006)), "{body}");
    assert_eq!(w.fake.violations().len(), 1);
}

#[tokio::test]
async fn a_file_part_without_a_filename_is_a_violation() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let payload = json!({"content": "x", "attachments": [{"id": 0}]});
    let files = vec![file(None, png(1, 1))];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!((status, &body["code"]), (400, &json!(50035)), "{body}");
    let finding = only_violation(&w);
    assert_eq!(finding.kind, FindingKind::Request);
    assert_eq!(finding.problems[0].pointer, "/files[0]");
    assert_eq!(
        finding.body,
        Some(json!({"content": "x", "attachments": [{"id": 0}]}))
    );
    assert!(w.fake.messages(w.channel).is_empty());
    assert_eq!(last_parts(&w)[1].filename, None);
}

#[tokio::test]
async fn an_attachment_id_without_a_part_is_a_violation() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let payload = json!({"content": "x", "attachments": [{"id": 0}, {"id": 1}]});
    let files = vec![file(Some("a.png"), png(1, 1))];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(only_violation(&w).problems[0].pointer, "/attachments/1/id");
    // The same holds for a JSON body naming an upload it does not carry.
    let (status, _) = w
        .post(&path, json!({"content": "x", "attachments": [{"id": 0}]}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.violations().len(), 2);
    assert!(w.fake.messages(w.channel).is_empty());
}

#[tokio::test]
async fn an_attachment_reference_to_an_unknown_name_is_a_violation() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let payload = json!({
        "embeds": [{"footer": {"text": "f", "icon_url": "attachment://icon.png"}}],
        "attachments": [{"id": 0}]
    });
    let files = vec![file(Some("card.png"), png(1, 1))];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(Some(payload), files)).await;
    assert_eq!(status, 400, "{body}");
    let finding = only_violation(&w);
    assert_eq!(finding.problems[0].pointer, "/embeds/0/footer/icon_url");
    assert!(
        finding.problems[0]
            .message
            .contains("attachment://icon.png")
    );
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_413() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let at_limit = vec![file(Some("big.png"), vec![0; 10 * MIB])];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(None, at_limit)).await;
    assert_eq!(status, 200, "10 MiB is within the default limit: {body}");
    let over = vec![file(Some("big.png"), vec![0; 10 * MIB + 1])];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(None, over)).await;
    assert_eq!((status, &body["code"]), (413, &json!(40005)), "{body}");
    assert_eq!(only_violation(&w).problems[0].pointer, "/files[0]");
    assert_eq!(w.fake.messages(w.channel).len(), 1);
}

#[tokio::test]
async fn more_than_ten_files_or_a_repeated_part_are_refused() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let eleven = (0..11).map(|_| file(Some("a.png"), png(1, 1))).collect();
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(None, eleven)).await;
    assert_eq!((status, &body["code"]), (400, &json!(30015)), "{body}");
    let twice = Form::new()
        .part("files[0]", file(Some("a.png"), png(1, 1)))
        .part("files[0]", file(Some("b.png"), png(1, 1)));
    let (status, _) = upload(&w, reqwest::Method::POST, &path, twice).await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.violations().len(), 2);
}

#[tokio::test]
async fn multipart_is_refused_where_discord_takes_json_only() {
    let w = World::start().await;
    let app = w.fake.application_id();
    let (status, _) = upload(
        &w,
        reqwest::Method::PUT,
        &format!("/applications/{app}/commands"),
        form(Some(json!([])), vec![]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.violations().len(), 1);
    // Message fields as form fields are Discord's too, but the fake reads only payload_json: a gap.
    let path = format!("/channels/{}/messages", w.channel);
    let fields = Form::new().text("content", "hello");
    let (status, _) = upload(&w, reqwest::Method::POST, &path, fields).await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.fake_bugs()[0].kind, FindingKind::Unimplemented);
}

#[tokio::test]
async fn an_edit_keeps_the_attachments_it_lists_and_adds_new_files() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    let (_, first) = upload(
        &w,
        reqwest::Method::POST,
        &path,
        form(Some(card_payload()), card_files()),
    )
    .await;
    let message_path = format!("{path}/{}", first["id"].as_str().unwrap());
    let gif_id = first["attachments"][0]["id"].clone();
    // Keep the GIF, drop the text file and the picture, add a new picture for the embed.
    let payload = json!({
        "embeds": [{"title": "Cat-cow", "image": {"url": "attachment://step2.png"}}],
        "attachments": [{"id": gif_id}, {"id": 0, "filename": "step2.png"}]
    });
    let files = vec![file(Some("step2.png"), png(200, 100))];
    let (status, edited) = upload(
        &w,
        reqwest::Method::PATCH,
        &message_path,
        form(Some(payload), files),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["embeds"][0]["image"]["width"], 200);
    let names: Vec<_> = edited["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].clone())
        .collect();
    assert_eq!(names, [json!("loop.gif")]);
    assert_eq!(edited["attachments"][0]["id"], gif_id);
    // An edit that does not mention attachments leaves them, embeds still resolved.
    let (status, again) = w.patch(&message_path, json!({"content": "later"})).await;
    assert_eq!(status, 200);
    assert_eq!(again["attachments"], edited["attachments"]);
    assert_eq!(again["embeds"], edited["embeds"]);
    // An id the message does not have is refused, and the message stays as it was.
    let (status, _) = w
        .patch(&message_path, json!({"attachments": [{"id": "12345"}]}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(only_violation(&w).problems[0].pointer, "/attachments/0/id");
    let (_, now) = w.get(&message_path).await;
    assert_eq!(now["attachments"], edited["attachments"]);
    // Listing none removes them all.
    let (status, cleared) = w
        .patch(&message_path, json!({"embeds": [], "attachments": []}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(cleared["attachments"], json!([]));
}

#[tokio::test]
async fn a_retried_upload_shows_the_same_bytes_and_nonce_in_the_transcript() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    w.fake.inject(Fault::ServerError {
        route: "POST /channels/{channel_id}/messages".into(),
        status: 503,
        times: 1,
    });
    let payload = json!({"nonce": "fire-42", "enforce_nonce": true, "embeds": [{"image": {"url": "attachment://card.png"}}]});
    let send_once = || {
        upload(
            &w,
            reqwest::Method::POST,
            &path,
            form(
                Some(payload.clone()),
                vec![file(Some("card.png"), png(8, 8))],
            ),
        )
    };
    assert_eq!(send_once().await.0, 503);
    let (status, message) = send_once().await;
    assert_eq!(status, 200, "{message}");
    let posts: Vec<_> = w
        .fake
        .requests()
        .into_iter()
        .filter(|x| x.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].parts, posts[1].parts,
        "the same parts, byte for byte"
    );
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(posts[1].body.as_ref().unwrap()["nonce"], "fire-42");
    // A third send with the same nonce is the same message.
    let (_, third) = send_once().await;
    assert_eq!(third["id"], message["id"]);
    assert_eq!(w.fake.messages(w.channel).len(), 1);
}

#[tokio::test]
async fn the_bot_needs_attach_files_to_upload() {
    let w = World::start().await;
    w.fake
        .deny_bot(w.channel, fake_discord::Permissions::ATTACH_FILES);
    let path = format!("/channels/{}/messages", w.channel);
    let files = vec![file(Some("a.png"), png(1, 1))];
    let (status, body) = upload(&w, reqwest::Method::POST, &path, form(None, files)).await;
    assert_eq!((status, &body["code"]), (403, &json!(50013)), "{body}");
    assert_eq!(
        w.post(&path, json!({"content": "text is fine"})).await.0,
        200
    );
}

// ----- interactions -------------------------------------------------------------------------------

/// A world whose interactions wait a minute for their callback: uploads of 10 MiB in a debug build
/// may take longer than Discord's 3 seconds.
async fn patient_world() -> World {
    World::with(Options {
        interaction_ack_deadline: Duration::from_secs(60),
        ..Options::default()
    })
    .await
}

async fn invoked(w: &World) -> (Interaction, Gateway) {
    w.register_commands().await;
    let gw = w.connect_bot(1).await;
    let i = w
        .fake
        .invoke_command(
            w.guild,
            w.channel,
            w.alice,
            "stretch",
            [sub("show", [fake_discord::opt("name", "cat-cow")])],
        )
        .await
        .expect("invoked");
    (i, gw)
}

fn callback_path(i: &Interaction) -> String {
    format!("/interactions/{}/{}/callback", i.id(), i.token())
}

#[tokio::test]
async fn an_interaction_reply_carries_an_upload() {
    let w = patient_world().await;
    let (i, _gw) = invoked(&w).await;
    assert_eq!(i.payload()["attachment_size_limit"], 10 * MIB);
    let payload = json!({"type": 4, "data": {
        "embeds": [{"image": {"url": "attachment://card.png"}}],
        "attachments": [{"id": 0, "filename": "card.png"}]
    }});
    let files = vec![file(Some("card.png"), png(400, 225))];
    let (status, body) = upload(
        &w,
        reqwest::Method::POST,
        &format!("{}?with_response=true", callback_path(&i)),
        form(Some(payload), files),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let original = i.original_message().expect("the reply");
    assert_eq!(original["embeds"][0]["image"]["height"], 225);
    assert_eq!(body["resource"]["message"], original);
    w.fake.assert_no_violations();
}

#[tokio::test]
async fn interaction_callbacks_apply_the_upload_rules() {
    let w = patient_world().await;
    let (i, _gw) = invoked(&w).await;
    let path = callback_path(&i);
    // No payload_json: no callback type.
    let files = vec![file(Some("card.png"), png(1, 1))];
    let (status, _) = upload(&w, reqwest::Method::POST, &path, form(None, files)).await;
    assert_eq!(status, 400);
    assert_eq!(only_violation(&w).problems[0].pointer, "/type");
    // Over attachment_size_limit.
    let payload = json!({"type": 4, "data": {"attachments": [{"id": 0}]}});
    let over = vec![file(Some("big.png"), vec![0; 10 * MIB + 1])];
    let (status, _) = upload(&w, reqwest::Method::POST, &path, form(Some(payload), over)).await;
    assert_eq!(status, 413);
    // A reference to a file not uploaded.
    let payload =
        json!({"type": 4, "data": {"embeds": [{"image": {"url": "attachment://card.png"}}]}});
    let (status, _) = upload(
        &w,
        reqwest::Method::POST,
        &path,
        form(Some(payload), vec![]),
    )
    .await;
    assert_eq!(status, 400);
    // Files with a deferral, which carries no message.
    let files = vec![file(Some("card.png"), png(1, 1))];
    let (status, _) = upload(
        &w,
        reqwest::Method::POST,
        &path,
        form(Some(json!({"type": 5})), files),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(w.fake.violations().len(), 4);
    assert!(
        i.responses().is_empty(),
        "no refused callback acknowledged it"
    );
    // The interaction can still be answered.
    let (status, _) = w
        .post(&path, json!({"type": 4, "data": {"content": "ok"}}))
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn webhook_edits_and_followups_take_uploads() {
    let w = patient_world().await;
    let (i, _gw) = invoked(&w).await;
    assert_eq!(w.post(&callback_path(&i), json!({"type": 5})).await.0, 204);
    let app = w.fake.application_id();
    let original = format!("/webhooks/{app}/{}/messages/@original", i.token());
    let payload = json!({
        "embeds": [{"image": {"url": "attachment://step1.png"}}],
        "attachments": [{"id": 0}]
    });
    let files = vec![file(Some("step1.png"), png(400, 400))];
    let (status, edited) = upload(
        &w,
        reqwest::Method::PATCH,
        &original,
        form(Some(payload), files),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["embeds"][0]["image"]["width"], 400);
    assert_eq!(edited["flags"], 0, "the deferral ended");
    // An edit whose picture reference matches no file is refused; the message keeps its picture.
    let payload = json!({"embeds": [{"image": {"url": "attachment://step2.png"}}]});
    let files = vec![file(Some("step3.png"), png(4, 4))];
    let (status, _) = upload(
        &w,
        reqwest::Method::PATCH,
        &original,
        form(Some(payload), files),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        only_violation(&w).problems[0].pointer,
        "/embeds/0/image/url"
    );
    assert_eq!(i.original_message().unwrap()["embeds"], edited["embeds"]);
    // A follow-up with a file, and one over the limit.
    let followup = format!("/webhooks/{app}/{}", i.token());
    let files = vec![file(Some("extra.gif"), gif(5, 6))];
    let (status, message) = upload(&w, reqwest::Method::POST, &followup, form(None, files)).await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["attachments"][0]["height"], 6);
    let followup_path = format!(
        "/webhooks/{app}/{}/messages/{}",
        i.token(),
        message["id"].as_str().unwrap()
    );
    let over = vec![file(Some("big.png"), vec![0; 10 * MIB + 1])];
    let (status, _) = upload(&w, reqwest::Method::PATCH, &followup_path, form(None, over)).await;
    assert_eq!(status, 413);
    assert_eq!(w.fake.violations().len(), 2);
}
