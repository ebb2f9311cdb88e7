//! A server's own entries: what an admin typed, checked field by field, kept in the form it was typed in
//! ([`OwnEntry`], what the stores hold) and turned into an [`Entry`] that behaves like a built-in one
//! in that server only. The rules and limits of own entries live here.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::dose_words::{DoseWords, parse_dose};
use super::entry::{Category, Difficulty, Entry, Equipment, Origin, Position, StretchId};
use super::load::{Catalog, normalize_name};
use crate::domain::pose::Illustration;

/// The most own entries one server may have.
pub const MAX_OWN_ENTRIES: usize = 100;
/// The most steps an own entry may have.
pub const MAX_STEPS: usize = 20;

/// The longest each typed field may be, in characters. They fit Discord's limits where the text ends
/// up: a choice name (100), a modal text input (4000), an embed field value (1024) and, with the
/// numbering, the card's description (4096).
pub mod lengths {
    pub const NAME: usize = 80;
    pub const WHY: usize = 1000;
    pub const STEP: usize = 300;
    pub const STEPS: usize = 3500;
    pub const DOSE: usize = 200;
    pub const CAUTION: usize = 1000;
}

/// A server's own entry as stored: the text as typed, the dose in its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnEntry {
    pub id: StretchId,
    pub name: String,
    pub why: String,
    pub steps: Vec<String>,
    pub dose: DoseWords,
    pub caution: Option<String>,
    pub category: Category,
    pub position: Position,
    pub equipment: Vec<Equipment>,
    pub difficulty: Difficulty,
    /// The built-in pose its card and timer show; none draws no picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<PoseRef>,
}

/// One pose of a built-in entry, by entry id and pose name: `cat-cow/cow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PoseRef {
    pub entry: StretchId,
    pub pose: String,
}

impl PoseRef {
    /// `entry/pose`, checked against the built-in poses; the error says what to write.
    pub fn parse(text: &str, builtin: &Catalog) -> Result<PoseRef, String> {
        let unknown = || {
            format!(
                "`{text}` is not a built-in pose; write the entry's id and the pose's name, like `cat-cow/cow` (see `stretchbot render`)"
            )
        };
        let (entry, pose) = text.trim().split_once('/').ok_or_else(unknown)?;
        let found = builtin
            .get(entry)
            .filter(|entry| entry.illustration.poses.iter().any(|p| p.name == pose))
            .ok_or_else(unknown)?;
        Ok(PoseRef {
            entry: found.id.clone(),
            pose: pose.to_owned(),
        })
    }

    /// Every built-in pose, in catalog order.
    pub fn all(builtin: &Catalog) -> Vec<(PoseRef, &Entry)> {
        builtin
            .entries()
            .iter()
            .flat_map(|entry| {
                entry.illustration.poses.iter().map(move |pose| {
                    let pose = PoseRef {
                        entry: entry.id.clone(),
                        pose: pose.name.clone(),
                    };
                    (pose, entry)
                })
            })
            .collect()
    }

    /// The pose as an illustration of an entry of `steps` steps: the pose, with its entry's props, for
    /// every step and while holding; `None` when the built-in entry no longer has it.
    fn illustration(&self, builtin: &Catalog, steps: usize) -> Option<Illustration> {
        let source = builtin.get(self.entry.as_str())?;
        let pose = source
            .illustration
            .poses
            .iter()
            .find(|pose| pose.name == self.pose)?;
        Some(Illustration {
            poses: vec![pose.clone()],
            step_poses: vec![0; steps],
            motion: Vec::new(),
            work: Some([0, 0]),
            props: source.illustration.props.clone(),
        })
    }
}

impl fmt::Display for PoseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.entry, self.pose)
    }
}

impl From<PoseRef> for String {
    fn from(pose: PoseRef) -> String {
        pose.to_string()
    }
}

