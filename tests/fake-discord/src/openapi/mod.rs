//! Validates the JSON bodies the fake Discord receives and sends against Discord's
//! official OpenAPI 3.1 description, and renders failures the way Discord does
//! (`50035 Invalid Form Body`).
//!
//! This module owns: loading the spec, matching concrete request paths to its path
//! templates, a JSON Schema 2020-12 validator for the keywords the spec uses, the
//! refusal of object keys the schemas do not define, and the allow-lists of
//! deviations that Discord's docs sanction but the spec does not describe.
//!
//! Every schema is compiled once at load into an arena of nodes with `$ref`s
//! resolved to indices, so validation never looks anything up by name.
//!
//! Schema keywords handled: `type` (string or list, including `"null"`), `enum`,
//! `const`, `format`, `pattern`, `minLength`, `maxLength`, `minimum`, `maximum`,
//! `minItems`, `maxItems`, `uniqueItems`, `items`, `minProperties`,
//! `maxProperties`, `properties`, `required`, `additionalProperties` (schema or
//! boolean), `allOf`, `anyOf`, `oneOf` and `$ref` (local, cycles allowed).
//! Formats handled: `int32` and `int64` (range), `date-time` (RFC 3339), `uri`,
//! `snowflake` (decimal u64); `double` and `nonce` only name the number/string
//! shape that `type` and `maxLength` already enforce.
//!
//! Keywords deliberately ignored, because they carry no validation meaning:
//! `title`, `description`, `contentEncoding` (an annotation in 2020-12; the spec's
//! "base64" fields actually take `data:` URIs, and "binary" marks multipart file
//! parts) and every `x-*` extension. The only extension present,
//! `x-discord-union: "oneOf"`, sits on `anyOf` unions whose branches overlap;
//! checking them as `oneOf` would reject valid bodies, so `anyOf` is enforced.
//! Any other keyword, or an unknown `format`, makes loading fail rather than
//! being silently skipped.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use regex::Regex;
use serde_json::{Map, Number, Value};

mod allowances;
mod compile;
mod outcome;
mod schema;
#[cfg(test)]
mod tests;

use allowances::*;
use compile::*;
use outcome::*;
use schema::*;

/// Deeper bodies are refused instead of risking the stack; Discord's own
/// bodies nest a dozen levels at most.
const MAX_DEPTH: usize = 128;

/// Request content types a JSON body may stand for, in order of preference: the
/// multipart and form variants describe the same fields (files aside), and the
/// fake validates the JSON part of them (`payload_json`).
const REQUEST_CONTENT_TYPES: &[&str] = &[
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
];

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Why the spec could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read OpenAPI spec {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("OpenAPI spec {path} is not valid JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("OpenAPI spec {origin}: {reason}")]
    Invalid { origin: String, reason: String },
}

/// One way a body breaks the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the body, e.g. `/embeds/0/title`; `""` is the body itself.
    pub pointer: String,
    /// Discord-style error code, e.g. `BASE_TYPE_MAX_LENGTH`.
    pub code: &'static str,
    /// Human-readable, worded like Discord's messages.
    pub message: String,
}

impl Violation {
    fn at_root(code: &'static str, message: String) -> Self {
        Self {
            pointer: String::new(),
            code,
            message,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {} ({})", self.message, self.code)
    }
}

/// Discord's `400 Invalid Form Body` response body for these violations, with
/// errors nested along their pointers and collected under `_errors`.
pub fn invalid_form_body(violations: &[Violation]) -> Value {
    let mut errors = Map::new();
    for violation in violations {
        let tokens: Vec<String> = pointer_tokens(&violation.pointer).collect();
        let error = serde_json::json!({"code": violation.code, "message": violation.message});
        insert_error(&mut errors, &tokens, error);
    }
    serde_json::json!({"code": 50035, "message": "Invalid Form Body", "errors": errors})
}

fn insert_error(tree: &mut Map<String, Value>, tokens: &[String], error: Value) {
    let Some((head, rest)) = tokens.split_first() else {
        push_error(tree, error);
        return;
    };
    match tree
        .entry(head.clone())
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(child) => insert_error(child, rest, error),
        // Only a body key literally named `_errors` collides with an error list;
        // the error then stays one level up rather than being lost.
        _ => push_error(tree, error),
    }
}

fn push_error(tree: &mut Map<String, Value>, error: Value) {
    match tree
        .entry("_errors")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(list) => list.push(error),
        Value::Object(inner) => push_error(inner, error),
        _ => {}
    }
}

fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
}

fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape_token(token));
}

