//! P8: several bot processes on one PostgreSQL database. The same fan-out as P1 (every guild's schedule
//! due in the same minute) across 4 `stretchbot run` processes with shard ranges of one total: all of
//! them together against Discord's global limit, then again with one of them SIGKILLed at a random
//! moment of the fan-out and not restarted, so that the others post the rest and finish its claims
//! (after the takeover delay, 30 s). Needs `STRETCHBOT_TEST_DATABASE_URL`; each run makes a database of
//! its own there.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use fake_discord::{Options, SplitMix};
use stretchbot::domain::store::Store;

use crate::perf::{DISCORD_GLOBAL, wait_commands};
use crate::rig::{PATIENCE, Rig, broken, morning, secs};
use crate::test_database::TestDatabase;

const PROCESSES: u32 = 4;
/// The fake's IDENTIFY pace, below Discord's 5 s as an explicit option: serenity still waits 5 s
/// between the shards of one process, and the processes start one after another, as the README says.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(1);

pub async fn several_processes(smoke: bool) {
    // Smoke: a shard per process; full: 10,000 guilds on 12 shards (Discord would recommend 10), 3 each.
    let (guilds, shards_each) = if smoke { (200, 1) } else { (10_000, 3) };
    run(guilds, shards_each, None).await;
    // The takeover alone waits 30 s; tests/multiprocess.rs covers it in CI.
    if !smoke {
        run(guilds, shards_each, Some(SplitMix::new(20_261_206))).await;
    }
}

/// One fan-out across the processes; with `kill`, one of them (at random) is SIGKILLed at a random
/// moment between a tenth and two thirds of the posts.
async fn run(guilds: usize, shards_each: u32, kill: Option<SplitMix>) {
    let what = if kill.is_some() {
        "p8 (one killed)"
    } else {
        "p8"
    };
    let Some(database) = TestDatabase::create("p8").await else {
        println!("{what}: skipped: no PostgreSQL server (STRETCHBOT_TEST_DATABASE_URL)");
        return;
    };
    let total = PROCESSES * shards_each;
    let mut rig = Rig::start_postgres(
        Options {
            identify_interval: IDENTIFY_INTERVAL,
            ..Options::default()
        },
        database.as_str(),
    )
    .await;
    let due = morning();
    let seeding = rig.seed(guilds, 1, |_| due).await;
    println!(
        "{what}: {guilds} guilds with one schedule each, all due at {due}, {PROCESSES} processes of {shards_each} shard(s) each of {total} (seeded in {seeding:.1?})"
    );
    // Each process starts once the one before has its shards READY: a few seconds each (serenity's
    // 5 s per shard after the first), and the fires fall due after all of them.
    let lead = TimeDelta::seconds(i64::from(PROCESSES * (5 * (shards_each - 1) + 3)));
    let starting = Instant::now();
    let mut bots = Vec::new();
    for process in 0..PROCESSES {
        let first = process * shards_each;
        rig.shards = Some(format!("{first}-{}/{total}", first + shards_each - 1));
        bots.push(rig.spawn(due - lead));
        let ready = (first..first + shards_each).collect::<Vec<_>>();
        let waited = rig
            .fake
            .wait_until(PATIENCE * 2, "the process's shards to get READY", |fake| {
                let sessions = fake.sessions();
                ready
                    .iter()
                    .all(|shard| sessions.iter().any(|s| s.shard.id == *shard && s.connected))
                    .then_some(())
            })
            .await;
        if let Err(timeout) = waited {
            println!("{what}: {timeout}; the log ends:\n{}", rig.log_tail(20));
            broken(&format!("{what}: a process's shards never got READY"));
            return;
        }
        tokio::time::sleep(IDENTIFY_INTERVAL).await;
    }
    wait_commands(&rig.fake).await;
    let started_in = starting.elapsed();
    let late = rig.bot_now().map_or(0.0, |now| secs(now - due).max(0.0));
    println!(
        "{what}: {PROCESSES} processes started one after another in {started_in:.1?}{}",
        if late > 0.0 {
            format!(" ({late:.1} s after the fires were due)")
        } else {
            String::new()
        }
    );

    let mut killed_at = None;
    if let Some(mut random) = kill {
        let victim = random.below(u64::from(PROCESSES)) as usize;
        let low = guilds / 10;
        let high = guilds * 2 / 3;
        let at = low + random.below((high - low) as u64) as usize;
        rig.wait_messages(at, Duration::from_secs_f64(guilds as f64 / 30.0) + PATIENCE)
            .await;
        bots.remove(victim).kill();
        let posted = rig.fake.message_count();
        println!(
            "{what}: SIGKILLed process {victim} (shards {}-{}/{total}) after {posted} posts",
            victim as u32 * shards_each,
            (victim as u32 + 1) * shards_each - 1
        );
        killed_at = Some((rig.bot_now().expect("the bots were started"), posted));
    }
    // Three processes post at 36 a second; the dead one's claims wait for the 30-s takeover.
    let limit = Duration::from_secs_f64(guilds as f64 / 36.0 * 2.0) + PATIENCE * 2;
    rig.wait_messages(guilds, limit).await;
    // Time for a stray duplicate to show.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let left_claimed = rig
        .store()
        .unconfirmed()
        .await
        .map_or(usize::MAX, |claims| claims.len());
    // Every bot is stopped, also after one that did not stop cleanly.
    let mut stopped = true;
    for bot in bots {
        stopped &= bot.stop();
    }

    let posts = rig.posts();
    let landed: Vec<f64> = posts
        .landed
        .iter()
        .map(|(at, wall)| secs(rig.on_bot_clock(*wall) - *at))
        .collect();
    let first = landed.iter().copied().fold(f64::INFINITY, f64::min);
    let last = landed.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let rate = (landed.len().saturating_sub(1)) as f64 / (last - first);
    println!(
        "{what}: {} of {guilds} posted; first landed {first:.2} s after the due instant, last {last:.2} s; {rate:.1} posts/s between them = {:.1}% of Discord's {DISCORD_GLOBAL}/s (target >= 90% with all 4); 429s received: {} (target 0); lost {}, doubled {}; claims left unconfirmed {left_claimed}",
        landed.len(),
        rate / DISCORD_GLOBAL * 100.0,
        posts.rate_limited,
        posts.lost,
        posts.doubled,
    );
    if let Some((at, posted)) = killed_at {
        let since = secs(at - due);
        let before = landed.iter().filter(|l| **l <= since).count();
        let after: Vec<f64> = landed.iter().copied().filter(|l| *l > since).collect();
        let after_rate = after.len().saturating_sub(1) as f64
            / (after.iter().copied().fold(f64::NEG_INFINITY, f64::max) - since);
        println!(
            "{what}: killed {since:.1} s after the due instant with {posted} posted ({before} landed by then); the rest, {} posts, at {after_rate:.1} posts/s, the last {:.1} s after the kill",
            after.len(),
            last - since
        );
    }
    for line in rig.rate_limited_report(10) {
        println!("{what}: 429 {line}");
    }
    if posts.lost > 0 {
        broken(&format!("{what}: {} fires never posted", posts.lost));
    }
    if posts.doubled + posts.unexpected > 0 {
        broken(&format!("{what}: a fire posted twice"));
    }
    if left_claimed > 0 {
        broken(&format!("{what}: {left_claimed} claims left unconfirmed"));
    }
    crate::perf::finish(what, &rig.fake, stopped);
}
