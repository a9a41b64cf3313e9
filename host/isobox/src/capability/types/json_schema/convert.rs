//! JSON Schema to a small TypeScript type tree ([`Ty`]), one binding at a
//! time, within [`MAX_SCHEMA_DEPTH`] and [`MAX_SCHEMA_NODES`]. `$ref`s
//! become named types whose bodies are converted from a work list, so a
//! chain of references never deepens the Rust stack.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value};

use super::{MAX_SCHEMA_DEPTH, MAX_SCHEMA_DOC_CHARS, MAX_SCHEMA_NODES, McpTools, cut};

/// A TypeScript type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Ty {
    Unknown,
    Never,
    String,
    Number,
    Boolean,
    Null,
    /// A literal type, as TypeScript source (`"a"`, `3`, `true`).
    Literal(String),
    Array(Box<Ty>),
    /// Elements, how many are required, and the type of any further ones.
    Tuple(Vec<Ty>, usize, Option<Box<Ty>>),
    Object(Object),
    /// `Record<string, T>`.
    Record(Box<Ty>),
    Union(Vec<Ty>),
    Intersection(Vec<Ty>),
    /// An index into [`Converted::named`].
    Named(usize),
}

/// An object type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Object {
    pub props: Vec<Prop>,
    /// Ends with `[key: string]: unknown`.
    pub open: bool,
    /// A name for it, should it be declared once (not part of equality).
    pub hint: Hint,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Prop {
    pub name: String,
    pub optional: bool,
    pub ty: Ty,
    pub doc: Option<String>,
}

/// A suggested type name, ignored by `==` and hashing so that equal shapes
/// found in different places are equal.
#[derive(Debug, Clone, Default)]
pub(super) struct Hint {
    pub name: String,
    /// A tool's whole argument or result (`ReadFileArgs`).
    pub root: bool,
}

impl PartialEq for Hint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Hint {}

