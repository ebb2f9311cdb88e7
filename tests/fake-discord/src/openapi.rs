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

/// Object keys Discord's docs allow but the spec's schemas omit. The first field
/// names a schema under `#/components/schemas`; a single `*` matches any run of
/// characters, so one line can cover a family the docs describe as one structure.
/// Values of these keys are accepted as they are: the spec has no schema for them.
const DOCUMENTED_EXTRA_KEYS: &[(&str, &str, &str)] = &[
    (
        "ApplicationCommandCreateRequest",
        "nsfw",
        "application-commands.mdx, Create Global/Guild Application Command params: `nsfw?`; serenity's CreateCommand always sends it",
    ),
    (
        "ApplicationCommandUpdateRequest",
        "nsfw",
        "application-commands.mdx, Bulk Overwrite takes application command objects, which have `nsfw?`; serenity's CreateCommand always sends it",
    ),
    (
        "ApplicationCommandPatchRequestPartial",
        "nsfw",
        "application-commands.mdx, Edit Global/Guild Application Command params: `nsfw?`; serenity edits with the same CreateCommand",
    ),
    // The docs describe one option structure for every option type and mark each
    // field with the types it is meant for; the spec splits it per type and drops
    // the others. serenity's CommandOption always sends all of them (as [], null
    // or false), so every registration with options would otherwise be refused.
    (
        "ApplicationCommand*Option",
        "choices",
        "application-commands.mdx, application command option structure: `choices?`",
    ),
    (
        "ApplicationCommand*Option",
        "options",
        "application-commands.mdx, application command option structure: `options?`",
    ),
    (
        "ApplicationCommand*Option",
        "channel_types",
        "application-commands.mdx, application command option structure: `channel_types?`",
    ),
    (
        "ApplicationCommand*Option",
        "min_value",
        "application-commands.mdx, application command option structure: `min_value?`",
    ),
    (
        "ApplicationCommand*Option",
        "max_value",
        "application-commands.mdx, application command option structure: `max_value?`",
    ),
    (
        "ApplicationCommand*Option",
        "min_length",
        "application-commands.mdx, application command option structure: `min_length?`",
    ),
    (
        "ApplicationCommand*Option",
        "max_length",
        "application-commands.mdx, application command option structure: `max_length?`",
    ),
    (
        "ApplicationCommand*Option",
        "autocomplete",
        "application-commands.mdx, application command option structure: `autocomplete?`",
    ),
    (
        "RichEmbedImage",
        "proxy_url",
        "message.mdx, embed image structure: `proxy_url?` (Create Message limitations: image proxy_url values are not settable, i.e. ignored); serenity's EmbedImage always sends `proxy_url: null`",
    ),
    (
        "RichEmbedThumbnail",
        "proxy_url",
        "message.mdx, embed structure: `thumbnail?` is an embed image object, which lists `proxy_url?` (ignored on create); serenity's EmbedThumbnail always sends `proxy_url: null`",
    ),
    (
        "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
        "tts",
        "receiving-and-responding.mdx, interaction callback data, Messages (one structure for types 4 and 7): `tts?`; serenity's CreateInteractionResponseMessage sends it when set",
    ),
    (
        "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
        "poll",
        "receiving-and-responding.mdx, interaction callback data, Messages (one structure for types 4 and 7): `poll?`; serenity's CreateInteractionResponseMessage sends it when set",
    ),
    (
        "PongInteractionCallbackRequest",
        "data",
        "receiving-and-responding.mdx, interaction response structure: `data?` for every callback type; serenity sends `data: null` with PONG",
    ),
    (
        "LaunchActivityInteractionCallbackRequest",
        "data",
        "receiving-and-responding.mdx, interaction response structure: `data?` for every callback type; serenity sends `data: null` with LAUNCH_ACTIVITY",
    ),
    (
        "ComponentEmojiForRequest",
        "animated",
        "components-reference.mdx, button and string select option `emoji?`: partial emoji with `name`, `id` and `animated`; serenity sends `animated` for custom emoji",
    ),
];

/// Property values Discord's docs allow but the spec's schema for that property
/// refuses: (schema, property, JSON Schema the docs describe, why). A value is
/// valid when it matches the spec's schema or this one.
const DOCUMENTED_VALUE_WIDENINGS: &[(&str, &str, &str, &str)] = &[
    (
        "ApplicationCommandCreateRequest",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "ApplicationCommandUpdateRequest",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "ApplicationCommandPatchRequestPartial",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "MessageAttachmentRequest",
        "id",
        r#"{"type": "integer", "minimum": 0}"#,
        "api-reference.mdx, Uploading Files: new attachments carry integer placeholder ids (`\"id\": 0`) matching `files[n]`; serenity sends them as u64",
    ),
    (
        "Error",
        "code",
        r#"{"type": "string"}"#,
        "api-reference.mdx, Error Messages: field errors inside `errors` carry string codes such as BASE_TYPE_REQUIRED; the spec types every `code` as integer",
    ),
];

const PERMISSIONS_STRING: &str = r#"{"type": "string", "pattern": "^[0-9]+$"}"#;
const DEFAULT_MEMBER_PERMISSIONS_WHY: &str = "application-commands.mdx: `default_member_permissions` is a `?string` permission bit set, \"serialized as a string\"; serenity sends a decimal string, the spec types it integer";

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

/// Picks what to report when no branch of a union fits. If every branch trips over
/// the same tag at the same place (the value's type, a `type` discriminator, a
/// missing key) that is the real problem, reported once with all the allowed
/// choices. Otherwise the branch that got furthest is the one the sender meant:
/// one whose type fits the value at all, then the fewest tag and total failures.
fn explain_union_failure(outcomes: Vec<Outcome>, pointer: &str) -> Outcome {
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
fn is_tag(failure: &Failure, pointer: &str) -> bool {
    matches!(
        failure.kind,
        Kind::Type { .. } | Kind::Choices(_) | Kind::Required
    ) && is_self_or_child(&failure.pointer, pointer)
}

fn tags_at<'o>(outcome: &'o Outcome, at: &str, pointer: &str) -> Vec<&'o Kind> {
    outcome
        .failures
        .iter()
        .filter(|f| is_tag(f, pointer) && f.pointer == at)
        .map(|f| &f.kind)
        .collect()
}

/// One failure standing for every branch's tags at one place.
fn merge_tags(tags: &[Vec<&Kind>]) -> Kind {
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

fn is_self_or_child(candidate: &str, parent: &str) -> bool {
    candidate == parent
        || candidate
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.contains('/'))
}

/// What applying a schema found: its failures and, for an object, which keys it
/// (or its passing sub-schemas) define.
#[derive(Default)]
struct Outcome {
    failures: Vec<Failure>,
    known: Known,
}

