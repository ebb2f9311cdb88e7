//! Participation: the "I did it" check-ins members record after a stretch, and the streaks and stats
//! built from them (`/stats me`, `/stats team`).
//!
//! A check-in belongs to a member's **local day**, the calendar date in the zone of the schedule that
//! posted the stretch (the guild's default zone for timers), so that a press at 23:30 counts for the day
//! the member sees on the wall, across daylight-saving changes too. A member checks in at most once a
//! day: the store keeps the first press, and everything here also tolerates duplicates.
//!
//! Only ids and dates are kept: guild, member, day and stretch. Everything below is pure; "today" is
//! always passed in, never read.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};

use super::catalog::StretchId;
use super::posting::{GuildId, UserId};
use super::schedule::Zone;

/// Weeks run Monday to Sunday, as in ISO 8601 and most teams' calendars.
pub const WEEK_STARTS_ON: Weekday = Weekday::Mon;

/// The longest top-streaks list `/stats team` shows.
pub const MAX_TOP_STREAKS: usize = 10;

/// One member's "I did it" for one local day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckIn {
    pub guild: GuildId,
    pub user: UserId,
    /// The local date in the zone the stretch was posted in.
    pub day: NaiveDate,
    pub stretch: StretchId,
}

/// The local date of `instant` in `zone`: the day a press at that instant counts for.
pub fn local_day(instant: DateTime<Utc>, zone: Zone) -> NaiveDate {
    instant.with_timezone(&zone.tz()).date_naive()
}

/// A member's runs of consecutive days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streaks {
    /// The run ending today, or yesterday while today has no check-in yet; 0 once a day is missed.
    pub current: u32,
    /// The longest run ever.
    pub best: u32,
}

/// Streaks from the days a member checked in, in any order and with duplicates allowed.
///
/// The current streak still counts on a day with no check-in yet, since the member may yet check in:
/// only a whole missed day breaks it. A day after `today` (a schedule in a zone ahead of the one `today`
/// was read in) extends the run it joins.
pub fn streaks(days: &[NaiveDate], today: NaiveDate) -> Streaks {
    let days: BTreeSet<NaiveDate> = days.iter().copied().collect();
    let yesterday = today.pred_opt();
    let mut result = Streaks::default();
    let mut run = 0u32;
    let mut previous: Option<NaiveDate> = None;
    let mut run_is_current = false;
    for &day in &days {
        let continues = previous.and_then(|day| day.succ_opt()) == Some(day);
        if !continues {
            run = 0;
            run_is_current = false;
        }
        run += 1;
        run_is_current |= day == today || Some(day) == yesterday;
        result.best = result.best.max(run);
        if run_is_current {
            result.current = run;
        }
        previous = Some(day);
    }
    result
}

/// The first day of the week holding `today`, for weeks that start on `week_start`.
pub fn week_of(today: NaiveDate, week_start: Weekday) -> NaiveDate {
    let into_week = today.weekday().days_since(week_start);
    today - Days::new(u64::from(into_week))
}

/// What `/stats me` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStats {
    pub current: u32,
    pub best: u32,
    /// Days checked in during the week holding `today`.
    pub this_week: u32,
    /// Days checked in, ever.
    pub total: u32,
    /// The stretch checked in most often; on a tie, the one checked in most recently.
    pub favourite: Option<StretchId>,
}

/// Stats of one member from their check-ins (the caller passes one member's, from one guild). A second
/// check-in on the same day counts once, with the stretch of the first one given.
pub fn member_stats(check_ins: &[CheckIn], today: NaiveDate, week_start: Weekday) -> MemberStats {
    let by_day = first_per_day(check_ins.iter());
    let days: Vec<NaiveDate> = by_day.keys().copied().collect();
    let Streaks { current, best } = streaks(&days, today);
    let week = week_range(today, week_start);
    MemberStats {
        current,
        best,
        this_week: count(days.iter().filter(|day| week.contains(day))),
        total: count(days.iter()),
        favourite: favourite(&by_day),
    }
}

