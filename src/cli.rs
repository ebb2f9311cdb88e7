//! The command line: `check`, `catalog`, `schedule preview`, `render`, `backup`, `run`, `migrate` and
//! `store copy`.
//!
//! This is the contract scripts and CI rely on: output formats and exit codes here are kept stable.
//! Exit codes: 0 success, 1 a problem in the input (content, config, schedule), 2 a usage error (clap).
//! A reader that stops early (`stretchbot catalog --json | head`) ends a printing command quietly with 0.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use serenity::all::GuildId;

use crate::config::Config;
use crate::discord;
use crate::domain::catalog::{
    Amount, Catalog, ContentFile, Entry, Source, Vocabulary, read_server_stretches,
};
use crate::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Zone};

/// The most fires `schedule preview` prints: enough for a year of weekdays.
const MAX_PREVIEW_COUNT: usize = 1000;

#[derive(Debug, Parser)]
#[command(
    name = "stretchbot",
    version,
    about = "A Discord bot that posts a stretch of the day and guides your team through it"
)]
pub struct Cli {
    /// Folder of the stretch catalog (default: `content_dir` from --config, else ./content).
    #[arg(long, global = true, value_name = "DIR")]
    content: Option<PathBuf>,
    /// Configuration file (see config.example.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the catalog (and the config file when --config is given); list every problem.
    Check {
        /// Also validate a server's stretches file, as `/catalog export` writes and `/catalog import`
        /// reads it.
        #[arg(long, value_name = "FILE")]
        stretches: Option<PathBuf>,
    },
    /// List the catalog as a table, or as JSON with --json.
    Catalog {
        #[arg(long)]
        json: bool,
    },
    /// Work with posting schedules.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Run the Discord bot.
    Run,
    /// Copy the database (`storage.sqlite_path`) to a new file, also while the bot runs.
    Backup {
        /// The copy to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Bring the database (`storage` in --config) up to this build's schema, without starting the bot.
    Migrate,
    /// Work with the database itself.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Draw the catalog's pictures: a PNG per pose and a GIF per movement, or one contact sheet.
    Render(RenderArgs),
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Copy a SQLite database into an empty PostgreSQL one (moving to several processes).
    Copy {
        /// The SQLite database: sqlite:PATH.
        #[arg(long, value_name = "sqlite:PATH")]
        from: String,
        /// The PostgreSQL database: postgres://user:password@host/database. It must be empty.
        #[arg(long, value_name = "postgres://…")]
        to: String,
    },
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// Entries to draw, by id (default: every entry).
    #[arg(value_name = "ID")]
    ids: Vec<String>,
    /// Folder to write the pictures into (created when missing).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "pictures",
        conflicts_with = "sheet"
    )]
    out: PathBuf,
    /// Write one contact sheet of every pose of the catalog, labelled, to this PNG instead.
    #[arg(long, value_name = "FILE.png")]
    sheet: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Print the next fire instants of a schedule, one per line, as RFC 3339 UTC.
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("cadence").required(true).args(["at", "cron"]))]
struct PreviewArgs {
    /// IANA time zone the times are read in, e.g. Europe/Berlin.
    #[arg(long, value_name = "ZONE")]
    tz: String,
    /// Times of day, comma-separated: 09:00,15:00 or 9am,3pm.
    #[arg(long, value_name = "HH:MM[,HH:MM...]")]
    at: Option<String>,
    /// Days for --at: mon-fri, mon,wed,fri, weekends, daily (default: daily).
    #[arg(long, value_name = "DAYS", conflicts_with = "cron")]
    days: Option<String>,
    /// A 5-field cron expression: "minute hour day-of-month month day-of-week".
    #[arg(long, value_name = "EXPR")]
    cron: Option<String>,
    /// Start after this instant (RFC 3339, e.g. 2027-03-13T00:00:00Z); default: now.
    #[arg(long, value_name = "RFC3339")]
    after: Option<String>,
    /// How many fires to print.
    #[arg(long, default_value_t = 5, value_name = "N")]
    count: usize,
    /// Also print each fire's local wall time and offset.
    #[arg(long)]
    local: bool,
}

/// A problem with what the user gave us: printed as is, exit 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(String);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Not for `run`: its closed pipes are dropped as they happen, and a broken pipe in its errors is a
    // socket's, a failure its supervisor must see.
    let prints = !matches!(cli.command, Command::Run);
    let result = run_command(cli);
    match &result {
        Err(error) if prints && is_closed_pipe(error) => Ok(ExitCode::SUCCESS),
        _ => result,
    }
}

