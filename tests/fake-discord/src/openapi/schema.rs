//! Compiled schemas ([`Node`]) and the checks of one value against one: types, formats, bounds,
//! strings and numbers, JSON equality.

use super::*;

/// JSON equality as JSON Schema defines it: `1` and `1.0` are the same number.
pub(super) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_equal(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(key, x)| ys.get(key).is_some_and(|y| json_equal(x, y)))
        }
        _ => a == b,
    }
}

/// Exact for integers (bounds such as i64::MIN or 2^54 lose precision as f64).
pub(super) fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

pub(super) fn as_i128(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

pub(super) fn check_string(node: &Node, text: &str, pointer: &str, out: &mut Outcome) {
    if node.length.is_set() {
        let length = text.chars().count() as u64;
        if let Some(too_long) = node.length.violation(length) {
            out.fail(
                pointer,
                Kind::Length {
                    bounds: node.length,
                    too_long,
                },
            );
        }
    }
    if let Some(format) = node.format
        && !format.admits(text)
    {
        out.fail(pointer, Kind::Format(format, describe_str(text)));
        // `pattern` describes the same textual shape; one message is enough.
        return;
    }
    if let Some(pattern) = &node.pattern
        && !pattern.is_match(text)
    {
        out.fail(pointer, Kind::Pattern);
    }
}

pub(super) fn check_number(node: &Node, number: &Number, pointer: &str, out: &mut Outcome) {
    // Worded after the value, as Discord's "int value should be ..." messages are.
    let noun = if is_integral(number) { "int" } else { "float" };
    if let Some(limit) = &node.minimum
        && compare_numbers(number, limit) == Some(Ordering::Less)
    {
        let limit = limit.clone();
        out.fail(pointer, Kind::Minimum { limit, noun });
    }
    if let Some(limit) = &node.maximum
        && compare_numbers(number, limit) == Some(Ordering::Greater)
    {
        let limit = limit.clone();
        out.fail(pointer, Kind::Maximum { limit, noun });
    }
}

pub(super) type NodeId = usize;

/// One compiled schema.
#[derive(Default)]
pub(super) struct Node {
    /// The schema constrains nothing at all (`{}`).
    pub(super) open: bool,
    pub(super) types: Option<Types>,
    pub(super) choices: Option<Vec<Value>>,
    pub(super) format: Option<Format>,
    pub(super) pattern: Option<Regex>,
    pub(super) length: Bounds,
    pub(super) items_len: Bounds,
    pub(super) props_len: Bounds,
    pub(super) minimum: Option<Number>,
    pub(super) maximum: Option<Number>,
    pub(super) unique_items: bool,
    pub(super) items: Option<NodeId>,
    pub(super) properties: HashMap<String, NodeId>,
    /// The properties limited to fixed values, which tell union branches apart.
    pub(super) discriminators: Vec<(String, NodeId)>,
    pub(super) extra_keys: Vec<&'static str>,
    pub(super) required: Vec<String>,
    pub(super) additional: Option<Additional>,
    pub(super) all_of: Vec<NodeId>,
    pub(super) any_of: Vec<NodeId>,
    pub(super) one_of: Vec<NodeId>,
}

#[derive(Clone, Copy)]
pub(super) enum Additional {
    Allowed(bool),
    Schema(NodeId),
}

#[derive(Clone, Copy, Default)]
pub(super) struct Bounds {
    pub(super) min: Option<u64>,
    pub(super) max: Option<u64>,
}

impl Bounds {
    pub(super) fn is_set(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }

    /// `Some(true)` when too long, `Some(false)` when too short.
    pub(super) fn violation(&self, length: u64) -> Option<bool> {
        if self.max.is_some_and(|max| length > max) {
            Some(true)
        } else if self.min.is_some_and(|min| length < min) {
            Some(false)
        } else {
            None
        }
    }

    pub(super) fn mismatch(&self, too_long: bool) -> (&'static str, String) {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min > 0 => (
                "BASE_TYPE_BAD_LENGTH",
                format!("Must be between {min} and {max} in length."),
            ),
            (_, Some(max)) if too_long => (
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {max} or fewer in length."),
            ),
            (min, _) => (
                "BASE_TYPE_MIN_LENGTH",
                format!("Must be {} or more in length.", min.unwrap_or_default()),
            ),
        }
    }
}

/// A set of JSON types, as a bit set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Types(pub(super) u8);

impl Types {
    const NULL: u8 = 1;
    const BOOLEAN: u8 = 2;
    const INTEGER: u8 = 4;
    const NUMBER: u8 = 8;
    const STRING: u8 = 16;
    const ARRAY: u8 = 32;
    const OBJECT: u8 = 64;
    const NAMES: [(u8, &'static str, &'static str); 7] = [
        (Self::INTEGER, "integer", "an integer"),
        (Self::NUMBER, "number", "a number"),
        (Self::STRING, "string", "a string"),
        (Self::BOOLEAN, "boolean", "a boolean"),
        (Self::ARRAY, "array", "an array"),
        (Self::OBJECT, "object", "an object"),
        (Self::NULL, "null", "null"),
    ];