/// What `/stats team` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamStats {
    /// Check-ins on each day of the week holding `today`, from its first day; hidden members included,
    /// since a total names no one.
    pub per_day: [u32; 7],
    /// Members who checked in this week, hidden members included for the same reason.
    pub members: usize,
    /// The longest current streaks of members who did not hide, longest first (ties by user id, so the
    /// order is stable), at most [`MAX_TOP_STREAKS`]; members with no current streak are left out.
    pub top_streaks: Vec<(UserId, u32)>,
}

/// Stats of a guild from its check-ins. For streaks to be right the caller passes each member's history
/// back to the start of their current streak, not only this week's.
pub fn team_stats(
    check_ins: &[CheckIn],
    hidden: &HashSet<UserId>,
    today: NaiveDate,
    week_start: Weekday,
) -> TeamStats {
    let mut days_of: BTreeMap<UserId, BTreeSet<NaiveDate>> = BTreeMap::new();
    for check_in in check_ins {
        days_of
            .entry(check_in.user)
            .or_default()
            .insert(check_in.day);
    }
    let first = week_of(today, week_start);
    let mut per_day = [0u32; 7];
    let mut members = 0;
    let mut top_streaks = Vec::new();
    for (&user, days) in &days_of {
        let mut took_part = false;
        for day in days {
            let offset = day.signed_duration_since(first).num_days();
            if let Some(slot) = usize::try_from(offset)
                .ok()
                .and_then(|i| per_day.get_mut(i))
            {
                *slot += 1;
                took_part = true;
            }
        }
        members += usize::from(took_part);
        if !hidden.contains(&user) {
            let days: Vec<NaiveDate> = days.iter().copied().collect();
            let current = streaks(&days, today).current;
            if current > 0 {
                top_streaks.push((user, current));
            }
        }
    }
    top_streaks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top_streaks.truncate(MAX_TOP_STREAKS);
    TeamStats {
        per_day,
        members,
        top_streaks,
    }
}

/// The week holding `today`, first to last day.
fn week_range(today: NaiveDate, week_start: Weekday) -> std::ops::RangeInclusive<NaiveDate> {
    let first = week_of(today, week_start);
    first..=first + Days::new(6)
}

/// Each day's stretch, keeping the first check-in given for a day.
fn first_per_day<'a>(
    check_ins: impl Iterator<Item = &'a CheckIn>,
) -> BTreeMap<NaiveDate, &'a StretchId> {
    let mut by_day = BTreeMap::new();
    for check_in in check_ins {
        by_day.entry(check_in.day).or_insert(&check_in.stretch);
    }
    by_day
}

