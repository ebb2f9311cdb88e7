//! The DST policy: how a wall-clock time in a zone becomes the one instant a schedule fires.
//!
//! - A time that falls in a spring-forward gap fires at the first real instant after the gap
//!   (02:30 on New York's spring day fires at 03:00 EDT).
//! - A time that occurs twice (fall-back overlap) fires once, at its first occurrence.
//! - A date that does not exist in the zone (Pacific/Apia skipped 2011-12-30) has no fires.
//!
//! All three follow from one rule: a wall time fires at the first instant whose wall clock reads that time
//! or later — unless the whole date was skipped.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant `wall` fires at in `tz`, or `None` when its date does not exist there.
pub fn resolve(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(instant) = tz.from_local_datetime(&wall).earliest() {
        return Some(instant.with_timezone(&Utc));
    }
    let after_gap = end_of_gap(tz, wall);
    let lands_on_same_date = after_gap.with_timezone(&tz).date_naive() == wall.date();
    (lands_on_same_date || date_exists(tz, wall.date())).then_some(after_gap)
}

/// Whether any instant has `date` as its local date in `tz`.
fn date_exists(tz: Tz, date: NaiveDate) -> bool {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight is a valid time");
    tz.from_local_datetime(&midnight).earliest().is_some()
        || end_of_gap(tz, midnight).with_timezone(&tz).date_naive() == date
}

/// The first instant after the gap that swallows `wall` (which must not exist in `tz`).
fn end_of_gap(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    // Zone offsets lie within ±15 h of UTC, so the instant we want is within that of `wall` read as UTC.
    // Across a gap the wall clock only moves forward, so "wall clock reads later than `wall`" flips once
    // from false to true in that window: search for the flip, to the second.
    let as_utc = wall.and_utc();
    let reads_later = |seconds: i64| {
        (as_utc + Duration::seconds(seconds))
            .with_timezone(&tz)
            .naive_local()
            > wall
    };
    let (mut before, mut after) = (-15 * 3600, 15 * 3600);
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if reads_later(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    as_utc + Duration::seconds(after)
}
