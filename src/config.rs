//! The bot's configuration: the defaults, then the file given with `--config`, then the environment
//! (`STRETCHBOT_<SECTION>_<KEY>`), each over the one before. `config.example.toml` documents every key.
//!
//! Secrets never live in the file: the Discord token comes only from the `DISCORD_TOKEN` environment
//! variable, and a database password shown in a message is masked.
//!
//! Every problem is collected, not only the first, so that `stretchbot check --config` lists them all:
//! a file's problems with `file:line` and `[section] key`, an environment variable's with its name.
//!
//! Why not a layering crate: figment and `config` both turn the file into their own value tree before
//! it is read into the settings, which drops the line of every value (their errors name the file and the
//! key path only), and both stop at the first value that does not fit. So the layers are one table,
//! `KEYS`, read here: `toml`'s spanned parse gives each key's line, and serde reads each value.

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::discord::Shards;

/// The longest grace window: a post later than a day is not "the stretch of the day" any more.
const MAX_GRACE_MINUTES: u32 = 24 * 60;

/// The settings, each key of the file as a typed field.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the stretch catalog's `*.toml` files.
    pub content_dir: PathBuf,
    pub storage: StorageConfig,
    pub log: LogConfig,
    pub discord: DiscordConfig,
    pub poster: PosterConfig,
    pub metrics: MetricsConfig,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The SQLite database file, created on first start; used when `url` is unset.
    pub sqlite_path: PathBuf,
    /// A PostgreSQL database (`postgres://user:password@host/database`) shared by several bot
    /// processes; when set, it is used instead of `sqlite_path`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LogConfig {
    /// The least severe level logged; `RUST_LOG` (an `EnvFilter` directive) overrides it.
    pub level: LogLevel,
    /// How each line is written.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
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

#[derive(Debug, Clone, Default)]
pub struct DiscordConfig {
    /// Guilds to register slash commands in (instant, for testing); empty registers them globally.
    pub command_guilds: Vec<u64>,
    /// A Discord API base such as a shared rate-limit proxy (`http://127.0.0.1:8080`); unset talks to
    /// Discord.
    pub api_base: Option<String>,
    /// The gateway shards this process runs: `"auto"` or `{ total = 16, range = "0-3" }`.
    pub shards: Shards,
}

#[derive(Debug, Clone)]
pub struct PosterConfig {
    /// A post missed by less than this (bot down, say) is still sent late, once; older misses are
    /// skipped.
    pub grace_minutes: u32,
}

#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// Where to serve `/metrics`, `/healthz` and `/readyz`; unset serves nothing.
    pub listen: Option<SocketAddr>,
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

impl Default for PosterConfig {
    fn default() -> Self {
        Self { grace_minutes: 30 }
    }
}

/// One key of the file and of the environment.
struct Key {
    /// The `[section]` it sits in; empty for the top level.
    section: &'static str,
    name: &'static str,
    /// What to write instead of a value that does not fit.
    hint: &'static str,
    /// Older environment variables still read for this key, after `STRETCHBOT_<SECTION>_<KEY>`.
    old_variables: &'static [&'static str],
    /// Reads a value into its field of the config, or says what is wrong with it.
    set: fn(&mut Config, Raw<'_>) -> Result<(), String>,
}

/// Every key there is. Adding a setting is adding a field and a line here (and to
/// config.example.toml, which a test holds to this table).
const KEYS: &[Key] = &[
    Key {
        section: "",
        name: "content_dir",
        hint: "a folder such as \"content\"",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.content_dir, any),
    },
    Key {
        section: "storage",
        name: "sqlite_path",
        hint: "a file such as \"stretchbot.sqlite3\"",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.storage.sqlite_path, any),
    },
    Key {
        section: "storage",
        name: "url",
        hint: "a PostgreSQL url like \"postgres://user:password@host/database\", or remove it to use \
               `sqlite_path`",
        old_variables: &["STRETCHBOT_DATABASE_URL"],
        set: |config, raw| raw.read(&mut config.storage.url, postgres_url),
    },
    Key {
        section: "log",
        name: "level",
        hint: "one of error, warn, info, debug, trace",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.log.level, any),
    },
    Key {
        section: "log",
        name: "format",
        hint: "text or json",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.log.format, any),
    },
    Key {
        section: "discord",
        name: "command_guilds",
        hint: "a list of server ids like [123456789012345678], or [] to register commands globally",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.discord.command_guilds, any),
    },
    Key {
        section: "discord",
        name: "api_base",
        hint: "a URL like \"http://127.0.0.1:8080\", or remove it to talk to Discord directly",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.discord.api_base, http_url),
    },
    Key {
        section: "discord",
        name: "shards",
        hint: "\"auto\" or a table like { total = 16, range = \"0-3\" }",
        old_variables: &["STRETCHBOT_SHARDS"],
        set: |config, raw| raw.read(&mut config.discord.shards, any),
    },
    Key {
        section: "poster",
        name: "grace_minutes",
        hint: "a whole number of minutes from 0 to 1440",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.poster.grace_minutes, at_most_a_day),
    },
    Key {
        section: "metrics",
        name: "listen",
        hint: "an address and port like \"127.0.0.1:9464\", or remove it to turn metrics off",
        old_variables: &[],
        set: |config, raw| raw.read(&mut config.metrics.listen, any),
    },
];

