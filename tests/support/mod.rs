//! `spawn_app()`: each test gets its own fake Discord, its own bot (the real serenity + poise code, in
//! this process) and a guild with a channel and a member ready to type commands.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fake_discord::{ChannelId, FakeDiscord, GuildId, Options, Permissions, Scope, UserId};
use stretchbot::clock::TokioClock;
use stretchbot::discord::{self, CommandScope, Connection, Settings};
use stretchbot::domain::catalog::Catalog;
use stretchbot::domain::timer_plan::PlanSettings;
use stretchbot::store::SqliteStore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod pace;
pub mod posted;
pub mod postgres;

/// Generous for a loaded 2-core CI machine; a healthy run takes milliseconds.
pub const WAIT: Duration = Duration::from_secs(10);

/// How the bot reaches the fake's REST API.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `api_base` pointing at the fake over plain HTTP; serenity's rate limiter off.
    Proxy,
    /// HTTPS to `discord.com` resolved to the fake, trusted through its test CA; serenity's rate limiter on.
    Tls,
}

pub struct TestApp {
    pub fake: FakeDiscord,
    mode: Mode,
    pub guild: GuildId,
    pub channel: ChannelId,
    pub member: UserId,
    pub catalog: Arc<Catalog>,
    pacing: PlanSettings,
    metrics: Option<SocketAddr>,
    /// Where the bot registers its commands: the app's guild, or globally (`None`).
    commands_in: Option<GuildId>,
    /// Holds the bot's database until the test ends.
    _database: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    bot: JoinHandle<anyhow::Result<()>>,
}

pub fn catalog() -> Arc<Catalog> {
    Arc::new(
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
            .expect("the shipped catalog loads"),
    )
}

/// A routine of under a minute with every kind of timer label, for timer tests that run in real time.
pub fn quick_timer_catalog() -> Arc<Catalog> {
    Arc::new(
        Catalog::load_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quick-timer"),
        )
        .expect("the quick-timer fixture loads"),
    )
}

/// Timer pacing for the quick routine: two seconds to get ready, switch sides, release or rest.
pub fn quick_pacing() -> PlanSettings {
    PlanSettings {
        get_ready_s: 2,
        release_s: 2,
        rest_between_sets_s: 2,
        ..PlanSettings::default()
    }
}

/// What a test's bot is made of; [`Setup::new`] gives the shipped catalog on the system clock.
pub struct Setup {
    pub mode: Mode,
    pub clock: TokioClock,
    pub catalog: Arc<Catalog>,
    pub pacing: PlanSettings,
    /// Where the bot serves metrics and health checks; `None` serves nothing.
    pub metrics: Option<SocketAddr>,
    /// Register the commands globally, as in production, instead of in the test guild: what commands
    /// used in DMs need.
    pub global_commands: bool,
}

impl Setup {
    pub fn new(mode: Mode) -> Self {
        Setup {
            mode,
            clock: TokioClock::system(),
            catalog: catalog(),
            pacing: PlanSettings::default(),
            metrics: None,
            global_commands: false,
        }
    }
}

pub async fn spawn_app(mode: Mode) -> TestApp {
    spawn_app_with(Setup::new(mode)).await
}

/// A bot whose wall clock starts at `start` and runs at real speed: a schedule's fire can be a few
/// seconds away, on any date.
pub async fn spawn_app_at(mode: Mode, start: chrono::DateTime<chrono::Utc>) -> TestApp {
    spawn_app_with(Setup {
        clock: TokioClock::starting_at(start),
        ..Setup::new(mode)
    })
    .await
}

pub async fn spawn_app_with(setup: Setup) -> TestApp {
    let Setup {
        mode,
        clock,
        catalog,
        pacing,
        metrics,
        global_commands,
    } = setup;
    let fake = FakeDiscord::start(Options {
        tls: mode == Mode::Tls,
        // A bot that loses its session under a loaded machine's 1 s heartbeats identifies again at
        // once; Discord's 5 s pace would outlast the tests' waits (tests/sharding.rs keeps a pace).
        identify_interval: Duration::ZERO,
        ..Options::default()
    })
    .await
    .expect("the fake Discord starts");
    let guild = fake.add_guild("Team");
    let channel = fake.add_text_channel(guild, "wellness");
    let member = fake.add_member(guild, "alice", Permissions::empty());
    let database = tempfile::tempdir().expect("a temporary folder");
    let commands_in = (!global_commands).then_some(guild);
    let (stop, bot) = start_bot(
        &fake,
        mode,
        commands_in,
        clock,
        &catalog,
        (pacing, metrics),
        database.path(),
    );
    let app = TestApp {
        fake,
        mode,
        guild,
        channel,
        member,
        catalog,
        pacing,
        metrics,
        commands_in,
        _database: database,
        stop: Some(stop),
        bot,
    };
    app.wait_connected(None, 0).await;
    app
}

