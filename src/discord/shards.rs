//! Gateway sharding: which shards this process runs (`discord.shards` or `STRETCHBOT_SHARDS`), the
//! checks against `GET /gateway/bot` before any IDENTIFY (session start limit, the 2,500 guilds a
//! shard may hold), and starting them through serenity.
//!
//! serenity 0.12.5 waits a flat 5 s between the shards it boots and knows nothing of other processes;
//! the README's "Running at scale" says how to stagger several. It also swallows close codes 4010 and
//! 4011 (its shard logs them and identifies again, spending a session start each time), so the
//! too-few-shards case is refused here from Discord's recommendation before any IDENTIFY, and
//! [`RefusalWatch`] stops the bot when a shard is closed at IDENTIFY all the same.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::bail;
use poise::serenity_prelude as serenity;
use serde::Deserialize;

use tokio::time::Instant;

use super::limiter::{Limiter, Route, Share};

/// The most guilds Discord lets one shard hold (gateway.mdx, Sharding).
const MAX_GUILDS_PER_SHARD: u64 = 2500;
/// Discord recommends one shard per this many guilds (`GET /gateway/bot`'s `shards`).
const GUILDS_PER_RECOMMENDED_SHARD: u64 = 1000;
/// serenity 0.12.5's flat wait between the shards it boots (`WAIT_BETWEEN_BOOTS_IN_SECONDS`).
const BOOT_INTERVAL: Duration = Duration::from_secs(5);
/// How many different takeover delays processes get ([`Shards::takeover_turn`]).
const TAKEOVER_TURNS: u32 = 6;
/// How long a shard may go without READY after the last turn of serenity's boot queue; Discord answers
/// an IDENTIFY within a second or two.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which shards this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "RawShards")]
pub enum Shards {
    /// As many as `GET /gateway/bot` recommends, all in this process.
    #[default]
    Auto,
    /// A slice of a fixed total.
    Range(ShardRange),
}

impl Shards {
    /// Whether this process runs shard 0, which does the once-per-application work: registering the
    /// slash commands and printing the invite line.
    pub fn runs_first_shard(self) -> bool {
        match self {
            Shards::Auto => true,
            Shards::Range(range) => range.first == 0,
        }
    }

    /// This process's share of the bot's global rate limit: its shards over the total. A process that
    /// runs every shard (`auto` among them) has all of it.
    pub fn rate_share(self) -> Share {
        match self {
            Shards::Auto => Share::WHOLE,
            Shards::Range(range) => {
                Share::of_shards(range.first, range.count(), range.total).unwrap_or(Share::WHOLE)
            }
        }
    }

    /// This process's place among processes that split the total into equal ranges (0 for the first
    /// range, 1 for the next…), up to [`TAKEOVER_TURNS`]: staggers when processes take over a dead
    /// one's claims.
    pub fn takeover_turn(self) -> u32 {
        match self {
            Shards::Auto => 0,
            Shards::Range(range) => (range.first / range.count()) % TAKEOVER_TURNS,
        }
    }

    /// Reads `STRETCHBOT_SHARDS`' form: `FIRST-LAST/TOTAL` (both ends included) or `auto`.
    pub fn parse_env(text: &str) -> Result<Self, ShardsError> {
        let text = text.trim();
        if text == "auto" {
            return Ok(Shards::Auto);
        }
        let (range, total) = text
            .split_once('/')
            .ok_or_else(|| ShardsError::Form(text.to_owned()))?;
        let total = total
            .trim()
            .parse()
            .map_err(|_| ShardsError::Form(text.to_owned()))?;
        ShardRange::parse(range, total).map(Shards::Range)
    }
}

/// Shards `first` to `last`, both included, of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    first: u32,
    last: u32,
    total: u32,
}

