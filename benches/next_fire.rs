//! P5 / foundation benchmark: the next fire of 1,000,000 schedules (mixed zones and cadences) on one core.
//!
//! Run: `cargo bench --bench next_fire` (add `-- --schedules N` for another count). Target: ≤ 1 µs per
//! schedule. Building the schedules is not timed; only `Schedule::next_after` is.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::TZ_VARIANTS;
use stretchbot::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Zone};

const CRON_EXPRESSIONS: &[&str] = &[
    "0 9 * * 1-5",
    "30 8,13 * * *",
    "*/15 9-17 * * mon-fri",
    "0 10 1,15 * *",
    "0 9 13 * 5",
    "45 7 * jan-jun sat,sun",
    "0 12 * * 0",
    "5 8-18/2 * * *",
];
const DAILY: &[(&str, &str)] = &[
    ("09:00", "mon-fri"),
    ("09:00, 15:00", "mon-fri"),
    ("7:30am", "daily"),
    ("12pm", "mon,wed,fri"),
    ("02:30", "daily"),
    ("21:15", "weekends"),
];

fn main() {
    let count = std::env::args()
        .skip_while(|arg| arg != "--schedules")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000usize);

    // Parse each distinct cadence once and clone: a million parses would dominate the set-up, and clones
    // are what a store loading schedules would hand the poster anyway.
    let crons: Vec<Cadence> = CRON_EXPRESSIONS
        .iter()
        .map(|expr| Cadence::Cron(CronExpr::parse(expr).expect("benchmark cron is valid")))
        .collect();
    let dailies: Vec<Cadence> = DAILY
        .iter()
        .map(|(times, days)| {
            Cadence::Daily(DailyTimes::parse(times, days).expect("benchmark times are valid"))
        })
        .collect();
    let zones: Vec<Zone> = TZ_VARIANTS
        .iter()
        .filter_map(|tz| Zone::parse(tz.name()).ok())
        .collect();

    let schedules: Vec<Schedule> = (0..count)
        .map(|i| {
            let cadence = if i % 2 == 0 {
                crons[(i / 2) % crons.len()].clone()
            } else {
                dailies[(i / 2) % dailies.len()].clone()
            };
            Schedule::new(zones[(i * 7919) % zones.len()], cadence)
        })
        .collect();
    // Spread the "now" of each query over a year so DST transitions and month ends are crossed too.
    let base: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().expect("valid instant");
    let afters: Vec<DateTime<Utc>> = (0..count)
        .map(|i| base + Duration::minutes(((i * 104_729) % (365 * 24 * 60)) as i64))
        .collect();

    let started = Instant::now();
    let mut fired = 0usize;
    for (schedule, after) in schedules.iter().zip(&afters) {
        if black_box(schedule.next_after(*after)).is_some() {
            fired += 1;
        }
    }
    let elapsed = started.elapsed();

    let per_schedule_ns = elapsed.as_nanos() as f64 / count as f64;
    println!(
        "next_fire: {count} schedules ({} zones, {} cron + {} daily cadences) in {:.3} s: {:.0} ns per schedule (target ≤ 1000 ns); {fired} had a next fire",
        zones.len(),
        crons.len(),
        dailies.len(),
        elapsed.as_secs_f64(),
        per_schedule_ns,
    );
    assert_eq!(fired, count, "every benchmark schedule fires again");
}
