//! A loaded spec: the document, its operations with their method names,
//! the names of its component schemas, and the search index; what
//! `search` and `describe` show of it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::document::{MAX_SPEC_BYTES, OpenApiVersion};
use crate::error::{SpecError, clip};
use crate::operations::{Location, Operation};
use crate::search::{Hit, SearchIndex};
use crate::typescript::{Renderer, doc_line, property_key};

/// An operation's description in `describe` is cut to this many characters.
pub const MAX_OPERATION_DOC_CHARS: usize = 1_000;

/// One `describe` answer holds at most this many characters of named
/// types; the rest are listed by name.
pub const MAX_DESCRIBE_CHARS: usize = 24_000;

/// An OpenAPI 3.0 or 3.1 spec, checked and indexed. Cheap to share
/// (`Arc`); loading is the costly part.
///
/// ```
/// let spec = isobox_openapi::OpenApiSpec::from_slice(br#"{
///   "openapi": "3.1.0", "info": {"title": "Pets", "version": "1"},
///   "paths": {"/pets/{petId}": {"get": {
///     "operationId": "show-pet", "summary": "Info for a pet",
///     "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}}],
///     "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}
/// }"#)?;
/// assert_eq!(spec.operations()[0].method, "showPet");
/// assert_eq!(spec.search("pet info", 0, 5)[0].operation, 0);
/// assert!(spec.describe("showPet").unwrap().contains("showPet(args: {"));
/// # Ok::<(), isobox_openapi::SpecError>(())
/// ```
pub struct OpenApiSpec {
    doc: Value,
    version: OpenApiVersion,
    operations: Vec<Operation>,
    by_method: HashMap<String, usize>,
    /// Schema pointer -> type name, for `#/components/schemas/*`.
    type_names: HashMap<String, String>,
    /// Type name -> schema pointer.
    type_pointers: HashMap<String, String>,
    index: SearchIndex,
}

impl std::fmt::Debug for OpenApiSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApiSpec")
            .field("title", &self.title())
            .field("version", &self.version)
            .field("operations", &self.operations.len())
            .finish()
    }
}

