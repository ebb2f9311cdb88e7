//! The fault suite: crash safety under repeated SIGKILL (R1) and a hostile network (R2). Both count
//! lost and doubled posts from the fake's transcript: one message per seeded fire, by its nonce.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use fake_discord::{Chaos, Options, SplitMix};
use tokio::task::JoinSet;

use crate::perf::finish;
use crate::rig::{PATIENCE, Rig, broken, morning, refused, send_lookup, sleep_until_bot};

const RESTART_DELAY: Duration = Duration::from_secs(1);

/// The bot's own pace (48 requests a second), for how long a batch of posts takes.
const POSTS_PER_SECOND: f64 = 48.0;

/// Lost and doubled posts, as one line; either fails the run, since both runs wait minutes for stragglers.
fn tally(run: &str, rig: &Rig, seeded: usize) {
    let posts = rig.posts();
    println!(
        "{run}: {seeded} fires: lost {} (target 0), doubled {} (target 0), messages with an unknown nonce {}; {} requests, {} answered 5xx, {} answered 429, invalid (401/403/non-shared 429) {}",
        posts.lost,
        posts.doubled,
        posts.unexpected,
        posts.requests,
        posts.server_errors,
        posts.rate_limited,
        posts.invalid,
    );
    if posts.lost + posts.doubled + posts.unexpected > 0 {
        broken(&format!("{run}: posts lost or doubled"));
    }
}

/// R1: `posts` fires due at once while the bot is SIGKILLed and started again at `kills` random moments.
pub async fn crash_safety(smoke: bool) {
    let (posts, kills) = if smoke { (100, 3) } else { (1000, 20) };
    let due = morning();
    let mut rig = Rig::start(Options::default()).await;
    rig.seed(posts / 25, 25, |_| due).await;
    let mut bot = rig.spawn(due - TimeDelta::seconds(5));
    rig.wait_connected(None).await;

    // The moments fall while the posts go out, which takes posts / 48 seconds without the restarts.
    let window_ms = (posts as f64 / POSTS_PER_SECOND * 1000.0) as u64;
    let mut random = SplitMix::new(20_261_123);
    let mut moments: Vec<u64> = (0..kills).map(|_| random.below(window_ms)).collect();
    moments.sort_unstable();
    let started = Instant::now();
    for moment in &moments {
        sleep_until_bot(&rig, due + TimeDelta::milliseconds(*moment as i64)).await;
        let session = rig.session_id();
        bot.kill();
        // A supervisor's restart delay (systemd's RestartSec=1s): the new process starts in a fresh
        // second of Discord's global limit, or serenity's unpaced GET /gateway could meet a 429 there.
        tokio::time::sleep(RESTART_DELAY).await;
        bot = rig.spawn(due);
        rig.wait_connected(session).await;
    }
    let all_out = rig
        .wait_messages(posts, Duration::from_secs(window_ms / 1000) + 3 * PATIENCE)
        .await;
    // A stray second message would come right after the restart that sent it: give it a moment.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stopped = bot.stop();
    println!(
        "r1: {kills} SIGKILLs at {:?} ms after the fires were due; every post out after {:.1} s: {all_out}",
        moments,
        started.elapsed().as_secs_f64()
    );
    tally("r1", &rig, posts);
    finish("r1", &rig.fake, stopped);
}

/// R2: for `seconds`, a tenth of REST calls fail (5xx or shared 429) and the gateway drops every
/// `drop_every`, while posts fall due and members run slash commands.
pub async fn hostile_network(smoke: bool) {
    let (seconds, posts_per_second, drop_every, commands_per_second) = if smoke {
        (30, 2, 10, 1)
    } else {
        (600, 10, 30, 2)
    };
    let count = seconds * posts_per_second;
    let start = morning();
    let mut rig = Rig::start(Options::default()).await;
    rig.seed(count / 25, 25, |n| {
        start + TimeDelta::seconds((n / posts_per_second) as i64)
    })
    .await;
    let bot = rig.spawn(start - TimeDelta::seconds(5));
    rig.wait_connected(None).await;
    sleep_until_bot(&rig, start).await;
    rig.fake.set_chaos(Some(Chaos {
        rate: 0.1,
        seed: 7,
        retry_after: Duration::from_secs(1),
    }));

    let places: Vec<_> = rig
        .targets
        .iter()
        .map(|t| (t.guild, t.channel, rig.members[&t.guild]))
        .collect();
    let mut sent = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / commands_per_second);
    let total = seconds * commands_per_second as usize;
    let mut drops = 0;
    for n in 0..total {
        ticks.tick().await;
        if n > 0 && n % (drop_every * commands_per_second as usize) == 0 {
            drops += usize::from(rig.fake.drop_gateway().await);
        }
        send_lookup(&mut sent, &rig.fake, places[(n * 7) % places.len()], n);
    }
    let refused = refused(sent).await;
    let chaos_failures = rig.fake.chaos_failures();
    rig.fake.set_chaos(None);
    // Posts left claimed are finished a minute later at most; the nonce keeps them single.
    let all_out = rig.wait_messages(count, 3 * PATIENCE).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stopped = bot.stop();
    let latencies = rig.interaction_latencies();
    let unanswered = latencies.iter().filter(|l| l.is_none()).count();
    println!(
        "r2: {seconds} s with 10% of REST calls failed ({chaos_failures} failures injected) and {drops} gateway drops; every post out: {all_out}; slash commands {total} ({refused} refused by the fake), unanswered {unanswered} (target 0); callbacks by status {:?}",
        rig.callback_statuses()
    );
    if unanswered > 0 {
        broken("r2: slash commands left unanswered");
    }
    tally("r2", &rig, count);
    finish("r2", &rig.fake, stopped);
}