    pub(super) fn parse(value: &Value) -> Result<Types, String> {
        let one = |name: &Value| {
            Self::NAMES
                .iter()
                .find(|(_, known, _)| name.as_str() == Some(known))
                .map(|(bit, _, _)| *bit)
                .ok_or_else(|| format!("unknown type {name}"))
        };
        match value {
            Value::Array(names) => names
                .iter()
                .try_fold(0, |bits, name| Ok(bits | one(name)?))
                .map(Types),
            name => one(name).map(Types),
        }
    }

    pub(super) fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    pub(super) fn admits(self, value: &Value) -> bool {
        match value {
            Value::Null => self.has(Self::NULL),
            Value::Bool(_) => self.has(Self::BOOLEAN),
            Value::String(_) => self.has(Self::STRING),
            Value::Array(_) => self.has(Self::ARRAY),
            Value::Object(_) => self.has(Self::OBJECT),
            Value::Number(number) => {
                self.has(Self::NUMBER) || (self.has(Self::INTEGER) && is_integral(number))
            }
        }
    }

    pub(super) fn mismatch(self, found: &str) -> (&'static str, String) {
        // Discord's messages leave null out unless it is the only choice.
        let wanted = match self.0 & !Self::NULL {
            0 => self.0,
            bits => bits,
        };
        if wanted == Self::INTEGER {
            return (
                "NUMBER_TYPE_COERCE",
                format!("Value \"{found}\" is not int."),
            );
        }
        if wanted & !(Self::INTEGER | Self::NUMBER) == 0 {
            return (
                "NUMBER_TYPE_COERCE",
                format!("Value \"{found}\" is not a number."),
            );
        }
        if wanted == Self::OBJECT {
            return (
                "MODEL_TYPE_CONVERT",
                "Expected an object/dictionary.".to_owned(),
            );
        }
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(bit, _, _)| wanted & bit != 0)
            .map(|(_, _, article)| *article)
            .collect();
        (
            "BASE_TYPE_BAD_TYPE",
            format!("Must be {}.", names.join(" or ")),
        )
    }
}

pub(super) fn is_integral(number: &Number) -> bool {
    number.is_i64()
        || number.is_u64()
        || number
            .as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

#[derive(Clone, Copy)]
pub(super) enum Format {
    DateTime,
    Uri,
    Snowflake,
}

impl Format {
    pub(super) fn admits(self, text: &str) -> bool {
        match self {
            Format::DateTime => is_date_time(text),
            Format::Uri => is_uri(text),
            Format::Snowflake => {
                !text.is_empty()
                    && text.bytes().all(|b| b.is_ascii_digit())
                    && text.parse::<u64>().is_ok()
            }
        }
    }

    pub(super) fn mismatch(self, found: &str) -> (&'static str, String) {
        match self {
            Format::DateTime => (
                "DATE_TIME_TYPE_PARSE",
                format!("Could not parse {found}. Should be ISO8601."),
            ),
            Format::Uri => ("URL_TYPE_INVALID_URL", "Not a well formed URL.".to_owned()),
            Format::Snowflake => (
                "NUMBER_TYPE_COERCE",
                format!("Value \"{found}\" is not snowflake."),
            ),
        }
    }
}

/// RFC 3339 `date-time`, e.g. `2024-05-01T07:30:00.123+02:00`.
pub(super) fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let number = |at: usize, len: usize| -> Option<u32> {
        bytes
            .get(at..at + len)?
            .iter()
            .try_fold(0u32, |acc, &digit| {
                digit
                    .is_ascii_digit()
                    .then(|| acc * 10 + u32::from(digit - b'0'))
            })
    };
    let is = |at: usize, allowed: &[u8]| bytes.get(at).is_some_and(|b| allowed.contains(b));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(0, 4),
        number(5, 2),
        number(8, 2),
        number(11, 2),
        number(14, 2),
        number(17, 2),
    ) else {
        return false;
    };
    let separators = is(4, b"-") && is(7, b"-") && is(10, b"Tt ") && is(13, b":") && is(16, b":");
    let mut at = 19;
    if is(at, b".") {
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return false;
        }
        at += 1 + digits;
    }
    let offset = match bytes.get(at) {
        Some(b'Z' | b'z') => at + 1 == bytes.len(),
        Some(b'+' | b'-') => {
            at + 6 == bytes.len()
                && is(at + 3, b":")
                && number(at + 1, 2).is_some_and(|h| h < 24)
                && number(at + 4, 2).is_some_and(|m| m < 60)
        }
        _ => false,
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    separators
        && offset
        && (1..=12).contains(&month)
        && (1..=month_days).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60
}

/// An absolute URI: a scheme, a colon, no blanks, and a host if it has `//`.
pub(super) fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme = scheme.chars();
    scheme.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && rest.strip_prefix("//").is_none_or(|authority| {
            !authority.is_empty() && !authority.starts_with(['/', '?', '#'])
        })
}
