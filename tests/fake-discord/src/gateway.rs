//! The gateway (gateway.mdx, gateway-events.mdx, opcodes-and-status-codes.mdx): a plain `ws://`
//! websocket server that says HELLO, takes IDENTIFY (checking the token and intents) and answers READY
//! then one GUILD_CREATE per guild; answers heartbeats; numbers dispatches and keeps them so a RESUME
//! replays what the bot missed; enforces the documented close codes and the 120-events-per-minute
//! limit; and on a test's demand sends RECONNECT or INVALID_SESSION, closes with a code, or drops the
//! connection. Large dispatches are zlib-compressed when IDENTIFY asked for payload compression.
//!
//! One session per shard: IDENTIFY's `shard: [id, total]` (none means `[0, 1]`) picks the guilds a
//! session hears about, by the Sharding Formula; dispatches go to the shard owning their guild, and
//! those without a guild to shard 0. IDENTIFYs are paced per `max_concurrency` bucket (too fast:
//! INVALID_SESSION), counted against the day's session start limit, and refused with 4010 for an
//! invalid shard and 4011 for a shard that would hold more than 2,500 guilds.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bitflags::bitflags;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use crate::Inner;
use crate::ids::{ChannelId, GuildId, random_u64};
use crate::transcript::{Direction, Event, Frame};
use crate::world::World;

bitflags! {
    /// Gateway intents (gateway.mdx, List of Intents).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Intents: u64 {
        const GUILDS = 1 << 0;
        const GUILD_MEMBERS = 1 << 1;
        const GUILD_MODERATION = 1 << 2;
        const GUILD_EXPRESSIONS = 1 << 3;
        const GUILD_INTEGRATIONS = 1 << 4;
        const GUILD_WEBHOOKS = 1 << 5;
        const GUILD_INVITES = 1 << 6;
        const GUILD_VOICE_STATES = 1 << 7;
        const GUILD_PRESENCES = 1 << 8;
        const GUILD_MESSAGES = 1 << 9;
        const GUILD_MESSAGE_REACTIONS = 1 << 10;
        const GUILD_MESSAGE_TYPING = 1 << 11;
        const DIRECT_MESSAGES = 1 << 12;
        const DIRECT_MESSAGE_REACTIONS = 1 << 13;
        const DIRECT_MESSAGE_TYPING = 1 << 14;
        const MESSAGE_CONTENT = 1 << 15;
        const GUILD_SCHEDULED_EVENTS = 1 << 16;
        const AUTO_MODERATION_CONFIGURATION = 1 << 20;
        const AUTO_MODERATION_EXECUTION = 1 << 21;
        const GUILD_MESSAGE_POLLS = 1 << 24;
        const DIRECT_MESSAGE_POLLS = 1 << 25;
    }
}

impl Intents {
    /// The intents an app must enable in the Developer Portal before asking for them.
    pub const PRIVILEGED: Self = Self::GUILD_MEMBERS
        .union(Self::GUILD_PRESENCES)
        .union(Self::MESSAGE_CONTENT);
}

/// Client payloads larger than this close the connection with 4002 (gateway.mdx, Sending Events).
const MAX_CLIENT_PAYLOAD: usize = 4096;
/// Client payloads allowed per connection per minute before a 4008 close (gateway.mdx, Rate Limiting).
const MAX_CLIENT_EVENTS_PER_MINUTE: usize = 120;
/// Dispatches kept for RESUME; an older sequence number can no longer be resumed.
const REPLAY_LOG: usize = 1000;
/// With payload compression, dispatches larger than this are sent zlib-compressed (Discord compresses
/// "some" payloads; the large ones are the ones that matter).
const COMPRESS_OVER: usize = 1024;
/// How long the fake waits for the bot to answer its close frame before dropping the socket.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Gateway opcodes (opcodes-and-status-codes.mdx).
mod op {
    pub const DISPATCH: u64 = 0;
    pub const HEARTBEAT: u64 = 1;
    pub const IDENTIFY: u64 = 2;
    pub const PRESENCE_UPDATE: u64 = 3;
    pub const VOICE_STATE_UPDATE: u64 = 4;
    pub const RESUME: u64 = 6;
    pub const RECONNECT: u64 = 7;
    pub const REQUEST_GUILD_MEMBERS: u64 = 8;
    pub const INVALID_SESSION: u64 = 9;
    pub const HELLO: u64 = 10;
    pub const HEARTBEAT_ACK: u64 = 11;
    pub const REQUEST_SOUNDBOARD_SOUNDS: u64 = 31;
    pub const REQUEST_CHANNEL_INFO: u64 = 43;
}

