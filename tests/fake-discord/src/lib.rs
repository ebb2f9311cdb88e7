//! A faithful fake of Discord for testing stretchbot: the REST API under `/api/v10` and the gateway on
//! 127.0.0.1, holding state like Discord (guilds, channels, roles, members, permissions, messages,
//! commands, interactions), enforcing its rules (permissions, rate limits, nonces, interaction
//! deadlines, close codes), validating every body against Discord's OpenAPI spec, recording a
//! transcript, and injecting faults on demand.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use fake_discord::{FakeDiscord, Options, Permissions, opt, sub};
//!
//! let fake = FakeDiscord::start(Options::default()).await?;
//! let guild = fake.add_guild("Team");
//! let channel = fake.add_text_channel(guild, "wellness");
//! let alice = fake.add_member(guild, "alice", Permissions::empty());
//! // Point the bot at fake.api_base() (serenity's HttpBuilder::proxy) and start it, then:
//! fake.wait_ready(Duration::from_secs(5)).await?;
//! let i = fake.invoke_command(guild, channel, alice, "stretch", [sub("show", [opt("name", "cat-cow")])]).await?;
//! let reply = i.wait_response(Duration::from_secs(3)).await?;
//! assert_eq!(reply["type"], 4);
//! fake.assert_no_violations();
//! fake.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Connecting the bot
//! - **Proxy mode**: serenity's `HttpBuilder::new(token).proxy(fake.api_base())` (serenity's own rate
//!   limiter must be off there: it ignores the proxy), requests arrive as `http://127.0.0.1:PORT/api/v10/…`.
//! - **TLS mode** (`Options::tls`): the fake also serves HTTPS for `discord.com` with a certificate from a
//!   CA generated at start; give serenity `reqwest::Client::builder().use_rustls_tls()
//!   .resolve("discord.com", fake.tls_addr().unwrap()).add_root_certificate(reqwest::Certificate::from_pem(
//!   fake.ca_pem().unwrap().as_bytes())?)` through `HttpBuilder::client`, keeping its rate limiter.
//! - The gateway is plain `ws://` in both modes; the bot learns its URL from `GET /gateway`.
//!
//! # The handle
//! - Where to connect: [`FakeDiscord::api_base`], [`FakeDiscord::gateway_url`], [`FakeDiscord::tls_addr`],
//!   [`FakeDiscord::ca_pem`], [`FakeDiscord::token`].
//! - The world: `add_guild`, `add_existing_guild`, `add_text_channel`, `add_role`, `add_member`, `give_role`, `set_overwrite`,
//!   `set_bot_permissions`, `deny_bot`, `allow_bot`, `remove_channel`; read back with `messages`,
//!   `message`, `message_count`, `guild_ids`, `registered_commands`, `permissions_in`; DMs with
//!   `close_dms`, `open_dms`, `open_dm`, `dm_channel`, `dms`; a member acting in their DM with
//!   `invoke_dm_command`, `click_dm_button`.
//! - The gateway: `wait_ready`, `session`, `sessions` and `wait_shards_ready` (one session per shard),
//!   `reconnect_gateway`, `invalidate_session`, `close_gateway`, `drop_gateway` (these act on the lowest
//!   shard).
//! - Users acting: `invoke_command`, `autocomplete`, `click_button`, `select` return an [`Interaction`]
//!   whose `wait_response`, `wait_responses`, `responses` and `original_message` show what the bot did.
//! - Checking: `requests`, `transcript`, `violations` (the bot's invalid requests), `fake_bugs` (the
//!   fake's own spec breaches and gaps), `assert_no_violations` (fails on either), `invalid_request_count`,
//!   and `wait_until` for anything else.
//! - Uploads: message, interaction and webhook routes take `multipart/form-data` as Discord does (see
//!   `uploads`); an [`Exchange`]'s `parts` show what was uploaded, by size and SHA-256.
//! - Faults: [`FakeDiscord::inject`] with a [`Fault`]; [`FakeDiscord::set_chaos`] for random failures at a
//!   rate.
//!
//! # Layout
//! - `lib.rs`: the [`FakeDiscord`] handle and its [`Options`].
//! - [`openapi`]: Discord's OpenAPI spec: loading, routing, request and response validation.
//! - [`validation`]: where the spec file is, one shared copy per process, and the [`Finding`]s recorded.
//! - `spec_file`: finding the spec file (`$DISCORD_OPENAPI`, `shared/`, or a verified download cached
//!   under `target/`).
//! - `http`: the HTTP listeners (plain and TLS) and the request pipeline.
//! - `routes`: the REST routes and their handlers.
//! - `world`: the state (users, guilds, roles, members, channels, permissions) and the changes tests make.
//! - `render`: Discord's JSON objects for that state.
//! - `dms`: DM channels (Create DM), the 50007 of a member whose DMs are closed, and the handle's
//!   `close_dms`, `open_dms`, `open_dm`, `dm_channel` and `dms`.
//! - `messages`: creating, editing, listing and deleting messages, with Discord's rules.
//! - `uploads`: `multipart/form-data` bodies, their checks, and the attachments messages carry.
//! - [`commands`]: application command registration.
//! - [`interactions`]: building interactions, their lifecycle, and the [`Interaction`] handle.
//! - [`gateway`]: the websocket gateway and the bot's session.
//! - [`ratelimit`]: buckets, the global limit, headers, and the invalid-request count.
//! - [`faults`]: the [`Fault`]s a test injects.
//! - [`chaos`]: random failures at a steady rate, for soak runs.
//! - [`permissions`]: [`Permissions`] and the permission algorithm.
//! - `errors`: Discord's JSON error responses.
//! - [`transcript`]: the transcript of requests and frames, and its JSONL file.
//! - `tls`: the test CA and the `discord.com` certificate.
//! - [`ids`]: snowflake ids.

