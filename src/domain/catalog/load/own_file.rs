//! A server's stretches as a TOML file, for `/catalog import`, `/catalog export` and
//! `stretchbot check --stretches`: the keys of a content file that a server's own entry has (`name`,
//! `why`, `category`, `position`, `equipment`, `difficulty`, `per_side`, `steps`, `caution`, the
//! `dose` table), with an optional `id`, one entry at the top level or several as `[[stretch]]` tables.
//! Read with the content files' own checks, so every problem comes with its line, then with the rules
//! of own entries ([`crate::domain::catalog::Draft`]), reported at the line of the key they are about.

use super::*;
use crate::domain::catalog::dose_words::DoseWords;
use crate::domain::catalog::own::{Choices, Draft, OwnEntry, PoseRef};

const SERVER_FILE: Shape = Shape {
    keys: &[required(
        "stretch",
        "one `[[stretch]]` table per stretch, or the keys of one stretch at the top level",
    )],
    looks_like: "a server's stretches file",
};

const SERVER_ENTRY: Shape = Shape {
    keys: &[
        optional("id"),
        required("name", "`name = \"Kneeling wall lean\"`"),
        required(
            "why",
            "`why = \"…\"` with one or two sentences on why it helps",
        ),
        required("category", "`category = \"stretch\"`"),
        required("position", "`position = \"seated\"`"),
        required("equipment", "`equipment = [\"none\"]`"),
        required("difficulty", "`difficulty = \"easy\"`"),
        optional("per_side"),
        required("steps", "`steps = [\"…\", \"…\"]`"),
        optional("caution"),
        optional("picture"),
        required(
            "dose",
            "`dose = { hold_s = { min = 20, max = 30 } }` (every part of it is optional)",
        ),
    ],
    looks_like: "`[[stretch]]` with `name`, `why`, `category`, `position`, `equipment`, `difficulty`, `steps` and `dose`",
};

/// Reads a server's stretches file: every entry, or every problem with its line. `existing` are the
/// server's own entries already stored, whose names and ids the file's must not take.
pub fn read_server_stretches(
    file: &ContentFile,
    builtin: &Catalog,
    existing: &[OwnEntry],
) -> Result<Vec<OwnEntry>, ContentErrors> {
    let mut check = FileCheck::new(file);
    let entries = read_all(&mut check, builtin, existing);
    let errors = check.finish();
    match entries {
        Some(entries) if errors.is_empty() => Ok(entries),
        _ => Err(ContentErrors(errors)),
    }
}

fn read_all(
    check: &mut FileCheck,
    builtin: &Catalog,
    existing: &[OwnEntry],
) -> Option<Vec<OwnEntry>> {
    let text = check.file.text.as_str();
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(err) => {
            let line = check.line(err.span(), 1);
            let what = err.message().lines().collect::<Vec<_>>().join("; ");
            check.report(line, format!("invalid TOML: {what}; fix this first"));
            return None;
        }
    };
    let root = doc.as_table();
    let tables = if root.contains_key("stretch") {
        let file = Fields::new(check, root, String::new(), 1, &SERVER_FILE);
        file.required(check, "stretch", |f, c| f.tables(c, &SERVER_ENTRY, false))?
    } else {
        vec![Fields::new(check, root, String::new(), 1, &SERVER_ENTRY)]
    };
    let mut own = existing.to_vec();
    let mut read = Vec::new();
    let mut clean = true;
    for table in &tables {
        match read_one(check, table, builtin, &own) {
            Some(entry) => {
                own.push(entry.clone());
                read.push(entry);
            }
            None => clean = false,
        }
    }
    clean.then_some(read)
}

