//! Turns the OpenAPI document into compiled [`Node`]s and [`Route`]s once at load, with `$ref`s
//! resolved to indices and the documented deviations applied.

use super::*;

/// Turns the document's schemas into [`Node`]s. Referenced schemas are queued and
/// compiled once, so `$ref` cycles cost nothing here.
pub(super) struct Compiler<'d> {
    pub(super) doc: &'d Value,
    pub(super) nodes: Vec<Node>,
    /// Where each node came from, for load errors.
    pub(super) origins: Vec<String>,
    pub(super) refs: HashMap<String, NodeId>,
    pub(super) pending: Vec<(NodeId, &'d Value, String)>,
}

impl<'d> Compiler<'d> {
    pub(super) fn new(doc: &'d Value) -> Self {
        Self {
            doc,
            nodes: Vec::new(),
            origins: Vec::new(),
            refs: HashMap::new(),
            pending: Vec::new(),
        }
    }

    pub(super) fn alloc(&mut self, node: Node, origin: String) -> NodeId {
        self.nodes.push(node);
        self.origins.push(origin);
        self.nodes.len() - 1
    }

    pub(super) fn reference(&mut self, target: &str) -> Result<NodeId, String> {
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

    pub(super) fn finish(&mut self) -> Result<(), String> {
        while let Some((id, schema, origin)) = self.pending.pop() {
            self.nodes[id] = self.node(schema, &origin)?;
        }
        Ok(())
    }

    /// An inline schema; one that is nothing but a `$ref` (plus annotations) is
    /// the referenced node itself, sparing an indirection on every validation.
    pub(super) fn schema(&mut self, schema: &'d Value, at: &str) -> Result<NodeId, String> {
        if let Value::Object(keywords) = schema
            && let Some(Value::String(target)) = keywords.get("$ref")
            && keywords.keys().all(|k| k == "$ref" || is_annotation(k))
        {
            return self.reference(target);
        }
        let node = self.node(schema, at)?;
        Ok(self.alloc(node, at.to_owned()))
    }

    pub(super) fn schemas(&mut self, list: &'d Value, at: &str) -> Result<Vec<NodeId>, String> {
        let list = list
            .as_array()
            .filter(|list| !list.is_empty())
            .ok_or_else(|| format!("{at}: expected a non-empty array of schemas"))?;
        list.iter()
            .enumerate()
            .map(|(i, schema)| self.schema(schema, &format!("{at}/{i}")))
            .collect()
    }

    pub(super) fn node(&mut self, schema: &'d Value, at: &str) -> Result<Node, String> {
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

    pub(super) fn route(&mut self, template: &str, item: &'d Value) -> Result<Route, String> {
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

    pub(super) fn operation(
        &mut self,
        operation: &'d Value,
        at: &str,
    ) -> Result<Operation, String> {
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
    pub(super) fn content_schema(
        &mut self,
        content: &'d Value,
        at: &str,
    ) -> Result<NodeId, String> {
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
    pub(super) fn follow(&self, mut object: &'d Value, at: &str) -> Result<&'d Value, String> {
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

    pub(super) fn apply_documented_deviations(
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

    pub(super) fn find_discriminators(&mut self) {
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

    pub(super) fn component(&self, name: &str) -> Option<NodeId> {
        self.refs.get(&component_ref(name)).copied()
    }

    /// A cycle through `allOf`/`anyOf`/`oneOf`/`$ref` alone would re-apply schemas
    /// to the same value forever; cycles that go through `properties` or `items`
    /// (like `ErrorDetails`) descend into the body and are fine.
    pub(super) fn reject_cycles(&self) -> Result<(), String> {
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
pub(super) fn distinct_constants(branches: &Value) -> Option<Vec<Value>> {
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

pub(super) fn is_annotation(keyword: &str) -> bool {
    matches!(keyword, "title" | "description" | "contentEncoding") || keyword.starts_with("x-")
}

/// Narrows a node's numeric bounds to what its integer `format` can hold.
pub(super) fn tighten(node: &mut Node, min: i64, max: i64) {
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