mod attachments;
pub mod chaos;
pub mod commands;
pub mod console;
mod dms;
mod errors;
pub mod faults;
pub mod gateway;
mod http;
pub mod ids;
pub mod interactions;
mod messages;
mod modals;
pub mod openapi;
pub mod permissions;
pub mod ratelimit;
mod render;
mod routes;
mod spec_file;
mod tls;
pub mod transcript;
mod uploads;
pub mod validation;
mod world;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use crate::chaos::{Chaos, SplitMix};
pub use crate::commands::Scope;
pub use crate::faults::{Fault, RoutePattern};
pub use crate::gateway::{Intents, SessionInfo, Shard};
pub use crate::ids::{
    ApplicationId, ChannelId, CommandId, GuildId, InteractionId, MessageId, RoleId, UserId,
};
pub use crate::interactions::{
    Interaction, InvokeError, Opt, Response, ResponseKind, focused, opt, sub,
};
pub use crate::permissions::{Overwrite, OverwriteTarget, Permissions};
pub use crate::ratelimit::{Limit, RateLimits, Scope as RateLimitScope};
pub use crate::transcript::{Auth, Direction, Entry, Event, Exchange, Frame, Part};
pub use crate::validation::{Finding, FindingKind, Problem, default_spec_path};

use crate::faults::Faults;
use crate::interactions::{Dispatched, Place};
use crate::openapi::Spec;
use crate::ratelimit::Limiter;
use crate::transcript::Transcript;
use crate::world::{Timing, World};

/// A stored message as [`FakeDiscord::all_messages`] gives it.
#[derive(Clone, Debug)]
pub struct StoredView {
    pub id: MessageId,
    pub channel: ChannelId,
    /// Shown only to the member whose interaction it answers.
    pub ephemeral: bool,
    /// The message object as Discord would return it.
    pub json: Value,
}

/// The environment variable naming a JSONL file the transcript is appended to.
pub const TRANSCRIPT_ENV: &str = "FAKE_DISCORD_TRANSCRIPT";