impl Key {
    /// `[section] key`, or `key` at the top level.
    fn label(&self) -> String {
        if self.section.is_empty() {
            self.name.to_owned()
        } else {
            format!("[{}] {}", self.section, self.name)
        }
    }

    /// `STRETCHBOT_<SECTION>_<KEY>`.
    fn variable(&self) -> String {
        let name = if self.section.is_empty() {
            self.name.to_owned()
        } else {
            format!("{}_{}", self.section, self.name)
        };
        format!("STRETCHBOT_{}", name.to_ascii_uppercase())
    }
}

/// A value as found, in the file or as an environment variable's text, with what to write instead.
struct Raw<'a> {
    found: Found<'a>,
    hint: &'static str,
}

enum Found<'a> {
    File(Spanned<DeValue<'a>>),
    Variable(&'a str),
}

impl Raw<'_> {
    /// Reads the value into `field` if it fits and passes `check`; `field` keeps its value otherwise.
    /// A value that does not fit is told what to write; `check`'s messages say so themselves.
    fn read<T: Setting>(
        self,
        field: &mut T,
        check: fn(&T) -> Result<(), String>,
    ) -> Result<(), String> {
        let explained = |message: &str, form: &str| {
            if T::EXPLAINS_ITSELF {
                message.trim_end().to_owned()
            } else {
                format!("{}; write {form}", message.trim_end())
            }
        };
        let value = match self.found {
            Found::File(value) => T::deserialize(ValueDeserializer::from(value))
                .map_err(|error| explained(error.message(), self.hint)),
            Found::Variable(text) => T::from_variable(text.trim())
                .map_err(|message| explained(&message, T::VARIABLE_FORM.unwrap_or(self.hint))),
        }?;
        check(&value)?;
        *field = value;
        Ok(())
    }
}

/// A type a setting can have: read from the file with serde, and from an environment variable's text.
trait Setting: DeserializeOwned {
    /// How the value is written in a variable, when not as in the file.
    const VARIABLE_FORM: Option<&'static str> = None;
    /// Whether its own messages already say what to write, so the key's hint would repeat them.
    const EXPLAINS_ITSELF: bool = false;

    /// By default the text is read as a TOML string would be.
    fn from_variable(text: &str) -> Result<Self, String> {
        Self::deserialize(ValueDeserializer::from(Spanned::new(
            0..0,
            DeValue::String(text.into()),
        )))
        .map_err(|error| error.message().to_owned())
    }
}

impl Setting for PathBuf {}
impl Setting for Option<String> {}
impl Setting for Option<SocketAddr> {}
impl Setting for LogLevel {}
impl Setting for LogFormat {}

impl Setting for u32 {
    fn from_variable(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| format!("`{text}` is not a whole number"))
    }
}

impl Setting for Vec<u64> {
    const VARIABLE_FORM: Option<&'static str> =
        Some("server ids separated by commas, like 123,456");

    fn from_variable(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| id.parse().map_err(|_| format!("`{id}` is not a server id")))
            .collect()
    }
}

impl Setting for Shards {
    const VARIABLE_FORM: Option<&'static str> = Some("auto, or first-last/total like 0-3/16");
    const EXPLAINS_ITSELF: bool = true;

    fn from_variable(text: &str) -> Result<Self, String> {
        Shards::parse_env(text).map_err(|error| error.to_string())
    }
}

fn any<T>(_: &T) -> Result<(), String> {
    Ok(())
}

fn at_most_a_day(minutes: &u32) -> Result<(), String> {
    if *minutes > MAX_GRACE_MINUTES {
        return Err(format!(
            "{minutes} minutes is more than a day; use at most {MAX_GRACE_MINUTES}"
        ));
    }
    Ok(())
}

