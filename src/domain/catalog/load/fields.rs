//! Reading the values of a content file: a table's keys against its shape, and each value as the
//! type its key wants (text, lists, choices, counts, the dose, sources and variants), reporting
//! every value that does not fit with its line and what to write instead.

use super::*;

/// A table being read: where it starts (so a missing key can point at it) and the keys its shape allows.
pub(super) struct Fields<'d> {
    pub(super) table: &'d dyn TableLike,
    /// Dotted path of the table, like `dose.hold_s`; empty at the top level.
    pub(super) path: String,
    pub(super) line: usize,
    pub(super) shape: &'static Shape,
}

impl<'d> Fields<'d> {
    /// Starts reading `table`, reporting every key that `shape` does not allow.
    pub(super) fn new(
        check: &mut FileCheck,
        table: &'d dyn TableLike,
        path: String,
        line: usize,
        shape: &'static Shape,
    ) -> Self {
        let fields = Fields {
            table,
            path,
            line,
            shape,
        };
        for (key, item) in table.iter() {
            if !shape.keys.iter().any(|allowed| allowed.name == key) {
                let span = table
                    .get_key_value(key)
                    .and_then(|(key, _)| key.span())
                    .or_else(|| item.span());
                let line = check.line(span, line);
                check.report(line, fields.unknown_key(key));
            }
        }
        fields
    }

    pub(super) fn unknown_key(&self, key: &str) -> String {
        let place = if self.path.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in `{}`", self.path)
        };
        let closest = self
            .shape
            .keys
            .iter()
            .map(|allowed| (strsim::jaro_winkler(key, allowed.name), allowed.name))
            .filter(|(similarity, _)| *similarity >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match closest {
            Some((_, name)) => format!("unknown key `{key}` {place}; did you mean `{name}`?"),
            None => {
                let allowed: Vec<_> = self.shape.keys.iter().map(|k| k.name).collect();
                format!(
                    "unknown key `{key}` {place}; remove it or use one of {}",
                    allowed.join(", ")
                )
            }
        }
    }

    pub(super) fn field(&self, check: &FileCheck, key: &str) -> Option<Field<'d>> {
        let (key_repr, item) = self.table.get_key_value(key)?;
        let path = self.field_path(key);
        Some(Field {
            item: Node::Item(item),
            label: format!("`{path}`"),
            line: check.line(item.span().or_else(|| key_repr.span()), self.line),
            path,
        })
    }

    /// Reads a key the shape requires, reporting it when missing. `None` when missing or invalid.
    pub(super) fn required<T>(
        &self,
        check: &mut FileCheck,
        key: &str,
        read: impl FnOnce(&Field<'d>, &mut FileCheck) -> Option<T>,
    ) -> Option<T> {
        match self.field(check, key) {
            Some(field) => read(&field, check),
            None => {
                let how = self
                    .shape
                    .keys
                    .iter()
                    .find(|allowed| allowed.name == key)
                    .and_then(|allowed| allowed.missing)
                    .unwrap_or("it");
                let path = self.field_path(key);
                check.report(self.line, format!("missing key `{path}`; add {how}"));
                None
            }
        }
    }

    /// Reads an optional key: `Some(None)` when absent, `None` when present but invalid.
    pub(super) fn optional<T>(
        &self,
        check: &mut FileCheck,
        key: &str,
        read: impl FnOnce(&Field<'d>, &mut FileCheck) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.field(check, key) {
            Some(field) => read(&field, check).map(Some),
            None => Some(None),
        }
    }

    pub(super) fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// Where a value lives: under a key, or as an item of a list (which toml_edit keeps as a bare value).
#[derive(Clone, Copy)]
pub(super) enum Node<'d> {
    Item(&'d Item),
    Value(&'d Value),
}

impl<'d> Node<'d> {
    pub(super) fn value(self) -> Option<&'d Value> {
        match self {
            Node::Item(item) => item.as_value(),
            Node::Value(value) => Some(value),
        }
    }

    /// The kind of value found, for "must be X, not Y" messages.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Node::Item(Item::Table(_)) => "a table",
            Node::Item(Item::ArrayOfTables(_)) => "a list of tables",
            Node::Item(Item::None) => "nothing",
            Node::Item(Item::Value(value)) | Node::Value(value) => match value {
                Value::String(_) => "text",
                Value::Integer(_) => "a whole number",
                Value::Float(_) => "a decimal number",
                Value::Boolean(_) => "true/false",
                Value::Datetime(_) => "a date",
                Value::Array(_) => "a list",
                Value::InlineTable(_) => "a table",
            },
        }
    }
}