impl Hash for Hint {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// A named type of the binding's namespace.
#[derive(Debug, Clone)]
pub(super) struct Named {
    pub name: String,
    /// The name before a number was added to make it unique.
    pub stem: String,
    pub doc: Option<String>,
    pub ty: Ty,
}

/// How a method takes its one argument.
#[derive(Debug, Clone)]
pub(super) enum Args {
    /// `()`: the tool has no properties.
    None,
    /// `(args?: T)`: every property is optional.
    Optional(Ty),
    /// `(args: T)`.
    Required(Ty),
}

#[derive(Debug, Clone)]
pub(super) struct Method {
    pub name: String,
    pub doc: Option<String>,
    pub args: Args,
    /// From the output schema; `None` is `string`.
    pub result: Option<Ty>,
}

/// A binding's methods and named types.
#[derive(Debug, Clone, Default)]
pub(super) struct Converted {
    pub methods: Vec<Method>,
    pub named: Vec<Named>,
}

/// Past this many schemas, recurring shapes are not looked for.
const HOIST_MAX_NODES: usize = 10_000;

/// Names a named type may not take: types the declarations use inside the
/// namespace.
pub(super) const RESERVED_NAMES: &[&str] = &["Promise", "Record"];

pub(super) fn convert(tools: &McpTools) -> Converted {
    let mut converter = Converter::default();
    let mut methods = Vec::with_capacity(tools.tools().len());
    for tool in tools.tools() {
        let stem = pascal_case(&tool.method);
        let root = converter.roots.len();
        converter.roots.push(&tool.input_schema);
        let input = converter.ty(&tool.input_schema, root, 0, &format!("{stem}Args"));
        let args = args(&tool.input_schema, input);
        converter.drain();
        let result = tool.output_schema.as_ref().map(|schema| {
            let root = converter.roots.len();
            converter.roots.push(schema);
            let ty = converter.ty(schema, root, 0, &format!("{stem}Result"));
            converter.drain();
            ty
        });
        methods.push(Method {
            name: tool.method.clone(),
            doc: tool.description.as_deref().and_then(clean_doc),
            args,
            result,
        });
    }
    let mut converted = Converted {
        methods,
        named: std::mem::take(&mut converter.named),
    };
    super::named::merge_equal_defs(&mut converted);
    // Looking for recurring shapes costs about nodes x depth per shape
    // declared: bounded for what no real server comes near.
    if converter.nodes <= HOIST_MAX_NODES {
        super::named::hoist(&mut converted);
    }
    super::named::break_alias_cycles(&mut converted.named);
    converted
}

fn args(schema: &Value, input: Ty) -> Args {
    let explicit_rest = schema
        .get("additionalProperties")
        .is_some_and(|a| a != &Value::Bool(false))
        || schema.get("patternProperties").is_some();
    match input {
        Ty::Record(value) if !explicit_rest && matches!(*value, Ty::Unknown | Ty::Never) => Args::None,
        Ty::Object(object) if object.props.iter().all(|p| p.optional) => Args::Optional(Ty::Object(object)),
        Ty::Record(value) => Args::Optional(Ty::Record(value)),
        Ty::Unknown => Args::Optional(Ty::Record(Box::new(Ty::Unknown))),
        other => Args::Required(other),
    }
}

#[derive(Default)]
struct Converter<'a> {
    roots: Vec<&'a Value>,
    nodes: usize,
    named: Vec<Named>,
    /// (root, section, key) -> index in `named`.
    defs: HashMap<(usize, &'static str, String), usize>,
    names: HashSet<String>,
    /// Definitions whose bodies are still to convert: (root, schema, index).
    queue: Vec<(usize, &'a Value, usize)>,
}

impl<'a> Converter<'a> {
    fn drain(&mut self) {
        while let Some((root, schema, index)) = self.queue.pop() {
            let hint = self.named[index].name.clone();
            self.named[index].ty = self.ty(schema, root, 0, &hint);
        }
    }

    /// The type of `schema`, a part of `roots[root]` `depth` levels down.
    fn ty(&mut self, schema: &'a Value, root: usize, depth: usize, hint: &str) -> Ty {
        if depth > MAX_SCHEMA_DEPTH || self.nodes >= MAX_SCHEMA_NODES {
            return Ty::Unknown;
        }
        self.nodes += 1;
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(false) => return Ty::Never,
            _ => return Ty::Unknown,
        };
        let hint = match map.get("title").and_then(Value::as_str).map(pascal_case) {
            Some(title) if !title.is_empty() && title.len() <= 40 => title,
            _ => hint.to_owned(),
        };
        let mut parts = Vec::new();
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            parts.push(self.reference(reference, root));
        } else if let Some(base) = self.base(map, root, depth, &hint) {
            parts.push(base);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = map.get(key).and_then(Value::as_array) {
                let members = members.iter().map(|m| self.ty(m, root, depth + 1, &hint)).collect();
                parts.push(union(members));
            }
        }
        if let Some(members) = map.get("allOf").and_then(Value::as_array) {
            parts.extend(members.iter().map(|m| self.ty(m, root, depth + 1, &hint)));
        }
        let ty = intersection(parts);
        if map.get("nullable") == Some(&Value::Bool(true)) {
            union(vec![ty, Ty::Null])
        } else {
            ty
        }
    }

