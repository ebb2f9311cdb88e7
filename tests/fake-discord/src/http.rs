//! The HTTP side: listeners (plain for proxy mode, TLS for `discord.com`) serving one pipeline that
//! every request goes through: route (and its rate-limit bucket) → authentication → 429 if a limit is
//! hit → body (size, JSON or `multipart/form-data` uploads, path snowflakes, the spec's request
//! schema) → injected faults → handler;
//! then the response is checked against the spec, carries its bucket's headers, and the exchange goes
//! into the transcript before the client sees the response.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::errors::{self, ApiError};
use crate::faults::Failure;
use crate::ratelimit::{self, Identity, Scope};
use crate::routes::{self, Access, Call, Lookup, Reply};
use crate::transcript::{Auth, Event, Exchange};
use crate::uploads::{self, RawPart, Upload};
use crate::validation::{Finding, FindingKind, Problem};
use crate::{Inner, interactions, openapi};

/// The API prefix of every route (the spec's server URL ends with it).
pub(crate) const API_PREFIX: &str = "/api/v10";
/// Bodies above Discord's 25 MiB request limit are refused (413) without being read further.
const MAX_BODY: usize = 25 * 1024 * 1024;
/// Request headers worth keeping in the transcript.
const RECORDED_HEADERS: [&str; 4] = ["content-type", "user-agent", "host", "x-audit-log-reason"];