/// The most frequent stretch; ties go to the one whose last check-in is latest.
fn favourite(by_day: &BTreeMap<NaiveDate, &StretchId>) -> Option<StretchId> {
    let mut tally: HashMap<&StretchId, (u32, NaiveDate)> = HashMap::new();
    for (&day, &stretch) in by_day {
        // Days come in order, so the last write leaves the latest day.
        let entry = tally.entry(stretch).or_insert((0, day));
        *entry = (entry.0 + 1, day);
    }
    tally
        .into_iter()
        .max_by_key(|&(_, ranking)| ranking)
        .map(|(stretch, _)| stretch.clone())
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dates(texts: &[&str]) -> Vec<NaiveDate> {
        texts.iter().map(|text| date(text)).collect()
    }

    fn check_in(user: u64, day: &str, stretch: &str) -> CheckIn {
        CheckIn {
            guild: GuildId(1),
            user: UserId(user),
            day: date(day),
            stretch: StretchId::parse(stretch).unwrap(),
        }
    }

    /// The instant of a local wall time in `zone`, which must exist and be unambiguous.
    fn local(zone: &str, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Zone::parse(zone)
            .unwrap()
            .tz()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_second_check_in_the_same_day_counts_once() {
        let days = dates(&["2027-05-03", "2027-05-04", "2027-05-04", "2027-05-05"]);
        assert_eq!(
            streaks(&days, date("2027-05-05")),
            Streaks {
                current: 3,
                best: 3
            }
        );
        let stats = member_stats(
            &[
                check_in(7, "2027-05-05", "cat-cow"),
                check_in(7, "2027-05-05", "thread-the-needle"),
            ],
            date("2027-05-05"),
            Weekday::Mon,
        );
        assert_eq!((stats.total, stats.this_week), (1, 1));
        assert_eq!(stats.favourite, Some(StretchId::parse("cat-cow").unwrap()));
    }

    #[test]
    fn a_press_late_in_the_evening_counts_for_the_local_day() {
        // The UTC date is the wrong day on either side of UTC: a day behind in Tokyo's morning, a day
        // ahead in New York's late evening.
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        let instant = local("Asia/Tokyo", 2027, 5, 4, 7, 0);
        assert_eq!(instant.date_naive(), date("2027-05-03"));
        assert_eq!(local_day(instant, tokyo), date("2027-05-04"));
        let new_york = Zone::parse("America/New_York").unwrap();
        let instant = local("America/New_York", 2027, 5, 4, 23, 30);
        assert_eq!(instant.date_naive(), date("2027-05-05"));
        assert_eq!(local_day(instant, new_york), date("2027-05-04"));
    }

    #[test]
    fn a_streak_spans_the_spring_forward_in_new_york() {
        let zone = Zone::parse("America/New_York").unwrap();
        // 2027-03-14 has 23 hours there: these presses are 23 hours apart yet on consecutive days.
        let presses = [
            local("America/New_York", 2027, 3, 13, 23, 30),
            local("America/New_York", 2027, 3, 14, 23, 30),
            local("America/New_York", 2027, 3, 15, 23, 30),
        ];
        assert_eq!(
            presses[1] - presses[0],
            chrono::Duration::hours(23),
            "the test must straddle the change"
        );
        let days: Vec<NaiveDate> = presses.iter().map(|&at| local_day(at, zone)).collect();
        assert_eq!(days, dates(&["2027-03-13", "2027-03-14", "2027-03-15"]));
        assert_eq!(streaks(&days, date("2027-03-15")).current, 3);
    }

    #[test]
    fn a_streak_spans_the_fall_back_in_berlin() {
        let zone = Zone::parse("Europe/Berlin").unwrap();
        // 2027-10-31 has 25 hours there: these presses are 25 hours apart yet on consecutive days.
        let presses = [
            local("Europe/Berlin", 2027, 10, 30, 23, 30),
            local("Europe/Berlin", 2027, 10, 31, 23, 30),
        ];
        assert_eq!(
            presses[1] - presses[0],
            chrono::Duration::hours(25),
            "the test must straddle the change"
        );
        let days: Vec<NaiveDate> = presses.iter().map(|&at| local_day(at, zone)).collect();
        assert_eq!(days, dates(&["2027-10-30", "2027-10-31"]));
        assert_eq!(streaks(&days, date("2027-10-31")).current, 2);
    }

    #[test]
    fn a_missed_day_resets_the_streak() {
        let days = dates(&["2027-05-01", "2027-05-02", "2027-05-04", "2027-05-05"]);
        assert_eq!(streaks(&days, date("2027-05-05")).current, 2);
        // Two days after the last check-in, the streak is gone.
        assert_eq!(streaks(&days, date("2027-05-07")).current, 0);
    }

    #[test]
    fn a_streak_stays_current_until_today_is_over() {
        let days = dates(&["2027-05-03", "2027-05-04"]);
        assert_eq!(streaks(&days, date("2027-05-05")).current, 2);
        assert_eq!(streaks(&days, date("2027-05-04")).current, 2);
        assert_eq!(streaks(&[], date("2027-05-05")), Streaks::default());
    }

    #[test]
    fn best_streak_is_the_longest_run_ever() {
        let days = dates(&[
            "2027-04-01",
            "2027-04-02",
            "2027-04-03",
            "2027-04-04",
            "2027-04-10",
            "2027-04-11",
        ]);
        assert_eq!(
            streaks(&days, date("2027-04-11")),
            Streaks {
                current: 2,
                best: 4
            }
        );
        // The best run can be the current one.
        assert_eq!(
            streaks(&days, date("2027-04-04")),
            Streaks {
                current: 4,
                best: 4
            }
        );
    }

    #[test]
    fn this_week_starts_on_the_guilds_first_weekday() {
        // 2027-05-02 is a Sunday, 2027-05-03 a Monday; today is Wednesday 2027-05-05.
        let check_ins = [
            check_in(7, "2027-05-01", "cat-cow"), // Saturday
            check_in(7, "2027-05-02", "cat-cow"), // Sunday
            check_in(7, "2027-05-03", "cat-cow"), // Monday
            check_in(7, "2027-05-05", "cat-cow"), // Wednesday
        ];
        let today = date("2027-05-05");
        assert_eq!(week_of(today, Weekday::Mon), date("2027-05-03"));
        assert_eq!(week_of(today, Weekday::Sun), date("2027-05-02"));
        assert_eq!(
            week_of(date("2027-05-03"), Weekday::Mon),
            date("2027-05-03")
        );
        assert_eq!(member_stats(&check_ins, today, Weekday::Mon).this_week, 2);
        assert_eq!(member_stats(&check_ins, today, Weekday::Sun).this_week, 3);
        assert_eq!(member_stats(&check_ins, today, Weekday::Sat).this_week, 4);
        assert_eq!(member_stats(&check_ins, today, Weekday::Mon).total, 4);

        let team = team_stats(&check_ins, &HashSet::new(), today, Weekday::Sun);
        assert_eq!(team.per_day, [1, 1, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn team_stats_leave_hidden_members_out_of_lists_but_count_them() {
        let today = date("2027-05-05"); // Wednesday
        let check_ins = [
            check_in(1, "2027-05-04", "cat-cow"),
            check_in(1, "2027-05-05", "cat-cow"),
            check_in(2, "2027-05-03", "cat-cow"),
            check_in(2, "2027-05-04", "cat-cow"),
            check_in(2, "2027-05-05", "cat-cow"),
            check_in(3, "2027-05-05", "cat-cow"),
            // Member 4 checked in last week only: no current streak, not taking part this week.
            check_in(4, "2027-04-28", "cat-cow"),
        ];
        let hidden = HashSet::from([UserId(2)]);
        let team = team_stats(&check_ins, &hidden, today, Weekday::Mon);
        assert_eq!(team.per_day, [1, 2, 3, 0, 0, 0, 0]);
        assert_eq!(team.members, 3);
        assert_eq!(team.top_streaks, vec![(UserId(1), 2), (UserId(3), 1)]);

        let everyone = team_stats(&check_ins, &HashSet::new(), today, Weekday::Mon);
        assert_eq!(
            everyone.top_streaks,
            vec![(UserId(2), 3), (UserId(1), 2), (UserId(3), 1)]
        );
    }

    #[test]
    fn top_streaks_hold_at_most_ten() {
        let today = date("2027-05-05");
        let check_ins: Vec<CheckIn> = (1..=12)
            .map(|user| check_in(user, "2027-05-05", "cat-cow"))
            .collect();
        let team = team_stats(&check_ins, &HashSet::new(), today, Weekday::Mon);
        assert_eq!(team.top_streaks.len(), MAX_TOP_STREAKS);
        assert_eq!(team.top_streaks[0], (UserId(1), 1));
        assert_eq!(team.members, 12);
    }

    #[test]
    fn favourite_ties_go_to_the_most_recent() {
        let today = date("2027-05-06");
        let check_ins = [
            check_in(7, "2027-05-01", "cat-cow"),
            check_in(7, "2027-05-02", "thread-the-needle"),
            check_in(7, "2027-05-03", "thread-the-needle"),
            check_in(7, "2027-05-04", "cat-cow"),
        ];
        // Two each; cat-cow was done last.
        let stats = member_stats(&check_ins, today, Weekday::Mon);
        assert_eq!(stats.favourite, Some(StretchId::parse("cat-cow").unwrap()));
        // A clear majority wins whatever came last.
        let mut more = check_ins.to_vec();
        more.push(check_in(7, "2027-04-30", "thread-the-needle"));
        let stats = member_stats(&more, today, Weekday::Mon);
        assert_eq!(
            stats.favourite,
            Some(StretchId::parse("thread-the-needle").unwrap())
        );
        assert_eq!(member_stats(&[], today, Weekday::Mon).favourite, None);
    }
}
