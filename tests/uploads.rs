//! The bot's uploads (`stretchbot::discord::upload`) through serenity to the fake: a card whose embed
//! shows its picture, and the edit that swaps the picture, arrive as uploads Discord accepts.

use fake_discord::{FakeDiscord, MessageId, Options};
use poise::serenity_prelude as serenity;
use stretchbot::discord::upload::{Format, Picture, WithPicture};

/// A PNG of `width` × `height`: its signature and IHDR chunk.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[tokio::test]
async fn a_card_with_a_picture_and_the_edit_that_swaps_it_are_valid_uploads() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let http = serenity::HttpBuilder::new(fake.token())
        .proxy(fake.api_base())
        .ratelimiter_disabled(true)
        .build();

    // A name Discord would change ("cat cow") is cleaned first, so the embed finds its picture.
    let start = Picture::new("cat cow", Format::Png, png(400, 300)).unwrap();
    let card = serenity::CreateMessage::new()
        .embed(start.on_embed(serenity::CreateEmbed::new().title("Cat-cow")))
        .with_picture(&start);
    let mut message = serenity::ChannelId::new(channel.get())
        .send_message(&http, card)
        .await
        .expect("the upload is accepted");
    let image = message.embeds[0].image.clone().expect("the card's picture");
    assert_eq!((image.width, image.height), (Some(400), Some(300)));
    assert!(image.url.ends_with("/cat_cow.png"), "{}", image.url);
    let upload = fake.requests().pop().unwrap();
    let file = upload
        .parts
        .iter()
        .find(|p| p.name.as_deref() == Some("files[0]"))
        .expect("the picture's part");
    assert_eq!(file.size, start.bytes().len());

    let step = Picture::new("cat-cow-2", Format::Png, png(200, 150)).unwrap();
    message
        .edit(
            &http,
            serenity::EditMessage::new()
                .embed(step.on_embed(serenity::CreateEmbed::new().title("Cat-cow")))
                .with_picture(&step),
        )
        .await
        .expect("the edit is accepted");
    let stored = fake.message(MessageId::new(message.id.get())).unwrap();
    let image = &stored["embeds"][0]["image"];
    assert_eq!(image["width"], 200);
    assert!(image["url"].as_str().unwrap().ends_with("/cat-cow-2.png"));
    assert_eq!(
        stored["attachments"],
        serde_json::json!([]),
        "the old picture is gone"
    );
    fake.assert_no_violations();
}

/// `Http::send_message(channel, files, &builder)` uploads only `files`: a builder carrying a picture
/// sent with no files names an upload that is not there, which Discord refuses. Send builders with
/// pictures through `ChannelId::send_message` (or hand their files over).
#[tokio::test]
async fn a_picture_left_out_of_the_request_is_refused() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let http = serenity::HttpBuilder::new(fake.token())
        .proxy(fake.api_base())
        .ratelimiter_disabled(true)
        .build();
    let picture = Picture::new("cat-cow", Format::Png, png(4, 4)).unwrap();
    let card = serenity::CreateMessage::new()
        .embed(picture.on_embed(serenity::CreateEmbed::new().title("Cat-cow")))
        .with_picture(&picture);
    let sent = http
        .send_message(serenity::ChannelId::new(channel.get()), Vec::new(), &card)
        .await;
    assert!(sent.is_err(), "{sent:?}");
    assert_eq!(fake.violations().len(), 1);
    assert!(fake.messages(channel).is_empty());
}

#[test]
fn a_poise_reply_carries_the_picture_as_an_upload() {
    let picture = Picture::new("twist", Format::Gif, b"GIF89a".to_vec()).unwrap();
    let reply = poise::CreateReply::default()
        .embed(picture.on_embed(serenity::CreateEmbed::new()))
        .with_picture(&picture);
    // What poise sends for `ctx.send(reply)` in a slash command.
    let sent = reply.to_slash_initial_response(serenity::CreateInteractionResponseMessage::new());
    let json = serde_json::to_value(&sent).unwrap();
    assert_eq!(json["attachments"][0]["filename"], "twist.gif");
    assert_eq!(json["embeds"][0]["image"]["url"], "attachment://twist.gif");
}