/// A JSON pointer token: `~` and `/` escaped as `~0` and `~1`.
fn escape_token(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

fn component_ref(name: &str) -> String {
    format!("#/components/schemas/{}", escape_token(name))
}

/// The parsed spec, ready to route and validate.
pub struct Spec {
    routes: Vec<Route>,
    nodes: Vec<Node>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("routes", &self.routes.len())
            .field("schemas", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl Spec {
    pub fn load(path: &Path) -> Result<Spec, SpecError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: shown.clone(),
            source,
        })?;
        let doc = serde_json::from_str(&text).map_err(|source| SpecError::Json {
            path: shown.clone(),
            source,
        })?;
        Self::build(&doc).map_err(|reason| SpecError::Invalid {
            origin: shown,
            reason,
        })
    }

    pub fn from_value(doc: Value) -> Result<Spec, SpecError> {
        Self::build(&doc).map_err(|reason| SpecError::Invalid {
            origin: "(in-memory document)".to_owned(),
            reason,
        })
    }

    fn build(doc: &Value) -> Result<Spec, String> {
        let widenings = DOCUMENTED_VALUE_WIDENINGS
            .iter()
            .map(|&(pattern, key, schema, _why)| {
                serde_json::from_str(schema).map_err(|e| {
                    format!("DOCUMENTED_VALUE_WIDENINGS entry for {pattern}.{key}: {e}")
                })
            })
            .collect::<Result<Vec<Value>, String>>()?;
        let mut compiler = Compiler::new(doc);
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        // Compiling every component up front checks the whole spec's keywords at
        // load and gives the allow-lists a node to attach to.
        for name in schemas.into_iter().flat_map(Map::keys) {
            compiler.reference(&component_ref(name))?;
        }
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("has no `paths` object")?;
        let mut routes = Vec::with_capacity(paths.len());
        for (template, item) in paths {
            routes.push(compiler.route(template, item)?);
        }
        compiler.finish()?;
        if let Some(schemas) = schemas {
            compiler.apply_documented_deviations(schemas, &widenings)?;
            compiler.finish()?;
        }
        compiler.reject_cycles()?;
        compiler.find_discriminators();
        Ok(Spec {
            routes,
            nodes: compiler.nodes,
        })
    }

    /// Strips a leading `/api` or `/api/v{N}` and any query string, matches the path
    /// to a template (literal segments such as `@me` and `@original` beat
    /// `{param}` segments) and returns the template if it defines `method`.
    pub fn route(&self, method: &str, path: &str) -> Option<&str> {
        let (route, _) = self.operation(method, path)?;
        Some(&route.template)
    }

    /// Validates a JSON request body against the operation's `requestBody` schema.
    /// Fails when the route is unknown, when a body is sent where the spec takes
    /// none, when a required body is missing, or when the body breaks the schema.
    pub fn validate_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(), Vec<Violation>> {
        let (route, operation) = self.expect_operation(method, path)?;
        match (&operation.request, body) {
            (None, Some(_)) => Err(vec![Violation::at_root(
                "UNEXPECTED_BODY",
                format!(
                    "{} {} takes no body.",
                    method.to_uppercase(),
                    route.template
                ),
            )]),
            (Some(request), None) if request.required => Err(vec![Violation::at_root(
                "BASE_TYPE_REQUIRED",
                "A JSON body is required.".to_owned(),
            )]),
            (_, None) => Ok(()),
            (Some(request), Some(body)) => self.check(request.schema, body),
        }
    }

    /// Validates a body the fake is about to send with `status` against the
    /// spec's response for that status, else its `NXX` range, else `default`.
    /// A response the spec gives no JSON body (every 204) must have none.
    pub fn validate_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Result<(), Vec<Violation>> {
        let (route, operation) = self.expect_operation(method, path)?;
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let Some(schema) = [exact.as_str(), range.as_str(), "default"]
            .into_iter()
            .find_map(|key| operation.responses.get(key))
        else {
            return Err(vec![Violation::at_root(
                "UNDOCUMENTED_STATUS",
                format!(
                    "{} {} has no {status} response.",
                    method.to_uppercase(),
                    route.template
                ),
            )]);
        };
        match (schema, body) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(vec![Violation::at_root(
                "UNEXPECTED_BODY",
                format!(
                    "A {status} response from {} has no JSON body.",
                    route.template
                ),
            )]),
            (Some(_), None) => Err(vec![Violation::at_root(
                "BASE_TYPE_REQUIRED",
                format!(
                    "A {status} response from {} needs a JSON body.",
                    route.template
                ),
            )]),
            (Some(schema), Some(body)) => self.check(*schema, body),
        }
    }

    fn expect_operation(
        &self,
        method: &str,
        path: &str,
    ) -> Result<(&Route, &Operation), Vec<Violation>> {
        self.operation(method, path).ok_or_else(|| {
            vec![Violation::at_root(
                "UNKNOWN_ROUTE",
                format!("{} {path} is not in the API spec.", method.to_uppercase()),
            )]
        })
    }

    fn operation(&self, method: &str, path: &str) -> Option<(&Route, &Operation)> {
        let segments: Vec<&str> = api_path(path)?.split('/').collect();
        let route = self
            .routes
            .iter()
            .filter(|route| route.matches(&segments))
            .max_by(|a, b| a.specificity(b))?;
        let operation = route.operations.get(&method.to_ascii_lowercase())?;
        Some((route, operation))
    }

    fn check(&self, schema: NodeId, body: &Value) -> Result<(), Vec<Violation>> {
        let mut pointer = String::new();
        let failures = self.validate_at(schema, body, &mut pointer, 0);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.into_iter().map(Failure::into_violation).collect())
        }
    }

    /// Validates `value` as a location of its own: after every schema that applies
    /// has had its say, keys none of them defined are refused.
    fn validate_at(
        &self,
        id: NodeId,
        value: &Value,
        pointer: &mut String,
        depth: usize,
    ) -> Vec<Failure> {
        if depth > MAX_DEPTH {
            return vec![Failure::new(pointer, Kind::TooDeep)];
        }
        let Outcome {
            mut failures,
            known,
        } = self.apply(id, value, pointer, depth);
        if let (Value::Object(map), Known::Keys(known)) = (value, known) {
            for ((key, _), known) in map.iter().zip(known) {
                if !known {
                    let len = pointer.len();
                    push_token(pointer, key);
                    failures.push(Failure::new(pointer, Kind::UnknownField));
                    pointer.truncate(len);
                }
            }
        }
        failures
    }

    /// Applies one schema to `value` in place, reporting which of an object's keys
    /// it defines so the caller can decide what is unknown.
    fn apply(&self, id: NodeId, value: &Value, pointer: &mut String, depth: usize) -> Outcome {
        let node = &self.nodes[id];
        let mut out = Outcome::new(node, value);
        if node.open {
            return out;
        }
        if let Some(types) = node.types
            && !types.admits(value)
        {
            // Every other keyword would only repeat that the value is the wrong shape.
            out.fail(
                pointer,
                Kind::Type {
                    expected: types,
                    found: describe(value),
                },
            );
            return out;
        }
        if let Some(choices) = &node.choices
            && !choices.iter().any(|choice| json_equal(choice, value))
        {
            out.fail(pointer, Kind::Choices(choices.clone()));
        }
        match value {
            Value::String(text) => check_string(node, text, pointer, &mut out),
            Value::Number(number) => check_number(node, number, pointer, &mut out),
            Value::Array(items) => self.check_array(node, items, pointer, depth, &mut out),
            Value::Object(map) => self.check_object(node, map, pointer, depth, &mut out),
            Value::Null | Value::Bool(_) => {}
        }
        for &part in &node.all_of {
            out.absorb(self.apply(part, value, pointer, depth));
        }
        if !node.any_of.is_empty() {
            self.apply_union(&node.any_of, false, value, pointer, depth, &mut out);
        }
        if !node.one_of.is_empty() {
            self.apply_union(&node.one_of, true, value, pointer, depth, &mut out);
        }
        out
    }

    /// A cheap, sound test that a union branch fails: its type does not fit, a
    /// property it limits to fixed values (a discriminator such as `type`) holds
    /// another, or a key it requires is missing. Without it, nested unions
    /// (components within components) re-validate whole subtrees once per branch.
    fn cannot_match(&self, id: NodeId, value: &Value) -> bool {
        let node = &self.nodes[id];
        let outside = |choices: &Option<Vec<Value>>, value: &Value| {
            choices
                .as_ref()
                .is_some_and(|choices| !choices.iter().any(|choice| json_equal(choice, value)))
        };
        if node.types.is_some_and(|types| !types.admits(value)) || outside(&node.choices, value) {
            return true;
        }
        let Value::Object(map) = value else {
            return false;
        };
        node.required.iter().any(|key| !map.contains_key(key))
            || node.discriminators.iter().any(|(key, child)| {
                map.get(key)
                    .is_some_and(|value| outside(&self.nodes[*child].choices, value))
            })
    }

    fn check_array(
        &self,
        node: &Node,
        items: &[Value],
        pointer: &mut String,
        depth: usize,
        out: &mut Outcome,
    ) {
        if let Some(too_long) = node.items_len.violation(items.len() as u64) {
            out.fail(
                pointer,
                Kind::Length {
                    bounds: node.items_len,
                    too_long,
                },
            );
        }
        for (index, item) in items.iter().enumerate() {
            let len = pointer.len();
            // Indices need no escaping, and writing them in place spares an allocation.
            let _ = write!(pointer, "/{index}");
            if node.unique_items && items[..index].iter().any(|seen| json_equal(seen, item)) {
                out.fail(pointer, Kind::Duplicate);
            }
            if let Some(schema) = node.items {
                out.failures
                    .extend(self.validate_at(schema, item, pointer, depth + 1));
            }
            pointer.truncate(len);
        }
    }

    fn check_object(
        &self,
        node: &Node,
        map: &Map<String, Value>,
        pointer: &mut String,
        depth: usize,
        out: &mut Outcome,
    ) {
        if let Some(too_long) = node.props_len.violation(map.len() as u64) {
            out.fail(
                pointer,
                Kind::Length {
                    bounds: node.props_len,
                    too_long,
                },
            );
        }
        for key in node.required.iter().filter(|key| !map.contains_key(*key)) {
            let len = pointer.len();
            push_token(pointer, key);
            out.fail(pointer, Kind::Required);
            pointer.truncate(len);
        }
        if node.properties.is_empty() && node.extra_keys.is_empty() && node.additional.is_none() {
            return;
        }
        for (index, (key, value)) in map.iter().enumerate() {
            let schema = match node.properties.get(key) {
                Some(&schema) => Some(schema),
                None if node.extra_keys.contains(&key.as_str()) => None,
                None => match node.additional {
                    Some(Additional::Schema(schema)) => Some(schema),
                    Some(Additional::Allowed(true)) => None,
                    // Left unmarked: the caller refuses it as unknown.
                    Some(Additional::Allowed(false)) | None => continue,
                },
            };
            out.mark_known(index);
            if let Some(schema) = schema {
                let len = pointer.len();
                push_token(pointer, key);
                out.failures
                    .extend(self.validate_at(schema, value, pointer, depth + 1));
                pointer.truncate(len);
            }
        }
    }

    fn apply_union(
        &self,
        branches: &[NodeId],
        exactly_one: bool,
        value: &Value,
        pointer: &mut String,
        depth: usize,
        out: &mut Outcome,
    ) {
        let outcomes: Vec<Outcome> = branches
            .iter()
            .filter(|&&branch| !self.cannot_match(branch, value))
            .map(|&branch| self.apply(branch, value, pointer, depth))
            .collect();
        let mut passing = outcomes.iter().filter(|o| o.failures.is_empty()).peekable();
        if passing.peek().is_none() {
            // Explaining needs every branch's full story, the skipped ones too.
            let outcomes = branches
                .iter()
                .map(|&branch| self.apply(branch, value, pointer, depth))
                .collect();
            out.absorb(explain_union_failure(outcomes, pointer));
            return;
        }
        let mut count = 0;
        for outcome in passing {
            out.known.merge(&outcome.known);
            count += 1;
        }
        if exactly_one && count > 1 {
            out.fail(pointer, Kind::Ambiguous);
        }
    }
}

