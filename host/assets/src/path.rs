//! Request paths: percent-decoded, then normalised into segments that can
//! only name something under the assets' root.
//!
//! Lookups are in an in-memory map keyed by these segments, never on the
//! file system, so a request can reach only what was loaded; normalising
//! also makes `/a/./b` and `/a//b` the same path as `/a/b`, and `..` stops
//! at the root (`/../../etc/passwd` is `/etc/passwd` under the root, which
//! is not an asset).

/// A request path, decoded and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestPath {
    /// The segments: never empty, `.` or `..`, never holding `/`, `\` or NUL.
    pub(crate) segments: Vec<String>,
    /// The path named a directory: it ended with `/` (or `/.`, `/..`), or
    /// it was the root.
    pub(crate) trailing_slash: bool,
}

impl RequestPath {
    /// The segments joined by `/`, without a leading slash: the key of a
    /// file (empty for the root).
    pub(crate) fn key(&self) -> String {
        self.segments.join("/")
    }

    /// The normalised path as a request would carry it: `/`, `/a/b`, `/a/b/`.
    pub(crate) fn normalised(&self) -> String {
        let mut out = String::from("/");
        out.push_str(&self.segments.join("/"));
        if self.trailing_slash && !self.segments.is_empty() {
            out.push('/');
        }
        out
    }
}

/// Decodes and normalises the path of a request URI (no query). `None` for
/// a path no asset can have: a bad percent escape, bytes that are not
/// UTF-8 once decoded, a NUL or a backslash (raw or encoded).
pub(crate) fn parse(path: &str) -> Option<RequestPath> {
    let decoded = percent_decode(path)?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut segments: Vec<String> = Vec::new();
    let mut trailing_slash = true;
    for segment in decoded.split('/') {
        match segment {
            "" => {}
            "." => trailing_slash = true,
            ".." => {
                segments.pop();
                trailing_slash = true;
            }
            name => {
                segments.push(name.to_owned());
                trailing_slash = false;
            }
        }
    }
    // `/a/` ends with an empty segment: a directory.
    if decoded.ends_with('/') {
        trailing_slash = true;
    }
    Some(RequestPath {
        segments,
        trailing_slash,
    })
}

/// `%XX` escapes decoded; `None` for a `%` not followed by two hex digits
/// or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = hex_value(*bytes.get(i + 1)?)?;
            let low = hex_value(*bytes.get(i + 2)?)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// A path made of `segments` as a `Location` value: `/` then each segment
/// percent-encoded but for RFC 3986's unreserved characters and those
/// sub-delimiters and `:@` a path segment may hold.
pub(crate) fn encode(path: &str) -> String {
    const KEEP: &[u8] = b"-._~!$&'()*+,;=:@/";
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        if byte.is_ascii_alphanumeric() || KEEP.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(path: &str) -> Option<String> {
        parse(path).map(|p| p.normalised())
    }

    #[test]
    fn paths_are_decoded_and_normalised() {
        for (path, expected) in [
            ("/", "/"),
            ("", "/"),
            ("/a/b.js", "/a/b.js"),
            ("/a//b.js", "/a/b.js"),
            ("/a/./b.js", "/a/b.js"),
            ("/a/x/../b.js", "/a/b.js"),
            ("/a/", "/a/"),
            ("/a/.", "/a/"),
            ("/a/b/..", "/a/"),
            ("/..", "/"),
            ("/../../etc/passwd", "/etc/passwd"),
            ("/..%2f..%2fetc/passwd", "/etc/passwd"),
            ("/%2e%2e/%2E%2E/etc/passwd", "/etc/passwd"),
            ("/caf%C3%A9.html", "/café.html"),
            ("/a%20b", "/a b"),
            ("/a%2Fb", "/a/b"),
        ] {
            assert_eq!(normalised(path).as_deref(), Some(expected), "{path}");
        }
    }

    #[test]
    fn paths_no_asset_can_have_are_refused() {
        for path in [
            "/a%00b", "/a\0b", "/a\\b", "/a%5cb", "/a%5Cb", "/%", "/%4", "/%zz", "/%ff", "/%c3",
        ] {
            assert_eq!(parse(path), None, "{path:?}");
        }
    }

    /// Every segment of every parsed path is a plain name: no input,
    /// however built from `..`, `.`, slashes, backslashes, NULs and their
    /// escapes, yields a segment that could step out of the root.
    #[test]
    fn no_input_escapes_the_root() {
        let pieces = [
            "..", ".", "/", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "%00", "a", "%2e%2e", ".%2e", "%25", "...", "//",
        ];
        // Every sequence of up to 4 pieces (16^4 = 65,536 of length 4),
        // with and without a leading slash.
        let mut checked = 0;
        for length in 0..=4u32 {
            for mut n in 0..pieces.len().pow(length) {
                let mut path = String::new();
                for _ in 0..length {
                    path.push_str(pieces[n % pieces.len()]);
                    n /= pieces.len();
                }
                for path in [path.clone(), format!("/{path}")] {
                    if let Some(parsed) = parse(&path) {
                        for segment in &parsed.segments {
                            assert!(
                                !segment.is_empty()
                                    && segment != "."
                                    && segment != ".."
                                    && !segment.contains(['/', '\\', '\0']),
                                "{path:?} gave segment {segment:?}"
                            );
                        }
                        // Normalising is idempotent: the normalised path,
                        // encoded, parses to itself.
                        assert_eq!(parse(&encode(&parsed.normalised())).as_ref(), Some(&parsed), "{path:?}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000, "{checked} paths checked");
    }

    #[test]
    fn locations_are_encoded() {
        assert_eq!(encode("/about/"), "/about/");
        assert_eq!(encode("/a b/café"), "/a%20b/caf%C3%A9");
        assert_eq!(encode("/100%?#"), "/100%25%3F%23");
    }
}
