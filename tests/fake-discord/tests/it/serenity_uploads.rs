//! serenity 0.12.5's own uploads against the fake: a channel message with a picture its embed uses,
//! the edit that swaps the picture, and an interaction reply and its edit, as poise sends them.

use std::sync::Arc;

use fake_discord::{FakeDiscord, Options, Permissions, sub};
use serenity::all::{
    ClientBuilder, Context, CreateAttachment, CreateCommand, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EditMessage, EventHandler, GatewayIntents, Http, HttpBuilder,
    Interaction, Ready,
};
use tokio::sync::mpsc;

use crate::common::WAIT;
use crate::uploads::png;

fn http(fake: &FakeDiscord) -> Http {
    HttpBuilder::new(fake.token())
        .proxy(fake.api_base())
        .ratelimiter_disabled(true)
        .build()
}

fn card(name: &str) -> CreateEmbed {
    CreateEmbed::new()
        .title("Cat-cow")
        .image(format!("attachment://{name}"))
}

#[tokio::test]
async fn serenity_sends_a_message_with_a_picture_and_swaps_it_in_an_edit() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let http = http(&fake);
    let mut message = serenity::all::ChannelId::new(channel.get())
        .send_message(
            &http,
            CreateMessage::new()
                .embed(card("start.png"))
                .add_file(CreateAttachment::bytes(png(400, 300), "start.png")),
        )
        .await
        .expect("the fake accepts serenity's upload");
    let image = message.embeds[0]
        .image
        .as_ref()
        .expect("the embed's picture");
    assert_eq!((image.width, image.height), (Some(400), Some(300)));
    assert!(image.url.ends_with("/start.png"), "{}", image.url);
    assert!(message.attachments.is_empty(), "the embed uses the file");
    let sent = fake.requests().pop().unwrap();
    let names: Vec<_> = sent.parts.iter().map(|p| p.name.clone().unwrap()).collect();
    assert_eq!(names, ["files[0]", "payload_json"], "serenity's part order");
    assert_eq!(sent.parts[0].content_type.as_deref(), Some("image/png"));

    message
        .edit(
            &http,
            EditMessage::new()
                .embed(card("end.png"))
                .new_attachment(CreateAttachment::bytes(png(200, 150), "end.png")),
        )
        .await
        .expect("the fake accepts serenity's edit");
    let image = message.embeds[0].image.as_ref().unwrap();
    assert_eq!(image.width, Some(200));
    assert!(image.url.ends_with("/end.png"));
    fake.assert_no_violations();
}

struct Bot {
    events: mpsc::UnboundedSender<String>,
}

#[serenity::async_trait]
impl EventHandler for Bot {
    async fn ready(&self, ctx: Context, _: Ready) {
        let command = CreateCommand::new("stretch")
            .description("Stretch breaks")
            .add_option(
                serenity::all::CreateCommandOption::new(
                    serenity::all::CommandOptionType::SubCommand,
                    "show",
                    "Show one",
                )
                .add_sub_option(
                    serenity::all::CreateCommandOption::new(
                        serenity::all::CommandOptionType::String,
                        "name",
                        "Which",
                    )
                    .required(true),
                ),
            );
        serenity::all::Command::set_global_commands(&ctx.http, vec![command])
            .await
            .expect("commands registered");
        let _ = self.events.send("registered".to_owned());
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Interaction::Command(command) = interaction else {
            return;
        };
        // What poise's `ctx.send(CreateReply::default().embed(…).attachment(…))` becomes.
        let reply = CreateInteractionResponseMessage::new()
            .embed(card("step1.png"))
            .add_file(CreateAttachment::bytes(png(400, 400), "step1.png"));
        let answered = command
            .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
            .await;
        let _ = self.events.send(format!("answered {}", answered.is_ok()));
        let edit = EditInteractionResponse::new()
            .embed(card("step2.png"))
            .new_attachment(CreateAttachment::bytes(png(300, 300), "step2.png"));
        let edited = command.edit_response(&ctx.http, edit).await;
        let _ = self.events.send(format!("edited {}", edited.is_ok()));
    }
}

#[tokio::test]
async fn a_serenity_interaction_reply_and_its_edit_carry_pictures() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let alice = fake.add_member(guild, "alice", Permissions::empty());
    let (events, mut seen) = mpsc::unbounded_channel();
    let mut client = ClientBuilder::new_with_http(http(&fake), GatewayIntents::GUILDS)
        .event_handler(Bot { events })
        .await
        .unwrap();
    let shards = Arc::clone(&client.shard_manager);
    let running = tokio::spawn(async move { client.start().await });
    assert_eq!(recv(&mut seen).await, "registered");
    let i = fake
        .invoke_command(
            guild,
            channel,
            alice,
            "stretch",
            [sub("show", [fake_discord::opt("name", "cat-cow")])],
        )
        .await
        .unwrap();
    assert_eq!(recv(&mut seen).await, "answered true");
    assert_eq!(recv(&mut seen).await, "edited true");
    let original = i.original_message().expect("the reply");
    let image = &original["embeds"][0]["image"];
    assert_eq!(image["width"], 300);
    assert!(image["url"].as_str().unwrap().ends_with("/step2.png"));
    assert_eq!(original["attachments"], serde_json::json!([]));
    fake.assert_no_violations();
    shards.shutdown_all().await;
    let _ = running.await;
}

async fn recv(events: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("bot event in time")
        .expect("bot alive")
}
