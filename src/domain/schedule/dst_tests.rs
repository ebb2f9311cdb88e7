//! The DST policy, one named test per rule, in real zones (after croner's DST suite).
//!
//! Each test states the zone's transition it relies on, so a reader can check it against the tz database.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("{text}: {err}"))
        .with_timezone(&Utc)
}

fn daily(zone: &str, times: &str, days: &str) -> Schedule {
    Schedule::new(
        Zone::parse(zone).unwrap(),
        Cadence::Daily(DailyTimes::parse(times, days).unwrap()),
    )
}

fn cron(zone: &str, expr: &str) -> Schedule {
    Schedule::new(
        Zone::parse(zone).unwrap(),
        Cadence::Cron(CronExpr::parse(expr).unwrap()),
    )
}

/// The next `count` fires after `after`, as RFC 3339 UTC strings.
fn fires(schedule: &Schedule, after: &str, count: usize) -> Vec<String> {
    schedule
        .fires_after(utc(after))
        .take(count)
        .map(|fire| fire.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect()
}

// --- America/New_York: EST -05:00 / EDT -04:00; 2027-03-14 02:00 → 03:00, 2027-11-07 02:00 → 01:00.

#[test]
fn new_york_a_time_in_the_spring_gap_fires_when_the_gap_ends() {
    let schedule = daily("America/New_York", "02:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-03-13T00:00:00Z", 3),
        [
            "2027-03-13T07:30:00Z", // 02:30 EST
            "2027-03-14T07:00:00Z", // 02:30 does not exist: 03:00 EDT
            "2027-03-15T06:30:00Z", // 02:30 EDT
        ]
    );
}

#[test]
fn new_york_a_time_in_the_fall_overlap_fires_once_at_its_first_occurrence() {
    let schedule = daily("America/New_York", "01:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-11-06T00:00:00Z", 3),
        [
            "2027-11-06T05:30:00Z", // 01:30 EDT
            "2027-11-07T05:30:00Z", // 01:30 EDT, the first of the two 01:30s; not again at 06:30Z (EST)
            "2027-11-08T06:30:00Z", // 01:30 EST
        ]
    );
}

#[test]
fn new_york_asking_from_inside_the_second_pass_does_not_fire_again() {
    // 06:45Z is 01:45 EST, the second 01:45 of the night; 01:45 already fired at 05:45Z.
    let schedule = daily("America/New_York", "01:45", "daily");
    assert_eq!(
        fires(&schedule, "2027-11-07T06:45:00Z", 1),
        ["2027-11-08T06:45:00Z"]
    );
}

#[test]
fn new_york_cron_every_half_hour_skips_the_gap_without_doubling() {
    let schedule = cron("America/New_York", "*/30 * * * *");
    // 02:00 and 02:30 do not exist: both would resolve to 03:00 EDT, which fires once, and 03:00 itself
    // adds nothing new.
    assert_eq!(
        fires(&schedule, "2027-03-14T05:45:00Z", 4),
        [
            "2027-03-14T06:00:00Z",
            "2027-03-14T06:30:00Z",
            "2027-03-14T07:00:00Z",
            "2027-03-14T07:30:00Z",
        ]
    );
}

#[test]
fn new_york_cron_every_half_hour_runs_the_repeated_hour_once() {
    let schedule = cron("America/New_York", "*/30 * * * *");
    assert_eq!(
        fires(&schedule, "2027-11-07T04:45:00Z", 4),
        [
            "2027-11-07T05:00:00Z", // 01:00 EDT
            "2027-11-07T05:30:00Z", // 01:30 EDT
            "2027-11-07T07:00:00Z", // 02:00 EST: the EST pass through 01:xx does not fire again
            "2027-11-07T07:30:00Z",
        ]
    );
}

#[test]
fn new_york_weekday_schedule_keeps_local_time_across_the_change() {
    let schedule = daily("America/New_York", "09:00", "mon-fri");
    assert_eq!(
        fires(&schedule, "2027-03-12T00:00:00Z", 2),
        [
            "2027-03-12T14:00:00Z", // Friday 09:00 EST
            "2027-03-15T13:00:00Z", // Monday 09:00 EDT; the weekend is skipped
        ]
    );
}

// --- Australia/Lord_Howe: +10:30 / +11:00, a 30-minute DST; 2027-04-04 02:00 → 01:30,
//     2027-10-03 02:00 → 02:30.

#[test]
fn lord_howe_a_time_in_the_half_hour_gap_fires_when_the_gap_ends() {
    let schedule = daily("Australia/Lord_Howe", "02:15", "daily");
    assert_eq!(
        fires(&schedule, "2027-10-01T12:00:00Z", 2),
        [
            "2027-10-01T15:45:00Z", // 02:15 +10:30 on the 2nd
            "2027-10-02T15:30:00Z", // 02:15 does not exist on the 3rd: 02:30 +11:00
        ]
    );
}

#[test]
fn lord_howe_a_time_in_the_half_hour_overlap_fires_at_its_first_occurrence() {
    let schedule = daily("Australia/Lord_Howe", "01:45", "daily");
    assert_eq!(
        fires(&schedule, "2027-04-02T12:00:00Z", 3),
        [
            "2027-04-02T14:45:00Z", // 01:45 +11:00 on the 3rd
            "2027-04-03T14:45:00Z", // 01:45 +11:00 on the 4th, the first of two
            "2027-04-04T15:15:00Z", // 01:45 +10:30 on the 5th
        ]
    );
}

