//! The console's input: a line split into words (double quotes keep spaces), and a command's
//! `name:value` words turned into the options Discord's client would send, typed and checked by the
//! command's registered definition, with choices given by their names and channels as `#name`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::ids::{ChannelId, RoleId, UserId};
use crate::interactions::{Opt, focused, opt, sub};

/// Splits `line` at whitespace; `"…"` keeps spaces, anywhere in a word (`cron:"0 9 * * 1-5"`), and
/// `\"` or `\\` inside quotes stand for themselves.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            '\\' if quoted => match chars.next() {
                Some(escaped @ ('"' | '\\')) => word.push(escaped),
                Some(other) => {
                    word.push('\\');
                    word.push(other);
                }
                None => word.push('\\'),
            },
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err("a quote is not closed: end the value with \"".to_owned());
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The names the console knows, for `#channel`, `@member` and `@role` values.
#[derive(Default)]
pub struct Names {
    pub channels: BTreeMap<String, ChannelId>,
    pub members: BTreeMap<String, UserId>,
    pub roles: BTreeMap<String, RoleId>,
}

/// What the last option word is for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Running the command: every value must be complete and valid.
    Run,
    /// Autocomplete: the last `name:value` word is what the member has typed so far.
    Complete,
}

/// The options of `/name words…`, checked against `command` (its registered form).
pub fn command_options(
    command: &Value,
    words: &[String],
    names: &Names,
    purpose: Purpose,
) -> Result<Vec<Opt>, String> {
    let name = command["name"].as_str().unwrap_or("?");
    let options = level_options(command, &format!("/{name}"), words, names, purpose)?;
    if purpose == Purpose::Complete && !has_focus(&options) {
        return Err(
            "autocomplete needs an option to complete as the last word, e.g. name:ca".into(),
        );
    }
    Ok(options)
}

fn has_focus(options: &[Opt]) -> bool {
    options.iter().any(|o| match o {
        Opt::Focused { .. } => true,
        Opt::Sub { options, .. } => has_focus(options),
        Opt::Value { .. } => false,
    })
}

const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

fn level_options(
    level: &Value,
    path: &str,
    words: &[String],
    names: &Names,
    purpose: Purpose,
) -> Result<Vec<Opt>, String> {
    let defined = level["options"].as_array().cloned().unwrap_or_default();
    let subs: Vec<&Value> = defined
        .iter()
        .filter(|o| matches!(o["type"].as_u64(), Some(SUB_COMMAND | SUB_COMMAND_GROUP)))
        .collect();
    let Some((first, rest)) = words.split_first() else {
        if !subs.is_empty() {
            return Err(format!("{path} needs one of: {}", list_names(&subs)));
        }
        return Ok(vec![]);
    };
    if !subs.is_empty() {
        let Some(chosen) = subs.iter().find(|s| s["name"] == first.as_str()) else {
            return Err(format!(
                "{path} has no `{first}`; it has: {}",
                list_names(&subs)
            ));
        };
        let inner = level_options(chosen, &format!("{path} {first}"), rest, names, purpose)?;
        return Ok(vec![sub(first, inner)]);
    }
    let last = words.len() - 1;
    words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let Some((key, value)) = word.split_once(':') else {
                return Err(format!(
                    "`{word}` is not an option: write name:value (quote a value with spaces)"
                ));
            };
            let Some(definition) = defined.iter().find(|o| o["name"] == key) else {
                let known: Vec<&Value> = defined.iter().collect();
                return Err(format!(
                    "{path} has no option `{key}`; its options: {}",
                    list_names(&known)
                ));
            };
            if purpose == Purpose::Complete && i == last {
                return Ok(focused(key, value));
            }
            Ok(opt(key, typed_value(definition, value, names)?))
        })
        .collect()
}

fn list_names(options: &[&Value]) -> String {
    let names: Vec<&str> = options.iter().filter_map(|o| o["name"].as_str()).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// `value` as the option's type wants it: a choice by its name or value, a number, a boolean, or the
/// id of a named channel, member or role.
fn typed_value(definition: &Value, value: &str, names: &Names) -> Result<Value, String> {
    let key = definition["name"].as_str().unwrap_or("?");
    // Discord lists `choices: []` on options without fixed choices (autocompleted ones among them).
    if let Some(choices) = definition["choices"].as_array().filter(|c| !c.is_empty()) {
        return choices
            .iter()
            .find(|c| {
                c["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(value))
                    || c["value"].as_str() == Some(value)
                    || (c["value"].is_number() && value.parse::<f64>().ok() == c["value"].as_f64())
            })
            .map(|c| c["value"].clone())
            .ok_or_else(|| {
                let shown: Vec<&str> = choices.iter().filter_map(|c| c["name"].as_str()).collect();
                format!("`{key}` is one of: {}", shown.join(", "))
            });
    }
    let wrong = |what: &str| format!("`{key}` takes {what}, not `{value}`");
    match definition["type"].as_u64() {
        Some(4) => value
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong("a whole number")),
        Some(10) => value
            .parse::<f64>()
            .map(|n| json!(n))
            .map_err(|_| wrong("a number")),
        Some(5) => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(json!(true)),
            "false" | "no" | "off" => Ok(json!(false)),
            _ => Err(wrong("true or false")),
        },
        Some(6) => lookup(&names.members, value.trim_start_matches('@'), "member", key),
        Some(7) => lookup(
            &names.channels,
            value.trim_start_matches('#'),
            "channel",
            key,
        ),
        Some(8) => lookup(&names.roles, value.trim_start_matches('@'), "role", key),
        Some(9) => {
            let bare = value.trim_start_matches('@');
            lookup(&names.members, bare, "member", key)
                .or_else(|_| lookup(&names.roles, bare, "member or role", key))
        }
        Some(11) => Err(format!(
            "`{key}` takes a file, which the console cannot attach yet"
        )),
        _ => Ok(Value::String(value.to_owned())),
    }
}