impl OpenApiSpec {
    /// Reads a spec file (JSON or YAML), refusing one larger than
    /// [`MAX_SPEC_BYTES`] before reading it.
    ///
    /// # Errors
    ///
    /// [`SpecError::Read`], and whatever [`from_slice`](Self::from_slice) refuses.
    pub fn from_file(path: &Path) -> Result<Arc<Self>, SpecError> {
        let read_error = |e: std::io::Error| SpecError::Read {
            path: clip(&path.display().to_string(), 200),
            message: clip(&e.to_string(), 200),
        };
        let size = std::fs::metadata(path).map_err(read_error)?.len();
        if size > MAX_SPEC_BYTES {
            return Err(SpecError::TooLarge {
                bytes: size,
                limit: MAX_SPEC_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(read_error)?;
        Self::from_slice(&bytes).map(Arc::new)
    }

    /// Reads a spec from its text (JSON when it starts with `{`, else YAML).
    ///
    /// # Errors
    ///
    /// A [`SpecError`] naming the JSON pointer of the problem: too large,
    /// not JSON or YAML, not OpenAPI 3.0 or 3.1, a missing, external or
    /// cyclic `$ref`, a malformed operation, too many operations.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SpecError> {
        let doc = crate::document::parse(bytes)?;
        let version = crate::document::version(&doc)?;
        crate::document::check_refs(&doc)?;
        let operations = crate::operations::operations(&doc)?;
        let by_method = operations
            .iter()
            .enumerate()
            .map(|(index, op)| (op.method.clone(), index))
            .collect();
        let mut type_names = HashMap::new();
        let mut type_pointers = HashMap::new();
        let mut names = crate::names::NameSet::default();
        if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
            for key in schemas.keys() {
                let pointer = crate::pointer::child("#/components/schemas", key);
                let name = names.fresh(&crate::names::pascal_case(key));
                type_pointers.insert(name.clone(), pointer.clone());
                type_names.insert(pointer, name);
            }
        }
        let index = SearchIndex::build(&operations);
        Ok(OpenApiSpec {
            doc,
            version,
            operations,
            by_method,
            type_names,
            type_pointers,
            index,
        })
    }

    /// `info.title`, if any.
    pub fn title(&self) -> Option<&str> {
        self.doc.pointer("/info/title").and_then(Value::as_str)
    }

    /// Whether it is OpenAPI 3.0 or 3.1.
    pub fn version(&self) -> OpenApiVersion {
        self.version
    }

    /// The operations, in spec order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation called as `method`.
    pub fn operation(&self, method: &str) -> Option<&Operation> {
        self.by_method.get(method).map(|&i| &self.operations[i])
    }

    /// The document itself.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The first server URL, when it is an absolute http(s) URL.
    pub fn server_url(&self) -> Option<url::Url> {
        let text = self.doc.pointer("/servers/0/url").and_then(Value::as_str)?;
        let url = url::Url::parse(text).ok()?;
        matches!(url.scheme(), "http" | "https").then_some(url)
    }

    /// The operations matching `query` best (BM25 over method names,
    /// operationIds, paths, HTTP methods, summaries, descriptions, tags and
    /// parameter names), from the `offset`-th on, at most `limit`.
    pub fn search(&self, query: &str, offset: usize, limit: usize) -> Vec<Hit> {
        self.index.search(query).into_iter().skip(offset).take(limit).collect()
    }

    /// How many operations match `query`.
    pub fn count_matches(&self, query: &str) -> usize {
        self.index.search(query).len()
    }

    /// One line for a search result: the method, HTTP method and path, and
    /// the summary.
    pub fn brief(&self, operation: &Operation) -> String {
        let summary = operation
            .summary
            .as_deref()
            .or(operation.description.as_deref())
            .map(|s| format!(": {}", doc_line(s, 160)))
            .unwrap_or_default();
        let deprecated = if operation.deprecated { " (deprecated)" } else { "" };
        format!(
            "{}(args) -> {} {}{summary}{deprecated}",
            operation.method, operation.http_method, operation.path
        )
    }

    /// The TypeScript of operation `method` with the named types it uses
    /// (up to [`MAX_DESCRIBE_CHARS`]; the rest listed by name), or of the
    /// named type `method` (`Issue`); `None` when there is neither.
    pub fn describe(&self, method: &str) -> Option<String> {
        if let Some(operation) = self.operation(method) {
            let mut renderer = Renderer::new(&self.doc, &self.type_names);
            let mut out = self.declaration(operation, &mut renderer);
            self.append_types(&mut renderer, &mut out, 0);
            return Some(out);
        }
        let pointer = self.type_pointers.get(method)?;
        let mut renderer = Renderer::new(&self.doc, &self.type_names);
        let mut out = String::new();
        let body = renderer.named_body(pointer);
        out.push_str(&self.type_doc(pointer));
        out.push_str(&format!("type {method} = {body};\n"));
        let own = renderer.used.iter().position(|p| p == pointer);
        if let Some(own) = own {
            renderer.used.remove(own);
        }
        self.append_types(&mut renderer, &mut out, 0);
        Some(out)
    }

    fn type_doc(&self, pointer: &str) -> String {
        let schema = crate::pointer::ref_tokens(pointer).and_then(|t| crate::pointer::lookup(&self.doc, &t));
        let renderer = Renderer::new(&self.doc, &self.type_names);
        let doc = schema
            .map(|schema| {
                let mut parts = Vec::new();
                if let Some(title) = schema.get("title").and_then(Value::as_str) {
                    parts.push(doc_line(title, 200));
                }
                let own = renderer.property_doc(schema);
                if !own.is_empty() {
                    parts.push(own);
                }
                parts.join(" ")
            })
            .unwrap_or_default();
        if doc.is_empty() {
            String::new()
        } else {
            format!("/** {doc} */\n")
        }
    }

    /// The named types `renderer` used, each declared once, until
    /// [`MAX_DESCRIBE_CHARS`].
    fn append_types(&self, renderer: &mut Renderer<'_>, out: &mut String, start: usize) {
        let mut next = start;
        let mut declared = 0usize;
        let mut left_out: Vec<String> = Vec::new();
        while next < renderer.used.len() {
            let pointer = renderer.used[next].clone();
            next += 1;
            let Some(name) = self.type_names.get(&pointer) else {
                continue;
            };
            let before = renderer.used.len();
            let body = renderer.named_body(&pointer);
            let text = format!("{}type {name} = {body};\n", self.type_doc(&pointer));
            if out.len() + text.len() > MAX_DESCRIBE_CHARS {
                // Types this one brought in are not needed after all.
                renderer.used.truncate(before);
                left_out.push(name.clone());
                continue;
            }
            if declared == 0 {
                out.push('\n');
            }
            declared += 1;
            out.push_str(&text);
        }
        if !left_out.is_empty() {
            out.push_str(&format!(
                "// Not shown here (describe each by name): {}\n",
                clip(&left_out.join(", "), 2_000)
            ));
        }
    }

    /// `method(args: {...}): Promise<T>;` with its doc comment.
    fn declaration(&self, operation: &Operation, renderer: &mut Renderer<'_>) -> String {
        let mut out = String::from("/**\n");
        if let Some(summary) = &operation.summary {
            out.push_str(&format!(" * {}\n", doc_line(summary, 300)));
        }
        if let Some(description) = &operation.description {
            if operation.summary.is_some() {
                out.push_str(" *\n");
            }
            out.push_str(&format!(" * {}\n", doc_line(description, MAX_OPERATION_DOC_CHARS)));
        }
        out.push_str(&format!(" * @http {} {}\n", operation.http_method, operation.path));
        if !operation.tags.is_empty() {
            out.push_str(&format!(" * @tags {}\n", doc_line(&operation.tags.join(", "), 200)));
        }
        if operation.deprecated {
            out.push_str(" * @deprecated\n");
        }
        out.push_str(" */\n");
        let mut fields = String::new();
        let mut any_required = false;
        for parameter in &operation.parameters {
            let mut doc = parameter
                .description
                .as_deref()
                .map(|d| doc_line(d, 300))
                .unwrap_or_default();
            if parameter.location != Location::Query || parameter.key != parameter.name {
                let place = format!("@{} {}", parameter.location.as_str(), doc_line(&parameter.name, 80));
                doc = if doc.is_empty() {
                    place
                } else {
                    format!("{doc} {place}")
                };
            }
            if parameter.deprecated {
                doc.push_str(" @deprecated");
            }
            if !doc.is_empty() {
                fields.push_str(&format!("  /** {doc} */\n"));
            }
            let ty = match &parameter.schema {
                Some(pointer) => renderer.at_pointer(pointer, 1),
                None => "string".to_owned(),
            };
            any_required |= parameter.required;
            let optional = if parameter.required { "" } else { "?" };
            fields.push_str(&format!("  {}{optional}: {ty};\n", property_key(&parameter.key)));
        }
        if let Some(body) = &operation.body {
            let mut doc = body
                .description
                .as_deref()
                .map(|d| doc_line(d, 300))
                .unwrap_or_default();
            let media = format!("@contentType {}", doc_line(&body.media_type, 80));
            doc = if doc.is_empty() {
                media
            } else {
                format!("{doc} {media}")
            };
            fields.push_str(&format!("  /** {doc} */\n"));
            let ty = match &body.schema {
                Some(pointer) => renderer.at_pointer(pointer, 1),
                None => "unknown".to_owned(),
            };
            any_required |= body.required;
            let optional = if body.required { "" } else { "?" };
            fields.push_str(&format!("  body{optional}: {ty};\n"));
        }
        let args = if fields.is_empty() {
            String::new()
        } else {
            format!("args{}: {{\n{fields}}}", if any_required { "" } else { "?" })
        };
        let result = match (&operation.response_media_type, &operation.response_schema) {
            (None, _) => "null".to_owned(),
            (Some(media), Some(pointer)) if crate::operations::is_json(media) => renderer.at_pointer(pointer, 0),
            (Some(media), _) if crate::operations::is_json(media) => "unknown".to_owned(),
            (Some(media), _) if is_text(media) => "string".to_owned(),
            (Some(_), _) => "{ contentType: string; base64: string }".to_owned(),
        };
        out.push_str(&format!("{}({args}): Promise<{result}>;\n", operation.method));
        out
    }
}

/// Whether a media type is read as text.
pub(crate) fn is_text(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/xml" | "application/javascript" | "application/yaml" | "application/x-yaml"
        )
}
