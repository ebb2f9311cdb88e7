//! The catalog loader: turns `content/*.toml` files into a validated [`Catalog`].
//!
//! It owns the content-file format and every rule about it. Problems are collected rather than returned
//! on the first one, so a content author sees every mistake in every file in one run, each as
//! `path:line: what is wrong and what to write instead`.
//!
//! Here: the catalog, its errors and how an entry is assembled. The parts: [`check`] (one file's
//! problems and the names it claims), [`shapes`] (what each table allows), [`fields`] (reading each
//! value) and [`pictures`] (the `[pictures]` table).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml_edit::{Document, Item, TableLike, Value};

mod check;
mod fields;
mod own_file;
mod pictures;
mod shapes;

use check::{Claims, FileCheck, NameKind};
use fields::{Field, Fields, Node};
pub use own_file::{read_server_stretches, write_server_stretches};
use shapes::*;
pub(super) use shapes::{DOSE_RANGES, Limits};

use super::entry::{
    Amount, Category, Difficulty, Dose, Entry, Equipment, Origin, Position, Source, StretchId,
    Variant, Vocabulary,
};
use super::own::OwnEntry;

/// Every entry of `content/`, validated as a whole: ids, names and aliases are all distinct after
/// [`normalize_name`], so a lookup by any of them names exactly one entry.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Sorted by id, so `get` can binary-search and listings come out in a stable order.
    entries: Vec<Entry>,
    /// Every normalised id, name and alias, to the index of its entry.
    by_name: HashMap<String, usize>,
}

impl Catalog {
    /// Reads every `*.toml` file directly in `dir` (sorted by name; other files ignored), validates all,
    /// and returns every problem at once.
    pub fn load_dir(dir: &Path) -> Result<Catalog, ContentErrors> {
        let about_dir = |message: String| {
            ContentErrors(vec![ContentError {
                path: dir.to_path_buf(),
                line: 0,
                message,
            }])
        };
        let listing = fs::read_dir(dir)
            .and_then(|children| {
                children
                    .map(|child| child.map(|child| child.path()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|err| {
                about_dir(format!(
                    "cannot read the content directory ({err}); check the path and that it is readable"
                ))
            })?;
        let mut paths: Vec<PathBuf> = listing
            .into_iter()
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.is_file())
            .collect();
        if paths.is_empty() {
            return Err(about_dir(
                "the content directory has no `.toml` files; add one file per stretch, like `cat-cow.toml`"
                    .to_owned(),
            ));
        }
        paths.sort();

        let mut unreadable = Vec::new();
        let mut files = Vec::new();
        for path in paths {
            match fs::read_to_string(&path) {
                Ok(text) => files.push(ContentFile { path, text }),
                Err(err) => unreadable.push(ContentError {
                    path,
                    line: 0,
                    message: format!(
                        "cannot read this file ({err}); make it a readable UTF-8 text file"
                    ),
                }),
            }
        }
        match Self::from_files(files) {
            Ok(catalog) if unreadable.is_empty() => Ok(catalog),
            Ok(_) => Err(ContentErrors(unreadable)),
            Err(ContentErrors(rest)) => {
                unreadable.extend(rest);
                Err(ContentErrors(unreadable))
            }
        }
    }

    /// The same as [`Catalog::load_dir`], from in-memory files whose paths are used only in messages.
    pub fn from_files(files: Vec<ContentFile>) -> Result<Catalog, ContentErrors> {
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        let mut claims = Claims::default();
        for (index, file) in files.iter().enumerate() {
            let mut check = FileCheck::new(file);
            entries.extend(read_entry(&mut check));
            claims.take_names(&mut check, index, &files);
            errors.extend(check.finish());
        }
        if errors.is_empty() {
            Ok(Catalog::new(entries))
        } else {
            Err(ContentErrors(errors))
        }
    }

    /// The catalog as one server sees it: the built-in entries it has not hidden, and its own.
    /// Own ids and names never clash with built-in ones ([`super::Draft::check`]); should a later
    /// release add a built-in entry of an own one's id, the built-in one wins, and names likewise.
    pub fn for_server(&self, own: &[OwnEntry], hidden: &HashSet<StretchId>) -> Catalog {
        let entries = self
            .entries
            .iter()
            .filter(|entry| !hidden.contains(&entry.id))
            .cloned()
            .chain(
                own.iter()
                    .filter(|entry| self.get(entry.id.as_str()).is_none())
                    .map(|entry| entry.to_entry(self)),
            )
            .collect();
        Catalog::new(entries)
    }

    fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        // Built-in entries claim their names first, wherever they sort.
        let builtin_first = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.origin == Origin::BuiltIn)
            .chain(
                entries
                    .iter()
                    .enumerate()
                    .filter(|(_, entry)| entry.origin == Origin::Server),
            );
        let mut by_name = HashMap::new();
        for (index, entry) in builtin_first {
            let names = [entry.id.as_str(), entry.name.as_str()]
                .into_iter()
                .chain(entry.aliases.iter().map(String::as_str));
            for name in names {
                by_name.entry(normalize_name(name)).or_insert(index);
            }
        }
        Catalog { entries, by_name }
    }