fn postgres_url(url: &Option<String>) -> Result<(), String> {
    match url {
        Some(url) if !is_postgres_url(url) => Err(format!(
            "`{}` is not a PostgreSQL url; write one like postgres://user:password@host/database, or \
             leave it unset to use `sqlite_path`",
            without_password(url)
        )),
        _ => Ok(()),
    }
}

fn http_url(url: &Option<String>) -> Result<(), String> {
    let Some(url) = url else { return Ok(()) };
    let host = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    if host.is_none_or(|host| host.trim_end_matches('/').is_empty()) {
        return Err(format!(
            "`{url}` is not an http:// or https:// URL; write one like http://127.0.0.1:8080, or leave \
             it unset to talk to Discord directly"
        ));
    }
    Ok(())
}

/// Whether `url` names a PostgreSQL database (`storage.url`, `STRETCHBOT_DATABASE_URL`).
pub fn is_postgres_url(url: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        url.strip_prefix(scheme)
            .is_some_and(|rest| !rest.is_empty())
    })
}

/// `url` with its password, if any, masked: fit for messages and logs.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// In the file; `line` is `None` when the problem is the file itself (missing, unreadable).
    File { path: PathBuf, line: Option<usize> },
    /// In the environment variable of this name.
    Variable(String),
}

/// One problem with the configuration, located for the person fixing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}: {}", path.display(), self.message),
            Origin::File { path, line: None } => write!(f, "{}: {}", path.display(), self.message),
            Origin::Variable(_) => f.write_str(&self.message),
        }
    }
}

