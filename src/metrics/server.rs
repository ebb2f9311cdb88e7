//! The listener behind `[metrics] listen`: `GET /metrics` (Prometheus text), `GET /healthz` and
//! `GET /readyz`, on one plain-HTTP port. The exporter's own listener answers every path with metrics, so
//! it cannot serve the health paths; this one reads a request line, answers and closes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use metrics::gauge;
use poise::serenity_prelude as serenity;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::{Readiness, SHARD_CONNECTED, SHARD_HEARTBEAT_LATENCY, ShardState, TIMERS_RUNNING};
use crate::domain::store::Store;
use crate::timer::{Screen, Timers};

/// How long a client may take to send its request, and the store to answer the readiness probe.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// A request line and headers from a scraper fit in far less.
const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Set once the slash commands are registered; [`serve`] clears it for the bot run it serves.
static COMMANDS_REGISTERED: AtomicBool = AtomicBool::new(false);

/// The Discord adapter registered its commands: `/readyz` may say ready.
pub fn commands_registered() {
    COMMANDS_REGISTERED.store(true, Ordering::SeqCst);
}

/// The running listener; dropping it stops it and frees the port.
pub struct Listener {
    task: JoinHandle<()>,
    pub address: SocketAddr,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

trait Sources: Send + Sync + 'static {
    fn shards(&self) -> impl Future<Output = Vec<(ShardState, Option<Duration>)>> + Send;
    fn store_answers(&self) -> impl Future<Output = Result<(), String>> + Send;
    fn timers_running(&self) -> usize;
}

struct Bot<St, S: Screen> {
    shards: Arc<serenity::ShardManager>,
    store: St,
    timers: Arc<Timers<S>>,
}

impl<St: Store + Sync + 'static, S: Screen> Sources for Bot<St, S> {
    async fn shards(&self) -> Vec<(ShardState, Option<Duration>)> {
        let runners = self.shards.runners.lock().await;
        let mut shards: Vec<_> = runners
            .iter()
            .map(|(id, runner)| {
                let state = ShardState {
                    id: id.0,
                    connected: runner.stage == serenity::ConnectionStage::Connected,
                };
                (state, runner.latency)
            })
            .collect();
        shards.sort_by_key(|(state, _)| state.id);
        shards
    }

    async fn store_answers(&self) -> Result<(), String> {
        match tokio::time::timeout(STORE_PROBE_TIMEOUT, self.store.next_due()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {STORE_PROBE_TIMEOUT:?}")),
        }
    }

    fn timers_running(&self) -> usize {
        self.timers.len()
    }
}

/// Installs the recorder and starts listening on `listen`; `None` (metrics off) starts nothing. The port
/// is bound before this returns, so a taken port is a startup error naming the setting.
pub async fn serve<St, S>(
    listen: Option<SocketAddr>,
    shards: &Arc<serenity::ShardManager>,
    store: St,
    timers: Arc<Timers<S>>,
) -> anyhow::Result<Option<Listener>>
where
    St: Store + Sync + 'static,
    S: Screen,
{
    let Some(listen) = listen else {
        return Ok(None);
    };
    super::recorder();
    COMMANDS_REGISTERED.store(false, Ordering::SeqCst);
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("could not listen for metrics on {listen}; change `[metrics] listen` (or STRETCHBOT_METRICS_LISTEN) to a free address")
    })?;
    let address = listener.local_addr()?;
    let sources = Arc::new(Bot {
        shards: Arc::clone(shards),
        store,
        timers,
    });
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, Arc::clone(&sources)));
                }
                Err(error) => {
                    tracing::warn!(%error, "the metrics listener could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    tracing::info!(%address, "serving /metrics, /healthz and /readyz");
    Ok(Some(Listener { task, address }))
}

async fn answer(mut stream: TcpStream, sources: Arc<impl Sources>) {
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => respond(&head, sources.as_ref()).await,
        Ok(None) | Err(_) => Response::text(400, "Bad Request", "send one GET request\n"),
    };
    // The scraper may have gone; nothing to tell it then.
    let _ = stream.write_all(&response.into_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request up to the blank line after its headers; `None` if it is cut short or too long.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 || head.len() + read > MAX_REQUEST_BYTES {
            return None;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8(head).ok()
}

async fn respond(head: &str, sources: &impl Sources) -> Response {
    let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (request_line.next(), request_line.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default();
    if method != Some("GET") {
        return Response::text(405, "Method Not Allowed", "only GET is served\n");
    }
    match path {
        "/metrics" => {
            refresh(sources).await;
            let handle = super::recorder();
            handle.run_upkeep();
            Response {
                status: 200,
                reason: "OK",
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                body: handle.render(),
            }
        }
        "/healthz" => Response::text(200, "OK", "ok\n"),
        "/readyz" => {
            let readiness = Readiness {
                shards: sources
                    .shards()
                    .await
                    .into_iter()
                    .map(|(state, _)| state)
                    .collect(),
                store: sources.store_answers().await,
                commands_registered: COMMANDS_REGISTERED.load(Ordering::SeqCst),
            };
            match readiness.verdict() {
                Ok(()) => Response::text(200, "OK", "ready\n"),
                Err(why) => {
                    Response::text(503, "Service Unavailable", &format!("not ready: {why}\n"))
                }
            }
        }
        _ => Response::text(
            404,
            "Not Found",
            "not found; this port serves /metrics, /healthz and /readyz\n",
        ),
    }
}

/// The gauges read from the bot's state at each scrape rather than kept up to date on every change.
async fn refresh(sources: &impl Sources) {
    for (shard, latency) in sources.shards().await {
        let id = shard.id.to_string();
        gauge!(SHARD_CONNECTED, "shard" => id.clone()).set(if shard.connected { 1.0 } else { 0.0 });
        if let Some(latency) = latency {
            gauge!(SHARD_HEARTBEAT_LATENCY, "shard" => id).set(latency.as_secs_f64());
        }
    }
    gauge!(TIMERS_RUNNING).set(sources.timers_running() as f64);
}

struct Response {
    status: u16,
    reason: &'static str,
    content_type: &'static str,
    body: String,
}

impl Response {
    fn text(status: u16, reason: &'static str, body: &str) -> Self {
        Self {
            status,
            reason,
            content_type: "text/plain; charset=utf-8",
            body: body.to_owned(),
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut bytes = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.status,
            self.reason,
            self.content_type,
            self.body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(self.body.as_bytes());
        bytes
    }
}