/// One value being read, with how messages name it and the line it is on.
pub(super) struct Field<'d> {
    pub(super) item: Node<'d>,
    /// Dotted path of the key it is under; for a list item, the list's path.
    pub(super) path: String,
    /// How messages name it: "`dose.reps`" or "item 2 of `steps`".
    pub(super) label: String,
    pub(super) line: usize,
}

impl<'d> Field<'d> {
    pub(super) fn wrong_type(&self, check: &mut FileCheck, wanted: &str) {
        check.report(
            self.line,
            format!(
                "{} must be {wanted}, not {}",
                self.label,
                self.item.describe()
            ),
        );
    }

    /// Non-blank text.
    pub(super) fn text(&self, check: &mut FileCheck) -> Option<String> {
        let Some(text) = self.item.value().and_then(Value::as_str) else {
            self.wrong_type(check, "text in quotes");
            return None;
        };
        if text.trim().is_empty() {
            check.report(
                self.line,
                format!("{} is blank; write it out or remove it", self.label),
            );
            return None;
        }
        Some(text.to_owned())
    }

    /// Text that the entry can be looked up by, recorded so clashes across the catalog are reported.
    pub(super) fn lookup_name(&self, check: &mut FileCheck, kind: NameKind) -> Option<String> {
        let text = self.text(check)?;
        check.claim(kind, &text, self.line);
        Some(text)
    }

    /// A non-empty list of non-blank text.
    pub(super) fn texts(&self, check: &mut FileCheck) -> Option<Vec<String>> {
        every(
            self.items(check, false)?
                .iter()
                .map(|item| item.text(check)),
        )
    }

    /// Other names for the entry, none repeating another after normalising.
    pub(super) fn aliases(&self, check: &mut FileCheck) -> Option<Vec<String>> {
        let items = self.items(check, true)?;
        let aliases = every(items.iter().map(|item| {
            item.lookup_name(check, NameKind::Alias)
                .map(|alias| (alias, item.line))
        }))?;
        let keys: Vec<_> = aliases
            .iter()
            .map(|(alias, line)| (normalize_name(alias), *line))
            .collect();
        no_repeats(
            check,
            &self.label,
            keys.iter().map(|(key, line)| (key.as_str(), *line)),
        )
        .then(|| aliases.into_iter().map(|(alias, _)| alias).collect())
    }

    pub(super) fn flag(&self, check: &mut FileCheck) -> Option<bool> {
        let flag = self.item.value().and_then(Value::as_bool);
        if flag.is_none() {
            self.wrong_type(check, "true or false (without quotes)");
        }
        flag
    }

    /// A word of a closed vocabulary; its `FromStr` error lists the allowed words.
    pub(super) fn choice<T: FromStr<Err = String>>(&self, check: &mut FileCheck) -> Option<T> {
        self.text(check)?
            .parse()
            .map_err(|why| check.report(self.line, format!("{}: {why}", self.label)))
            .ok()
    }

    /// A whole number from `least` to `most`.
    pub(super) fn count(
        &self,
        check: &mut FileCheck,
        least: u32,
        most: u32,
        unit: &str,
    ) -> Option<u32> {
        let Some(number) = self.item.value().and_then(Value::as_integer) else {
            self.wrong_type(check, "a whole number");
            return None;
        };
        let count = u32::try_from(number)
            .ok()
            .filter(|count| (least..=most).contains(count));
        if count.is_none() {
            check.report(
                self.line,
                format!(
                    "{} is {number}; write a whole number from {least} to {most} ({unit})",
                    self.label
                ),
            );
        }
        count
    }

