//! Catalog filters: which entries a schedule (or a member asking for a stretch) will accept, how that
//! choice is stored, and how it reads in a message.
//!
//! Safe by default: without a difficulty, filters admit easy and moderate entries only. An advanced entry
//! (Wheel Pose, whose own caution says to learn it from an instructor first) is posted or picked only
//! for someone who asked for it, by `difficulty: advanced` or [`Filters::include_advanced`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::entry::{Category, Difficulty, Entry, Equipment, Position, Vocabulary};

/// Restrictions on catalog entries; `None` in a field means "any", except that `difficulty: None` means
/// "easy or moderate" unless `include_advanced` is set.
///
/// Stored as JSON with the content-file spellings (`{"position":"seated","equipment":["chair"]}`);
/// missing fields read as "any", and a missing `include_advanced` as false, so that every schedule stored
/// before the safe default follows it from its next post on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub position: Option<Position>,
    /// What we have, not what an entry must use: an entry matches when it needs nothing beyond this list.
    /// `[Equipment::None]` (or an empty list) admits only entries that need nothing.
    pub equipment: Option<Vec<Equipment>>,
    pub difficulty: Option<Difficulty>,
    pub category: Option<Category>,
    /// Admits advanced entries too when no `difficulty` is given; an explicit `difficulty` wins.
    #[serde(skip_serializing_if = "is_false")]
    pub include_advanced: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl Filters {
    pub fn matches(&self, entry: &Entry) -> bool {
        self.position
            .is_none_or(|position| entry.position == position)
            && match self.difficulty {
                Some(difficulty) => entry.difficulty == difficulty,
                None => self.include_advanced || entry.difficulty != Difficulty::Advanced,
            }
            && self
                .category
                .is_none_or(|category| entry.category == category)
            && self
                .equipment
                .as_deref()
                .is_none_or(|available| entry.needs_only(available))
    }

    /// Filters that admit every entry, advanced ones included (browsing the catalog).
    pub fn everything() -> Self {
        Self {
            include_advanced: true,
            ..Self::default()
        }
    }

    /// True when nothing was chosen: the safe default of easy and moderate entries.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// True when advanced entries are left out only by the safe default, not by a chosen difficulty.
    pub fn leaves_out_advanced_by_default(&self) -> bool {
        self.difficulty.is_none() && !self.include_advanced
    }

    /// The filters as a reader would say them: `seated, easy, needs only: chair`, `easy or moderate`
    /// (the default), or `any stretch`.
    pub fn summary(&self) -> String {
        let difficulty = match self.difficulty {
            Some(difficulty) => Some(difficulty.label()),
            None if self.include_advanced => None,
            None => Some(SAFE_DIFFICULTIES),
        };
        let mut parts: Vec<String> = [
            self.category.map(Category::label),
            self.position.map(Position::label),
            difficulty,
        ]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
        if let Some(available) = &self.equipment {
            parts.push(equipment_summary(available));
        }
        if parts.is_empty() {
            "any stretch".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// How the default difficulty reads.
const SAFE_DIFFICULTIES: &str = "easy or moderate";

impl fmt::Display for Filters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

fn equipment_summary(available: &[Equipment]) -> String {
    // `None` is implied by any list (nobody needs equipment to use nothing), so it only speaks on its own.
    let items: Vec<&str> = available
        .iter()
        .filter(|item| **item != Equipment::None)
        .map(|item| item.label())
        .collect();
    if items.is_empty() {
        "no equipment".to_owned()
    } else {
        format!("needs only: {}", items.join(" + "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        position: Position,
        difficulty: Difficulty,
        category: Category,
        equipment: &[Equipment],
    ) -> Entry {
        Entry {
            category,
            position,
            equipment: equipment.to_vec(),
            difficulty,
            ..Entry::example("test-entry")
        }
    }

    fn seated_chair_twist() -> Entry {
        entry(
            Position::Seated,
            Difficulty::Easy,
            Category::Mobility,
            &[Equipment::Chair],
        )
    }

    fn wheel_pose() -> Entry {
        entry(
            Position::Lying,
            Difficulty::Advanced,
            Category::Stretch,
            &[Equipment::Mat],
        )
    }

    #[test]
    fn no_filters_admit_easy_and_moderate_entries_only() {
        let filters = Filters::default();
        assert!(filters.is_empty());
        assert!(filters.leaves_out_advanced_by_default());
        assert!(filters.matches(&seated_chair_twist()));
        let moderate = Entry {
            difficulty: Difficulty::Moderate,
            ..seated_chair_twist()
        };
        assert!(filters.matches(&moderate));
        assert!(!filters.matches(&wheel_pose()));
        assert_eq!(filters.summary(), "easy or moderate");
    }

    #[test]
    fn advanced_entries_need_asking_for() {
        let asked = [
            Filters::everything(),
            Filters {
                difficulty: Some(Difficulty::Advanced),
                ..Filters::default()
            },
        ];
        for filters in asked {
            assert!(filters.matches(&wheel_pose()), "{filters:?}");
            assert!(!filters.leaves_out_advanced_by_default());
            assert!(!filters.is_empty());
        }
        assert!(Filters::everything().matches(&seated_chair_twist()));
        assert_eq!(Filters::everything().summary(), "any stretch");
        // An explicit difficulty wins over include_advanced.
        let easy_only = Filters {
            difficulty: Some(Difficulty::Easy),
            include_advanced: true,
            ..Filters::default()
        };
        assert!(!easy_only.matches(&wheel_pose()));
        assert_eq!(easy_only.summary(), "easy");
    }

    #[test]
    fn each_field_restricts_on_its_own() {
        let entry = seated_chair_twist();
        let matching = [
            Filters {
                position: Some(Position::Seated),
                ..Filters::default()
            },
            Filters {
                difficulty: Some(Difficulty::Easy),
                ..Filters::default()
            },
            Filters {
                category: Some(Category::Mobility),
                ..Filters::default()
            },
            Filters {
                equipment: Some(vec![Equipment::Chair]),
                ..Filters::default()
            },
        ];
        let failing = [
            Filters {
                position: Some(Position::Standing),
                ..Filters::default()
            },
            Filters {
                difficulty: Some(Difficulty::Advanced),
                ..Filters::default()
            },
            Filters {
                category: Some(Category::Strength),
                ..Filters::default()
            },
            Filters {
                equipment: Some(vec![Equipment::Wall]),
                ..Filters::default()
            },
        ];
        for filters in matching {
            assert!(filters.matches(&entry), "{filters:?}");
            assert!(!filters.is_empty());
        }
        for filters in failing {
            assert!(!filters.matches(&entry), "{filters:?}");
        }
    }

    #[test]
    fn equipment_is_what_we_have_not_what_is_used() {
        let needs_nothing = entry(
            Position::Standing,
            Difficulty::Easy,
            Category::Stretch,
            &[Equipment::None],
        );
        let needs_chair_and_towel = entry(
            Position::Seated,
            Difficulty::Easy,
            Category::Stretch,
            &[Equipment::Chair, Equipment::Towel],
        );
        let have = |items: &[Equipment]| Filters {
            equipment: Some(items.to_vec()),
            ..Filters::default()
        };

        for nothing in [have(&[Equipment::None]), have(&[])] {
            assert!(nothing.matches(&needs_nothing));
            assert!(!nothing.matches(&needs_chair_and_towel));
        }
        assert!(have(&[Equipment::Chair]).matches(&needs_nothing));
        assert!(!have(&[Equipment::Chair]).matches(&needs_chair_and_towel));
        assert!(
            have(&[Equipment::Towel, Equipment::Chair, Equipment::Wall])
                .matches(&needs_chair_and_towel)
        );
    }

    #[test]
    fn summary_reads_like_a_sentence() {
        let filters = Filters {
            position: Some(Position::Seated),
            difficulty: Some(Difficulty::Easy),
            equipment: Some(vec![Equipment::Chair]),
            category: None,
            include_advanced: false,
        };
        assert_eq!(filters.summary(), "seated, easy, needs only: chair");

        let filters = Filters {
            category: Some(Category::Stretch),
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::None, Equipment::Mat, Equipment::FoamRoller]),
            difficulty: None,
            include_advanced: true,
        };
        assert_eq!(
            filters.to_string(),
            "stretch, on hands and knees, needs only: mat + foam roller"
        );

        let nothing = Filters {
            equipment: Some(vec![Equipment::None]),
            ..Filters::default()
        };
        assert_eq!(nothing.summary(), "easy or moderate, no equipment");
    }

    #[test]
    fn round_trips_through_json_with_content_spellings() {
        let filters = Filters {
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::FoamRoller, Equipment::None]),
            difficulty: Some(Difficulty::Moderate),
            category: None,
            include_advanced: false,
        };
        let json = serde_json::to_string(&filters).unwrap();
        // Without include_advanced the JSON is what it was before the safe default.
        assert_eq!(
            json,
            r#"{"position":"hands-and-knees","equipment":["foam-roller","none"],"difficulty":"moderate","category":null}"#
        );
        assert_eq!(serde_json::from_str::<Filters>(&json).unwrap(), filters);
        let everything = serde_json::to_string(&Filters::everything()).unwrap();
        assert!(
            everything.contains(r#""include_advanced":true"#),
            "{everything}"
        );
        assert_eq!(
            serde_json::from_str::<Filters>(&everything).unwrap(),
            Filters::everything()
        );
    }

    #[test]
    fn missing_fields_read_as_any_and_unknown_values_are_explained() {
        let filters: Filters = serde_json::from_str(r#"{"position":"seated"}"#).unwrap();
        assert_eq!(
            filters,
            Filters {
                position: Some(Position::Seated),
                ..Filters::default()
            }
        );
        // A schedule stored before the safe default reads as it: easy and moderate only.
        assert!(serde_json::from_str::<Filters>("{}").unwrap().is_empty());
        let stored_before: Filters = serde_json::from_str(
            r#"{"position":null,"equipment":null,"difficulty":null,"category":null}"#,
        )
        .unwrap();
        assert!(stored_before.leaves_out_advanced_by_default());

        let error = serde_json::from_str::<Filters>(r#"{"position":"upside-down"}"#).unwrap_err();
        assert!(
            error.to_string().contains("use one of seated, standing"),
            "{error}"
        );
    }
}