/// Gateway close codes (opcodes-and-status-codes.mdx).
pub mod close {
    pub const UNKNOWN_ERROR: u16 = 4000;
    pub const UNKNOWN_OPCODE: u16 = 4001;
    pub const DECODE_ERROR: u16 = 4002;
    pub const NOT_AUTHENTICATED: u16 = 4003;
    pub const AUTHENTICATION_FAILED: u16 = 4004;
    pub const ALREADY_AUTHENTICATED: u16 = 4005;
    pub const INVALID_SEQ: u16 = 4007;
    pub const RATE_LIMITED: u16 = 4008;
    pub const SESSION_TIMED_OUT: u16 = 4009;
    pub const INVALID_SHARD: u16 = 4010;
    pub const SHARDING_REQUIRED: u16 = 4011;
    pub const INVALID_API_VERSION: u16 = 4012;
    pub const INVALID_INTENTS: u16 = 4013;
    pub const DISALLOWED_INTENTS: u16 = 4014;
}

/// The most guilds one shard may hold (gateway.mdx, Sharding); more closes the IDENTIFY with 4011.
pub const MAX_GUILDS_PER_SHARD: usize = 2500;
/// The documented pace of IDENTIFYs: one per bucket per 5 seconds (gateway.mdx, Max Concurrency).
pub const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// The gateway API version the fake speaks.
const VERSION: u64 = 10;

/// What a connection task is told to do.
pub(crate) enum Outbound {
    /// Send a payload; `written` fires once it is on the socket.
    Frame {
        payload: Value,
        written: Option<oneshot::Sender<()>>,
    },
    /// Close with a code, then report.
    Close {
        code: u16,
        reason: String,
        done: oneshot::Sender<()>,
    },
    /// Drop the TCP connection without a close frame, then report.
    Drop { done: oneshot::Sender<()> },
}

/// A shard of the bot's gateway traffic (gateway.mdx, Sharding): `[id, total]` in IDENTIFY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    pub id: u32,
    pub total: u32,
}

impl Shard {
    /// What an IDENTIFY without `shard` means.
    pub const ONLY: Shard = Shard { id: 0, total: 1 };

    /// Whether this shard receives `guild`'s events: `(guild_id >> 22) % num_shards` (Sharding Formula).
    pub fn owns(self, guild: GuildId) -> bool {
        (guild.get() >> 22) % u64::from(self.total) == u64::from(self.id)
    }
}

/// What limits IDENTIFYs (gateway.mdx, Session Start Limit Object and Max Concurrency).
#[derive(Clone, Copy, Debug)]
pub(crate) struct StartLimits {
    /// Session starts allowed per day.
    pub total: u32,
    pub max_concurrency: u32,
    /// The pace per bucket (`shard_id % max_concurrency`): one IDENTIFY per interval.
    pub interval: Duration,
    /// When the day of the session start limit began.
    pub since: Instant,
}

impl Default for StartLimits {
    fn default() -> Self {
        StartLimits {
            total: 1000,
            max_concurrency: 1,
            interval: IDENTIFY_INTERVAL,
            since: Instant::now(),
        }
    }
}

/// The bot's gateway sessions, one per shard, and the live connections.
#[derive(Default)]
pub(crate) struct Sessions {
    /// A new IDENTIFY for a shard replaces its earlier session: Discord would keep both, but a bot
    /// identifies again only once it has given the old one up.
    sessions: BTreeMap<Shard, Session>,
    links: HashMap<u64, mpsc::UnboundedSender<Outbound>>,
    next_connection: u64,
    /// IDENTIFYs accepted, for `GET /gateway/bot`'s session start limit.
    pub identifies: u32,
    pub limits: StartLimits,
    /// When each rate-limit bucket last accepted an IDENTIFY.
    last_identify: HashMap<u32, Instant>,
    /// While set, new connections are closed as soon as they are accepted: the gateway is unreachable.
    pub unreachable: bool,
}

