//! Metrics and health, an adapter at the edge: the Prometheus names the bot reports under, the one-line
//! recording calls the rest of the bot makes where things happen, and the listener that serves
//! `/metrics`, `/healthz` and `/readyz` ([`serve`]).
//!
//! Recording goes through the `metrics` crate's global recorder, which [`serve`] installs; with no
//! `[metrics] listen` nothing installs it and every call here is a no-op. No label ever carries a guild,
//! channel or user id: labels are small closed sets (a reason, a route group, a command name, a shard).

mod readiness;
mod server;

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poise::serenity_prelude as serenity;

use crate::domain::store::{ClaimOutcome, StoreError};
use crate::poster::SendError;

pub use readiness::{Readiness, ShardState};
pub use server::{Listener, commands_registered, serve};

pub const POSTS_SENT: &str = "stretchbot_posts_sent_total";
pub const POSTS_FAILED: &str = "stretchbot_posts_failed_total";
pub const POSTS_SKIPPED: &str = "stretchbot_posts_skipped_total";
pub const POST_LATENESS: &str = "stretchbot_post_lateness_seconds";
pub const CLAIMS: &str = "stretchbot_claims_total";
pub const CLAIM_CONFLICTS: &str = "stretchbot_claim_conflicts_total";
pub const DISCORD_REQUESTS: &str = "stretchbot_discord_requests_total";
pub const DISCORD_RATE_LIMITED: &str = "stretchbot_discord_rate_limited_total";
pub const DISCORD_RETRIES: &str = "stretchbot_discord_retries_total";
pub const DISCORD_INVALID_REQUESTS: &str = "stretchbot_discord_invalid_requests_total";
pub const INTERACTIONS: &str = "stretchbot_interactions_total";
pub const INTERACTION_DURATION: &str = "stretchbot_interaction_duration_seconds";
pub const TIMERS_RUNNING: &str = "stretchbot_timers_running";
pub const CHECK_INS: &str = "stretchbot_check_ins_total";
pub const SHARD_CONNECTED: &str = "stretchbot_shard_connected";
pub const SHARD_HEARTBEAT_LATENCY: &str = "stretchbot_shard_heartbeat_latency_seconds";
pub const GUILDS: &str = "stretchbot_guilds";
pub const STORE_CALL_DURATION: &str = "stretchbot_store_call_duration_seconds";
pub const STORE_ERRORS: &str = "stretchbot_store_errors_total";
pub const LOG_LINES_DROPPED: &str = "stretchbot_log_lines_dropped_total";

/// Every metric with its kind and help text: what `/metrics` describes and the README's table lists.
pub const ALL: [(&str, Kind, &str); 20] = [
    (POSTS_SENT, Kind::Counter, "Scheduled posts Discord took."),
    (
        POSTS_FAILED,
        Kind::Counter,
        "Scheduled posts Discord did not take, by reason.",
    ),
    (
        POSTS_SKIPPED,
        Kind::Counter,
        "Fires skipped or given up for being missed beyond the grace window.",
    ),
    (
        POST_LATENESS,
        Kind::Histogram,
        "Seconds from a post's due instant to Discord taking it.",
    ),
    (CLAIMS, Kind::Counter, "Fires claimed for posting."),
    (
        CLAIM_CONFLICTS,
        Kind::Counter,
        "Claims refused because the fire was already claimed or the schedule changed, by outcome.",
    ),
    (
        DISCORD_REQUESTS,
        Kind::Counter,
        "Discord REST responses, by route group and HTTP status (`2xx` for a success, `error` when none came).",
    ),
    (
        DISCORD_RATE_LIMITED,
        Kind::Counter,
        "429 responses the bot's own limiter received, by route group.",
    ),
    (
        DISCORD_RETRIES,
        Kind::Counter,
        "Discord requests sent again after a 429 or a 5xx, by route group.",
    ),
    (
        DISCORD_INVALID_REQUESTS,
        Kind::Counter,
        "Responses Discord counts as invalid requests (401, 403, 429), by route group.",
    ),
    (
        INTERACTIONS,
        Kind::Counter,
        "Slash commands and button clicks handled, by command and outcome.",
    ),
    (
        INTERACTION_DURATION,
        Kind::Histogram,
        "Seconds from an interaction's creation to the end of its handling, by command.",
    ),
    (TIMERS_RUNNING, Kind::Gauge, "Guided timers running now."),
    (
        CHECK_INS,
        Kind::Counter,
        "\"I did it\" presses, by result (recorded, or already_today).",
    ),
    (
        SHARD_CONNECTED,
        Kind::Gauge,
        "1 while the shard is connected to the gateway, else 0, by shard.",
    ),
    (
        SHARD_HEARTBEAT_LATENCY,
        Kind::Gauge,
        "Seconds between the shard's last heartbeat and its acknowledgement, by shard.",
    ),
    (GUILDS, Kind::Gauge, "Servers the bot is in."),
    (
        STORE_CALL_DURATION,
        Kind::Histogram,
        "Seconds each storage call took.",
    ),
    (STORE_ERRORS, Kind::Counter, "Storage calls that failed."),
    (
        LOG_LINES_DROPPED,
        Kind::Counter,
        "Log lines dropped because their output could not be written.",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// From a millisecond to a few minutes: interactions and store calls sit at the low end, late posts at
/// the high one.
const BUCKETS_SECONDS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0,
    1800.0,
];

/// The global recorder, installed once per process (tests start many bots in one).
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS_SECONDS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then that one gets the calls.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only its own");
        }
        for (name, kind, help) in ALL {
            match kind {
                Kind::Counter => metrics::describe_counter!(name, help),
                Kind::Gauge => metrics::describe_gauge!(name, help),
                Kind::Histogram => metrics::describe_histogram!(name, help),
            }
        }
        handle
    })
}

