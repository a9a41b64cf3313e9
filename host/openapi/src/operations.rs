//! The operations of a spec: for each path and method, what the call
//! needs (parameters with their locations and styles, the request body's
//! media type, the success response's schema) and what search and
//! describe show. Schemas stay in the document, referred to by pointer.

use serde_json::Value;

use crate::document::resolve;
use crate::error::{QUOTE_CHARS, SpecError, clip, quote_pointer};
use crate::names::{NameSet, base_method_name};
use crate::pointer::child;

/// The most operations one spec may have.
pub const MAX_OPERATIONS: usize = isobox::capability::MAX_CATALOG_TOOLS;

/// The HTTP methods an OpenAPI path item may hold, in the order read.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the path template: `/pets/{petId}`.
    Path,
    /// In the query string.
    Query,
    /// A request header.
    Header,
    /// A cookie (sent in the `cookie` header).
    Cookie,
}

impl Location {
    fn parse(text: &str) -> Option<Location> {
        match text {
            "path" => Some(Location::Path),
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "cookie" => Some(Location::Cookie),
            _ => None,
        }
    }

    /// `path`, `query`, `header`, `cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// How a parameter's value is written (OpenAPI's `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `a,b` (path and header default).
    Simple,
    /// `k=a&k=b` exploded, `k=a,b` not (query and cookie default).
    Form,
    /// `.a.b` or `.a,b`.
    Label,
    /// `;k=a;k=b` or `;k=a,b`.
    Matrix,
    /// `k=a%20b`.
    SpaceDelimited,
    /// `k=a|b`.
    PipeDelimited,
    /// `k[p]=v`.
    DeepObject,
}

impl Style {
    fn parse(text: &str) -> Option<Style> {
        Some(match text {
            "simple" => Style::Simple,
            "form" => Style::Form,
            "label" => Style::Label,
            "matrix" => Style::Matrix,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            _ => return None,
        })
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name in the request (`per_page`, `X-Request-Id`).
    pub name: String,
    /// Its key in the argument object: the name, or `location` + name when
    /// two parameters share a name or one is named `body`.
    pub key: String,
    /// Where it goes.
    pub location: Location,
    /// Whether it must be given (path parameters always).
    pub required: bool,
    /// How it is written.
    pub style: Style,
    /// Whether arrays and objects are exploded.
    pub explode: bool,
    /// Whether reserved characters are sent unencoded (query only).
    pub allow_reserved: bool,
    /// Where its schema is, if it has one.
    pub schema: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Whether it is deprecated.
    pub deprecated: bool,
}

/// How a request body is sent.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// The media type chosen: JSON when offered, else the first.
    pub media_type: String,
    /// Whether the body must be given.
    pub required: bool,
    /// Where its schema is, if it has one.
    pub schema: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// One operation: `env.NAME.<method>(args)`.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Its method in `env.NAME`.
    pub method: String,
    /// Its operationId, if it has one.
    pub operation_id: Option<String>,
    /// The HTTP method.
    pub http_method: http::Method,
    /// The path template (`/repos/{owner}/{repo}/issues`).
    pub path: String,
    /// Its summary.
    pub summary: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Whether it is deprecated.
    pub deprecated: bool,
    /// Its parameters: the path item's, overridden by the operation's.
    pub parameters: Vec<Parameter>,
    /// Its request body, if any.
    pub body: Option<RequestBody>,
    /// The schema of its first 2xx response's JSON (or first) content.
    pub response_schema: Option<String>,
    /// The media type of that response, if it has content.
    pub response_media_type: Option<String>,
    /// Where it is: `#/paths/~1pets/get`.
    pub pointer: String,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn invalid(pointer: &str, message: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        pointer: quote_pointer(pointer),
        message: message.into(),
    }
}

/// Whether a media type is JSON (`application/json`, `application/vnd.github+json`).
pub(crate) fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

/// The operations of `doc`, in spec order, with their method names.
pub(crate) fn operations(doc: &Value) -> Result<Vec<Operation>, SpecError> {
    let Some(paths) = doc.get("paths") else {
        return Ok(Vec::new());
    };
    let Some(paths) = paths.as_object() else {
        return Err(invalid("#/paths", "`paths` is not an object"));
    };
    let mut out = Vec::new();
    let mut names = NameSet::default();
    for (path, item) in paths {
        let item_pointer = child("#/paths", path);
        let Some((item, item_pointer)) = resolve(doc, item, &item_pointer) else {
            return Err(invalid(&item_pointer, "the path item's $ref leads nowhere"));
        };
        if !item.is_object() {
            return Err(invalid(&item_pointer, "a path item is not an object"));
        }
        let shared = parameters_of(doc, item, &item_pointer)?;
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let pointer = child(&item_pointer, method);
            if !operation.is_object() {
                return Err(invalid(&pointer, "an operation is not an object"));
            }
            if out.len() == MAX_OPERATIONS {
                return Err(SpecError::TooMany {
                    pointer: quote_pointer(&pointer),
                    what: "operation",
                    count: MAX_OPERATIONS + 1,
                    limit: MAX_OPERATIONS,
                });
            }
            let mut parameters = shared.clone();
            for own in parameters_of(doc, operation, &pointer)? {
                parameters.retain(|p| !(p.name == own.name && p.location == own.location));
                parameters.push(own);
            }
            name_keys(&mut parameters);
            let operation_id = text(operation, "operationId");
            let base = base_method_name(operation_id.as_deref(), method, path);
            let (response_schema, response_media_type) = success_response(doc, operation, &pointer)?;
            out.push(Operation {
                method: names.fresh(&base),
                operation_id,
                http_method: http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    .unwrap_or(http::Method::GET),
                path: path.clone(),
                summary: text(operation, "summary"),
                description: text(operation, "description"),
                tags: operation
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|tags| tags.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
                deprecated: operation.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
                parameters,
                body: request_body(doc, operation, &pointer)?,
                response_schema,
                response_media_type,
                pointer,
            });
        }
    }
    Ok(out)
}

