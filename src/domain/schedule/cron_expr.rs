//! Standard 5-field cron expressions (`minute hour day-of-month month day-of-week`) with POSIX/Vixie
//! semantics, parsed here for clear errors and evaluated by the `cron` crate on wall-clock time.
//!
//! The `cron` crate wants 6 or 7 fields (seconds first), numbers Sunday as 1, and ANDs day-of-month with
//! day-of-week. So we parse the crontab syntax ourselves, expand every field to the set it denotes, and
//! hand the crate explicit lists in its own numbering. For Vixie's "either day field matches" rule we build
//! two crate schedules (one per day field) and take whichever comes first.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ScheduleError;

/// A parsed, validated cron expression that is known to fire at least once.
#[derive(Clone)]
pub struct CronExpr {
    source: String,
    /// One schedule, or two whose union is the expression (Vixie day-of-month OR day-of-week).
    calendars: Vec<cron::Schedule>,
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronExpr({:?})", self.source)
    }
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}
impl Eq for CronExpr {}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for CronExpr {
    type Err = ScheduleError;
    fn from_str(raw: &str) -> Result<Self, ScheduleError> {
        Self::parse(raw)
    }
}

const FIELD_SHAPE: &str = "minute hour day-of-month month day-of-week, like `0 9 * * 1-5`";

impl CronExpr {
    pub fn parse(raw: &str) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.len() != 5 {
            let hint = match fields.len() {
                6 | 7 => " Seconds and years are not supported.",
                _ => "",
            };
            return Err(ScheduleError::Cron(format!(
                "`{}` has {} field{}; a cron expression has exactly 5: {FIELD_SHAPE}.{hint}",
                raw.trim(),
                fields.len(),
                if fields.len() == 1 { "" } else { "s" },
            )));
        }
        let minutes = Field::MINUTE.parse(fields[0])?;
        let hours = Field::HOUR.parse(fields[1])?;
        let days_of_month = Field::DAY_OF_MONTH.parse(fields[2])?;
        let months = Field::MONTH.parse(fields[3])?;
        let mut days_of_week = Field::DAY_OF_WEEK.parse(fields[4])?;
        // 7 is another spelling of Sunday (0).
        if days_of_week.values & (1 << 7) != 0 {
            days_of_week.values = (days_of_week.values | 1) & !(1 << 7);
        }

        let source = fields.join(" ");
        // Vixie cron: when both day fields are restricted, a day matches if either does. A field that starts
        // with `*` (even `*/2`) counts as unrestricted here, exactly as in Vixie's DOM_STAR/DOW_STAR flags.
        let either_day = !days_of_month.starts_with_star && !days_of_week.starts_with_star;
        if !either_day && !has_real_day(days_of_month.values, months.values) {
            return Err(ScheduleError::NeverFires(format!(
                "`{source}` never fires: none of its months has any of its days of the month ({}). Pick days that exist in those months.",
                Field::DAY_OF_MONTH.describe(days_of_month.values)
            )));
        }

        let crate_schedule = |dom: Option<u64>, dow: Option<u64>| {
            let list = |set: Option<u64>, offset: u32| match set {
                None => "*".to_owned(),
                Some(set) => set_to_list(set, offset),
            };
            let text = format!(
                "0 {} {} {} {} {}",
                set_to_list(minutes.values, 0),
                set_to_list(hours.values, 0),
                list(dom, 0),
                set_to_list(months.values, 0),
                // The crate numbers Sunday as 1, crontab as 0.
                list(dow, 1),
            );
            cron::Schedule::from_str(&text).map_err(|err| {
                ScheduleError::Cron(format!(
                    "`{source}` could not be evaluated ({err}); please report this expression"
                ))
            })
        };
        let calendars = if either_day {
            vec![
                crate_schedule(Some(days_of_month.values), None)?,
                crate_schedule(None, Some(days_of_week.values))?,
            ]
        } else {
            vec![crate_schedule(
                Some(days_of_month.values),
                Some(days_of_week.values),
            )?]
        };
        Ok(Self { source, calendars })
    }

    /// The first wall-clock time strictly after `wall` that the expression matches, or `None` past the
    /// `cron` crate's last year (2100).
    pub(super) fn next_wall_after(&self, wall: NaiveDateTime) -> Option<NaiveDateTime> {
        // The crate is only used as a calendar: feeding it UTC keeps it away from DST, which is our job.
        let start = DateTime::<Utc>::from_naive_utc_and_offset(wall, Utc);
        self.calendars
            .iter()
            .filter_map(|calendar| calendar.after(&start).next())
            .min()
            .map(|next| next.naive_utc())
    }
}

/// Whether some month in `months` has some day in `days_of_month` (February counts its 29th).
fn has_real_day(days_of_month: u64, months: u64) -> bool {
    const LONGEST: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).any(|month| {
        months & (1 << month) != 0
            && (1..=LONGEST[month]).any(|day| days_of_month & (1 << day) != 0)
    })
}

