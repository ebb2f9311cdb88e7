//! How the console shows a message to a person: content, each embed's title, description, fields,
//! picture and footer, Discord's `<t:…>` timestamps as dates, mentions as names, and the buttons and
//! menus with numbers to `click` or `select` by.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::Value;

use crate::ids::MessageId;

/// A button or a select menu the console numbered, to be used by its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    pub message: MessageId,
    pub custom_id: String,
    pub kind: ControlKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlKind {
    Button,
    /// A select menu and the values it offers.
    Select {
        values: Vec<String>,
    },
}

/// What the text of a message refers to, by name.
#[derive(Default)]
pub struct Lookup {
    pub users: BTreeMap<String, String>,
    pub channels: BTreeMap<String, String>,
    pub roles: BTreeMap<String, String>,
}

/// The message `json` as lines under `header`; its controls are pushed onto `controls`, numbered
/// from `controls.len() + 1`.
pub fn message(
    header: &str,
    json: &Value,
    now: DateTime<Utc>,
    lookup: &Lookup,
    controls: &mut Vec<Control>,
) -> Vec<String> {
    let text = |s: &str| readable(s, now, lookup);
    let mut lines = vec![format!("── {header}")];
    if json["flags"].as_u64().is_some_and(|f| f & LOADING != 0) {
        lines.push("(thinking…)".to_owned());
    }
    if let Some(content) = json["content"].as_str().filter(|c| !c.is_empty()) {
        lines.extend(text(content).lines().map(str::to_owned));
    }
    let mut pictured = Vec::new();
    for embed in json["embeds"].as_array().into_iter().flatten() {
        let bar = |s: String| format!("┃ {s}");
        if let Some(author) = embed["author"]["name"].as_str() {
            lines.push(bar(text(author)));
        }
        if let Some(title) = embed["title"].as_str() {
            lines.push(bar(format!("**{}**", text(title))));
        }
        if let Some(description) = embed["description"].as_str() {
            lines.extend(text(description).lines().map(|l| bar(l.to_owned())));
        }
        for field in embed["fields"].as_array().into_iter().flatten() {
            let name = text(field["name"].as_str().unwrap_or_default());
            let value = text(field["value"].as_str().unwrap_or_default());
            let mut value_lines = value.lines();
            lines.push(bar(format!(
                "{name}: {}",
                value_lines.next().unwrap_or_default()
            )));
            lines.extend(value_lines.map(|l| bar(format!("  {l}"))));
        }
        for slot in ["image", "thumbnail"] {
            if let Some(url) = embed[slot]["url"].as_str() {
                // The stored message names its upload by CDN address; the file name is what a reader needs.
                let name = url.rsplit(['/', '?']).next().unwrap_or(url);
                pictured.push(name.to_owned());
                lines.push(bar(format!("[picture: {name}]")));
            }
        }
        if let Some(footer) = embed["footer"]["text"].as_str() {
            lines.extend(text(footer).lines().map(|l| bar(format!("— {l}"))));
        }
    }
    for file in json["attachments"].as_array().into_iter().flatten() {
        let name = file["filename"].as_str().unwrap_or("file");
        if !pictured.iter().any(|p| p == name) {
            lines.push(format!("[file: {name}]"));
        }
    }
    let id = json["id"]
        .as_str()
        .and_then(|i| i.parse().ok())
        .map(MessageId::new);
    for row in json["components"].as_array().into_iter().flatten() {
        let parts: Vec<String> = row["components"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|component| control(component, id, controls))
            .collect();
        if !parts.is_empty() {
            lines.push(parts.join(" "));
        }
    }
    lines
}

/// The flag of a deferred reply, which Discord shows as "… is thinking".
const LOADING: u64 = 1 << 7;
const BUTTON: u64 = 2;
const LINK_STYLE: u64 = 5;