/// The parameters listed at `owner` (a path item or an operation).
fn parameters_of(doc: &Value, owner: &Value, owner_pointer: &str) -> Result<Vec<Parameter>, SpecError> {
    let Some(list) = owner.get("parameters") else {
        return Ok(Vec::new());
    };
    let list_pointer = child(owner_pointer, "parameters");
    let Some(list) = list.as_array() else {
        return Err(invalid(&list_pointer, "`parameters` is not an array"));
    };
    let mut out: Vec<Parameter> = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let at = child(&list_pointer, &index.to_string());
        let Some((entry, at)) = resolve(doc, entry, &at) else {
            return Err(invalid(&at, "the parameter's $ref leads nowhere"));
        };
        let Some(name) = text(entry, "name") else {
            return Err(invalid(&at, "a parameter has no `name`"));
        };
        let location = entry
            .get("in")
            .and_then(Value::as_str)
            .and_then(Location::parse)
            .ok_or_else(|| {
                invalid(
                    &at,
                    format!("parameter {:?} has no valid `in`", clip(&name, QUOTE_CHARS)),
                )
            })?;
        let style = match entry.get("style").and_then(Value::as_str) {
            Some(text) => Style::parse(text).ok_or_else(|| {
                invalid(
                    &at,
                    format!("parameter {:?} has an unknown style", clip(&name, QUOTE_CHARS)),
                )
            })?,
            None => match location {
                Location::Path | Location::Header => Style::Simple,
                Location::Query | Location::Cookie => Style::Form,
            },
        };
        let explode = entry
            .get("explode")
            .and_then(Value::as_bool)
            .unwrap_or(style == Style::Form);
        // A parameter with `content` instead of `schema` has its schema
        // under the one media type.
        let schema = if entry.get("schema").is_some() {
            Some(child(&at, "schema"))
        } else {
            entry
                .get("content")
                .and_then(Value::as_object)
                .and_then(|content| content.iter().next())
                .filter(|(_, media)| media.get("schema").is_some())
                .map(|(media_type, _)| child(&child(&child(&at, "content"), media_type), "schema"))
        };
        out.push(Parameter {
            key: name.clone(),
            required: location == Location::Path || entry.get("required").and_then(Value::as_bool).unwrap_or(false),
            name,
            location,
            style,
            explode,
            allow_reserved: entry.get("allowReserved").and_then(Value::as_bool).unwrap_or(false),
            schema,
            description: text(entry, "description"),
            deprecated: entry.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    Ok(out)
}

/// Gives each parameter a distinct key: its name, or `<location>` + its
/// name in PascalCase when another parameter (or `body`) has that name.
fn name_keys(parameters: &mut [Parameter]) {
    for index in 0..parameters.len() {
        let name = parameters[index].name.clone();
        let shared = name == "body" || parameters.iter().filter(|p| p.name == name).count() > 1;
        if shared {
            let location = parameters[index].location.as_str();
            parameters[index].key = format!("{location}{}", crate::names::pascal_case(&name));
        }
    }
}

fn request_body(doc: &Value, operation: &Value, pointer: &str) -> Result<Option<RequestBody>, SpecError> {
    let Some(body) = operation.get("requestBody") else {
        return Ok(None);
    };
    let at = child(pointer, "requestBody");
    let Some((body, at)) = resolve(doc, body, &at) else {
        return Err(invalid(&at, "the request body's $ref leads nowhere"));
    };
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        return Err(invalid(&at, "a request body has no `content` object"));
    };
    let Some((media_type, media)) = content
        .iter()
        .find(|(media_type, _)| is_json(media_type))
        .or_else(|| content.iter().next())
    else {
        return Ok(None);
    };
    Ok(Some(RequestBody {
        media_type: media_type.clone(),
        required: body.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema: media
            .get("schema")
            .map(|_| child(&child(&child(&at, "content"), media_type), "schema")),
        description: text(body, "description"),
    }))
}

/// The schema pointer and media type of the first 2xx (or `2XX`, or
/// `default`) response.
fn success_response(
    doc: &Value,
    operation: &Value,
    pointer: &str,
) -> Result<(Option<String>, Option<String>), SpecError> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Ok((None, None));
    };
    let responses_pointer = child(pointer, "responses");
    let chosen = responses
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .or_else(|| responses.iter().find(|(code, _)| code.as_str() == "default"));
    let Some((code, response)) = chosen else {
        return Ok((None, None));
    };
    let at = child(&responses_pointer, code);
    let Some((response, at)) = resolve(doc, response, &at) else {
        return Err(invalid(&at, "the response's $ref leads nowhere"));
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok((None, None));
    };
    let Some((media_type, media)) = content
        .iter()
        .find(|(media_type, _)| is_json(media_type))
        .or_else(|| content.iter().next())
    else {
        return Ok((None, None));
    };
    let schema = media
        .get("schema")
        .map(|_| child(&child(&child(&at, "content"), media_type), "schema"));
    Ok((schema, Some(media_type.clone())))
}
