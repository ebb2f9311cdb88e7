//! The everyday cadence: one or more times of day on chosen weekdays ("09:00 and 15:00, Monday–Friday").

use std::fmt;

use chrono::{Datelike, Days, NaiveDateTime, NaiveTime, Timelike, Weekday};

use super::ScheduleError;

/// The most times one daily cadence may hold; more would flood a channel.
pub const MAX_TIMES_PER_DAY: usize = 24;

/// A wall-clock time of day, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(NaiveTime);

const TIME_SHAPES: &str = "write it like 09:00, 9:00, 9am, 9:30pm or 21:30";

impl TimeOfDay {
    /// Accepts `9:00`, `09:00`, `21:30`, `9am`, `9 am`, `9:30pm`, `12am` (midnight) and `12pm` (noon).
    pub fn parse(raw: &str) -> Result<Self, ScheduleError> {
        let typed = raw.trim();
        let bad = |why: &str| {
            ScheduleError::BadTime(format!(
                "`{typed}` is not a time of day: {why}; {TIME_SHAPES}"
            ))
        };
        let lower = typed.to_ascii_lowercase();
        let (clock, meridiem) = if let Some(clock) = lower.strip_suffix("am") {
            (clock.trim_end(), Some(false))
        } else if let Some(clock) = lower.strip_suffix("pm") {
            (clock.trim_end(), Some(true))
        } else {
            (lower.as_str(), None)
        };
        let (hour, minute) = match clock.split_once(':') {
            Some((hour, minute)) if minute.len() == 2 => (hour, minute),
            Some(_) => return Err(bad("minutes take two digits")),
            None if meridiem.is_some() => (clock, "00"),
            None => return Err(bad("it needs minutes or am/pm")),
        };
        let number = |digits: &str| -> Option<u32> {
            (!digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse().ok())
                .flatten()
        };
        let (Some(hour), Some(minute)) = (number(hour), number(minute)) else {
            return Err(bad("use digits for hours and minutes"));
        };
        if minute > 59 {
            return Err(bad("minutes go from 00 to 59"));
        }
        let hour = match meridiem {
            None if hour > 23 => return Err(bad("hours go from 0 to 23")),
            None => hour,
            Some(_) if !(1..=12).contains(&hour) => {
                return Err(bad("with am/pm, hours go from 1 to 12"));
            }
            Some(pm) => hour % 12 + if pm { 12 } else { 0 },
        };
        Ok(TimeOfDay(
            NaiveTime::from_hms_opt(hour, minute, 0).expect("hour and minute were range-checked"),
        ))
    }

    pub fn naive(self) -> NaiveTime {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

/// A set of weekdays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

const DAY_SHAPES: &str = "use mon, tue, wed, thu, fri, sat, sun (or full names), ranges like mon-fri, lists like mon,wed,fri, or weekdays, weekends, daily";

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);

    /// Accepts `mon-fri`, `mon,wed,fri`, `Monday`, `sat-sun`, `fri-mon` (wrapping), `weekdays`, `weekends`,
    /// `daily`/`every day`.
    pub fn parse(raw: &str) -> Result<Self, ScheduleError> {
        let typed = raw.trim();
        let lower = typed.to_ascii_lowercase();
        match lower.as_str() {
            "daily" | "every day" | "everyday" | "all" => return Ok(Self::ALL),
            "weekdays" | "workdays" => return Ok(Self::MONDAY_TO_FRIDAY),
            "weekends" | "weekend" => return Ok(Weekdays(0b110_0000)),
            _ => {}
        }
        let bad = |why: String| ScheduleError::BadDays(format!("`{typed}`: {why}; {DAY_SHAPES}"));
        let day = |token: &str| -> Result<Weekday, ScheduleError> {
            let token = token.trim();
            token
                .parse::<Weekday>()
                .map_err(|_| bad(format!("`{token}` is not a day")))
        };
        let mut set = 0u8;
        for item in lower.split(',') {
            match item.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (day(first)?, day(last)?);
                    let mut current = first;
                    loop {
                        set |= 1 << current.num_days_from_monday();
                        if current == last {
                            break;
                        }
                        current = current.succ();
                    }
                }
                None => set |= 1 << day(item)?.num_days_from_monday(),
            }
        }
        Ok(Weekdays(set))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        if *self == Self::ALL {
            return f.write_str("daily");
        }
        // Runs of three or more consecutive days read better as a range.
        let mut parts = Vec::new();
        let mut day = 0;
        while day < 7 {
            if self.0 & (1 << day) == 0 {
                day += 1;
                continue;
            }
            let start = day;
            while day + 1 < 7 && self.0 & (1 << (day + 1)) != 0 {
                day += 1;
            }
            match day - start {
                0 => parts.push(NAMES[start].to_owned()),
                1 => parts.extend([NAMES[start].to_owned(), NAMES[day].to_owned()]),
                _ => parts.push(format!("{}-{}", NAMES[start], NAMES[day])),
            }
            day += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// Times of day on chosen weekdays, in the schedule's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyTimes {
    /// Sorted, without duplicates, never empty.
    times: Vec<TimeOfDay>,
    days: Weekdays,
}

