//! Property tests of the parsers that take what people type or write: times, days, zones, cron, the
//! stored cadence text and the catalog's content files. Any input gives a value or an error, never a
//! panic; what parses behaves (round-trips, fires after the instant asked). The budget is proptest's
//! case count: 256 per property in CI, more with `PROPTEST_CASES=20000 cargo test --test parsers_prop`.

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use stretchbot::domain::catalog::{Catalog, ContentFile};
use stretchbot::domain::schedule::{
    Cadence, CronExpr, DailyTimes, Schedule, TimeOfDay, Weekdays, Zone,
};

/// Strings people paste: printable text, control characters, Discord markup, long runs, odd Unicode.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[0-9:apmAPM ,.\\-*/]{0,24}",
        "(<@!?[0-9]{1,20}>|<#[0-9]+>|@everyone|\\*\\*|__|`|\\|\\||\u{202e}|\u{0}|\n|\t|🧘|ß|İ){0,12}",
        // Longer than any option the bot registers takes (200 at most); zone suggestions compare the
        // text with all 597 names, quadratic in its length, which made longer runs slow and no truer.
        ("[0-9a-z ]{1,3}", 1usize..300).prop_map(|(unit, times)| unit.repeat(times)),
    ]
}

/// Instants over a few years, DST changes and month ends included.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4 * 366 * 24 * 60).prop_map(|minutes| {
        "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(minutes)
    })
}

/// Cron expressions in the accepted shape, with values in and out of range.
fn cron_like() -> impl Strategy<Value = String> {
    let field = |max: u32| {
        prop_oneof![
            Just("*".to_owned()),
            (0..max + 3).prop_map(|n| n.to_string()),
            (0..max, 0..max).prop_map(|(a, b)| format!("{a}-{b}")),
            (1..max + 2).prop_map(|step| format!("*/{step}")),
            prop::collection::vec(0..max, 1..4).prop_map(|v| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        ]
    };
    (field(60), field(24), field(31), field(12), field(7))
        .prop_map(|(m, h, dom, mon, dow)| format!("{m} {h} {dom} {mon} {dow}"))
}

fn zones() -> impl Strategy<Value = Zone> {
    prop::sample::select(
        chrono_tz::TZ_VARIANTS
            .iter()
            .filter_map(|tz| Zone::parse(tz.name()).ok())
            .collect::<Vec<_>>(),
    )
}

proptest! {
    #[test]
    fn any_text_is_a_time_days_zone_or_cron_or_an_error(text in hostile()) {
        let _ = TimeOfDay::parse(&text);
        let _ = Weekdays::parse(&text);
        let _ = DailyTimes::parse(&text, &text);
        let _ = DailyTimes::parse(&text, "daily");
        let _ = Zone::parse(&text);
        let _ = Zone::suggest(&text, 5);
        let _ = CronExpr::parse(&text);
        let _ = Cadence::from_storage_text(&text);
    }

    #[test]
    fn every_wall_clock_time_parses_in_24h_and_12h_forms(hour in 0u32..24, minute in 0u32..60) {
        let clock = TimeOfDay::parse(&format!("{hour:02}:{minute:02}")).unwrap();
        let twelve = if hour % 12 == 0 { 12 } else { hour % 12 };
        let suffix = if hour < 12 { "am" } else { "pm" };
        prop_assert_eq!(TimeOfDay::parse(&format!("{twelve}:{minute:02}{suffix}")).unwrap(), clock);
        prop_assert_eq!(TimeOfDay::parse(&clock.to_string()).unwrap(), clock);
    }

    #[test]
    fn a_parsed_cron_round_trips_and_fires_after_the_instant(
        expr in cron_like(), zone in zones(), after in instant(),
    ) {
        if let Ok(cron) = CronExpr::parse(&expr) {
            let cadence = Cadence::Cron(cron);
            prop_assert_eq!(Cadence::from_storage_text(&cadence.storage_text()).unwrap(), cadence.clone());
            let schedule = Schedule::new(zone, cadence);
            if let Some(next) = schedule.next_after(after) {
                prop_assert!(next > after, "{expr} in {zone}: {next} after {after}");
                prop_assert!(schedule.fires_after(after).take(3).all(|at| at > after));
            }
        }
    }

    #[test]
    fn daily_times_fire_after_the_instant_in_every_zone(
        times in prop::collection::vec((0u32..24, 0u32..60), 1..5),
        days in prop::sample::select(vec!["daily", "mon-fri", "weekends", "sat", "fri-mon", "tue,thu"]),
        zone in zones(),
        after in instant(),
    ) {
        let typed = times.iter().map(|(h, m)| format!("{h}:{m:02}")).collect::<Vec<_>>().join(", ");
        let daily = DailyTimes::parse(&typed, days).unwrap();
        let cadence = Cadence::Daily(daily);
        prop_assert_eq!(Cadence::from_storage_text(&cadence.storage_text()).unwrap(), cadence.clone());
        let next = Schedule::new(zone, cadence).next_after(after);
        prop_assert!(next.is_some_and(|next| next > after && next - after <= TimeDelta::days(8)));
    }

    #[test]
    fn any_content_file_loads_or_lists_its_problems(text in hostile(), cut in any::<prop::sample::Index>(), insert in hostile()) {
        // Random text, and the shipped cat-cow file with random text spliced in.
        let shipped = include_str!("../content/cat-cow.toml");
        let mut at = cut.index(shipped.len() + 1);
        while !shipped.is_char_boundary(at) {
            at -= 1;
        }
        let spliced = format!("{}{insert}{}", &shipped[..at], &shipped[at..]);
        for text in [text, spliced] {
            let lines = text.lines().count();
            let file = ContentFile { path: PathBuf::from("content/fuzz.toml"), text };
            if let Err(errors) = Catalog::from_files(vec![file]) {
                prop_assert!(!errors.is_empty());
                for error in errors.iter() {
                    prop_assert!(error.line <= lines + 1, "{error}");
                }
            }
        }
    }
}
