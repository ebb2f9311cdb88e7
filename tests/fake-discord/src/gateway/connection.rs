//! One gateway connection: the websocket handshake and its query, HELLO, IDENTIFY or RESUME, heartbeats,
//! the client's rate limit, dispatches (zlib-compressed when asked) and the closes a test demands.

use super::*;

/// How a connection ends.
pub(super) enum Exit {
    /// The peer went away, or the fake closed with a close frame.
    Closed,
    /// The fake drops the socket on a test's demand; `done` fires once it is gone.
    Dropped(oneshot::Sender<()>),
}

pub(super) struct Connection {
    pub(super) inner: Arc<Inner>,
    pub(super) config: Config,
    pub(super) id: u64,
    pub(super) ws: WebSocketStream<TcpStream>,
    pub(super) identified: bool,
    pub(super) compress: bool,
    pub(super) heartbeat_deadline: Instant,
    pub(super) received: VecDeque<Instant>,
}

pub(super) async fn connection(inner: Arc<Inner>, config: Config, tcp: TcpStream) {
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
pub(super) fn query_problem(query: &str) -> Option<(u16, &'static str)> {
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
pub(super) fn heartbeat_grace(interval: Duration) -> Duration {
    interval * 2 + Duration::from_secs(1)
}

impl Connection {
    pub(super) async fn run(&mut self, outbound: &mut mpsc::UnboundedReceiver<Outbound>) -> Exit {
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
    pub(super) fn on_payload(&mut self, text: &str) -> Option<(u16, String)> {
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
    pub(super) fn over_rate_limit(&mut self, now: Instant) -> bool {
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

    pub(super) fn on_identify(&mut self, d: &Value) -> Result<(), (u16, String)> {
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

    pub(super) fn on_resume(&mut self, d: &Value) -> Result<(), (u16, String)> {
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
    pub(super) fn queue(&self, payload: Value) {
        if let Some(link) = self.inner.world().gateway.links.get(&self.id) {
            let _ = link.send(Outbound::Frame {
                payload,
                written: None,
            });
        }
    }

    pub(super) async fn send(&mut self, payload: Value) {
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

    pub(super) async fn close(&mut self, code: u16, reason: &str) {
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

    pub(super) fn record(&self, direction: Direction, payload: Value, compressed: bool) {
        self.inner.transcript.record(Event::Gateway(Frame {
            connection: self.id,
            direction,
            payload,
            compressed,
        }));
    }
}

pub(super) fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
