//! The transcript: every HTTP exchange and every gateway frame, in order, with timestamps; kept in memory
//! and appended as JSON lines to `$FAKE_DISCORD_TRANSCRIPT` (or `Options::transcript_path`). The bot
//! token never enters it: the Authorization header is reduced to "present, starts with `Bot `", and any
//! string containing the token is masked. A `multipart/form-data` request is recorded as its
//! `payload_json` (the body) and its parts' names, filenames, content types, sizes and SHA-256 hashes,
//! never the uploaded bytes: enough to see that a retry re-sent the same file.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

/// What replaces the bot token wherever it shows up.
const MASK: &str = "[bot token]";

/// One transcript line.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Position in this fake's transcript, from 0.
    pub seq: u64,
    /// Which fake instance (several may run in one test binary and share the JSONL file).
    pub fake: u64,
    /// Wall-clock time, RFC 3339.
    pub at: String,
    /// Milliseconds since the fake started.
    pub elapsed_ms: f64,
    #[serde(flatten)]
    pub event: Event,
}

/// An HTTP exchange or a gateway frame.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Http(Exchange),
    Gateway(Frame),
}

/// How the request authenticated; the token itself is never recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// No Authorization header.
    Absent,
    /// `Authorization: Bot <the fake's token>`.
    Bot,
    /// `Authorization: Bot <something else>`.
    BotWrongToken,
    /// An Authorization header that does not start with `Bot `.
    NotBot,
}

/// One HTTP request and the fake's response.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    pub method: String,
    /// The path as sent, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    pub query: Option<String>,
    /// Whether it came over the TLS listener.
    pub tls: bool,
    pub auth: Auth,
    /// Request headers of interest (content-type, user-agent, host, x-audit-log-reason).
    pub headers: BTreeMap<String, String>,
    /// The JSON body (of a multipart request, its `payload_json`); another body is recorded as a
    /// (possibly truncated) string.
    pub body: Option<Value>,
    /// The parts of a `multipart/form-data` body, in order; empty for other bodies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    pub status: u16,
    /// Response headers of interest (rate limits, Retry-After).
    pub response_headers: BTreeMap<String, String>,
    pub response_body: Option<Value>,
    pub duration_ms: f64,
}

/// One part of a multipart request, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    /// The `name` of its Content-Disposition (`payload_json`, `files[0]`…).
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    /// Its length in bytes.
    pub size: usize,
    /// The SHA-256 of its bytes, in lowercase hex.
    pub sha256: String,
}

/// Which way a gateway frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the fake to the bot.
    Sent,
    /// From the bot to the fake.
    Received,
}

/// One gateway websocket frame.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// Which websocket connection (numbered from 1 per fake).
    pub connection: u64,
    pub direction: Direction,
    /// The JSON payload; for other frames, a description such as `{"close": 4004, "reason": "…"}`.
    pub payload: Value,
    /// Whether the fake sent this payload zlib-compressed (payload compression).
    pub compressed: bool,
}

/// The transcript of one fake.
pub(crate) struct Transcript {
    fake: u64,
    token: String,
    started: Instant,
    entries: Mutex<Vec<Entry>>,
    file: Option<Mutex<File>>,
    changes: watch::Sender<u64>,
}

impl Transcript {
    pub fn new(fake: u64, token: String, file: Option<File>, changes: watch::Sender<u64>) -> Self {
        Transcript {
            fake,
            token,
            started: Instant::now(),
            entries: Mutex::default(),
            file: file.map(Mutex::new),
            changes,
        }
    }

    /// Appends `event` (masking the token), writes its JSON line, and wakes whoever waits for changes.
    pub fn record(&self, mut event: Event) {
        match &mut event {
            Event::Http(x) => {
                x.headers
                    .values_mut()
                    .for_each(|v| *v = v.replace(&self.token, MASK));
                for body in [&mut x.body, &mut x.response_body].into_iter().flatten() {
                    mask(body, &self.token);
                }
            }
            Event::Gateway(f) => mask(&mut f.payload, &self.token),
        }
        // The file is written under the entries lock so its lines keep the transcript's order.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = Entry {
            seq: entries.len() as u64,
            fake: self.fake,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            elapsed_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            event,
        };
        if let Some(file) = &self.file {
            let mut line = serde_json::to_string(&entry).unwrap_or_default();
            line.push('\n');
            // One write of the whole line to a file opened for appending, so the lines of several fakes
            // in one test binary (sharing the file) do not interleave. A transcript that cannot be
            // written must not take the fake down; the in-memory copy stays.
            let _ = file
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_all(line.as_bytes());
        }
        entries.push(entry);
        drop(entries);
        self.changes.send_modify(|n| *n += 1);
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Replaces the token inside every string of `value`.
fn mask(value: &mut Value, token: &str) {
    match value {
        Value::String(s) if s.contains(token) => *s = s.replace(token, MASK),
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, token)),
        Value::Object(map) => map.values_mut().for_each(|v| mask(v, token)),
        _ => {}
    }
}
