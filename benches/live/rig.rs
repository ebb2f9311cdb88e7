//! What every live run shares: a fake Discord holding the guilds, a database seeded through the store, the
//! real `stretchbot` binary as a child process on a clock of the run's choosing, and what the fake's
//! transcript says afterwards (posts per fire, 429s, interaction latencies).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use fake_discord::{
    ChannelId, Direction, Entry, Event, FakeDiscord, GuildId, Options, Permissions, UserId, opt,
    sub,
};
use stretchbot::domain::catalog::Filters;
use stretchbot::domain::posting::{self, Fire, NewSchedule, PostKind};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, DailyTimes, Schedule, Zone};
use stretchbot::domain::store::Store;
use stretchbot::store::{AnyStore, PostgresStore, SqliteStore};
use tokio::task::JoinSet;

/// Every run's fires fall on this morning (a Tuesday), on the bot's clock.
pub fn morning() -> DateTime<Utc> {
    "2027-06-01T09:00:00Z".parse().expect("a valid instant")
}

/// Set when a run finds something wrong that no timing explains; the binary then exits 1.
static BROKEN: AtomicBool = AtomicBool::new(false);

/// Reports a finding that makes the run fail (a doubled post, an invalid request), timing aside.
pub fn broken(what: &str) {
    println!("FAILED: {what}");
    BROKEN.store(true, Ordering::Relaxed);
}

pub fn anything_broken() -> bool {
    BROKEN.load(Ordering::Relaxed)
}

/// How long a run waits for something that should take seconds before it gives up and reports.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One seeded schedule: where it posts and the fire it is due for.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub fire: Fire,
}

pub struct Rig {
    /// Shared with the tasks that drive it (slash commands in flight).
    pub fake: Arc<FakeDiscord>,
    dir: tempfile::TempDir,
    store: AnyStore,
    /// The PostgreSQL database the bot runs on; `None`: the SQLite file in `dir`.
    postgres: Option<String>,
    pub targets: Vec<Target>,
    /// A member of every guild, to run slash commands.
    pub members: HashMap<GuildId, UserId>,
    /// The bot's clock: `.1` on the bot's clock was `.0` on the wall clock; later starts go on from it.
    timeline: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// `STRETCHBOT_SHARDS` for the bot (`first-last/total`); unset, the bot asks Discord (`auto`).
    pub shards: Option<String>,
}

impl Rig {
    /// A rig on a SQLite file of its own.
    pub async fn start(options: Options) -> Rig {
        Self::start_on(options, None).await
    }

    /// A rig on the (empty) PostgreSQL database at `url`, which every process started shares.
    pub async fn start_postgres(options: Options, url: &str) -> Rig {
        Self::start_on(options, Some(url.to_owned())).await
    }

    async fn start_on(options: Options, postgres: Option<String>) -> Rig {
        let fake = Arc::new(
            FakeDiscord::start(Options {
                // Discord's own interval, rather than the tests' quick one.
                heartbeat_interval: Duration::from_millis(41_250),
                ..options
            })
            .await
            .expect("the fake Discord starts"),
        );
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = match &postgres {
            Some(url) => PostgresStore::open(url)
                .await
                .expect("the PostgreSQL database opens")
                .into(),
            None => SqliteStore::open(&dir.path().join("stretchbot.sqlite3"))
                .expect("the store opens")
                .into(),
        };
        Rig {
            fake,
            dir,
            store,
            postgres,
            targets: Vec::new(),
            members: HashMap::new(),
            timeline: None,
            shards: None,
        }
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("stretchbot.sqlite3")
    }

    /// The store the bot runs on, as the bench sees it.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// The log of the process started with the current [`Rig::shards`].
    pub fn log_path(&self) -> PathBuf {
        let name = match &self.shards {
            Some(shards) => format!("bot-{}.log", shards.replace('/', "-of-")),
            None => "bot.log".to_owned(),
        };
        self.dir.path().join(name)
    }