/// How to start a fake.
#[derive(Clone, Debug)]
pub struct Options {
    /// Also serve HTTPS for `discord.com` (see [`FakeDiscord::tls_addr`], [`FakeDiscord::ca_pem`]).
    pub tls: bool,
    /// The bot token the fake accepts; any other gets 401 (REST) or 4004 (gateway).
    pub token: String,
    /// The bot's application id, which is also its user id.
    pub application_id: ApplicationId,
    pub bot_name: String,
    /// The permissions of the bot's managed role in every guild.
    pub bot_permissions: Permissions,
    /// HELLO's `heartbeat_interval`; a connection silent for two intervals and a second is closed.
    pub heartbeat_interval: Duration,
    /// Privileged intents the app "enabled in the Developer Portal"; asking for others closes with 4014.
    pub allowed_privileged_intents: Intents,
    /// The pace of IDENTIFYs per `max_concurrency` bucket; a faster one gets INVALID_SESSION. Discord's
    /// is 5 s ([`gateway::IDENTIFY_INTERVAL`]); tests that start several shards may set it shorter.
    pub identify_interval: Duration,
    /// `GET /gateway/bot`'s `max_concurrency`: how many shards may IDENTIFY in one interval.
    pub max_concurrency: u32,
    /// Session starts (IDENTIFYs) allowed per day; past them, IDENTIFY closes with 4004 as the token
    /// is reset.
    pub session_start_limit: u32,
    /// How long `enforce_nonce` remembers a nonce ("the past few minutes").
    pub nonce_window: Duration,
    /// How long the bot has for an interaction's callback (Discord: 3 s).
    pub interaction_ack_deadline: Duration,
    /// How long an interaction token stays valid (Discord: 15 min).
    pub interaction_token_lifetime: Duration,
    pub rate_limits: RateLimits,
    /// The OpenAPI spec; `None`: [`default_spec_path`].
    pub spec_path: Option<PathBuf>,
    /// A JSONL transcript file; `None`: `$FAKE_DISCORD_TRANSCRIPT` if set.
    pub transcript_path: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tls: false,
            token: "MTE4NzY1NDMyMTA5ODc2NTQzMg.FakeDc.fake-discord-test-token-not-a-secret"
                .to_owned(),
            application_id: ApplicationId::new(1_187_654_321_098_765_432),
            bot_name: "stretchbot".to_owned(),
            bot_permissions: Permissions::DEFAULT_BOT,
            heartbeat_interval: Duration::from_secs(1),
            allowed_privileged_intents: Intents::empty(),
            identify_interval: gateway::IDENTIFY_INTERVAL,
            max_concurrency: 1,
            session_start_limit: 1000,
            nonce_window: Duration::from_secs(5 * 60),
            interaction_ack_deadline: Duration::from_secs(3),
            interaction_token_lifetime: Duration::from_secs(15 * 60),
            rate_limits: RateLimits::default(),
            spec_path: None,
            transcript_path: None,
        }
    }
}

/// A fake failed to start.
#[derive(Debug)]
pub struct StartError(String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Something awaited did not happen in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeout {
    pub waited_for: String,
    pub after: Duration,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out after {:?} waiting for {}",
            self.after, self.waited_for
        )
    }
}

impl std::error::Error for Timeout {}

/// What the listeners and the handle share.
pub(crate) struct Inner {
    pub token: String,
    pub gateway_url: String,
    pub spec: Arc<Spec>,
    pub transcript: Transcript,
    world: Mutex<World>,
    limiter: Mutex<Limiter>,
    faults: Mutex<Faults>,
    findings: Mutex<Vec<Finding>>,
    changes: watch::Sender<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not turn every later request into another panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, Limiter> {
        lock(&self.limiter)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    /// Wakes [`Inner::wait_for`]ers after a change the transcript does not show.
    pub(crate) fn announce_change(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    pub(crate) fn add_finding(&self, finding: Finding) {
        lock(&self.findings).push(finding);
    }

    /// Waits until `probe` finds what it looks for, re-checking after every transcript entry (every
    /// request and every gateway frame) and every announced change.
    /// `probe` takes its own locks: it runs with none held.
    pub(crate) async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut probe: impl FnMut() -> Option<T>,
    ) -> Result<T, Timeout> {
        let mut changes = self.changes.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(found) = probe() {
                return Ok(found);
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return Err(Timeout {
                    waited_for: what.to_owned(),
                    after: timeout,
                });
            }
        }
    }
}