/// Whether `error` comes from writing to a reader that has gone away (EPIPE), which ends the output
/// early, as `ls | head` does, rather than failing.
fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}

fn run_command(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load_with_environment(cli.config.as_deref()).map_err(|errors| {
        let count = errors.0.len();
        InputError(format!(
            "{errors}\n{count} problem{} in the configuration; fix {} and run `stretchbot check{}` again",
            if count == 1 { "" } else { "s" },
            if count == 1 { "it" } else { "them" },
            cli.config
                .as_deref()
                .map(|path| format!(" --config {}", path.display()))
                .unwrap_or_default()
        ))
    })?;
    let content_dir = cli
        .content
        .clone()
        .unwrap_or_else(|| config.content_dir.clone());
    // Only the printing commands lock stdout: the bot prints from its runtime's threads while `run` waits.
    match cli.command {
        Command::Check { stretches } => check(
            &mut io::stdout().lock(),
            &content_dir,
            cli.config.as_deref().map(|path| (path, &config)),
            stretches.as_deref(),
        ),
        Command::Catalog { json } => catalog(&mut io::stdout().lock(), &content_dir, json),
        Command::Schedule(ScheduleCommand::Preview(args)) => {
            preview(&mut io::stdout().lock(), &args)
        }
        Command::Run => run_bot(config, &content_dir),
        Command::Backup { to } => {
            backup(&mut io::stdout().lock(), &config.storage.sqlite_path, &to)
        }
        Command::Migrate => migrate(&config),
        Command::Store(StoreCommand::Copy { from, to }) => {
            copy_store(&mut io::stdout().lock(), &from, &to)
        }
        Command::Render(args) => render(&mut io::stdout().lock(), &content_dir, &args),
    }
}

