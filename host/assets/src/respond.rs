//! The responses: a file (with its preconditions, range and coding), a
//! redirect, a 404 page.

use bytes::Bytes;
use http::StatusCode;
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue,
    IF_MATCH, IF_NONE_MATCH, LOCATION, RANGE, VARY, X_CONTENT_TYPE_OPTIONS,
};

use super::headers::{AssetResponse, RequestHeaders};

use super::cache;
use super::negotiate::{Coding, RangeAsk, choose_coding, list_matches, range};

/// One encoding of a file's content, with its own ETag.
pub(crate) struct Representation {
    pub(crate) body: Bytes,
    /// A strong tag, quoted: the first 128 bits of the content's SHA-256.
    pub(crate) etag: HeaderValue,
}

impl Representation {
    pub(crate) fn new(body: Bytes) -> Self {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(&body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""));
        Representation { body, etag }
    }
}

/// A file: its content, its precompressed variants, and the headers that
/// its name decides.
pub(crate) struct Asset {
    pub(crate) identity: Representation,
    pub(crate) br: Option<Representation>,
    pub(crate) gzip: Option<Representation>,
    pub(crate) content_type: &'static str,
    pub(crate) cache_control: &'static str,
}

impl Asset {
    fn has_variants(&self) -> bool {
        self.br.is_some() || self.gzip.is_some()
    }

    /// The representation in `coding`, identity when there is none.
    fn representation(&self, coding: Coding) -> &Representation {
        let variant = match coding {
            Coding::Br => self.br.as_ref(),
            Coding::Gzip => self.gzip.as_ref(),
            Coding::Identity => None,
        };
        variant.unwrap_or(&self.identity)
    }

    /// The coding to send: identity for a range or a file without
    /// variants; `None` when no available coding is acceptable.
    fn coding<H: RequestHeaders + ?Sized>(&self, ranged: bool, headers: &H) -> Option<Coding> {
        if ranged || !self.has_variants() {
            return Some(Coding::Identity);
        }
        choose_coding(headers, self.br.is_some(), self.gzip.is_some())
    }
}

/// A response with no body and the headers every asset response has.
fn empty(status: StatusCode) -> AssetResponse {
    let mut response = AssetResponse::new(Bytes::new());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `body` as the response's content (its length in `Content-Length`;
/// left out of a HEAD's response).
fn with_body(mut response: AssetResponse, body: Bytes, head: bool) -> AssetResponse {
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if !head {
        *response.body_mut() = body;
    }
    response
}

/// A file, as a GET or HEAD with `headers` gets it: `If-Match` (strong;
/// 412 when it fails), then `If-None-Match` (weak; 304), then the range
/// (GET only: 206 or 416, or the whole file).
pub(crate) fn asset<H: RequestHeaders + ?Sized>(asset: &Asset, head: bool, headers: &H) -> AssetResponse {
    let ranged = !head && headers.has(&RANGE);
    let Some(coding) = asset.coding(ranged, headers) else {
        let mut response = empty(StatusCode::NOT_ACCEPTABLE);
        response
            .headers_mut()
            .insert(VARY, HeaderValue::from_static("accept-encoding"));
        return with_body(response, Bytes::new(), head);
    };
    let representation = asset.representation(coding);
    let etag = representation.etag.to_str().unwrap_or_default();
    let mut response = empty(StatusCode::OK);
    let out = response.headers_mut();
    out.insert(ETAG, representation.etag.clone());
    out.insert(CACHE_CONTROL, HeaderValue::from_static(asset.cache_control));
    out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if asset.has_variants() {
        out.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if headers.has(&IF_MATCH) && !list_matches(headers, &IF_MATCH, etag, true) {
        *response.status_mut() = StatusCode::PRECONDITION_FAILED;
        return with_body(response, Bytes::new(), head);
    }
    if headers.has(&IF_NONE_MATCH) && list_matches(headers, &IF_NONE_MATCH, etag, false) {
        // A 304 carries the validators and caching headers, no content
        // headers and no body.
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let length = representation.body.len() as u64;
    let ask = if ranged {
        range(headers, etag, length)
    } else {
        RangeAsk::Whole
    };
    let body = match ask {
        RangeAsk::Whole => representation.body.clone(),
        RangeAsk::Part { start, end } => {
            // start <= end < length: both fit in usize, as the body does.
            let (first, last) = (start as usize, end as usize);
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            set(&mut response, CONTENT_RANGE, &format!("bytes {start}-{end}/{length}"));
            representation.body.slice(first..=last)
        }
        RangeAsk::Unsatisfiable => {
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            set(&mut response, CONTENT_RANGE, &format!("bytes */{length}"));
            return with_body(response, Bytes::new(), head);
        }
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    if let Some(encoding) = coding.header() {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    with_body(response, body, head)
}

/// The `404.html` of `404-page`: status 404, in the best acceptable coding
/// (identity when none is), without validators or ranges.
pub(crate) fn not_found_page<H: RequestHeaders + ?Sized>(asset: &Asset, head: bool, headers: &H) -> AssetResponse {
    let coding = asset.coding(false, headers).unwrap_or(Coding::Identity);
    let mut response = empty(StatusCode::NOT_FOUND);
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache::REVALIDATE));
    if let Some(encoding) = coding.header() {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if asset.has_variants() {
        out.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    with_body(response, asset.representation(coding).body.clone(), head)
}

/// A 307 to `location` (an encoded path), with the request's query.
pub(crate) fn redirect(location: &str, query: Option<&str>) -> AssetResponse {
    let mut response = empty(StatusCode::TEMPORARY_REDIRECT);
    let with_query = match query {
        Some(query) if !query.is_empty() => HeaderValue::from_str(&format!("{location}?{query}")).ok(),
        _ => None,
    };
    if let Some(value) = with_query.or_else(|| HeaderValue::from_str(location).ok()) {
        response.headers_mut().insert(LOCATION, value);
    }
    with_body(response, Bytes::new(), false)
}

/// Sets a header whose value is built from digits and ASCII.
fn set(response: &mut AssetResponse, name: http::header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
