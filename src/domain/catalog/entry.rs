//! One catalog entry — a stretch or exercise — and the vocabulary that describes it.
//!
//! These types are the parsed, validated form of a `content/<id>.toml` file: every value here has already
//! passed the checks in [`super::load`], so the rest of the bot can rely on them (ranges have `min <= max`,
//! steps are non-empty, ids are slugs).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::pose::Illustration;

/// The stable id of an entry: the slug of its file name (`cat-cow` for `content/cat-cow.toml`).
///
/// Ids are stored by the rotation and the post log, so renaming a file is a breaking change for stored
/// state; aliases are the place for new names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StretchId(String);

impl From<StretchId> for String {
    fn from(id: StretchId) -> String {
        id.0
    }
}

/// Stored ids are checked like ids from file names.
impl TryFrom<String> for StretchId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl StretchId {
    /// Accepts lowercase ASCII letters, digits and single inner hyphens, the shape of a file-name slug.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let well_formed = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "`{raw}` is not a valid id: use lowercase letters, digits and single hyphens, at most 64 characters (like `cat-cow`)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StretchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A closed set of words describing entries (category, position, equipment, difficulty), so that adapters
/// (command options, filters) can offer every value without knowing which vocabulary it is.
pub trait Vocabulary: Copy + Eq + 'static {
    const ALL: &'static [Self];
    /// The spelling used in content files, JSON and command options.
    fn as_str(self) -> &'static str;
    /// How the value reads in a sentence or on a card.
    fn label(self) -> &'static str;
}

/// Declares a closed vocabulary whose spelling in content files and in JSON is the kebab-case name.
/// Reading goes through `FromStr`, whose error lists the allowed spellings.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case", try_from = "String")]
        pub enum $name { $($variant),+ }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                raw.parse()
            }
        }

        impl Vocabulary for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl $name {
            /// The allowed spellings, for error messages.
            pub fn allowed() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(raw: &str) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == raw)
                    .ok_or_else(|| format!(
                        "`{raw}` is not a {}: use one of {}",
                        stringify!($name).to_lowercase(),
                        Self::allowed()
                    ))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary!(
    /// What kind of work an entry is.
    Category {
        Stretch => "stretch" / "stretch",
        Mobility => "mobility" / "mobility",
        Strength => "strength" / "strength",
        Posture => "posture" / "posture",
    }
);

vocabulary!(
    /// The body position an entry starts from.
    Position {
        Seated => "seated" / "seated",
        Standing => "standing" / "standing",
        Kneeling => "kneeling" / "kneeling",
        Lying => "lying" / "lying down",
        HandsAndKnees => "hands-and-knees" / "on hands and knees",
    }
);

vocabulary!(
    /// Something an entry needs besides a body. `None` stands alone: an entry needing nothing lists only it.
    Equipment {
        None => "none" / "no equipment",
        Chair => "chair" / "chair",
        Wall => "wall" / "wall",
        Doorway => "doorway" / "doorway",
        Mat => "mat" / "mat",
        Towel => "towel" / "towel",
        FoamRoller => "foam-roller" / "foam roller",
        ExerciseBall => "exercise-ball" / "exercise ball",
        Dumbbells => "dumbbells" / "dumbbells",
        ResistanceBand => "resistance-band" / "resistance band",
    }
);

vocabulary!(
    /// How hard an entry is for someone new to it.
    Difficulty {
        Easy => "easy" / "easy",
        Moderate => "moderate" / "moderate",
        Advanced => "advanced" / "advanced",
    }
);

/// An inclusive amount range from the articles, e.g. "hold for 20 to 30 seconds" is `20..=30`.
/// A single figure ("hold for 5 seconds") has `min == max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub min: u32,
    pub max: u32,
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}–{}", self.min, self.max)
        }
    }
}

/// How much of an entry to do. Every part is optional because the articles give different parts:
/// a hold may be counted in seconds or in breaths, a dynamic move only in reps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dose {
    /// Seconds per hold (per rep when `reps` is also given).
    pub hold_s: Option<Amount>,
    /// Repetitions per set (per side for per-side entries).
    pub reps: Option<Amount>,
    pub sets: Option<Amount>,
    /// A hold counted in breaths instead of seconds (or breaths per rep for a breath-paced move).
    pub breaths: Option<Amount>,
    /// How often the articles suggest doing it, in words ("every hour").
    pub frequency: Option<String>,
}

/// A way to do an entry that one article describes differently from the main steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub name: String,
    pub how: String,
    /// Seed file names of the articles this variant comes from; each is also in the entry's sources.
    pub sources: Vec<String>,
}

