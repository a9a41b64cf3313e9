//! The HTTP request of one call, from the operation and the argument
//! object: path parameters percent-encoded into the template, query
//! parameters written per `style` and `explode` (OpenAPI's defaults: form,
//! exploded), header and cookie parameters, and `body` as JSON (or a form,
//! or text). Pure: nothing is sent here.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::error::{QUOTE_CHARS, clip};
use crate::operations::{Location, Operation, Style, is_json};

/// Everything but RFC 3986's unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// For `allowReserved` query values: reserved characters stay, except
/// those that would end the value (`&`, `=`, `#`, `+`).
const RESERVED_KEPT: &AsciiSet = &COMPONENT
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';');

/// A request ready for the egress session.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    /// The HTTP method.
    pub method: http::Method,
    /// The full URL.
    pub url: String,
    /// Headers: header parameters, `content-type`, `accept`, `cookie`.
    pub headers: Vec<(String, String)>,
    /// The body (empty for none).
    pub body: Vec<u8>,
}

/// Why the arguments do not make a request: the message the code sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgumentError(pub String);

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// A scalar as the text it is sent as; `None` for arrays and objects.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

fn scalars(key: &str, items: &[Value]) -> Result<Vec<String>, ArgumentError> {
    items
        .iter()
        .map(|item| {
            scalar(item).ok_or_else(|| {
                ArgumentError(format!(
                    "{}: an array of arrays or objects cannot be sent in a URL or header",
                    clip(key, QUOTE_CHARS)
                ))
            })
        })
        .collect()
}

fn object_pairs(key: &str, object: &Map<String, Value>) -> Result<Vec<(String, String)>, ArgumentError> {
    object
        .iter()
        .map(|(k, v)| {
            scalar(v).map(|v| (k.clone(), v)).ok_or_else(|| {
                ArgumentError(format!(
                    "{}: nested objects cannot be sent in a URL or header",
                    clip(key, QUOTE_CHARS)
                ))
            })
        })
        .collect()
}

/// A path parameter's value (simple, label or matrix style), encoded.
fn path_value(name: &str, style: Style, explode: bool, value: &Value) -> Result<String, ArgumentError> {
    let (prefix, separator) = match style {
        Style::Label => (".".to_owned(), if explode { "." } else { "," }),
        Style::Matrix => (format!(";{}=", encode(name)), if explode { ";" } else { "," }),
        _ => (String::new(), ","),
    };
    let body = match value {
        Value::Array(items) => {
            let items: Vec<String> = scalars(name, items)?.iter().map(|s| encode(s)).collect();
            if style == Style::Matrix && explode {
                items
                    .iter()
                    .map(|i| format!("{}={i}", encode(name)))
                    .collect::<Vec<_>>()
                    .join(";")
            } else {
                items.join(separator)
            }
        }
        Value::Object(object) => {
            let pairs = object_pairs(name, object)?;
            if explode {
                pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join(separator)
            } else {
                pairs
                    .iter()
                    .flat_map(|(k, v)| [encode(k), encode(v)])
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
        other => encode(&scalar(other).unwrap_or_default()),
    };
    if style == Style::Matrix && explode && value.is_array() {
        return Ok(format!(";{body}"));
    }
    Ok(format!("{prefix}{body}"))
}

/// The `k=v` pairs of a query parameter, encoded.
fn query_pairs(
    name: &str,
    style: Style,
    explode: bool,
    allow_reserved: bool,
    value: &Value,
) -> Result<Vec<String>, ArgumentError> {
    let set = if allow_reserved { RESERVED_KEPT } else { COMPONENT };
    let value_text = |text: &str| utf8_percent_encode(text, set).to_string();
    let key = encode(name);
    Ok(match value {
        Value::Array(items) => {
            let items = scalars(name, items)?;
            if explode && matches!(style, Style::Form | Style::SpaceDelimited | Style::PipeDelimited) {
                items.iter().map(|i| format!("{key}={}", value_text(i))).collect()
            } else {
                let separator = match style {
                    Style::SpaceDelimited => "%20",
                    Style::PipeDelimited => "%7C",
                    _ => ",",
                };
                vec![format!(
                    "{key}={}",
                    items.iter().map(|i| value_text(i)).collect::<Vec<_>>().join(separator)
                )]
            }
        }
        Value::Object(object) => {
            let pairs = object_pairs(name, object)?;
            match (style, explode) {
                (Style::DeepObject, _) => pairs
                    .iter()
                    .map(|(k, v)| format!("{key}%5B{}%5D={}", encode(k), value_text(v)))
                    .collect(),
                (_, true) => pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), value_text(v)))
                    .collect(),
                (_, false) => vec![format!(
                    "{key}={}",
                    pairs
                        .iter()
                        .flat_map(|(k, v)| [value_text(k), value_text(v)])
                        .collect::<Vec<_>>()
                        .join(",")
                )],
            }
        }
        other => vec![format!("{key}={}", value_text(&scalar(other).unwrap_or_default()))],
    })
}