impl ShardRange {
    pub fn new(first: u32, last: u32, total: u32) -> Result<Self, ShardsError> {
        if total == 0 {
            return Err(ShardsError::NoShards);
        }
        if first > last {
            return Err(ShardsError::Backwards { first, last });
        }
        if last >= total {
            return Err(ShardsError::Outside { last, total });
        }
        Ok(ShardRange { first, last, total })
    }

    /// Every shard of `total`.
    pub fn all(total: u32) -> Result<Self, ShardsError> {
        Self::new(0, total.saturating_sub(1), total)
    }

    /// `"FIRST-LAST"` (or one shard, `"N"`) of `total`.
    pub fn parse(range: &str, total: u32) -> Result<Self, ShardsError> {
        let number = |text: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| ShardsError::Form(range.to_owned()))
        };
        let (first, last) = match range.split_once('-') {
            Some((first, last)) => (number(first)?, number(last)?),
            None => (number(range)?, number(range)?),
        };
        Self::new(first, last, total)
    }

    pub fn total(self) -> u32 {
        self.total
    }

    /// How many shards the range holds.
    pub fn count(self) -> u32 {
        self.last - self.first + 1
    }

    /// What serenity's `start_shard_range` wants: its `Range` is read as inclusive (`4..7` starts
    /// shards 4 through 7), so the end is the last shard, not one past it.
    fn serenity_range(self) -> std::ops::Range<u32> {
        self.first..self.last
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}/{}", self.first, self.last, self.total)
    }
}

/// A `shards` setting that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardsError {
    #[error(
        "`{0}` is not a shard range; write it like \"0-3\" with the total apart, or 0-3/16 in STRETCHBOT_SHARDS (first-last/total, both ends included)"
    )]
    Form(String),
    #[error("the shard total is 0; use at least 1, or \"auto\"")]
    NoShards,
    #[error(
        "the shard range starts at {first}, after its end {last}; write it low to high, like \"{last}-{first}\""
    )]
    Backwards { first: u32, last: u32 },
    #[error(
        "the shard range ends at {last}, but shards are numbered 0 to {} of a total of {total}; lower the range or raise the total",
        total - 1
    )]
    Outside { last: u32, total: u32 },
}

