//! The request headers the rules read and the response they make, without
//! `http::HeaderMap`: its hash keys would import `wasi:random/insecure-seed`
//! into the app guest of `isobox build`, which serves a built app's assets
//! with this crate. The host's `HeaderMap` is one kind of
//! [`RequestHeaders`]; [`AssetResponse::into_http`] gives an
//! `http::Response`.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};

/// A request's headers, as the rules read them: every value of a header,
/// in order.
pub trait RequestHeaders {
    /// The values of the header `name`.
    fn values(&self, name: &HeaderName) -> Vec<&HeaderValue>;

    /// The first value of `name`.
    fn first(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.values(name).into_iter().next()
    }

    /// Whether the request has the header `name`.
    fn has(&self, name: &HeaderName) -> bool {
        !self.values(name).is_empty()
    }
}

impl RequestHeaders for HeaderMap {
    fn values(&self, name: &HeaderName) -> Vec<&HeaderValue> {
        self.get_all(name).iter().collect()
    }
}

/// Headers as a list of pairs (names lower-case, as `HeaderName` keeps them).
impl RequestHeaders for [(HeaderName, HeaderValue)] {
    fn values(&self, name: &HeaderName) -> Vec<&HeaderValue> {
        self.iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect()
    }
}

impl RequestHeaders for Vec<(HeaderName, HeaderValue)> {
    fn values(&self, name: &HeaderName) -> Vec<&HeaderValue> {
        self.as_slice().values(name)
    }
}

/// A response of the assets: status, headers (each name once) and body.
#[derive(Debug, Clone)]
pub struct AssetResponse {
    status: StatusCode,
    headers: AssetHeaders,
    body: Bytes,
}

/// A response's headers: each name once, in the order first set.
#[derive(Debug, Clone, Default)]
pub struct AssetHeaders(Vec<(HeaderName, HeaderValue)>);

impl AssetHeaders {
    /// Sets `name` to `value`, replacing a value it had.
    pub fn insert(&mut self, name: HeaderName, value: HeaderValue) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every header, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// Whether `name` is set.
    pub fn contains_key(&self, name: &HeaderName) -> bool {
        self.get(name).is_some()
    }
}

impl AssetResponse {
    /// A 200 with `body` and no header.
    pub(crate) fn new(body: Bytes) -> Self {
        AssetResponse {
            status: StatusCode::OK,
            headers: AssetHeaders::default(),
            body,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn status_mut(&mut self) -> &mut StatusCode {
        &mut self.status
    }

    /// The headers.
    pub fn headers(&self) -> &AssetHeaders {
        &self.headers
    }

    pub(crate) fn headers_mut(&mut self) -> &mut AssetHeaders {
        &mut self.headers
    }

    /// The body (empty for a HEAD, a 304 or a redirect).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub(crate) fn body_mut(&mut self) -> &mut Bytes {
        &mut self.body
    }

    /// The body, taken.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// As an `http::Response`.
    pub fn into_http(self) -> Response<Bytes> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers.0 {
            headers.insert(name, value);
        }
        response
    }
}
