//! Personal reminders: a member's own schedule, sent to them by direct message in their zone, with the
//! same rotation and exactly-once posting as a server's schedules, plus snoozing.
//!
//! A reminder is kept and posted as a [`PostingSchedule`] of the member's own space, [`PERSONAL`], whose
//! channel is the member's DM channel with the bot: the poster claims, sends (with the fire's nonce) and
//! confirms its fires exactly as for a server's schedule, and its rotation never repeats within a cycle.
//! What only a reminder has sits beside it: its member, a pending snooze, and whether the member has
//! been told why it paused.

use chrono::{DateTime, Days, Duration, NaiveTime, TimeZone, Utc};
use thiserror::Error;

use super::catalog::{Filters, StretchId};
use super::posting::{ChannelId, GuildId, PostingSchedule, UserId};
use super::schedule::{Cadence, DailyTimes, Schedule, ScheduleError, Zone};

/// The member's own space, in place of a server: the guild of every reminder's schedule, and of the
/// check-ins pressed under a reminder DM, which therefore count for the member's own stats and never for
/// a server's team. Discord ids are never 0.
pub const PERSONAL: GuildId = GuildId(0);

/// At most this many reminders per member.
pub const MAX_REMINDERS_PER_MEMBER: usize = 5;

/// What a member sets up; the store adds the id and keeps the running state.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReminder {
    pub user: UserId,
    /// The member's DM channel with the bot, where every fire is sent.
    pub dm_channel: ChannelId,
    pub schedule: Schedule,
    pub filters: Filters,
}

/// A reminder as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    /// The schedule the poster posts: guild [`PERSONAL`], channel the member's DM, `created_by` the
    /// member, no role.
    pub posting: PostingSchedule,
    pub user: UserId,
    /// A snoozed DM to send again once, at its instant, besides the regular cadence.
    pub snooze: Option<Snooze>,
    /// Whether the member has been told why the reminder paused (told once, at their next command).
    pub pause_told: bool,
}

/// One snoozed reminder: the stretch of the DM that was snoozed, to be sent again at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snooze {
    pub at: DateTime<Utc>,
    pub stretch: StretchId,
}

/// How long a member puts a reminder off, from the buttons under every reminder DM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnoozeFor {
    HalfAnHour,
    AnHour,
    /// The same wall time tomorrow, in the reminder's zone.
    Tomorrow,
}

impl SnoozeFor {
    pub const ALL: [SnoozeFor; 3] = [
        SnoozeFor::HalfAnHour,
        SnoozeFor::AnHour,
        SnoozeFor::Tomorrow,
    ];

    /// Its spelling in a button's id: short, since the id also carries a schedule and a stretch id.
    pub fn as_str(self) -> &'static str {
        match self {
            SnoozeFor::HalfAnHour => "30",
            SnoozeFor::AnHour => "60",
            SnoozeFor::Tomorrow => "tm",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|choice| choice.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            SnoozeFor::HalfAnHour => "in 30 min",
            SnoozeFor::AnHour => "in 1 h",
            SnoozeFor::Tomorrow => "tomorrow",
        }
    }

    /// When a DM snoozed at `now` comes back: on the whole minute, as every fire is. Tomorrow is the
    /// same wall time on the next day in `zone` (DST resolved as for any fire: a skipped time goes
    /// forward, a repeated one takes its first occurrence), or a day later if that date has no such time.
    pub fn until(self, now: DateTime<Utc>, zone: Zone) -> DateTime<Utc> {
        let minute = whole_minute(now);
        match self {
            SnoozeFor::HalfAnHour => minute + Duration::minutes(30),
            SnoozeFor::AnHour => minute + Duration::hours(1),
            SnoozeFor::Tomorrow => {
                let tz = zone.tz();
                let wall = minute.with_timezone(&tz).naive_local();
                let tomorrow = wall.checked_add_days(Days::new(1)).unwrap_or(wall);
                tz.from_local_datetime(&tomorrow)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc))
                    .unwrap_or(minute + Duration::days(1))
            }
        }
    }
}

fn whole_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp() - at.timestamp().rem_euclid(60), 0).unwrap_or(at)
}