/// `shards` as written in the configuration file: `"auto"` or `{ total = 16, range = "0-3" }`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "`shards` must be \"auto\" or a table like { total = 16, range = \"0-3\" }"
)]
enum RawShards {
    Word(String),
    Table(ShardTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardTable {
    total: u32,
    /// Absent: every shard of the total.
    range: Option<String>,
}

impl TryFrom<RawShards> for Shards {
    type Error = String;

    fn try_from(raw: RawShards) -> Result<Self, String> {
        let named = |e: ShardsError| format!("`shards`: {e}");
        match raw {
            RawShards::Word(word) if word == "auto" => Ok(Shards::Auto),
            RawShards::Word(word) => Err(format!(
                "`shards` is \"{word}\"; write \"auto\" or a table like {{ total = 16, range = \"0-3\" }}"
            )),
            RawShards::Table(ShardTable { total, range }) => match range {
                Some(range) => ShardRange::parse(&range, total),
                None => ShardRange::all(total),
            }
            .map(Shards::Range)
            .map_err(named),
        }
    }
}

/// Decides the shards to start from `GET /gateway/bot`, refusing what Discord would refuse.
fn plan(shards: Shards, gateway: &serenity::BotGateway) -> anyhow::Result<ShardRange> {
    let recommended = gateway.shards.max(1);
    let range = match shards {
        Shards::Auto => ShardRange::all(recommended)?,
        Shards::Range(range) => range,
    };
    // Discord recommends a shard per 1,000 guilds, so the bot is in more than this many.
    let fewest_guilds = u64::from(recommended - 1) * GUILDS_PER_RECOMMENDED_SHARD + 1;
    if fewest_guilds > u64::from(range.total) * MAX_GUILDS_PER_SHARD {
        bail!(
            "a total of {total} shard(s) is too few: Discord recommends {recommended} for this bot, which \
             is in more than {} guilds, and closes the gateway with 4011 (sharding required) when a \
             shard would hold more than {MAX_GUILDS_PER_SHARD}. Set `discord.shards = \"auto\"` (the \
             default), or a `total` of at least {} (STRETCHBOT_SHARDS=first-last/total).",
            fewest_guilds - 1,
            fewest_guilds.div_ceil(MAX_GUILDS_PER_SHARD),
            total = range.total,
        );
    }
    let limit = &gateway.session_start_limit;
    if limit.remaining < u64::from(range.count()) {
        let hours = Duration::from_millis(limit.reset_after).as_secs_f64() / 3600.0;
        bail!(
            "Discord allows {} more session start(s) today (of {}) and this process would start {} \
             shard(s) ({range}); going over resets the bot's token. Wait {hours:.1} h for the limit to \
             reset, or start fewer shards here (`discord.shards` range).",
            limit.remaining,
            limit.total,
            range.count(),
        );
    }
    Ok(range)
}

/// Watches serenity's shard stages for a shard that never gets READY: Discord refused its IDENTIFY.
/// (After a 4011, serenity 0.12.5 leaves the shard waiting until a heartbeat fails, then identifies
/// again, and never says why.) A shard Discord turned away for now (an invalid session, for an IDENTIFY
/// a hair under 5 s after the one before) goes to the back of serenity's queue and identifies again
/// after the others: each such retry takes a turn of the queue, so it moves the deadline on by one.
#[derive(Clone, Default)]
pub(super) struct RefusalWatch {
    shards: Arc<Mutex<Stages>>,
}

#[derive(Default)]
struct Stages {
    ready: HashSet<u32>,
    identified: HashSet<u32>,
    /// IDENTIFYs sent, retries included.
    identifies: u32,
}

impl RefusalWatch {
    fn on_stage(&self, shard: u32, stage: serenity::ConnectionStage) {
        let mut shards = self.lock();
        match stage {
            serenity::ConnectionStage::Connected => {
                shards.ready.insert(shard);
            }
            serenity::ConnectionStage::Identifying => {
                shards.identified.insert(shard);
                shards.identifies += 1;
            }
            _ => {}
        }
    }

    /// The first shard of `range` still without READY at `now`, if its time is up: [`READY_TIMEOUT`]
    /// after the last turn of serenity's queue, which boots one shard per [`BOOT_INTERVAL`] from
    /// `started`, every shard once and a turn more for each retry.
    fn late(&self, range: ShardRange, started: Instant, now: Instant) -> Option<u32> {
        let shards = self.lock();
        let retries = shards
            .identifies
            .saturating_sub(shards.identified.len() as u32);
        let last_turn = range.count() - 1 + retries;
        if now < started + BOOT_INTERVAL * last_turn + READY_TIMEOUT {
            return None;
        }
        (range.first..=range.last).find(|shard| !shards.ready.contains(shard))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stages> {
        self.shards.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves with the first shard of `range` found late; never once all got READY.
    async fn first_refused(&self, range: ShardRange) -> u32 {
        let started = Instant::now();
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        loop {
            every_second.tick().await;
            if let Some(shard) = self.late(range, started, Instant::now()) {
                return shard;
            }
            if self.lock().ready.len() >= range.count() as usize {
                return std::future::pending().await;
            }
        }
    }
}

#[serenity::async_trait]
impl serenity::EventHandler for RefusalWatch {
    async fn shard_stage_update(
        &self,
        _: serenity::Context,
        event: serenity::ShardStageUpdateEvent,
    ) {
        self.on_stage(event.shard_id.0, event.new);
    }
}

/// Starts this process's shards and runs them until they stop, or until [`RefusalWatch`] reports a
/// shard Discord keeps refusing.
pub(super) async fn start(
    client: &mut serenity::Client,
    shards: Shards,
    limiter: &Limiter,
    watch: RefusalWatch,
) -> anyhow::Result<()> {
    let gateway = limiter
        .send(Route::Global, || client.http.get_bot_gateway())
        .await
        .map_err(|e| {
            anyhow::anyhow!("could not ask Discord how to shard (GET /gateway/bot): {e}")
        })?;
    let range = plan(shards, &gateway)?;
    tracing::info!(
        %range,
        recommended = gateway.shards,
        session_starts_left = gateway.session_start_limit.remaining,
        "starting shards"
    );
    let manager = Arc::clone(&client.shard_manager);
    tokio::select! {
        ran = client.start_shard_range(range.serenity_range(), range.total()) => Ok(ran?),
        shard = watch.first_refused(range) => {
            manager.shutdown_all().await;
            bail!(
                "Discord closed shard {shard} of {total} at IDENTIFY: no READY {} s after the last \
                 shard's turn to start. It does so with 4011 (sharding required) when a shard would hold more \
                 than {MAX_GUILDS_PER_SHARD} guilds, and with 4010 for an invalid shard. Set \
                 `discord.shards = \"auto\"` (the default) or a larger `total` (STRETCHBOT_SHARDS); \
                 the bot stopped rather than spend the day's session starts.",
                READY_TIMEOUT.as_secs(),
                total = range.total(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(shards: u32, remaining: u64) -> serenity::BotGateway {
        serde_json::from_value(serde_json::json!({
            "url": "wss://gateway.discord.gg/",
            "shards": shards,
            "session_start_limit": {"total": 1000, "remaining": remaining, "reset_after": 3_600_000, "max_concurrency": 1},
        }))
        .unwrap()
    }

    #[test]
    fn serenity_gets_the_last_shard_as_the_end_of_its_inclusive_range() {
        let range = ShardRange::parse("4-7", 16).unwrap();
        assert_eq!(range.serenity_range(), 4..7);
        assert_eq!(range.count(), 4);
        let one = ShardRange::parse("3", 16).unwrap();
        assert_eq!((one.serenity_range(), one.count()), (3..3, 1));
        let all = ShardRange::all(3).unwrap();
        assert_eq!((all.serenity_range(), all.count()), (0..2, 3));
        // What serenity computes from it: `end - start + 1` shards.
        let r = range.serenity_range();
        assert_eq!(r.end - r.start + 1, range.count());
    }

    #[test]
    fn bad_ranges_are_refused_with_the_fix() {
        assert_eq!(ShardRange::new(0, 0, 0), Err(ShardsError::NoShards));
        assert_eq!(
            ShardRange::parse("3-1", 4),
            Err(ShardsError::Backwards { first: 3, last: 1 })
        );
        assert_eq!(
            ShardRange::parse("0-4", 4),
            Err(ShardsError::Outside { last: 4, total: 4 })
        );
        assert!(matches!(
            ShardRange::parse("a-b", 4),
            Err(ShardsError::Form(_))
        ));
        assert!(
            ShardsError::Outside { last: 4, total: 4 }
                .to_string()
                .contains("0 to 3")
        );
    }

    #[test]
    fn the_environment_form_is_first_last_slash_total() {
        assert_eq!(
            Shards::parse_env("0-3/16"),
            Ok(Shards::Range(ShardRange::new(0, 3, 16).unwrap()))
        );
        assert_eq!(Shards::parse_env(" auto "), Ok(Shards::Auto));
        assert!(matches!(
            Shards::parse_env("0-3"),
            Err(ShardsError::Form(_))
        ));
        assert_eq!(
            Shards::parse_env("2-1/4"),
            Err(ShardsError::Backwards { first: 2, last: 1 })
        );
        assert_eq!(Shards::parse_env("0-3/0"), Err(ShardsError::NoShards));
    }

    #[test]
    fn only_a_process_with_shard_0_does_the_once_per_application_work() {
        assert!(Shards::Auto.runs_first_shard());
        assert!(Shards::parse_env("0-1/4").unwrap().runs_first_shard());
        assert!(!Shards::parse_env("2-3/4").unwrap().runs_first_shard());
    }

    #[test]
    fn a_process_takes_its_shards_share_of_the_rate_limit() {
        assert_eq!(Shards::Auto.rate_share(), Share::WHOLE);
        let share = |text| Shards::parse_env(text).unwrap().rate_share().per_second();
        assert_eq!(share("0-0/3"), 16.0);
        assert_eq!(share("2-2/3"), 16.0);
        assert_eq!(share("4-7/16"), 12.0);
        assert_eq!(share("0-15/16"), 48.0);
    }

    #[test]
    fn processes_of_equal_ranges_take_turns_at_taking_over() {
        let turn = |text| Shards::parse_env(text).unwrap().takeover_turn();
        assert_eq!(Shards::Auto.takeover_turn(), 0);
        assert_eq!([turn("0-0/3"), turn("1-1/3"), turn("2-2/3")], [0, 1, 2]);
        assert_eq!(
            [turn("0-3/16"), turn("4-7/16"), turn("12-15/16")],
            [0, 1, 3]
        );
        assert_eq!(turn("7-7/8"), 1);
    }

    #[test]
    fn auto_runs_every_recommended_shard() {
        let range = plan(Shards::Auto, &gateway(3, 1000)).unwrap();
        assert_eq!(range, ShardRange::all(3).unwrap());
        let none_recommended = plan(Shards::Auto, &gateway(0, 1000)).unwrap();
        assert_eq!(none_recommended.count(), 1);
    }

    #[test]
    fn too_few_shards_for_the_guilds_are_refused_naming_what_to_set() {
        let one = Shards::Range(ShardRange::all(1).unwrap());
        let message = plan(one, &gateway(6, 1000)).unwrap_err().to_string();
        assert!(message.contains("4011"), "{message}");
        assert!(message.contains("shards = \"auto\""), "{message}");
        assert!(message.contains("at least 3"), "{message}");
        // 2,001 to 3,000 guilds fit on two shards even though Discord recommends three.
        assert!(
            plan(
                Shards::Range(ShardRange::all(2).unwrap()),
                &gateway(3, 1000)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_shard_without_ready_30_s_after_the_last_turn_of_the_queue_is_refused() {
        use poise::serenity_prelude::ConnectionStage::{Connected, Identifying};
        let range = ShardRange::parse("4-6", 8).unwrap();
        let start = Instant::now();
        let watch = RefusalWatch::default();
        for (shard, stage) in [(4, Identifying), (4, Connected), (5, Identifying)] {
            watch.on_stage(shard, stage);
        }
        // Three shards boot 5 s apart: the last turn is 10 s after the start.
        let deadline = start + BOOT_INTERVAL * 2 + READY_TIMEOUT;
        assert_eq!(watch.late(range, start, deadline - BOOT_INTERVAL), None);
        assert_eq!(watch.late(range, start, deadline), Some(5));
        // Shard 5 was turned away and identifies again after shard 6: a turn more.
        watch.on_stage(6, Identifying);
        watch.on_stage(6, Connected);
        watch.on_stage(5, Identifying);
        assert_eq!(watch.late(range, start, deadline), None);
        assert_eq!(watch.late(range, start, deadline + BOOT_INTERVAL), Some(5));
        watch.on_stage(5, Connected);
        assert_eq!(watch.late(range, start, deadline + BOOT_INTERVAL), None);
    }

    #[test]
    fn too_few_session_starts_left_are_refused() {
        let message = plan(Shards::Auto, &gateway(3, 2)).unwrap_err().to_string();
        assert!(message.contains("2 more session start"), "{message}");
        assert!(message.contains("would start 3"), "{message}");
        assert!(plan(Shards::Auto, &gateway(3, 3)).is_ok());
    }
}
