//! The sessions of the bot's shards: which shard a session is, the IDENTIFY pacing per
//! `max_concurrency` bucket, the day's session start limit, the refusals (4010, 4011), and which
//! session a dispatch goes to by the Sharding Formula.

use super::*;

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
    pub(super) sessions: BTreeMap<Shard, Session>,
    pub(super) links: HashMap<u64, mpsc::UnboundedSender<Outbound>>,
    pub(super) next_connection: u64,
    /// IDENTIFYs accepted, for `GET /gateway/bot`'s session start limit.
    pub identifies: u32,
    pub limits: StartLimits,
    /// When each rate-limit bucket last accepted an IDENTIFY.
    pub(super) last_identify: HashMap<u32, Instant>,
    /// While set, new connections are closed as soon as they are accepted: the gateway is unreachable.
    pub unreachable: bool,
}

pub(super) struct Session {
    pub(super) id: String,
    pub(super) intents: Intents,
    pub(super) compress: bool,
    pub(super) seq: u64,
    /// Numbered dispatches, oldest first, for RESUME.
    pub(super) log: VecDeque<(u64, Value)>,
    /// The connection the session is attached to; `None` while the bot is disconnected.
    pub(super) connection: Option<u64>,
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
pub(super) enum Refusal {
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
    pub(super) fn dispatch_to(
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
    pub(super) fn first(&self) -> Option<Shard> {
        self.sessions.keys().next().copied()
    }

    /// Hands an order to the connection `shard`'s session is attached to; the receiver fires once it
    /// is carried out. `None` when that shard is not connected.
    pub(super) fn tell(
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
    pub(super) fn admit(&mut self, shard: Shard, now: Instant) -> Result<(), Refusal> {
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

    pub(super) fn register(&mut self, link: mpsc::UnboundedSender<Outbound>) -> u64 {
        self.next_connection += 1;
        self.links.insert(self.next_connection, link);
        self.next_connection
    }

    pub(super) fn unregister(&mut self, connection: u64) {
        self.links.remove(&connection);
        for s in self.sessions.values_mut() {
            if s.connection == Some(connection) {
                s.connection = None;
            }
        }
    }
}

/// The guild a dispatch belongs to, for routing it to its shard.
pub(super) fn routing_guild(event: &str, data: &Value) -> Option<GuildId> {
    let id = match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => &data["id"],
        _ => &data["guild_id"],
    };
    id.as_str()?.parse().ok().map(GuildId::new)
}

/// The `shard` of an IDENTIFY, checked: `[id, total]` with `id < total` (4010 otherwise).
pub(super) fn parse_shard(shard: Option<&Value>) -> Result<Shard, (u16, String)> {
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
