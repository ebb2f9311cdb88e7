//! The stretch card: an entry as a Discord embed, kept inside Discord's embed limits.
//!
//! The card is built as plain text first ([`Card`]) so its content and limits can be tested on every
//! catalog entry without Discord; [`Card::embed`] turns it into serenity's builder.

use poise::serenity_prelude as serenity;

use std::borrow::Cow;

use crate::domain::catalog::{Entry, Origin, SAFETY_LINE, Vocabulary};

/// Discord's embed limits (message.mdx, "Embed Limits").
pub mod limits {
    pub const TITLE: usize = 256;
    pub const DESCRIPTION: usize = 4096;
    pub const FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER: usize = 2048;
    /// Title, description, field names and values, footer text and author name together.
    pub const TOTAL: usize = 6000;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub title: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub footer: String,
}

/// Embed accent colour: a calm teal.
pub(crate) const COLOUR: u32 = 0x2a9d8f;

impl Card {
    /// The full card for an entry: why it helps, every step, the dose, what it needs, cautions, sources and
    /// the safety line.
    pub fn for_entry(entry: &Entry) -> Card {
        let entry = &*shown(entry);
        let steps: Vec<String> = entry
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| format!("{}. {step}", index + 1))
            .collect();
        let description = format!("*{}*\n\n{}", entry.why, steps.join("\n"));

        let mut fields = vec![
            field("Dose", entry.dose.summary(entry.per_side), false),
            field("Position", capitalise(entry.position.label()), true),
            field(
                "Equipment",
                capitalise(
                    &entry
                        .equipment
                        .iter()
                        .map(|item| item.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                true,
            ),
            field("Difficulty", capitalise(entry.difficulty.label()), true),
            field("Targets", capitalise(&entry.areas.join(", ")), true),
        ];
        if let Some(caution) = &entry.caution {
            fields.push(field("⚠️ Caution", caution.clone(), false));
        }
        if !entry.variants.is_empty() {
            let names: Vec<&str> = entry.variants.iter().map(|v| v.name.as_str()).collect();
            fields.push(field("Other ways to do it", names.join(" · "), false));
        }
        let sources: Vec<String> = match entry.origin {
            Origin::BuiltIn => entry
                .sources
                .iter()
                .map(|source| format!("{} — {}", source.title, source.publisher))
                .collect(),
            Origin::Server => vec![ADDED_BY_THIS_SERVER.to_owned()],
        };
        fields.push(field(
            if sources.len() == 1 {
                "Source"
            } else {
                "Sources"
            },
            sources.join("\n"),
            false,
        ));

        Card {
            title: truncate(&entry.name, limits::TITLE),
            description,
            fields,
            footer: SAFETY_LINE.to_owned(),
        }
        .within_limits()
    }

    /// Characters counted against Discord's 6000-character total.
    pub fn total_chars(&self) -> usize {
        chars(&self.title)
            + chars(&self.description)
            + chars(&self.footer)
            + self
                .fields
                .iter()
                .map(|f| chars(&f.name) + chars(&f.value))
                .sum::<usize>()
    }

    /// Trims each part to its own limit, then the description until the total fits. The steps live in the
    /// description, so a catalog entry that needs trimming is a content problem the tests catch first.
    fn within_limits(mut self) -> Card {
        self.fields.truncate(limits::FIELDS);
        for field in &mut self.fields {
            field.name = truncate(&field.name, limits::FIELD_NAME);
            field.value = truncate(&field.value, limits::FIELD_VALUE);
        }
        self.footer = truncate(&self.footer, limits::FOOTER);
        self.description = truncate(&self.description, limits::DESCRIPTION);
        let over = self.total_chars().saturating_sub(limits::TOTAL);
        if over > 0 {
            let keep = chars(&self.description).saturating_sub(over);
            self.description = truncate(&self.description, keep);
        }
        self
    }

    pub fn embed(&self) -> serenity::CreateEmbed {
        self.fields.iter().fold(
            serenity::CreateEmbed::new()
                .title(&self.title)
                .description(&self.description)
                .colour(COLOUR)
                .footer(serenity::CreateEmbedFooter::new(&self.footer)),
            |embed, f| embed.field(&f.name, &f.value, f.inline),
        )
    }
}

/// Where a server's own entry comes from, on its card.
pub const ADDED_BY_THIS_SERVER: &str = "Added by this server";

/// `entry` as Discord should show it: a server's own entry, whose text its admins typed, with the
/// markdown in it escaped so that it reads as written and cannot reshape the message; built-in ones
/// as they are.
pub fn shown(entry: &Entry) -> Cow<'_, Entry> {
    match entry.origin {
        Origin::BuiltIn => Cow::Borrowed(entry),
        Origin::Server => Cow::Owned(Entry {
            name: escape_markdown(&entry.name),
            why: escape_markdown(&entry.why),
            steps: entry
                .steps
                .iter()
                .map(|step| escape_markdown(step))
                .collect(),
            caution: entry.caution.as_deref().map(escape_markdown),
            dose: crate::domain::catalog::Dose {
                frequency: entry.dose.frequency.as_deref().map(escape_markdown),
                ..entry.dose.clone()
            },
            ..entry.clone()
        }),
    }
}

