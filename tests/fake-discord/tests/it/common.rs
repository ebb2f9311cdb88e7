//! Raw clients for the fake's own tests: reqwest for REST, tokio-tungstenite for the gateway.

use std::io::Read;
use std::time::Duration;

use fake_discord::{ChannelId, FakeDiscord, FindingKind, GuildId, Options, Permissions, UserId};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(5);

/// A fake with one guild, one text channel and one member, ready for requests.
pub struct World {
    pub fake: FakeDiscord,
    pub guild: GuildId,
    pub channel: ChannelId,
    pub alice: UserId,
    pub http: reqwest::Client,
}

impl World {
    pub async fn start() -> World {
        World::with(Options::default()).await
    }

    pub async fn with(options: Options) -> World {
        let fake = FakeDiscord::start(options).await.expect("fake starts");
        let guild = fake.add_guild("Team");
        let channel = fake.add_text_channel(guild, "wellness");
        let alice = fake.add_member(guild, "alice", Permissions::empty());
        World {
            fake,
            guild,
            channel,
            alice,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v10{path}", self.fake.api_base())
    }

    /// An authenticated request.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Authorization", format!("Bot {}", self.fake.token()))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::PATCH, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::PUT, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        send(self.req(reqwest::Method::DELETE, path)).await
    }

    /// Registers `/stretch` globally: `show <name>` (autocompleted), `start [minutes 1-30]`, and a
    /// plain `/ping`.
    pub async fn register_commands(&self) -> Value {
        let app = self.fake.application_id();
        let (status, body) = self
            .put(&format!("/applications/{app}/commands"), commands())
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// A gateway client that has identified and read READY and the GUILD_CREATE.
    pub async fn connect_bot(&self, intents: u64) -> Gateway {
        let mut gw = Gateway::connect(self.fake.gateway_url()).await;
        let hello = gw.recv().await;
        assert_eq!(hello["op"], 10);
        gw.identify(self.fake.token(), intents).await;
        let ready = gw.recv().await;
        assert_eq!(ready["t"], "READY", "{ready}");
        let guild = gw.recv().await;
        assert_eq!(guild["t"], "GUILD_CREATE", "{guild}");
        gw.session_id = ready["d"]["session_id"].as_str().unwrap().to_owned();
        gw.seq = guild["s"].as_u64().unwrap();
        gw
    }
}

/// Whatever a test provokes, the fake's own responses must follow the spec.
impl Drop for World {
    fn drop(&mut self) {
        let bugs: Vec<String> = self
            .fake
            .fake_bugs()
            .iter()
            .filter(|f| f.kind == FindingKind::Response)
            .map(ToString::to_string)
            .collect();
        if !bugs.is_empty() && !std::thread::panicking() {
            panic!("the fake broke the spec:\n{}", bugs.join("\n"));
        }
    }
}

pub fn commands() -> Value {
    json!([
        {
            "name": "stretch",
            "description": "Stretch breaks",
            "options": [
                {"type": 1, "name": "show", "description": "Show a stretch", "options": [
                    {"type": 3, "name": "name", "description": "Which stretch", "required": true, "autocomplete": true}
                ]},
                {"type": 1, "name": "start", "description": "Start a guided stretch", "options": [
                    {"type": 4, "name": "minutes", "description": "How long", "min_value": 1, "max_value": 30}
                ]}
            ]
        },
        {"name": "ping", "description": "Are you there?"}
    ])
}

pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        },
    )
}

/// A raw gateway client.
pub struct Gateway {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub session_id: String,
    pub seq: u64,
}

impl Gateway {
    pub async fn connect(url: &str) -> Gateway {
        let (ws, _) = tokio_tungstenite::connect_async(format!("{url}?v=10&encoding=json"))
            .await
            .expect("gateway connects");
        Gateway {
            ws,
            session_id: String::new(),
            seq: 0,
        }
    }

    pub async fn send(&mut self, payload: Value) {
        self.ws
            .send(Message::Text(payload.to_string()))
            .await
            .expect("gateway send");
    }

    pub async fn identify(&mut self, token: &str, intents: u64) {
        let properties = json!({"os": "linux", "browser": "test", "device": "test"});
        self.send(
            json!({"op": 2, "d": {"token": token, "intents": intents, "properties": properties}}),
        )
        .await;
    }

    /// The next payload (zlib-compressed ones decompressed); panics on a close or a timeout.
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a gateway payload in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).expect("JSON payload");
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let mut text = String::new();
                    flate2::read::ZlibDecoder::new(&bytes[..])
                        .read_to_string(&mut text)
                        .expect("zlib payload");
                    return serde_json::from_str(&text).expect("JSON payload");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a payload, got {other:?}"),
            }
        }
    }

    /// The next dispatch, skipping heartbeat ACKs.
    pub async fn dispatch(&mut self) -> Value {
        loop {
            let payload = self.recv().await;
            if payload["op"] != 11 {
                assert_eq!(payload["op"], 0, "expected a dispatch: {payload}");
                self.seq = payload["s"].as_u64().unwrap();
                return payload;
            }
        }
    }

    /// Reads until the server closes; the close code (None: closed without a close frame).
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the server closes in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }
}