/// Starts the bot on `fake` with the database in `folder`; it runs until the sender is used or dropped.
fn start_bot(
    fake: &FakeDiscord,
    mode: Mode,
    commands_in: Option<GuildId>,
    clock: TokioClock,
    catalog: &Arc<Catalog>,
    (pacing, metrics): (PlanSettings, Option<SocketAddr>),
    folder: &Path,
) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    let settings = Settings {
        token: fake.token().to_owned(),
        connection: connection_to(fake, mode),
        commands: match commands_in {
            Some(guild) => CommandScope::Guilds(vec![serenity::all::GuildId::new(guild.get())]),
            None => CommandScope::Global,
        },
        grace: chrono::TimeDelta::minutes(30),
        clock,
        pacing,
        shards: discord::Shards::Auto,
        metrics,
        prepare_pictures: false,
    };
    launch(settings, catalog, folder)
}

/// Starts the bot on `fake` (proxy mode, commands registered globally) running `shards`, with the
/// database in `folder`; it runs until the sender is used or dropped.
pub fn start_sharded_bot(
    fake: &FakeDiscord,
    shards: discord::Shards,
    folder: &Path,
) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    let settings = Settings {
        token: fake.token().to_owned(),
        connection: connection_to(fake, Mode::Proxy),
        commands: CommandScope::Global,
        grace: chrono::TimeDelta::minutes(30),
        clock: TokioClock::system(),
        pacing: PlanSettings::default(),
        shards,
        metrics: None,
        prepare_pictures: false,
    };
    launch(settings, &catalog(), folder)
}

fn connection_to(fake: &FakeDiscord, mode: Mode) -> Connection {
    match mode {
        Mode::Proxy => Connection::Proxy(fake.api_base()),
        Mode::Tls => {
            let ca = reqwest::Certificate::from_pem(
                fake.ca_pem().expect("TLS mode has a CA").as_bytes(),
            )
            .expect("the fake's CA is valid PEM");
            Connection::Client(
                reqwest::Client::builder()
                    .use_rustls_tls()
                    .resolve(
                        "discord.com",
                        fake.tls_addr().expect("TLS mode has an address"),
                    )
                    .add_root_certificate(ca)
                    .build()
                    .expect("a reqwest client"),
            )
        }
    }
}

fn launch(
    settings: Settings,
    catalog: &Arc<Catalog>,
    folder: &Path,
) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let store = SqliteStore::open(&folder.join("stretchbot.sqlite3")).expect("the store opens");
    let bot = tokio::spawn(discord::run(
        settings,
        catalog.clone(),
        store.into(),
        async {
            let _ = stopped.await;
        },
    ));
    (stop, bot)
}

impl TestApp {
    /// The bot's SQLite file, to look at what it stored (SQLite allows a second reader).
    pub fn database(&self) -> std::path::PathBuf {
        self._database.path().join("stretchbot.sqlite3")
    }

    /// Asks the bot to shut down and waits for it, failing the test if it does not stop cleanly.
    pub async fn stop(mut self) -> FakeDiscord {
        self.stop_bot().await;
        self.fake
    }

    /// Stops the bot and starts it again on the same fake Discord and database, its wall clock starting
    /// at `start`: the next day of a streak, say.
    pub async fn restart_at(&mut self, start: chrono::DateTime<chrono::Utc>) {
        self.stop_bot().await;
        let session = self.fake.session().map(|session| session.session_id);
        let registrations = self.registrations();
        let (stop, bot) = start_bot(
            &self.fake,
            self.mode,
            self.commands_in,
            TokioClock::starting_at(start),
            &self.catalog,
            (self.pacing, self.metrics),
            self._database.path(),
        );
        self.stop = Some(stop);
        self.bot = bot;
        self.wait_connected(session, registrations).await;
    }