    /// The type from `enum`, `const` or `type` (or what `type` would be,
    /// from `properties` or `items`); `None` when the schema says none.
    fn base(&mut self, map: &'a Map<String, Value>, root: usize, depth: usize, hint: &str) -> Option<Ty> {
        if let Some(literal) = map.get("const").and_then(literal) {
            return Some(literal);
        }
        if let Some(values) = map.get("enum").and_then(Value::as_array) {
            let literals: Option<Vec<Ty>> = values.iter().map(literal).collect();
            if let Some(literals) = literals.filter(|l| !l.is_empty()) {
                return Some(union(literals));
            }
        }
        let types: Vec<&str> = match map.get("type") {
            Some(Value::String(name)) => vec![name.as_str()],
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ if ["properties", "additionalProperties", "patternProperties"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
            {
                vec!["object"]
            }
            _ if map.contains_key("items") || map.contains_key("prefixItems") => vec!["array"],
            _ => return None,
        };
        let types = types
            .into_iter()
            .map(|name| match name {
                "string" => Ty::String,
                "number" | "integer" => Ty::Number,
                "boolean" => Ty::Boolean,
                "null" => Ty::Null,
                "array" => self.array(map, root, depth, hint),
                "object" => self.object(map, root, depth, hint),
                _ => Ty::Unknown,
            })
            .collect();
        Some(union(types))
    }

    fn object(&mut self, map: &'a Map<String, Value>, root: usize, depth: usize, hint: &str) -> Ty {
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut props = Vec::new();
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                let ty = self.ty(schema, root, depth + 1, &pascal_case(name));
                let doc = self.property_doc(name, schema, root);
                props.push(Prop {
                    name: name.clone(),
                    optional: !required.contains(&name.as_str()),
                    ty,
                    doc,
                });
            }
        }
        let rest = match map.get("additionalProperties") {
            None if map.contains_key("patternProperties") => Some(Ty::Unknown),
            None | Some(Value::Bool(true)) => None,
            Some(Value::Bool(false)) => Some(Ty::Never),
            Some(schema) => Some(self.ty(schema, root, depth + 1, hint)),
        };
        if props.is_empty() {
            return Ty::Record(Box::new(rest.unwrap_or(Ty::Unknown)));
        }
        let open = map.get("additionalProperties") == Some(&Value::Bool(true))
            || rest.is_some_and(|r| !matches!(r, Ty::Never));
        Ty::Object(Object {
            props,
            open,
            hint: Hint {
                name: hint.to_owned(),
                root: depth == 0,
            },
        })
    }

    fn array(&mut self, map: &'a Map<String, Value>, root: usize, depth: usize, hint: &str) -> Ty {
        let item_hint = singular(hint);
        let tuple = |this: &mut Self, prefix: &'a [Value], rest: Option<&'a Value>| {
            let items: Vec<Ty> = prefix.iter().map(|s| this.ty(s, root, depth + 1, &item_hint)).collect();
            let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let required = usize::try_from(min).unwrap_or(usize::MAX).min(items.len());
            let rest = rest
                .filter(|r| **r != Value::Bool(false))
                .map(|r| Box::new(this.ty(r, root, depth + 1, &item_hint)));
            Ty::Tuple(items, required, rest)
        };
        if let Some(prefix) = map.get("prefixItems").and_then(Value::as_array) {
            return tuple(self, prefix, map.get("items"));
        }
        match map.get("items") {
            Some(Value::Array(prefix)) => tuple(self, prefix, map.get("additionalItems")),
            Some(items) => Ty::Array(Box::new(self.ty(items, root, depth + 1, &item_hint))),
            None => Ty::Array(Box::new(Ty::Unknown)),
        }
    }

    /// `#/$defs/Name` or `#/definitions/Name` of the same root: a named
    /// type, its body converted later by [`drain`](Self::drain).
    fn reference(&mut self, reference: &str, root: usize) -> Ty {
        let Some((section, key)) = ["$defs", "definitions"].into_iter().find_map(|section| {
            let key = reference.strip_prefix("#/")?.strip_prefix(section)?.strip_prefix('/')?;
            (!key.contains('/')).then(|| (section, unescape_pointer(key)))
        }) else {
            return Ty::Unknown;
        };
        let Some(schema) = self.roots[root].get(section).and_then(|defs| defs.get(&key)) else {
            return Ty::Unknown;
        };
        if let Some(&index) = self.defs.get(&(root, section, key.clone())) {
            return Ty::Named(index);
        }
        let stem = pascal_case(&key);
        let name = self.fresh_name(&stem);
        let index = self.named.len();
        self.named.push(Named {
            name,
            stem,
            doc: doc(schema),
            ty: Ty::Unknown,
        });
        self.defs.insert((root, section, key), index);
        self.queue.push((root, schema, index));
        Ty::Named(index)
    }

    /// A property's doc, unless it only repeats its name or the doc of the
    /// type it refers to.
    fn property_doc(&self, name: &str, schema: &Value, root: usize) -> Option<String> {
        let text = doc(schema)?;
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/"))
            .and_then(|path| {
                let mut at = self.roots[root];
                for part in path.split('/') {
                    at = at.get(unescape_pointer(part))?;
                }
                Some(at)
            });
        if target.and_then(doc).as_deref() == Some(text.as_str()) || squash(&text) == squash(name) {
            return None;
        }
        Some(text)
    }

    /// `name`, or `name2`, `name3` ... : not yet used, not reserved.
    fn fresh_name(&mut self, name: &str) -> String {
        let name = if name.is_empty() { "Type" } else { name };
        let mut candidate = name.to_owned();
        let mut n = 1;
        while self.names.contains(&candidate) || RESERVED_NAMES.contains(&candidate.as_str()) {
            n += 1;
            candidate = format!("{name}{n}");
        }
        self.names.insert(candidate.clone());
        candidate
    }
}

