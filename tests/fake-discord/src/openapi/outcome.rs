//! What a validation found: the failures of a body, how a union's failure is explained, and how
//! values are rendered in messages the way Discord renders them.

use super::*;

/// Picks what to report when no branch of a union fits. If every branch trips over
/// the same tag at the same place (the value's type, a `type` discriminator, a
/// missing key) that is the real problem, reported once with all the allowed
/// choices. Otherwise the branch that got furthest is the one the sender meant:
/// one whose type fits the value at all, then the fewest tag and total failures.
pub(super) fn explain_union_failure(outcomes: Vec<Outcome>, pointer: &str) -> Outcome {
    let is_tag = |failure: &Failure| is_tag(failure, pointer);
    let common = outcomes.first().and_then(|first| {
        first
            .failures
            .iter()
            .filter(|f| is_tag(f))
            .map(|f| f.pointer.as_str())
            .find(|at| outcomes.iter().all(|o| !tags_at(o, at, pointer).is_empty()))
    });
    if let Some(at) = common {
        let tags: Vec<Vec<&Kind>> = outcomes.iter().map(|o| tags_at(o, at, pointer)).collect();
        return Outcome {
            failures: vec![Failure::new(at, merge_tags(&tags))],
            known: Known::All,
        };
    }
    let rank = |o: &Outcome| {
        let wrong_type = o
            .failures
            .iter()
            .any(|f| f.pointer == pointer && matches!(f.kind, Kind::Type { .. }));
        let tags = o.failures.iter().filter(|f| is_tag(f)).count();
        (wrong_type, tags, o.failures.len())
    };
    outcomes.into_iter().min_by_key(rank).unwrap_or_default()
}

/// A failure that tells union branches apart: the value's type, a discriminator
/// value, or a missing key, at the value itself or one of its keys.
pub(super) fn is_tag(failure: &Failure, pointer: &str) -> bool {
    matches!(
        failure.kind,
        Kind::Type { .. } | Kind::Choices(_) | Kind::Required
    ) && is_self_or_child(&failure.pointer, pointer)
}

pub(super) fn tags_at<'o>(outcome: &'o Outcome, at: &str, pointer: &str) -> Vec<&'o Kind> {
    outcome
        .failures
        .iter()
        .filter(|f| is_tag(f, pointer) && f.pointer == at)
        .map(|f| &f.kind)
        .collect()
}

/// One failure standing for every branch's tags at one place.
pub(super) fn merge_tags(tags: &[Vec<&Kind>]) -> Kind {
    let type_of = |kinds: &Vec<&Kind>| {
        kinds.iter().find_map(|kind| match kind {
            Kind::Type { expected, found } => Some((*expected, found.clone())),
            _ => None,
        })
    };
    if let Some(types) = tags.iter().map(type_of).collect::<Option<Vec<_>>>() {
        let expected = Types(types.iter().fold(0, |bits, (t, _)| bits | t.0));
        let found = types.into_iter().next().map(|(_, f)| f).unwrap_or_default();
        return Kind::Type { expected, found };
    }
    if tags
        .iter()
        .flatten()
        .all(|kind| matches!(kind, Kind::Required))
    {
        return Kind::Required;
    }
    // Within a branch every list must hold (e.g. `enum: [2]` and all component
    // types), so it allows their intersection; the union allows any branch's.
    let mut choices: Vec<Value> = Vec::new();
    for kinds in tags {
        let mut allowed: Option<Vec<&Value>> = None;
        for kind in kinds {
            if let Kind::Choices(values) = kind {
                allowed = Some(match allowed {
                    None => values.iter().collect(),
                    Some(previous) => previous
                        .into_iter()
                        .filter(|v| values.iter().any(|w| json_equal(v, w)))
                        .collect(),
                });
            }
        }
        for value in allowed.into_iter().flatten() {
            if !choices.iter().any(|seen| json_equal(seen, value)) {
                choices.push(value.clone());
            }
        }
    }
    Kind::Choices(choices)
}

pub(super) fn is_self_or_child(candidate: &str, parent: &str) -> bool {
    candidate == parent
        || candidate
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.contains('/'))
}

/// What applying a schema found: its failures and, for an object, which keys it
/// (or its passing sub-schemas) define.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) failures: Vec<Failure>,
    pub(super) known: Known,
}