struct Session {
    id: String,
    intents: Intents,
    compress: bool,
    seq: u64,
    /// Numbered dispatches, oldest first, for RESUME.
    log: VecDeque<(u64, Value)>,
    /// The connection the session is attached to; `None` while the bot is disconnected.
    connection: Option<u64>,
}

/// What the handle learns about one of the bot's sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub session_id: String,
    pub shard: Shard,
    pub intents: Intents,
    pub compress: bool,
    /// The last sequence number sent.
    pub seq: u64,
    /// Whether a connection is attached (false between a drop and the RESUME).
    pub connected: bool,
}

/// Why an IDENTIFY is not accepted.
enum Refusal {
    /// Closes the connection with this code.
    Close(u16, String),
    /// Too fast for the bucket: INVALID_SESSION (not resumable), and the connection stays.
    TooFast,
}

impl Sessions {
    /// Whether the bot has a live session on any shard (READY was sent).
    pub fn is_ready(&self) -> bool {
        !self.sessions.is_empty()
    }

    /// The intents of the session that receives `guild`'s events (empty if none does).
    pub fn intents_for(&self, guild: GuildId) -> Intents {
        self.sessions
            .iter()
            .find(|(shard, _)| shard.owns(guild))
            .map_or(Intents::empty(), |(_, s)| s.intents)
    }

    /// The session of the lowest shard: the only one of a bot that does not shard.
    pub fn info(&self) -> Option<SessionInfo> {
        self.all().into_iter().next()
    }

    /// Every session, by shard.
    pub fn all(&self) -> Vec<SessionInfo> {
        self.sessions
            .iter()
            .map(|(shard, s)| SessionInfo {
                session_id: s.id.clone(),
                shard: *shard,
                intents: s.intents,
                compress: s.compress,
                seq: s.seq,
                connected: s.connection.is_some(),
            })
            .collect()
    }

    /// Sends a dispatch to the sessions that receive it: those of the shard owning the guild it names
    /// (`guild_id`, or `id` for the GUILD_* events), or shard 0 for one that names no guild
    /// (gateway.mdx, Sharding). Only sessions subscribed to `intent` (`None`: any). The receiver fires
    /// once it is written.
    pub fn dispatch(
        &mut self,
        intent: Option<Intents>,
        event: &str,
        data: Value,
    ) -> Option<oneshot::Receiver<()>> {
        let guild = routing_guild(event, &data);
        let shards: Vec<Shard> = self
            .sessions
            .keys()
            .copied()
            .filter(|shard| guild.map_or(shard.id == 0, |g| shard.owns(g)))
            .collect();
        let mut written = None;
        for shard in shards {
            written = self
                .dispatch_to(shard, intent, event, data.clone())
                .or(written);
        }
        written
    }

    /// Numbers and logs a dispatch for `shard`'s session (if it subscribed to `intent`) and sends it if
    /// a connection is attached.
    fn dispatch_to(
        &mut self,
        shard: Shard,
        intent: Option<Intents>,
        event: &str,
        data: Value,
    ) -> Option<oneshot::Receiver<()>> {
        let session = self.sessions.get_mut(&shard)?;
        if intent.is_some_and(|i| !session.intents.intersects(i)) {
            return None;
        }
        session.seq += 1;
        let payload = json!({"op": op::DISPATCH, "d": data, "s": session.seq, "t": event});
        session.log.push_back((session.seq, payload.clone()));
        if session.log.len() > REPLAY_LOG {
            session.log.pop_front();
        }
        self.tell(shard, |written| Outbound::Frame {
            payload,
            written: Some(written),
        })
    }

    /// The lowest shard with a session, which the handle's gateway faults act on.
    fn first(&self) -> Option<Shard> {
        self.sessions.keys().next().copied()
    }

    /// Hands an order to the connection `shard`'s session is attached to; the receiver fires once it
    /// is carried out. `None` when that shard is not connected.
    fn tell(
        &self,
        shard: Shard,
        order: impl FnOnce(oneshot::Sender<()>) -> Outbound,
    ) -> Option<oneshot::Receiver<()>> {
        let link = self.links.get(&self.sessions.get(&shard)?.connection?)?;
        let (done, rx) = oneshot::channel();
        link.send(order(done)).ok()?;
        Some(rx)
    }

