//! IANA time zones as schedules use them: parsing what people type, and suggesting close names.

use std::fmt;
use std::str::FromStr;

use chrono_tz::{TZ_VARIANTS, Tz};

use super::ScheduleError;

/// An IANA time zone (`Europe/Berlin`), the zone a schedule's wall-clock times are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// Accepts the exact IANA name and, forgivingly, other capitalisations and spaces for underscores
    /// (`europe/berlin`, `America/New York`). Anything else is refused with close names to try.
    pub fn parse(raw: &str) -> Result<Self, ScheduleError> {
        let typed = raw.trim();
        if let Ok(tz) = Tz::from_str(typed) {
            return Ok(Zone(tz));
        }
        let wanted = typed.replace(' ', "_");
        if let Some(tz) = TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(&wanted))
        {
            return Ok(Zone(*tz));
        }
        Err(ScheduleError::UnknownZone {
            input: typed.to_owned(),
            suggestions: Self::suggest(typed, 3),
        })
    }

    /// Up to `limit` zone names closest to what was typed, best first: names containing it
    /// (`berlin` → `Europe/Berlin`), then the most similar spellings.
    pub fn suggest(typed: &str, limit: usize) -> Vec<&'static str> {
        let wanted = typed.trim().to_lowercase().replace(' ', "_");
        let mut ranked: Vec<(f64, &'static str)> = TZ_VARIANTS
            .iter()
            .map(|tz| {
                let name = tz.name();
                let lower = name.to_lowercase();
                let city = lower.rsplit('/').next().unwrap_or(&lower);
                let score = if !wanted.is_empty() && lower.contains(&wanted) {
                    // Prefer a whole city over a fragment of a longer name.
                    2.0 + f64::from(u8::from(city == wanted))
                } else {
                    strsim::jaro_winkler(&wanted, &lower).max(strsim::jaro_winkler(&wanted, city))
                };
                (score, name)
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.len().cmp(&b.1.len())));
        ranked
            .into_iter()
            .take(limit)
            .map(|(_, name)| name)
            .collect()
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl FromStr for Zone {
    type Err = ScheduleError;
    fn from_str(raw: &str) -> Result<Self, ScheduleError> {
        Self::parse(raw)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_forgiving_spellings_are_accepted() {
        assert_eq!(
            Zone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::parse(" europe/berlin ").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(
            Zone::parse("America/New York").unwrap().name(),
            "America/New_York"
        );
        assert_eq!(Zone::parse("UTC").unwrap(), Zone::UTC);
    }

    #[test]
    fn an_unknown_zone_suggests_close_names() {
        let message = Zone::parse("Europe/Berln").unwrap_err().to_string();
        assert!(message.contains("Did you mean Europe/Berlin"), "{message}");
        let message = Zone::parse("Berlin").unwrap_err().to_string();
        assert!(message.contains("Europe/Berlin"), "{message}");
        let message = Zone::parse("New York").unwrap_err().to_string();
        assert!(message.contains("America/New_York"), "{message}");
    }

    #[test]
    fn suggestions_never_panic_on_odd_input() {
        for typed in ["", " ", "💥", "/", "a".repeat(500).as_str()] {
            assert!(Zone::suggest(typed, 3).len() <= 3);
            assert!(Zone::parse(typed).is_err());
        }
    }
}