    /// How many times the bot has registered its slash commands, which it does once it is set up.
    fn registrations(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|exchange| exchange.method == "PUT" && exchange.path.ends_with("/commands"))
            .count()
    }

    async fn stop_bot(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(WAIT, &mut self.bot)
            .await
            .expect("the bot stops within the wait")
            .expect("the bot task does not panic")
            .expect("the bot stops without an error");
    }

    /// Waits for a gateway session other than `before` and for the bot to register its slash commands
    /// once more than `registrations` times.
    async fn wait_connected(&self, before: Option<String>, registrations: usize) {
        self.fake
            .wait_until(WAIT, "the bot to connect and get READY", |fake| {
                fake.session().filter(|session| {
                    session.connected && Some(&session.session_id) != before.as_ref()
                })
            })
            .await
            .expect("the bot connects and gets READY");
        self.fake
            .wait_until(WAIT, "the bot to register its commands", |fake| {
                let scope = self.commands_in.map_or(Scope::Global, Scope::Guild);
                (!fake.registered_commands(scope).is_empty()
                    && self.registrations() > registrations)
                    .then_some(())
            })
            .await
            .expect("the bot registers its slash commands");
    }
}

/// Adds a schedule as an admin of the app's guild would (`options` besides the app's channel), and waits
/// for the bot's answer.
pub async fn add_schedule(app: &TestApp, options: Vec<fake_discord::Opt>) {
    let admin = app
        .fake
        .add_member(app.guild, "boss", Permissions::MANAGE_GUILD);
    let mut all = vec![fake_discord::opt("channel", app.channel.get())];
    all.extend(options);
    app.fake
        .invoke_command(
            app.guild,
            app.channel,
            admin,
            "schedule",
            [fake_discord::sub("add", all)],
        )
        .await
        .unwrap()
        .wait_responses(2, WAIT)
        .await
        .expect("the schedule is added");
}

/// A `stretchbot` child process that is killed if the test ends without stopping it (a failed
/// assertion, say), so no bot outlives its test.
pub struct BotProcess(Option<std::process::Child>);

impl BotProcess {
    pub fn new(child: std::process::Child) -> Self {
        Self(Some(child))
    }

    pub fn id(&self) -> u32 {
        self.child().id()
    }

    /// Hands the process over to the caller, who now answers for stopping it.
    pub fn into_child(mut self) -> std::process::Child {
        self.0.take().expect("the process is still held")
    }

    fn child(&self) -> &std::process::Child {
        self.0.as_ref().expect("the process is still held")
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the messages the bot sent may ping, read from the fake's transcript: every reply, follow-up,
/// edit through an interaction's webhook and channel post or edit, accepted or not.
pub struct Pings {
    /// How many message bodies were read.
    pub messages: usize,
    /// Bodies that leave `allowed_mentions` to Discord's default (which pings every user mentioned),
    /// or that let a user, @everyone / @here or the replied-to member be pinged.
    pub problems: Vec<String>,
    /// `(request, roles)` for each body that may ping roles.
    pub roles: Vec<(String, Vec<String>)>,
}

pub fn pings(fake: &FakeDiscord) -> Pings {
    let mut pings = Pings {
        messages: 0,
        problems: Vec::new(),
        roles: Vec::new(),
    };
    for exchange in fake.requests() {
        let Some(body) = &exchange.body else { continue };
        let path = &exchange.path;
        let message = if path.ends_with("/callback") {
            // 4: a message; 7: the clicked message, updated. Deferrals (5, 6), autocomplete choices (8)
            // and modals (9) carry no message.
            match body["type"].as_u64() {
                Some(4 | 7) => &body["data"],
                _ => continue,
            }
        } else if path.contains("/webhooks/")
            || path.ends_with("/messages")
            || path.contains("/messages/")
        {
            if !matches!(exchange.method.as_str(), "POST" | "PATCH") {
                continue;
            }
            body
        } else {
            continue;
        };
        pings.messages += 1;
        let request = format!("{} {path}", exchange.method);
        let allowed = &message["allowed_mentions"];
        if !allowed.is_object() {
            pings.problems.push(format!(
                "{request}: no explicit allowed_mentions: {message}"
            ));
            continue;
        }
        let listed = |key: &str| allowed[key].as_array().is_some_and(|list| !list.is_empty());
        if listed("parse") || listed("users") || allowed["replied_user"] == true {
            pings
                .problems
                .push(format!("{request}: may ping members: {allowed}"));
        }
        if listed("roles") {
            let roles = allowed["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|role| role.as_str().unwrap_or_default().to_owned())
                .collect();
            pings.roles.push((request, roles));
        }
    }
    pings
}

/// Fails the test unless the bot sent messages and every one of them states `allowed_mentions` that
/// pings nobody.
#[track_caller]
pub fn assert_pings_nobody(fake: &FakeDiscord) {
    let pings = pings(fake);
    assert!(pings.messages > 0, "the bot sent no message");
    assert!(
        pings.problems.is_empty() && pings.roles.is_empty(),
        "{:#?}\n{:#?}",
        pings.problems,
        pings.roles
    );
}