    /// RECONNECT (op 7): the bot should reconnect and resume.
    pub fn reconnect(&self) -> Option<oneshot::Receiver<()>> {
        let payload = control(op::RECONNECT, Value::Null);
        self.tell(self.first()?, |written| Outbound::Frame {
            payload,
            written: Some(written),
        })
    }

    /// INVALID_SESSION (op 9). A session that is not resumable is gone at once.
    pub fn invalidate(&mut self, resumable: bool) -> Option<oneshot::Receiver<()>> {
        let shard = self.first()?;
        let payload = control(op::INVALID_SESSION, json!(resumable));
        let sent = self.tell(shard, |written| Outbound::Frame {
            payload,
            written: Some(written),
        });
        if !resumable {
            self.sessions.remove(&shard);
        }
        sent
    }

    /// Closes the attached connection with `code`; 4007 and 4009 also end the session, as they tell
    /// the bot to start a new one.
    pub fn close(&mut self, code: u16, reason: &str) -> Option<oneshot::Receiver<()>> {
        let shard = self.first()?;
        let reason = reason.to_owned();
        let sent = self.tell(shard, |done| Outbound::Close { code, reason, done })?;
        if matches!(code, close::INVALID_SEQ | close::SESSION_TIMED_OUT) {
            self.sessions.remove(&shard);
        }
        Some(sent)
    }

    /// Drops the attached connection without a close frame; the session stays resumable.
    pub fn drop_connection(&self) -> Option<oneshot::Receiver<()>> {
        self.tell(self.first()?, |done| Outbound::Drop { done })
    }

    /// `GET /gateway/bot`'s `session_start_limit`.
    pub fn session_start_limit(&self, now: Instant) -> Value {
        let day = Duration::from_secs(24 * 60 * 60);
        let reset_after = day.saturating_sub(now.saturating_duration_since(self.limits.since));
        json!({
            "total": self.limits.total,
            "remaining": self.limits.total.saturating_sub(self.identifies),
            "reset_after": reset_after.as_millis() as u64,
            "max_concurrency": self.limits.max_concurrency,
        })
    }

    /// Checks an IDENTIFY for `shard` against the pace of its bucket and the day's session starts,
    /// and counts it if it passes.
    fn admit(&mut self, shard: Shard, now: Instant) -> Result<(), Refusal> {
        let bucket = shard.id % self.limits.max_concurrency.max(1);
        if self
            .last_identify
            .get(&bucket)
            .is_some_and(|last| now.saturating_duration_since(*last) < self.limits.interval)
        {
            return Err(Refusal::TooFast);
        }
        if self.identifies >= self.limits.total {
            // Discord resets the token of a bot over its daily limit, so the IDENTIFY fails.
            return Err(Refusal::Close(
                close::AUTHENTICATION_FAILED,
                "session start limit reached; the token was reset".to_owned(),
            ));
        }
        self.identifies += 1;
        self.last_identify.insert(bucket, now);
        Ok(())
    }

    fn register(&mut self, link: mpsc::UnboundedSender<Outbound>) -> u64 {
        self.next_connection += 1;
        self.links.insert(self.next_connection, link);
        self.next_connection
    }

    fn unregister(&mut self, connection: u64) {
        self.links.remove(&connection);
        for s in self.sessions.values_mut() {
            if s.connection == Some(connection) {
                s.connection = None;
            }
        }
    }
}

/// The guild a dispatch belongs to, for routing it to its shard.
fn routing_guild(event: &str, data: &Value) -> Option<GuildId> {
    let id = match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => &data["id"],
        _ => &data["guild_id"],
    };
    id.as_str()?.parse().ok().map(GuildId::new)
}

/// The `shard` of an IDENTIFY, checked: `[id, total]` with `id < total` (4010 otherwise).
fn parse_shard(shard: Option<&Value>) -> Result<Shard, (u16, String)> {
    let Some(shard) = shard.filter(|s| !s.is_null()) else {
        return Ok(Shard::ONLY);
    };
    let invalid = |why: &str| (close::INVALID_SHARD, format!("Invalid shard: {why}"));
    let pair = shard
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| invalid("shard must be [shard_id, num_shards]"))?;
    let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let (Some(id), Some(total)) = (number(&pair[0]), number(&pair[1])) else {
        return Err(invalid(
            "shard_id and num_shards must be non-negative integers",
        ));
    };
    if total == 0 || id >= total {
        return Err(invalid(
            "shard_id must be below num_shards, and num_shards at least 1",
        ));
    }
    Ok(Shard { id, total })
}