    /// The last `lines` lines of the current process's log, for a report of what went wrong.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(lines).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// Adds `guilds` guilds with a member each and `per_guild` channels each, every channel with one
    /// schedule whose next fire is `due(n)` for the n-th schedule overall. The cadence (21:00 daily) has
    /// no fire near the morning, so each schedule posts its seeded fire once and then waits for the
    /// evening.
    pub async fn seed(
        &mut self,
        guilds: usize,
        per_guild: usize,
        due: impl Fn(usize) -> DateTime<Utc>,
    ) -> Duration {
        assert!(per_guild <= posting::MAX_SCHEDULES_PER_GUILD);
        let started = Instant::now();
        let cadence = Schedule::new(
            Zone::parse("UTC").expect("UTC is a zone"),
            Cadence::Daily(DailyTimes::parse("21:00", "daily").expect("valid times")),
        );
        for g in 0..guilds {
            // Ids a millisecond apart, as servers made over years have: they spread evenly over shards.
            let guild = self.fake.add_existing_guild(&format!("team {g}"));
            let member = self.fake.add_member(guild, "alice", Permissions::empty());
            self.members.insert(guild, member);
            for c in 0..per_guild {
                let channel = self.fake.add_text_channel(guild, &format!("wellness-{c}"));
                let n = self.targets.len();
                let at = due(n);
                let stored = self
                    .store
                    .add_schedule(
                        NewSchedule {
                            guild: posting::GuildId(guild.get()),
                            channel: posting::ChannelId(channel.get()),
                            schedule: cadence.clone(),
                            role: None,
                            filters: Filters::default(),
                            created_by: posting::UserId(member.get()),
                            kind: PostKind::Stretch,
                        },
                        RotationState::new(n as u64),
                        Some(at),
                    )
                    .await
                    .expect("the schedule is stored");
                self.targets.push(Target {
                    guild,
                    channel,
                    fire: Fire {
                        schedule: stored.id,
                        at,
                    },
                });
            }
        }
        started.elapsed()
    }

    /// The bot's clock now: `first` for the first start, and for every later start where the first
    /// one's clock would be.
    pub fn bot_now(&self) -> Option<DateTime<Utc>> {
        self.timeline.map(|(wall, bot)| bot + (Utc::now() - wall))
    }

    /// Where the bot's clock was at a wall-clock instant, e.g. a transcript entry's.
    pub fn on_bot_clock(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let (wall0, bot0) = self.timeline.expect("the bot was started");
        bot0 + (wall - wall0)
    }

    /// Starts the real binary, its clock at `first` on the first start and running on from there after.
    pub fn spawn(&mut self, first: DateTime<Utc>) -> Bot {
        let config = self.dir.path().join("bot.toml");
        let storage = match &self.postgres {
            Some(url) => format!("url = \"{url}\""),
            None => format!("sqlite_path = \"{}\"", self.database().display()),
        };
        std::fs::write(
            &config,
            format!("[storage]\n{storage}\n\n[log]\nlevel = \"warn\"\n"),
        )
        .expect("the config is written");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("the bot's log opens");
        let wall = Utc::now();
        let clock = self.bot_now().unwrap_or(first);
        self.timeline.get_or_insert((wall, first));
        let mut command = Command::new(env!("CARGO_BIN_EXE_stretchbot"));
        if let Some(shards) = &self.shards {
            command.env("STRETCHBOT_SHARDS", shards);
        }
        let child = command
            .args(["run", "--config", config.to_str().expect("a UTF-8 path")])
            .env("DISCORD_TOKEN", self.fake.token())
            .env("STRETCHBOT_DISCORD_API_BASE", self.fake.api_base())
            .env("STRETCHBOT_CLOCK_START", clock.to_rfc3339())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the bot starts");
        Bot {
            child: Some(child),
            spawned: wall,
        }
    }

    /// Waits until a gateway session other than `before` is connected.
    pub async fn wait_connected(&self, before: Option<String>) {
        self.fake
            .wait_until(PATIENCE, "the bot to connect", |fake| {
                fake.session()
                    .filter(|s| s.connected && Some(&s.session_id) != before.as_ref())
                    .map(|_| ())
            })
            .await
            .unwrap_or_else(|timeout| {
                panic!("{timeout}; the bot's log ends:\n{}", self.log_tail(20))
            });
    }

    pub fn session_id(&self) -> Option<String> {
        self.fake.session().map(|s| s.session_id)
    }