    /// Every entry, sorted by id.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|entry| entry.id.as_str().cmp(id))
            .ok()
            .map(|index| &self.entries[index])
    }

    /// Exact match on id, name or alias after [`normalize_name`].
    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.by_name
            .get(&normalize_name(name))
            .map(|&index| &self.entries[index])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The form in which ids, names and aliases are compared: lowercase, apostrophes removed (so
/// "Child's Pose" matches "childs pose"), every other run of non-alphanumerics one space, trimmed.
pub fn normalize_name(raw: &str) -> String {
    let mut normal = String::with_capacity(raw.len());
    let mut gap = false;
    for c in raw.chars().filter(|c| !matches!(c, '\'' | '‘' | '’' | 'ʼ')) {
        if c.is_alphanumeric() {
            if gap && !normal.is_empty() {
                normal.push(' ');
            }
            gap = false;
            normal.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    normal
}

/// One content file to load; `path` is used only in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    pub path: PathBuf,
    pub text: String,
}

/// One problem in the content. `line` is 1-based; 0 means the problem is with the path as a whole (an
/// unreadable file or directory) and is left out of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", place(path, *line))]
pub struct ContentError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

fn place(path: &Path, line: usize) -> String {
    match line {
        0 => path.display().to_string(),
        line => format!("{}:{line}", path.display()),
    }
}

/// Every problem found in the content, in file order and by line within a file; displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", one_per_line(.0))]
pub struct ContentErrors(pub Vec<ContentError>);

fn one_per_line(errors: &[ContentError]) -> String {
    errors
        .iter()
        .map(ContentError::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl ContentErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ContentError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn read_id(check: &mut FileCheck) -> Option<StretchId> {
    let parsed = match check.file.path.file_stem().and_then(|stem| stem.to_str()) {
        Some(stem) => StretchId::parse(stem),
        None => Err("the file name is not valid UTF-8".to_owned()),
    };
    match parsed {
        Ok(id) => {
            // Claimed before the names, so that two files with the same id are reported as such.
            check.claim(NameKind::Id, id.as_str(), 1);
            Some(id)
        }
        Err(why) => {
            check.report(
                1,
                format!("the file name is the entry's id, and {why}; rename the file"),
            );
            None
        }
    }
}

/// Reads the whole file. Every problem is reported; the entry is returned only when there were none.
fn read_entry(check: &mut FileCheck) -> Option<Entry> {
    let id = read_id(check);
    let text = check.file.text.as_str();
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(err) => {
            let line = check.line(err.span(), 1);
            let what = err.message().lines().collect::<Vec<_>>().join("; ");
            check.report(
                line,
                format!(
                    "invalid TOML: {what}; fix this first: the rest of the file is checked once it parses"
                ),
            );
            return None;
        }
    };
    let root = Fields::new(check, doc.as_table(), String::new(), 1, &ENTRY);

    let name = root.required(check, "name", |f, c| f.lookup_name(c, NameKind::Name));
    let aliases = root.required(check, "aliases", Field::aliases);
    let why = root.required(check, "why", Field::text);
    let areas = root.required(check, "areas", Field::texts);
    let category = root.required(check, "category", Field::choice::<Category>);
    let position = root.required(check, "position", Field::choice::<Position>);
    let equipment = root.required(check, "equipment", Field::equipment);
    let difficulty = root.required(check, "difficulty", Field::choice::<Difficulty>);
    let per_side = root.required(check, "per_side", Field::flag);
    let steps = root.required(check, "steps", Field::texts);
    let caution = root.optional(check, "caution", Field::text);
    let dose = root.required(check, "dose", Field::dose);
    let sources = root.required(check, "sources", Field::sources);
    let variants = root.optional(check, "variants", |f, c| f.variants(c, sources.as_deref()));
    let step_count = steps.as_ref().map(Vec::len);
    let illustration = root.required(check, "pictures", |f, c| f.illustration(c, step_count));

    let (
        Some(id),
        Some(name),
        Some(aliases),
        Some(why),
        Some(areas),
        Some(category),
        Some(position),
        Some(equipment),
        Some(difficulty),
        Some(per_side),
        Some(steps),
        Some(caution),
        Some(dose),
        Some(variants),
        Some(sources),
        Some(illustration),
    ) = (
        id,
        name,
        aliases,
        why,
        areas,
        category,
        position,
        equipment,
        difficulty,
        per_side,
        steps,
        caution,
        dose,
        variants,
        sources,
        illustration,
    )
    else {
        return None;
    };
    Some(Entry {
        id,
        name,
        aliases,
        why,
        areas,
        category,
        position,
        equipment,
        difficulty,
        per_side,
        dose,
        steps,
        caution,
        variants: variants.unwrap_or_default(),
        sources,
        illustration,
        origin: Origin::BuiltIn,
    })
}

/// Collects every item, unlike `collect::<Option<_>>()`, which would stop (and so stop reporting) at the
/// first failure.
fn every<T>(items: impl Iterator<Item = Option<T>>) -> Option<Vec<T>> {
    items.collect::<Vec<_>>().into_iter().collect()
}

/// Reports each value listed again after its first appearance; true when there were none.
fn no_repeats<'v>(
    check: &mut FileCheck,
    label: &str,
    values: impl IntoIterator<Item = (&'v str, usize)>,
) -> bool {
    let mut seen = HashSet::new();
    let mut clean = true;
    for (value, line) in values {
        if !seen.insert(value) {
            check.report(line, format!("{label} lists `{value}` twice; remove one"));
            clean = false;
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid entry; tests change one line of it. Line numbers are noted for the assertions.
    fn entry_text(name: &str, aliases: &str) -> String {
        format!(
            r#"name = "{name}"
aliases = {aliases}
why = "Moves the whole spine through flexion and extension."
areas = ["mid back", "spine"]
category = "mobility"
position = "hands-and-knees"
equipment = ["mat"]
difficulty = "easy"
per_side = false
steps = ["Start on your hands and knees.", "Arch, then round your back."]
caution = "Move gently."

[dose]
hold_s = {{ min = 20, max = 30 }}
reps = {{ min = 5, max = 10 }}
sets = {{ min = 2, max = 3 }}
breaths = {{ max = 5 }}
frequency = "every hour"

[[variants]]
name = "Seated"
how = "Do it sitting in a chair."
sources = ["001_b.txt"]

[[sources]]
title = "Mid-back stretches"
publisher = "Example Health"
seed = "000_a.txt"

[[sources]]
title = "Desk stretches"
publisher = "Example Office"
seed = "001_b.txt"

[pictures]
steps = ["flat", "cat"]
motion = ["flat", "cat"]
props = [{{ kind = "mat", at = [-40, 0], to = [40, 0] }}]

[pictures.poses.flat]
view = "side"
back = [0, 0, 0]
head = [10, 0]
left_arm = [-90, -90]
right_arm = [-90, -90]
left_leg = [-90, 180, 180]
right_leg = [-90, 180, 180]

[pictures.poses.cat]
view = "side"
back = [30, 0, -30]
head = [-45, -60]
left_arm = [-90, -90]
right_arm = [-90, -90]
left_leg = [-90, 180, 180]
right_leg = [-90, 180, 180]
stretch = ["middle_back"]
arrow = {{ at = "middle_back", toward = 90 }}
"#
        )
    }

    pub(super) fn cat_cow() -> String {
        entry_text("Cat-Cow", r#"["cat cow", "camel cow pose"]"#)
    }

    /// `cat_cow()` with the first `from` replaced by `to`.
    pub(super) fn edited(from: &str, to: &str) -> String {
        let text = cat_cow();
        assert!(text.contains(from), "fixture has no `{from}`");
        text.replacen(from, to, 1)
    }

    fn file(stem: &str, text: &str) -> ContentFile {
        ContentFile {
            path: PathBuf::from(format!("content/{stem}.toml")),
            text: text.to_owned(),
        }
    }

    fn problems(files: Vec<ContentFile>) -> Vec<String> {
        match Catalog::from_files(files) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    pub(super) fn problems_in(text: &str) -> Vec<String> {
        problems(vec![file("cat-cow", text)])
    }

    #[track_caller]
    pub(super) fn assert_reported(problems: &[String], prefix: &str, fragment: &str) {
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(prefix) && p.contains(fragment)),
            "expected a problem starting `{prefix}` and containing `{fragment}`, got:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn a_valid_file_loads_with_every_field() {
        let catalog = Catalog::from_files(vec![file("cat-cow", &cat_cow())]).unwrap();
        let entry = catalog.get("cat-cow").unwrap();
        assert_eq!(entry.name, "Cat-Cow");
        assert_eq!(entry.aliases, ["cat cow", "camel cow pose"]);
        assert_eq!(entry.category, Category::Mobility);
        assert_eq!(entry.position, Position::HandsAndKnees);
        assert_eq!(entry.equipment, [Equipment::Mat]);
        assert_eq!(entry.difficulty, Difficulty::Easy);
        assert!(!entry.per_side);
        assert_eq!(entry.steps.len(), 2);
        assert_eq!(entry.caution.as_deref(), Some("Move gently."));
        assert_eq!(entry.dose.hold_s, Some(Amount { min: 20, max: 30 }));
        assert_eq!(entry.dose.breaths, Some(Amount { min: 0, max: 5 }));
        assert_eq!(entry.dose.frequency.as_deref(), Some("every hour"));
        assert_eq!(entry.variants[0].sources, ["001_b.txt"]);
        assert_eq!(entry.sources[1].seed, "001_b.txt");
        assert_eq!(catalog.len(), 1);
        assert!(!catalog.is_empty());
    }

    #[test]
    fn tables_may_be_inline_or_headers() {
        let text = r#"name = "Neck tilt"
aliases = []
why = "Eases a stiff neck."
areas = ["neck"]
category = "stretch"
position = "seated"
equipment = ["none"]
difficulty = "easy"
per_side = true
steps = ["Tilt your ear toward your shoulder."]
dose = { frequency = "twice a day" }
variants = [{ name = "Standing", how = "Stand tall.", sources = ["000_a.txt"] }]
sources = [{ title = "Neck", publisher = "Example", seed = "000_a.txt" }]
pictures = { steps = ["tilt"], poses = { tilt = { view = "front", back = [90, 90, 90], head = [90, 60], left_arm = [-80, -85], right_arm = [-100, -95], left_leg = [0, -90, 0], right_leg = [180, -90, 180] } } }
"#;
        let catalog = Catalog::from_files(vec![file("neck-tilt", text)]).unwrap();
        let entry = catalog.get("neck-tilt").unwrap();
        assert_eq!(entry.dose.frequency.as_deref(), Some("twice a day"));
        assert_eq!(entry.variants[0].name, "Standing");

        let headers = edited("hold_s = { min = 20, max = 30 }\n", "").replacen(
            "[[variants]]",
            "[dose.hold_s]\nmin = 20\nmax = 30\n\n[[variants]]",
            1,
        );
        let catalog = Catalog::from_files(vec![file("cat-cow", &headers)]).unwrap();
        assert_eq!(
            catalog.entries()[0].dose.hold_s,
            Some(Amount { min: 20, max: 30 })
        );
    }

    #[test]
    fn toml_syntax_error_is_one_problem_and_other_files_are_still_checked() {
        let broken = edited("per_side = false", "per_side = ");
        let other = entry_text("Child's Pose", "[]").replacen(
            "category = \"mobility\"",
            "category = \"yoga\"",
            1,
        );
        let found = problems(vec![file("cat-cow", &broken), file("childs-pose", &other)]);
        assert_reported(
            &found,
            "content/cat-cow.toml:9: invalid TOML:",
            "fix this first",
        );
        assert_reported(
            &found,
            "content/childs-pose.toml:5:",
            "`yoga` is not a category",
        );
        assert_eq!(found.len(), 2, "{found:#?}");
    }

    #[test]
    fn unknown_key_suggests_a_close_key() {
        let found = problems_in(&edited("caution =", "cauton ="));
        assert_reported(
            &found,
            "content/cat-cow.toml:11:",
            "unknown key `cauton` at the top level; did you mean `caution`?",
        );
        let found = problems_in(&edited("max = 10", "maxx = 10"));
        assert_reported(
            &found,
            "content/cat-cow.toml:15:",
            "unknown key `maxx` in `dose.reps`; did you mean `max`?",
        );
    }

    #[test]
    fn unknown_key_without_a_close_one_lists_the_allowed_keys() {
        let found = problems_in(&edited("frequency =", "colour = 1\nfrequency ="));
        assert_reported(
            &found,
            "content/cat-cow.toml:18:",
            "unknown key `colour` in `dose`; remove it or use one of hold_s, reps, sets, breaths, frequency",
        );
    }

    #[test]
    fn unknown_keys_in_list_tables_are_reported() {
        let found = problems_in(&edited(
            "publisher = \"Example Office\"",
            "publisher = \"Example Office\"\nurl = \"x\"",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:33:",
            "unknown key `url` in `sources`",
        );
        let found = problems_in(&edited("how =", "howto = \"x\"\nhow ="));
        assert_reported(
            &found,
            "content/cat-cow.toml:22:",
            "`howto` in `variants`; did you mean `how`?",
        );
    }

    #[test]
    fn missing_key_points_at_its_table() {
        let found = problems_in(&edited(
            "why = \"Moves the whole spine through flexion and extension.\"\n",
            "",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:1:",
            "missing key `why`; add `why = \"…\"`",
        );
        let found = problems_in(&edited("seed = \"000_a.txt\"\n", ""));
        assert_reported(
            &found,
            "content/cat-cow.toml:25:",
            "missing key `sources.seed`",
        );
        let found = problems_in(&edited("[dose]\n", "").replacen("hold_s = ", "hold = ", 1));
        assert_reported(
            &found,
            "content/cat-cow.toml:1:",
            "missing key `dose`; add a `[dose]` table",
        );
    }

    #[test]
    fn wrong_type_says_what_to_write() {
        let found = problems_in(&edited("per_side = false", "per_side = \"no\""));
        assert_reported(
            &found,
            "content/cat-cow.toml:9:",
            "`per_side` must be true or false (without quotes), not text",
        );
        let found = problems_in(&edited("steps = [", "steps = 3 #["));
        assert_reported(&found, "content/cat-cow.toml:10:", "`steps` must be a list");
        let found = problems_in(&edited("hold_s = { min = 20, max = 30 }", "hold_s = 30"));
        assert_reported(
            &found,
            "content/cat-cow.toml:14:",
            "`dose.hold_s` must be a table like `{ min = 20, max = 30 }`, not a whole number",
        );
        let found = problems_in(&edited("min = 2,", "min = 2.5,"));
        assert_reported(
            &found,
            "content/cat-cow.toml:16:",
            "`dose.sets.min` must be a whole number, not a decimal number",
        );
    }

    #[test]
    fn vocabulary_values_must_be_allowed() {
        let found = problems_in(&edited(
            "position = \"hands-and-knees\"",
            "position = \"on all fours\"",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:6:",
            "`position`: `on all fours` is not a position: use one of seated, standing",
        );
        let found = problems_in(&edited(
            "equipment = [\"mat\"]",
            "equipment = [\"mat\", \"sofa\"]",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:7:",
            "item 2 of `equipment`: `sofa` is not a equipment",
        );
        let found = problems_in(&edited("difficulty = \"easy\"", "difficulty = \"hard\""));
        assert_reported(
            &found,
            "content/cat-cow.toml:8:",
            "`hard` is not a difficulty: use one of easy, moderate, advanced",
        );
    }

    #[test]
    fn min_above_max_is_reported() {
        let found = problems_in(&edited("min = 20, max = 30", "min = 30, max = 20"));
        assert_reported(
            &found,
            "content/cat-cow.toml:14:",
            "`dose.hold_s` has `min` 30 above `max` 20; swap them",
        );
    }

    #[test]
    fn reps_and_sets_min_of_zero_is_reported() {
        let found =
            problems_in(&edited("min = 5,", "min = 0,").replacen("min = 2,", "min = 0,", 1));
        assert_reported(
            &found,
            "content/cat-cow.toml:15:",
            "`dose.reps.min` is 0; write a whole number from 1 to 1000 (reps)",
        );
        assert_reported(
            &found,
            "content/cat-cow.toml:16:",
            "`dose.sets.min` is 0; write a whole number from 1 to 100 (sets)",
        );
        assert!(
            problems_in(&edited("min = 20,", "min = 0,")).is_empty(),
            "a hold may start at 0"
        );
    }

    #[test]
    fn range_without_max_is_reported() {
        let found = problems_in(&edited("min = 5, max = 10", "min = 5"));
        assert_reported(
            &found,
            "content/cat-cow.toml:15:",
            "missing key `dose.reps.max`; add `max = 30`",
        );
    }

    #[test]
    fn negative_and_absurd_numbers_are_reported() {
        let text = edited("max = 30", "max = 5000")
            .replacen("min = 5,", "min = -1,", 1)
            .replacen("max = 3", "max = 101", 1)
            .replacen("breaths = { max = 5 }", "breaths = { max = 500 }", 1);
        let found = problems_in(&text);
        assert_reported(
            &found,
            "content/cat-cow.toml:14:",
            "`dose.hold_s.max` is 5000; write a whole number from 1 to 3600 (seconds)",
        );
        assert_reported(
            &found,
            "content/cat-cow.toml:15:",
            "`dose.reps.min` is -1; write a whole number from 1 to 1000",
        );
        assert_reported(
            &found,
            "content/cat-cow.toml:16:",
            "`dose.sets.max` is 101; write a whole number from 1 to 100",
        );
        assert_reported(
            &found,
            "content/cat-cow.toml:17:",
            "`dose.breaths.max` is 500; write a whole number from 1 to 100",
        );
        let found = problems_in(&edited("max = 10", "max = 1001"));
        assert_reported(
            &found,
            "content/cat-cow.toml:15:",
            "`dose.reps.max` is 1001",
        );
    }

    #[test]
    fn empty_steps_and_blank_steps_are_reported() {
        let found = problems_in(&edited("steps = [", "steps = []\nold_steps = ["));
        assert_reported(
            &found,
            "content/cat-cow.toml:10:",
            "`steps` is empty; list at least one",
        );
        let found = problems_in(&edited("\"Arch, then round your back.\"", "\"  \""));
        assert_reported(
            &found,
            "content/cat-cow.toml:10:",
            "item 2 of `steps` is blank; write it out or remove it",
        );
    }

    #[test]
    fn empty_name_why_and_areas_are_reported() {
        let text = edited("name = \"Cat-Cow\"", "name = \"\"")
            .replacen(
                "why = \"Moves the whole spine through flexion and extension.\"",
                "why = \" \"",
                1,
            )
            .replacen("areas = [\"mid back\", \"spine\"]", "areas = []", 1);
        let found = problems_in(&text);
        assert_reported(&found, "content/cat-cow.toml:1:", "`name` is blank");
        assert_reported(&found, "content/cat-cow.toml:3:", "`why` is blank");
        assert_reported(&found, "content/cat-cow.toml:4:", "`areas` is empty");
    }

    #[test]
    fn none_must_stand_alone_in_equipment() {
        let found = problems_in(&edited(
            "equipment = [\"mat\"]",
            "equipment = [\"mat\", \"none\"]",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:7:",
            "`equipment` mixes `none` with other equipment; `none` must stand alone",
        );
    }

    #[test]
    fn duplicate_equipment_is_reported() {
        let found = problems_in(&edited(
            "equipment = [\"mat\"]",
            "equipment = [\"mat\",\n  \"mat\"]",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:8:",
            "`equipment` lists `mat` twice; remove one",
        );
    }

    #[test]
    fn an_entry_needs_sources() {
        let without = cat_cow();
        let without = &without[..without.find("[[sources]]").unwrap()];
        let found = problems_in(without);
        assert_reported(
            &found,
            "content/cat-cow.toml:1:",
            "missing key `sources`; add a `[[sources]]` table",
        );
        let found = problems_in(&format!("sources = []\n{without}"));
        assert_reported(
            &found,
            "content/cat-cow.toml:1:",
            "`sources` is empty; add at least one table like `[[sources]]`",
        );
    }

    #[test]
    fn seeds_are_txt_file_names_listed_once() {
        let found = problems_in(&edited(
            "seed = \"000_a.txt\"",
            "seed = \"https://example.com\"",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:28:",
            "`sources.seed` must be the file name of the seed article",
        );
        let found = problems_in(&edited("seed = \"000_a.txt\"", "seed = \"001_b.txt\""));
        assert_reported(
            &found,
            "content/cat-cow.toml:33:",
            "`sources` lists `001_b.txt` twice",
        );
    }

    #[test]
    fn variant_sources_must_be_entry_sources() {
        let found = problems_in(&edited(
            "sources = [\"001_b.txt\"]",
            "sources = [\"002_c.txt\"]",
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:23:",
            "`002_c.txt` in `variants.sources` is not the seed of any of this entry's `[[sources]]` (`000_a.txt`, `001_b.txt`)",
        );
    }

    #[test]
    fn file_stem_must_be_a_valid_id() {
        let found = problems(vec![file("Cat Cow", &cat_cow())]);
        assert_reported(
            &found,
            "content/Cat Cow.toml:1:",
            "the file name is the entry's id, and `Cat Cow` is not a valid id",
        );
    }

    #[test]
    fn duplicate_ids_are_reported() {
        let found = problems(vec![
            ContentFile {
                path: PathBuf::from("a/cat-cow.toml"),
                text: cat_cow(),
            },
            ContentFile {
                path: PathBuf::from("b/cat-cow.toml"),
                text: entry_text("Marjaryasana", "[]"),
            },
        ]);
        assert_reported(
            &found,
            "b/cat-cow.toml:1:",
            "id `cat-cow` is already used by a/cat-cow.toml (id); rename this file",
        );
    }

    #[test]
    fn duplicate_names_and_aliases_across_files_are_reported() {
        let found = problems(vec![
            file("cat-cow", &cat_cow()),
            file(
                "spine-wave",
                &entry_text("Cat Cow!", r#"["Camel-Cow Pose", "spine wave"]"#),
            ),
        ]);
        assert_reported(
            &found,
            "content/spine-wave.toml:1:",
            "name `Cat Cow!` is already used by content/cat-cow.toml (name); pick another name",
        );
        assert_reported(
            &found,
            "content/spine-wave.toml:2:",
            "alias `Camel-Cow Pose` is already used by content/cat-cow.toml (alias); pick another alias or remove it",
        );
        let found = problems(vec![
            file("cat-cow", &entry_text("Cat-Cow", "[]")),
            file("cow", &entry_text("Cow", r#"["cat cow"]"#)),
        ]);
        assert_reported(
            &found,
            "content/cow.toml:2:",
            "alias `cat cow` is already used by content/cat-cow.toml (name); pick another alias or remove it",
        );
    }

    #[test]
    fn repeated_aliases_within_a_file_are_reported() {
        let found = problems_in(&entry_text(
            "Cat-Cow",
            r#"["camel", "cat cow",
  "Camel!"]"#,
        ));
        assert_reported(
            &found,
            "content/cat-cow.toml:3:",
            "`aliases` lists `camel` twice; remove one",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
    }

    #[test]
    fn an_entry_may_repeat_its_own_id_and_name() {
        let text = entry_text("Spine Wave", r#"["cat cow", "spine-wave"]"#);
        assert!(problems(vec![file("cat-cow", &text)]).is_empty());
    }

    #[test]
    fn a_name_needs_a_letter_or_digit() {
        let found = problems_in(&entry_text("Cat-Cow", r#"["--"]"#));
        assert_reported(
            &found,
            "content/cat-cow.toml:2:",
            "alias `--` has no letters or digits",
        );
    }

    #[test]
    fn every_problem_in_every_file_is_reported_at_once() {
        let first = edited("per_side = false", "per_side = 1")
            .replacen("category = \"mobility\"", "category = \"cardio\"", 1)
            .replacen("min = 20, max = 30", "min = 40, max = 30", 1);
        let second =
            entry_text("Child's Pose", "[\"cat cow\"]").replacen("steps = [", "stepz = [", 1);
        let third = "name = [\n";
        let found = problems(vec![
            file("cat-cow", &first),
            file("childs-pose", &second),
            file("broken", third),
        ]);
        let prefixes: Vec<&str> = found.iter().map(|p| &p[..p.find(": ").unwrap()]).collect();
        assert_eq!(
            prefixes,
            [
                "content/cat-cow.toml:5",
                "content/cat-cow.toml:9",
                "content/cat-cow.toml:14",
                "content/childs-pose.toml:1",
                "content/childs-pose.toml:2",
                "content/childs-pose.toml:10",
                "content/broken.toml:1",
            ],
            "{found:#?}"
        );
        assert_reported(&found, "content/childs-pose.toml:1:", "missing key `steps`");
        assert_reported(
            &found,
            "content/childs-pose.toml:10:",
            "unknown key `stepz` at the top level; did you mean `steps`?",
        );
    }

    #[test]
    fn odd_input_is_reported_without_panicking() {
        let odd = [
            "",
            "\u{0}\u{feff}",
            "[[name]]\n[[dose]]\n",
            "name = {}\naliases = [[1], {}]\nsources = [{}]\nvariants = [1, 2]\ndose = []\n",
            "dose.hold_s.min = 99999999999\ndose.reps = { max = -9223372036854775808 }\nsources = [[]]\n",
            "name = \"\u{1F9D8}\"\n[[variants]]\nsources = [\"x.txt\"]\n[[sources]]\nseed = \".txt\"\n",
        ];
        for text in odd {
            let found = problems_in(text);
            assert!(!found.is_empty(), "no problem found in {text:?}");
            assert!(
                found.iter().all(|p| p.starts_with("content/cat-cow.toml:")),
                "{found:#?}"
            );
        }
        let found = problems_in("");
        assert_reported(&found, "content/cat-cow.toml:1:", "missing key `name`");
        assert_reported(&found, "content/cat-cow.toml:1:", "missing key `sources`");
    }

    #[test]
    fn errors_display_one_per_line() {
        let errors = ContentErrors(vec![
            ContentError {
                path: PathBuf::from("content/a.toml"),
                line: 3,
                message: "first".into(),
            },
            ContentError {
                path: PathBuf::from("content"),
                line: 0,
                message: "second".into(),
            },
        ]);
        assert_eq!(
            errors.to_string(),
            "content/a.toml:3: first\ncontent: second"
        );
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn normalize_name_ignores_case_apostrophes_and_punctuation() {
        assert_eq!(normalize_name("Child's Pose"), "childs pose");
        assert_eq!(normalize_name("  Child’s   POSE "), "childs pose");
        assert_eq!(normalize_name("Cat-Cow"), "cat cow");
        assert_eq!(normalize_name("90/90 hip (switch)"), "90 90 hip switch");
        assert_eq!(normalize_name("Çobra!"), "çobra");
        assert_eq!(normalize_name("--"), "");
    }

    #[test]
    fn find_matches_id_name_and_alias_after_normalising() {
        let catalog = Catalog::from_files(vec![
            file("cat-cow", &cat_cow()),
            file(
                "childs-pose",
                &entry_text("Child's Pose", r#"["balasana"]"#),
            ),
        ])
        .unwrap();
        assert_eq!(
            catalog.find("child's pose").unwrap().id.as_str(),
            "childs-pose"
        );
        assert_eq!(
            catalog.find("Childs-Pose").unwrap().id.as_str(),
            "childs-pose"
        );
        assert_eq!(catalog.find("BALASANA").unwrap().id.as_str(), "childs-pose");
        assert_eq!(
            catalog.find("camel cow pose").unwrap().id.as_str(),
            "cat-cow"
        );
        assert!(catalog.find("cobra").is_none());
        assert!(catalog.get("cat cow").is_none());
        let ids: Vec<&str> = catalog.entries().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["cat-cow", "childs-pose"]);
    }

    /// A fresh, empty directory for one test.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("stretchbot-load-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn load_dir_reports_a_missing_directory() {
        let dir = std::env::temp_dir().join("stretchbot-load-no-such-dir");
        let errors = Catalog::load_dir(&dir).unwrap_err();
        assert_eq!(errors.len(), 1);
        let message = errors.to_string();
        assert!(
            message.starts_with(&format!(
                "{}: cannot read the content directory",
                dir.display()
            )),
            "{message}"
        );
    }

    #[test]
    fn load_dir_reports_a_directory_without_toml_files() {
        let dir = scratch_dir("empty");
        fs::write(dir.join("README.md"), "notes").unwrap();
        let errors = Catalog::load_dir(&dir).unwrap_err();
        assert_eq!(
            errors.to_string(),
            format!(
                "{}: the content directory has no `.toml` files; add one file per stretch, like `cat-cow.toml`",
                dir.display()
            )
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_dir_reads_only_toml_files_in_name_order() {
        let dir = scratch_dir("two");
        fs::write(dir.join("cat-cow.toml"), cat_cow()).unwrap();
        fs::write(dir.join("spine-wave.toml"), entry_text("Cat Cow", "[]")).unwrap();
        fs::write(dir.join("notes.txt"), "not content").unwrap();
        let errors = Catalog::load_dir(&dir).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors}");
        let expected = format!(
            "{}:1: name `Cat Cow` is already used by {} (name)",
            dir.join("spine-wave.toml").display(),
            dir.join("cat-cow.toml").display()
        );
        assert!(errors.to_string().starts_with(&expected), "{errors}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_real_catalog_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let catalog = Catalog::load_dir(&dir)
            .unwrap_or_else(|errors| panic!("content/ has problems:\n{errors}"));
        assert!(catalog.len() >= 20, "only {} entries", catalog.len());
        assert_eq!(
            catalog.find("child's pose").unwrap().id.as_str(),
            "childs-pose"
        );
    }
}