/// Every problem found, the file's in line order, then the environment's; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl Config {
    /// The defaults, then the file at `path` if given, then the variables `variable` returns (a blank
    /// one counts as unset).
    pub fn load(
        path: Option<&Path>,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigErrors> {
        let mut config = Config::default();
        let mut errors = Vec::new();
        if let Some(path) = path {
            match std::fs::read_to_string(path) {
                Ok(text) => errors.extend(config.apply_file(path, &text)),
                Err(error) => errors.push(ConfigError {
                    origin: Origin::File {
                        path: path.to_owned(),
                        line: None,
                    },
                    message: if error.kind() == std::io::ErrorKind::NotFound {
                        "no configuration file here; copy config.example.toml to this path and edit \
                         it, or leave out --config to run on the defaults"
                            .to_owned()
                    } else {
                        format!("cannot read the configuration file: {error}")
                    },
                }),
            }
        }
        errors.extend(config.apply_environment(variable));
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// Like [`Config::load`] with the process's environment.
    pub fn load_with_environment(path: Option<&Path>) -> Result<Self, ConfigErrors> {
        Self::load(path, |name| std::env::var(name).ok())
    }

    /// Reads `text`, the contents of the file at `path` (named in messages), over `self`.
    fn apply_file(&mut self, path: &Path, text: &str) -> Vec<ConfigError> {
        let at = |span: Range<usize>, message: String| ConfigError {
            origin: Origin::File {
                path: path.to_owned(),
                line: Some(line_of(text, span.start)),
            },
            message,
        };
        let (table, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            // What follows a syntax error may be misread; its keys are checked once it is fixed.
            return syntax
                .into_iter()
                .map(|error| {
                    at(
                        error.span().unwrap_or(0..0),
                        format!(
                            "{}; see config.example.toml for how each key is written",
                            error.message().trim_end()
                        ),
                    )
                })
                .collect();
        }
        let mut errors = Vec::new();
        for (key, value) in table.into_inner() {
            let name: &str = key.get_ref();
            if !KEYS.iter().any(|known| known.section == name) {
                if let Err(message) = self.apply_key("", name, value) {
                    errors.push(at(key.span(), message));
                }
                continue;
            }
            let DeValue::Table(section) = value.into_inner() else {
                errors.push(at(
                    key.span(),
                    format!(
                        "`{name}` is a section; write it as a [{name}] line with its keys below, as in \
                         config.example.toml"
                    ),
                ));
                continue;
            };
            for (inner, value) in section {
                if let Err(message) = self.apply_key(name, inner.get_ref(), value) {
                    errors.push(at(inner.span(), message));
                }
            }
        }
        errors.sort_by_key(|error| match error.origin {
            Origin::File { line, .. } => line,
            Origin::Variable(_) => None,
        });
        errors
    }

    fn apply_key(
        &mut self,
        section: &str,
        name: &str,
        value: Spanned<DeValue<'_>>,
    ) -> Result<(), String> {
        let Some(key) = KEYS
            .iter()
            .find(|key| key.section == section && key.name == name)
        else {
            return Err(unknown_key(section, name));
        };
        let raw = Raw {
            found: Found::File(value),
            hint: key.hint,
        };
        (key.set)(self, raw).map_err(|message| format!("{}: {message}", key.label()))
    }

    fn apply_environment(&mut self, variable: impl Fn(&str) -> Option<String>) -> Vec<ConfigError> {
        let set = |name: &str| variable(name).filter(|text| !text.trim().is_empty());
        let mut errors = Vec::new();
        for key in KEYS {
            let canonical = key.variable();
            let names =
                std::iter::once(canonical.as_str()).chain(key.old_variables.iter().copied());
            let Some((name, text)) = names.into_iter().find_map(|name| Some((name, set(name)?)))
            else {
                continue;
            };
            let raw = Raw {
                found: Found::Variable(&text),
                hint: key.hint,
            };
            if let Err(message) = (key.set)(self, raw) {
                errors.push(ConfigError {
                    origin: Origin::Variable(name.to_owned()),
                    message: format!(
                        "{name} `{}`: {message}; or unset it (it overrides {})",
                        without_password(text.trim()),
                        key.label()
                    ),
                });
            }
        }
        errors
    }
}

/// Names the key meant (close in spelling, or the same key in another section), else lists the keys.
fn unknown_key(section: &str, name: &str) -> String {
    let place = if section.is_empty() {
        "at the top level".to_owned()
    } else {
        format!("in [{section}]")
    };
    if let Some(elsewhere) = KEYS.iter().find(|key| key.name == name) {
        return format!(
            "unknown key `{name}` {place}; it belongs {}",
            if elsewhere.section.is_empty() {
                "at the top level, before any [section]".to_owned()
            } else {
                format!("in [{}]", elsewhere.section)
            }
        );
    }
    let mut allowed: Vec<&str> = KEYS
        .iter()
        .filter(|key| key.section == section)
        .map(|key| key.name)
        .collect();
    if section.is_empty() {
        let mut sections: Vec<&str> = KEYS
            .iter()
            .map(|key| key.section)
            .filter(|section| !section.is_empty())
            .collect();
        sections.dedup();
        allowed.extend(sections);
    }
    let closest = allowed
        .iter()
        .map(|allowed| (strsim::jaro_winkler(name, allowed), *allowed))
        .filter(|(similarity, _)| *similarity >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, close)) => format!("unknown key `{name}` {place}; did you mean `{close}`?"),
        None => format!(
            "unknown key `{name}` {place}; remove it or use one of {}",
            allowed.join(", ")
        ),
    }
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

    fn with_env(text: &str, env: &[(&str, &str)]) -> Result<Config, String> {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("bot.toml");
        std::fs::write(&path, text).unwrap();
        let lookup = |name: &str| {
            env.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        };
        Config::load(Some(&path), lookup).map_err(|errors| {
            errors
                .to_string()
                .replace(&format!("{}", path.display()), "bot.toml")
        })
    }

    fn parse(text: &str) -> Result<Config, String> {
        with_env(text, &[])
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
        assert_eq!(config.poster.grace_minutes, defaults.poster.grace_minutes);
    }

    #[test]
    fn the_example_file_documents_every_key_and_its_variable() {
        let example = include_str!("../config.example.toml");
        for key in KEYS {
            let written = example.lines().any(|line| {
                let line = line.trim_start_matches(['#', ' ']);
                line.starts_with(&format!("{} = ", key.name))
            });
            assert!(written, "config.example.toml lacks {}", key.label());
            if !key.section.is_empty() {
                assert!(
                    example.contains(&format!("[{}]", key.section)),
                    "config.example.toml lacks [{}]",
                    key.section
                );
            }
            for variable in std::iter::once(key.variable()).chain(
                key.old_variables
                    .iter()
                    .map(|variable| (*variable).to_owned()),
            ) {
                assert!(
                    example.contains(&variable),
                    "config.example.toml does not name {variable}"
                );
            }
        }
    }

    #[test]
    fn a_storage_url_selects_postgres_and_must_be_one() {
        let config = parse("[storage]\nurl = \"postgres://bot@db/stretchbot\"\n").unwrap();
        assert_eq!(
            config.storage.url.as_deref(),
            Some("postgres://bot@db/stretchbot")
        );
        let message = parse("[storage]\n\nurl = \"stretchbot.sqlite3\"\n").unwrap_err();
        assert!(
            message.starts_with("bot.toml:3: [storage] url: "),
            "{message}"
        );
        assert!(
            message.contains("postgres://user:password@host/database"),
            "{message}"
        );
    }

    #[test]
    fn a_password_is_masked_in_messages() {
        assert_eq!(
            without_password("postgres://bot:hunter2@db:5432/stretchbot"),
            "postgres://bot:***@db:5432/stretchbot"
        );
        assert_eq!(
            without_password("postgres://bot@db/x"),
            "postgres://bot@db/x"
        );
        assert_eq!(without_password("not a url"), "not a url");
        let message = parse("[storage]\nurl = \"mysql://bot:hunter2@db/x\"\n").unwrap_err();
        assert!(
            !message.contains("hunter2") && message.contains("mysql://bot:***@db/x"),
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
        assert_eq!(config.poster.grace_minutes, 30);
        assert_eq!(config.log.level, LogLevel::Info);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line_and_the_key_meant() {
        let typo = parse("[log]\nlevle = \"debug\"\n").unwrap_err();
        assert_eq!(
            typo,
            "bot.toml:2: unknown key `levle` in [log]; did you mean `level`?"
        );
        let moved = parse("[log]\ngrace_minutes = 5\n").unwrap_err();
        assert!(
            moved.starts_with("bot.toml:2: ") && moved.contains("belongs in [poster]"),
            "{moved}"
        );
        let section = parse("[postr]\ngrace_minutes = 5\n").unwrap_err();
        assert!(
            section.starts_with("bot.toml:1: ") && section.contains("did you mean `poster`?"),
            "{section}"
        );
        let far = parse("[metrics]\nport = 9464\n").unwrap_err();
        assert!(far.contains("use one of listen"), "{far}");
        let flat = parse("poster = 5\n").unwrap_err();
        assert!(flat.contains("[poster] line"), "{flat}");
    }

    #[test]
    fn bad_values_name_the_line_the_key_and_the_fix() {
        let level = parse("\n[log]\nlevel = \"loud\"\n").unwrap_err();
        assert!(level.starts_with("bot.toml:3: [log] level: "), "{level}");
        assert!(level.contains("info"), "{level}");
        let grace = parse("[poster]\ngrace_minutes = 5000\n").unwrap_err();
        assert!(
            grace.starts_with("bot.toml:2: [poster] grace_minutes: ")
                && grace.contains("at most 1440"),
            "{grace}"
        );
        let wrong_type = parse("[poster]\ngrace_minutes = \"soon\"\n").unwrap_err();
        assert!(
            wrong_type.contains("write a whole number of minutes"),
            "{wrong_type}"
        );
        let base = parse("[discord]\napi_base = \"localhost:80\"\n").unwrap_err();
        assert!(
            base.starts_with("bot.toml:2: [discord] api_base: ") && base.contains("http://"),
            "{base}"
        );
        let backwards =
            parse("[discord]\n\nshards = { total = 4, range = \"3-1\" }\n").unwrap_err();
        assert!(
            backwards.starts_with("bot.toml:3: [discord] shards: ")
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
        let listen = parse("[metrics]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(
            listen.starts_with("bot.toml:2: [metrics] listen: ")
                && listen.contains("127.0.0.1:9464"),
            "{listen}"
        );
        let syntax = parse("[discord\n").unwrap_err();
        assert!(syntax.starts_with("bot.toml:1: "), "{syntax}");
    }

    #[test]
    fn every_problem_in_the_file_is_reported_in_line_order() {
        let text = "content_dir = 5\n[log]\nlevle = \"debug\"\n[poster]\ngrace_minutes = -1\n\
                    [discord]\ncommand_guilds = [\"general\"]\n";
        let message = parse(text).unwrap_err();
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 4, "{message}");
        for (line, (at, key)) in lines.iter().zip([
            ("bot.toml:1: ", "content_dir: "),
            ("bot.toml:3: ", "`levle`"),
            ("bot.toml:5: ", "[poster] grace_minutes: "),
            ("bot.toml:7: ", "[discord] command_guilds: "),
        ]) {
            assert!(line.starts_with(at) && line.contains(key), "{message}");
        }
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
    }

    #[test]
    fn every_key_has_a_variable_that_overrides_the_file() {
        let file = "content_dir = \"file\"\n[storage]\nsqlite_path = \"file.db\"\n\
                    [log]\nlevel = \"warn\"\nformat = \"text\"\n[discord]\ncommand_guilds = [1]\n\
                    [poster]\ngrace_minutes = 10\n[metrics]\nlisten = \"127.0.0.1:1\"\n";
        let config = with_env(
            file,
            &[
                ("STRETCHBOT_CONTENT_DIR", "env"),
                ("STRETCHBOT_STORAGE_SQLITE_PATH", "env.db"),
                ("STRETCHBOT_STORAGE_URL", "postgres://bot@db/env"),
                ("STRETCHBOT_LOG_LEVEL", "trace"),
                ("STRETCHBOT_LOG_FORMAT", " json "),
                ("STRETCHBOT_DISCORD_COMMAND_GUILDS", "2, 3"),
                ("STRETCHBOT_DISCORD_API_BASE", "http://127.0.0.1:8080"),
                ("STRETCHBOT_DISCORD_SHARDS", "0-3/16"),
                ("STRETCHBOT_POSTER_GRACE_MINUTES", "45"),
                ("STRETCHBOT_METRICS_LISTEN", "0.0.0.0:9000"),
            ],
        )
        .unwrap();
        assert_eq!(config.content_dir, Path::new("env"));
        assert_eq!(config.storage.sqlite_path, Path::new("env.db"));
        assert_eq!(config.storage.url.as_deref(), Some("postgres://bot@db/env"));
        assert_eq!(config.log.level, LogLevel::Trace);
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.discord.command_guilds, [2, 3]);
        assert_eq!(
            config.discord.api_base.as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(config.discord.shards, Shards::parse_env("0-3/16").unwrap());
        assert_eq!(config.poster.grace_minutes, 45);
        assert_eq!(config.metrics.listen, Some("0.0.0.0:9000".parse().unwrap()));
    }

    #[test]
    fn a_blank_variable_is_unset_and_old_names_still_work_below_new_ones() {
        let config = with_env(
            "[poster]\ngrace_minutes = 10\n",
            &[
                ("STRETCHBOT_POSTER_GRACE_MINUTES", "  "),
                ("STRETCHBOT_SHARDS", "1-1/2"),
                ("STRETCHBOT_DATABASE_URL", "postgres://bot@db/old"),
            ],
        )
        .unwrap();
        assert_eq!(config.poster.grace_minutes, 10);
        assert_eq!(config.discord.shards, Shards::parse_env("1-1/2").unwrap());
        assert_eq!(config.storage.url.as_deref(), Some("postgres://bot@db/old"));
        let both = with_env(
            "",
            &[
                ("STRETCHBOT_DISCORD_SHARDS", "auto"),
                ("STRETCHBOT_SHARDS", "1-1/2"),
            ],
        )
        .unwrap();
        assert_eq!(both.discord.shards, Shards::Auto);
    }

    #[test]
    fn a_bad_variable_is_named_with_what_to_write() {
        let message = with_env(
            "[log]\nlevle = 1\n",
            &[
                ("STRETCHBOT_POSTER_GRACE_MINUTES", "soon"),
                ("STRETCHBOT_SHARDS", "3-1/4"),
                ("STRETCHBOT_DISCORD_COMMAND_GUILDS", "1,general"),
                ("STRETCHBOT_DATABASE_URL", "mysql://bot:hunter2@db/x"),
            ],
        )
        .unwrap_err();
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 5, "{message}");
        assert!(lines[0].starts_with("bot.toml:2: "), "{message}");
        assert!(
            lines.iter().any(|line| line.starts_with(
                "STRETCHBOT_POSTER_GRACE_MINUTES `soon`: `soon` is not a whole number; write a whole number of minutes"
            ) && line.contains("[poster] grace_minutes")),
            "{message}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("STRETCHBOT_SHARDS `3-1/4`: ")
                    && line.contains("after its end")),
            "{message}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line.contains("`general` is not a server id")
                    && line.contains("separated by commas")),
            "{message}"
        );
        assert!(
            !message.contains("hunter2")
                && message.contains("STRETCHBOT_DATABASE_URL `mysql://bot:***@db/x`"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_file_is_reported_as_missing_with_no_line() {
        let message = Config::load(Some(Path::new("/nonexistent/stretchbot.toml")), |_| None)
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
        let message = Config::load(Some(folder.path()), |_| None)
            .unwrap_err()
            .to_string();
        let expected = format!(
            "{}: cannot read the configuration file:",
            folder.path().display()
        );
        assert!(message.starts_with(&expected), "{message}");
    }
}