fn control(op: u64, d: Value) -> Value {
    json!({"op": op, "d": d, "s": null, "t": null})
}

/// What the gateway needs from the fake's options.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub token: String,
    pub heartbeat_interval: Duration,
    pub allowed_privileged_intents: Intents,
    /// `ws://127.0.0.1:PORT/`, also the `resume_gateway_url`.
    pub url: String,
}

impl Config {
    /// Whether a gateway payload's token is the bot's; Discord takes it with or without the `Bot `
    /// prefix of the HTTP header (serenity sends the prefix).
    fn accepts(&self, token: &str) -> bool {
        token.strip_prefix("Bot ").unwrap_or(token) == self.token
    }
}

impl World {
    /// Starts `shard`'s session for `connection` after a valid IDENTIFY: READY listing the shard's
    /// guilds, then GUILD_CREATE for each.
    fn identify(
        &mut self,
        connection: u64,
        intents: Intents,
        compress: bool,
        shard: Shard,
        config: &Config,
    ) {
        let id = format!("{:016x}{:016x}", random_u64(), random_u64());
        self.gateway.sessions.insert(
            shard,
            Session {
                id: id.clone(),
                intents,
                compress,
                seq: 0,
                log: VecDeque::new(),
                connection: Some(connection),
            },
        );
        // An unverified app with a privileged intent enabled has the matching *_LIMITED flag.
        let allowed = config.allowed_privileged_intents;
        let flags = [
            (Intents::GUILD_PRESENCES, 1 << 13),
            (Intents::GUILD_MEMBERS, 1 << 15),
            (Intents::MESSAGE_CONTENT, 1 << 19),
        ]
        .iter()
        .filter(|(intent, _)| allowed.contains(*intent))
        .fold(0u64, |acc, (_, flag)| acc | flag);
        let mut channels: BTreeMap<GuildId, Vec<ChannelId>> = self
            .guilds
            .keys()
            .filter(|g| shard.owns(**g))
            .map(|g| (*g, Vec::new()))
            .collect();
        let guilds: Vec<Value> = channels
            .keys()
            .map(|g| json!({"id": g, "unavailable": true}))
            .collect();
        let ready = json!({
            "v": VERSION,
            "user": self.current_user_json(),
            "guilds": guilds,
            "session_id": id,
            "resume_gateway_url": config.url,
            "application": {"id": self.application, "flags": flags},
            "shard": [shard.id, shard.total],
        });
        self.gateway.dispatch_to(shard, None, "READY", ready);
        for channel in self.channels.values() {
            if let Some(list) = channels.get_mut(&channel.guild) {
                list.push(channel.id);
            }
        }
        for (guild, channels) in channels {
            let data = self.guild_create_json_with(guild, intents, &channels);
            self.gateway
                .dispatch_to(shard, Some(Intents::GUILDS), "GUILD_CREATE", data);
        }
    }

    /// Attaches `connection` to the session `session_id` and replays what came after `seq`, then
    /// RESUMED; or answers INVALID_SESSION (not resumable) for an unknown session or one whose events
    /// after `seq` are no longer kept. A `seq` from the future is refused with close code 4007.
    fn resume(&mut self, connection: u64, session_id: &str, seq: u64) -> Result<(), u16> {
        let Some(link) = self.gateway.links.get(&connection).cloned() else {
            return Ok(());
        };
        let send = |payload: Value| {
            let _ = link.send(Outbound::Frame {
                payload,
                written: None,
            });
        };
        let found = self
            .gateway
            .sessions
            .iter()
            .find(|(_, s)| s.id == session_id)
            .map(|(shard, s)| {
                let kept = s.log.front().is_none_or(|(oldest, _)| seq + 1 >= *oldest);
                (*shard, s.seq, kept)
            });
        let shard = match found {
            None => None,
            Some((_, last, _)) if seq > last => return Err(close::INVALID_SEQ),
            Some((shard, _, kept)) => Some(shard).filter(|_| kept),
        };
        let Some(shard) = shard else {
            send(control(op::INVALID_SESSION, json!(false)));
            // A session that cannot be resumed any more is over; an unknown id leaves the others be.
            self.gateway.sessions.retain(|_, s| s.id != session_id);
            return Ok(());
        };
        if let Some(session) = self.gateway.sessions.get_mut(&shard) {
            session.connection = Some(connection);
            session
                .log
                .iter()
                .filter(|(s, _)| *s > seq)
                .for_each(|(_, payload)| send(payload.clone()));
        }
        self.gateway.dispatch_to(shard, None, "RESUMED", json!({}));
        Ok(())
    }
}