/// A header (or cookie) parameter's value: simple style, not encoded.
fn header_value(name: &str, explode: bool, value: &Value) -> Result<String, ArgumentError> {
    let text = match value {
        Value::Array(items) => scalars(name, items)?.join(","),
        Value::Object(object) => {
            let pairs = object_pairs(name, object)?;
            if explode {
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                pairs
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
        other => scalar(other).unwrap_or_default(),
    };
    if http::HeaderValue::from_str(&text).is_err() {
        return Err(ArgumentError(format!(
            "{}: not a valid header value (control characters or non-ASCII)",
            clip(name, QUOTE_CHARS)
        )));
    }
    Ok(text)
}

/// The request `operation` makes with `args`, against `base` (a URL whose
/// path the operation's path is appended to).
///
/// # Errors
///
/// An [`ArgumentError`] for an unknown argument, a missing required one,
/// or a value that cannot be written where it goes.
pub fn prepare(
    operation: &Operation,
    base: &url::Url,
    args: &Map<String, Value>,
) -> Result<PreparedRequest, ArgumentError> {
    let known =
        |key: &str| key == "body" && operation.body.is_some() || operation.parameters.iter().any(|p| p.key == key);
    if let Some(unknown) = args.keys().find(|k| !known(k)) {
        let mut expected: Vec<&str> = operation.parameters.iter().map(|p| p.key.as_str()).collect();
        if operation.body.is_some() {
            expected.push("body");
        }
        return Err(ArgumentError(format!(
            "{} takes no argument {:?}; it takes {}",
            operation.method,
            clip(unknown, QUOTE_CHARS),
            if expected.is_empty() {
                "none".to_owned()
            } else {
                clip(&expected.join(", "), 400)
            }
        )));
    }
    let mut path = operation.path.clone();
    let mut query: Vec<String> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    for parameter in &operation.parameters {
        let value = match args.get(&parameter.key) {
            Some(value) if !value.is_null() || parameter.location == Location::Path => value,
            _ if parameter.required => {
                return Err(ArgumentError(format!(
                    "{} needs {:?} ({} parameter)",
                    operation.method,
                    clip(&parameter.key, QUOTE_CHARS),
                    parameter.location.as_str()
                )));
            }
            _ => continue,
        };
        match parameter.location {
            Location::Path => {
                if value.is_null() {
                    return Err(ArgumentError(format!(
                        "{}: path parameter {:?} cannot be null",
                        operation.method,
                        clip(&parameter.key, QUOTE_CHARS)
                    )));
                }
                let text = path_value(&parameter.name, parameter.style, parameter.explode, value)?;
                path = path.replace(&format!("{{{}}}", parameter.name), &text);
            }
            Location::Query => query.extend(query_pairs(
                &parameter.name,
                parameter.style,
                parameter.explode,
                parameter.allow_reserved,
                value,
            )?),
            Location::Header => {
                let text = header_value(&parameter.name, parameter.explode, value)?;
                headers.push((parameter.name.clone(), text));
            }
            Location::Cookie => {
                let text = header_value(&parameter.name, false, value)?;
                cookies.push(format!("{}={}", parameter.name, encode(&text)));
            }
        }
    }
    if !cookies.is_empty() {
        headers.push(("cookie".to_owned(), cookies.join("; ")));
    }
    let mut body = Vec::new();
    if let Some(spec) = &operation.body {
        match args.get("body") {
            None | Some(Value::Null) if spec.required => {
                return Err(ArgumentError(format!("{} needs a `body`", operation.method)));
            }
            None | Some(Value::Null) => {}
            Some(value) => {
                body = encode_body(&operation.method, &spec.media_type, value)?;
                headers.push(("content-type".to_owned(), spec.media_type.clone()));
            }
        }
    }
    let accept = match &operation.response_media_type {
        Some(media_type) if !media_type.contains('*') => media_type.clone(),
        _ => "application/json".to_owned(),
    };
    headers.push(("accept".to_owned(), accept));
    let mut url = base.as_str().trim_end_matches('/').to_owned();
    url.push_str(&path);
    if !query.is_empty() {
        url.push(if base.query().is_some() { '&' } else { '?' });
        url.push_str(&query.join("&"));
    }
    Ok(PreparedRequest {
        method: operation.http_method.clone(),
        url,
        headers,
        body,
    })
}

/// `value` as the body of `media_type`: JSON, a URL-encoded form (an
/// object of scalars), or text (a string).
fn encode_body(method: &str, media_type: &str, value: &Value) -> Result<Vec<u8>, ArgumentError> {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if is_json(&essence) {
        return serde_json::to_vec(value).map_err(|_| ArgumentError(format!("{method}: the body is not JSON")));
    }
    if essence == "application/x-www-form-urlencoded" {
        let Value::Object(object) = value else {
            return Err(ArgumentError(format!("{method}: a form body must be an object")));
        };
        let mut pairs = Vec::new();
        for (key, item) in object {
            match item {
                Value::Array(items) => {
                    for item in scalars(key, items)? {
                        pairs.push(format!("{}={}", encode(key), encode(&item)));
                    }
                }
                other => {
                    let text = scalar(other).unwrap_or_else(|| other.to_string());
                    pairs.push(format!("{}={}", encode(key), encode(&text)));
                }
            }
        }
        return Ok(pairs.join("&").into_bytes());
    }
    match value {
        Value::String(text) => Ok(text.clone().into_bytes()),
        _ => Err(ArgumentError(format!(
            "{method}: a {} body must be given as a string",
            clip(&essence, 60)
        ))),
    }
}
