//! The bot's configuration file (`config.example.toml` documents every key with its default).
//!
//! Secrets never live here: the Discord token comes only from the `DISCORD_TOKEN` environment variable.

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::discord::Shards;

/// The longest grace window: a post later than a day is not "the stretch of the day" any more.
const MAX_GRACE_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Folder of the stretch catalog's `*.toml` files.
    pub content_dir: PathBuf,
    pub storage: StorageConfig,
    pub log: LogConfig,
    pub discord: DiscordConfig,
    pub poster: PosterConfig,
    pub metrics: MetricsConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The SQLite database file, created on first start; used when `url` is unset.
    pub sqlite_path: PathBuf,
    /// A PostgreSQL database (`postgres://user:password@host/database`) shared by several bot processes;
    /// when set (or `STRETCHBOT_DATABASE_URL` is), it is used instead of `sqlite_path`.
    pub url: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// The least severe level logged; `RUST_LOG` (an `EnvFilter` directive) overrides it.
    pub level: LogLevel,
    /// How each line is written; `STRETCHBOT_LOG_FORMAT` overrides it.
    pub format: LogFormat,
}

/// `text` for people reading a terminal or a journal, `json` (one object per line) for log collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("`{other}` is not a log format; use text or json")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_tracing(self) -> tracing::Level {
        match self {
            LogLevel::Error => tracing::Level::ERROR,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Trace => tracing::Level::TRACE,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Guilds to register slash commands in (instant, for testing); empty registers them globally.
    pub command_guilds: Vec<u64>,
    /// A Discord API base such as a shared rate-limit proxy (`http://127.0.0.1:8080`); unset talks to Discord.
    pub api_base: Option<Spanned<String>>,
    /// The gateway shards this process runs: `"auto"` or `{ total = 16, range = "0-3" }`.
    pub shards: Shards,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PosterConfig {
    /// A post missed by less than this (bot down, say) is still sent late, once; older misses are skipped.
    pub grace_minutes: Spanned<u32>,
}

/// The environment variable that overrides `[metrics] listen`.
pub const METRICS_LISTEN_VARIABLE: &str = "STRETCHBOT_METRICS_LISTEN";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Where to serve `/metrics`, `/healthz` and `/readyz` (`127.0.0.1:9464`); unset serves nothing.
    pub listen: Option<Spanned<String>>,
}

impl MetricsConfig {
    /// The address to listen on: `from_env` (the value of [`METRICS_LISTEN_VARIABLE`]) when set and not
    /// blank, else the file's `listen`, already checked when the file was parsed.
    pub fn address(&self, from_env: Option<String>) -> Result<Option<SocketAddr>, String> {
        match from_env.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => text.parse().map(Some).map_err(|_| {
                format!(
                    "{METRICS_LISTEN_VARIABLE} is `{text}`; set it to an address and port like 127.0.0.1:9464, or unset it"
                )
            }),
            _ => Ok(self
                .listen
                .as_ref()
                .and_then(|listen| listen.get_ref().parse().ok())),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            content_dir: PathBuf::from("content"),
            storage: StorageConfig::default(),
            log: LogConfig::default(),
            discord: DiscordConfig::default(),
            poster: PosterConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            sqlite_path: PathBuf::from("stretchbot.sqlite3"),
            url: None,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: LogLevel::Info,
            format: LogFormat::Text,
        }
    }
}

impl Default for PosterConfig {
    fn default() -> Self {
        Self {
            grace_minutes: Spanned::new(0..0, 30),
        }
    }
}

