//! P9: the store under the poster's load, SQLite and PostgreSQL side by side in one run (issue 11).
//!
//! ```text
//! cargo bench --bench store [-- --smoke]
//! ```
//! Two measurements on each backend:
//! - claims per second: `FIRES` schedules all due at one instant, claimed through `Store::claim` by 1 and
//!   by 4 claimers, each on a connection (SQLite) or pool (PostgreSQL) of its own, as that many bot
//!   processes would be. Every claimer reads the due list (`due_schedules`) and claims it in that order,
//!   as the poster does, so the 4 race for the same rows; each fire must end claimed exactly once.
//! - the poster's next-due query at 1,000,000 schedules: `next_due` and `due_schedules` timed, and the
//!   plan of each query printed (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL). A plan
//!   that scans the schedules table rather than using an index fails the run.
//!
//! PostgreSQL runs on the server `STRETCHBOT_TEST_DATABASE_URL` names (the one the store tests use; the
//! bench makes databases of its own there). Unset, the PostgreSQL half is skipped with a message, except
//! with `CI=true`, where that fails the run. `--smoke` runs at a size that takes seconds, as `.ci/run`
//! does. A doubled or missing claim, or a scanning plan, exits 1; timings never do.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use stretchbot::domain::catalog::{Filters, StretchId};
use stretchbot::domain::posting::{ChannelId, Claim, Fire, GuildId, NewSchedule, PostKind, UserId};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, DailyTimes, Schedule, Zone};
use stretchbot::domain::store::{ClaimOutcome, Store};
use stretchbot::store::{AnyStore, PostgresStore, SqliteStore};

const URL_VARIABLE: &str = "STRETCHBOT_TEST_DATABASE_URL";

/// The queries whose plans are shown, as the adapters spell their filter and order. They are checked
/// against the adapters' source below, so that a changed query cannot leave this bench explaining an
/// old one.
const NEXT_DUE_SQL: &str = "SELECT id, next_fire FROM schedules WHERE pause IS NULL AND next_fire IS NOT NULL ORDER BY next_fire LIMIT 1";
const DUE_FILTER_SQLITE: &str =
    "WHERE pause IS NULL AND next_fire IS NOT NULL AND next_fire <= ?1 ORDER BY next_fire, id";
const DUE_FILTER_POSTGRES: &str =
    "WHERE pause IS NULL AND next_fire IS NOT NULL AND next_fire <= $1 ORDER BY next_fire, id";

/// The columns a schedule row is copied by when the bench multiplies one stored schedule.
const COPIED_COLUMNS: &str = "kind, zone, cadence, role_id, filters, created_by, pause, rotation";

/// Every fire falls on this morning.
fn morning() -> DateTime<Utc> {
    "2027-06-01T09:00:00Z".parse().expect("a valid instant")
}

static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn failed(what: &str) {
    println!("FAILED: {what}");
    FAILED.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn main() {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let (fires, schedules) = if smoke {
        (200, 20_000)
    } else {
        (5_000, 1_000_000)
    };
    let url = match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            println!("FAILED: {URL_VARIABLE} is not set; CI must run the PostgreSQL half");
            std::process::exit(1);
        }
        _ => {
            println!(
                "p9: PostgreSQL skipped: {URL_VARIABLE} is not set (e.g. postgres://stretchbot@127.0.0.1:54329/postgres; \
                 the README's \"Running the PostgreSQL tests\" starts a server)"
            );
            None
        }
    };
    check_queries_match_the_adapters();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let mut backends = vec![Backend::Sqlite(folder.path().to_owned())];
        if let Some(url) = url {
            backends.push(Backend::Postgres(Box::new(
                url.parse()
                    .expect("STRETCHBOT_TEST_DATABASE_URL is a PostgreSQL url"),
            )));
        }
        for claimers in [1, 4] {
            for backend in &backends {
                claims_per_second(backend, fires, claimers).await;
            }
        }
        for backend in &backends {
            next_due(backend, schedules).await;
        }
    });
    if FAILED.load(std::sync::atomic::Ordering::Relaxed) {
        std::process::exit(1);
    }
}