    /// Waits until `count` messages are in channels, checking twice a second; false after `limit`.
    pub async fn wait_messages(&self, count: usize, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.fake.message_count() >= count {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        self.fake.message_count() >= count
    }

    /// What the transcript says about the posts of the seeded fires.
    pub fn posts(&self) -> Posts {
        let expected: HashMap<String, Fire> = self
            .targets
            .iter()
            .map(|t| (t.fire.nonce(), t.fire))
            .collect();
        let mut messages: HashMap<String, BTreeMap<String, DateTime<Utc>>> = HashMap::new();
        let mut unexpected = 0;
        let mut rate_limited = 0;
        let mut invalid = 0;
        let mut server_errors = 0;
        let mut requests = 0;
        for entry in self.fake.transcript() {
            let Event::Http(x) = &entry.event else {
                continue;
            };
            requests += 1;
            match x.status {
                429 => {
                    rate_limited += 1;
                    if x.response_headers
                        .get("x-ratelimit-scope")
                        .map(String::as_str)
                        != Some("shared")
                    {
                        invalid += 1;
                    }
                }
                401 | 403 => invalid += 1,
                500.. => server_errors += 1,
                _ => {}
            }
            let is_post = x.method == "POST"
                && x.path.starts_with("/api/v10/channels/")
                && x.path.ends_with("/messages");
            if !is_post || x.status != 200 {
                continue;
            }
            let Some(body) = &x.response_body else {
                continue;
            };
            let nonce = body["nonce"].as_str().unwrap_or_default().to_owned();
            if !expected.contains_key(&nonce) {
                unexpected += 1;
                continue;
            }
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            let at = wall_time(&entry);
            // The first answer with a message is when it landed; a nonce repeat answers it again.
            messages.entry(nonce).or_default().entry(id).or_insert(at);
        }
        let mut landed = Vec::new();
        let mut lost = 0;
        let mut doubled = 0;
        for (nonce, fire) in &expected {
            match messages.get(nonce) {
                None => lost += 1,
                Some(ids) => {
                    doubled += ids.len() - 1;
                    let first = ids.values().min().copied().expect("at least one message");
                    landed.push((fire.at, first));
                }
            }
        }
        landed.sort();
        Posts {
            landed,
            lost,
            doubled,
            unexpected,
            requests,
            rate_limited,
            invalid,
            server_errors,
        }
    }

    /// Each interaction's latency, from the fake writing INTERACTION_CREATE to the bot's first callback
    /// arriving, in milliseconds; `None` for one never answered with a 2xx callback.
    pub fn interaction_latencies(&self) -> Vec<Option<f64>> {
        let mut sent: BTreeMap<String, f64> = BTreeMap::new();
        let mut answered: HashMap<String, f64> = HashMap::new();
        for entry in self.fake.transcript() {
            match &entry.event {
                Event::Gateway(frame)
                    if frame.direction == Direction::Sent
                        && frame.payload["t"] == "INTERACTION_CREATE" =>
                {
                    if let Some(id) = frame.payload["d"]["id"].as_str() {
                        // A replay after RESUME is the same interaction: its first sending counts.
                        sent.entry(id.to_owned()).or_insert(entry.elapsed_ms);
                    }
                }
                Event::Http(x)
                    if x.method == "POST" && x.path.starts_with("/api/v10/interactions/") =>
                {
                    let id = x.path.split('/').nth(4).unwrap_or_default().to_owned();
                    if (200..300).contains(&x.status) {
                        answered
                            .entry(id)
                            .or_insert(entry.elapsed_ms - x.duration_ms);
                    }
                }
                _ => {}
            }
        }
        sent.iter()
            .map(|(id, at)| answered.get(id).map(|callback| callback - at))
            .collect()
    }
}

impl Rig {
    /// One line per request answered 429 (the first `limit`): when it reached the fake, its route and
    /// scope, and how many requests that count against the global limit reached the fake in the second
    /// before it and in the second after it (the fake, like Discord, counts 50 per second per token).
    pub fn rate_limited_report(&self, limit: usize) -> Vec<String> {
        // (arrived, counts against the global limit, the exchange if it was a 429)
        let mut arrivals: Vec<(f64, bool, Option<String>)> = Vec::new();
        for entry in self.fake.transcript() {
            let Event::Http(x) = &entry.event else {
                continue;
            };
            let arrived = entry.elapsed_ms - x.duration_ms;
            let global = !x.path.contains("/interactions/") && !x.path.contains("/webhooks/");
            let limited = (x.status == 429).then(|| {
                let header = |name: &str| {
                    x.response_headers
                        .get(name)
                        .map_or("-", String::as_str)
                        .to_owned()
                };
                format!(
                    "{} {} scope {} global {} retry-after {}",
                    x.method,
                    x.path,
                    header("x-ratelimit-scope"),
                    header("x-ratelimit-global"),
                    header("retry-after")
                )
            });
            arrivals.push((arrived, global, limited));
        }
        arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
        let global: Vec<f64> = arrivals
            .iter()
            .filter(|(_, global, _)| *global)
            .map(|(at, _, _)| *at)
            .collect();
        let within =
            |from: f64, to: f64| global.iter().filter(|at| (from..to).contains(*at)).count();
        arrivals
            .iter()
            .filter_map(|(at, _, limited)| Some((*at, limited.as_ref()?)))
            .take(limit)
            .map(|(at, what)| {
                format!(
                    "at {:.3} s: {what}; global-limit requests in the second before {}, in the 100 ms before {}, in the second after {}",
                    at / 1000.0,
                    within(at - 1000.0, at),
                    within(at - 100.0, at),
                    within(at, at + 1000.0)
                )
            })
            .collect()
    }
}

impl Rig {
    /// How the fake answered the bot's interaction callbacks, by status: a 429 or 5xx means a retry.
    pub fn callback_statuses(&self) -> BTreeMap<u16, usize> {
        let mut statuses = BTreeMap::new();
        for x in self.fake.requests() {
            if x.method == "POST" && x.path.ends_with("/callback") {
                *statuses.entry(x.status).or_default() += 1;
            }
        }
        statuses
    }
}

fn wall_time(entry: &Entry) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&entry.at)
        .map(|at| at.with_timezone(&Utc))
        .expect("the fake writes RFC 3339")
}

