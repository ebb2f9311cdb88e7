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
use crate::domain::reminder::SnoozeFor;

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
/// Under a reminder DM: `remind:s:<30|60|tm>:<schedule id>:<stretch id>` (snooze) and
/// `remind:k:<schedule id>` (skip today), at most 7 + 2 + 3 + 19 + 1 + 64 characters of Discord's 100.
pub const REMIND: &str = "remind";
/// `/help`'s buttons: `help:random`, `help:timer`.
pub const HELP: &str = "help";
/// The `/catalog add` and `/catalog edit` form, a modal: `catalog-form:add:<choices>`,
/// `catalog-form:edit:<stretch id>:<choices>` (see `commands::catalog`).
pub const CATALOG_FORM: &str = "catalog-form";
/// Under a form that did not pass: `catalog-retry:<key>` opens it again as it was typed.
pub const CATALOG_RETRY: &str = "catalog-retry";

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

/// What a button under a reminder DM asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderButton {
    Snooze(SnoozeFor, ScheduleId, StretchId),
    SkipToday(ScheduleId),
}

/// The snooze row under every reminder DM: "in 30 min", "in 1 h", "tomorrow", "skip today".
pub fn snooze_row(schedule: ScheduleId, stretch: &StretchId) -> serenity::CreateActionRow {
    let mut buttons: Vec<serenity::CreateButton> = SnoozeFor::ALL
        .into_iter()
        .map(|choice| {
            serenity::CreateButton::new(format!(
                "{REMIND}:s:{}:{schedule}:{stretch}",
                choice.as_str()
            ))
            .label(choice.label())
            .emoji('💤')
            .style(serenity::ButtonStyle::Secondary)
        })
        .collect();
    buttons.push(
        serenity::CreateButton::new(format!("{REMIND}:k:{schedule}"))
            .label("skip today")
            .style(serenity::ButtonStyle::Secondary),
    );
    serenity::CreateActionRow::Buttons(buttons)
}

/// Parses what follows `remind:`.
pub fn parse_reminder_button(id: &str) -> Option<ReminderButton> {
    let mut parts = id.split(':');
    let button = match (parts.next()?, parts.next()?) {
        ("s", choice) => ReminderButton::Snooze(
            SnoozeFor::parse(choice)?,
            ScheduleId(parts.next()?.parse().ok()?),
            StretchId::parse(parts.next()?).ok()?,
        ),
        ("k", schedule) => ReminderButton::SkipToday(ScheduleId(schedule.parse().ok()?)),
        _ => return None,
    };
    parts.next().is_none().then_some(button)
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
        let prefixes = [
            LIST_PAGE,
            START_TIMER,
            TIMER_CONTROL,
            DID_IT,
            FORGET,
            REMIND,
            HELP,
        ];
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
    fn reminder_button_ids_round_trip_and_fit_discord() {
        let longest = StretchId::parse(&"a".repeat(64)).unwrap();
        let row = serde_json::to_value(snooze_row(ScheduleId(i64::MAX), &longest)).unwrap();
        let ids: Vec<&str> = row["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|button| button["custom_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 4);
        for id in &ids {
            assert!(id.len() <= 100, "{id}");
        }
        let parsed: Vec<ReminderButton> = ids
            .iter()
            .map(|id| parse_reminder_button(id.strip_prefix("remind:").unwrap()).unwrap())
            .collect();
        assert_eq!(
            parsed[1],
            ReminderButton::Snooze(SnoozeFor::AnHour, ScheduleId(i64::MAX), longest)
        );
        assert_eq!(parsed[3], ReminderButton::SkipToday(ScheduleId(i64::MAX)));
        for tampered in [
            "",
            "s:2h:1:cat-cow",
            "s:60:x:cat-cow",
            "k:1:2",
            "s:60:1:cat-cow:x",
            "nap:1",
        ] {
            assert_eq!(parse_reminder_button(tampered), None, "{tampered}");
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