/// A JSON scalar as a literal type; `None` for arrays and objects.
fn literal(value: &Value) -> Option<Ty> {
    match value {
        Value::Null => Some(Ty::Null),
        Value::Bool(b) => Some(Ty::Literal(b.to_string())),
        Value::Number(n) => Some(Ty::Literal(n.to_string())),
        Value::String(s) => Some(Ty::Literal(serde_json::to_string(&cut(s, 200)).unwrap_or_default())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// `A | B`, flattened, without repeats; `unknown` absorbs the rest.
pub(super) fn union(members: Vec<Ty>) -> Ty {
    let mut out: Vec<Ty> = Vec::with_capacity(members.len());
    for member in members {
        let items = match member {
            Ty::Union(items) => items,
            other => vec![other],
        };
        for item in items {
            if item == Ty::Unknown {
                return Ty::Unknown;
            }
            if item != Ty::Never && !out.contains(&item) {
                out.push(item);
            }
        }
    }
    match out.len() {
        0 => Ty::Never,
        1 => out.pop().unwrap_or(Ty::Never),
        _ => Ty::Union(out),
    }
}

/// `A & B`: `unknown` parts dropped (and `Record<string, unknown>` beside
/// another object type), plain objects merged into one.
pub(super) fn intersection(parts: Vec<Ty>) -> Ty {
    let mut parts: Vec<Ty> = parts.into_iter().filter(|p| *p != Ty::Unknown).collect();
    let any_record = Ty::Record(Box::new(Ty::Unknown));
    if parts.iter().any(|p| matches!(p, Ty::Object(_) | Ty::Named(_))) {
        parts.retain(|p| *p != any_record);
    }
    parts.dedup();
    if parts.len() > 1 && parts.iter().all(|p| matches!(p, Ty::Object(_))) {
        let mut merged: Option<Object> = None;
        for part in &parts {
            let Ty::Object(object) = part else { continue };
            match &mut merged {
                None => merged = Some(object.clone()),
                Some(into) => {
                    if object.props.iter().any(|p| into.props.iter().any(|q| q.name == p.name)) {
                        merged = None;
                        break;
                    }
                    into.props.extend(object.props.iter().cloned());
                    into.open &= object.open;
                }
            }
        }
        if let Some(object) = merged {
            return Ty::Object(object);
        }
    }
    match parts.len() {
        0 => Ty::Unknown,
        1 => parts.pop().unwrap_or(Ty::Unknown),
        _ => Ty::Intersection(parts),
    }
}

/// A schema's doc: its description, then `@default` and `@format`.
fn doc(schema: &Value) -> Option<String> {
    let mut text = schema
        .get("description")
        .and_then(Value::as_str)
        .and_then(clean_doc)
        .unwrap_or_default();
    if let Some(default) = schema.get("default") {
        let json = serde_json::to_string(default).unwrap_or_default();
        push_tag(&mut text, &format!("@default {}", cut(&json, 200)));
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        push_tag(&mut text, &format!("@format {}", cut(format, 40)));
    }
    (!text.is_empty()).then_some(text)
}

fn push_tag(text: &mut String, tag: &str) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(tag);
}

/// A description as a doc: lines trimmed at the end, blank runs squeezed,
/// at most [`MAX_SCHEMA_DOC_CHARS`]; `None` when nothing is left.
pub(super) fn clean_doc(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut blank = false;
    for line in text.trim().lines().map(str::trim_end) {
        if line.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(line);
    }
    (!out.is_empty()).then(|| cut(&out, MAX_SCHEMA_DOC_CHARS))
}

/// Lowercase letters and digits only: `"The path."` and `path` compare
/// equal once a leading "the" is gone.
fn squash(text: &str) -> String {
    let squashed: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match squashed.strip_prefix("the") {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => squashed,
    }
}

/// `user_profile`, `user-profile`, `user profile`, `userProfile` ->
/// `UserProfile`: ASCII letters and digits, each word capitalised; a
/// leading digit gets a `T` before it.
pub(super) fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
        if out.len() > 60 {
            break;
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// A name for one element: `Entities` -> `Entity`, `Edits` -> `Edit`.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with("ss") {
        name.to_owned()
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_owned()
    } else {
        format!("{name}Item")
    }
}

/// A JSON pointer segment: `~1` is `/`, `~0` is `~`, `%XX` decoded.
fn unescape_pointer(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        if let (b'%', Some(high), Some(low)) = (bytes[i], hex(i + 1), hex(i + 2)) {
            decoded.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).replace("~1", "/").replace("~0", "~")
}
