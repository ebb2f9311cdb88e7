//! The Discord adapter: the bot's connection (serenity + poise), its slash commands and replies.
//!
//! Everything Discord-shaped lives here; the commands call into [`crate::domain`] for what to say.
//! [`run`] connects, registers the commands, answers interactions and, when `shutdown` resolves, closes the
//! gateway and lets replies in flight finish.

mod buttons;
pub mod card;
mod choice;
mod commands;
mod error;
mod in_flight;
pub(crate) mod limiter;
pub mod pictures;
mod reach;
mod reply;
pub mod sender;
pub mod shards;
pub mod timer;
pub mod upload;

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use poise::serenity_prelude as serenity;
use tokio::sync::Notify;

pub use error::Error;
use in_flight::InFlight;
use limiter::{Limiter, Route};

use crate::clock::TokioClock;
use crate::domain::catalog::Catalog;
use crate::domain::posting::{GuildId, Pause};
use crate::domain::store::{Store, load_server_catalog};
use crate::domain::timer_plan::PlanSettings;
use crate::poster::{ClaimedHere, Poster};
use crate::store::AnyStore;
use crate::timer::{Limits, Timers};
use sender::DiscordSender;
pub use shards::Shards;
use timer::DiscordTimers;

/// What every command can reach.
pub struct Data {
    pub catalog: Arc<Catalog>,
    pub store: AnyStore,
    /// Wakes the poster when schedules change, so a new or edited schedule's next post is not missed.
    pub schedules_changed: Arc<Notify>,
    /// Where a command records a post it claimed for the poster to send (post-now).
    pub claimed_here: ClaimedHere,
    clock: TokioClock,
    in_flight: InFlight,
    pub(crate) limiter: Arc<Limiter>,
    pub timers: Arc<DiscordTimers>,
    /// How timers pace the parts of a stretch its entry does not time.
    pub pacing: PlanSettings,
    /// The pictures cards show, shared with the poster's posts.
    pub(crate) pictures: Arc<pictures::CardPictures>,
    /// `/catalog` forms that did not pass, for their retry buttons.
    pub(crate) forms: commands::KeptForms,
}

impl Data {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The catalog as the server `guild` sees it (the built-in entries it did not hide, and its own),
    /// or the built-in one outside servers.
    pub async fn catalog_in(
        &self,
        guild: Option<serenity::GuildId>,
    ) -> Result<Cow<'_, Catalog>, Error> {
        match guild {
            None => Ok(Cow::Borrowed(self.catalog.as_ref())),
            Some(guild) => {
                Ok(load_server_catalog(&self.store, &self.catalog, GuildId(guild.get())).await?)
            }
        }
    }
}

pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Only the events the bot uses: guilds and the interactions Discord always delivers. No privileged intents.
pub const INTENTS: serenity::GatewayIntents = serenity::GatewayIntents::GUILDS;

/// Permissions the bot asks for in its invite: see channels, post cards with their pictures, and read
/// recent messages (to find its own earlier posts after an outage).
pub const INVITE_PERMISSIONS: serenity::Permissions = serenity::Permissions::VIEW_CHANNEL
    .union(serenity::Permissions::SEND_MESSAGES)
    .union(serenity::Permissions::EMBED_LINKS)
    .union(serenity::Permissions::ATTACH_FILES)
    .union(serenity::Permissions::READ_MESSAGE_HISTORY);

/// How much longer each process waits than the one before it to take over a dead process's claims, so
/// that the first has finished them by the time the next looks.
const TAKEOVER_STAGGER: TimeDelta = TimeDelta::seconds(5);

/// How long shutdown waits for replies in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How the bot reaches Discord's HTTP API.
pub enum Connection {
    /// discord.com, rate-limited by serenity.
    Discord,
    /// Another API base, such as a shared rate-limit proxy. serenity's own rate limiter must be off here:
    /// with it on, serenity silently bypasses the proxy.
    Proxy(String),
    /// A prepared HTTP client for discord.com (tests: TLS to a fake Discord trusted through its own CA).
    Client(reqwest::Client),
}

/// Where slash commands are registered.
pub enum CommandScope {
    Global,
    Guilds(Vec<serenity::GuildId>),
}

pub struct Settings {
    pub token: String,
    pub connection: Connection,
    pub commands: CommandScope,
    /// A scheduled post missed by less than this is still sent, late and once.
    pub grace: TimeDelta,
    /// The wall clock for schedules and timers; tests start it where they need it.
    pub clock: TokioClock,
    pub pacing: PlanSettings,
    /// Which gateway shards this process runs.
    pub shards: Shards,
    /// Where to serve metrics and health checks; `None` serves nothing.
    pub metrics: Option<std::net::SocketAddr>,
    /// Draw every picture in the background at start ([`pictures::CardPictures::prepare`]), so no
    /// member waits for one; off, each is drawn when first needed (tests that never look at pictures
    /// spare their cores).
    pub prepare_pictures: bool,
}