impl Outcome {
    pub(super) fn new(node: &Node, value: &Value) -> Self {
        let known = match value {
            // `{}` admits anything; the spec uses it for audit-log values and GitHub
            // payloads whose shape it leaves open on purpose, so no key is unknown.
            _ if node.open => Known::All,
            Value::Object(map) => Known::Keys(vec![false; map.len()]),
            _ => Known::Keys(Vec::new()),
        };
        Self {
            failures: Vec::new(),
            known,
        }
    }

    pub(super) fn fail(&mut self, pointer: &str, kind: Kind) {
        self.failures.push(Failure::new(pointer, kind));
    }

    pub(super) fn mark_known(&mut self, index: usize) {
        if let Known::Keys(keys) = &mut self.known
            && let Some(key) = keys.get_mut(index)
        {
            *key = true;
        }
    }

    pub(super) fn absorb(&mut self, other: Outcome) {
        self.failures.extend(other.failures);
        self.known.merge(&other.known);
    }
}

/// Which keys of the object being validated some schema defines, by position.
pub(super) enum Known {
    All,
    Keys(Vec<bool>),
}

impl Default for Known {
    fn default() -> Self {
        Known::Keys(Vec::new())
    }
}

impl Known {
    pub(super) fn merge(&mut self, other: &Known) {
        match (&mut *self, other) {
            (Known::All, _) => {}
            (_, Known::All) => *self = Known::All,
            (Known::Keys(mine), Known::Keys(theirs)) => {
                for (mine, theirs) in mine.iter_mut().zip(theirs) {
                    *mine |= *theirs;
                }
            }
        }
    }
}

pub(super) struct Failure {
    pub(super) pointer: String,
    pub(super) kind: Kind,
}

pub(super) enum Kind {
    Required,
    UnknownField,
    Type { expected: Types, found: String },
    Choices(Vec<Value>),
    Length { bounds: Bounds, too_long: bool },
    Minimum { limit: Number, noun: &'static str },
    Maximum { limit: Number, noun: &'static str },
    Format(Format, String),
    Pattern,
    Duplicate,
    Ambiguous,
    TooDeep,
}

impl Failure {
    pub(super) fn new(pointer: &str, kind: Kind) -> Self {
        Self {
            pointer: pointer.to_owned(),
            kind,
        }
    }

    /// Codes and wording follow what Discord's API returns; the docs only show a
    /// few examples, so codes without a Discord counterpart (UNKNOWN_FIELD and the
    /// spec-level ones) are named in the same style.
    pub(super) fn into_violation(self) -> Violation {
        let (code, message) = match self.kind {
            Kind::Required => ("BASE_TYPE_REQUIRED", "This field is required".to_owned()),
            Kind::UnknownField => (
                "UNKNOWN_FIELD",
                "This field is not defined for this object.".to_owned(),
            ),
            Kind::Type { expected, found } => expected.mismatch(&found),
            Kind::Choices(choices) => (
                "BASE_TYPE_CHOICES",
                format!(
                    "Value must be one of ({}).",
                    choices
                        .iter()
                        .map(python_repr)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Kind::Length { bounds, too_long } => bounds.mismatch(too_long),
            Kind::Minimum { limit, noun } => (
                "NUMBER_TYPE_MIN",
                format!("{noun} value should be greater than or equal to {limit}."),
            ),
            Kind::Maximum { limit, noun } => (
                "NUMBER_TYPE_MAX",
                format!("{noun} value should be less than or equal to {limit}."),
            ),
            Kind::Format(format, found) => format.mismatch(&found),
            Kind::Pattern => (
                "STRING_TYPE_REGEX",
                "String value did not match validation regex.".to_owned(),
            ),
            Kind::Duplicate => (
                "SET_TYPE_ALREADY_CONTAINS_VALUE",
                "The set already contains this value".to_owned(),
            ),
            Kind::Ambiguous => (
                "BASE_TYPE_AMBIGUOUS",
                "Value matches more than one of the allowed shapes.".to_owned(),
            ),
            Kind::TooDeep => (
                "BASE_TYPE_TOO_DEEP",
                format!("Value is nested deeper than {MAX_DEPTH} levels."),
            ),
        };
        Violation {
            pointer: self.pointer,
            code,
            message,
        }
    }
}

/// Renders a choice the way Discord's (Python) messages do: `'desktop'`, `4`.
pub(super) fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

/// A short rendering of an offending value for messages.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => describe_str(text),
        other => describe_str(&other.to_string()),
    }
}

pub(super) fn describe_str(text: &str) -> String {
    const LIMIT: usize = 64;
    if text.chars().count() > LIMIT {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    } else {
        text.to_owned()
    }
}
