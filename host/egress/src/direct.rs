//! Direct responses: answers the policy gives without any network.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::error::clip;

/// A response a `respond` rule gives instead of sending the request: for
/// mocks in tests, and for answering known URLs without network.
///
/// ```
/// let response = isobox_egress::DirectResponse::new(200)
///     .with_header("content-type", "application/json")
///     .with_body(r#"{"ok":true}"#);
/// assert_eq!(response.status(), http::StatusCode::OK);
/// assert_eq!(&response.body()[..], br#"{"ok":true}"#);
/// ```
#[derive(Clone)]
pub struct DirectResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    error: Option<String>,
}

impl DirectResponse {
    /// A response with this status (200 to 599; another value is reported
    /// by [`build`](super::EgressPolicyBuilder::build)), no headers and an
    /// empty body.
    pub fn new(status: u16) -> DirectResponse {
        let (status, error) = match StatusCode::from_u16(status) {
            Ok(code) if (200..=599).contains(&status) => (code, None),
            _ => (
                StatusCode::OK,
                Some(format!("status {status} is not a final HTTP status (200 to 599)")),
            ),
        };
        DirectResponse {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            error,
        }
    }

    /// Adds a header (a name may be given several times).
    pub fn with_header(mut self, name: &str, value: &str) -> DirectResponse {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            (Err(_), _) => self.note_error(format!("`{}` is not a valid header name", clip(name, 40))),
            (_, Err(_)) => self.note_error(format!(
                "the value of header `{}` is not valid (visible ASCII only, no line breaks)",
                clip(name, 40)
            )),
        }
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> DirectResponse {
        self.body = body.into();
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (cheap to clone).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    fn note_error(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl fmt::Debug for DirectResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// Decodes standard base64 (RFC 4648 alphabet, `=` padding optional, ASCII
/// whitespace ignored).
///
/// # Errors
/// A message naming the first bad character's position, or a bad length.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut padding = 0usize;
    let mut symbols = 0usize;
    for (position, byte) in text.bytes().enumerate() {
        if byte.is_ascii_whitespace() {
            continue;
        }
        if byte == b'=' {
            padding += 1;
            continue;
        }
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("base64 has an invalid character at byte {position}")),
        };
        if padding > 0 {
            return Err(format!("base64 has data after `=` padding at byte {position}"));
        }
        symbols += 1;
        buffer = ((buffer << 6) | u32::from(value)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    let remainder = symbols % 4;
    let expected_padding = if remainder == 0 { 0 } else { 4 - remainder };
    if remainder == 1 || (padding != 0 && padding != expected_padding) {
        return Err("base64 has a bad length or padding".into());
    }
    // The unused low bits of the last symbol must be zero (canonical form).
    if bits > 0 && buffer & ((1 << bits) - 1) != 0 {
        return Err("base64 is not canonical (nonzero trailing bits)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_rfc4648_vectors() {
        for (encoded, decoded) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYg", "foob"),
            ("Zm9v\nYmFy\n", "foobar"),
        ] {
            assert_eq!(decode_base64(encoded).unwrap(), decoded.as_bytes(), "{encoded}");
        }
        assert_eq!(decode_base64("//79").unwrap(), [0xff, 0xfe, 0xfd]);
    }

    #[test]
    fn base64_refuses_bad_input() {
        assert!(decode_base64("Zm9v!").unwrap_err().contains("byte 4"));
        assert!(decode_base64("Z").unwrap_err().contains("length"));
        assert!(decode_base64("Zg=").unwrap_err().contains("padding"));
        assert!(decode_base64("Zg==Zg==").unwrap_err().contains("after `=`"));
        assert!(decode_base64("Zh==").unwrap_err().contains("canonical"));
        assert!(decode_base64("Zm9v-_").is_err(), "the URL-safe alphabet is not base64");
    }

    #[test]
    fn responses_keep_errors_for_build() {
        assert!(DirectResponse::new(200).error().is_none());
        assert!(DirectResponse::new(404).error().is_none());
        assert!(DirectResponse::new(101).error().unwrap().contains("101"));
        assert!(DirectResponse::new(600).error().unwrap().contains("600"));
        let bad_name = DirectResponse::new(200).with_header("bad name", "x");
        assert!(
            bad_name
                .error()
                .unwrap()
                .contains("`bad name` is not a valid header name")
        );
        let bad_value = DirectResponse::new(200).with_header("x-a", "line\nbreak");
        assert!(bad_value.error().unwrap().contains("value of header `x-a`"));
    }

    #[test]
    fn headers_may_repeat_and_debug_hides_the_body() {
        let response = DirectResponse::new(200)
            .with_header("set-cookie", "a=1")
            .with_header("Set-Cookie", "b=2")
            .with_body(vec![b'z'; 4096]);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        let debug = format!("{response:?}");
        assert!(debug.contains("body_bytes: 4096") && !debug.contains("zzz"), "{debug}");
    }
}