fn read_one(
    check: &mut FileCheck,
    table: &Fields,
    builtin: &Catalog,
    own: &[OwnEntry],
) -> Option<OwnEntry> {
    let id = table.optional(check, "id", |f, c| {
        let text = f.text(c)?;
        StretchId::parse(&text)
            .map_err(|why| c.report(f.line, format!("`{}`: {why}", f.path)))
            .ok()
    });
    let name = table.required(check, "name", Field::text);
    let why = table.required(check, "why", Field::text);
    let category = table.required(check, "category", Field::choice::<Category>);
    let position = table.required(check, "position", Field::choice::<Position>);
    let equipment = table.required(check, "equipment", Field::equipment);
    let difficulty = table.required(check, "difficulty", Field::choice::<Difficulty>);
    let per_side = table.optional(check, "per_side", Field::flag);
    let steps = table.required(check, "steps", Field::texts);
    let caution = table.optional(check, "caution", Field::text);
    let picture = table.optional(check, "picture", |f, c| {
        let text = f.text(c)?;
        PoseRef::parse(&text, builtin)
            .map_err(|why| c.report(f.line, format!("`{}`: {why}", f.path)))
            .ok()
    });
    let dose = table.required(check, "dose", Field::dose);
    let (
        Some(id),
        Some(name),
        Some(why),
        Some(category),
        Some(position),
        Some(equipment),
        Some(difficulty),
        Some(per_side),
        Some(steps),
        Some(caution),
        Some(picture),
        Some(dose),
    ) = (
        id, name, why, category, position, equipment, difficulty, per_side, steps, caution,
        picture, dose,
    )
    else {
        return None;
    };
    let words = DoseWords {
        dose,
        per_side: per_side.unwrap_or(false),
    };
    let draft = Draft {
        name,
        why,
        steps: steps.join("\n"),
        dose: words.to_string(),
        caution: caution.unwrap_or_default(),
    };
    let choices = Choices {
        position,
        equipment: equipment.first().copied().unwrap_or(Equipment::None),
        difficulty,
        category,
    };
    match draft.check_as(&choices, builtin, own, None, id) {
        Ok(entry) => Some(OwnEntry {
            equipment,
            picture,
            ..entry
        }),
        Err(problems) => {
            for problem in problems {
                let key = match problem.field {
                    "Why it helps" => "why",
                    "Steps" => "steps",
                    "Dose" => "dose",
                    "Caution" => "caution",
                    _ => "name",
                };
                let line = table.field(check, key).map_or(table.line, |f| f.line);
                check.report(
                    line,
                    format!("`{}`: {}", table.field_path(key), problem.message),
                );
            }
            None
        }
    }
}