/// `stretchbot store copy`: prints how many rows of each kind it copied.
fn copy_store(out: &mut impl Write, from: &str, to: &str) -> anyhow::Result<ExitCode> {
    let Some(path) = from.strip_prefix("sqlite:").filter(|path| !path.is_empty()) else {
        return Err(InputError(format!(
            "--from {from}: give the SQLite database as sqlite:PATH, e.g. sqlite:stretchbot.sqlite3"
        ))
        .into());
    };
    if !crate::config::is_postgres_url(to) {
        return Err(InputError(format!(
            "--to: give the PostgreSQL database as postgres://user:password@host/database, not {to}"
        ))
        .into());
    }
    let path = Path::new(path);
    if !path.is_file() {
        return Err(InputError(format!("--from: no SQLite database at {}", path.display())).into());
    }
    let source = crate::store::SqliteStore::open(path)
        .map_err(|err| InputError(format!("--from {}: {err}", path.display())))?;
    let copied = tokio::runtime::Runtime::new()
        .context("could not start the async runtime")?
        .block_on(async {
            let target = crate::store::PostgresStore::open(to).await?;
            crate::store::copy::copy(&source, &target).await
        })
        .map_err(|err| InputError(format!("store copy: {err}")))?;
    for (what, count) in copied {
        writeln!(out, "{count} {what}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a PostgreSQL url comes from, for messages.
const URL_SETTING: &str =
    "`[storage] url` in the config (or STRETCHBOT_STORAGE_URL, STRETCHBOT_DATABASE_URL)";

/// Opens (and so migrates) the store the configuration names: PostgreSQL when `storage.url` is set
/// (from the file or the environment), else the SQLite file at `storage.sqlite_path`. Returns it with
/// a description for messages.
async fn open_store(
    storage: &crate::config::StorageConfig,
) -> anyhow::Result<(crate::store::AnyStore, String)> {
    if let Some(url) = &storage.url {
        let store = crate::store::PostgresStore::open(url)
            .await
            .map_err(|err| InputError(format!("{err}. Check {URL_SETTING}.")))?;
        return Ok((store.into(), "the PostgreSQL database".to_owned()));
    }
    let path = &storage.sqlite_path;
    let store = crate::store::SqliteStore::open(path).map_err(|err| {
        InputError(format!(
            "{}: {err}. Check `storage.sqlite_path` in the config.",
            path.display()
        ))
    })?;
    Ok((store.into(), path.display().to_string()))
}

/// `stretchbot migrate`: opening a store applies its migrations (under a lock on PostgreSQL).
fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let (_, name) = tokio::runtime::Runtime::new()
        .context("could not start the async runtime")?
        .block_on(open_store(&config.storage))?;
    println!("{name} is at this build's schema");
    Ok(ExitCode::SUCCESS)
}

/// Writes the pictures (or the contact sheet) and prints each file written, one per line.
fn render(out: &mut impl Write, content_dir: &Path, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let catalog = load_catalog(content_dir)?;
    if let Some(sheet) = &args.sheet {
        if !args.ids.is_empty() {
            return Err(InputError(
                "--sheet draws every entry; leave out the ids, or drop --sheet to draw only those"
                    .into(),
            )
            .into());
        }
        let bytes = crate::render::contact_sheet(&catalog)?;
        std::fs::write(sheet, bytes)
            .with_context(|| format!("could not write the contact sheet to {}", sheet.display()))?;
        writeln!(out, "{}", sheet.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut entries = Vec::new();
    for id in &args.ids {
        let entry = catalog.get(id).ok_or_else(|| {
            InputError(format!(
                "no entry has the id `{id}`; run `stretchbot catalog` to list the ids"
            ))
        })?;
        entries.push(entry);
    }
    if args.ids.is_empty() {
        entries.extend(catalog.entries());
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("could not create the folder {}", args.out.display()))?;
    for entry in entries {
        for picture in crate::render::pictures(entry)? {
            let path = args.out.join(&picture.file_name);
            std::fs::write(&path, &picture.bytes)
                .with_context(|| format!("could not write {}", path.display()))?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Environment variable holding the bot token; never read from a file, never logged.
const TOKEN_VARIABLE: &str = "DISCORD_TOKEN";
/// For tests and demos: an RFC 3339 instant the bot's wall clock starts at (it then runs at real speed),
/// so a schedule's post can be seconds away on any date.
const CLOCK_START_VARIABLE: &str = "STRETCHBOT_CLOCK_START";

/// Checks everything that can be checked offline, then runs the bot until Ctrl-C or SIGTERM.
fn run_bot(config: Config, content_dir: &Path) -> anyhow::Result<ExitCode> {
    let token = std::env::var(TOKEN_VARIABLE).unwrap_or_default();
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(InputError(format!(
            "{TOKEN_VARIABLE} is not set. Create a bot in the Discord developer portal \
             (https://discord.com/developers/applications), copy its token, and run \
             `export {TOKEN_VARIABLE}=<token>` before `stretchbot run`."
        ))
        .into());
    }
    let catalog = std::sync::Arc::new(load_catalog(content_dir)?);
    let settings = discord::Settings {
        token: token.to_owned(),
        connection: config
            .discord
            .api_base
            .clone()
            .map_or(discord::Connection::Discord, discord::Connection::Proxy),
        grace: chrono::TimeDelta::minutes(i64::from(config.poster.grace_minutes)),
        clock: clock()?,
        pacing: crate::domain::timer_plan::PlanSettings::default(),
        prepare_pictures: true,
        shards: config.discord.shards,
        metrics: config.metrics.listen,
        commands: if config.discord.command_guilds.is_empty() {
            discord::CommandScope::Global
        } else {
            discord::CommandScope::Guilds(
                config
                    .discord
                    .command_guilds
                    .iter()
                    .map(|id| GuildId::new(*id))
                    .collect(),
            )
        },
    };
    crate::logging::LogSettings::from_env(&config.log)
        .map_err(InputError)?
        .install();
    tokio::runtime::Runtime::new()
        .context("could not start the async runtime")?
        .block_on(async {
            let shutdown = shutdown_signal()?;
            let (store, _) = open_store(&config.storage).await?;
            discord::run(settings, catalog, store, shutdown).await
        })?;
    Ok(ExitCode::SUCCESS)
}

fn clock() -> Result<crate::clock::TokioClock, InputError> {
    match std::env::var(CLOCK_START_VARIABLE) {
        Ok(start) if !start.trim().is_empty() => DateTime::parse_from_rfc3339(start.trim())
            .map(|start| crate::clock::TokioClock::starting_at(start.with_timezone(&Utc)))
            .map_err(|err| {
                InputError(format!(
                    "{CLOCK_START_VARIABLE} `{start}` is not an RFC 3339 instant ({err}); write it like 2027-03-14T06:59:00Z, or unset it"
                ))
            }),
        _ => Ok(crate::clock::TokioClock::system()),
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed now, not when the future is first polled
/// (once the bot is connected), so that a signal during start-up is kept and ends the bot cleanly as soon
/// as it is up, instead of killing it.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("could not listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("could not listen for Ctrl-C")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}

fn load_catalog(dir: &Path) -> Result<Catalog, InputError> {
    Catalog::load_dir(dir).map_err(|errors| {
        InputError(format!(
            "{errors}\n{} problem{} in {}; fix them and run `stretchbot check` again",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            dir.display()
        ))
    })
}

/// `config` is the file given with --config and what it holds.
fn check(
    out: &mut impl Write,
    content_dir: &Path,
    config: Option<(&Path, &Config)>,
    stretches: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let catalog = load_catalog(content_dir)?;
    writeln!(
        out,
        "{}: {} entries, all valid",
        content_dir.display(),
        catalog.len()
    )?;
    if let Some(path) = stretches {
        let text = std::fs::read_to_string(path).map_err(|error| {
            InputError(format!(
                "{}: cannot read it ({error}); check the path and that it is a UTF-8 text file",
                path.display()
            ))
        })?;
        let file = ContentFile {
            path: path.to_path_buf(),
            text,
        };
        let own = read_server_stretches(&file, &catalog, &[]).map_err(|errors| {
            InputError(format!(
                "{errors}\n{} problem{} in {}; fix them and run `stretchbot check --stretches` again",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                path.display()
            ))
        })?;
        writeln!(
            out,
            "{}: {} stretches of a server, all valid",
            path.display(),
            own.len()
        )?;
    }
    if let Some((path, config)) = config {
        // Already loaded (and so validated, with the environment over it) by `run_command`.
        writeln!(out, "{}: valid", path.display())?;
        match &config.storage.url {
            Some(url) => check_postgres(out, url)?,
            None => check_sqlite(out, &config.storage.sqlite_path)?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks that the SQLite database opens and is at a schema this build can run, without creating or
/// migrating it.
fn check_sqlite(out: &mut impl Write, database: &Path) -> anyhow::Result<()> {
    let shown = database.display().to_string();
    let schema = crate::store::SqliteStore::schema_of(database).map_err(|error| {
        InputError(format!(
            "{error}. Check `storage.sqlite_path` in the config, and that this file is a stretchbot database."
        ))
    })?;
    match schema {
        None => writeln!(
            out,
            "{shown}: no database yet; `stretchbot run` will create it"
        )?,
        Some(schema) => report_schema(out, &shown, schema, "`storage.sqlite_path`")?,
    }
    Ok(())
}

/// Checks that the PostgreSQL database answers and is at a schema this build can run, without
/// migrating it. Its url is shown without the password.
fn check_postgres(out: &mut impl Write, url: &str) -> anyhow::Result<()> {
    let shown = crate::config::without_password(url);
    let schema = tokio::runtime::Runtime::new()
        .context("could not start the async runtime")?
        .block_on(crate::store::PostgresStore::schema_of(url))
        .map_err(|error| {
            InputError(format!(
                "{shown}: cannot read the database: {error}. Check that the server runs, and check {URL_SETTING}."
            ))
        })?;
    if schema.found == 0 {
        writeln!(
            out,
            "{shown}: no stretchbot schema yet; `stretchbot run` (or `stretchbot migrate`) will create it"
        )?;
        return Ok(());
    }
    report_schema(out, &shown, schema, URL_SETTING)
}

/// `shown` is the database as messages name it, `setting` the config key that points at it.
fn report_schema(
    out: &mut impl Write,
    shown: &str,
    schema: crate::store::SchemaVersion,
    setting: &str,
) -> anyhow::Result<()> {
    if schema.found > schema.known {
        return Err(InputError(format!(
            "{shown}: at schema {}, written by a newer stretchbot (this one knows up to {}); \
             upgrade the bot, or point {setting} elsewhere",
            schema.found, schema.known
        ))
        .into());
    }
    if schema.found < schema.known {
        writeln!(
            out,
            "{shown}: schema {}; `stretchbot run` will migrate it to schema {}",
            schema.found, schema.known
        )?;
    } else {
        writeln!(out, "{shown}: schema {}, current", schema.found)?;
    }
    Ok(())
}

fn backup(out: &mut impl Write, database: &Path, to: &Path) -> anyhow::Result<ExitCode> {
    if !database.exists() {
        return Err(InputError(format!(
            "{}: no database there to back up. Check `storage.sqlite_path` in the config given with --config.",
            database.display()
        ))
        .into());
    }
    crate::store::SqliteStore::backup(database, to)
        .map_err(|error| InputError(error.to_string()))?;
    writeln!(out, "{}: copied to {}", database.display(), to.display())?;
    Ok(ExitCode::SUCCESS)
}

/// One catalog entry as `catalog --json` prints it: the dose is flattened to top-level fields.
#[derive(Serialize)]
struct EntryJson<'a> {
    id: &'a str,
    name: &'a str,
    aliases: &'a [String],
    why: &'a str,
    areas: &'a [String],
    category: &'static str,
    position: &'static str,
    equipment: Vec<&'static str>,
    difficulty: &'static str,
    per_side: bool,
    hold_s: Option<Amount>,
    reps: Option<Amount>,
    sets: Option<Amount>,
    breaths: Option<Amount>,
    frequency: Option<&'a str>,
    steps: &'a [String],
    caution: Option<&'a str>,
    variants: &'a [crate::domain::catalog::Variant],
    sources: &'a [Source],
}

impl<'a> From<&'a Entry> for EntryJson<'a> {
    fn from(entry: &'a Entry) -> Self {
        Self {
            id: entry.id.as_str(),
            name: &entry.name,
            aliases: &entry.aliases,
            why: &entry.why,
            areas: &entry.areas,
            category: entry.category.as_str(),
            position: entry.position.as_str(),
            equipment: entry.equipment.iter().map(|e| e.as_str()).collect(),
            difficulty: entry.difficulty.as_str(),
            per_side: entry.per_side,
            hold_s: entry.dose.hold_s,
            reps: entry.dose.reps,
            sets: entry.dose.sets,
            breaths: entry.dose.breaths,
            frequency: entry.dose.frequency.as_deref(),
            steps: &entry.steps,
            caution: entry.caution.as_deref(),
            variants: &entry.variants,
            sources: &entry.sources,
        }
    }
}

fn catalog(out: &mut impl Write, content_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let catalog = load_catalog(content_dir)?;
    if json {
        let entries: Vec<EntryJson> = catalog.entries().iter().map(EntryJson::from).collect();
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = catalog
        .entries()
        .iter()
        .map(|entry| {
            [
                entry.id.to_string(),
                entry.name.clone(),
                format!(
                    "{}, {}, {}",
                    entry.category, entry.position, entry.difficulty
                ),
                entry
                    .equipment
                    .iter()
                    .map(|e| e.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                entry.dose.summary(entry.per_side),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "KIND", "EQUIPMENT", "DOSE"].map(String::from);
    let widths: Vec<usize> = (0..4)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(&row[4]);
        writeln!(out, "{line}")?;
    }
    writeln!(out, "\n{} entries", catalog.len())?;
    Ok(ExitCode::SUCCESS)
}

fn preview(out: &mut impl Write, args: &PreviewArgs) -> anyhow::Result<ExitCode> {
    let input = |err: &dyn std::fmt::Display| InputError(err.to_string());
    let zone = Zone::parse(&args.tz).map_err(|err| input(&err))?;
    let cadence = match (&args.at, &args.cron) {
        (Some(times), None) => Cadence::Daily(
            DailyTimes::parse(times, args.days.as_deref().unwrap_or("daily"))
                .map_err(|err| input(&err))?,
        ),
        (None, Some(expr)) => Cadence::Cron(CronExpr::parse(expr).map_err(|err| input(&err))?),
        // clap's argument group makes exactly one of them present.
        _ => unreachable!("clap requires exactly one of --at and --cron"),
    };
    if args.count == 0 || args.count > MAX_PREVIEW_COUNT {
        return Err(InputError(format!(
            "--count {} is out of range; give 1 to {MAX_PREVIEW_COUNT}",
            args.count
        ))
        .into());
    }
    let after = match &args.after {
        Some(raw) => DateTime::parse_from_rfc3339(raw.trim())
            .map_err(|err| {
                InputError(format!(
                    "--after `{raw}` is not an RFC 3339 instant ({err}); write it like 2027-03-14T07:00:00Z"
                ))
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };

    let schedule = Schedule::new(zone, cadence);
    let mut printed = 0;
    for fire in schedule.fires_after(after).take(args.count) {
        let utc = fire.format("%Y-%m-%dT%H:%M:%SZ");
        if args.local {
            let local = fire.with_timezone(&zone.tz());
            writeln!(out, "{utc}  {}", local.format("%a %Y-%m-%d %H:%M %Z (%:z)"))?;
        } else {
            writeln!(out, "{utc}")?;
        }
        printed += 1;
    }
    out.flush().context("writing the preview")?;
    if printed < args.count {
        crate::logging::print_error(format_args!(
            "only {printed} fire{} before 2100, the end of the supported calendar",
            if printed == 1 { "" } else { "s" }
        ));
    }
    Ok(ExitCode::SUCCESS)
}
