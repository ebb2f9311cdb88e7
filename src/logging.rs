//! What the bot writes to stdout and stderr: the log subscriber (level, `RUST_LOG`, text or JSON, colour
//! only on a terminal) and the lines printed for the operator.
//!
//! Nothing written here may panic or fail the bot: stdout and stderr are often pipes (`| tee log`, a
//! journal) that close before the bot does. A line that cannot be written is dropped and counted in
//! [`dropped_lines`], so that a closed pipe costs log lines, never a wedged process.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::config::{LogConfig, LogFormat};

/// tracing's variable, in `EnvFilter` syntax; it overrides `log.level`.
pub const FILTER_VARIABLE: &str = "RUST_LOG";

static DROPPED_LINES: AtomicU64 = AtomicU64::new(0);

/// How many log lines and printed lines were dropped since start because stdout or stderr refused them.
pub fn dropped_lines() -> u64 {
    DROPPED_LINES.load(Ordering::Relaxed)
}

/// A stream that takes every write and drops (and counts) those the stream beneath refuses. Each write
/// is one whole line: a log event, or a line from [`print_line`] or [`print_error`].
struct Lossy<W>(W);

impl<W: Write> Write for Lossy<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.write_all(buf).is_err() {
            DROPPED_LINES.fetch_add(1, Ordering::Relaxed);
            crate::metrics::log_line_dropped();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// Prints one line to stdout for the operator (the invite link), or counts it dropped.
pub fn print_line(line: std::fmt::Arguments<'_>) {
    write_line(io::stdout().lock(), line);
}

/// Prints one line to stderr (a fatal error on the way out), or counts it dropped.
pub fn print_error(line: std::fmt::Arguments<'_>) {
    write_line(io::stderr().lock(), line);
}

/// Formatted first, so that the line is one write: written whole, or dropped and counted once.
fn write_line(stream: impl Write, line: std::fmt::Arguments<'_>) {
    let mut lossy = Lossy(stream);
    let _ = lossy.write(format!("{line}\n").as_bytes());
    let _ = lossy.flush();
}

/// The filter and format the bot logs with, read from the config and the environment.
pub struct LogSettings {
    filter: EnvFilter,
    format: LogFormat,
}

impl LogSettings {
    /// `config` (which already holds `STRETCHBOT_LOG_*`) with its level overridden by `RUST_LOG`; a bad
    /// filter is named in the error with what it may hold.
    pub fn from_env(config: &LogConfig) -> Result<Self, String> {
        let filter = std::env::var(FILTER_VARIABLE)
            .ok()
            .filter(|value| !value.trim().is_empty());
        Self::new(config, filter)
    }

    fn new(config: &LogConfig, filter: Option<String>) -> Result<Self, String> {
        let filter = match filter {
            Some(directives) => EnvFilter::try_new(directives.trim()).map_err(|error| {
                format!(
                    "{FILTER_VARIABLE} `{directives}` is not a valid filter ({error}); write it like \
                     `info` or `stretchbot=debug,serenity=warn`, or unset it to use `log.level`"
                )
            })?,
            None => EnvFilter::default()
                .add_directive(LevelFilter::from_level(config.level.as_tracing()).into()),
        };
        Ok(Self {
            filter,
            format: config.format,
        })
    }

    /// Installs the subscriber for the whole process; logs go to stderr.
    pub fn install(self) {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(self.filter)
            .with_writer(|| Lossy(io::stderr()))
            // Its own report of a failed write goes to stderr with `eprintln!`, which panics on a closed
            // pipe; `Lossy` never fails a write, and this makes sure nothing else is printed.
            .log_internal_errors(false);
        let installed = match self.format {
            LogFormat::Text => builder.with_ansi(io::stderr().is_terminal()).try_init(),
            LogFormat::Json => builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .try_init(),
        };
        // Already installed (a test that runs the CLI twice in one process): the first one stays.
        let _ = installed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(filter: Option<&str>) -> Result<LogSettings, String> {
        LogSettings::new(&LogConfig::default(), filter.map(str::to_owned))
    }

    #[test]
    fn rust_log_overrides_the_configured_level() {
        let configured = settings(None).unwrap();
        assert_eq!(configured.filter.max_level_hint(), Some(LevelFilter::INFO));
        let overridden = settings(Some("stretchbot=trace,serenity=warn")).unwrap();
        assert_eq!(overridden.filter.max_level_hint(), Some(LevelFilter::TRACE));
        let bad = settings(Some("stretchbot=loud")).err().unwrap();
        assert!(
            bad.starts_with("RUST_LOG `stretchbot=loud` is not a valid filter"),
            "{bad}"
        );
    }

    #[test]
    fn a_refused_write_is_dropped_and_counted() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
        }
        let before = dropped_lines();
        let mut lossy = Lossy(Closed);
        assert_eq!(lossy.write(b"a line\n").unwrap(), 7);
        lossy.flush().unwrap();
        write_line(Closed, format_args!("{} and {}", "one line", "its parts"));
        assert!(dropped_lines() >= before + 2);
    }
}