/// Stored references are read without the catalog; one that no longer names a pose draws nothing.
impl TryFrom<String> for PoseRef {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let (entry, pose) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not `entry/pose`"))?;
        Ok(PoseRef {
            entry: StretchId::parse(entry)?,
            pose: pose.to_owned(),
        })
    }
}

/// What an admin typed into the form, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub why: String,
    /// One step a line.
    pub steps: String,
    pub dose: String,
    pub caution: String,
}

/// The choices made before the form opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    pub category: Category,
    pub position: Position,
    pub equipment: Equipment,
    pub difficulty: Difficulty,
}

/// One problem with one field: which, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl Draft {
    /// The form an existing entry is edited in.
    pub fn of(entry: &OwnEntry) -> Draft {
        Draft {
            name: entry.name.clone(),
            why: entry.why.clone(),
            steps: entry.steps.join("\n"),
            dose: entry.dose.to_string(),
            caution: entry.caution.clone().unwrap_or_default(),
        }
    }

    /// Checks every field and returns every problem at once. `builtin` and `own` are what the server has
    /// already; `editing` is the id of the entry being replaced, whose own id and name stay available.
    pub fn check(
        &self,
        choices: &Choices,
        builtin: &Catalog,
        own: &[OwnEntry],
        editing: Option<&StretchId>,
    ) -> Result<OwnEntry, Vec<FieldProblem>> {
        self.check_as(choices, builtin, own, editing, None)
    }

    /// [`Draft::check`] for a new entry whose file gave its id (`wanted`), kept instead of the name's.
    pub(crate) fn check_as(
        &self,
        choices: &Choices,
        builtin: &Catalog,
        own: &[OwnEntry],
        editing: Option<&StretchId>,
        wanted: Option<StretchId>,
    ) -> Result<OwnEntry, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &'static str, message: String| {
            problems.push(FieldProblem { field, message });
        };
        let name = text(&mut problem, "Name", &self.name, lengths::NAME, true);
        let why = text(&mut problem, "Why it helps", &self.why, lengths::WHY, true);
        let caution = text(
            &mut problem,
            "Caution",
            &self.caution,
            lengths::CAUTION,
            false,
        );
        let steps = steps(&mut problem, &self.steps);
        let dose = if self.dose.chars().count() > lengths::DOSE {
            problem("Dose", too_long(lengths::DOSE));
            None
        } else {
            parse_dose(&self.dose)
                .map_err(|error| problem("Dose", error.to_string()))
                .ok()
        };
        let id = name.as_deref().and_then(|name| {
            let taken = taken_by(name, builtin, own, editing);
            if let Some(other) = taken {
                problem(
                    "Name",
                    format!("`{name}` is already the name of {other}; pick another name"),
                );
                return None;
            }
            let id = editing.cloned().or(wanted).unwrap_or_else(|| id_for(name));
            let clash = builtin.get(id.as_str()).is_some()
                || own
                    .iter()
                    .any(|entry| entry.id == id && Some(&entry.id) != editing);
            if clash {
                problem(
                    "Name",
                    format!("its id `{id}` is already taken in this server; pick another name"),
                );
                return None;
            }
            Some(id)
        });
        if editing.is_none() && own.len() >= MAX_OWN_ENTRIES {
            problem(
                "Name",
                format!(
                    "this server already has {MAX_OWN_ENTRIES} own stretches, the most allowed; remove one with `/catalog remove` first"
                ),
            );
        }
        match (id, name, why, steps, dose, caution) {
            (Some(id), Some(name), Some(why), Some(steps), Some(dose), Some(caution))
                if problems.is_empty() =>
            {
                Ok(OwnEntry {
                    id,
                    name,
                    why,
                    steps,
                    dose,
                    caution: (!caution.is_empty()).then_some(caution),
                    category: choices.category,
                    position: choices.position,
                    equipment: vec![choices.equipment],
                    difficulty: choices.difficulty,
                    picture: None,
                })
            }
            _ => Err(problems),
        }
    }
}