/// A running fake Discord. Dropping it stops its listeners too; [`FakeDiscord::shutdown`] also waits.
pub struct FakeDiscord {
    inner: Arc<Inner>,
    api_addr: SocketAddr,
    tls: Option<(SocketAddr, String)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeDiscord {
    /// Starts the listeners (REST, gateway, and HTTPS with `options.tls`) on OS-chosen ports.
    pub async fn start(options: Options) -> Result<FakeDiscord, StartError> {
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let instance = INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if options.token.is_empty() {
            return Err(StartError("the token must not be empty".to_owned()));
        }
        let spec_path = match options.spec_path.clone() {
            Some(path) => path,
            None => default_spec_path().map_err(StartError)?,
        };
        let spec = validation::load_spec(&spec_path).map_err(StartError)?;
        let transcript_path = options
            .transcript_path
            .clone()
            .or_else(|| std::env::var_os(TRANSCRIPT_ENV).map(PathBuf::from));
        let file = match &transcript_path {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        StartError(format!("opening the transcript {}: {e}", path.display()))
                    })?,
            ),
            None => None,
        };
        let bind =
            |what: &str, e: std::io::Error| StartError(format!("binding the {what} listener: {e}"));
        let api = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| bind("REST", e))?;
        let gateway = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| bind("gateway", e))?;
        let api_addr = api.local_addr().map_err(|e| bind("REST", e))?;
        // With the trailing slash, like Discord's `wss://gateway.discord.gg/`.
        let gateway_url = format!(
            "ws://{}/",
            gateway.local_addr().map_err(|e| bind("gateway", e))?
        );

        let (changes, _) = watch::channel(0);
        let identity = world::Identity {
            application: options.application_id,
            bot_name: &options.bot_name,
            bot_permissions: options.bot_permissions,
        };
        let timing = Timing {
            nonce_window: options.nonce_window,
            ack_deadline: options.interaction_ack_deadline,
            token_lifetime: options.interaction_token_lifetime,
        };
        let mut world = World::new(identity, timing);
        world.gateway.limits = gateway::StartLimits {
            total: options.session_start_limit,
            max_concurrency: options.max_concurrency.max(1),
            interval: options.identify_interval,
            since: Instant::now(),
        };
        let inner = Arc::new(Inner {
            token: options.token.clone(),
            gateway_url: gateway_url.clone(),
            spec,
            transcript: Transcript::new(instance, options.token.clone(), file, changes.clone()),
            world: Mutex::new(world),
            limiter: Mutex::new(Limiter::new(options.rate_limits.clone())),
            faults: Mutex::default(),
            findings: Mutex::default(),
            changes,
        });

        let (stop, stopped) = watch::channel(false);
        let mut tasks = vec![tokio::spawn(http::serve(
            api,
            Arc::clone(&inner),
            None,
            stopped.clone(),
        ))];
        let gateway_config = gateway::Config {
            token: options.token.clone(),
            heartbeat_interval: options.heartbeat_interval,
            allowed_privileged_intents: options.allowed_privileged_intents,
            url: gateway_url,
        };
        tasks.push(tokio::spawn(gateway::serve(
            gateway,
            Arc::clone(&inner),
            gateway_config,
            stopped.clone(),
        )));
        let tls = if options.tls {
            let material = tls::generate().map_err(StartError)?;
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| bind("TLS", e))?;
            let addr = listener.local_addr().map_err(|e| bind("TLS", e))?;
            tasks.push(tokio::spawn(http::serve(
                listener,
                Arc::clone(&inner),
                Some(material.acceptor),
                stopped,
            )));
            Some((addr, material.ca_pem))
        } else {
            None
        };
        Ok(FakeDiscord {
            inner,
            api_addr,
            tls,
            stop,
            tasks,
        })
    }

    // ----- where the bot connects -------------------------------------------------------------------

    /// The proxy-mode base URL, `http://127.0.0.1:PORT` (the API lives under `/api/v10`).
    pub fn api_base(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// The gateway URL `GET /gateway` returns, `ws://127.0.0.1:PORT/`.
    pub fn gateway_url(&self) -> &str {
        &self.inner.gateway_url
    }

    /// In TLS mode, where HTTPS for `discord.com` is served.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(|(addr, _)| *addr)
    }

    /// In TLS mode, the PEM of the CA that signed the `discord.com` certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The bot token the fake accepts.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    pub fn application_id(&self) -> ApplicationId {
        self.inner.world().application
    }

    /// The bot's user id (its application's id).
    pub fn bot_user_id(&self) -> UserId {
        self.inner.world().bot
    }

    /// The application's owner, who also owns every guild (poise reads owners from the application).
    pub fn application_owner(&self) -> UserId {
        self.inner.world().app_owner
    }

    // ----- the world --------------------------------------------------------------------------------

    /// Adds a guild the bot is in, with @everyone, the bot's role and the application owner as owner.
    /// After READY the bot gets a GUILD_CREATE, as when it joins a guild.
    pub fn add_guild(&self, name: &str) -> GuildId {
        self.inner.world().add_guild(name)
    }

    /// Adds a guild created long before the bot joined it (GUILD_CREATE after READY): ids of guilds
    /// added this way are a millisecond apart, so they spread over shards by the Sharding Formula as
    /// real servers do (ids minted in one millisecond all fall on one shard).
    pub fn add_existing_guild(&self, name: &str) -> GuildId {
        self.inner.world().add_existing_guild(name)
    }

    /// Adds a text channel (CHANNEL_CREATE after READY). Panics on an unknown guild.
    pub fn add_text_channel(&self, guild: GuildId, name: &str) -> ChannelId {
        expect(
            self.inner.world().add_text_channel(guild, name),
            "add_text_channel",
        )
    }

    /// Deletes a channel (CHANNEL_DELETE); using it then answers 10003 Unknown Channel.
    /// Removes the bot from a guild (a kick); GUILD_DELETE follows.
    pub fn remove_bot(&self, guild: GuildId) {
        expect(self.inner.world().remove_bot(guild), "remove_bot");
    }

    pub fn remove_channel(&self, channel: ChannelId) {
        expect(self.inner.world().remove_channel(channel), "remove_channel");
    }

    /// Adds a role granting `permissions`.
    pub fn add_role(&self, guild: GuildId, name: &str, permissions: Permissions) -> RoleId {
        expect(
            self.inner.world().add_role(guild, name, permissions),
            "add_role",
        )
    }

    /// Changes a role's permissions; `RoleId::new(guild.get())` is @everyone.
    pub fn set_role_permissions(&self, guild: GuildId, role: RoleId, permissions: Permissions) {
        expect(
            self.inner
                .world()
                .set_role_permissions(guild, role, permissions),
            "set_role_permissions",
        );
    }

    /// Adds a member; non-empty `permissions` come from a role of their own, on top of @everyone's.
    pub fn add_member(&self, guild: GuildId, name: &str, permissions: Permissions) -> UserId {
        expect(
            self.inner.world().add_member(guild, name, permissions),
            "add_member",
        )
    }

    /// Lets a member use a command whatever its `default_member_permissions`, as a server admin can in
    /// Server Settings → Integrations: Discord's client then lets them run it, and the bot must check
    /// permissions itself.
    pub fn allow_command(&self, guild: GuildId, command: &str, member: UserId) {
        self.inner
            .world()
            .command_overrides
            .insert((guild, command.to_owned(), member));
    }

    /// Gives a member a role.
    pub fn give_role(&self, guild: GuildId, user: UserId, role: RoleId) {
        expect(self.inner.world().give_role(guild, user, role), "give_role");
    }

    /// Sets a channel permission overwrite (empty allow and deny remove it); CHANNEL_UPDATE follows.
    pub fn set_overwrite(&self, channel: ChannelId, overwrite: Overwrite) {
        expect(
            self.inner.world().set_overwrite(channel, overwrite),
            "set_overwrite",
        );
    }

    /// Makes the bot's permissions in `channel` exactly `permissions`, with a member overwrite.
    pub fn set_bot_permissions(&self, channel: ChannelId, permissions: Permissions) {
        let target = OverwriteTarget::Member(self.bot_user_id());
        self.set_overwrite(
            channel,
            Overwrite {
                target,
                allow: permissions,
                deny: Permissions::all() - permissions,
            },
        );
    }

    /// Denies the bot `permissions` in `channel` (on top of its current overwrite).
    pub fn deny_bot(&self, channel: ChannelId, permissions: Permissions) {
        self.adjust_bot_overwrite(channel, Permissions::empty(), permissions);
    }

    /// Allows the bot `permissions` in `channel` (on top of its current overwrite).
    pub fn allow_bot(&self, channel: ChannelId, permissions: Permissions) {
        self.adjust_bot_overwrite(channel, permissions, Permissions::empty());
    }

    fn adjust_bot_overwrite(&self, channel: ChannelId, allow: Permissions, deny: Permissions) {
        let mut world = self.inner.world();
        let target = OverwriteTarget::Member(world.bot);
        let current = expect(world.overwrite(channel, target), "bot overwrite");
        let updated = Overwrite {
            target,
            allow: (current.allow - deny) | allow,
            deny: (current.deny - allow) | deny,
        };
        expect(world.set_overwrite(channel, updated), "bot overwrite");
    }

    /// `user`'s computed permissions in `channel` (empty for non-members or unknown channels).
    pub fn permissions_in(&self, channel: ChannelId, user: UserId) -> Permissions {
        self.inner
            .world()
            .permissions_in(channel, user)
            .unwrap_or_default()
    }

    /// The bot's computed permissions in `channel`.
    pub fn bot_permissions_in(&self, channel: ChannelId) -> Permissions {
        self.permissions_in(channel, self.bot_user_id())
    }

    /// The messages visible in `channel`, oldest first (ephemeral responses are not in channels).
    pub fn messages(&self, channel: ChannelId) -> Vec<Value> {
        let world = self.inner.world();
        world
            .messages
            .values()
            .filter(|m| m.channel == channel && !m.ephemeral)
            .map(|m| m.json.clone())
            .collect()
    }

    /// How many messages all channels hold (ephemeral ones excluded): cheap to poll while thousands land.
    pub fn message_count(&self) -> usize {
        self.inner
            .world()
            .messages
            .values()
            .filter(|m| !m.ephemeral)
            .count()
    }

    /// Every stored message, ephemeral ones included, oldest first: what a person watching the whole
    /// fake, as the console does, gets to see.
    pub fn all_messages(&self) -> Vec<StoredView> {
        self.inner
            .world()
            .messages
            .iter()
            .map(|(id, m)| StoredView {
                id: *id,
                channel: m.channel,
                ephemeral: m.ephemeral,
                json: m.json.clone(),
            })
            .collect()
    }

    /// A channel's name, if the channel exists.
    pub fn channel_name(&self, channel: ChannelId) -> Option<String> {
        self.inner
            .world()
            .channel(channel)
            .ok()
            .map(|c| c.name.clone())
    }

    /// A message by id, ephemeral ones included.
    pub fn message(&self, id: MessageId) -> Option<Value> {
        self.inner.world().messages.get(&id).map(|m| m.json.clone())
    }

    /// The ids of the guilds the bot is in, in id order.
    pub fn guild_ids(&self) -> Vec<GuildId> {
        self.inner.world().guilds.keys().copied().collect()
    }

    /// The commands registered for `scope`, as `GET …/commands` returns them.
    pub fn registered_commands(&self, scope: Scope) -> Vec<Value> {
        self.inner.world().list_commands(scope)
    }

    // ----- the gateway ------------------------------------------------------------------------------

    /// Waits until the bot has identified and READY (with the GUILD_CREATEs after it) was sent.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<SessionInfo, Timeout> {
        self.inner
            .wait_for(timeout, "the bot to IDENTIFY and get READY", || {
                self.session()
            })
            .await
    }

    /// The bot's gateway session (that of its lowest shard), if it has one.
    pub fn session(&self) -> Option<SessionInfo> {
        self.inner.world().gateway.info()
    }

    /// Every gateway session of the bot, one per shard, by shard.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.inner.world().gateway.all()
    }

    /// Waits until `count` shards have identified, got READY and are connected.
    pub async fn wait_shards_ready(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<SessionInfo>, Timeout> {
        self.inner
            .wait_for(timeout, &format!("{count} shards to get READY"), || {
                let sessions = self.sessions();
                (sessions.iter().filter(|s| s.connected).count() >= count).then_some(sessions)
            })
            .await
    }

    /// Waits until `probe` holds, re-checking after every request and gateway frame.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut probe: impl FnMut(&FakeDiscord) -> Option<T>,
    ) -> Result<T, Timeout> {
        self.inner.wait_for(timeout, what, || probe(self)).await
    }

    /// Sends RECONNECT (op 7); returns once it is written (false: no connection to send it on).
    pub async fn reconnect_gateway(&self) -> bool {
        let sent = self.inner.world().gateway.reconnect();
        settled(sent).await
    }

    /// Sends INVALID_SESSION (op 9) with `d: resumable`; a non-resumable session ends at once.
    pub async fn invalidate_session(&self, resumable: bool) -> bool {
        let sent = self.inner.world().gateway.invalidate(resumable);
        settled(sent).await
    }

    /// Closes the bot's connection with a gateway close code (4007 and 4009 also end the session).
    pub async fn close_gateway(&self, code: u16, reason: &str) -> bool {
        let sent = self.inner.world().gateway.close(code, reason);
        settled(sent).await
    }

    /// Makes the gateway unreachable (`true`: every new connection is closed at once, as an outage of
    /// Discord's edge would) or reachable again. The connection already open is left alone; drop it with
    /// [`FakeDiscord::drop_gateway`]. The session stays resumable throughout.
    pub fn set_gateway_unreachable(&self, unreachable: bool) {
        self.inner.world().gateway.unreachable = unreachable;
    }

    /// Drops the bot's TCP connection without a close frame; the session stays resumable.
    pub async fn drop_gateway(&self) -> bool {
        let sent = self.inner.world().gateway.drop_connection();
        settled(sent).await
    }

    // ----- interactions ------------------------------------------------------------------------------

    /// `member` runs `/name …options` in `channel`: INTERACTION_CREATE (type 2) with the registered
    /// command's id and option types, checked the way Discord's client checks it. Returns once the
    /// payload is on the wire (or queued for the bot's RESUME).
    pub async fn invoke_command(
        &self,
        guild: GuildId,
        channel: ChannelId,
        member: UserId,
        name: &str,
        options: impl IntoIterator<Item = Opt>,
    ) -> Result<Interaction, InvokeError> {
        self.invoke_command_crafted(guild, channel, member, name, options, |_| {})
            .await
    }

    /// Like [`invoke_command`](Self::invoke_command), then `craft` changes the interaction's `data`
    /// (`options`, `resolved`) before it is sent: what Discord's client would not let a member send,
    /// such as a channel or a role of another guild, for a bot that must not take the interaction's
    /// word for it.
    pub async fn invoke_command_crafted(
        &self,
        guild: GuildId,
        channel: ChannelId,
        member: UserId,
        name: &str,
        options: impl IntoIterator<Item = Opt>,
        craft: impl FnOnce(&mut Value),
    ) -> Result<Interaction, InvokeError> {
        let options: Vec<Opt> = options.into_iter().collect();
        let place = Place {
            guild: Some(guild),
            channel,
            user: member,
        };
        self.interact(|w| {
            w.command_interaction(
                place,
                name,
                &options,
                interactions::APPLICATION_COMMAND,
                craft,
            )
        })
        .await
    }

    /// `member` types into an option with autocomplete: INTERACTION_CREATE (type 4); exactly one option
    /// must be [`focused`].
    pub async fn autocomplete(
        &self,
        guild: GuildId,
        channel: ChannelId,
        member: UserId,
        name: &str,
        options: impl IntoIterator<Item = Opt>,
    ) -> Result<Interaction, InvokeError> {
        let options: Vec<Opt> = options.into_iter().collect();
        let place = Place {
            guild: Some(guild),
            channel,
            user: member,
        };
        self.interact(|w| {
            w.command_interaction(place, name, &options, interactions::AUTOCOMPLETE, |_| {})
        })
        .await
    }

    /// `member` clicks the button `custom_id` on `message`: INTERACTION_CREATE (type 3).
    pub async fn click_button(
        &self,
        guild: GuildId,
        channel: ChannelId,
        member: UserId,
        message: MessageId,
        custom_id: &str,
    ) -> Result<Interaction, InvokeError> {
        let place = Place {
            guild: Some(guild),
            channel,
            user: member,
        };
        self.interact(|w| w.component_interaction(place, message, custom_id, None))
            .await
    }

    /// `member` picks `values` in the select menu `custom_id` on `message`: INTERACTION_CREATE (type 3).
    pub async fn select(
        &self,
        guild: GuildId,
        channel: ChannelId,
        member: UserId,
        message: MessageId,
        custom_id: &str,
        values: &[&str],
    ) -> Result<Interaction, InvokeError> {
        let place = Place {
            guild: Some(guild),
            channel,
            user: member,
        };
        self.interact(|w| w.component_interaction(place, message, custom_id, Some(values)))
            .await
    }

    /// The bytes of the file `filename` uploaded with message `message`, if there is one.
    pub fn uploaded_file(&self, message: MessageId, filename: &str) -> Option<Vec<u8>> {
        let world = self.inner.world();
        let bytes = world.uploaded.get(&(message, filename.to_owned()))?;
        Some(bytes.to_vec())
    }

    /// Uploads a file a member is about to attach to a command; the attachment id to give as the
    /// ATTACHMENT option's value (`opt("file", id)`).
    pub fn attach_file(&self, filename: &str, bytes: impl Into<Vec<u8>>) -> String {
        let base = self.api_base();
        self.inner.world().attach(&base, filename, bytes.into())
    }

    /// The member who got the modal the bot opened in answer to `opener` submits it, with `values` by
    /// text input `custom_id` (the others keep what the modal pre-filled): INTERACTION_CREATE (type 5).
    pub async fn submit_modal(
        &self,
        opener: InteractionId,
        values: &[(&str, &str)],
    ) -> Result<Interaction, InvokeError> {
        self.interact(|w| w.modal_submit_interaction(opener, values))
            .await
    }

    async fn interact(
        &self,
        create: impl FnOnce(&mut World) -> Result<Dispatched, InvokeError>,
    ) -> Result<Interaction, InvokeError> {
        let (id, payload, written) = create(&mut self.inner.world())?;
        settled(written).await;
        Ok(Interaction {
            inner: Arc::clone(&self.inner),
            id,
            payload,
        })
    }

    // ----- observing --------------------------------------------------------------------------------

    /// Every HTTP exchange so far, in order.
    pub fn requests(&self) -> Vec<Exchange> {
        self.transcript()
            .into_iter()
            .filter_map(|e| match e.event {
                Event::Http(x) => Some(x),
                Event::Gateway(_) => None,
            })
            .collect()
    }

    /// The whole transcript so far: HTTP exchanges and gateway frames, in order.
    pub fn transcript(&self) -> Vec<Entry> {
        self.inner.transcript.entries()
    }

    /// Requests the bot got wrong (invalid bodies and the like).
    pub fn violations(&self) -> Vec<Finding> {
        self.findings(|k| k == FindingKind::Request)
    }

    /// The fake's own failings: responses that break the spec, routes it does not serve.
    pub fn fake_bugs(&self) -> Vec<Finding> {
        self.findings(|k| k != FindingKind::Request)
    }

    fn findings(&self, keep: impl Fn(FindingKind) -> bool) -> Vec<Finding> {
        lock(&self.inner.findings)
            .iter()
            .filter(|f| keep(f.kind))
            .cloned()
            .collect()
    }

    /// Panics, listing them, if there is any finding at all: bot violations or fake bugs.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let findings = lock(&self.inner.findings).clone();
        if !findings.is_empty() {
            let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
            panic!(
                "fake-discord recorded {} finding(s):\n{}",
                findings.len(),
                list.join("\n")
            );
        }
    }

    /// Requests answered 401, 403 or 429 (except `shared` 429s) in the last ten minutes.
    pub fn invalid_request_count(&self) -> usize {
        self.inner.limiter().invalid_count(Instant::now())
    }

    // ----- faults -----------------------------------------------------------------------------------

    /// Injects a fault; request faults apply to the next matching requests, state faults at once.
    pub fn inject(&self, fault: Fault) {
        let Some(state_fault) = self.inner.faults().arm(fault) else {
            return;
        };
        let mut world = self.inner.world();
        match state_fault {
            Fault::MissingPermissions { channel } => {
                drop(world);
                self.deny_bot(channel, Permissions::SEND_MESSAGES);
            }
            Fault::UnknownChannel { channel } => {
                expect(world.remove_channel(channel), "Fault::UnknownChannel")
            }
            Fault::ExpiredInteraction { interaction } => {
                if let Some(i) = world.interactions.get_mut(&interaction) {
                    i.expired = true;
                }
            }
            request_fault => unreachable!("{request_fault:?} is armed, not applied"),
        }
    }

    /// Turns chaos on (replacing any before) or, with `None`, off.
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.inner.faults().chaos = chaos.map(chaos::ChaosState::new);
    }

    /// How many requests chaos has failed since it was last turned on.
    pub fn chaos_failures(&self) -> u64 {
        self.inner.faults().chaos.as_ref().map_or(0, |c| c.failed)
    }

    /// Stops the listeners and closes every connection, and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Waits (briefly) for a frame to be written or a connection to be closed; false if there was none.
async fn settled(sent: Option<oneshot::Receiver<()>>) -> bool {
    match sent {
        Some(rx) => tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .is_ok_and(|r| r.is_ok()),
        None => false,
    }
}

/// Unwraps the result of a test's change to the world; an error is a mistake in the test.
#[track_caller]
fn expect<T>(result: Result<T, errors::ApiError>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {}", e.body))
}