/// Accepts gateway connections until `stop` changes; dropping the connection tasks on the way out.
pub(crate) async fn serve(
    listener: TcpListener,
    inner: Arc<Inner>,
    config: Config,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((tcp, _)) = accepted {
                    if inner.world().gateway.unreachable {
                        drop(tcp);
                        continue;
                    }
                    connections.spawn(connection(Arc::clone(&inner), config.clone(), tcp));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
}

/// How a connection ends.
enum Exit {
    /// The peer went away, or the fake closed with a close frame.
    Closed,
    /// The fake drops the socket on a test's demand; `done` fires once it is gone.
    Dropped(oneshot::Sender<()>),
}

struct Connection {
    inner: Arc<Inner>,
    config: Config,
    id: u64,
    ws: WebSocketStream<TcpStream>,
    identified: bool,
    compress: bool,
    heartbeat_deadline: Instant,
    received: VecDeque<Instant>,
}

async fn connection(inner: Arc<Inner>, config: Config, tcp: TcpStream) {
    let mut query = String::new();
    #[allow(
        clippy::result_large_err,
        reason = "the callback's error type is tungstenite's"
    )]
    let capture = |request: &Request, response: Response| {
        query = request.uri().query().unwrap_or_default().to_owned();
        Ok(response)
    };
    // Far above the 4096-byte payload limit, so oversize payloads get the documented 4002.
    let ws_config = WebSocketConfig {
        max_message_size: Some(1 << 20),
        max_frame_size: Some(1 << 20),
        ..Default::default()
    };
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(tcp, capture, Some(ws_config)).await
    else {
        return;
    };
    let (link, mut outbound) = mpsc::unbounded_channel();
    let id = inner.world().gateway.register(link);
    let heartbeat_deadline = Instant::now() + heartbeat_grace(config.heartbeat_interval);
    let mut conn = Connection {
        inner,
        config,
        id,
        ws,
        identified: false,
        compress: false,
        heartbeat_deadline,
        received: VecDeque::new(),
    };

    let exit = match query_problem(&query) {
        Some((code, reason)) => {
            conn.close(code, reason).await;
            Exit::Closed
        }
        None => {
            let hello = control(
                op::HELLO,
                json!({"heartbeat_interval": conn.config.heartbeat_interval.as_millis() as u64}),
            );
            conn.send(hello).await;
            conn.run(&mut outbound).await
        }
    };
    conn.inner.world().gateway.unregister(conn.id);
    conn.inner.announce_change();
    if let Exit::Dropped(done) = exit {
        conn.record(
            Direction::Sent,
            json!({"dropped": "the fake dropped the TCP connection without a close frame"}),
            false,
        );
        drop(conn);
        let _ = done.send(());
    }
}

/// The close code for a connection URL the fake refuses (gateway.mdx, Gateway URL Query String Params).
fn query_problem(query: &str) -> Option<(u16, &'static str)> {
    for (key, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        match (key, value) {
            ("v", v) if v != VERSION.to_string() => {
                return Some((close::INVALID_API_VERSION, "Invalid API version"));
            }
            ("encoding", e) if e != "json" => {
                return Some((close::DECODE_ERROR, "the fake speaks only encoding=json"));
            }
            ("compress", _) => {
                return Some((
                    close::DECODE_ERROR,
                    "the fake does not do transport compression",
                ));
            }
            _ => {}
        }
    }
    None
}

/// How long the fake waits for a heartbeat before closing a zombie connection: two intervals and a second.
fn heartbeat_grace(interval: Duration) -> Duration {
    interval * 2 + Duration::from_secs(1)
}