/// Strips `/api` or `/api/v{N}`, the query and the leading slash.
fn api_path(path: &str) -> Option<&str> {
    let path = path.split_once(['?', '#']).map_or(path, |(path, _)| path);
    let mut path = path.strip_prefix('/')?;
    if let Some(rest) = path.strip_prefix("api") {
        if rest.is_empty() {
            return None;
        }
        if let Some(rest) = rest.strip_prefix('/') {
            path = rest;
            let version = rest.split('/').next().unwrap_or_default();
            let is_version = version
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if is_version {
                path = rest[version.len()..].strip_prefix('/')?;
            }
        }
    }
    Some(path)
}

struct Route {
    template: String,
    segments: Vec<Segment>,
    operations: HashMap<String, Operation>,
}

enum Segment {
    Literal(String),
    Param,
}

impl Route {
    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(template, segment)| match template {
                    Segment::Literal(literal) => literal == segment,
                    Segment::Param => !segment.is_empty(),
                })
    }

    /// Between two templates matching the same path, the first literal where the
    /// other has a parameter wins.
    fn specificity(&self, other: &Route) -> Ordering {
        let is_literal = |segment: &Segment| matches!(segment, Segment::Literal(_));
        self.segments
            .iter()
            .zip(&other.segments)
            .map(|(a, b)| is_literal(a).cmp(&is_literal(b)))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

struct Operation {
    request: Option<RequestBody>,
    /// Status key (`"200"`, `"4XX"`, `"default"`) to its JSON body schema, if any.
    responses: HashMap<String, Option<NodeId>>,
}

struct RequestBody {
    schema: NodeId,
    required: bool,
}