impl DailyTimes {
    pub fn new(times: Vec<TimeOfDay>, days: Weekdays) -> Result<Self, ScheduleError> {
        let mut times = times;
        times.sort();
        times.dedup();
        if times.is_empty() {
            return Err(ScheduleError::BadTime(format!(
                "give at least one time of day; {TIME_SHAPES}"
            )));
        }
        if times.len() > MAX_TIMES_PER_DAY {
            return Err(ScheduleError::BadTime(format!(
                "{} times a day is too many; give at most {MAX_TIMES_PER_DAY}",
                times.len()
            )));
        }
        Ok(Self { times, days })
    }

    /// Parses a comma-separated list of times (`09:00, 3pm`) and a day set.
    pub fn parse(times: &str, days: &str) -> Result<Self, ScheduleError> {
        let times = times
            .split(',')
            .map(TimeOfDay::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(times, Weekdays::parse(days)?)
    }

    pub fn times(&self) -> &[TimeOfDay] {
        &self.times
    }

    pub fn days(&self) -> Weekdays {
        self.days
    }

    /// The first wall-clock time strictly after `wall` on one of the days at one of the times.
    pub(super) fn next_wall_after(&self, wall: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut date = wall.date();
        // Seven days always reach a chosen weekday; the eighth covers "today, but all times have passed".
        for _ in 0..8 {
            if self.days.contains(date.weekday()) {
                let after = if date == wall.date() {
                    Some(wall.time())
                } else {
                    None
                };
                if let Some(time) = self
                    .times
                    .iter()
                    .map(|t| t.naive())
                    .find(|t| after.is_none_or(|after| *t > after))
                {
                    return Some(date.and_time(time));
                }
            }
            date = date.checked_add_days(Days::new(1))?;
        }
        None
    }
}

impl fmt::Display for DailyTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let times: Vec<String> = self.times.iter().map(ToString::to_string).collect();
        write!(f, "{} {}", times.join(", "), self.days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(raw: &str) -> String {
        TimeOfDay::parse(raw).unwrap().to_string()
    }

    #[test]
    fn every_common_time_spelling_is_accepted() {
        assert_eq!(time("9:00"), "09:00");
        assert_eq!(time("09:00"), "09:00");
        assert_eq!(time("9am"), "09:00");
        assert_eq!(time("9 AM"), "09:00");
        assert_eq!(time("9:30pm"), "21:30");
        assert_eq!(time("21:30"), "21:30");
        assert_eq!(time("12am"), "00:00");
        assert_eq!(time("12pm"), "12:00");
        assert_eq!(time("0:05"), "00:05");
    }

    #[test]
    fn impossible_times_are_refused_with_the_accepted_shapes() {
        for (typed, why) in [
            ("25:00", "hours go from 0 to 23"),
            ("9:60", "minutes go from 00 to 59"),
            ("13pm", "with am/pm, hours go from 1 to 12"),
            ("0am", "with am/pm, hours go from 1 to 12"),
            ("9", "it needs minutes or am/pm"),
            ("9:5", "minutes take two digits"),
            ("nine", "it needs minutes"),
            ("-1:00", "use digits"),
            ("", "it needs minutes"),
        ] {
            let message = TimeOfDay::parse(typed).unwrap_err().to_string();
            assert!(message.contains(why), "{typed}: {message}");
            assert!(message.contains("9am"), "{typed}: {message}");
        }
    }

    #[test]
    fn weekday_sets_parse_and_print_compactly() {
        let days = |raw: &str| Weekdays::parse(raw).unwrap().to_string();
        assert_eq!(days("mon-fri"), "mon-fri");
        assert_eq!(days("Monday, Wednesday,fri"), "mon,wed,fri");
        assert_eq!(days("weekdays"), "mon-fri");
        assert_eq!(days("weekends"), "sat,sun");
        assert_eq!(days("daily"), "daily");
        assert_eq!(days("mon-sun"), "daily");
        assert_eq!(days("fri-mon"), "mon,fri-sun");
    }

    #[test]
    fn unknown_days_are_refused_with_the_accepted_shapes() {
        let message = Weekdays::parse("mon-fry").unwrap_err().to_string();
        assert!(message.contains("`fry` is not a day"), "{message}");
        assert!(message.contains("mon-fri"), "{message}");
        assert!(Weekdays::parse("").is_err());
    }

    #[test]
    fn times_are_sorted_deduplicated_and_bounded() {
        let daily = DailyTimes::parse("15:00, 9am, 09:00", "mon-fri").unwrap();
        assert_eq!(daily.to_string(), "09:00, 15:00 mon-fri");
        let many = (0..25)
            .map(|m| format!("10:{m:02}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            DailyTimes::parse(&many, "daily")
                .unwrap_err()
                .to_string()
                .contains("at most 24")
        );
    }
}