fn lookup<Id: ToString>(
    known: &BTreeMap<String, Id>,
    name: &str,
    what: &str,
    key: &str,
) -> Result<Value, String> {
    known
        .get(name)
        .map(|id| Value::String(id.to_string()))
        .ok_or_else(|| {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            format!(
                "`{key}`: no {what} called `{name}`; known: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn quotes_keep_spaces_anywhere_in_a_word() {
        assert_eq!(
            split(r#"/schedule add cron:"0 9 * * 1-5" name:"cat and cow""#).unwrap(),
            strings(&["/schedule", "add", "cron:0 9 * * 1-5", "name:cat and cow"])
        );
        assert_eq!(
            split(r#"say "a \"b\" c""#).unwrap(),
            strings(&["say", r#"a "b" c"#])
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split(r#"empty:"""#).unwrap(), strings(&["empty:"]));
        assert!(split(r#"name:"cat"#).unwrap_err().contains("not closed"));
    }

    fn schedule() -> Value {
        json!({"name": "schedule", "options": [
            {"type": 1, "name": "add", "options": [
                {"type": 7, "name": "channel"},
                {"type": 3, "name": "times", "choices": []},
                {"type": 4, "name": "count"},
                {"type": 5, "name": "include_advanced"},
                {"type": 3, "name": "difficulty", "choices": [
                    {"name": "Easy", "value": "easy"}, {"name": "Advanced", "value": "advanced"}]},
            ]},
            {"type": 1, "name": "list"},
        ]})
    }

    fn names() -> Names {
        let mut names = Names::default();
        names.channels.insert("wellness".into(), ChannelId::new(42));
        names
    }

    fn run(words: &[&str]) -> Result<Value, String> {
        let options = command_options(&schedule(), &strings(words), &names(), Purpose::Run)?;
        Ok(json!(format!("{options:?}")))
    }

    #[test]
    fn values_are_typed_by_the_registered_definition() {
        let options = command_options(
            &schedule(),
            &strings(&[
                "add",
                "channel:#wellness",
                "times:09:00",
                "count:3",
                "include_advanced:yes",
                "difficulty:advanced",
            ]),
            &names(),
            Purpose::Run,
        )
        .unwrap();
        let [Opt::Sub { name, options }] = options.as_slice() else {
            panic!("{options:?}")
        };
        assert_eq!(name, "add");
        let values: Vec<(String, Value)> = options
            .iter()
            .map(|o| match o {
                Opt::Value { name, value } => (name.clone(), value.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            values,
            vec![
                ("channel".into(), json!("42")),
                ("times".into(), json!("09:00")),
                ("count".into(), json!(3)),
                ("include_advanced".into(), json!(true)),
                ("difficulty".into(), json!("advanced")),
            ]
        );
    }

    #[test]
    fn choices_are_taken_by_name_in_any_case() {
        let text = run(&["add", "difficulty:EASY"]).unwrap().to_string();
        assert!(text.contains(r#"\"easy\""#), "{text}");
    }

    #[test]
    fn each_mistake_says_what_would_be_right() {
        let cases = [
            (vec!["remove"], "has no `remove`; it has: add, list"),
            (vec![], "needs one of: add, list"),
            (
                vec!["add", "chanel:#wellness"],
                "no option `chanel`; its options: channel, times",
            ),
            (
                vec!["add", "channel:#random"],
                "no channel called `random`; known: wellness",
            ),
            (
                vec!["add", "count:three"],
                "`count` takes a whole number, not `three`",
            ),
            (vec!["add", "include_advanced:maybe"], "takes true or false"),
            (
                vec!["add", "difficulty:hard"],
                "`difficulty` is one of: Easy, Advanced",
            ),
            (vec!["add", "times"], "write name:value"),
        ];
        for (words, expected) in cases {
            let error = run(&words).unwrap_err();
            assert!(error.contains(expected), "{words:?}: {error}");
        }
    }

    #[test]
    fn autocomplete_focuses_the_last_option() {
        let options = command_options(
            &schedule(),
            &strings(&["add", "count:2", "times:09"]),
            &names(),
            Purpose::Complete,
        )
        .unwrap();
        let text = format!("{options:?}");
        assert!(text.contains("Focused"), "{text}");
        assert!(
            command_options(
                &schedule(),
                &strings(&["list"]),
                &names(),
                Purpose::Complete
            )
            .unwrap_err()
            .contains("needs an option to complete")
        );
    }
}
