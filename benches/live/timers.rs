//! P7: many guided timers at once. Members start `/stretch timer` in channels of five (the per-channel
//! limit) and the run follows every timer message's edits through the fake's transcript: edits per step
//! change (target 1), 429s (target 0), and how late each step's edit lands after its planned instant.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use fake_discord::{Event, Options, Permissions, opt, sub};
use stretchbot::domain::catalog::Catalog;
use stretchbot::domain::timer_plan::{PlanSettings, plan};
use tokio::task::JoinSet;

use crate::perf::{finish, wait_commands};
use crate::rig::{PATIENCE, Rig, broken, morning, refused, spread};

/// Timers one channel may run at once (the bot's limit).
const PER_CHANNEL: usize = 5;

pub async fn concurrent_timers(smoke: bool) {
    // The full run uses a stretch of many short steps, the hardest on edits.
    let (timers, stretch, per_second) = if smoke {
        (20_usize, "full-ball-back-bend", 20)
    } else {
        (500, "thoracic-extension", 100)
    };
    let catalog = Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .expect("the shipped catalog loads");
    let plan = plan(
        catalog.get(stretch).expect("the stretch is in the catalog"),
        &PlanSettings::default(),
    );
    let step_changes = plan.steps.len() - 1;

    let mut rig = Rig::start(Options::default()).await;
    let channels = timers.div_ceil(PER_CHANNEL);
    // Schedules far from the run: the channels come with them, and nothing posts meanwhile.
    let per_guild = 25.min(channels);
    rig.seed(channels.div_ceil(per_guild), per_guild, |_| {
        morning() + TimeDelta::days(1)
    })
    .await;
    let places: Vec<_> = rig
        .targets
        .iter()
        .flat_map(|target| {
            (0..PER_CHANNEL).map(|n| {
                let member =
                    rig.fake
                        .add_member(target.guild, &format!("member {n}"), Permissions::empty());
                (target.guild, target.channel, member)
            })
        })
        .take(timers)
        .collect();
    let bot = rig.spawn(morning());
    rig.wait_connected(None).await;
    wait_commands(&rig.fake).await;

    let mut started = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
    for (guild, channel, member) in places {
        ticks.tick().await;
        let fake = Arc::clone(&rig.fake);
        started.spawn(async move {
            fake.invoke_command(
                guild,
                channel,
                member,
                "stretch",
                [sub("timer", [opt("name", stretch)])],
            )
            .await
            .is_ok()
        });
    }
    if refused(started).await > 0 {
        broken("p7: the fake refused a /stretch timer");
    }
    let expected_edits = timers * step_changes;
    // Reading the transcript takes the fake's lock: not while the timers run, so it cannot slow them.
    tokio::time::sleep(Duration::from_secs(u64::from(plan.total_s))).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while successful_edits(&rig) < expected_edits && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Give an extra edit, if the bot made one, the chance to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stopped = bot.stop();

    let follow = follow_timers(&rig);
    let per_timer: Vec<usize> = follow.values().map(|timer| timer.edits.len()).collect();
    let finished = follow.values().filter(|timer| timer.finished).count();
    let mut lateness_ms: Vec<f64> = follow
        .values()
        .flat_map(|timer| {
            timer.edits.iter().enumerate().map(|(n, at_ms)| {
                let planned = f64::from(plan.steps[n + 1].starts_at_s) * 1000.0;
                at_ms - timer.started_ms - planned
            })
        })
        .collect();
    let edits: usize = per_timer.iter().sum();
    let rate_limited = rig
        .fake
        .requests()
        .iter()
        .filter(|x| x.status == 429)
        .count();
    println!(
        "p7: {timers} timers of {stretch} ({} steps, {} s) started at {per_second}/s in {channels} channels: {} answered, {finished} finished; {edits} edits for {} step changes = {:.3} edits per step change (target 1; per timer min {} max {}); 429s {rate_limited} (target 0); each step's edit after its planned instant (from the timer's first reply) {}",
        plan.steps.len(),
        plan.total_s,
        follow.len(),
        follow.len() * step_changes,
        edits as f64 / (follow.len() * step_changes).max(1) as f64,
        per_timer.iter().min().unwrap_or(&0),
        per_timer.iter().max().unwrap_or(&0),
        spread(&mut lateness_ms, "ms"),
    );
    if follow.len() != timers || finished != timers || per_timer.iter().any(|&n| n != step_changes)
    {
        broken(
            "p7: a timer was not answered, did not finish, or was edited other than once per step",
        );
    }
    finish("p7", &rig.fake, stopped);
}

/// One timer as the transcript shows it.
#[derive(Default)]
struct Followed {
    /// When its first reply (the interaction callback) was answered, ms since the fake started.
    started_ms: f64,
    /// When each successful edit was answered, in order.
    edits: Vec<f64>,
    finished: bool,
}

/// Every timer by its interaction token: the callback that started it and the edits through the token.
fn follow_timers(rig: &Rig) -> HashMap<String, Followed> {
    let mut timers: HashMap<String, Followed> = HashMap::new();
    for entry in rig.fake.transcript() {
        let Event::Http(x) = &entry.event else {
            continue;
        };
        if !(200..300).contains(&x.status) {
            continue;
        }
        let parts: Vec<&str> = x.path.split('/').collect();
        // /api/v10/interactions/{id}/{token}/callback
        if x.method == "POST" && parts.get(3) == Some(&"interactions") {
            if let Some(token) = parts.get(5) {
                timers.entry((*token).to_owned()).or_default().started_ms = entry.elapsed_ms;
            }
        }
        // /api/v10/webhooks/{application}/{token}/messages/@original
        if x.method == "PATCH" && parts.get(3) == Some(&"webhooks") {
            if let Some(timer) = parts.get(5).and_then(|token| timers.get_mut(*token)) {
                timer.edits.push(entry.elapsed_ms);
                let title = x
                    .body
                    .as_ref()
                    .and_then(|body| body["embeds"][0]["title"].as_str())
                    .unwrap_or_default();
                timer.finished |= title.ends_with("done");
            }
        }
    }
    timers
}

fn successful_edits(rig: &Rig) -> usize {
    rig.fake
        .requests()
        .iter()
        .filter(|x| x.method == "PATCH" && x.path.contains("/webhooks/") && x.status == 200)
        .count()
}
