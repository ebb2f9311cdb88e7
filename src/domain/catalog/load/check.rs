//! The problems found in one content file, each with its line, and the ids, names and aliases it
//! claims, checked against every other file once the whole catalog is read.

use super::*;

/// What a looked-up name is to its entry, for duplicate messages; ordered from the most visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum NameKind {
    Name,
    Alias,
    Id,
}

impl NameKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            NameKind::Id => "id",
            NameKind::Name => "name",
            NameKind::Alias => "alias",
        }
    }

    pub(super) fn fix(self) -> &'static str {
        match self {
            NameKind::Id => "rename this file",
            NameKind::Name => "pick another name",
            NameKind::Alias => "pick another alias or remove it",
        }
    }
}

/// An id, name or alias an entry can be found by, checked for clashes once the whole catalog is read.
pub(super) struct NameUse {
    pub(super) key: String,
    pub(super) raw: String,
    pub(super) kind: NameKind,
    pub(super) line: usize,
}

/// Every normalised id, name and alias used so far, with the file (by index) that first used it and as
/// what.
#[derive(Default)]
pub(super) struct Claims(HashMap<String, (usize, Vec<NameKind>)>);

impl Claims {
    /// Records the names `check` found in file `index`, reporting those an earlier file already uses.
    pub(super) fn take_names(
        &mut self,
        check: &mut FileCheck,
        index: usize,
        files: &[ContentFile],
    ) {
        for name in std::mem::take(&mut check.names) {
            match self.0.get_mut(&name.key) {
                // Within one entry a name may repeat its id or an alias its name (`Cat-Cow` is found
                // as `cat cow` either way); only repeated aliases are a mistake, reported when the
                // aliases are read.
                Some((owner, kinds)) if *owner == index => kinds.push(name.kind),
                Some((owner, kinds)) => {
                    // Name the use the author will recognise: like for like, else the most visible.
                    let other = kinds
                        .iter()
                        .copied()
                        .min_by_key(|&kind| (kind != name.kind, kind))
                        .unwrap_or(name.kind);
                    check.report(
                        name.line,
                        format!(
                            "{} `{}` is already used by {} ({}); {}",
                            name.kind.as_str(),
                            name.raw,
                            files[*owner].path.display(),
                            other.as_str(),
                            name.kind.fix()
                        ),
                    );
                }
                None => {
                    self.0.insert(name.key, (index, vec![name.kind]));
                }
            }
        }
    }
}

/// The problems and lookup names found while reading one file.
pub(super) struct FileCheck<'f> {
    pub(super) file: &'f ContentFile,
    pub(super) errors: Vec<ContentError>,
    pub(super) names: Vec<NameUse>,
}

impl<'f> FileCheck<'f> {
    pub(super) fn new(file: &'f ContentFile) -> Self {
        FileCheck {
            file,
            errors: Vec::new(),
            names: Vec::new(),
        }
    }

    /// The 1-based line where `span` starts, or `fallback` when the parser kept no span.
    pub(super) fn line(&self, span: Option<Range<usize>>, fallback: usize) -> usize {
        span.map_or(fallback, |span| {
            let bytes = self.file.text.as_bytes();
            let before = &bytes[..span.start.min(bytes.len())];
            before.iter().filter(|&&b| b == b'\n').count() + 1
        })
    }

    pub(super) fn report(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ContentError {
            path: self.file.path.clone(),
            line,
            message: message.into(),
        });
    }

    pub(super) fn claim(&mut self, kind: NameKind, raw: &str, line: usize) {
        let key = normalize_name(raw);
        if key.is_empty() {
            self.report(
                line,
                format!(
                    "{} `{raw}` has no letters or digits, so nobody could look it up; {}",
                    kind.as_str(),
                    kind.fix()
                ),
            );
        } else {
            self.names.push(NameUse {
                key,
                raw: raw.to_owned(),
                kind,
                line,
            });
        }
    }

    pub(super) fn finish(mut self) -> Vec<ContentError> {
        self.errors.sort_by_key(|error| error.line);
        self.errors
    }
}