fn control(component: &Value, message: Option<MessageId>, controls: &mut Vec<Control>) -> String {
    let label = [
        component["emoji"]["name"].as_str(),
        component["label"].as_str(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let disabled = component["disabled"].as_bool() == Some(true);
    let custom_id = component["custom_id"].as_str();
    if component["type"] == BUTTON {
        if component["style"] == LINK_STYLE {
            return format!("[{label} → {}]", component["url"].as_str().unwrap_or("?"));
        }
        return match (message, custom_id, disabled) {
            (Some(message), Some(custom_id), false) => {
                controls.push(Control {
                    message,
                    custom_id: custom_id.to_owned(),
                    kind: ControlKind::Button,
                });
                format!("[{} {label}]", controls.len())
            }
            _ => format!("[{label} (disabled)]"),
        };
    }
    let options: Vec<&Value> = component["options"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let offered = options
        .iter()
        .map(|o| {
            format!(
                "{}={}",
                o["value"].as_str().unwrap_or("?"),
                o["label"].as_str().unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let placeholder = component["placeholder"].as_str().unwrap_or("choose");
    match (message, custom_id, disabled) {
        (Some(message), Some(custom_id), false) => {
            controls.push(Control {
                message,
                custom_id: custom_id.to_owned(),
                kind: ControlKind::Select {
                    values: options
                        .iter()
                        .filter_map(|o| o["value"].as_str().map(str::to_owned))
                        .collect(),
                },
            });
            format!("[{} menu: {placeholder}: {offered}]", controls.len())
        }
        _ => format!("[menu: {placeholder} (disabled)]"),
    }
}

/// `text` with `<t:…>` timestamps as dates (in UTC; Discord shows each reader their own zone) and
/// `<@…>`, `<@&…>`, `<#…>` mentions as names.
pub fn readable(text: &str, now: DateTime<Utc>, lookup: &Lookup) -> String {
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        Regex::new(r"<t:(-?\d+)(?::([tTdDfFR]))?>|<@!?(\d+)>|<@&(\d+)>|<#(\d+)>")
            .expect("a valid pattern")
    });
    pattern
        .replace_all(text, |c: &regex::Captures| {
            if let Some(seconds) = c.get(1) {
                let style = c.get(2).map_or("f", |s| s.as_str());
                return seconds
                    .as_str()
                    .parse()
                    .ok()
                    .and_then(|s| DateTime::from_timestamp(s, 0))
                    .map_or_else(|| c[0].to_owned(), |at| timestamp(at, style, now));
            }
            let named = |map: &BTreeMap<String, String>, id: &str, sigil: &str| {
                format!("{sigil}{}", map.get(id).map_or(id, String::as_str))
            };
            if let Some(user) = c.get(3) {
                named(&lookup.users, user.as_str(), "@")
            } else if let Some(role) = c.get(4) {
                named(&lookup.roles, role.as_str(), "@")
            } else {
                named(&lookup.channels, &c[5], "#")
            }
        })
        .into_owned()
}

fn timestamp(at: DateTime<Utc>, style: &str, now: DateTime<Utc>) -> String {
    match style {
        "t" => at.format("%H:%M UTC").to_string(),
        "T" => at.format("%H:%M:%S UTC").to_string(),
        "d" => at.format("%Y-%m-%d").to_string(),
        "D" => at.format("%-d %B %Y").to_string(),
        "F" => at.format("%A, %-d %B %Y %H:%M UTC").to_string(),
        "R" => relative(at, now),
        _ => at.format("%-d %B %Y %H:%M UTC").to_string(),
    }
}

fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let size = seconds.unsigned_abs();
    let amount = match size {
        0..=59 => format!("{size} s"),
        60..=3599 => format!("{} min", size / 60),
        3600..=86_399 => format!("{} h", size / 3600),
        _ => format!("{} days", size / 86_400),
    };
    let clock = at.format("%H:%M:%S UTC");
    if seconds >= 0 {
        format!("in {amount} ({clock})")
    } else {
        format!("{amount} ago ({clock})")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).unwrap()
    }

    #[test]
    fn timestamps_read_as_dates_and_mentions_as_names() {
        let mut lookup = Lookup::default();
        lookup.users.insert("7".into(), "alice".into());
        lookup.channels.insert("9".into(), "wellness".into());
        let text = readable(
            "Next <t:1796000090:R>, then <t:1796086400:F>; <@7> in <#9>, <@&3>",
            now(),
            &lookup,
        );
        assert_eq!(
            text,
            "Next in 1 min (00:54:50 UTC), then Tuesday, 1 December 2026 00:53 UTC; @alice in #wellness, @3"
        );
        assert_eq!(
            readable("<t:1795999000:R>", now(), &lookup),
            "16 min ago (00:36:40 UTC)"
        );
    }

    #[test]
    fn a_card_shows_its_embed_picture_and_numbered_buttons() {
        let card = json!({
            "id": "55",
            "content": "",
            "embeds": [{
                "title": "Cat-Cow",
                "description": "Loosens the whole spine.\nGently.",
                "fields": [{"name": "Steps", "value": "1. Kneel\n2. Round"}],
                "image": {"url": "attachment://cat-cow.gif"},
                "footer": {"text": "Not medical advice."}
            }],
            "attachments": [{"filename": "cat-cow.gif"}, {"filename": "notes.txt"}],
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Start timer", "emoji": {"name": "⏱"}, "custom_id": "timer:cat-cow"},
                {"type": 2, "style": 3, "label": "I did it", "custom_id": "did:1", "disabled": true},
                {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"}
            ]}, {"type": 1, "components": [
                {"type": 3, "custom_id": "pick", "placeholder": "Pick one",
                 "options": [{"label": "Cat-Cow", "value": "cat-cow"}, {"label": "Bridge", "value": "bridge"}]}
            ]}]
        });
        let mut controls = vec![Control {
            message: MessageId::new(1),
            custom_id: "older".into(),
            kind: ControlKind::Button,
        }];
        let lines = message("#wellness", &card, now(), &Lookup::default(), &mut controls);
        assert_eq!(
            lines,
            [
                "── #wellness",
                "┃ **Cat-Cow**",
                "┃ Loosens the whole spine.",
                "┃ Gently.",
                "┃ Steps: 1. Kneel",
                "┃   2. Round",
                "┃ [picture: cat-cow.gif]",
                "┃ — Not medical advice.",
                "[file: notes.txt]",
                "[2 ⏱ Start timer] [I did it (disabled)] [Docs → https://example.com]",
                "[3 menu: Pick one: cat-cow=Cat-Cow, bridge=Bridge]",
            ]
        );
        assert_eq!(controls[1].custom_id, "timer:cat-cow");
        assert_eq!(controls[1].message, MessageId::new(55));
        assert_eq!(
            controls[2].kind,
            ControlKind::Select {
                values: vec!["cat-cow".into(), "bridge".into()]
            }
        );
    }
}