// --- Europe/Dublin: IST +01:00 is "standard" and winter GMT a negative DST in the tz database;
//     2027-03-28 01:00 → 02:00, 2027-10-31 02:00 → 01:00.

#[test]
fn dublin_negative_dst_spring_gap_fires_when_the_gap_ends() {
    let schedule = daily("Europe/Dublin", "01:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-03-27T00:00:00Z", 2),
        [
            "2027-03-27T01:30:00Z", // 01:30 GMT
            "2027-03-28T01:00:00Z", // 01:30 does not exist: 02:00 IST
        ]
    );
}

#[test]
fn dublin_negative_dst_autumn_overlap_fires_at_its_first_occurrence() {
    let schedule = daily("Europe/Dublin", "01:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-10-30T00:00:00Z", 3),
        [
            "2027-10-30T00:30:00Z", // 01:30 IST
            "2027-10-31T00:30:00Z", // 01:30 IST, the first of two
            "2027-11-01T01:30:00Z", // 01:30 GMT
        ]
    );
}

// --- America/Santiago: changes at midnight; 2027-04-04 00:00 → 2027-04-03 23:00,
//     2027-09-05 00:00 → 01:00.

#[test]
fn santiago_midnight_gap_fires_at_one_oclock_on_the_same_date() {
    let schedule = daily("America/Santiago", "00:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-09-04T00:00:00Z", 2),
        [
            "2027-09-04T04:30:00Z", // 00:30 -04:00 on the 4th
            "2027-09-05T04:00:00Z", // 00:00–01:00 does not exist on the 5th: 01:00 -03:00
        ]
    );
}

#[test]
fn santiago_midnight_overlap_fires_the_late_evening_once() {
    let schedule = daily("America/Santiago", "23:30", "daily");
    assert_eq!(
        fires(&schedule, "2027-04-02T12:00:00Z", 3),
        [
            "2027-04-03T02:30:00Z", // 23:30 -03:00 on the 2nd
            "2027-04-04T02:30:00Z", // 23:30 -03:00 on the 3rd, the first of two
            "2027-04-05T03:30:00Z", // 23:30 -04:00 on the 4th
        ]
    );
}

#[test]
fn santiago_a_midnight_schedule_still_fires_on_the_day_that_starts_at_one() {
    let schedule = daily("America/Santiago", "00:00", "daily");
    assert_eq!(
        fires(&schedule, "2027-09-04T12:00:00Z", 2),
        ["2027-09-05T04:00:00Z", "2027-09-06T03:00:00Z"]
    );
}

// --- Pacific/Apia: 2011-12-29 24:00 -10:00 jumped to 2011-12-31 00:00 +14:00; the 30th never happened.

#[test]
fn apia_a_date_that_never_happened_has_no_fire() {
    let schedule = daily("Pacific/Apia", "09:00", "daily");
    assert_eq!(
        fires(&schedule, "2011-12-28T00:00:00Z", 3),
        [
            "2011-12-28T19:00:00Z", // 09:00 -10:00 on the 28th
            "2011-12-29T19:00:00Z", // 09:00 -10:00 on the 29th
            "2011-12-30T19:00:00Z", // 09:00 +14:00 on the 31st; nothing for the 30th
        ]
    );
}

#[test]
fn apia_cron_on_the_missing_date_fires_nothing_that_day() {
    // "The 30th of every month": December 2011 has none in Apia, so January 30th comes next.
    let schedule = cron("Pacific/Apia", "0 12 30 * *");
    assert_eq!(
        fires(&schedule, "2011-12-01T00:00:00Z", 2),
        [
            "2012-01-29T22:00:00Z", // 12:00 +14:00 on January 30th
            "2012-03-29T22:00:00Z", // February has no 30th
        ]
    );
}

// --- Properties over whole years of real zones.

#[test]
fn fires_are_strictly_increasing_in_every_tested_zone() {
    let zones = [
        "America/New_York",
        "Australia/Lord_Howe",
        "Europe/Dublin",
        "America/Santiago",
        "Pacific/Apia",
        "Europe/Berlin",
        "Asia/Kolkata",
    ];
    for zone in zones {
        for schedule in [
            cron(zone, "*/20 * * * *"),
            cron(zone, "0 0,1,2,3 * * *"),
            daily(zone, "00:00, 00:30, 01:30, 02:00, 02:30, 23:30", "daily"),
        ] {
            let start = Utc.with_ymd_and_hms(2011, 1, 1, 0, 0, 0).unwrap();
            let end = Utc.with_ymd_and_hms(2012, 12, 31, 0, 0, 0).unwrap();
            let mut previous = start;
            for fire in schedule.fires_after(start).take_while(|fire| *fire < end) {
                assert!(
                    fire > previous,
                    "{zone} {:?}: {fire} after {previous}",
                    schedule.cadence
                );
                previous = fire;
            }
            assert!(
                previous > start + chrono::Duration::days(700),
                "{zone}: fires stopped at {previous}"
            );
        }
    }
}

#[test]
fn every_fire_reads_a_cadence_time_or_the_end_of_a_gap_on_the_local_clock() {
    let schedule = cron("America/New_York", "30 2 * * *");
    let start = utc("2027-01-01T00:00:00Z");
    for fire in schedule.fires_after(start).take(365) {
        let local = fire
            .with_timezone(&chrono_tz::America::New_York)
            .naive_local();
        let reads = local.format("%H:%M").to_string();
        assert!(
            reads == "02:30" || (reads == "03:00" && local.date().to_string() == "2027-03-14"),
            "{fire} reads {local}"
        );
    }
}