/// What happened to the seeded fires.
pub struct Posts {
    /// (due, landed on the wall clock) of each fire posted, by due time.
    pub landed: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub lost: usize,
    /// Messages beyond the first for a fire.
    pub doubled: usize,
    /// Messages with a nonce of no seeded fire.
    pub unexpected: usize,
    pub requests: usize,
    pub rate_limited: usize,
    /// 401, 403 and non-shared 429 answers: what Discord counts towards its ban on invalid requests.
    pub invalid: usize,
    pub server_errors: usize,
}

/// A running `stretchbot` process, killed if dropped while running.
pub struct Bot {
    child: Option<Child>,
    pub spawned: DateTime<Utc>,
}

impl Bot {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no cleanup at all.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("the bot can be killed");
        child.wait().expect("the bot is reaped");
    }

    /// SIGTERM, and whether it then exited cleanly.
    pub fn stop(mut self) -> bool {
        let child = self.child.take().expect("running");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        sent && child.wait_with_output().is_ok_and(|o| o.status.success())
    }

    /// A line of `/proc/PID/status` in KiB, such as `VmRSS` (now) or `VmHWM` (peak so far).
    pub fn memory_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sleeps until `at` on the bot's clock (at once if it has passed).
pub async fn sleep_until_bot(rig: &Rig, at: DateTime<Utc>) {
    let now = rig.bot_now().expect("the bot was started");
    if let Ok(wait) = (at - now).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// The `q`-quantile of sorted `values` (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// p50/p99/max of `values`, as a line.
pub fn spread(values: &mut [f64], unit: &str) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} {unit}, p99 {:.1} {unit}, max {:.1} {unit} (n = {})",
        quantile(values, 0.5),
        quantile(values, 0.99),
        values.last().copied().unwrap_or(f64::NAN),
        values.len()
    )
}

/// Seconds of a time delta, as a float.
pub fn secs(delta: TimeDelta) -> f64 {
    delta
        .num_microseconds()
        .map_or(f64::NAN, |us| us as f64 / 1e6)
}

/// Sends the `n`-th command of the runs' lookup mix (`/stretch show name:cat-cow` and `/stretch random`
/// in turn) as the member at `place`, on a task of its own that says whether the fake delivered it.
pub fn send_lookup(
    sent: &mut JoinSet<bool>,
    fake: &Arc<FakeDiscord>,
    (guild, channel, member): (GuildId, ChannelId, UserId),
    n: usize,
) {
    let fake = Arc::clone(fake);
    sent.spawn(async move {
        let command = if n % 2 == 0 {
            sub("show", [opt("name", "cat-cow")])
        } else {
            sub("random", [])
        };
        fake.invoke_command(guild, channel, member, "stretch", [command])
            .await
            .is_ok()
    });
}

/// Waits for every command in flight; how many the fake refused to deliver.
pub async fn refused(mut sent: JoinSet<bool>) -> usize {
    let mut refused = 0;
    while let Some(delivered) = sent.join_next().await {
        if !delivered.unwrap_or(false) {
            refused += 1;
        }
    }
    refused
}