/// A scheduled post Discord took, `late` after its due instant.
pub fn post_sent(late: TimeDelta) {
    counter!(POSTS_SENT).increment(1);
    histogram!(POST_LATENESS).record(late.to_std().unwrap_or(Duration::ZERO).as_secs_f64());
}

pub fn post_failed(error: &SendError) {
    let reason = match error {
        SendError::ChannelGone => "channel_gone",
        SendError::MissingAccess => "missing_access",
        SendError::MissingPermissions => "missing_permissions",
        SendError::CannotDm => "cannot_dm",
        SendError::Transient(_) => "transient",
        SendError::Rejected(_) => "rejected",
    };
    counter!(POSTS_FAILED, "reason" => reason).increment(1);
}

pub fn post_skipped() {
    counter!(POSTS_SKIPPED).increment(1);
}

/// Counts a claim's outcome and hands it back, so the call wraps the store call where it stands.
pub fn claimed(outcome: ClaimOutcome) -> ClaimOutcome {
    match &outcome {
        ClaimOutcome::Claimed => counter!(CLAIMS).increment(1),
        ClaimOutcome::AlreadyClaimed(_) => {
            counter!(CLAIM_CONFLICTS, "outcome" => "already_claimed").increment(1)
        }
        ClaimOutcome::Stale => counter!(CLAIM_CONFLICTS, "outcome" => "stale").increment(1),
    }
    outcome
}

/// Counts one Discord response (or its absence). `route_group` is one of the limiter's routes, never a
/// path with ids in it.
pub fn discord_response<T>(route_group: &'static str, result: &Result<T, serenity::Error>) {
    // serenity hands back a success without its status, so successes share one label.
    let (status, label) = match result {
        Ok(_) => (None, "2xx".to_owned()),
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))) => {
            let code = response.status_code.as_u16();
            (Some(code), code.to_string())
        }
        Err(_) => (None, "error".to_owned()),
    };
    counter!(DISCORD_REQUESTS, "route_group" => route_group, "status" => label).increment(1);
    if status == Some(429) {
        counter!(DISCORD_RATE_LIMITED, "route_group" => route_group).increment(1);
    }
    if matches!(status, Some(401 | 403 | 429)) {
        counter!(DISCORD_INVALID_REQUESTS, "route_group" => route_group).increment(1);
    }
}

pub fn discord_retry(route_group: &'static str) {
    counter!(DISCORD_RETRIES, "route_group" => route_group).increment(1);
}

/// Discord's snowflakes count milliseconds from the start of 2015.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A slash command or click handled: `command` is the command's name or the button's kind, `interaction`
/// the interaction's id, a snowflake whose timestamp is when Discord received it.
pub fn interaction(command: &str, outcome: &'static str, interaction: u64) {
    let command = bounded_label(command);
    let received_ms = (interaction >> 22).saturating_add(DISCORD_EPOCH_MS);
    let took = i64::try_from(received_ms)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .and_then(|received| (Utc::now() - received).to_std().ok())
        .unwrap_or(Duration::ZERO);
    counter!(INTERACTIONS, "command" => command.clone(), "outcome" => outcome).increment(1);
    histogram!(INTERACTION_DURATION, "command" => command).record(took.as_secs_f64());
}