/// A problem in the configuration file, located for the person editing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// The line at fault; `None` when the problem is the file itself (missing, unreadable).
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: path.to_owned(),
            line: None,
            message: if err.kind() == std::io::ErrorKind::NotFound {
                "no configuration file here; copy config.example.toml to this path and edit it, or \
                 leave out --config to run on the defaults"
                    .to_owned()
            } else {
                format!("cannot read the configuration file: {err}")
            },
        })?;
        Self::parse(path, &text)
    }

    /// Parses and checks `text`, the contents of the file at `path` (used in messages).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let error_at = |span: Option<Range<usize>>, message: String| ConfigError {
            path: path.to_owned(),
            line: Some(span.map_or(1, |span| line_of(text, span.start))),
            message,
        };
        let config: Config = toml::from_str(text).map_err(|err| {
            error_at(
                err.span(),
                format!(
                    "{}; see config.example.toml for every key",
                    err.message().trim_end_matches('\n')
                ),
            )
        })?;

        let grace = &config.poster.grace_minutes;
        if *grace.get_ref() > MAX_GRACE_MINUTES {
            return Err(error_at(
                Some(grace.span()),
                format!(
                    "`grace_minutes` is {}; use at most {MAX_GRACE_MINUTES} (one day)",
                    grace.get_ref()
                ),
            ));
        }
        if let Some(url) = &config.storage.url {
            if !is_postgres_url(url.get_ref()) {
                return Err(error_at(
                    Some(url.span()),
                    format!(
                        "`url` is `{}`; write a PostgreSQL url like postgres://user:password@host/database, or remove the key to use `sqlite_path`",
                        url.get_ref()
                    ),
                ));
            }
        }
        if let Some(base) = &config.discord.api_base {
            let url = base.get_ref();
            let host = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if host.is_none_or(|host| host.trim_end_matches('/').is_empty()) {
                return Err(error_at(
                    Some(base.span()),
                    format!(
                        "`api_base` is `{url}`; write a URL like http://127.0.0.1:8080, or remove the key to talk to Discord directly"
                    ),
                ));
            }
        }
        if let Some(listen) = &config.metrics.listen {
            if listen.get_ref().parse::<SocketAddr>().is_err() {
                return Err(error_at(
                    Some(listen.span()),
                    format!(
                        "`listen` is `{}`; write an address and port like 127.0.0.1:9464, or remove the key to turn metrics off",
                        listen.get_ref()
                    ),
                ));
            }
        }
        Ok(config)
    }
}