fn set_to_list(set: u64, offset: u32) -> String {
    (0..64)
        .filter(|bit| set & (1 << bit) != 0)
        .map(|bit| (bit + offset).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The values one field denotes, as a bit set, and whether it was written starting with `*`.
struct FieldSet {
    values: u64,
    starts_with_star: bool,
}

/// The rules of one crontab field.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`.
    first_name_value: u32,
}

impl Field {
    const MINUTE: Field = Field::numeric("minute", 0, 59);
    const HOUR: Field = Field::numeric("hour", 0, 23);
    const DAY_OF_MONTH: Field = Field::numeric("day-of-month", 1, 31);
    const MONTH: Field = Field {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
        first_name_value: 1,
    };
    const DAY_OF_WEEK: Field = Field {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        first_name_value: 0,
    };

    const fn numeric(name: &'static str, min: u32, max: u32) -> Field {
        Field {
            name,
            min,
            max,
            names: &[],
            first_name_value: 0,
        }
    }

    fn allowed(&self) -> String {
        let mut allowed = format!("{}-{}", self.min, self.max);
        if self.name == "day-of-week" {
            allowed.push_str(" (0 and 7 are Sunday)");
        }
        if let (Some(first), Some(last)) = (self.names.first(), self.names.last()) {
            allowed.push_str(&format!(
                " or names {}-{}",
                first.to_uppercase(),
                last.to_uppercase()
            ));
        }
        allowed
    }

    fn error(&self, raw: &str, problem: impl fmt::Display) -> ScheduleError {
        ScheduleError::Cron(format!(
            "{} field `{raw}`: {problem}. Allowed: {}, `*`, ranges (1-5), lists (1,3,5) and steps (*/15, 8-18/2).",
            self.name,
            self.allowed()
        ))
    }

    fn parse(&self, raw: &str) -> Result<FieldSet, ScheduleError> {
        let mut values = 0u64;
        for item in raw.split(',') {
            values |= self.parse_item(raw, item)?;
        }
        Ok(FieldSet {
            values,
            starts_with_star: raw.starts_with('*'),
        })
    }

    /// One list item: `*`, `N`, `N-M`, each optionally followed by `/STEP`; `N/STEP` means `N-max/STEP`.
    fn parse_item(&self, field: &str, item: &str) -> Result<u64, ScheduleError> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| {
                    self.error(field, format_args!("step `{step}` is not a whole number"))
                })?;
                if step == 0 {
                    return Err(self.error(field, "a step must be at least 1"));
                }
                (range, Some(step))
            }
            None => (item, None),
        };
        let (low, high) = if range == "*" {
            (self.min, self.max)
        } else if let Some((low, high)) = range.split_once('-') {
            let (low, high) = (self.value(field, low)?, self.value(field, high)?);
            if low > high {
                return Err(self.error(
                    field,
                    format_args!("the range {range} runs backwards; put the smaller end first or split it into a list"),
                ));
            }
            (low, high)
        } else {
            let single = self.value(field, range)?;
            (single, if step.is_some() { self.max } else { single })
        };
        let step = step.unwrap_or(1);
        Ok((low..=high)
            .step_by(step as usize)
            .fold(0u64, |set, value| set | (1 << value)))
    }

    fn value(&self, field: &str, token: &str) -> Result<u32, ScheduleError> {
        if token.is_empty() {
            return Err(self.error(field, "a value is missing"));
        }
        let lower = token.to_ascii_lowercase();
        if let Some(index) = self.names.iter().position(|name| *name == lower) {
            return Ok(self.first_name_value + index as u32);
        }
        let number: u32 = token
            .parse()
            .map_err(|_| self.error(field, format_args!("`{token}` is not a {}", self.name)))?;
        if number < self.min || number > self.max {
            return Err(self.error(field, format_args!("{number} is out of range")));
        }
        Ok(number)
    }

    fn describe(&self, set: u64) -> String {
        set_to_list(set, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn next_walls(expr: &str, from: NaiveDateTime, count: usize) -> Vec<NaiveDateTime> {
        let expr = CronExpr::parse(expr).unwrap();
        std::iter::successors(expr.next_wall_after(from), |w| expr.next_wall_after(*w))
            .take(count)
            .collect()
    }

    fn error(expr: &str) -> String {
        CronExpr::parse(expr).unwrap_err().to_string()
    }

    #[test]
    fn zero_and_seven_are_both_sunday() {
        // 2027-03-06 is a Saturday.
        let from = wall(2027, 3, 6, 12, 0);
        assert_eq!(next_walls("0 9 * * 0", from, 1), [wall(2027, 3, 7, 9, 0)]);
        assert_eq!(next_walls("0 9 * * 7", from, 1), [wall(2027, 3, 7, 9, 0)]);
        assert_eq!(next_walls("0 9 * * SUN", from, 1), [wall(2027, 3, 7, 9, 0)]);
    }

    #[test]
    fn names_are_case_insensitive() {
        let from = wall(2027, 1, 1, 0, 0);
        assert_eq!(
            next_walls("30 8 * jan Mon", from, 2),
            [wall(2027, 1, 4, 8, 30), wall(2027, 1, 11, 8, 30)]
        );
    }

    #[test]
    fn ranges_lists_and_steps() {
        let from = wall(2027, 3, 1, 0, 0);
        let fires = next_walls("15 8-18/2 * * *", from, 7);
        let hours: Vec<u32> = fires.iter().map(chrono::Timelike::hour).collect();
        assert_eq!(hours, [8, 10, 12, 14, 16, 18, 8]);
        assert_eq!(
            next_walls("0,30 9 * * *", from, 3),
            [
                wall(2027, 3, 1, 9, 0),
                wall(2027, 3, 1, 9, 30),
                wall(2027, 3, 2, 9, 0)
            ]
        );
        // `N/STEP` runs from N to the end of the field.
        assert_eq!(
            next_walls("50/5 9 * * *", from, 3),
            [
                wall(2027, 3, 1, 9, 50),
                wall(2027, 3, 1, 9, 55),
                wall(2027, 3, 2, 9, 50)
            ]
        );
    }

    #[test]
    fn restricted_day_of_month_or_day_of_week_matches_either() {
        // The 13th of the month or any Friday: 2027-08 has Fridays 6, 13, 20, 27.
        let from = wall(2027, 8, 1, 0, 0);
        let days: Vec<u32> = next_walls("0 9 13 * 5", from, 5)
            .iter()
            .map(chrono::Datelike::day)
            .collect();
        assert_eq!(days, [6, 13, 20, 27, 3]);
    }

    #[test]
    fn a_star_prefixed_day_field_combines_with_and_as_in_vixie_cron() {
        // Odd days of the month that are also Mondays: 2027-03-01, 03-15, 03-29.
        let from = wall(2027, 2, 28, 0, 0);
        let days: Vec<u32> = next_walls("0 9 */2 * mon", from, 3)
            .iter()
            .map(chrono::Datelike::day)
            .collect();
        assert_eq!(days, [1, 15, 29]);
    }

    #[test]
    fn four_or_six_fields_are_refused_with_the_shape() {
        assert!(error("0 9 * *").contains("has 4 fields; a cron expression has exactly 5"));
        let six = error("0 0 9 * * *");
        assert!(
            six.contains("has 6 fields") && six.contains("Seconds and years are not supported")
        );
    }

    #[test]
    fn out_of_range_values_are_refused_with_what_is_allowed() {
        let dow = error("0 9 * * 8");
        assert!(
            dow.contains("day-of-week field `8`: 8 is out of range"),
            "{dow}"
        );
        assert!(dow.contains("0-7 (0 and 7 are Sunday)"), "{dow}");
        assert!(error("60 9 * * *").contains("minute field `60`: 60 is out of range"));
        assert!(error("0 24 * * *").contains("hour field `24`"));
        assert!(error("0 9 0 * *").contains("day-of-month field `0`"));
        assert!(error("0 9 * 13 *").contains("month field `13`"));
        assert!(error("0 9 * foo *").contains("`foo` is not a month"));
    }

    #[test]
    fn a_zero_step_is_refused() {
        assert!(error("*/0 * * * *").contains("a step must be at least 1"));
        assert!(error("*/x * * * *").contains("step `x` is not a whole number"));
    }

    #[test]
    fn backwards_ranges_and_empty_items_are_refused() {
        assert!(error("0 9 * * 5-1").contains("runs backwards"));
        assert!(error("0 9,,10 * * *").contains("a value is missing"));
    }

    #[test]
    fn an_expression_that_never_fires_is_refused() {
        let feb30 = error("0 9 30 2 *");
        assert!(feb30.contains("never fires"), "{feb30}");
        assert!(error("0 9 31 4,6,9,11 *").contains("never fires"));
        // With a weekday as well, Vixie's OR makes it fire on that weekday.
        assert!(CronExpr::parse("0 9 30 2 mon").is_ok());
        // February 29th does exist, in leap years.
        assert_eq!(
            next_walls("0 9 29 2 *", wall(2027, 1, 1, 0, 0), 1),
            [wall(2028, 2, 29, 9, 0)]
        );
    }

    #[test]
    fn whitespace_is_normalised_in_the_source() {
        assert_eq!(
            CronExpr::parse("  0  9 * *   1-5 ").unwrap().to_string(),
            "0 9 * * 1-5"
        );
    }
}