/// Runs the bot until `shutdown` resolves (or the gateway fails for good).
pub async fn run(
    settings: Settings,
    catalog: Arc<Catalog>,
    store: AnyStore,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Every process paces itself to its shards' share of the bot's global limit. serenity retries 429s
    // itself except in proxy mode, where its limiter must be off; then we do it.
    let share = settings.shards.rate_share();
    tracing::info!(
        requests_per_second = share.per_second(),
        "pacing REST requests to this process's share of the bot's global rate limit"
    );
    let limiter = Arc::new(match settings.connection {
        Connection::Proxy(_) => Limiter::retrying(share),
        Connection::Discord | Connection::Client(_) => Limiter::pacing(share),
    });
    let http = match settings.connection {
        Connection::Discord => serenity::HttpBuilder::new(&settings.token),
        Connection::Proxy(base) => serenity::HttpBuilder::new(&settings.token)
            .proxy(base)
            .ratelimiter_disabled(true),
        Connection::Client(client) => serenity::HttpBuilder::new(&settings.token).client(client),
    }
    .build();

    let in_flight = InFlight::default();
    let drained = in_flight.clone();
    let timers = Timers::new(settings.clock, Limits::default());
    let interrupted = Arc::clone(&timers);
    // One notifier, shared: the commands wake the poster through it.
    let schedules_changed = Arc::new(Notify::new());
    let claimed_here = ClaimedHere::default();
    // Once per application, not per shard or process: only the process running shard 0 does it.
    let first_shard = settings.shards.runs_first_shard();
    let card_pictures = Arc::new(pictures::CardPictures::default());
    if settings.prepare_pictures {
        // Detached: it ends by itself, and a message that comes first draws its own picture.
        let _drawing = card_pictures.prepare(Arc::clone(&catalog));
    }
    let poster_parts = (
        Arc::clone(&card_pictures),
        store.clone(),
        Arc::clone(&catalog),
        Arc::clone(&limiter),
        Arc::clone(&schedules_changed),
        claimed_here.clone(),
    );
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all_commands(),
            on_error: |error| Box::pin(error::on_error(error)),
            post_command: |ctx| {
                Box::pin(async move {
                    crate::metrics::interaction(&ctx.command().qualified_name, "ok", ctx.id());
                    commands::tell_of_paused_reminders(ctx).await;
                })
            },
            pre_command: |ctx| {
                Box::pin(async move {
                    ctx.set_invocation_data(ctx.data().in_flight.enter()).await;
                })
            },
            event_handler: |framework, event| {
                Box::pin(on_event(framework.serenity_context, event, framework.user_data))
            },
            initialize_owners: false,
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                if first_shard {
                    register(ctx, &limiter, &framework.options().commands, &settings.commands).await?;
                    crate::logging::print_line(format_args!(
                        "Invite the bot with: https://discord.com/oauth2/authorize?client_id={}&scope=bot%20applications.commands&permissions={}",
                        ready.application.id,
                        INVITE_PERMISSIONS.bits()
                    ));
                    // A user install (integration_type=1) adds the commands to a member's own account:
                    // no bot user, so no permissions to ask for.
                    crate::logging::print_line(format_args!(
                        "Members can add it to their own account with: https://discord.com/oauth2/authorize?client_id={}&integration_type=1&scope=applications.commands",
                        ready.application.id
                    ));
                } else {
                    // The process running shard 0 registers them for the whole application.
                    crate::metrics::commands_registered();
                }
                Ok(Data {
                    catalog,
                    store,
                    schedules_changed,
                    claimed_here,
                    clock: settings.clock,
                    in_flight,
                    limiter,
                    timers,
                    pacing: settings.pacing,
                    pictures: card_pictures,
                    forms: commands::KeptForms::default(),
                })
            })
        })
        .build();

    let refusal_watch = shards::RefusalWatch::default();
    let mut client = serenity::ClientBuilder::new_with_http(http, INTENTS)
        .framework(framework)
        .event_handler(refusal_watch.clone())
        .await
        .context("could not set up the Discord client")?;
    let (card_pictures, store, catalog, limiter, schedules_changed, claimed_here) = poster_parts;
    let gateway_limiter = Arc::clone(&limiter);
    let _metrics = crate::metrics::serve(
        settings.metrics,
        &client.shard_manager,
        store.clone(),
        Arc::clone(&interrupted),
    )
    .await?;
    // Paced and retried on 429 like any request: a bot restarted right after a busy second (a crash in
    // the middle of a fan-out) starts inside Discord's window of the run before, and must not exit for it.
    let bot = limiter
        .send(Route::Global, || client.http.get_current_user())
        .await
        .map_err(|error| anyhow::anyhow!(reach::explain(&error)))?
        .id;
    let (stop_poster, poster_stopped) = tokio::sync::oneshot::channel::<()>();
    let poster = tokio::spawn(
        Poster::new(
            store,
            DiscordSender::new(Arc::clone(&client.http), limiter, bot, card_pictures),
            catalog,
            schedules_changed,
            settings.grace,
            settings.clock,
        )
        .taking_over_after(
            crate::poster::TAKEOVER_AFTER
                + TAKEOVER_STAGGER * settings.shards.takeover_turn() as i32,
        )
        .sharing_claims(claimed_here)
        .run(async {
            let _ = poster_stopped.await;
        }),
    );

    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: stopping the poster and closing the gateway");
        let _ = stop_poster.send(());
        // Before the gateway closes, so no click starts a timer that would then be left ticking.
        if !interrupted.shutdown(DRAIN_TIMEOUT).await {
            tracing::warn!(
                "some timer messages could not be marked interrupted in {DRAIN_TIMEOUT:?}"
            );
        }
        shards.shutdown_all().await;
    });
    let connection = shards::start(
        &mut client,
        settings.shards,
        &gateway_limiter,
        refusal_watch,
    )
    .await;
    // Stopping the poster mid-post is as safe as a crash: the claim is finished on the next start.
    poster.abort();
    let _ = poster.await;
    connection.context("the Discord connection failed")?;
    if !drained.wait_idle(DRAIN_TIMEOUT).await {
        tracing::warn!("shut down with replies still in flight after {DRAIN_TIMEOUT:?}");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn register(
    ctx: &serenity::Context,
    limiter: &Limiter,
    commands: &[poise::Command<Data, Error>],
    scope: &CommandScope,
) -> Result<(), Error> {
    match scope {
        CommandScope::Global => {
            limiter
                .send(Route::Global, || {
                    poise::builtins::register_globally(ctx, commands)
                })
                .await?
        }
        CommandScope::Guilds(guilds) => {
            for guild in guilds {
                limiter
                    .send(Route::Global, || {
                        poise::builtins::register_in_guild(ctx, commands, *guild)
                    })
                    .await?;
            }
        }
    }
    tracing::info!(count = commands.len(), "slash commands registered");
    crate::metrics::commands_registered();
    Ok(())
}

/// Events outside poise's command dispatch: button clicks, form (modal) submits, and the bot leaving or
/// rejoining a server.
async fn on_event(
    ctx: &serenity::Context,
    event: &serenity::FullEvent,
    data: &Data,
) -> Result<(), Error> {
    match event {
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(click),
        } => {
            let _working = data.in_flight.enter();
            commands::on_click(ctx, click, data).await;
            Ok(())
        }
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Modal(submit),
        } => {
            let _working = data.in_flight.enter();
            commands::on_modal(ctx, submit, data).await;
            Ok(())
        }
        // `unavailable` set means an outage, which passes; unset means the bot was removed.
        serenity::FullEvent::GuildDelete { incomplete, .. } if !incomplete.unavailable => {
            let guild = GuildId(incomplete.id.get());
            crate::metrics::guild_left(guild.0);
            let paused = data.store.pause_guild(guild, Pause::LeftGuild).await?;
            tracing::info!(%guild, paused, "removed from a server: its schedules are paused");
            data.schedules_changed.notify_one();
            Ok(())
        }
        serenity::FullEvent::GuildCreate { guild, .. } => {
            // On a task of its own, so that serenity can drop the guild now: the store answers one call
            // at a time, and the 10,000 GUILD_CREATEs of a start each held their guild while they waited
            // (the start peak of P4 in docs/benchmarks.md).
            let guild = GuildId(guild.id.get());
            crate::metrics::guild_available(guild.0);
            let (store, changed, now) = (
                data.store.clone(),
                Arc::clone(&data.schedules_changed),
                data.now(),
            );
            tokio::spawn(async move {
                if let Err(error) = resume_after_rejoin(guild, &store, &changed, now).await {
                    tracing::error!(%guild, %error, "could not resume the schedules of a server");
                }
            });
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A server that removed the bot has added it back: its schedules go on from their next time.
async fn resume_after_rejoin(
    guild: GuildId,
    store: &AnyStore,
    schedules_changed: &Notify,
    now: DateTime<Utc>,
) -> Result<(), crate::domain::store::StoreError> {
    let mut resumed = 0;
    for mut schedule in store.schedules_in(guild).await? {
        if schedule.pause == Some(Pause::LeftGuild) {
            schedule.pause = None;
            schedule.next_fire = schedule.schedule.next_after(now);
            store.update_schedule(&schedule).await?;
            resumed += 1;
        }
    }
    if resumed > 0 {
        tracing::info!(%guild, resumed, "back in a server: its schedules go on");
        schedules_changed.notify_one();
    }
    Ok(())
}