/// Whether `url` names a PostgreSQL database (`storage.url`, `STRETCHBOT_DATABASE_URL`).
pub fn is_postgres_url(url: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    })
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("bot.toml"), text).map_err(|err| err.to_string())
    }

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let example = include_str!("../config.example.toml");
        let config = parse(example).unwrap();
        let defaults = Config::default();
        assert_eq!(config.content_dir, defaults.content_dir);
        assert_eq!(config.storage.sqlite_path, defaults.storage.sqlite_path);
        assert_eq!(config.log.level, defaults.log.level);
        assert_eq!(config.log.format, defaults.log.format);
        assert_eq!(
            config.discord.command_guilds,
            defaults.discord.command_guilds
        );
        assert!(config.discord.api_base.is_none());
        assert!(config.storage.url.is_none());
        assert_eq!(config.discord.shards, defaults.discord.shards);
        assert!(config.metrics.listen.is_none());
        assert_eq!(
            config.poster.grace_minutes.get_ref(),
            defaults.poster.grace_minutes.get_ref()
        );
    }

    #[test]
    fn a_storage_url_selects_postgres_and_must_be_one() {
        let config = parse("[storage]\nurl = \"postgres://bot@db/stretchbot\"\n").unwrap();
        assert_eq!(
            config.storage.url.map(Spanned::into_inner).as_deref(),
            Some("postgres://bot@db/stretchbot")
        );
        let message = parse("[storage]\n\nurl = \"stretchbot.sqlite3\"\n").unwrap_err();
        assert!(message.starts_with("bot.toml:3: "), "{message}");
        assert!(
            message.contains("postgres://user:password@host/database"),
            "{message}"
        );
    }

    #[test]
    fn shards_are_auto_or_a_total_and_a_range() {
        assert_eq!(parse("").unwrap().discord.shards, Shards::Auto);
        let auto = parse("[discord]\nshards = \"auto\"\n").unwrap();
        assert_eq!(auto.discord.shards, Shards::Auto);
        let range = parse("[discord]\nshards = { total = 16, range = \"0-3\" }\n").unwrap();
        assert_eq!(range.discord.shards, Shards::parse_env("0-3/16").unwrap());
        let all = parse("[discord]\nshards = { total = 2 }\n").unwrap();
        assert_eq!(all.discord.shards, Shards::parse_env("0-1/2").unwrap());
    }

    #[test]
    fn an_empty_file_means_all_defaults() {
        let config = parse("").unwrap();
        assert_eq!(*config.poster.grace_minutes.get_ref(), 30);
        assert_eq!(config.log.level, LogLevel::Info);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let message = parse("[log]\nlevle = \"debug\"\n").unwrap_err();
        assert!(message.starts_with("bot.toml:2: "), "{message}");
        assert!(message.contains("levle"), "{message}");
    }

    #[test]
    fn bad_values_name_the_line_and_the_fix() {
        let level = parse("\n[log]\nlevel = \"loud\"\n").unwrap_err();
        assert!(level.starts_with("bot.toml:3: "), "{level}");
        assert!(level.contains("info"), "{level}");
        let grace = parse("[poster]\ngrace_minutes = 5000\n").unwrap_err();
        assert!(
            grace.starts_with("bot.toml:2: ") && grace.contains("at most 1440"),
            "{grace}"
        );
        let base = parse("[discord]\napi_base = \"localhost:80\"\n").unwrap_err();
        assert!(
            base.starts_with("bot.toml:2: ") && base.contains("http://"),
            "{base}"
        );
        let backwards =
            parse("[discord]\n\nshards = { total = 4, range = \"3-1\" }\n").unwrap_err();
        assert!(
            backwards.starts_with("bot.toml:3: ")
                && backwards.contains("`shards`")
                && backwards.contains("after its end"),
            "{backwards}"
        );
        let outside = parse("[discord]\nshards = { total = 4, range = \"2-4\" }\n").unwrap_err();
        assert!(
            outside.starts_with("bot.toml:2: ") && outside.contains("raise the total"),
            "{outside}"
        );
        let none = parse("[discord]\nshards = { total = 0 }\n").unwrap_err();
        assert!(
            none.starts_with("bot.toml:2: ") && none.contains("at least 1"),
            "{none}"
        );
        let word = parse("[discord]\nshards = \"many\"\n").unwrap_err();
        assert!(
            word.starts_with("bot.toml:2: ") && word.contains("\"auto\""),
            "{word}"
        );
        let syntax = parse("[discord\n").unwrap_err();
        assert!(syntax.starts_with("bot.toml:1: "), "{syntax}");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(parse("").unwrap().log.format, LogFormat::Text);
        let json = parse("[log]\nformat = \"json\"\nlevel = \"debug\"\n").unwrap();
        assert_eq!(json.log.format, LogFormat::Json);
        assert_eq!(json.log.level, LogLevel::Debug);
        let bad = parse("[log]\n\nformat = \"xml\"\n").unwrap_err();
        assert!(
            bad.starts_with("bot.toml:3: ") && bad.contains("json"),
            "{bad}"
        );
        assert_eq!(" json".parse::<LogFormat>(), Ok(LogFormat::Json));
        let env = "yaml".parse::<LogFormat>().unwrap_err();
        assert!(env.contains("text or json"), "{env}");
    }

    #[test]
    fn the_metrics_address_comes_from_the_environment_then_the_file() {
        let config = parse("[metrics]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
        let file: SocketAddr = "127.0.0.1:9464".parse().unwrap();
        assert_eq!(config.metrics.address(None), Ok(Some(file)));
        assert_eq!(config.metrics.address(Some(" ".to_owned())), Ok(Some(file)));
        assert_eq!(
            config.metrics.address(Some("0.0.0.0:9000".to_owned())),
            Ok(Some("0.0.0.0:9000".parse().unwrap()))
        );
        let bad = config.metrics.address(Some("9000".to_owned())).unwrap_err();
        assert!(
            bad.contains(METRICS_LISTEN_VARIABLE) && bad.contains("127.0.0.1:9464"),
            "{bad}"
        );
        assert_eq!(parse("").unwrap().metrics.address(None), Ok(None));
        let message = parse("[metrics]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(
            message.starts_with("bot.toml:2: ") && message.contains("127.0.0.1:9464"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_is_reported_as_missing_with_no_line() {
        let message = Config::load(Path::new("/nonexistent/stretchbot.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("/nonexistent/stretchbot.toml: no configuration file here;")
                && message.contains("config.example.toml"),
            "{message}"
        );
    }

    #[test]
    fn an_unreadable_file_says_why_with_no_line() {
        let folder = tempfile::tempdir().unwrap();
        let message = Config::load(folder.path()).unwrap_err().to_string();
        let expected = format!(
            "{}: cannot read the configuration file:",
            folder.path().display()
        );
        assert!(message.starts_with(&expected), "{message}");
    }
}
