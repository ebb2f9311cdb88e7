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

mod connection;
mod sessions;

use connection::*;
use sessions::*;
pub use sessions::{SessionInfo, Shard};
pub(crate) use sessions::{Sessions, StartLimits};

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
