//! Live benchmarks and the fault suite (issue 7): the real `stretchbot` binary, built for this run,
//! against the fake Discord on loopback, its database seeded through the store, its clock set with
//! `STRETCHBOT_CLOCK_START` so that fires fall where the run wants them. Results come from the fake's
//! transcript and the bot's `/proc` status; nothing here asserts on a timing.
//!
//! ```text
//! cargo bench --bench live -- RUN [--smoke]
//! ```
//! RUN is one of `p1` (fan-out of 10,000 guilds; also prints P4 memory and P6 cold start with 10,000
//! guilds), `p2` (punctuality), `p3` (interactions under load), `p4` (memory at 1,000, 10,000 and 100,000 guilds, with the
//! sharded cold start P6 at each), `p6` (cold start, one guild), `p7` (500
//! concurrent timers), `p8` (the fan-out of `p1` across 4 processes on PostgreSQL, then with one of
//! them SIGKILLed; needs `STRETCHBOT_TEST_DATABASE_URL`), `r1`
//! (SIGKILL at random moments), `r2` (hostile network), or `all`. `--smoke` runs each at a size that takes
//! seconds, as `.ci/run` does. A run that finds a doubled or lost post, an invalid request or an unclean
//! stop exits 1; timings never fail it. P5 is `cargo bench --bench next_fire`. docs/benchmarks.md has the figures.

mod faults;
mod perf;
mod rig;
mod scale;
#[path = "../../src/store/postgres/test_database.rs"]
mod test_database;
mod timers;

const RUNS: &[&str] = &["p1", "p2", "p3", "p4", "p6", "p7", "p8", "r1", "r2"];

fn main() {
    // cargo passes `--bench` to every benchmark binary.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let chosen: Vec<&str> = match args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str)
    {
        Some("all") => RUNS.to_vec(),
        Some(run) if RUNS.contains(&run) => vec![run],
        other => {
            eprintln!(
                "usage: cargo bench --bench live -- {{{}|all}} [--smoke] (got {other:?})",
                RUNS.join("|")
            );
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    for run in chosen {
        let started = std::time::Instant::now();
        runtime.block_on(async {
            match run {
                "p1" => perf::fan_out(smoke).await,
                "p2" => perf::punctuality(smoke).await,
                "p3" => perf::interactions(smoke).await,
                "p4" => perf::memory_by_guilds(smoke).await,
                "p6" => perf::cold_start_small(smoke).await,
                "p7" => timers::concurrent_timers(smoke).await,
                "p8" => scale::several_processes(smoke).await,
                "r1" => faults::crash_safety(smoke).await,
                "r2" => faults::hostile_network(smoke).await,
                _ => unreachable!("checked above"),
            }
        });
        println!("{run}: run took {:.1} s", started.elapsed().as_secs_f64());
    }
    if rig::anything_broken() {
        std::process::exit(1);
    }
}