/// Accepts connections until `stop` changes, over TLS if `tls` is given.
pub(crate) async fn serve(
    listener: TcpListener,
    inner: Arc<Inner>,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let inner = Arc::clone(&inner);
                let tls = tls.clone();
                connections.spawn(async move {
                    let is_tls = tls.is_some();
                    let service = hyper::service::service_fn(move |request| {
                        let inner = Arc::clone(&inner);
                        async move { Ok::<_, Infallible>(handle(&inner, request, is_tls).await) }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    // A client that hangs up or speaks garbage only ends its own connection.
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(tcp).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
}

/// What the pipeline decided, before it becomes an HTTP response.
struct Outcome {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    /// The scope of a 429, for the invalid-request count.
    limited: Option<Scope>,
}

impl Outcome {
    fn error(e: &ApiError, headers: Vec<(&'static str, String)>) -> Self {
        Outcome {
            status: e.status,
            body: Some(e.body.clone()),
            headers,
            limited: None,
        }
    }

    fn ok(status: u16, body: Option<Value>, headers: Vec<(&'static str, String)>) -> Self {
        Outcome {
            status,
            body,
            headers,
            limited: None,
        }
    }

    fn rate_limited(limited: &ratelimit::Limited, bucket: &ratelimit::BucketState) -> Self {
        Outcome {
            status: 429,
            body: Some(ratelimit::body(limited)),
            headers: ratelimit::headers(bucket, Some(limited)),
            limited: Some(limited.scope),
        }
    }
}

async fn handle(
    inner: &Inner,
    request: hyper::Request<Incoming>,
    tls: bool,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    if request.method() == hyper::Method::GET
        && request.uri().path().starts_with(crate::attachments::PATH)
    {
        // The CDN: no token, no rate limit, the bytes as uploaded.
        let bytes = inner.world().attachment_bytes(request.uri().path());
        let (status, body) = match bytes {
            Some(bytes) => (StatusCode::OK, Bytes::from(bytes)),
            None => (StatusCode::NOT_FOUND, Bytes::new()),
        };
        return Response::builder()
            .status(status)
            .body(Full::new(body))
            .unwrap_or_default();
    }
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let auth = classify_auth(&parts.headers, &inner.token);
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(errors::request_too_large()),
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let form = match &body {
        Ok(bytes) if !bytes.is_empty() && content_type.starts_with(MULTIPART) => {
            Some(uploads::read_parts(&content_type, bytes.clone()).await)
        }
        _ => None,
    };
    let (recorded_body, recorded_parts) = match &form {
        Some(Ok(form_parts)) => (
            form_parts
                .iter()
                .find(|p| p.name.as_deref() == Some("payload_json"))
                .map(|p| recorded(&p.data)),
            form_parts.iter().map(RawPart::record).collect(),
        ),
        _ => (
            body.as_ref()
                .ok()
                .filter(|b| !b.is_empty())
                .map(|b| recorded(b)),
            vec![],
        ),
    };

    let outcome = match &body {
        Ok(bytes) => {
            let received = Received {
                bytes,
                content_type: &content_type,
                form: form.as_ref(),
                recorded: recorded_body.as_ref(),
            };
            process(inner, &method, &path, query.as_deref(), auth, received).await
        }
        Err(e) => Outcome::error(e, vec![]),
    };

    let mut response = Response::builder()
        .status(StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    let body_bytes = match &outcome.body {
        Some(json) => {
            response = response.header(CONTENT_TYPE, "application/json");
            Bytes::from(json.to_string())
        }
        None => Bytes::new(),
    };
    for (name, value) in &outcome.headers {
        response = response.header(*name, value);
    }
    let exchange = Exchange {
        method,
        path,
        query,
        tls,
        auth,
        headers: RECORDED_HEADERS
            .iter()
            .filter_map(|h| {
                parts.headers.get(*h).map(|v| {
                    (
                        (*h).to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
            })
            .collect(),
        body: recorded_body,
        parts: recorded_parts,
        status: outcome.status,
        response_headers: outcome
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        response_body: outcome.body,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    };
    inner.transcript.record(Event::Http(exchange));
    response
        .body(Full::new(body_bytes))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// A body as the transcript keeps it: JSON, else the start of its text.
fn recorded(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|_| {
        Value::String(String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned())
    })
}

const MULTIPART: &str = "multipart/form-data";

/// A request's body: its bytes, and what was read from them.
#[derive(Clone, Copy)]
struct Received<'a> {
    bytes: &'a Bytes,
    content_type: &'a str,
    /// The parts of a multipart body, or why it is not well-formed multipart.
    form: Option<&'a Result<Vec<RawPart>, String>>,
    /// The body as the transcript records it (of a multipart body, its `payload_json`).
    recorded: Option<&'a Value>,
}

fn classify_auth(headers: &HeaderMap, token: &str) -> Auth {
    match headers
        .get(hyper::header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
    {
        None => Auth::Absent,
        Some(value) => match value.strip_prefix(b"Bot ") {
            Some(given) if given == token.as_bytes() => Auth::Bot,
            Some(_) => Auth::BotWrongToken,
            None => Auth::NotBot,
        },
    }
}

async fn process(
    inner: &Inner,
    method: &str,
    raw_path: &str,
    query: Option<&str>,
    auth: Auth,
    body: Received<'_>,
) -> Outcome {
    let Some(path) = raw_path
        .strip_prefix(API_PREFIX)
        .filter(|p| p.starts_with('/'))
    else {
        return Outcome::error(&errors::not_found(), vec![]);
    };
    let now = Instant::now();
    let identity = if auth == Auth::Bot {
        Identity::Bot
    } else {
        Identity::Anonymous
    };
    let found = routes::lookup(method, path);
    let (route_name, major, exempt) = match &found {
        Lookup::Found(route, params) => (
            format!("{} {}", route.method, route.template),
            major_parameter(params),
            route.access == Access::Interaction,
        ),
        // Unknown routes are counted too, each path in a bucket of its own.
        Lookup::MethodNotAllowed | Lookup::NotFound => {
            (format!("{method} {path}"), String::new(), false)
        }
    };
    let (bucket, limited) = inner
        .limiter()
        .check(identity, &route_name, &major, exempt, now);
    let (route, params) = match found {
        Lookup::Found(route, params) => (route, params),
        other => {
            if let Some(template) = inner.spec.route(method, path) {
                record_gap(
                    inner,
                    method,
                    path,
                    template,
                    "the fake does not serve this route",
                );
            }
            let error = match other {
                Lookup::MethodNotAllowed => errors::method_not_allowed(),
                _ => errors::not_found(),
            };
            return Outcome::error(&error, ratelimit::headers(&bucket, None));
        }
    };
    let request = Request {
        method,
        path,
        route,
        params,
        query,
        body,
    };
    let outcome = match limited {
        Some(limited) => Outcome::rate_limited(&limited, &bucket),
        None if route.access == Access::Bot && auth != Auth::Bot => {
            Outcome::error(&errors::unauthorized(), ratelimit::headers(&bucket, None))
        }
        None => respond(inner, request, &bucket).await,
    };
    inner
        .limiter()
        .note_status(outcome.status, outcome.limited, now);
    // The spec documents no 5xx (Discord's come from its edge); the fake sends them only when injected.
    if outcome.status < 500
        && let Err(violations) = inner.spec.validate_response(
            method,
            route.template,
            outcome.status,
            outcome.body.as_ref(),
        )
    {
        inner.add_finding(Finding {
            kind: FindingKind::Response,
            method: method.to_owned(),
            path: path.to_owned(),
            route: Some(route.template.to_owned()),
            problems: violations.iter().map(Problem::from).collect(),
            body: outcome.body.clone(),
        });
    }
    outcome
}

/// A routed request.
struct Request<'a> {
    method: &'a str,
    path: &'a str,
    route: &'static routes::Route,
    params: routes::Params,
    query: Option<&'a str>,
    body: Received<'a>,
}

/// The body checks, the injected faults, then the handler.
async fn respond(inner: &Inner, request: Request<'_>, bucket: &ratelimit::BucketState) -> Outcome {
    let Request {
        method,
        path,
        route,
        params,
        query,
        body,
    } = request;
    let refused = |e: ApiError| {
        record_request_problems(inner, method, path, route.template, &e, body.recorded);
        Outcome::error(&e, ratelimit::headers(bucket, None))
    };
    let (json, files) = match prepare(inner, path, route, &params, body) {
        Ok(prepared) => prepared,
        Err(e) => return refused(e),
    };
    let exempt = route.access == Access::Interaction;
    let effects = inner.faults().take(method, route.template, exempt);
    if let Some(delay) = effects.delay {
        tokio::time::sleep(delay).await;
    }
    match effects.failure {
        Some(Failure::Status(status)) => {
            return Outcome::error(
                &errors::server_error(status),
                ratelimit::headers(bucket, None),
            );
        }
        Some(Failure::RateLimited { retry_after, scope }) => {
            return Outcome::rate_limited(&ratelimit::Limited { retry_after, scope }, bucket);
        }
        None => {}
    }
    let query = query.map(parse_query).unwrap_or_default();
    let call = Call {
        inner,
        params,
        query,
        body: json,
        files,
        now: Instant::now(),
    };
    match (route.handler)(&call) {
        Ok(Reply::Json(status, json)) => {
            Outcome::ok(status, Some(json), ratelimit::headers(bucket, None))
        }
        Ok(Reply::NoContent) => Outcome::ok(204, None, ratelimit::headers(bucket, None)),
        Err(e) => refused(e),
    }
}

/// Parses and checks what the request carries: path snowflakes, content type, JSON (or a multipart
/// body's `payload_json` and files), and the JSON against the spec's request schema.
fn prepare(
    inner: &Inner,
    path: &str,
    route: &routes::Route,
    params: &[(&str, String)],
    body: Received<'_>,
) -> Result<(Option<Value>, Vec<Upload>), ApiError> {
    let (method, template) = (route.method, route.template);
    let bad_ids: Vec<openapi::Violation> = params
        .iter()
        .filter(|(name, value)| name.ends_with("_id") && value.parse::<u64>().is_err())
        .map(|(name, value)| openapi::Violation {
            pointer: format!("/{name}"),
            code: "NUMBER_TYPE_COERCE",
            message: format!("Value \"{value}\" is not snowflake."),
        })
        .collect();
    if !bad_ids.is_empty() {
        return Err(ApiError::invalid_form(bad_ids));
    }
    let unsupported = || {
        ApiError::misuse(
            400,
            50035,
            "Invalid Form Body: unsupported Content-Type",
            "",
        )
    };
    let (json, files) = if body.bytes.is_empty() {
        (None, vec![])
    } else if body.content_type.starts_with(MULTIPART) {
        if !uploads::MULTIPART_ROUTES.contains(&(method, template)) {
            return Err(unsupported());
        }
        let parts = match body.form {
            Some(Ok(parts)) => parts,
            Some(Err(why)) => {
                return Err(ApiError::misuse(
                    400,
                    50035,
                    &format!("Invalid Form Body: not well-formed multipart/form-data ({why})"),
                    "",
                ));
            }
            None => return Err(unsupported()),
        };
        let size_limit = if route.access == Access::Interaction {
            interactions::ATTACHMENT_SIZE_LIMIT
        } else {
            uploads::DEFAULT_SIZE_LIMIT
        };
        let form = uploads::check(parts, size_limit)?;
        if let Some(field) = form.other_fields.first() {
            record_gap(
                inner,
                method,
                path,
                template,
                "the fake reads a multipart body's fields from payload_json only",
            );
            return Err(ApiError::new(
                400,
                0,
                &format!(
                    "the fake does not read the form field {field:?}: send it in payload_json"
                ),
            ));
        }
        (Some(form.json), form.files)
    } else if body.content_type.starts_with("application/json") {
        let json = serde_json::from_slice(body.bytes).map_err(|_| errors::invalid_json())?;
        (Some(json), vec![])
    } else {
        return Err(unsupported());
    };
    inner
        .spec
        .validate_request(method, template, json.as_ref())
        .map_err(ApiError::invalid_form)?;
    Ok((json, files))
}

/// Records a gap in the fake: Discord serves this, the fake does not.
fn record_gap(inner: &Inner, method: &str, path: &str, template: &str, message: &str) {
    let problem = Problem {
        pointer: String::new(),
        code: "NOT_IMPLEMENTED".to_owned(),
        message: message.to_owned(),
    };
    inner.add_finding(Finding {
        kind: FindingKind::Unimplemented,
        method: method.to_owned(),
        path: path.to_owned(),
        route: Some(template.to_owned()),
        problems: vec![problem],
        body: None,
    });
}

/// Records a refused request as a violation when the refusal means the bot sent something wrong.
fn record_request_problems(
    inner: &Inner,
    method: &str,
    path: &str,
    template: &str,
    error: &ApiError,
    body: Option<&Value>,
) {
    let Some(violations) = &error.violations else {
        return;
    };
    inner.add_finding(Finding {
        kind: FindingKind::Request,
        method: method.to_owned(),
        path: path.to_owned(),
        route: Some(template.to_owned()),
        problems: violations.iter().map(Problem::from).collect(),
        body: body.filter(|b| !b.is_string()).cloned(),
    });
}

/// The top-level resource that gives a route a bucket of its own (rate-limits.mdx).
fn major_parameter(params: &[(&str, String)]) -> String {
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    match (
        get("channel_id"),
        get("guild_id"),
        get("webhook_id"),
        get("interaction_id"),
    ) {
        (Some(channel), ..) => format!("channel:{channel}"),
        (None, Some(guild), ..) => format!("guild:{guild}"),
        (None, None, Some(webhook), _) => format!(
            "webhook:{webhook}:{}",
            get("webhook_token").unwrap_or_default()
        ),
        (None, None, None, Some(interaction)) => format!("interaction:{interaction}"),
        _ => String::new(),
    }
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}
