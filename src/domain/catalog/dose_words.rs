//! A dose in plain words, as a server admin types it (`hold 20-30 s, 2-3 reps, per side`, `5 breaths`,
//! `every hour`), read into the [`Dose`] the content files hold, with the same bounds
//! ([`super::load::DOSE_RANGES`]), and written back in the same words for editing and export.

use std::fmt;

use super::entry::{Amount, Dose};
use super::load::{DOSE_RANGES, Limits};

/// What the words say: the dose and whether it is done on each side. Stored as its words.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DoseWords {
    pub dose: Dose,
    pub per_side: bool,
}

impl From<DoseWords> for String {
    fn from(words: DoseWords) -> String {
        words.to_string()
    }
}

impl TryFrom<String> for DoseWords {
    type Error = DoseError;
    fn try_from(text: String) -> Result<Self, DoseError> {
        parse_dose(&text)
    }
}

/// Why a dose could not be read; the message names the part and says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DoseError(String);

/// What every message ends with, so the admin sees each accepted shape.
const SHAPES: &str = "write parts like `hold 20-30 s`, `hold 1 min`, `10 reps`, `2-3 sets`, `5 breaths`, `per side` or `every hour`, separated by commas";

/// Reads a dose. Parts are separated by commas, semicolons or `·`; each is one of a hold (`hold 20-30 s`,
/// `hold up to 2 min`, `30 seconds`), reps, sets, breaths, `per side` / `each side`, or how often
/// (`every hour`, `twice a day`, `3 times a day`). Each may be given once.
pub fn parse_dose(text: &str) -> Result<DoseWords, DoseError> {
    let parts: Vec<&str> = text
        .split([',', ';', '·', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(DoseError(format!(
            "the dose is empty; {SHAPES}, or `at your own pace`"
        )));
    }
    let mut words = DoseWords::default();
    for part in parts {
        read_part(&mut words, part)?;
    }
    Ok(words)
}

fn read_part(words: &mut DoseWords, part: &str) -> Result<(), DoseError> {
    let lower = part.to_lowercase();
    let tokens: Vec<&str> = lower.split_whitespace().collect();
    match tokens.as_slice() {
        ["at", "your", "own", "pace"] => return Ok(()),
        ["per" | "each", "side"] | ["both", "sides"] | ["on", "each", "side"] => {
            return once(part, &mut words.per_side, true);
        }
        [first, ..] if is_frequency(first, &tokens) => {
            let mut frequency = words.dose.frequency.take();
            let result = once_text(part, &mut frequency, part.to_owned());
            words.dose.frequency = frequency;
            return result;
        }
        _ => {}
    }
    let (hold, rest) = match tokens.as_slice() {
        ["hold", "for", rest @ ..] | ["hold", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let (up_to, rest) = match rest {
        ["up", "to", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let Some((mut amount, unit)) = amount_and_unit(rest) else {
        return Err(DoseError(format!(
            "`{part}` in the dose is not a hold, reps, sets, breaths, a side or how often; {SHAPES}"
        )));
    };
    if up_to {
        amount.min = 0;
    }
    let (slot, limits, scale) = match unit {
        Unit::Seconds(scale) => (&mut words.dose.hold_s, &DOSE_RANGES[0], scale),
        Unit::Reps if !hold => (&mut words.dose.reps, &DOSE_RANGES[1], 1),
        Unit::Sets if !hold => (&mut words.dose.sets, &DOSE_RANGES[2], 1),
        Unit::Breaths => (&mut words.dose.breaths, &DOSE_RANGES[3], 1),
        Unit::Reps | Unit::Sets => {
            return Err(DoseError(format!(
                "`{part}` in the dose holds reps or sets; a hold is in seconds, minutes or breaths (`hold 20 s`), and reps stand alone (`10 reps`)"
            )));
        }
    };
    let amount = Amount {
        min: amount.min.saturating_mul(scale),
        max: amount.max.saturating_mul(scale),
    };
    check_bounds(part, amount, limits, !up_to)?;
    if slot.is_some() {
        return Err(twice(part));
    }
    *slot = Some(amount);
    Ok(())
}

fn is_frequency(first: &str, tokens: &[&str]) -> bool {
    matches!(first, "every" | "once" | "twice" | "daily" | "hourly")
        || (tokens.len() >= 3 && tokens[1] == "times" && tokens[0].parse::<u32>().is_ok())
}

fn once(part: &str, slot: &mut bool, value: bool) -> Result<(), DoseError> {
    if *slot {
        return Err(twice(part));
    }
    *slot = value;
    Ok(())
}

fn once_text(part: &str, slot: &mut Option<String>, value: String) -> Result<(), DoseError> {
    if slot.is_some() {
        return Err(twice(part));
    }
    *slot = Some(value);
    Ok(())
}

fn twice(part: &str) -> DoseError {
    DoseError(format!(
        "the dose says `{part}` and something of the same kind before it; give each part once"
    ))
}

/// `min_written`: the lower number was typed (not implied by "up to"), so it must make sense on its own.
fn check_bounds(
    part: &str,
    amount: Amount,
    limits: &Limits,
    min_written: bool,
) -> Result<(), DoseError> {
    if amount.max == 0 {
        return Err(DoseError(format!(
            "`{part}` in the dose is zero; give at least 1"
        )));
    }
    if amount.max > limits.most {
        return Err(DoseError(format!(
            "`{part}` in the dose is more than {} {}; check the number",
            limits.most, limits.unit
        )));
    }
    if min_written && amount.min < limits.least_min {
        return Err(DoseError(format!(
            "`{part}` in the dose starts below {} {}; raise the lower number",
            limits.least_min, limits.unit
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Seconds, times this many per unit (60 for minutes).
    Seconds(u32),
    Reps,
    Sets,
    Breaths,
}

/// `20-30 s`, `20 – 30 seconds`, `20 to 30 s`, `2min`, `10 reps`.
fn amount_and_unit(tokens: &[&str]) -> Option<(Amount, Unit)> {
    let joined = tokens.join(" ");
    // The unit is what follows the last digit; the range is everything before it.
    let split = joined.rfind(|c: char| c.is_ascii_digit())? + 1;
    let (numbers, unit) = joined.split_at(split);
    let unit = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => Unit::Seconds(1),
        "min" | "mins" | "minute" | "minutes" => Unit::Seconds(60),
        "rep" | "reps" | "repetition" | "repetitions" | "times" => Unit::Reps,
        "set" | "sets" => Unit::Sets,
        "breath" | "breaths" => Unit::Breaths,
        _ => return None,
    };
    let numbers = numbers.replace(" to ", "-").replace(['–', '—'], "-");
    let (min, max) = match numbers.split_once('-') {
        Some((min, max)) => (min.trim().parse().ok()?, max.trim().parse().ok()?),
        None => {
            let only = numbers.trim().parse().ok()?;
            (only, only)
        }
    };
    (min <= max).then_some((Amount { min, max }, unit))
}

/// The dose in the words [`parse_dose`] reads back to the same value: what an edit form is filled with.
impl fmt::Display for DoseWords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dose = &self.dose;
        let mut parts = Vec::new();
        if let Some(hold) = dose.hold_s {
            parts.push(match hold.min {
                0 => format!("hold up to {} s", hold.max),
                _ => format!("hold {hold} s").replace('–', "-"),
            });
        }
        if let Some(breaths) = dose.breaths {
            parts.push(match breaths.min {
                0 => format!("up to {} breaths", breaths.max),
                _ => format!("{breaths} breaths").replace('–', "-"),
            });
        }
        for (amount, unit) in [(dose.reps, "reps"), (dose.sets, "sets")] {
            if let Some(amount) = amount {
                parts.push(match amount.min {
                    0 => format!("up to {} {unit}", amount.max),
                    _ => format!("{amount} {unit}").replace('–', "-"),
                });
            }
        }
        if self.per_side {
            parts.push("per side".to_owned());
        }
        parts.extend(dose.frequency.clone());
        if parts.is_empty() {
            f.write_str("at your own pace")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: u32, max: u32) -> Option<Amount> {
        Some(Amount { min, max })
    }

    #[test]
    fn a_hold_with_reps_per_side() {
        let words = parse_dose("hold 20-30 s, 2-3 reps, per side").unwrap();
        assert_eq!(words.dose.hold_s, range(20, 30));
        assert_eq!(words.dose.reps, range(2, 3));
        assert!(words.per_side);
        assert_eq!(words.dose.sets, None);
    }

    #[test]
    fn breaths_alone() {
        let words = parse_dose("5 breaths").unwrap();
        assert_eq!(words.dose.breaths, range(5, 5));
        assert!(!words.per_side);
    }

    #[test]
    fn how_often_is_kept_as_written() {
        let words = parse_dose("every hour").unwrap();
        assert_eq!(words.dose.frequency.as_deref(), Some("every hour"));
        let words = parse_dose("10 reps; 3 times a day").unwrap();
        assert_eq!(words.dose.frequency.as_deref(), Some("3 times a day"));
        assert_eq!(words.dose.reps, range(10, 10));
    }

    #[test]
    fn minutes_ranges_in_words_and_up_to() {
        let words = parse_dose("Hold for 1 to 2 minutes · 2 sets").unwrap();
        assert_eq!(words.dose.hold_s, range(60, 120));
        assert_eq!(words.dose.sets, range(2, 2));
        let words = parse_dose("hold up to 90 seconds, each side").unwrap();
        assert_eq!(words.dose.hold_s, range(0, 90));
        assert!(words.per_side);
        assert_eq!(parse_dose("30s").unwrap().dose.hold_s, range(30, 30));
        assert_eq!(parse_dose("20–30 s").unwrap().dose.hold_s, range(20, 30));
    }

    #[test]
    fn at_your_own_pace_is_no_dose() {
        assert_eq!(
            parse_dose("at your own pace").unwrap(),
            DoseWords::default()
        );
    }

    #[test]
    fn unreadable_parts_are_named_with_the_shapes_to_use() {
        let error = parse_dose("hold 20 s, lots").unwrap_err().to_string();
        assert!(error.contains("`lots`"), "{error}");
        assert!(error.contains("hold 20-30 s"), "{error}");
        assert!(parse_dose("").unwrap_err().to_string().contains("empty"));
        assert!(parse_dose("10 bananas").is_err());
        assert!(parse_dose("30-20 s").is_err());
    }

    #[test]
    fn the_content_files_bounds_hold() {
        let error = parse_dose("hold 2 hours").unwrap_err().to_string();
        assert!(error.contains("`hold 2 hours`"), "{error}");
        let error = parse_dose("hold 61 min").unwrap_err().to_string();
        assert!(error.contains("more than 3600 seconds"), "{error}");
        assert!(
            parse_dose("0 reps")
                .unwrap_err()
                .to_string()
                .contains("zero")
        );
        assert!(
            parse_dose("0-3 sets").is_err(),
            "a count of 0 sets is no exercise"
        );
    }

    #[test]
    fn a_part_given_twice_is_refused() {
        let error = parse_dose("10 reps, 12 reps").unwrap_err().to_string();
        assert!(error.contains("give each part once"), "{error}");
        assert!(parse_dose("per side, each side").is_err());
        assert!(parse_dose("hold 5 reps").is_err());
    }

    #[test]
    fn the_written_form_reads_back_the_same() {
        for text in [
            "hold 20-30 s, 2-3 reps, per side",
            "5 breaths",
            "every hour",
            "hold up to 90 s, up to 5 breaths, 10 reps, 2 sets, per side, twice a day",
            "up to 3 reps, up to 2 sets",
            "at your own pace",
        ] {
            let words = parse_dose(text).unwrap();
            assert_eq!(words.to_string(), text);
            assert_eq!(parse_dose(&words.to_string()).unwrap(), words);
        }
    }
}
