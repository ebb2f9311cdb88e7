//! Button custom ids and the buttons more than one message carries.
//!
//! A custom id starts with a prefix naming the handler that answers it (`stretch-list:`, `timer:`, ...);
//! [`crate::discord::commands`] routes each click by that prefix. The prefixes live here, in one list,
//! so two handlers can never claim the same one; the rest of an id is the handler's own format. The
//! shared buttons, "Start timer" (under cards, daily posts and ended timers) and "I did it" (under daily
//! posts and finished timers), are built here too, so their ids are made and parsed in one place.

use poise::serenity_prelude as serenity;

use crate::domain::catalog::StretchId;
use crate::domain::posting::ScheduleId;

/// `/stretch list` paging: `stretch-list:<page>:<filters>`.
pub const LIST_PAGE: &str = "stretch-list";
/// "Start timer": `timer-start:<stretch id>`, at most 76 characters of Discord's 100.
pub const START_TIMER: &str = "timer-start";
/// A running timer's controls: `timer:<action>:<timer id>`.
pub const TIMER_CONTROL: &str = "timer";
/// "I did it": `did-it:<stretch id>[:<schedule id>]`, at most 7 + 64 + 1 + 20 characters of Discord's 100.
pub const DID_IT: &str = "did-it";
/// Forget-me's confirm and cancel: `stats-forget:confirm:<user id>`, `stats-forget:cancel:<user id>`.
pub const FORGET: &str = "stats-forget";

/// The button that starts a guided timer for `stretch`.
pub fn start_timer_button(stretch: &StretchId) -> serenity::CreateButton {
    serenity::CreateButton::new(format!("{START_TIMER}:{stretch}"))
        .label("Start timer")
        .emoji('⏱')
        .style(serenity::ButtonStyle::Primary)
}

/// The "I did it" button: under a daily post (`schedule` given, so the day is counted in that schedule's
/// zone) or at the end of a timer (`None`: the server's zone).
pub fn did_it_button(stretch: &StretchId, schedule: Option<ScheduleId>) -> serenity::CreateButton {
    let custom_id = match schedule {
        Some(schedule) => format!("{DID_IT}:{stretch}:{schedule}"),
        None => format!("{DID_IT}:{stretch}"),
    };
    serenity::CreateButton::new(custom_id)
        .label("I did it")
        .emoji('✅')
        .style(serenity::ButtonStyle::Success)
}

/// Parses what follows `did-it:`.
pub fn parse_did_it(id: &str) -> Option<(StretchId, Option<ScheduleId>)> {
    let (stretch, schedule) = match id.split_once(':') {
        Some((stretch, schedule)) => (stretch, Some(ScheduleId(schedule.parse().ok()?))),
        None => (id, None),
    };
    Some((StretchId::parse(stretch).ok()?, schedule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefixes_are_distinct() {
        let prefixes = [LIST_PAGE, START_TIMER, TIMER_CONTROL, DID_IT, FORGET];
        for (index, prefix) in prefixes.iter().enumerate() {
            assert!(!prefix.contains(':'), "{prefix}");
            assert!(!prefixes[index + 1..].contains(prefix), "{prefix} twice");
        }
    }

    fn custom_id(button: serenity::CreateButton) -> String {
        let json = serde_json::to_value(button).unwrap();
        json["custom_id"].as_str().unwrap().to_owned()
    }

    #[test]
    fn did_it_ids_round_trip_and_fit_discord() {
        let longest = StretchId::parse(&"a".repeat(64)).unwrap();
        for schedule in [None, Some(ScheduleId(i64::MAX)), Some(ScheduleId(3))] {
            let id = custom_id(did_it_button(&longest, schedule));
            assert!(id.len() <= 100, "{id}");
            let rest = id.strip_prefix("did-it:").unwrap();
            assert_eq!(parse_did_it(rest), Some((longest.clone(), schedule)));
        }
        for tampered in ["", "Cat Cow", "cat-cow:", "cat-cow:x", "cat-cow:1:2"] {
            assert_eq!(parse_did_it(tampered), None, "{tampered}");
        }
    }

    #[test]
    fn the_longest_start_timer_id_fits_discord() {
        let longest = StretchId::parse(&"a".repeat(64)).unwrap();
        let id = custom_id(start_timer_button(&longest));
        assert_eq!(id, format!("timer-start:{longest}"));
        assert!(id.len() <= 100, "{id}");
    }
}