impl Connection {
    async fn run(&mut self, outbound: &mut mpsc::UnboundedReceiver<Outbound>) -> Exit {
        loop {
            tokio::select! {
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Some((code, reason)) = self.on_payload(&text) {
                            self.close(code, &reason).await;
                            return Exit::Closed;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        self.record(Direction::Received, json!({"binary": "a binary frame"}), false);
                        self.close(close::DECODE_ERROR, "the fake accepts only text JSON payloads").await;
                        return Exit::Closed;
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame.map_or((None, String::new()), |f| (Some(u16::from(f.code)), f.reason.into_owned()));
                        self.record(Direction::Received, json!({"close": code, "reason": reason}), false);
                        // Let tungstenite answer the close frame before the socket goes.
                        let _ = timeout(CLOSE_GRACE, self.ws.next()).await;
                        return Exit::Closed;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        self.record(Direction::Received, json!({"disconnected": "the bot's socket closed without a close frame"}), false);
                        return Exit::Closed;
                    }
                },
                command = outbound.recv() => match command {
                    Some(Outbound::Frame { payload, written }) => {
                        self.send(payload).await;
                        if let Some(written) = written {
                            let _ = written.send(());
                        }
                    }
                    Some(Outbound::Close { code, reason, done }) => {
                        self.close(code, &reason).await;
                        let _ = done.send(());
                        return Exit::Closed;
                    }
                    Some(Outbound::Drop { done }) => return Exit::Dropped(done),
                    None => return Exit::Closed,
                },
                () = sleep_until(self.heartbeat_deadline) => {
                    // Discord closes a connection that stops heartbeating; the session can be resumed.
                    self.close(close::UNKNOWN_ERROR, "heartbeat timed out").await;
                    return Exit::Closed;
                }
            }
        }
    }

    /// Handles one payload from the bot; returns the close code and reason if it ends the connection.
    fn on_payload(&mut self, text: &str) -> Option<(u16, String)> {
        let parsed: Option<Value> = serde_json::from_str(text).ok();
        let shown = parsed
            .clone()
            .unwrap_or_else(|| json!({"text": text.chars().take(1000).collect::<String>()}));
        self.record(Direction::Received, shown, false);
        if text.len() > MAX_CLIENT_PAYLOAD {
            return Some((
                close::DECODE_ERROR,
                format!("payload of {} bytes exceeds 4096", text.len()),
            ));
        }
        let Some(payload) = parsed.filter(Value::is_object) else {
            return Some((
                close::DECODE_ERROR,
                "payload is not a JSON object".to_owned(),
            ));
        };
        let now = Instant::now();
        // Heartbeats are left out of the count: tests use intervals far below Discord's ~41 s, and
        // counting them would punish the test's setting, not the bot.
        if payload["op"] != op::HEARTBEAT && self.over_rate_limit(now) {
            return Some((
                close::RATE_LIMITED,
                "more than 120 payloads in a minute".to_owned(),
            ));
        }
        let d = &payload["d"];
        match payload["op"].as_u64() {
            Some(op::HEARTBEAT) => {
                if !(d.is_null() || d.is_u64()) {
                    return Some((
                        close::DECODE_ERROR,
                        "heartbeat d must be the last sequence number or null".to_owned(),
                    ));
                }
                self.heartbeat_deadline = now + heartbeat_grace(self.config.heartbeat_interval);
                self.queue(control(op::HEARTBEAT_ACK, Value::Null));
                None
            }
            Some(op::IDENTIFY) => self.on_identify(d).err(),
            Some(op::RESUME) => self.on_resume(d).err(),
            Some(
                op::PRESENCE_UPDATE
                | op::VOICE_STATE_UPDATE
                | op::REQUEST_GUILD_MEMBERS
                | op::REQUEST_SOUNDBOARD_SOUNDS
                | op::REQUEST_CHANNEL_INFO,
            ) => {
                // Accepted (they are in the transcript) but without effect in the fake.
                (!self.identified).then(|| {
                    (
                        close::NOT_AUTHENTICATED,
                        "payload sent before identifying".to_owned(),
                    )
                })
            }
            _ => Some((
                close::UNKNOWN_OPCODE,
                format!("unknown or receive-only opcode {}", payload["op"]),
            )),
        }
    }

    /// Counts a payload; true once the bot has sent more than 120 in the last minute.
    fn over_rate_limit(&mut self, now: Instant) -> bool {
        self.received.push_back(now);
        while self
            .received
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(60))
        {
            self.received.pop_front();
        }
        self.received.len() > MAX_CLIENT_EVENTS_PER_MINUTE
    }

    fn on_identify(&mut self, d: &Value) -> Result<(), (u16, String)> {
        if self.identified {
            return Err((
                close::ALREADY_AUTHENTICATED,
                "already identified".to_owned(),
            ));
        }
        let (Some(token), Some(intents), true) = (
            d["token"].as_str(),
            d["intents"].as_u64(),
            d["properties"].is_object(),
        ) else {
            return Err((
                close::DECODE_ERROR,
                "identify needs token, properties and intents".to_owned(),
            ));
        };
        if !self.config.accepts(token) {
            return Err((
                close::AUTHENTICATION_FAILED,
                "Authentication failed.".to_owned(),
            ));
        }
        let Some(intents) = Intents::from_bits(intents) else {
            return Err((close::INVALID_INTENTS, "Invalid intent(s).".to_owned()));
        };
        if !self
            .config
            .allowed_privileged_intents
            .contains(intents & Intents::PRIVILEGED)
        {
            return Err((
                close::DISALLOWED_INTENTS,
                "Disallowed intent(s).".to_owned(),
            ));
        }
        let shard = parse_shard(d.get("shard"))?;
        let mut world = self.inner.world();
        let guilds = world.guilds.keys().filter(|g| shard.owns(**g)).count();
        if guilds > MAX_GUILDS_PER_SHARD {
            return Err((
                close::SHARDING_REQUIRED,
                format!(
                    "Sharding required: shard [{}, {}] would hold {guilds} guilds, more than {MAX_GUILDS_PER_SHARD}",
                    shard.id, shard.total
                ),
            ));
        }
        match world.gateway.admit(shard, Instant::now()) {
            Ok(()) => {}
            Err(Refusal::Close(code, reason)) => return Err((code, reason)),
            Err(Refusal::TooFast) => {
                drop(world);
                self.queue(control(op::INVALID_SESSION, json!(false)));
                return Ok(());
            }
        }
        self.identified = true;
        self.compress = d["compress"].as_bool() == Some(true);
        let config = self.config.clone();
        world.identify(self.id, intents, self.compress, shard, &config);
        Ok(())
    }

    fn on_resume(&mut self, d: &Value) -> Result<(), (u16, String)> {
        let (Some(token), Some(session_id), Some(seq)) = (
            d["token"].as_str(),
            d["session_id"].as_str(),
            d["seq"].as_u64(),
        ) else {
            return Err((
                close::DECODE_ERROR,
                "resume needs token, session_id and seq".to_owned(),
            ));
        };
        if !self.config.accepts(token) {
            return Err((
                close::AUTHENTICATION_FAILED,
                "Authentication failed.".to_owned(),
            ));
        }
        let mut world = self.inner.world();
        world
            .resume(self.id, session_id, seq)
            .map_err(|code| (code, "Invalid seq.".to_owned()))?;
        if let Some(s) = world
            .gateway
            .sessions
            .values()
            .find(|s| s.connection == Some(self.id))
        {
            self.identified = true;
            self.compress = s.compress;
        }
        Ok(())
    }

    /// Queues a payload behind the ones already waiting for this connection, keeping their order.
    fn queue(&self, payload: Value) {
        if let Some(link) = self.inner.world().gateway.links.get(&self.id) {
            let _ = link.send(Outbound::Frame {
                payload,
                written: None,
            });
        }
    }

    async fn send(&mut self, payload: Value) {
        let text = payload.to_string();
        let compress = self.compress && payload["op"] == op::DISPATCH && text.len() > COMPRESS_OVER;
        self.record(Direction::Sent, payload, compress);
        let message = if compress {
            Message::Binary(zlib(text.as_bytes()))
        } else {
            Message::Text(text)
        };
        let _ = self.ws.send(message).await;
    }

    async fn close(&mut self, code: u16, reason: &str) {
        self.record(
            Direction::Sent,
            json!({"close": code, "reason": reason}),
            false,
        );
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_owned().into(),
        };
        if self.ws.send(Message::Close(Some(frame))).await.is_ok() {
            // Wait (briefly) for the bot's closing handshake so it reads the code.
            let _ = timeout(CLOSE_GRACE, async {
                while let Some(Ok(_)) = self.ws.next().await {}
            })
            .await;
        }
    }

    fn record(&self, direction: Direction, payload: Value, compressed: bool) {
        self.inner.transcript.record(Event::Gateway(Frame {
            connection: self.id,
            direction,
            payload,
            compressed,
        }));
    }
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
