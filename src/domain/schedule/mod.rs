//! Schedules: when a stretch of the day is posted.
//!
//! A [`Schedule`] is a [`Cadence`] (daily times on weekdays, or a cron expression) read in an IANA
//! [`Zone`]. Cadences are evaluated on wall-clock time and turned into instants by the DST policy in
//! [`dst`]; [`Schedule::next_after`] is the one question the poster asks.

mod cron_expr;
mod daily;
pub mod dst;
mod zone;

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use thiserror::Error;

pub use cron_expr::CronExpr;
pub use daily::{DailyTimes, MAX_TIMES_PER_DAY, TimeOfDay, Weekdays};
pub use zone::Zone;

/// Input a schedule cannot be built from. Messages are complete sentences for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("unknown time zone `{input}`.{} Zones are IANA names like Europe/Berlin or America/New_York.", did_you_mean(.suggestions))]
    UnknownZone {
        input: String,
        suggestions: Vec<&'static str>,
    },
    #[error("{0}")]
    BadTime(String),
    #[error("{0}")]
    BadDays(String),
    #[error("{0}")]
    Cron(String),
    #[error("{0}")]
    NeverFires(String),
}

fn did_you_mean(suggestions: &[&str]) -> String {
    match suggestions {
        [] => String::new(),
        [only] => format!(" Did you mean {only}?"),
        [first, rest @ ..] => format!(" Did you mean {first} (or {})?", rest.join(", ")),
    }
}

/// How often a schedule fires, on the wall clock of its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    Daily(DailyTimes),
    Cron(CronExpr),
}

impl Cadence {
    fn next_wall_after(&self, wall: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Cadence::Daily(daily) => daily.next_wall_after(wall),
            Cadence::Cron(cron) => cron.next_wall_after(wall),
        }
    }
}

impl Cadence {
    /// A stable text form for storage: `daily 09:00,15:00 mon-fri` or `cron 0 9 * * 1-5`.
    pub fn storage_text(&self) -> String {
        match self {
            Cadence::Daily(daily) => {
                let times: Vec<String> = daily.times().iter().map(ToString::to_string).collect();
                format!("daily {} {}", times.join(","), daily.days())
            }
            Cadence::Cron(cron) => format!("cron {cron}"),
        }
    }

    /// Reads [`Cadence::storage_text`] back.
    pub fn from_storage_text(text: &str) -> Result<Cadence, ScheduleError> {
        match text.split_once(' ') {
            Some(("daily", rest)) => {
                let (times, days) = rest.split_once(' ').unwrap_or((rest, "daily"));
                Ok(Cadence::Daily(DailyTimes::parse(times, days)?))
            }
            Some(("cron", expr)) => Ok(Cadence::Cron(CronExpr::parse(expr)?)),
            _ => Err(ScheduleError::Cron(format!(
                "`{text}` is not a stored cadence (expected `daily …` or `cron …`)"
            ))),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Daily(daily) => write!(f, "{daily}"),
            Cadence::Cron(cron) => write!(f, "cron `{cron}`"),
        }
    }
}

/// A cadence in a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub zone: Zone,
    pub cadence: Cadence,
}

impl Schedule {
    pub fn new(zone: Zone, cadence: Cadence) -> Self {
        Self { zone, cadence }
    }

    /// The first fire strictly after `after`, or `None` when the cadence has no more (cron stops at 2100).
    ///
    /// Walks the cadence's wall-clock candidates after `after`'s wall time and resolves each with the DST
    /// policy. A candidate can resolve to `after` or earlier — the second pass through a fall-back hour,
    /// or two gap times landing on the same instant — so it is skipped, which keeps fires strictly
    /// increasing.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = self.zone.tz();
        let mut wall = after.with_timezone(&tz).naive_local();
        loop {
            wall = self.cadence.next_wall_after(wall)?;
            match dst::resolve(tz, wall) {
                Some(instant) if instant > after => return Some(instant),
                _ => continue,
            }
        }
    }

    /// The fires after `after`, in order.
    pub fn fires_after(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(self.next_after(after), move |previous| {
            self.next_after(*previous)
        })
    }
}

#[cfg(test)]
mod dst_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadences_round_trip_through_their_storage_text() {
        for cadence in [
            Cadence::Daily(DailyTimes::parse("9am, 15:00", "mon-fri").unwrap()),
            Cadence::Daily(DailyTimes::parse("07:30", "daily").unwrap()),
            Cadence::Daily(DailyTimes::parse("12:00", "mon,wed,fri").unwrap()),
            Cadence::Cron(CronExpr::parse("*/15 8-18/2 * jan-jun MON").unwrap()),
        ] {
            let text = cadence.storage_text();
            assert_eq!(
                Cadence::from_storage_text(&text).unwrap(),
                cadence,
                "{text}"
            );
        }
        assert!(Cadence::from_storage_text("weekly 9:00").is_err());
    }
}