/// Which entry already answers to `name` (its name or an alias), other than the one being edited.
fn taken_by(
    name: &str,
    builtin: &Catalog,
    own: &[OwnEntry],
    editing: Option<&StretchId>,
) -> Option<String> {
    if let Some(entry) = builtin.find(name) {
        return Some(format!("the built-in stretch {}", entry.name));
    }
    let wanted = normalize_name(name);
    own.iter()
        .filter(|entry| Some(&entry.id) != editing)
        .find(|entry| {
            normalize_name(&entry.name) == wanted || normalize_name(entry.id.as_str()) == wanted
        })
        .map(|entry| format!("this server's stretch {}", entry.name))
}

/// The slug of a name (`Desk Neck Roll` → `desk-neck-roll`); a name without a Latin letter or digit
/// gets `own-` and a number from its letters, so that every name has an id.
pub fn id_for(name: &str) -> StretchId {
    let slug: String = normalize_name(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    slug.truncate(60);
    let slug = slug.trim_end_matches('-').to_owned();
    StretchId::parse(&slug).unwrap_or_else(|_| {
        // FNV-1a: stable across builds, unlike the standard library's hasher.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        StretchId::parse(&format!("own-{:08x}", hash as u32))
            .unwrap_or_else(|_| unreachable!("`own-` and hex digits are a slug"))
    })
}

/// A text field: trimmed, within `most` characters, with no mention in it; blank only when not
/// `required` (then empty).
fn text(
    problem: &mut impl FnMut(&'static str, String),
    field: &'static str,
    raw: &str,
    most: usize,
    required: bool,
) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() && required {
        problem(field, "is empty; write it out".to_owned());
        return None;
    }
    if trimmed.chars().count() > most {
        problem(field, too_long(most));
        return None;
    }
    if let Some(mention) = mention_in(trimmed) {
        problem(
            field,
            format!("`{mention}` would mention someone; write names in plain words"),
        );
        return None;
    }
    Some(trimmed.to_owned())
}

fn too_long(most: usize) -> String {
    format!("is longer than {most} characters; shorten it")
}

/// The steps, one a line, blank lines left out.
fn steps(problem: &mut impl FnMut(&'static str, String), raw: &str) -> Option<Vec<String>> {
    if raw.chars().count() > lengths::STEPS {
        problem("Steps", too_long(lengths::STEPS));
        return None;
    }
    let lines: Vec<&str> = raw
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if lines.is_empty() {
        problem("Steps", "are empty; write one step a line".to_owned());
        return None;
    }
    if lines.len() > MAX_STEPS {
        problem(
            "Steps",
            format!(
                "are {} lines, more than {MAX_STEPS}; join some, one step a line",
                lines.len()
            ),
        );
        return None;
    }
    let mut clean = true;
    for (number, line) in lines.iter().enumerate() {
        if line.chars().count() > lengths::STEP {
            problem(
                "Steps",
                format!(
                    "step {} is longer than {} characters; split it over two lines",
                    number + 1,
                    lengths::STEP
                ),
            );
            clean = false;
        } else if let Some(mention) = mention_in(line) {
            problem(
                "Steps",
                format!(
                    "step {}: `{mention}` would mention someone; write names in plain words",
                    number + 1
                ),
            );
            clean = false;
        }
    }
    clean.then(|| lines.into_iter().map(str::to_owned).collect())
}

/// The first piece of `text` Discord would read as a mention: `@everyone`, `@here`, or a user, role or
/// channel mention (`<@…>`, `<@&…>`, `<#…>`), also with invisible characters inside.
pub fn mention_in(text: &str) -> Option<String> {
    let visible: String = text
        .chars()
        .filter(|c| !matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}'))
        .collect();
    let lower = visible.to_lowercase();
    for word in ["@everyone", "@here"] {
        if lower.contains(word) {
            return Some(word.to_owned());
        }
    }
    let mut rest = visible.as_str();
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let body = after.trim_start_matches(['@', '#', '&', '!']);
        let marked = body.len() < after.len();
        let digits = body.bytes().take_while(u8::is_ascii_digit).count();
        if marked && digits > 0 && body[digits..].starts_with('>') {
            let end = start + 1 + (after.len() - body.len()) + digits + 1;
            return Some(rest[start..end].to_owned());
        }
        rest = after;
    }
    None
}

impl OwnEntry {
    /// The entry it stands for, in its server; its picture is drawn from `builtin`'s pose.
    pub fn to_entry(&self, builtin: &Catalog) -> Entry {
        Entry {
            id: self.id.clone(),
            name: self.name.clone(),
            aliases: Vec::new(),
            why: self.why.clone(),
            areas: Vec::new(),
            category: self.category,
            position: self.position,
            equipment: self.equipment.clone(),
            difficulty: self.difficulty,
            per_side: self.dose.per_side,
            dose: self.dose.dose.clone(),
            steps: self.steps.clone(),
            caution: self.caution.clone(),
            variants: Vec::new(),
            sources: Vec::new(),
            illustration: self
                .picture
                .as_ref()
                .and_then(|pose| pose.illustration(builtin, self.steps.len()))
                .unwrap_or_default(),
            origin: Origin::Server,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;

    fn builtin() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    fn draft() -> Draft {
        Draft {
            name: "Desk Neck Roll".into(),
            why: "Loosens a neck stiff from screens.".into(),
            steps: "Sit tall.\n\n  Roll your head slowly.  \nBreathe out.".into(),
            dose: "5 breaths, per side".into(),
            caution: String::new(),
        }
    }

    fn choices() -> Choices {
        Choices {
            category: Category::Stretch,
            position: Position::Seated,
            equipment: Equipment::Chair,
            difficulty: Difficulty::Easy,
        }
    }

    #[test]
    fn a_good_draft_becomes_an_entry_of_this_server() {
        let own = draft().check(&choices(), &builtin(), &[], None).unwrap();
        assert_eq!(own.id.as_str(), "desk-neck-roll");
        assert_eq!(
            own.steps,
            ["Sit tall.", "Roll your head slowly.", "Breathe out."]
        );
        assert_eq!(own.caution, None);
        let entry = own.to_entry(&builtin());
        assert_eq!(entry.origin, Origin::Server);
        assert!(entry.per_side);
        assert_eq!(entry.equipment, [Equipment::Chair]);
        assert_eq!(
            Draft::of(&own).check(&choices(), &builtin(), &[], None),
            Ok(own)
        );
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let bad = Draft {
            name: "  ".into(),
            why: "x".repeat(lengths::WHY + 1),
            steps: (0..=MAX_STEPS).map(|n| format!("step {n}\n")).collect(),
            dose: "a lot".into(),
            caution: "ask @everyone".into(),
        };
        let problems = bad.check(&choices(), &builtin(), &[], None).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["Name", "Why it helps", "Caution", "Steps", "Dose"]);
        assert!(problems[3].message.contains("more than 20"), "{problems:?}");
        assert!(problems[4].message.contains("`a lot`"), "{problems:?}");
    }

    #[test]
    fn names_and_ids_never_collide() {
        let builtin = builtin();
        let taken = Draft {
            name: "cat cow".into(),
            ..draft()
        };
        let problems = taken.check(&choices(), &builtin, &[], None).unwrap_err();
        assert!(
            problems[0].message.contains("built-in stretch Cat-Cow"),
            "{problems:?}"
        );
        let first = draft().check(&choices(), &builtin, &[], None).unwrap();
        let again = draft().check(&choices(), &builtin, std::slice::from_ref(&first), None);
        assert!(
            again.unwrap_err()[0]
                .message
                .contains("this server's stretch")
        );
        let by_id = Draft {
            name: "desk-neck-roll".into(),
            ..draft()
        }
        .check(&choices(), &builtin, std::slice::from_ref(&first), None);
        assert!(by_id.is_err(), "a name may not be another entry's id");
        let edited = Draft {
            why: "Better words.".into(),
            ..draft()
        }
        .check(
            &choices(),
            &builtin,
            std::slice::from_ref(&first),
            Some(&first.id),
        )
        .unwrap();
        assert_eq!(edited.id, first.id);
    }

    #[test]
    fn the_limit_of_own_entries_holds() {
        let builtin = builtin();
        let own: Vec<OwnEntry> = (0..MAX_OWN_ENTRIES)
            .map(|n| {
                Draft {
                    name: format!("Mine {n}"),
                    ..draft()
                }
                .check(&choices(), &builtin, &[], None)
                .unwrap()
            })
            .collect();
        let problems = draft().check(&choices(), &builtin, &own, None).unwrap_err();
        assert!(
            problems[0].message.contains("100 own stretches"),
            "{problems:?}"
        );
    }

    #[test]
    fn mentions_are_found_also_when_hidden() {
        for text in [
            "hi <@123>",
            "<@&5> team",
            "see <#9>",
            "@Here now",
            "@every\u{200b}one",
            "<@!42>",
        ] {
            assert!(mention_in(text).is_some(), "{text}");
        }
        for text in ["a < b > c", "<@nobody>", "email me@example.com", "<>"] {
            assert_eq!(mention_in(text), None, "{text}");
        }
    }

    #[test]
    fn a_server_sees_its_own_entries_and_not_what_it_hid() {
        let builtin = builtin();
        let own = draft().check(&choices(), &builtin, &[], None).unwrap();
        let hidden = HashSet::from([StretchId::parse("cat-cow").unwrap()]);
        let view = builtin.for_server(std::slice::from_ref(&own), &hidden);
        assert_eq!(view.len(), builtin.len());
        assert!(view.get("cat-cow").is_none() && view.find("cat cow").is_none());
        assert_eq!(
            view.find("desk neck roll").map(|e| e.origin),
            Some(Origin::Server)
        );
        assert_eq!(
            view.get("wall-angel").map(|e| e.origin),
            Some(Origin::BuiltIn)
        );
        assert!(
            builtin.get("desk-neck-roll").is_none(),
            "other servers do not see it"
        );
        let shadowed = OwnEntry {
            id: StretchId::parse("wall-angel").unwrap(),
            ..own
        };
        let view = builtin.for_server(&[shadowed], &HashSet::new());
        assert_eq!(view.len(), builtin.len(), "a built-in entry keeps its id");
        assert_eq!(
            view.get("wall-angel").map(|e| e.origin),
            Some(Origin::BuiltIn)
        );
    }

    #[test]
    fn a_picture_is_a_built_in_pose_shown_at_every_step() {
        let builtin = builtin();
        assert!(PoseRef::parse("cat-cow/nope", &builtin).is_err());
        assert!(PoseRef::parse("cat-cow", &builtin).is_err());
        let pose = PoseRef::parse(" cat-cow/cow ", &builtin).unwrap();
        assert_eq!(pose.to_string(), "cat-cow/cow");
        assert!(PoseRef::all(&builtin).contains(&(pose.clone(), builtin.get("cat-cow").unwrap())));
        let own = OwnEntry {
            picture: Some(pose),
            ..draft().check(&choices(), &builtin, &[], None).unwrap()
        };
        let entry = own.to_entry(&builtin);
        assert_eq!(entry.illustration.poses[0].name, "cow");
        assert_eq!(entry.illustration.step_poses, [0, 0, 0]);
        let stored: OwnEntry = serde_json::from_str(&serde_json::to_string(&own).unwrap()).unwrap();
        assert_eq!(stored, own);
        assert!(
            OwnEntry {
                picture: None,
                ..own
            }
            .to_entry(&builtin)
            .illustration
            .poses
            .is_empty()
        );
    }

    #[test]
    fn ids_are_slugs_of_the_name() {
        assert_eq!(id_for("Child's Pose (easy)").as_str(), "childs-pose-easy");
        assert!(id_for("肩回し").as_str().starts_with("own-"));
        assert_eq!(id_for(&"a".repeat(100)).as_str().len(), 60);
    }
}
