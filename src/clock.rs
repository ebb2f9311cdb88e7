//! The bot's time for the poster and the timers: UTC instants to read and sleep until, on tokio's timer,
//! so that tests drive both with tokio's paused clock instead of waiting.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// Reads the time as UTC and turns UTC instants into tokio instants to sleep until.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    /// A tokio instant and the UTC time it stands for; `None` follows the system's wall clock.
    anchor: Option<(Instant, DateTime<Utc>)>,
}

impl TokioClock {
    /// The wall clock. It is read afresh at every call rather than once at start, so a wall clock that
    /// NTP adjusts or a machine that was suspended put the poster right at its next wake.
    pub fn system() -> Self {
        Self { anchor: None }
    }

    /// A clock that reads `start` now and then advances with tokio's clock (paused in tests).
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            anchor: Some((Instant::now(), start)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.anchor {
            None => Utc::now(),
            Some((origin, start)) => {
                start
                    + TimeDelta::from_std(origin.elapsed())
                        .expect("tokio's clock has not run for millions of years")
            }
        }
    }

    /// The tokio instant at which it will be `at`: now, when `at` has passed.
    pub fn instant_for(&self, at: DateTime<Utc>) -> Instant {
        Instant::now() + (at - self.now()).to_std().unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_clock_started_at_an_instant_follows_tokios_time() {
        let start: DateTime<Utc> = "2027-03-14T07:00:00Z".parse().unwrap();
        let clock = TokioClock::starting_at(start);
        assert_eq!(clock.now(), start);

        let later = start + TimeDelta::minutes(90);
        tokio::time::sleep_until(clock.instant_for(later)).await;
        assert_eq!(clock.now(), later);
        assert_eq!(clock.instant_for(start), Instant::now(), "the past is now");
    }
}