/// A slash command that ended in `error`: the member's own mistake (`refused`, `invalid_input`) or ours
/// (`failed`). Errors outside a command (a click's, say) are counted where they happen.
pub fn command_failed(
    error: &poise::FrameworkError<'_, crate::discord::Data, crate::discord::Error>,
) {
    let Some(ctx) = error.ctx() else {
        return;
    };
    let outcome = match error {
        poise::FrameworkError::Command {
            error: crate::discord::Error::User(_),
            ..
        } => "refused",
        poise::FrameworkError::ArgumentParse { .. } => "invalid_input",
        poise::FrameworkError::Command { .. }
        | poise::FrameworkError::CommandStructureMismatch { .. } => "failed",
        _ => "refused",
    };
    interaction(&ctx.command().qualified_name, outcome, ctx.id());
}

/// A button click handled, by its kind (the custom id's part before `:`), passing the result on.
pub fn click<E>(click: &serenity::ComponentInteraction, result: Result<(), E>) -> Result<(), E> {
    let kind = click.data.custom_id.split(':').next().unwrap_or_default();
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    interaction(&format!("button:{kind}"), outcome, click.id.get());
    result
}

/// A name made of the few characters command names and button kinds use, else `other`: a label value
/// from outside must not grow the metric's series without bound.
fn bounded_label(name: &str) -> String {
    let plain = name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | ':'));
    if plain {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// A press of "I did it": `recorded` false when the member had already checked in that day.
pub fn check_in(recorded: bool) {
    let result = if recorded {
        "recorded"
    } else {
        "already_today"
    };
    counter!(CHECK_INS, "result" => result).increment(1);
}

/// The servers the bot is in, by id, so that a gateway reconnect's repeated GUILD_CREATEs count once.
fn guilds() -> &'static Mutex<std::collections::HashSet<u64>> {
    static GUILDS_SEEN: OnceLock<Mutex<std::collections::HashSet<u64>>> = OnceLock::new();
    GUILDS_SEEN.get_or_init(Default::default)
}

pub fn guild_available(guild: u64) {
    let mut seen = guilds().lock().unwrap_or_else(PoisonError::into_inner);
    seen.insert(guild);
    gauge!(GUILDS).set(seen.len() as f64);
}

pub fn guild_left(guild: u64) {
    let mut seen = guilds().lock().unwrap_or_else(PoisonError::into_inner);
    seen.remove(&guild);
    gauge!(GUILDS).set(seen.len() as f64);
}

/// Times one storage call until it is dropped.
pub struct StoreCall(std::time::Instant);

pub fn store_call() -> StoreCall {
    StoreCall(std::time::Instant::now())
}

impl Drop for StoreCall {
    fn drop(&mut self) {
        histogram!(STORE_CALL_DURATION).record(self.0.elapsed().as_secs_f64());
    }
}

/// Counts a failed storage call and hands the result back.
pub fn store_result<T>(result: Result<T, StoreError>) -> Result<T, StoreError> {
    if result.is_err() {
        counter!(STORE_ERRORS).increment(1);
    }
    result
}

/// For the logging adapter: one log line could not be written and was dropped.
pub fn log_line_dropped() {
    counter!(LOG_LINES_DROPPED).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        for (name, kind, help) in ALL {
            assert!(name.starts_with("stretchbot_"), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            assert_eq!(name.ends_with("_total"), kind == Kind::Counter, "{name}");
            if kind == Kind::Histogram {
                assert!(name.ends_with("_seconds"), "{name}");
            }
            assert!(!name.contains("millis") && !name.contains("_ms"), "{name}");
            assert!(help.ends_with('.'), "{name}");
        }
        let mut names: Vec<_> = ALL.iter().map(|(name, ..)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn labels_from_outside_stay_a_small_set() {
        assert_eq!(bounded_label("stretch"), "stretch");
        assert_eq!(bounded_label("schedule add"), "schedule add");
        assert_eq!(bounded_label("button:did-it"), "button:did-it");
        assert_eq!(bounded_label("button:<@123>"), "other");
        assert_eq!(bounded_label(&"x".repeat(41)), "other");
    }

    #[test]
    fn the_readme_lists_every_metric() {
        let readme = include_str!("../../README.md");
        for (name, ..) in ALL {
            assert!(readme.contains(&format!("`{name}`")), "{name}");
        }
    }
}
