//! The HTTP request a worker receives and the response it gives, with the
//! checks a request passes before it reaches a sandbox.

use serde::{Deserialize, Serialize};

use crate::bindings::GuestHttpRequest;
use crate::outcome::{ErrorKind, Phase, RunError};

/// The most headers a worker's request may have.
const MAX_HEADERS: usize = 256;
/// The most bytes of header names and values together.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The longest URL.
const MAX_URL_BYTES: usize = 8 * 1024;
/// The longest method.
const MAX_METHOD_BYTES: usize = 32;

/// An HTTP request for a worker's `fetch(request, env, ctx)`.
///
/// ```
/// let request = isobox::worker::HttpRequest::new("PUT", "https://example.test/items/1?x=2")
///     .with_header("content-type", "application/json")
///     .with_body(br#"{"n":1}"#.to_vec());
/// assert_eq!(request.headers.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// The method (`GET`, `POST`, ... or any other token but CONNECT and TRACE).
    pub method: String,
    /// An absolute `http:` or `https:` URL: what `request.url` gives.
    pub url: String,
    /// The headers, in order; names are case-insensitive.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body (empty: none). Ignored for GET and HEAD.
    #[serde(default)]
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Checks the request and moves it into the guest's form; the message
    /// says what is wrong.
    pub(crate) fn check(self, limits: &crate::Limits) -> Result<GuestHttpRequest, String> {
        let method = self.method;
        if method.is_empty() || method.len() > MAX_METHOD_BYTES || !method.bytes().all(is_token_byte) {
            return Err(format!(
                "\"{}\" is not an HTTP method: use a token such as GET or POST",
                method.chars().take(MAX_METHOD_BYTES).collect::<String>()
            ));
        }
        if ["CONNECT", "TRACE", "TRACK"].contains(&method.to_ascii_uppercase().as_str()) {
            return Err(format!("the method {method} cannot be dispatched to a worker"));
        }
        if self.url.len() > MAX_URL_BYTES {
            return Err(format!("the URL is longer than {MAX_URL_BYTES} bytes"));
        }
        let parsed = url::Url::parse(&self.url).map_err(|e| format!("the URL is not an absolute URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("the URL must be http: or https:".into());
        }
        if self.headers.len() > MAX_HEADERS {
            return Err(format!("the request has more than {MAX_HEADERS} headers"));
        }
        let header_bytes: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        if header_bytes > MAX_HEADER_BYTES {
            return Err(format!("the request's headers are over {MAX_HEADER_BYTES} bytes"));
        }
        for (name, value) in &self.headers {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(format!(
                    "\"{}\" is not a valid header name",
                    name.chars().take(64).collect::<String>()
                ));
            }
            if value.bytes().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
                return Err(format!("the value of header {name} holds NUL, CR or LF"));
            }
        }
        if self.body.len() > limits.input_bytes as usize {
            return Err(format!(
                "the request body is {} bytes, over the input_bytes limit of {}",
                self.body.len(),
                limits.input_bytes
            ));
        }
        Ok(GuestHttpRequest {
            method,
            url: parsed.into(),
            headers: self.headers,
            body: self.body,
        })
    }
}

/// RFC 9110 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// A worker's Response, body read whole ([`Engine::dispatch`](crate::Engine::dispatch)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status, 200 to 599.
    pub status: u16,
    /// The headers, names in lower case, in the Response's order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    ///
    /// ```
    /// let response = isobox::worker::HttpResponse {
    ///     status: 200,
    ///     headers: vec![("content-type".into(), "text/plain".into())],
    ///     body: b"hi".to_vec(),
    /// };
    /// assert_eq!(response.header("Content-Type"), Some("text/plain"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    pub(crate) fn plain(status: u16, body: &str) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// The response for a failed dispatch: 504 for the wall-clock limit, 400
    /// for a refused request, 500 otherwise; the error as text.
    pub(crate) fn for_error(error: &RunError) -> Self {
        let status = match (error.phase, error.kind) {
            (_, ErrorKind::Timeout) => 504,
            (Phase::Input, ErrorKind::InvalidInput) => 400,
            _ => 500,
        };
        let mut text = format!("error [{} / {}]: ", error.phase, error.kind);
        if let Some(name) = &error.name {
            text.push_str(name);
            text.push_str(": ");
        }
        text.push_str(&error.message);
        text.push('\n');
        HttpResponse::plain(status, &text)
    }
}