/// An article an entry's facts come from, as a reader would cite it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub title: String,
    pub publisher: String,
    /// The seed file the article was read from (`000_0efe8dbd1584015e.txt`).
    pub seed: String,
}

/// One stretch or exercise of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: StretchId,
    pub name: String,
    pub aliases: Vec<String>,
    /// Why it helps, in one or two sentences.
    pub why: String,
    /// Body areas it targets, in plain words ("mid back", "chest").
    pub areas: Vec<String>,
    pub category: Category,
    pub position: Position,
    pub equipment: Vec<Equipment>,
    pub difficulty: Difficulty,
    pub per_side: bool,
    pub dose: Dose,
    /// The instructions, in order; shown numbered from 1.
    pub steps: Vec<String>,
    pub caution: Option<String>,
    pub variants: Vec<Variant>,
    pub sources: Vec<Source>,
    /// Poses and props to draw; left out of JSON listings, which describe the words of an entry.
    #[serde(skip)]
    pub illustration: Illustration,
    /// Whether it is one of `content/` or a server's own; left out of JSON listings, which are of
    /// `content/`.
    #[serde(skip)]
    pub origin: Origin,
}

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// A file of `content/`, the same for every server.
    #[default]
    BuiltIn,
    /// Added by the server it is shown in, as its admins typed it.
    Server,
}

impl Entry {
    /// A minimal valid entry for tests: seated, easy, no equipment, one step, no dose.
    #[cfg(test)]
    pub(crate) fn example(id: &str) -> Entry {
        Entry {
            id: StretchId::parse(id).expect("example ids are slugs"),
            name: id.to_owned(),
            aliases: vec![],
            why: String::new(),
            areas: vec![],
            category: Category::Stretch,
            position: Position::Seated,
            equipment: vec![Equipment::None],
            difficulty: Difficulty::Easy,
            per_side: false,
            dose: Dose::default(),
            steps: vec!["Sit tall.".to_owned()],
            caution: None,
            variants: vec![],
            sources: vec![],
            illustration: Illustration::default(),
            origin: Origin::BuiltIn,
        }
    }

    /// True when the entry can be done with nothing beyond `available` (and a body).
    pub fn needs_only(&self, available: &[Equipment]) -> bool {
        self.equipment
            .iter()
            .all(|needed| *needed == Equipment::None || available.contains(needed))
    }
}

impl Dose {
    /// The dose in a few words, e.g. "hold 20–30 s · 5–10 reps · each side · every hour".
    pub fn summary(&self, per_side: bool) -> String {
        let mut parts = Vec::new();
        if let Some(hold) = self.hold_s {
            parts.push(match hold.min {
                0 => format!("hold up to {}", duration_in_words(hold.max)),
                _ if hold.min == hold.max => format!("hold {}", duration_in_words(hold.max)),
                _ => format!("hold {hold} s"),
            });
        }
        if let Some(breaths) = self.breaths {
            parts.push(format!("hold {breaths} breaths"));
        }
        if let Some(reps) = self.reps {
            parts.push(format!("{reps} reps"));
        }
        if let Some(sets) = self.sets {
            parts.push(format!("{sets} sets"));
        }
        if per_side {
            parts.push("each side".to_owned());
        }
        if let Some(frequency) = &self.frequency {
            parts.push(frequency.clone());
        }
        if parts.is_empty() {
            "at your own pace".to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

/// `45 s`, `5 min`, `2 min 30 s`.
pub fn duration_in_words(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dose_summary_reads_naturally() {
        let dose = Dose {
            hold_s: Some(Amount { min: 20, max: 30 }),
            reps: Some(Amount { min: 5, max: 10 }),
            frequency: Some("every hour".into()),
            ..Dose::default()
        };
        assert_eq!(
            dose.summary(true),
            "hold 20–30 s · 5–10 reps · each side · every hour"
        );
        let up_to = Dose {
            hold_s: Some(Amount { min: 0, max: 300 }),
            ..Dose::default()
        };
        assert_eq!(up_to.summary(false), "hold up to 5 min");
        let breaths = Dose {
            breaths: Some(Amount { min: 5, max: 5 }),
            sets: Some(Amount { min: 2, max: 3 }),
            ..Dose::default()
        };
        assert_eq!(breaths.summary(false), "hold 5 breaths · 2–3 sets");
        assert_eq!(Dose::default().summary(false), "at your own pace");
    }

    #[test]
    fn ids_are_slugs() {
        assert!(StretchId::parse("cat-cow").is_ok());
        for bad in ["", "Cat-Cow", "-cat", "cat-", "cat--cow", "cat cow", "çat"] {
            assert!(StretchId::parse(bad).is_err(), "{bad}");
        }
    }
}