/// "Skip today": the reminder's first fire after today in its zone, so that nothing more is sent today
/// and the cadence goes on tomorrow.
pub fn next_after_today(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tz = schedule.zone.tz();
    let today = now.with_timezone(&tz).date_naive();
    let tomorrow = today.checked_add_days(Days::new(1))?;
    // The last instant of today on the zone's clock, whatever its offset then.
    let end_of_today = tz
        .from_local_datetime(&tomorrow.and_time(NaiveTime::MIN))
        .earliest()
        .map(|at| at.with_timezone(&Utc) - Duration::seconds(1))
        .unwrap_or(now);
    schedule.next_after(end_of_today.max(now))
}

/// What a member typed for a reminder that cannot make one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReminderError {
    #[error("{0}")]
    Schedule(#[from] ScheduleError),
    #[error(
        "Which time zone? Add `tz` (like Europe/Berlin), or save yours once with `/remind timezone`."
    )]
    NoZone,
}

/// The reminder schedule a member asks for: `times` on `days` (every day by default), read in `tz` or
/// else their saved zone. The same parsers as a server's schedule, so the same inputs work.
pub fn reminder_schedule(
    times: &str,
    days: Option<&str>,
    tz: Option<&str>,
    saved_zone: Option<Zone>,
) -> Result<Schedule, ReminderError> {
    let cadence = Cadence::Daily(DailyTimes::parse(times, days.unwrap_or("daily"))?);
    let zone = match tz {
        Some(tz) => Zone::parse(tz)?,
        None => saved_zone.ok_or(ReminderError::NoZone)?,
    };
    Ok(Schedule::new(zone, cadence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn a_reminder_takes_the_given_zone_or_the_saved_one() {
        let berlin = zone("Europe/Berlin");
        let schedule = reminder_schedule("9am", Some("mon-fri"), None, Some(berlin)).unwrap();
        assert_eq!(schedule.zone, berlin);
        assert_eq!(
            schedule.next_after(at("2027-03-12T09:00:00Z")),
            Some(at("2027-03-15T08:00:00Z")),
            "Friday after 09:00 Berlin: Monday at 09:00 (UTC+1)"
        );
        let given = reminder_schedule("09:00", None, Some("America/New_York"), Some(berlin));
        assert_eq!(given.unwrap().zone, zone("America/New_York"));
        assert_eq!(
            reminder_schedule("09:00", None, None, None),
            Err(ReminderError::NoZone)
        );
        let unknown = reminder_schedule("09:00", None, Some("Europe/Berlim"), None).unwrap_err();
        assert!(unknown.to_string().contains("Europe/Berlin"), "{unknown}");
        assert!(reminder_schedule("25:00", None, Some("UTC"), None).is_err());
        assert!(reminder_schedule("09:00", Some("someday"), Some("UTC"), None).is_err());
    }

    #[test]
    fn snoozes_come_back_on_the_minute_and_tomorrow_keeps_the_wall_time_across_dst() {
        let new_york = zone("America/New_York");
        let now = at("2027-03-13T14:00:25Z"); // Sat 09:00 EST
        assert_eq!(
            SnoozeFor::HalfAnHour.until(now, new_york),
            at("2027-03-13T14:30:00Z")
        );
        assert_eq!(
            SnoozeFor::AnHour.until(now, new_york),
            at("2027-03-13T15:00:00Z")
        );
        assert_eq!(
            SnoozeFor::Tomorrow.until(now, new_york),
            at("2027-03-14T13:00:00Z"),
            "Sunday 09:00 is EDT"
        );
        for choice in SnoozeFor::ALL {
            assert_eq!(SnoozeFor::parse(choice.as_str()), Some(choice));
        }
        assert_eq!(SnoozeFor::parse("forever"), None);
    }

    #[test]
    fn skipping_today_goes_to_the_first_fire_of_a_later_day() {
        let schedule =
            reminder_schedule("09:00, 15:00", None, Some("Europe/Berlin"), None).unwrap();
        // 10:00 Berlin: today's 15:00 is skipped.
        assert_eq!(
            next_after_today(&schedule, at("2027-06-01T08:00:00Z")),
            Some(at("2027-06-02T07:00:00Z"))
        );
        // 23:30 Berlin: still today there, so tomorrow's first fire.
        assert_eq!(
            next_after_today(&schedule, at("2027-06-01T21:30:00Z")),
            Some(at("2027-06-02T07:00:00Z"))
        );
    }
}
