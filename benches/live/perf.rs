//! The performance runs: fan-out (P1, with memory P4 and a large cold start P6), punctuality (P2),
//! interactions under posting load (P3) and cold start on a small world (P6).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use fake_discord::{Direction, Event, FakeDiscord, Options, Scope};
use tokio::task::JoinSet;

use crate::rig::{
    PATIENCE, Rig, broken, morning, refused, secs, send_lookup, sleep_until_bot, spread,
};

/// Discord's global limit, requests per second.
pub const DISCORD_GLOBAL: f64 = 50.0;

/// P1 (and P4, and P6 with many guilds): every guild's schedule due in the same minute.
pub async fn fan_out(smoke: bool) {
    let guilds = if smoke { 200 } else { 10_000 };
    // Long enough for the bot to take in every GUILD_CREATE and settle before the fire, so that the
    // idle memory is measured idle.
    let lead = TimeDelta::seconds(if smoke { 5 } else { 30 });
    let mut rig = Rig::start(Options::default()).await;
    let due = morning();
    let seeding = rig.seed(guilds, 1, |_| due).await;
    println!(
        "p1: {guilds} guilds with one schedule each, all due at {due} (seeded in {seeding:.1?})"
    );

    let bot = rig.spawn(due - lead);
    rig.wait_connected(None).await;
    wait_commands(&rig.fake).await;
    sleep_until_bot(&rig, due - TimeDelta::seconds(1)).await;
    let idle = bot.memory_kib("VmRSS").unwrap_or(0);
    let idle_peak = bot.memory_kib("VmHWM").unwrap_or(0);

    // At the global limit the fan-out takes guilds / 48 seconds; twice that, and a minute, is patience.
    let limit = Duration::from_secs_f64(guilds as f64 / 48.0 * 2.0) + PATIENCE;
    let deadline = Instant::now() + limit;
    let mut fan_out_peak = 0;
    while rig.fake.message_count() < guilds && Instant::now() < deadline {
        fan_out_peak = fan_out_peak.max(bot.memory_kib("VmRSS").unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let overall_peak = bot.memory_kib("VmHWM").unwrap_or(0);
    let spawned = bot.spawned;
    let stopped = bot.stop();
    // Read after the fact: the fake records an exchange once its handler has run, so the commands can
    // be registered a moment before their request is in the transcript.
    let start = cold_start(&rig.fake, spawned);
    println!(
        "p6 ({guilds} guilds): after the process started: IDENTIFY {:.0} ms, READY sent {:.0} ms, commands registered {:.0} ms; the bot's own share {:.0} ms (target <= 500 ms)",
        start.identify,
        start.ready,
        start.registered,
        start.bot()
    );

    let posts = rig.posts();
    let landed: Vec<f64> = posts
        .landed
        .iter()
        .map(|(at, wall)| secs(rig.on_bot_clock(*wall) - *at))
        .collect();
    let first = landed.iter().copied().fold(f64::INFINITY, f64::min);
    let last = landed.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let rate = (landed.len().saturating_sub(1)) as f64 / (last - first);
    let from_due = landed.len() as f64 / last;
    println!(
        "p1: {} of {guilds} posted; first landed {first:.2} s after the due instant, last {last:.2} s; {rate:.1} posts/s between them = {:.1}% of Discord's {DISCORD_GLOBAL}/s (target >= 95%), {from_due:.1} posts/s from the due instant = {:.1}%; 429s received: {} (target 0); lost {}, doubled {}",
        landed.len(),
        rate / DISCORD_GLOBAL * 100.0,
        from_due / DISCORD_GLOBAL * 100.0,
        posts.rate_limited,
        posts.lost,
        posts.doubled,
    );
    println!(
        "p4 ({guilds} guilds): RSS idle {:.1} MiB (peak while starting {:.1} MiB), peak during the fan-out {:.1} MiB, peak overall (VmHWM) {:.1} MiB (target <= 40 MB)",
        mib(idle),
        mib(idle_peak),
        mib(fan_out_peak),
        mib(overall_peak),
    );
    for line in rig.rate_limited_report(10) {
        println!("p1: 429 {line}");
    }
    if posts.doubled + posts.unexpected > 0 {
        broken("p1: a fire posted twice");
    }
    finish("p1", &rig.fake, stopped);
}

/// P2: `per_second` fires due at each whole second, for `seconds`. Fires are whole seconds: the store
/// keeps them so, and cadences are whole minutes.
pub async fn punctuality(smoke: bool) {
    let (per_second, seconds) = if smoke { (10, 10) } else { (40, 300) };
    let count = per_second * seconds;
    let start = morning();
    let mut rig = Rig::start(Options::default()).await;
    let seeding = rig
        .seed(count / 25, 25, |n| {
            start + TimeDelta::seconds((n / per_second) as i64)
        })
        .await;
    println!(
        "p2: {count} schedules, {per_second} due at each whole second for {seconds} s (seeded in {seeding:.1?})"
    );
    let bot = rig.spawn(start - TimeDelta::seconds(10));
    rig.wait_connected(None).await;
    rig.wait_messages(count, Duration::from_secs(seconds as u64 + 10) + PATIENCE)
        .await;
    let stopped = bot.stop();
    let posts = rig.posts();
    let mut lateness: Vec<f64> = posts
        .landed
        .iter()
        .map(|(at, wall)| secs(rig.on_bot_clock(*wall) - *at) * 1000.0)
        .collect();
    println!(
        "p2: lateness of {} posts: {} (target p99 <= 1000 ms); lost {}, doubled {}, 429s {}",
        lateness.len(),
        spread(&mut lateness, "ms"),
        posts.lost,
        posts.doubled,
        posts.rate_limited
    );
    if posts.doubled + posts.unexpected > 0 {
        broken("p2: a fire posted twice");
    }
    finish("p2", &rig.fake, stopped);
}

/// P3: `rate` slash commands a second for `seconds` while 40 posts a second go out.
pub async fn interactions(smoke: bool) {
    let (rate, seconds, posts_per_second) = if smoke { (20, 5, 10) } else { (200, 60, 40) };
    let start = morning();
    let count = posts_per_second * seconds;
    let mut rig = Rig::start(Options::default()).await;
    rig.seed(count / 25, 25, |n| {
        start + TimeDelta::seconds((n / posts_per_second) as i64)
    })
    .await;
    let bot = rig.spawn(start - TimeDelta::seconds(10));
    rig.wait_connected(None).await;
    wait_commands(&rig.fake).await;
    sleep_until_bot(&rig, start).await;

    let places: Vec<_> = rig
        .targets
        .iter()
        .map(|t| (t.guild, t.channel, rig.members[&t.guild]))
        .collect();
    let mut sent = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    let total = rate as usize * seconds;
    for n in 0..total {
        ticks.tick().await;
        send_lookup(&mut sent, &rig.fake, places[n % places.len()], n);
    }
    let refused = refused(sent).await;
    let answered_by = Instant::now() + PATIENCE;
    let latencies = loop {
        let latencies = rig.interaction_latencies();
        if latencies.iter().all(Option::is_some) || Instant::now() > answered_by {
            break latencies;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    rig.wait_messages(count, PATIENCE).await;
    let stopped = bot.stop();
    let unanswered = latencies.iter().filter(|l| l.is_none()).count();
    let mut answered: Vec<f64> = latencies.into_iter().flatten().collect();
    let posts = rig.posts();
    println!(
        "p3: {total} slash commands at {rate}/s for {seconds} s ({refused} refused by the fake) while {} posts went out: INTERACTION_CREATE to callback {} (target p99 <= 20 ms); unanswered {unanswered}; callbacks by status {:?}",
        posts.landed.len(),
        spread(&mut answered, "ms"),
        rig.callback_statuses()
    );
    finish("p3", &rig.fake, stopped);
}

/// P6: process start to READY and to commands registered, a few times over on a one-guild world.
pub async fn cold_start_small(smoke: bool) {
    let runs = if smoke { 1 } else { 5 };
    let mut identify_ms = Vec::new();
    let mut ready_ms = Vec::new();
    let mut registered_ms = Vec::new();
    for _ in 0..runs {
        let mut rig = Rig::start(Options::default()).await;
        rig.seed(1, 1, |_| morning() + TimeDelta::hours(1)).await;
        let bot = rig.spawn(morning());
        rig.wait_connected(None).await;
        wait_commands(&rig.fake).await;
        let spawned = bot.spawned;
        let stopped = bot.stop();
        let start = cold_start(&rig.fake, spawned);
        identify_ms.push(start.identify);
        ready_ms.push(start.ready);
        registered_ms.push(start.registered);
        finish("p6", &rig.fake, stopped);
    }
    println!(
        "p6 (1 guild, {runs} starts): process start to IDENTIFY {}; to READY {}; to commands registered {} (target <= 500 ms)",
        spread(&mut identify_ms, "ms"),
        spread(&mut ready_ms, "ms"),
        spread(&mut registered_ms, "ms"),
    );
}

/// Waits until the bot's global commands are registered.
pub async fn wait_commands(fake: &FakeDiscord) {
    fake.wait_until(PATIENCE, "the bot's commands", |fake| {
        (!fake.registered_commands(Scope::Global).is_empty()).then_some(())
    })
    .await
    .expect("the bot registers its commands");
}

/// Milliseconds from `spawned` to the bot's IDENTIFY, to READY being sent and to the commands'
/// registration being answered. IDENTIFY to READY is the fake's own time, building READY and the
/// GUILD_CREATEs behind it.
fn cold_start(fake: &FakeDiscord, spawned: DateTime<Utc>) -> ColdStart {
    let mut start = ColdStart {
        identify: f64::NAN,
        ready: f64::NAN,
        registered: f64::NAN,
    };
    for entry in fake.transcript() {
        let at = DateTime::parse_from_rfc3339(&entry.at).map(|at| at.with_timezone(&Utc));
        let Ok(since) = at.map(|at| secs(at - spawned) * 1000.0) else {
            continue;
        };
        let slot = match &entry.event {
            Event::Gateway(f) if f.direction == Direction::Received && f.payload["op"] == 2 => {
                &mut start.identify
            }
            Event::Gateway(f) if f.direction == Direction::Sent && f.payload["t"] == "READY" => {
                &mut start.ready
            }
            Event::Http(x)
                if x.method == "PUT" && x.path.ends_with("/commands") && x.status == 200 =>
            {
                &mut start.registered
            }
            _ => continue,
        };
        if slot.is_nan() {
            *slot = since;
        }
    }
    start
}

struct ColdStart {
    identify: f64,
    ready: f64,
    registered: f64,
}

impl ColdStart {
    /// The bot's own share: process start to IDENTIFY, and READY to commands registered.
    fn bot(&self) -> f64 {
        self.identify + (self.registered - self.ready)
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reports how the bot stopped and what the fake found wrong.
pub fn finish(run: &str, fake: &FakeDiscord, stopped: bool) {
    let violations = fake.violations();
    let fake_bugs = fake.fake_bugs();
    println!(
        "{run}: bot stopped cleanly: {stopped}; invalid requests (spec violations) {}; fake's own findings {}",
        violations.len(),
        fake_bugs.len()
    );
    for finding in violations.iter().chain(&fake_bugs).take(5) {
        println!("  {finding}");
    }
    if !stopped || !violations.is_empty() || !fake_bugs.is_empty() {
        broken(&format!("{run}: an unclean stop or findings"));
    }
}

/// P4 as the bot grows, with the sharded cold start (P6) at each size: `guilds` guilds with a schedule
/// each (due tomorrow, so nothing posts), every shard READY, the commands registered, then the
/// resident memory once settled. 100,000 guilds run on 40 shards (2,500 each, the most Discord allows
/// per shard); smaller worlds on the shards `GET /gateway/bot` recommends (one per 1,000 guilds).
pub async fn memory_by_guilds(smoke: bool) {
    let sizes: &[usize] = if smoke {
        &[100, 1_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let mut measured: Vec<(usize, u64)> = Vec::new();
    for &guilds in sizes {
        let mut rig = Rig::start(Options::default()).await;
        let due = morning() + TimeDelta::days(1);
        let seeding = rig.seed(guilds, 1, |_| due).await;
        let shards = if guilds > 10_000 {
            rig.shards = Some("0-39/40".to_owned());
            40
        } else {
            guilds.div_ceil(1_000)
        };
        let bot = rig.spawn(morning());
        // serenity starts one shard every 5 s; as long again and three minutes more for a loaded
        // machine (the fake builds READY for up to 2,500 guilds a shard).
        let boot = Duration::from_secs(10 * shards as u64) + PATIENCE * 3;
        if rig.fake.wait_shards_ready(shards, boot).await.is_err() {
            let ready = rig.fake.sessions().iter().filter(|s| s.connected).count();
            println!(
                "p4 ({guilds} guilds): RSS then {:.1} MiB; the bot's log ends:\n{}",
                mib(bot.memory_kib("VmRSS").unwrap_or(0)),
                rig.log_tail(40)
            );
            broken(&format!(
                "p4 ({guilds} guilds): {ready} of {shards} shards READY after {boot:?}"
            ));
            continue;
        }
        wait_commands(&rig.fake).await;
        // Settle: the last shard's GUILD_CREATEs are handled and their buffers returned.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let rss = bot.memory_kib("VmRSS").unwrap_or(0);
        let peak = bot.memory_kib("VmHWM").unwrap_or(0);
        let spawned = bot.spawned;
        let stopped = bot.stop();
        let start = sharded_start(&rig.fake, spawned);
        // serenity 0.12.5 boots shard n+1 5 s after shard n (one IDENTIFY per 5 s, max_concurrency 1).
        let floor = 5_000.0 * (shards - 1) as f64;
        println!(
            "p4 ({guilds} guilds, {shards} shards, seeded in {seeding:.1?}): RSS settled {:.1} MiB, peak (VmHWM) {:.1} MiB",
            mib(rss),
            mib(peak)
        );
        println!(
            "p6 ({guilds} guilds, {shards} shards): after the process started: first IDENTIFY {:.0} ms, last IDENTIFY {:.0} ms, every shard READY {:.0} ms, commands registered {:.0} ms; identify-pacing floor {floor:.0} ms: every shard READY {:.0} ms after the floor (target <= 1000 ms)",
            start.first_identify,
            start.last_identify,
            start.last_ready,
            start.registered,
            start.last_ready - floor,
        );
        finish("p4", &rig.fake, stopped);
        measured.push((guilds, rss));
    }
    for pair in measured.windows(2) {
        let ((small, small_rss), (large, large_rss)) = (pair[0], pair[1]);
        println!(
            "p4: {small} to {large} guilds: {:.2} KiB per guild (target <= 0.5)",
            (large_rss as f64 - small_rss as f64) / (large - small) as f64
        );
    }
    if let Some(&(guilds, rss)) = measured.last() {
        println!(
            "p4: at {guilds} guilds {:.1} MiB, {:.2} KiB per guild overall (target <= 80 MiB at 100,000)",
            mib(rss),
            rss as f64 / guilds as f64
        );
    }
}

/// When each shard identified and got READY, and when the commands were registered, in milliseconds
/// after `spawned`.
fn sharded_start(fake: &FakeDiscord, spawned: DateTime<Utc>) -> ShardedStart {
    let mut identifies = Vec::new();
    let mut readies = Vec::new();
    let mut registered = f64::NAN;
    for entry in fake.transcript() {
        let at = DateTime::parse_from_rfc3339(&entry.at).map(|at| at.with_timezone(&Utc));
        let Ok(since) = at.map(|at| secs(at - spawned) * 1000.0) else {
            continue;
        };
        match &entry.event {
            Event::Gateway(f) if f.direction == Direction::Received && f.payload["op"] == 2 => {
                identifies.push(since)
            }
            Event::Gateway(f) if f.direction == Direction::Sent && f.payload["t"] == "READY" => {
                readies.push(since)
            }
            Event::Http(x)
                if x.method == "PUT"
                    && x.path.ends_with("/commands")
                    && x.status == 200
                    && registered.is_nan() =>
            {
                registered = since
            }
            _ => {}
        }
    }
    let first = |values: &[f64]| values.iter().copied().fold(f64::INFINITY, f64::min);
    let last = |values: &[f64]| values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    ShardedStart {
        first_identify: first(&identifies),
        last_identify: last(&identifies),
        last_ready: last(&readies),
        registered,
    }
}

struct ShardedStart {
    first_identify: f64,
    last_identify: f64,
    last_ready: f64,
    registered: f64,
}