enum Backend {
    /// Databases are files in this folder.
    Sqlite(std::path::PathBuf),
    /// Databases are made on this server.
    Postgres(Box<tokio_postgres::Config>),
}

/// A fresh database of one backend, and how to reach it again.
enum Database {
    Sqlite(std::path::PathBuf),
    Postgres(Box<tokio_postgres::Config>),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    async fn fresh(&self, label: &str) -> Database {
        let name = format!("stretchbot_bench_{label}_{}", std::process::id());
        match self {
            Backend::Sqlite(folder) => Database::Sqlite(folder.join(format!("{name}.sqlite3"))),
            Backend::Postgres(server) => {
                let client = connect(server).await;
                // Two calls: PostgreSQL runs a multi-statement batch as one transaction, which
                // these statements refuse.
                for statement in [
                    format!("DROP DATABASE IF EXISTS {name}"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    client
                        .batch_execute(&statement)
                        .await
                        .expect("the bench's role may create databases");
                }
                let mut config = server.clone();
                config.dbname(&name);
                Database::Postgres(config)
            }
        }
    }
}

impl Database {
    /// A store on a connection (SQLite) or pool (PostgreSQL) of its own, migrated.
    async fn open(&self) -> AnyStore {
        match self {
            Database::Sqlite(path) => SqliteStore::open(path).expect("the store opens").into(),
            Database::Postgres(config) => PostgresStore::open_config(config.as_ref().clone())
                .await
                .expect("the store opens")
                .into(),
        }
    }

    /// Stores one schedule through `store` (so its row is what the bot writes), then copies it in SQL
    /// until there are `count`, 25 to a guild, their fires spread evenly over `spread_seconds` from the
    /// morning on.
    async fn seed(&self, store: &AnyStore, count: usize, spread_seconds: i64) {
        let first = morning();
        store
            .add_schedule(template(), RotationState::new(1), Some(first))
            .await
            .expect("the schedule is stored");
        let copies = count as i64 - 1;
        // Copy n (1-based) goes to guild n / 25 and channel n; its fire at n * spread / count seconds.
        let step = spread_seconds as f64 / count as f64;
        match self {
            Database::Sqlite(path) => {
                let connection = rusqlite::Connection::open(path).expect("the file opens");
                connection
                    .execute_batch(&format!(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}) \
                         INSERT INTO schedules (guild_id, channel_id, next_fire, {COPIED_COLUMNS}) \
                         SELECT CAST(1000 + i / 25 AS TEXT), CAST(100000 + i AS TEXT), \
                                next_fire + CAST(i * {step} AS INTEGER), {COPIED_COLUMNS} \
                         FROM n, schedules WHERE schedules.id = 1; ANALYZE"
                    ))
                    .expect("the schedules are copied");
            }
            Database::Postgres(config) => {
                connect(config)
                    .await
                    .batch_execute(&format!(
                        "INSERT INTO schedules (guild_id, channel_id, next_fire, {COPIED_COLUMNS}) \
                         SELECT (1000 + i / 25)::TEXT, (100000 + i)::TEXT, \
                                next_fire + (i * {step})::BIGINT, {COPIED_COLUMNS} \
                         FROM generate_series(1, {copies}) AS i, schedules WHERE schedules.id = 1; \
                         ANALYZE schedules"
                    ))
                    .await
                    .expect("the schedules are copied");
            }
        }
    }

    /// The plan of each query, one line per step, and whether any step scans the schedules table.
    async fn plans(&self, until: i64) -> Vec<(String, Vec<String>)> {
        let due_sqlite = format!("SELECT id FROM schedules {DUE_FILTER_SQLITE}");
        let due_postgres = format!("SELECT id FROM schedules {DUE_FILTER_POSTGRES}");
        match self {
            Database::Sqlite(path) => {
                let connection = rusqlite::Connection::open(path).expect("the file opens");
                [NEXT_DUE_SQL, due_sqlite.as_str()]
                    .into_iter()
                    .map(|query| {
                        let mut statement = connection
                            .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
                            .expect("the plan is asked for");
                        let parameters: &[&dyn rusqlite::ToSql] =
                            if query.contains("?1") { &[&until] } else { &[] };
                        let lines = statement
                            .query_map(parameters, |row| row.get::<_, String>(3))
                            .expect("the plan is read")
                            .map(|line| line.expect("a plan line"))
                            .collect();
                        (query.to_owned(), lines)
                    })
                    .collect()
            }
            Database::Postgres(config) => {
                let client = connect(config).await;
                let mut plans = Vec::new();
                for query in [NEXT_DUE_SQL, due_postgres.as_str()] {
                    let explain = format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {query}");
                    let rows = if query.contains("$1") {
                        client.query(&explain, &[&until]).await
                    } else {
                        client.query(&explain, &[]).await
                    }
                    .expect("the plan is asked for");
                    let lines = rows.iter().map(|row| row.get::<_, String>(0)).collect();
                    plans.push((query.to_owned(), lines));
                }
                plans
            }
        }
    }
}