    /// The items of a list, each to be read on its own.
    pub(super) fn items(
        &self,
        check: &mut FileCheck,
        may_be_empty: bool,
    ) -> Option<Vec<Field<'d>>> {
        let Some(list) = self.item.value().and_then(Value::as_array) else {
            self.wrong_type(check, "a list like `[\"…\"]`");
            return None;
        };
        if list.is_empty() && !may_be_empty {
            check.report(
                self.line,
                format!("{} is empty; list at least one", self.label),
            );
            return None;
        }
        let items = list.iter().enumerate().map(|(index, value)| Field {
            item: Node::Value(value),
            path: self.path.clone(),
            label: format!("item {} of {}", index + 1, self.label),
            line: check.line(value.span(), self.line),
        });
        Some(items.collect())
    }

    pub(super) fn table(&self, check: &mut FileCheck, shape: &'static Shape) -> Option<Fields<'d>> {
        let table = match self.item {
            Node::Item(item) => item.as_table_like(),
            Node::Value(value) => value.as_inline_table().map(|t| t as &dyn TableLike),
        };
        let Some(table) = table else {
            self.wrong_type(check, &format!("a table like {}", shape.looks_like));
            return None;
        };
        Some(Fields::new(
            check,
            table,
            self.path.clone(),
            self.line,
            shape,
        ))
    }

    /// A list of tables, written either as `[[key]]` headers or as `key = [{ … }, …]`.
    pub(super) fn tables(
        &self,
        check: &mut FileCheck,
        shape: &'static Shape,
        may_be_empty: bool,
    ) -> Option<Vec<Fields<'d>>> {
        let tables: Vec<(&'d dyn TableLike, _)> = match self.item {
            Node::Item(Item::ArrayOfTables(tables)) => tables
                .iter()
                .map(|table| (table as &dyn TableLike, table.span()))
                .collect(),
            Node::Item(Item::Value(Value::Array(list)))
                if list.iter().all(Value::is_inline_table) =>
            {
                list.iter()
                    .filter_map(|value| {
                        let table = value.as_inline_table()?;
                        Some((table as &dyn TableLike, value.span()))
                    })
                    .collect()
            }
            _ => {
                self.wrong_type(
                    check,
                    &format!("one or more tables like {}", shape.looks_like),
                );
                return None;
            }
        };
        if tables.is_empty() && !may_be_empty {
            check.report(
                self.line,
                format!(
                    "{} is empty; add at least one table like {}",
                    self.label, shape.looks_like
                ),
            );
            return None;
        }
        let tables = tables.into_iter().map(|(table, span)| {
            let line = check.line(span, self.line);
            Fields::new(check, table, self.path.clone(), line, shape)
        });
        Some(tables.collect())
    }

    /// Equipment words, with `none` standing alone and nothing listed twice.
    pub(super) fn equipment(&self, check: &mut FileCheck) -> Option<Vec<Equipment>> {
        let items = self.items(check, false)?;
        let equipment = every(items.iter().map(|item| {
            item.choice::<Equipment>(check)
                .map(|equipment| (equipment, item.line))
        }))?;
        let mut clean = no_repeats(
            check,
            &self.label,
            equipment.iter().map(|(e, line)| (e.as_str(), *line)),
        );
        let none = equipment.iter().find(|(e, _)| *e == Equipment::None);
        if let Some(&(_, line)) = none {
            if equipment.iter().any(|(e, _)| *e != Equipment::None) {
                check.report(
                    line,
                    format!(
                        "{} mixes `none` with other equipment; `none` must stand alone, so remove it or the others",
                        self.label
                    ),
                );
                clean = false;
            }
        }
        clean.then(|| equipment.into_iter().map(|(e, _)| e).collect())
    }

    pub(super) fn dose(&self, check: &mut FileCheck) -> Option<Dose> {
        let dose = self.table(check, &DOSE)?;
        let [hold_s, reps, sets, breaths] = DOSE_RANGES
            .each_ref()
            .map(|limits| dose.optional(check, limits.key, |f, c| f.amount(c, limits)));
        let frequency = dose.optional(check, "frequency", Field::text);
        Some(Dose {
            hold_s: hold_s?,
            reps: reps?,
            sets: sets?,
            breaths: breaths?,
            frequency: frequency?,
        })
    }

    /// A `{ min, max }` range; an omitted `min` means "up to max" and is stored as 0.
    pub(super) fn amount(&self, check: &mut FileCheck, limits: &Limits) -> Option<Amount> {
        let range = self.table(check, &RANGE)?;
        let max = range.required(check, "max", |f, c| f.count(c, 1, limits.most, limits.unit));
        let min = range.optional(check, "min", |f, c| {
            f.count(c, limits.least_min, limits.most, limits.unit)
        });
        let (max, min) = (max?, min?.unwrap_or(0));
        if min > max {
            check.report(
                self.line,
                format!(
                    "{} has `min` {min} above `max` {max}; swap them",
                    self.label
                ),
            );
            return None;
        }
        Some(Amount { min, max })
    }

    pub(super) fn sources(&self, check: &mut FileCheck) -> Option<Vec<Source>> {
        let tables = self.tables(check, &SOURCE, false)?;
        let sources = every(tables.iter().map(|source| {
            let title = source.required(check, "title", Field::text);
            let publisher = source.required(check, "publisher", Field::text);
            let seed = source.required(check, "seed", |f, c| f.seed(c).map(|seed| (seed, f.line)));
            Some((title?, publisher?, seed?))
        }))?;
        no_repeats(
            check,
            &self.label,
            sources
                .iter()
                .map(|(_, _, (seed, line))| (seed.as_str(), *line)),
        )
        .then(|| {
            sources
                .into_iter()
                .map(|(title, publisher, (seed, _))| Source {
                    title,
                    publisher,
                    seed,
                })
                .collect()
        })
    }

    /// The file name of a seed article, like `000_0efe8dbd1584015e.txt`.
    pub(super) fn seed(&self, check: &mut FileCheck) -> Option<String> {
        let seed = self.text(check)?;
        let stem = seed.strip_suffix(".txt").unwrap_or_default();
        if stem.is_empty() || seed.contains(['/', '\\']) {
            check.report(
                self.line,
                format!(
                    "{} must be the file name of the seed article, like `000_0efe8dbd1584015e.txt`, not `{seed}`",
                    self.label
                ),
            );
            return None;
        }
        Some(seed)
    }

    /// `[[variants]]`, each drawn from some of the entry's `sources` (`None` when those could not be
    /// read: their problems are reported already, and checking against them would only add noise).
    pub(super) fn variants(
        &self,
        check: &mut FileCheck,
        sources: Option<&[Source]>,
    ) -> Option<Vec<Variant>> {
        let tables = self.tables(check, &VARIANT, true)?;
        every(tables.iter().map(|variant| {
            let name = variant.required(check, "name", Field::text);
            let how = variant.required(check, "how", Field::text);
            let used = variant.required(check, "sources", |f, c| f.variant_sources(c, sources));
            Some(Variant {
                name: name?,
                how: how?,
                sources: used?,
            })
        }))
    }

    pub(super) fn variant_sources(
        &self,
        check: &mut FileCheck,
        sources: Option<&[Source]>,
    ) -> Option<Vec<String>> {
        let items = self.items(check, false)?;
        let seeds = every(
            items
                .iter()
                .map(|item| item.text(check).map(|seed| (seed, item.line))),
        )?;
        let mut clean = no_repeats(
            check,
            &self.label,
            seeds.iter().map(|(s, l)| (s.as_str(), *l)),
        );
        for (seed, line) in &seeds {
            let Some(sources) = sources else { break };
            if !sources.iter().any(|source| source.seed == *seed) {
                let listed: Vec<_> = sources.iter().map(|s| format!("`{}`", s.seed)).collect();
                check.report(
                    *line,
                    format!(
                        "`{seed}` in {} is not the seed of any of this entry's `[[sources]]` ({}); use one of those or add a `[[sources]]` table for it",
                        self.label,
                        listed.join(", ")
                    ),
                );
                clean = false;
            }
        }
        clean.then(|| seeds.into_iter().map(|(seed, _)| seed).collect())
    }
}