/// `text` as a TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The server's own entries as a stretches file that [`read_server_stretches`] reads back the same.
pub fn write_server_stretches(entries: &[OwnEntry]) -> String {
    let mut out = String::from(
        "# This server's own stretches: `/catalog import` reads this file back, and\n\
         # `stretchbot check --stretches FILE` checks it.\n",
    );
    for entry in entries {
        let dose = &entry.dose.dose;
        let mut parts = Vec::new();
        for (key, amount) in [
            ("hold_s", dose.hold_s),
            ("reps", dose.reps),
            ("sets", dose.sets),
            ("breaths", dose.breaths),
        ] {
            if let Some(amount) = amount {
                parts.push(match amount.min {
                    0 => format!("{key} = {{ max = {} }}", amount.max),
                    min => format!("{key} = {{ min = {min}, max = {} }}", amount.max),
                });
            }
        }
        if let Some(frequency) = &dose.frequency {
            parts.push(format!("frequency = {}", quoted(frequency)));
        }
        let equipment: Vec<String> = entry
            .equipment
            .iter()
            .map(|item| quoted(item.as_str()))
            .collect();
        let steps: String = entry
            .steps
            .iter()
            .map(|step| format!("  {},\n", quoted(step)))
            .collect();
        out.push_str(&format!(
            "\n[[stretch]]\nid = {}\nname = {}\nwhy = {}\ncategory = {}\nposition = {}\n\
             equipment = [{}]\ndifficulty = {}\nper_side = {}\nsteps = [\n{steps}]\n",
            quoted(entry.id.as_str()),
            quoted(&entry.name),
            quoted(&entry.why),
            quoted(entry.category.as_str()),
            quoted(entry.position.as_str()),
            equipment.join(", "),
            quoted(entry.difficulty.as_str()),
            entry.dose.per_side,
        ));
        if let Some(caution) = &entry.caution {
            out.push_str(&format!("caution = {}\n", quoted(caution)));
        }
        if let Some(picture) = &entry.picture {
            out.push_str(&format!("picture = {}\n", quoted(&picture.to_string())));
        }
        out.push_str(&format!("dose = {{ {} }}\n", parts.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Catalog {
        Catalog::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
            .unwrap()
    }

    fn file(text: &str) -> ContentFile {
        ContentFile {
            path: PathBuf::from("stretches.toml"),
            text: text.to_owned(),
        }
    }

    const TWO: &str = r#"[[stretch]]
name = "Kneeling wall lean"
why = "Opens the chest \\ the \u0007 front."
category = "posture"
position = "kneeling"
equipment = ["wall", "mat"]
difficulty = "easy"
per_side = true
steps = ["Kneel facing a wall.", "Lean in."]
caution = "Go \"gently\"."
picture = "wall-angel/high"
dose = { hold_s = { min = 20, max = 30 }, reps = { max = 3 }, frequency = "every hour" }

[[stretch]]
id = "neck-roll"
name = "Desk neck roll"
why = "Loosens the neck."
category = "stretch"
position = "seated"
equipment = ["none"]
difficulty = "easy"
steps = ["Roll slowly."]

[stretch.dose]
breaths = { min = 5, max = 5 }
"#;

    #[test]
    fn a_file_of_several_stretches_reads_and_writes_back_the_same() {
        let builtin = builtin();
        let read = read_server_stretches(&file(TWO), &builtin, &[]).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].id.as_str(), "kneeling-wall-lean");
        assert_eq!(read[0].equipment, [Equipment::Wall, Equipment::Mat]);
        assert!(read[0].dose.per_side);
        assert_eq!(read[0].caution.as_deref(), Some("Go \"gently\"."));
        assert_eq!(read[1].id.as_str(), "neck-roll", "a given id is kept");
        assert_eq!(
            read[0].picture.as_ref().map(ToString::to_string).as_deref(),
            Some("wall-angel/high")
        );
        assert_eq!(read[1].picture, None);
        let written = write_server_stretches(&read);
        assert_eq!(
            read_server_stretches(&file(&written), &builtin, &[]),
            Ok(read)
        );
    }

    #[test]
    fn one_stretch_may_stand_at_the_top_level() {
        let single = TWO
            .split("\n\n[[stretch]]\n")
            .nth(1)
            .unwrap()
            .replace("[stretch.dose]", "[dose]");
        let read = read_server_stretches(&file(&single), &builtin(), &[]).unwrap();
        assert_eq!(read[0].name, "Desk neck roll");
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_nothing_is_read() {
        let bad = TWO
            .replace("position = \"kneeling\"", "position = \"upside-down\"")
            .replace("name = \"Desk neck roll\"", "name = \"Cat cow\"")
            .replace("min = 20, max = 30", "min = 20, max = 5000");
        let errors = read_server_stretches(&file(&bad), &builtin(), &[]).unwrap_err();
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("stretches.toml:5:") && lines[0].contains("upside-down"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("stretches.toml:12:") && lines[1].contains("5000"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("stretches.toml:16:")
                && lines[2].contains("built-in stretch Cat-Cow"),
            "{lines:?}"
        );
    }

    #[test]
    fn the_file_may_not_take_a_name_or_id_the_server_has() {
        let builtin = builtin();
        let read = read_server_stretches(&file(TWO), &builtin, &[]).unwrap();
        let errors = read_server_stretches(&file(TWO), &builtin, &read).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors}");
        assert!(
            errors
                .iter()
                .all(|e| e.message.contains("this server's stretch")),
            "{errors}"
        );
        let posed = TWO.replace("wall-angel/high", "wall-angel/upside-down");
        let errors = read_server_stretches(&file(&posed), &builtin, &[]).unwrap_err();
        assert!(
            errors.to_string().starts_with("stretches.toml:11:"),
            "{errors}"
        );
        let unknown = read_server_stretches(&file("[[stretch]]\nnmae = 1\n"), &builtin, &[]);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("did you mean `name`?")
        );
    }
}