async fn connect(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("the PostgreSQL server accepts a connection");
    tokio::spawn(connection);
    client
}

/// Weekdays at 09:00 UTC in one channel: the row every seeded schedule is a copy of.
fn template() -> NewSchedule {
    NewSchedule {
        guild: GuildId(1000),
        channel: ChannelId(100000),
        schedule: Schedule::new(
            Zone::parse("UTC").expect("UTC is a zone"),
            Cadence::Daily(DailyTimes::parse("09:00", "mon-fri").expect("valid times")),
        ),
        role: None,
        filters: Filters::default(),
        created_by: UserId(7),
        kind: PostKind::Stretch,
    }
}

/// P9a: `fires` due schedules claimed by `claimers` stores racing.
async fn claims_per_second(backend: &Backend, fires: usize, claimers: usize) {
    let database = backend.fresh(&format!("claims_{claimers}")).await;
    let first = database.open().await;
    // All due within one second, as a fan-out's are.
    database.seed(&first, fires, 1).await;
    let mut stores = vec![first];
    for _ in 1..claimers {
        stores.push(database.open().await);
    }
    let until = morning() + TimeDelta::seconds(1);
    let start = Arc::new(tokio::sync::Barrier::new(claimers));
    let began = Instant::now();
    let tasks: Vec<_> = stores
        .iter()
        .cloned()
        .map(|store| {
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let mut tally = Tally::default();
                let due = store.due_schedules(until).await.expect("the due schedules");
                for schedule in due {
                    let fire = Fire {
                        schedule: schedule.id,
                        at: schedule.next_fire.expect("a due schedule has a fire"),
                    };
                    let stretch = StretchId::parse("cat-cow").expect("a valid id");
                    let rotation = RotationState {
                        seed: 1,
                        cycle: 0,
                        used: vec![stretch.clone()],
                        last: Some(stretch.clone()),
                    };
                    let claim = Claim {
                        fire,
                        stretch: Some(stretch),
                    };
                    match store
                        .claim(claim, rotation, Some(fire.at + TimeDelta::days(1)))
                        .await
                        .expect("the claim is answered")
                    {
                        ClaimOutcome::Claimed => tally.claimed += 1,
                        ClaimOutcome::AlreadyClaimed(_) => tally.already += 1,
                        ClaimOutcome::Stale => tally.stale += 1,
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.expect("a claimer finished");
        total.claimed += tally.claimed;
        total.already += tally.already;
        total.stale += tally.stale;
    }
    let elapsed = began.elapsed();
    let recorded = stores[0]
        .unconfirmed()
        .await
        .expect("the claims read back")
        .len();
    println!(
        "p9 claims ({}, {claimers} claimer{}): {} of {fires} fires claimed in {:.2} s = {:.0} claims/s; \
         {} answered already claimed, {} stale ({:.0} claim calls/s); {recorded} claims recorded",
        backend.name(),
        if claimers == 1 { "" } else { "s" },
        total.claimed,
        elapsed.as_secs_f64(),
        total.claimed as f64 / elapsed.as_secs_f64(),
        total.already,
        total.stale,
        (total.claimed + total.already + total.stale) as f64 / elapsed.as_secs_f64(),
    );
    if total.claimed != fires || recorded != fires {
        failed(&format!(
            "p9 claims ({}, {claimers}): {} claimed and {recorded} recorded of {fires}",
            backend.name(),
            total.claimed
        ));
    }
}

#[derive(Default)]
struct Tally {
    claimed: usize,
    already: usize,
    stale: usize,
}

/// P9b: the poster's next-due queries at `count` schedules spread over a week.
async fn next_due(backend: &Backend, count: usize) {
    let database = backend.fresh("next_due").await;
    let store = database.open().await;
    let seeding = Instant::now();
    let week = 7 * 24 * 3600;
    database.seed(&store, count, week).await;
    println!(
        "p9 next due ({}): {count} schedules due over a week, seeded in {:.1} s",
        backend.name(),
        seeding.elapsed().as_secs_f64()
    );

    let calls = 1_000;
    let mut next_due_us = Vec::with_capacity(calls);
    for _ in 0..calls {
        let began = Instant::now();
        let next = store.next_due().await.expect("next_due answers");
        next_due_us.push(began.elapsed());
        if next != Some(morning()) {
            failed(&format!("p9 next due ({}): got {next:?}", backend.name()));
        }
    }
    // A minute's worth of the week's fires: what one poster wake-up reads in a busy minute.
    let until = morning() + TimeDelta::seconds(60);
    let mut due_us = Vec::with_capacity(calls / 10);
    let mut due_rows = 0;
    for _ in 0..calls / 10 {
        let began = Instant::now();
        due_rows = store
            .due_schedules(until)
            .await
            .expect("due_schedules answers")
            .len();
        due_us.push(began.elapsed());
    }
    println!(
        "p9 next due ({}): next_due {}; due_schedules (a minute: {due_rows} rows) {}",
        backend.name(),
        spread(&mut next_due_us),
        spread(&mut due_us)
    );
    for (query, lines) in database.plans(until.timestamp()).await {
        println!("p9 plan ({}): {query}", backend.name());
        for line in &lines {
            println!("    {line}");
        }
        let scans = lines
            .iter()
            .any(|line| line.contains("SCAN schedules") || line.contains("Seq Scan on schedules"));
        let indexed = lines.iter().any(|line| line.contains("schedules_due"));
        if scans || !indexed {
            failed(&format!(
                "p9 plan ({}): the query does not use the schedules_due index",
                backend.name()
            ));
        }
    }
}

fn spread(values: &mut [Duration]) -> String {
    values.sort();
    let at = |q: f64| {
        let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[rank - 1].as_secs_f64() * 1e6
    };
    format!(
        "p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs (n = {})",
        at(0.5),
        at(0.99),
        at(1.0),
        values.len()
    )
}

/// Fails the run when an adapter no longer spells a query the way this bench explains it.
fn check_queries_match_the_adapters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, queries) in [
        (
            "src/store/sqlite/schedules.rs",
            [NEXT_DUE_SQL, DUE_FILTER_SQLITE],
        ),
        (
            "src/store/postgres/schedules.rs",
            [NEXT_DUE_SQL, DUE_FILTER_POSTGRES],
        ),
    ] {
        let source = std::fs::read_to_string(root.join(file)).expect("the adapter's source");
        // The adapters continue long string literals with `\` at a line's end.
        let mut joined = String::with_capacity(source.len());
        let mut lines = source.lines().peekable();
        while let Some(line) = lines.next() {
            match line.strip_suffix('\\') {
                Some(continued) => {
                    joined.push_str(continued);
                    if let Some(next) = lines.peek_mut() {
                        *next = next.trim_start();
                    }
                }
                None => {
                    joined.push_str(line);
                    joined.push('\n');
                }
            }
        }
        for query in queries {
            if !joined.contains(query) {
                failed(&format!(
                    "{file} no longer has the query this bench explains: {query}"
                ));
            }
        }
    }
}
