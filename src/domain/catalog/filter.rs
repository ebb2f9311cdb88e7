//! Catalog filters: which entries a schedule (or a member asking for a stretch) will accept, how that
//! choice is stored, and how it reads in a message.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::entry::{Category, Difficulty, Entry, Equipment, Position, Vocabulary};

/// Restrictions on catalog entries; `None` in a field means "any".
///
/// Stored as JSON with the content-file spellings (`{"position":"seated","equipment":["chair"]}`);
/// missing fields read as "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    pub position: Option<Position>,
    /// What we have, not what an entry must use: an entry matches when it needs nothing beyond this list.
    /// `[Equipment::None]` (or an empty list) admits only entries that need nothing.
    pub equipment: Option<Vec<Equipment>>,
    pub difficulty: Option<Difficulty>,
    pub category: Option<Category>,
}

impl Filters {
    pub fn matches(&self, entry: &Entry) -> bool {
        self.position
            .is_none_or(|position| entry.position == position)
            && self
                .difficulty
                .is_none_or(|difficulty| entry.difficulty == difficulty)
            && self
                .category
                .is_none_or(|category| entry.category == category)
            && self
                .equipment
                .as_deref()
                .is_none_or(|available| entry.needs_only(available))
    }

    /// True when every entry matches.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The filters as a reader would say them: `seated, easy, needs only: chair`, or `any stretch`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = [
            self.category.map(Category::label),
            self.position.map(Position::label),
            self.difficulty.map(Difficulty::label),
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

    #[test]
    fn empty_filters_match_everything() {
        let filters = Filters::default();
        assert!(filters.is_empty());
        assert!(filters.matches(&seated_chair_twist()));
        assert_eq!(filters.summary(), "any stretch");
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
        };
        assert_eq!(filters.summary(), "seated, easy, needs only: chair");

        let filters = Filters {
            category: Some(Category::Stretch),
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::None, Equipment::Mat, Equipment::FoamRoller]),
            difficulty: None,
        };
        assert_eq!(
            filters.to_string(),
            "stretch, on hands and knees, needs only: mat + foam roller"
        );

        let nothing = Filters {
            equipment: Some(vec![Equipment::None]),
            ..Filters::default()
        };
        assert_eq!(nothing.summary(), "no equipment");
    }

    #[test]
    fn round_trips_through_json_with_content_spellings() {
        let filters = Filters {
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::FoamRoller, Equipment::None]),
            difficulty: Some(Difficulty::Moderate),
            category: None,
        };
        let json = serde_json::to_string(&filters).unwrap();
        assert_eq!(
            json,
            r#"{"position":"hands-and-knees","equipment":["foam-roller","none"],"difficulty":"moderate","category":null}"#
        );
        assert_eq!(serde_json::from_str::<Filters>(&json).unwrap(), filters);
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
        assert!(serde_json::from_str::<Filters>("{}").unwrap().is_empty());

        let error = serde_json::from_str::<Filters>(r#"{"position":"upside-down"}"#).unwrap_err();
        assert!(
            error.to_string().contains("use one of seated, standing"),
            "{error}"
        );
    }
}