/// `text` with every character Discord's markdown gives a meaning to backslash-escaped (emphasis,
/// code, spoilers, links, quotes, headings, lists, timestamps), so it shows as typed.
pub fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '~'
                | '`'
                | '|'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '-'
                | ':'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn field(name: &str, value: String, inline: bool) -> Field {
    Field {
        name: name.to_owned(),
        value: if value.trim().is_empty() {
            "—".to_owned()
        } else {
            value
        },
        inline,
    }
}

/// `text` with its first letter upper-case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if chars(text) <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::domain::catalog::Catalog;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    #[test]
    fn every_catalog_card_is_complete_and_within_discord_limits() {
        for entry in catalog().entries() {
            let card = Card::for_entry(entry);
            let id = &entry.id;
            assert!(chars(&card.title) <= limits::TITLE, "{id}");
            assert!(chars(&card.description) <= limits::DESCRIPTION, "{id}");
            assert!(card.fields.len() <= limits::FIELDS, "{id}");
            for f in &card.fields {
                assert!(
                    chars(&f.name) <= limits::FIELD_NAME && !f.name.is_empty(),
                    "{id}"
                );
                assert!(
                    chars(&f.value) <= limits::FIELD_VALUE && !f.value.is_empty(),
                    "{id}"
                );
            }
            assert!(
                card.total_chars() <= limits::TOTAL,
                "{id}: {}",
                card.total_chars()
            );
            // Nothing was trimmed: every step is on the card in full, numbered.
            for (index, step) in entry.steps.iter().enumerate() {
                assert!(
                    card.description.contains(&format!("{}. {step}", index + 1)),
                    "{id}: step {} missing",
                    index + 1
                );
            }
            assert!(card.description.contains(&entry.why), "{id}");
            assert_eq!(card.footer, SAFETY_LINE, "{id}");
            let field = |name: &str| card.fields.iter().find(|f| f.name.contains(name));
            assert!(field("Dose").is_some(), "{id}");
            assert!(
                field("Equipment").is_some() && field("Difficulty").is_some(),
                "{id}"
            );
            assert!(
                field("Source").is_some_and(|f| f.value.contains(&entry.sources[0].publisher)),
                "{id}"
            );
            if let Some(caution) = &entry.caution {
                assert!(
                    field("Caution").is_some_and(|f| &f.value == caution),
                    "{id}"
                );
            }
        }
    }

    #[test]
    fn the_per_side_dose_says_so() {
        let catalog = catalog();
        let card = Card::for_entry(catalog.get("thread-the-needle").unwrap());
        let dose = &card.fields[0];
        assert_eq!(dose.name, "Dose");
        assert!(
            dose.value.contains("hold 5–10 s") && dose.value.contains("each side"),
            "{}",
            dose.value
        );
    }

    #[test]
    fn oversized_text_is_trimmed_to_fit() {
        let mut entry = catalog().get("cat-cow").unwrap().clone();
        entry.name = "n".repeat(300);
        entry.steps = vec!["s".repeat(3000); 4];
        entry.caution = Some("c".repeat(2000));
        let card = Card::for_entry(&entry);
        assert_eq!(chars(&card.title), limits::TITLE);
        assert!(card.title.ends_with('…'));
        assert!(
            card.fields
                .iter()
                .all(|f| chars(&f.value) <= limits::FIELD_VALUE)
        );
        assert!(card.total_chars() <= limits::TOTAL);
        assert!(chars(&card.description) <= limits::DESCRIPTION);
    }
}
