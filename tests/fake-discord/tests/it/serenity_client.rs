//! serenity itself against the fake: a real client through the gateway in proxy mode, and serenity's
//! rate limiter honouring the fake's 429 in TLS mode.

use std::sync::Arc;
use std::time::Duration;

use fake_discord::{FakeDiscord, Fault, Options, Permissions, RateLimitScope, Scope, sub};
use serenity::all::{
    ClientBuilder, Command, CommandOptionType, Context, CreateCommand, CreateCommandOption,
    CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler, GatewayIntents,
    HttpBuilder, Interaction, Ready,
};
use tokio::sync::mpsc;

use crate::common::WAIT;

struct Bot {
    events: mpsc::UnboundedSender<String>,
}

#[serenity::async_trait]
impl EventHandler for Bot {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.events.send(format!("ready {}", ready.guilds.len()));
        let stretch = CreateCommand::new("stretch")
            .description("Stretch breaks")
            .add_option(
                CreateCommandOption::new(CommandOptionType::SubCommand, "show", "Show one")
                    .add_sub_option(
                        CreateCommandOption::new(CommandOptionType::String, "name", "Which")
                            .required(true),
                    ),
            );
        Command::set_global_commands(&ctx.http, vec![stretch])
            .await
            .expect("commands registered");
        let _ = self.events.send("registered".to_owned());
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(command) = interaction {
            let reply = CreateInteractionResponseMessage::new()
                .content(format!("showing {}", command.data.options[0].name));
            command
                .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
                .await
                .expect("callback accepted");
            let _ = self.events.send("answered".to_owned());
        }
    }
}

#[tokio::test]
async fn a_serenity_client_connects_answers_a_command_and_resumes() {
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let alice = fake.add_member(guild, "alice", Permissions::empty());
    let http = HttpBuilder::new(fake.token())
        .proxy(fake.api_base())
        .ratelimiter_disabled(true)
        .build();
    let (events, mut seen) = mpsc::unbounded_channel();
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .event_handler(Bot { events })
        .await
        .unwrap();
    let shards = Arc::clone(&client.shard_manager);
    let running = tokio::spawn(async move { client.start().await });

    assert_eq!(recv(&mut seen).await, "ready 1");
    assert_eq!(recv(&mut seen).await, "registered");
    assert_eq!(fake.registered_commands(Scope::Global).len(), 1);
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
    assert_eq!(
        i.wait_response(WAIT).await.unwrap()["data"]["content"],
        "showing show"
    );
    assert_eq!(recv(&mut seen).await, "answered");

    let before = fake.session().unwrap();
    assert!(fake.reconnect_gateway().await);
    fake.wait_until(WAIT, "serenity to resume", |f| {
        f.session().filter(|s| s.connected && s.seq > before.seq)
    })
    .await
    .expect("resumed");
    assert_eq!(
        fake.session().unwrap().session_id,
        before.session_id,
        "resumed, not re-identified"
    );
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

#[tokio::test]
async fn serenity_in_tls_mode_waits_out_a_429_with_its_own_rate_limiter() {
    let fake = FakeDiscord::start(Options {
        tls: true,
        ..Options::default()
    })
    .await
    .unwrap();
    let ca = reqwest::Certificate::from_pem(fake.ca_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .resolve("discord.com", fake.tls_addr().unwrap())
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let http = HttpBuilder::new(fake.token()).client(client).build();
    fake.inject(Fault::RateLimited {
        route: "GET /users/@me".into(),
        retry_after: Duration::from_millis(300),
        scope: RateLimitScope::User,
        times: 1,
    });
    let started = std::time::Instant::now();
    let me = http
        .get_current_user()
        .await
        .expect("serenity retries after the 429");
    assert_eq!(me.id.get(), fake.bot_user_id().get());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After is whole seconds: 1 s"
    );
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200]);
    let app = http
        .get_current_application_info()
        .await
        .expect("application info deserializes");
    assert_eq!(
        app.owner.map(|o| o.id.get()),
        Some(fake.application_owner().get())
    );
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let partial = http
        .get_guild(guild.get().into())
        .await
        .expect("guild deserializes");
    assert_eq!(partial.name, "Team");
    let serenity_channel = http
        .get_channel(channel.get().into())
        .await
        .expect("channel deserializes");
    assert!(serenity_channel.guild().is_some());
    let member = http
        .get_member(guild.get().into(), fake.bot_user_id().get().into())
        .await
        .expect("member deserializes");
    assert!(member.user.bot);
    let message = serenity::all::ChannelId::new(channel.get())
        .say(&http, "hello")
        .await
        .expect("message deserializes");
    let fetched = http
        .get_messages(message.channel_id, None, Some(10))
        .await
        .expect("messages deserialize");
    assert_eq!(fetched[0].id, message.id);
    fake.assert_no_violations();
}