impl Outcome {
    fn new(node: &Node, value: &Value) -> Self {
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

    fn fail(&mut self, pointer: &str, kind: Kind) {
        self.failures.push(Failure::new(pointer, kind));
    }

    fn mark_known(&mut self, index: usize) {
        if let Known::Keys(keys) = &mut self.known
            && let Some(key) = keys.get_mut(index)
        {
            *key = true;
        }
    }

    fn absorb(&mut self, other: Outcome) {
        self.failures.extend(other.failures);
        self.known.merge(&other.known);
    }
}

/// Which keys of the object being validated some schema defines, by position.
enum Known {
    All,
    Keys(Vec<bool>),
}

impl Default for Known {
    fn default() -> Self {
        Known::Keys(Vec::new())
    }
}

impl Known {
    fn merge(&mut self, other: &Known) {
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

struct Failure {
    pointer: String,
    kind: Kind,
}

enum Kind {
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
    fn new(pointer: &str, kind: Kind) -> Self {
        Self {
            pointer: pointer.to_owned(),
            kind,
        }
    }

    /// Codes and wording follow what Discord's API returns; the docs only show a
    /// few examples, so codes without a Discord counterpart (UNKNOWN_FIELD and the
    /// spec-level ones) are named in the same style.
    fn into_violation(self) -> Violation {
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
fn python_repr(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{text}'"),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

/// A short rendering of an offending value for messages.
fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => describe_str(text),
        other => describe_str(&other.to_string()),
    }
}

fn describe_str(text: &str) -> String {
    const LIMIT: usize = 64;
    if text.chars().count() > LIMIT {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// JSON equality as JSON Schema defines it: `1` and `1.0` are the same number.
fn json_equal(a: &Value, b: &Value) -> bool {
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
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn as_i128(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

fn check_string(node: &Node, text: &str, pointer: &str, out: &mut Outcome) {
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

fn check_number(node: &Node, number: &Number, pointer: &str, out: &mut Outcome) {
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

type NodeId = usize;

/// One compiled schema.
#[derive(Default)]
struct Node {
    /// The schema constrains nothing at all (`{}`).
    open: bool,
    types: Option<Types>,
    choices: Option<Vec<Value>>,
    format: Option<Format>,
    pattern: Option<Regex>,
    length: Bounds,
    items_len: Bounds,
    props_len: Bounds,
    minimum: Option<Number>,
    maximum: Option<Number>,
    unique_items: bool,
    items: Option<NodeId>,
    properties: HashMap<String, NodeId>,
    /// The properties limited to fixed values, which tell union branches apart.
    discriminators: Vec<(String, NodeId)>,
    extra_keys: Vec<&'static str>,
    required: Vec<String>,
    additional: Option<Additional>,
    all_of: Vec<NodeId>,
    any_of: Vec<NodeId>,
    one_of: Vec<NodeId>,
}

#[derive(Clone, Copy)]
enum Additional {
    Allowed(bool),
    Schema(NodeId),
}

#[derive(Clone, Copy, Default)]
struct Bounds {
    min: Option<u64>,
    max: Option<u64>,
}

impl Bounds {
    fn is_set(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }

    /// `Some(true)` when too long, `Some(false)` when too short.
    fn violation(&self, length: u64) -> Option<bool> {
        if self.max.is_some_and(|max| length > max) {
            Some(true)
        } else if self.min.is_some_and(|min| length < min) {
            Some(false)
        } else {
            None
        }
    }

    fn mismatch(&self, too_long: bool) -> (&'static str, String) {
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
struct Types(u8);

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

    fn parse(value: &Value) -> Result<Types, String> {
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

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn admits(self, value: &Value) -> bool {
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

    fn mismatch(self, found: &str) -> (&'static str, String) {
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

fn is_integral(number: &Number) -> bool {
    number.is_i64()
        || number.is_u64()
        || number
            .as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

#[derive(Clone, Copy)]
enum Format {
    DateTime,
    Uri,
    Snowflake,
}

impl Format {
    fn admits(self, text: &str) -> bool {
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

    fn mismatch(self, found: &str) -> (&'static str, String) {
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
fn is_date_time(text: &str) -> bool {
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
fn is_uri(text: &str) -> bool {
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

/// `*` in an allow-list entry matches any run of characters.
fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        None => pattern == name,
    }
}

/// Turns the document's schemas into [`Node`]s. Referenced schemas are queued and
/// compiled once, so `$ref` cycles cost nothing here.
struct Compiler<'d> {
    doc: &'d Value,
    nodes: Vec<Node>,
    /// Where each node came from, for load errors.
    origins: Vec<String>,
    refs: HashMap<String, NodeId>,
    pending: Vec<(NodeId, &'d Value, String)>,
}

impl<'d> Compiler<'d> {
    fn new(doc: &'d Value) -> Self {
        Self {
            doc,
            nodes: Vec::new(),
            origins: Vec::new(),
            refs: HashMap::new(),
            pending: Vec::new(),
        }
    }

    fn alloc(&mut self, node: Node, origin: String) -> NodeId {
        self.nodes.push(node);
        self.origins.push(origin);
        self.nodes.len() - 1
    }

    fn reference(&mut self, target: &str) -> Result<NodeId, String> {
        if let Some(&id) = self.refs.get(target) {
            return Ok(id);
        }
        let schema = target
            .strip_prefix('#')
            .and_then(|pointer| self.doc.pointer(pointer))
            .ok_or_else(|| format!("$ref {target} does not point into this document"))?;
        let id = self.alloc(Node::default(), target.to_owned());
        self.refs.insert(target.to_owned(), id);
        self.pending.push((id, schema, target.to_owned()));
        Ok(id)
    }

    fn finish(&mut self) -> Result<(), String> {
        while let Some((id, schema, origin)) = self.pending.pop() {
            self.nodes[id] = self.node(schema, &origin)?;
        }
        Ok(())
    }

    /// An inline schema; one that is nothing but a `$ref` (plus annotations) is
    /// the referenced node itself, sparing an indirection on every validation.
    fn schema(&mut self, schema: &'d Value, at: &str) -> Result<NodeId, String> {
        if let Value::Object(keywords) = schema
            && let Some(Value::String(target)) = keywords.get("$ref")
            && keywords.keys().all(|k| k == "$ref" || is_annotation(k))
        {
            return self.reference(target);
        }
        let node = self.node(schema, at)?;
        Ok(self.alloc(node, at.to_owned()))
    }

    fn schemas(&mut self, list: &'d Value, at: &str) -> Result<Vec<NodeId>, String> {
        let list = list
            .as_array()
            .filter(|list| !list.is_empty())
            .ok_or_else(|| format!("{at}: expected a non-empty array of schemas"))?;
        list.iter()
            .enumerate()
            .map(|(i, schema)| self.schema(schema, &format!("{at}/{i}")))
            .collect()
    }

    fn node(&mut self, schema: &'d Value, at: &str) -> Result<Node, String> {
        let keywords = schema
            .as_object()
            .ok_or_else(|| format!("{at}: a schema must be an object"))?;
        let mut node = Node {
            open: keywords.keys().all(|k| is_annotation(k)),
            ..Node::default()
        };
        let mut format = None;
        // `enum`, `const` and folded unions of constants each limit the value.
        let mut limits: Vec<Vec<Value>> = Vec::new();
        for (keyword, value) in keywords {
            let here = format!("{at}/{}", escape_token(keyword));
            let count = || {
                value
                    .as_u64()
                    .ok_or_else(|| format!("{here}: expected a non-negative integer"))
            };
            match keyword.as_str() {
                "type" => {
                    node.types = Some(Types::parse(value).map_err(|e| format!("{here}: {e}"))?)
                }
                "enum" => {
                    let values = value
                        .as_array()
                        .ok_or_else(|| format!("{here}: expected an array"))?;
                    limits.push(values.clone());
                }
                "const" => limits.push(vec![value.clone()]),
                "format" => {
                    format = Some(
                        value
                            .as_str()
                            .ok_or_else(|| format!("{here}: expected a string"))?,
                    )
                }
                "pattern" => {
                    let source = value
                        .as_str()
                        .ok_or_else(|| format!("{here}: expected a string"))?;
                    node.pattern = Some(Regex::new(source).map_err(|e| format!("{here}: {e}"))?);
                }
                "minLength" => node.length.min = Some(count()?),
                "maxLength" => node.length.max = Some(count()?),
                "minItems" => node.items_len.min = Some(count()?),
                "maxItems" => node.items_len.max = Some(count()?),
                "minProperties" => node.props_len.min = Some(count()?),
                "maxProperties" => node.props_len.max = Some(count()?),
                "minimum" | "maximum" => {
                    let Value::Number(limit) = value else {
                        return Err(format!("{here}: expected a number"));
                    };
                    let slot = if keyword == "minimum" {
                        &mut node.minimum
                    } else {
                        &mut node.maximum
                    };
                    *slot = Some(limit.clone());
                }
                "uniqueItems" => {
                    node.unique_items = value
                        .as_bool()
                        .ok_or_else(|| format!("{here}: expected a boolean"))?;
                }
                "items" => node.items = Some(self.schema(value, &here)?),
                "properties" => {
                    let properties = value
                        .as_object()
                        .ok_or_else(|| format!("{here}: expected an object"))?;
                    for (name, schema) in properties {
                        let id = self.schema(schema, &format!("{here}/{}", escape_token(name)))?;
                        node.properties.insert(name.clone(), id);
                    }
                }
                "required" => {
                    node.required = value
                        .as_array()
                        .and_then(|names| {
                            names
                                .iter()
                                .map(|n| n.as_str().map(str::to_owned))
                                .collect()
                        })
                        .ok_or_else(|| format!("{here}: expected an array of strings"))?;
                }
                "additionalProperties" => {
                    node.additional = Some(match value {
                        Value::Bool(allowed) => Additional::Allowed(*allowed),
                        schema => Additional::Schema(self.schema(schema, &here)?),
                    });
                }
                "allOf" => node.all_of = self.schemas(value, &here)?,
                "anyOf" | "oneOf" => match distinct_constants(value) {
                    Some(values) => limits.push(values),
                    None if keyword == "anyOf" => node.any_of = self.schemas(value, &here)?,
                    None => node.one_of = self.schemas(value, &here)?,
                },
                "$ref" => {
                    let target = value
                        .as_str()
                        .ok_or_else(|| format!("{here}: expected a string"))?;
                    node.all_of.push(self.reference(target)?);
                }
                other if is_annotation(other) => {}
                other => return Err(format!("{at}: unsupported schema keyword `{other}`")),
            }
        }
        for allowed in limits {
            match &mut node.choices {
                None => node.choices = Some(allowed),
                Some(choices) => choices.retain(|c| allowed.iter().any(|a| json_equal(a, c))),
            }
        }
        match format {
            None | Some("double" | "nonce") => {}
            Some("int32") => tighten(&mut node, i64::from(i32::MIN), i64::from(i32::MAX)),
            Some("int64") => tighten(&mut node, i64::MIN, i64::MAX),
            Some("date-time") => node.format = Some(Format::DateTime),
            Some("uri") => node.format = Some(Format::Uri),
            Some("snowflake") => node.format = Some(Format::Snowflake),
            Some(other) => return Err(format!("{at}: unsupported format `{other}`")),
        }
        Ok(node)
    }

    fn route(&mut self, template: &str, item: &'d Value) -> Result<Route, String> {
        let at = format!("#/paths/{}", escape_token(template));
        let segments = template
            .strip_prefix('/')
            .ok_or_else(|| format!("{at}: path templates start with /"))?
            .split('/')
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) if !name.contains(['{', '}']) => Ok(Segment::Param),
                    _ if segment.contains(['{', '}']) => {
                        Err(format!("{at}: parameters must fill a whole segment"))
                    }
                    _ => Ok(Segment::Literal(segment.to_owned())),
                },
            )
            .collect::<Result<_, _>>()?;
        let item = item
            .as_object()
            .ok_or_else(|| format!("{at}: expected a path item object"))?;
        let mut operations = HashMap::new();
        // Path-item fields other than methods (`parameters`, `summary`) describe
        // the URL, not bodies.
        for (method, operation) in item
            .iter()
            .filter(|(m, _)| HTTP_METHODS.contains(&m.as_str()))
        {
            let here = format!("{at}/{method}");
            operations.insert(method.clone(), self.operation(operation, &here)?);
        }
        Ok(Route {
            template: template.to_owned(),
            segments,
            operations,
        })
    }

    fn operation(&mut self, operation: &'d Value, at: &str) -> Result<Operation, String> {
        let request = match operation.get("requestBody") {
            None => None,
            Some(body) => {
                let here = format!("{at}/requestBody");
                let body = self.follow(body, &here)?;
                let (content_type, content) = REQUEST_CONTENT_TYPES
                    .iter()
                    .find_map(|ct| {
                        Some((ct, body.pointer(&format!("/content/{}", escape_token(ct)))?))
                    })
                    .ok_or_else(|| format!("{here}: no JSON, multipart or form content"))?;
                let schema_at = format!("{here}/content/{}/schema", escape_token(content_type));
                Some(RequestBody {
                    schema: self.content_schema(content, &schema_at)?,
                    required: body
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            }
        };
        let mut responses = HashMap::new();
        let listed = operation.get("responses").and_then(Value::as_object);
        for (status, response) in listed.into_iter().flatten() {
            let here = format!("{at}/responses/{status}");
            let response = self.follow(response, &here)?;
            let schema = match response.pointer("/content/application~1json") {
                Some(content) => Some(self.content_schema(
                    content,
                    &format!("{here}/content/application~1json/schema"),
                )?),
                None => None,
            };
            responses.insert(status.clone(), schema);
        }
        Ok(Operation { request, responses })
    }

    /// A media type object's schema; none means any JSON value.
    fn content_schema(&mut self, content: &'d Value, at: &str) -> Result<NodeId, String> {
        match content.get("schema") {
            Some(schema) => self.schema(schema, at),
            None => Ok(self.alloc(
                Node {
                    open: true,
                    ..Node::default()
                },
                at.to_owned(),
            )),
        }
    }

    /// Request bodies and responses may themselves be `$ref`s into `components`.
    fn follow(&self, mut object: &'d Value, at: &str) -> Result<&'d Value, String> {
        for _ in 0..8 {
            let Some(target) = object.get("$ref").and_then(Value::as_str) else {
                return Ok(object);
            };
            object = target
                .strip_prefix('#')
                .and_then(|pointer| self.doc.pointer(pointer))
                .ok_or_else(|| format!("{at}: $ref {target} does not point into this document"))?;
        }
        Err(format!("{at}: $ref chain too long or circular"))
    }

    fn apply_documented_deviations(
        &mut self,
        schemas: &Map<String, Value>,
        widenings: &'d [Value],
    ) -> Result<(), String> {
        for &(pattern, key, _why) in DOCUMENTED_EXTRA_KEYS {
            for name in schemas.keys().filter(|name| name_matches(pattern, name)) {
                if let Some(id) = self.component(name) {
                    let node = &mut self.nodes[id];
                    if !node.properties.contains_key(key) {
                        node.extra_keys.push(key);
                    }
                }
            }
        }
        for (&(pattern, key, _, _why), docs_schema) in
            DOCUMENTED_VALUE_WIDENINGS.iter().zip(widenings)
        {
            for name in schemas.keys().filter(|name| name_matches(pattern, name)) {
                let Some(id) = self.component(name) else {
                    continue;
                };
                let Some(&spec_id) = self.nodes[id].properties.get(key) else {
                    continue;
                };
                let origin = format!("documented widening of {name}.{key}");
                let docs_id = self.schema(docs_schema, &origin)?;
                let either = self.alloc(
                    Node {
                        any_of: vec![spec_id, docs_id],
                        ..Node::default()
                    },
                    origin,
                );
                self.nodes[id].properties.insert(key.to_owned(), either);
            }
        }
        Ok(())
    }

    fn find_discriminators(&mut self) {
        for id in 0..self.nodes.len() {
            let found = self.nodes[id]
                .properties
                .iter()
                .filter(|(_, child)| self.nodes[**child].choices.is_some())
                .map(|(key, child)| (key.clone(), *child))
                .collect();
            self.nodes[id].discriminators = found;
        }
    }

    fn component(&self, name: &str) -> Option<NodeId> {
        self.refs.get(&component_ref(name)).copied()
    }

    /// A cycle through `allOf`/`anyOf`/`oneOf`/`$ref` alone would re-apply schemas
    /// to the same value forever; cycles that go through `properties` or `items`
    /// (like `ErrorDetails`) descend into the body and are fine.
    fn reject_cycles(&self) -> Result<(), String> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut marks = vec![Mark::New; self.nodes.len()];
        for start in 0..self.nodes.len() {
            if marks[start] != Mark::New {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            marks[start] = Mark::Active;
            while let Some((id, next)) = stack.pop() {
                let node = &self.nodes[id];
                let children = node.all_of.iter().chain(&node.any_of).chain(&node.one_of);
                match children.clone().nth(next) {
                    Some(&child) => {
                        stack.push((id, next + 1));
                        match marks[child] {
                            Mark::Active => {
                                return Err(format!(
                                    "{}: schema applies itself to the same value without end",
                                    self.origins[child]
                                ));
                            }
                            Mark::New => {
                                marks[child] = Mark::Active;
                                stack.push((child, 0));
                            }
                            Mark::Done => {}
                        }
                    }
                    None => marks[id] = Mark::Done,
                }
            }
        }
        Ok(())
    }
}

/// The values of a union whose branches are all bare, distinct constants: how
/// the spec writes Discord's enums, one titled branch per value. Folding it into
/// an `enum` spares trying every constant as a branch and yields one
/// "must be one of" message.
fn distinct_constants(branches: &Value) -> Option<Vec<Value>> {
    let values: Vec<Value> = branches
        .as_array()?
        .iter()
        .map(|branch| {
            let keywords = branch.as_object()?;
            let bare = keywords.keys().all(|k| k == "const" || is_annotation(k));
            keywords.get("const").filter(|_| bare).cloned()
        })
        .collect::<Option<_>>()?;
    let distinct = values
        .iter()
        .enumerate()
        .all(|(i, value)| !values[..i].iter().any(|seen| json_equal(seen, value)));
    (distinct && !values.is_empty()).then_some(values)
}

fn is_annotation(keyword: &str) -> bool {
    matches!(keyword, "title" | "description" | "contentEncoding") || keyword.starts_with("x-")
}

/// Narrows a node's numeric bounds to what its integer `format` can hold.
fn tighten(node: &mut Node, min: i64, max: i64) {
    let (min, max) = (Number::from(min), Number::from(max));
    if node
        .minimum
        .as_ref()
        .is_none_or(|current| compare_numbers(current, &min) == Some(Ordering::Less))
    {
        node.minimum = Some(min);
    }
    if node
        .maximum
        .as_ref()
        .is_none_or(|current| compare_numbers(current, &max) == Some(Ordering::Greater))
    {
        node.maximum = Some(max);
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use serde_json::json;

    use super::*;

    const MESSAGES: &str = "/api/v10/channels/123/messages";
    const COMMANDS: &str = "/api/v10/applications/1/commands";
    const CALLBACK: &str = "/api/v10/interactions/1/token/callback";

    /// A file of the Discord API material, found where the fake finds its spec (`DISCORD_OPENAPI` or
    /// `shared/` beside the checkout).
    fn shared(file: &str) -> PathBuf {
        let spec = crate::validation::default_spec_path().expect("the spec is found");
        spec.parent().map_or(spec.clone(), |dir| dir.join(file))
    }

    fn spec() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| Spec::load(&shared("openapi.json")).expect("the shipped spec loads"))
    }

    fn violations(method: &str, path: &str, body: Value) -> Vec<Violation> {
        spec()
            .validate_request(method, path, Some(&body))
            .err()
            .unwrap_or_default()
    }

    /// (pointer, code) pairs, the part of a violation tests care about.
    fn found(method: &str, path: &str, body: Value) -> Vec<(String, &'static str)> {
        violations(method, path, body)
            .into_iter()
            .map(|v| (v.pointer, v.code))
            .collect()
    }

    fn at(pointer: &str, code: &'static str) -> Vec<(String, &'static str)> {
        vec![(pointer.to_owned(), code)]
    }

    fn command(name: &str) -> Value {
        json!({"name": name, "description": "Today's stretch", "type": 1, "options": []})
    }

    fn string_option(name: &str) -> Value {
        json!({"type": 3, "name": name, "description": "An option"})
    }

    fn embed() -> Value {
        json!({
            "title": "Stretch of the day",
            "description": "Reach for the sky",
            "color": 0x00ff00,
            "timestamp": "2025-03-01T07:30:00.000Z",
            "url": "https://example.com/stretch",
            "fields": [{"name": "Duration", "value": "30 s", "inline": true}],
            "footer": {"text": "stretchbot", "icon_url": "https://example.com/icon.png"},
        })
    }

    fn user() -> Value {
        json!({
            "id": "42", "username": "stretchbot", "avatar": null, "discriminator": "0",
            "public_flags": 0, "flags": 0, "global_name": null, "primary_guild": null, "bot": true,
        })
    }

    fn message_response() -> Value {
        json!({
            "type": 0, "content": "hi", "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [{"type": "rich", "title": "Stretch", "fields": [{"name": "a", "value": "b", "inline": false}]}],
            "timestamp": "2025-03-01T07:30:00.000000+00:00", "edited_timestamp": null, "flags": 0,
            "components": [], "id": "1000", "channel_id": "123", "author": user(),
            "pinned": false, "mention_everyone": false, "tts": false,
        })
    }

    #[test]
    fn routes_prefer_literal_segments_over_parameters() {
        let spec = spec();
        assert_eq!(
            spec.route("GET", "/api/v10/channels/1/messages/pins"),
            Some("/channels/{channel_id}/messages/pins")
        );
        assert_eq!(
            spec.route("GET", "/api/v10/channels/1/messages/2"),
            Some("/channels/{channel_id}/messages/{message_id}")
        );
        assert_eq!(spec.route("GET", "/api/v10/users/@me"), Some("/users/@me"));
        assert_eq!(
            spec.route("GET", "/api/v10/users/42"),
            Some("/users/{user_id}")
        );
        assert_eq!(
            spec.route("PATCH", "/api/v10/webhooks/1/tok/messages/@original"),
            Some("/webhooks/{webhook_id}/{webhook_token}/messages/@original")
        );
        assert_eq!(
            spec.route("PATCH", "/api/v10/webhooks/1/tok/messages/99"),
            Some("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
        );
    }

    #[test]
    fn every_template_routes_to_itself() {
        // The fake's router hands templates back in as paths.
        for route in &spec().routes {
            for method in route.operations.keys() {
                assert_eq!(
                    spec().route(method, &route.template),
                    Some(route.template.as_str())
                );
            }
        }
    }

    #[test]
    fn routes_strip_the_version_prefix_and_query() {
        let spec = spec();
        let template = Some("/channels/{channel_id}/messages");
        assert_eq!(spec.route("POST", MESSAGES), template);
        assert_eq!(
            spec.route("post", "/api/v9/channels/123/messages"),
            template
        );
        assert_eq!(spec.route("POST", "/api/channels/123/messages"), template);
        assert_eq!(spec.route("POST", "/channels/123/messages"), template);
        assert_eq!(
            spec.route("POST", "/api/v10/webhooks/1/tok?wait=true"),
            Some("/webhooks/{webhook_id}/{webhook_token}")
        );
        assert_eq!(
            spec.route("GET", "/api/v10/voice/regions"),
            Some("/voice/regions")
        );
    }

    #[test]
    fn unknown_routes_and_methods_route_nowhere() {
        let spec = spec();
        assert_eq!(spec.route("GET", "/api/v10/nope"), None);
        assert_eq!(
            spec.route("GET", "/api/v10/channels/1/messages/2/nope"),
            None
        );
        assert_eq!(spec.route("PUT", MESSAGES), None);
        assert_eq!(spec.route("GET", "/api/v10/channels//messages"), None);
        assert_eq!(spec.route("GET", "channels/1/messages"), None);
        assert_eq!(spec.route("GET", "/api/v10"), None);
        let unknown = violations("POST", "/api/v10/nope", json!({}));
        assert_eq!(unknown[0].code, "UNKNOWN_ROUTE");
    }

    #[test]
    fn a_message_with_an_embed_passes() {
        let body = json!({
            "content": "Time to stretch!", "tts": false, "embeds": [embed()],
            "allowed_mentions": {"parse": [], "users": ["1"], "roles": [], "replied_user": false},
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 3, "custom_id": "done", "label": "Done", "emoji": {"name": "✅"}},
                {"type": 2, "style": 5, "url": "https://example.com", "label": "Docs"},
            ]}],
            "message_reference": {"message_id": "99", "fail_if_not_exists": false},
            "sticker_ids": [], "attachments": [], "enforce_nonce": true, "nonce": "abc", "flags": 4096,
        });
        assert_eq!(found("POST", MESSAGES, body), vec![]);
    }

    #[test]
    fn an_embed_title_over_256_characters_fails() {
        let mut long = embed();
        long["title"] = json!("é".repeat(257));
        let refused = violations("POST", MESSAGES, json!({"embeds": [long]}));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].pointer, "/embeds/0/title");
        assert_eq!(refused[0].code, "BASE_TYPE_MAX_LENGTH");
        assert_eq!(refused[0].message, "Must be 256 or fewer in length.");
        assert_eq!(
            refused[0].to_string(),
            "/embeds/0/title: Must be 256 or fewer in length. (BASE_TYPE_MAX_LENGTH)"
        );
        let mut fits = embed();
        fits["title"] = json!("é".repeat(256));
        assert_eq!(found("POST", MESSAGES, json!({"embeds": [fits]})), vec![]);
    }

    #[test]
    fn twenty_six_embed_fields_fail() {
        let mut embed = embed();
        embed["fields"] = json!(vec![json!({"name": "n", "value": "v"}); 26]);
        assert_eq!(
            found("POST", MESSAGES, json!({"embeds": [embed]})),
            at("/embeds/0/fields", "BASE_TYPE_MAX_LENGTH")
        );
    }

    #[test]
    fn a_missing_required_key_fails() {
        let body = json!({"embeds": [{"fields": [{"name": "no value"}]}]});
        let refused = violations("POST", MESSAGES, body);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].pointer, "/embeds/0/fields/0/value");
        assert_eq!(refused[0].code, "BASE_TYPE_REQUIRED");
        assert_eq!(refused[0].message, "This field is required");
    }

    #[test]
    fn wrong_types_fail_with_discord_style_codes() {
        assert_eq!(
            found("POST", MESSAGES, json!({"content": 5})),
            at("/content", "BASE_TYPE_BAD_TYPE")
        );
        assert_eq!(
            found("POST", MESSAGES, json!({"tts": "yes"})),
            at("/tts", "BASE_TYPE_BAD_TYPE")
        );
        let color = violations("POST", MESSAGES, json!({"embeds": [{"color": "red"}]}));
        assert_eq!(color[0].code, "NUMBER_TYPE_COERCE");
        assert_eq!(color[0].message, "Value \"red\" is not int.");
        let embeds = violations("POST", MESSAGES, json!({"embeds": {"title": "x"}}));
        assert_eq!(embeds[0].message, "Must be an array.");
        let author = violations("POST", MESSAGES, json!({"embeds": [{"author": "me"}]}));
        assert_eq!(author[0].pointer, "/embeds/0/author");
        assert_eq!(author[0].code, "MODEL_TYPE_CONVERT");
        assert_eq!(
            found("POST", MESSAGES, json!([])),
            at("", "MODEL_TYPE_CONVERT")
        );
        assert_eq!(
            found("POST", MESSAGES, json!({"flags": 1.5})),
            at("/flags", "NUMBER_TYPE_COERCE")
        );
        assert_eq!(found("POST", MESSAGES, json!({"flags": 64.0})), vec![]);
    }

    #[test]
    fn unknown_keys_are_refused_where_they_occur() {
        let body = json!({
            "content": "hi", "bogus": 1,
            "embeds": [{"title": "t", "colour": 3, "footer": {"text": "f", "extra": true}}],
            "components": [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a", "options": []}]}],
        });
        let refused = violations("POST", MESSAGES, body);
        let mut pointers: Vec<(&str, &str)> = refused
            .iter()
            .map(|v| (v.pointer.as_str(), v.code))
            .collect();
        pointers.sort_unstable();
        assert_eq!(
            pointers,
            vec![
                ("/bogus", "UNKNOWN_FIELD"),
                ("/components/0/components/0/options", "UNKNOWN_FIELD"),
                ("/embeds/0/colour", "UNKNOWN_FIELD"),
                ("/embeds/0/footer/extra", "UNKNOWN_FIELD"),
            ]
        );
        // Keys that need escaping come back as proper JSON pointers.
        assert_eq!(
            found("POST", MESSAGES, json!({"a/b~c": 1})),
            at("/a~1b~0c", "UNKNOWN_FIELD")
        );
    }

    #[test]
    fn nsfw_on_a_command_overwrite_is_allowed_but_other_extras_are_not() {
        let mut with_nsfw = command("stretch");
        with_nsfw["nsfw"] = json!(false);
        assert_eq!(found("PUT", COMMANDS, json!([with_nsfw])), vec![]);
        assert_eq!(
            found(
                "PUT",
                "/api/v10/applications/1/guilds/2/commands",
                json!([with_nsfw])
            ),
            vec![]
        );
        assert_eq!(found("POST", COMMANDS, with_nsfw.clone()), vec![]);
        let mut with_typo = command("stretch");
        with_typo["nsfw_only"] = json!(true);
        assert_eq!(
            found("PUT", COMMANDS, json!([with_typo])),
            at("/0/nsfw_only", "UNKNOWN_FIELD")
        );
    }

    #[test]
    fn serenity_style_options_with_every_field_pass() {
        // serenity's CommandOption sends every documented option field, for any type.
        let option = json!({
            "type": 4, "name": "count", "description": "How many", "required": false,
            "choices": [], "options": [], "channel_types": [], "min_value": 1, "max_value": 10,
            "min_length": null, "max_length": null, "autocomplete": false,
        });
        let mut command = command("stretch");
        command["options"] = json!([option]);
        assert_eq!(found("PUT", COMMANDS, json!([command])), vec![]);
    }

    #[test]
    fn command_name_and_description_lengths_are_enforced() {
        let long_name = command(&"a".repeat(33));
        let refused = violations("PUT", COMMANDS, json!([long_name]));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].pointer, "/0/name");
        assert_eq!(refused[0].code, "BASE_TYPE_BAD_LENGTH");
        assert_eq!(refused[0].message, "Must be between 1 and 32 in length.");
        let mut long_description = command("stretch");
        long_description["description"] = json!("d".repeat(101));
        assert_eq!(
            found("PUT", COMMANDS, json!([long_description])),
            at("/0/description", "BASE_TYPE_MAX_LENGTH")
        );
        let mut long_option = command("stretch");
        long_option["options"] = json!([string_option(&"o".repeat(33))]);
        assert_eq!(
            found("PUT", COMMANDS, json!([long_option])),
            at("/0/options/0/name", "BASE_TYPE_BAD_LENGTH")
        );
    }

    #[test]
    fn twenty_six_options_fail() {
        let mut command = command("stretch");
        command["options"] = (0..26).map(|i| string_option(&format!("o{i}"))).collect();
        assert_eq!(
            found("PUT", COMMANDS, json!([command])),
            at("/0/options", "BASE_TYPE_MAX_LENGTH")
        );
    }

    #[test]
    fn an_autocomplete_result_with_26_choices_fails() {
        let choices = |n: usize| -> Value {
            (0..n)
                .map(|i| json!({"name": format!("c{i}"), "value": format!("v{i}")}))
                .collect()
        };
        let body = |n| json!({"type": 8, "data": {"choices": choices(n)}});
        assert_eq!(found("POST", CALLBACK, body(25)), vec![]);
        assert_eq!(
            found("POST", CALLBACK, body(26)),
            at("/data/choices", "BASE_TYPE_MAX_LENGTH")
        );
    }

    #[test]
    fn callbacks_of_every_type_the_bot_sends_pass() {
        let ok = |body: Value| assert_eq!(found("POST", CALLBACK, body.clone()), vec![], "{body}");
        ok(json!({"type": 4, "data": {"content": "hi", "embeds": [embed()], "flags": 64}}));
        ok(json!({"type": 5}));
        ok(json!({"type": 5, "data": {"attachments": []}}));
        ok(json!({"type": 5, "data": {"flags": 64}}));
        ok(json!({"type": 6, "data": null}));
        ok(json!({"type": 7, "data": {"content": "updated", "components": [], "tts": false}}));
        ok(json!({"type": 8, "data": {"choices": [{"name": "one", "value": 1}]}}));
    }

    #[test]
    fn an_unknown_callback_type_lists_every_allowed_type() {
        let refused = violations("POST", CALLBACK, json!({"type": 99}));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].pointer, "/type");
        assert_eq!(refused[0].code, "BASE_TYPE_CHOICES");
        assert_eq!(
            refused[0].message,
            "Value must be one of (8, 4, 5, 12, 9, 1, 13, 6, 7)."
        );
    }

    #[test]
    fn one_of_picks_the_branch_the_discriminator_names() {
        let row =
            |component: Value| json!({"components": [{"type": 1, "components": [component]}]});
        let select =
            json!({"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]});
        assert_eq!(found("POST", MESSAGES, row(select)), vec![]);
        // A select's options are unknown to a button, and a button needs a style.
        assert_eq!(
            found(
                "POST",
                MESSAGES,
                row(json!({"type": 2, "custom_id": "b", "options": []}))
            ),
            vec![
                (
                    "/components/0/components/0/style".to_owned(),
                    "BASE_TYPE_REQUIRED"
                ),
                (
                    "/components/0/components/0/options".to_owned(),
                    "UNKNOWN_FIELD"
                ),
            ]
        );
        let wrong = violations("POST", MESSAGES, row(json!({"type": 99, "custom_id": "x"})));
        assert_eq!(wrong.len(), 1);
        assert_eq!(wrong[0].pointer, "/components/0/components/0/type");
        assert_eq!(wrong[0].message, "Value must be one of (2, 8, 7, 6, 3, 5).");
        // A string select option needs a label: reported inside the select branch.
        let select = json!({"type": 3, "custom_id": "pick", "options": [{"value": "a"}]});
        assert_eq!(
            found("POST", MESSAGES, row(select)),
            at(
                "/components/0/components/0/options/0/label",
                "BASE_TYPE_REQUIRED"
            )
        );
    }

    #[test]
    fn nullable_fields_accept_null() {
        let body = json!({
            "content": null, "embeds": [{"title": null, "author": null, "fields": null}],
            "allowed_mentions": null, "message_reference": null, "nonce": null, "tts": null,
        });
        assert_eq!(found("POST", MESSAGES, body), vec![]);
        let author = violations("POST", MESSAGES, json!({"embeds": [{"author": 7}]}));
        assert_eq!(author[0].code, "MODEL_TYPE_CONVERT");
        let nonce = violations("POST", MESSAGES, json!({"nonce": true}));
        assert_eq!(nonce[0].message, "Must be an integer or a string.");
    }

    #[test]
    fn ref_cycles_descend_into_the_body_and_terminate() {
        // ErrorDetails refers to itself through additionalProperties.
        let nested = invalid_form_body(&violations(
            "POST",
            MESSAGES,
            json!({"embeds": [{"fields": [{"name": "x", "value": 1}]}]}),
        ));
        assert_eq!(
            spec().validate_response("POST", MESSAGES, 400, Some(&nested)),
            Ok(())
        );

        let doc = json!({
            "paths": {"/chain": {"post": {
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Link"}}}},
                "responses": {"204": {"description": "done"}},
            }}},
            "components": {"schemas": {"Link": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Link"}}}}},
        });
        let chain = Spec::from_value(doc).expect("a descending cycle is fine");
        let mut body = json!({});
        for _ in 0..MAX_DEPTH + 10 {
            body = json!({"next": body});
        }
        let refused = chain
            .validate_request("POST", "/chain", Some(&body))
            .unwrap_err();
        assert_eq!(refused[0].code, "BASE_TYPE_TOO_DEEP");
        assert_eq!(
            chain.validate_request("POST", "/chain", Some(&json!({"next": {"next": {}}}))),
            Ok(())
        );
    }

    #[test]
    fn cycles_that_never_descend_are_rejected_at_load() {
        let doc = json!({
            "paths": {},
            "components": {"schemas": {
                "A": {"allOf": [{"$ref": "#/components/schemas/B"}]},
                "B": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}]},
            }},
        });
        let error = Spec::from_value(doc).expect_err("an in-place cycle is refused");
        assert!(error.to_string().contains("without end"), "{error}");
    }

    #[test]
    fn unsupported_keywords_and_formats_are_refused_at_load() {
        let with = |schema: Value| {
            let doc = json!({"paths": {}, "components": {"schemas": {"X": schema}}});
            Spec::from_value(doc)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            with(json!({"prefixItems": []})).contains("unsupported schema keyword `prefixItems`")
        );
        assert!(
            with(json!({"type": "string", "format": "email"}))
                .contains("unsupported format `email`")
        );
        assert!(with(json!({"$ref": "#/components/schemas/Y"})).contains("does not point"));
        assert_eq!(with(json!({"description": "fine", "x-anything": 1})), "");
    }

    #[test]
    fn one_spec_serves_many_threads() {
        let from_another_thread = std::thread::spawn(|| spec().route("GET", "/api/v10/users/@me"));
        assert_eq!(
            from_another_thread.join().ok().flatten(),
            Some("/users/@me")
        );
        assert!(format!("{:?}", spec()).starts_with("Spec { routes: "));
    }

    #[test]
    fn spec_errors_name_the_file() {
        let missing = Spec::load(Path::new("/nonexistent/openapi.json")).expect_err("missing file");
        assert!(
            missing.to_string().contains("/nonexistent/openapi.json"),
            "{missing}"
        );
        let not_spec = Spec::from_value(json!({"openapi": "3.1.0"})).expect_err("no paths");
        assert_eq!(
            not_spec.to_string(),
            "OpenAPI spec (in-memory document): has no `paths` object"
        );
    }

    /// The first ```json block after `heading` in `api-reference.mdx`.
    fn docs_example(docs: &Path, heading: &str) -> Value {
        let docs =
            std::fs::read_to_string(docs.join("api-reference.mdx")).expect("docs are present");
        let after = &docs[docs.find(heading).expect("heading is present")..];
        let start = after.find("```json").expect("example is present") + "```json".len();
        let end = start + after[start..].find("```").expect("example ends");
        serde_json::from_str(&after[start..end]).expect("example is JSON")
    }

    /// Discord's docs beside the spec; when they are not there (a fresh clone), the test is skipped,
    /// saying why, except in CI (`CI=true`), whose checkout has them.
    fn docs_or_skip(test: &str) -> Option<PathBuf> {
        let docs = crate::spec_file::SpecSources::from_environment().docs();
        if docs.is_none() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "Discord's docs are not beside the spec file (shared/discord-api/docs); CI must run {test}"
            );
            eprintln!(
                "skipped {test}: Discord's docs are not beside the spec file; put shared/ (with \
                 discord-api/docs/) beside the checkout, or set DISCORD_OPENAPI to a spec file with docs/ \
                 beside it"
            );
        }
        docs
    }

    #[test]
    fn the_50035_body_nests_errors_like_the_docs() {
        let Some(docs) = docs_or_skip("the_50035_body_nests_errors_like_the_docs") else {
            return;
        };
        let choices = |values: Value, pointer: &str| {
            let values = values.as_array().cloned().unwrap_or_default();
            Failure::new(pointer, Kind::Choices(values)).into_violation()
        };
        let array_error = [
            choices(
                json!(["desktop", "android", "ios"]),
                "/activities/0/platform",
            ),
            choices(json!([0, 1, 2, 3, 4, 5]), "/activities/0/type"),
        ];
        assert_eq!(
            invalid_form_body(&array_error),
            docs_example(&docs, "**Array Error**")
        );
        let object_error = [Failure::new("/access_token", Kind::Required).into_violation()];
        assert_eq!(
            invalid_form_body(&object_error),
            docs_example(&docs, "**Object Error**")
        );
        let request_error = [Violation::at_root(
            "APPLICATION_COMMAND_TOO_LARGE",
            "Command exceeds maximum size (8000)".to_owned(),
        )];
        assert_eq!(
            invalid_form_body(&request_error),
            docs_example(&docs, "**Request Error**")
        );
    }

    #[test]
    fn the_50035_body_keeps_odd_keys_and_every_error() {
        let violation = |pointer: &str| Violation {
            pointer: pointer.to_owned(),
            code: "UNKNOWN_FIELD",
            message: "m".to_owned(),
        };
        let body = invalid_form_body(&[
            violation("/a~1b~0c"),
            violation("/_errors/x"),
            violation(""),
            violation("/x/_errors"),
            violation("/x"),
        ]);
        assert_eq!(
            body["errors"]["a/b~c"]["_errors"][0]["code"],
            "UNKNOWN_FIELD"
        );
        let total = body.to_string().matches("UNKNOWN_FIELD").count();
        assert_eq!(total, 5, "{body}");
    }

    #[test]
    fn responses_are_checked_against_the_status_sent() {
        let spec = spec();
        let message = message_response();
        assert_eq!(
            spec.validate_response("POST", MESSAGES, 200, Some(&message)),
            Ok(())
        );
        let mut broken = message_response();
        broken["id"] = json!(1000);
        broken["author"]
            .as_object_mut()
            .map(|author| author.remove("username"));
        broken["surprise"] = json!(true);
        let refused = spec
            .validate_response("POST", MESSAGES, 200, Some(&broken))
            .unwrap_err();
        let mut pointers: Vec<(&str, &str)> = refused
            .iter()
            .map(|v| (v.pointer.as_str(), v.code))
            .collect();
        pointers.sort_unstable();
        assert_eq!(
            pointers,
            vec![
                ("/author/username", "BASE_TYPE_REQUIRED"),
                ("/id", "BASE_TYPE_BAD_TYPE"),
                ("/surprise", "UNKNOWN_FIELD"),
            ]
        );
        let delete = "/api/v10/channels/1/messages/2";
        assert_eq!(spec.validate_response("DELETE", delete, 204, None), Ok(()));
        let with_body = spec.validate_response("DELETE", delete, 204, Some(&json!({})));
        assert_eq!(with_body.unwrap_err()[0].code, "UNEXPECTED_BODY");
        let missing = spec.validate_response("POST", MESSAGES, 200, None);
        assert_eq!(missing.unwrap_err()[0].code, "BASE_TYPE_REQUIRED");
        let undocumented = spec.validate_response("POST", MESSAGES, 302, None);
        assert_eq!(undocumented.unwrap_err()[0].code, "UNDOCUMENTED_STATUS");
        let limited = json!({"code": 0, "message": "You are being rate limited.", "retry_after": 1.5, "global": false});
        assert_eq!(
            spec.validate_response("POST", MESSAGES, 429, Some(&limited)),
            Ok(())
        );
        let not_found = json!({"code": 10008, "message": "Unknown Message"});
        assert_eq!(
            spec.validate_response("GET", delete, 404, Some(&not_found)),
            Ok(())
        );
    }

    #[test]
    fn request_bodies_must_be_present_exactly_when_the_spec_says() {
        let spec = spec();
        assert_eq!(
            spec.validate_request("POST", "/api/v10/channels/1/typing", None),
            Ok(())
        );
        let body = spec.validate_request("POST", "/api/v10/channels/1/typing", Some(&json!({})));
        assert_eq!(body.unwrap_err()[0].code, "UNEXPECTED_BODY");
        let missing = spec.validate_request("POST", MESSAGES, None);
        assert_eq!(missing.unwrap_err()[0].code, "BASE_TYPE_REQUIRED");
    }

    #[test]
    fn documented_value_widenings_apply() {
        let mut admin = command("admin");
        admin["default_member_permissions"] = json!("32");
        assert_eq!(found("PUT", COMMANDS, json!([admin])), vec![]);
        admin["default_member_permissions"] = json!(32);
        assert_eq!(found("PUT", COMMANDS, json!([admin])), vec![]);
        admin["default_member_permissions"] = json!("admin");
        assert_eq!(
            found("PUT", COMMANDS, json!([admin])),
            at("/0/default_member_permissions", "STRING_TYPE_REGEX")
        );
        let upload =
            json!({"attachments": [{"id": 0, "filename": "stretch.png", "description": null}]});
        assert_eq!(found("POST", MESSAGES, upload), vec![]);
    }

    #[test]
    fn every_allow_list_entry_is_needed_by_the_shipped_spec() {
        let text = std::fs::read_to_string(shared("openapi.json")).expect("spec is present");
        let doc: Value = serde_json::from_str(&text).expect("spec is JSON");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let defines = |name: &str, key: &str| {
            doc["components"]["schemas"][name]["properties"]
                .get(key)
                .is_some()
        };
        for (pattern, key, why) in DOCUMENTED_EXTRA_KEYS {
            assert!(!why.is_empty());
            let lacking = schemas
                .keys()
                .filter(|name| name_matches(pattern, name) && !defines(name, key))
                .count();
            assert!(
                lacking > 0,
                "{pattern}.{key} adds nothing: the spec defines it now"
            );
        }
        for (pattern, key, _, why) in DOCUMENTED_VALUE_WIDENINGS {
            assert!(!why.is_empty());
            let defining = schemas
                .keys()
                .filter(|name| name_matches(pattern, name) && defines(name, key))
                .count();
            assert!(defining > 0, "{pattern}.{key} widens nothing");
        }
        let options = schemas
            .keys()
            .filter(|name| name_matches("ApplicationCommand*Option", name))
            .count();
        assert_eq!(options, 11, "one schema per option type");
    }

    #[test]
    fn formats_and_ranges_are_checked() {
        let embed_with = |key: &str, value: Value| json!({"embeds": [{key: value}]});
        let code_of = |body: Value| violations("POST", MESSAGES, body).first().map(|v| v.code);
        assert_eq!(
            code_of(embed_with("url", json!("not a url"))),
            Some("URL_TYPE_INVALID_URL")
        );
        assert_eq!(
            code_of(embed_with("url", json!("https://"))),
            Some("URL_TYPE_INVALID_URL")
        );
        assert_eq!(
            code_of(embed_with("url", json!("attachment://a.png"))),
            None
        );
        assert_eq!(
            code_of(embed_with("timestamp", json!("yesterday"))),
            Some("DATE_TIME_TYPE_PARSE")
        );
        assert_eq!(
            code_of(embed_with("timestamp", json!("2024-02-30T00:00:00Z"))),
            Some("DATE_TIME_TYPE_PARSE")
        );
        assert_eq!(
            code_of(embed_with(
                "timestamp",
                json!("2024-02-29T23:59:60.5+05:30")
            )),
            None
        );
        assert_eq!(
            code_of(embed_with("color", json!(16_777_216))),
            Some("NUMBER_TYPE_MAX")
        );
        assert_eq!(
            code_of(embed_with("color", json!(-1))),
            Some("NUMBER_TYPE_MIN")
        );
        let reference = |id: Value| json!({"message_reference": {"message_id": id}});
        assert_eq!(code_of(reference(json!("12a"))), Some("NUMBER_TYPE_COERCE"));
        assert_eq!(
            code_of(reference(json!("18446744073709551616"))),
            Some("NUMBER_TYPE_COERCE")
        );
        assert_eq!(code_of(reference(json!("0123"))), Some("STRING_TYPE_REGEX"));
        assert_eq!(code_of(reference(json!("18446744073709551615"))), None);
        assert_eq!(
            code_of(json!({"nonce": 9_223_372_036_854_775_808_u64})),
            Some("NUMBER_TYPE_MAX")
        );
        let row = |id: Value| json!({"components": [{"type": 1, "id": id, "components": [{"type": 2, "style": 1, "custom_id": "a"}]}]});
        assert_eq!(
            code_of(row(json!(2_147_483_648_u64))),
            Some("NUMBER_TYPE_MAX")
        );
        let message = violations("POST", MESSAGES, embed_with("color", json!(16_777_216)));
        assert_eq!(
            message[0].message,
            "int value should be less than or equal to 16777215."
        );
    }

    #[test]
    fn unique_items_are_enforced_per_item() {
        let body = json!({"allowed_mentions": {"users": ["1", "2", "1"]}});
        assert_eq!(
            found("POST", MESSAGES, body),
            at(
                "/allowed_mentions/users/2",
                "SET_TYPE_ALREADY_CONTAINS_VALUE"
            )
        );
    }

    #[test]
    fn odd_input_never_panics() {
        let spec = spec();
        let odd = [
            Value::Null,
            json!(true),
            json!(u64::MAX),
            json!(-1e308),
            json!("\u{0}\u{10FFFF}".repeat(5000)),
            json!([[[[[[[]]]]]]]),
            json!({"embeds": [{"title": "🧘".repeat(10_000), "fields": [null, 3, [], {}]}]}),
            json!({"components": [{"type": 1, "components": [null, {"type": null}, {"type": 2.5}]}]}),
            json!({"": {"": {"~": "/"}}}),
        ];
        let paths = [
            "",
            "/",
            "//",
            "/api",
            "/api/",
            "/api/v",
            "/api/vX/channels/1/messages",
            "?",
            "/%40me",
            "/channels/1/messages?x=1#y",
            "/webhooks/1/t/messages/@original",
            "/interactions/1/t/callback",
            "/applications/1/commands",
            "/users/@me",
            "/channels/ü/messages",
        ];
        for path in paths {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "BREW"] {
                let _ = spec.route(method, path);
                for body in &odd {
                    let _ = spec.validate_request(method, path, Some(body));
                    let _ = spec.validate_response(method, path, 200, Some(body));
                    if let Err(found) = spec.validate_request(method, path, Some(body)) {
                        let _ = invalid_form_body(&found);
                    }
                }
                let _ = spec.validate_response(method, path, 0, None);
                let _ = spec.validate_response(method, path, u16::MAX, None);
            }
        }
    }

    #[test]
    fn a_message_with_buttons_and_allowed_mentions_validates() {
        // The shape of a daily post. How fast validation runs is measured by benchmarks, not asserted here.
        let body = json!({
            "content": "Time to stretch!", "embeds": [embed()],
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 3, "custom_id": "done", "label": "Done"},
                {"type": 2, "style": 2, "custom_id": "skip", "label": "Skip"},
            ]}],
            "allowed_mentions": {"parse": [], "users": [], "roles": []},
        });
        assert_eq!(
            spec().validate_request("POST", MESSAGES, Some(&body)),
            Ok(())
        );
    }
}
