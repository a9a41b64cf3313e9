//! Segment-aware path prefixes.

use std::borrow::Cow;
use std::fmt;

use url::Url;

use super::error::clip;

/// A path prefix that matches whole segments: `/v1` matches `/v1`, `/v1/x`
/// and `/v1?q`, not `/v10`; `/v1/` matches `/v1/` and `/v1/x`, not `/v1`.
///
/// Paths are compared as a URL parser leaves them (dot segments removed,
/// non-ASCII percent-encoded), with percent-encoded unreserved characters
/// decoded (`/%761` is `/v1`). Allow rules and credentials match strictly:
/// case-sensitive, and a path with an encoded slash or backslash (`%2F`,
/// `%5C`) never matches a prefix other than `/`. Deny rules match loosely,
/// to catch what a lenient server might route to the same place: ASCII case
/// ignored, `;` also ends a segment, and encoded slashes always match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix(String);

impl PathPrefix {
    /// Parses and normalises a prefix.
    ///
    /// # Errors
    /// A message if the prefix does not start with `/` or holds a `?` or `#`.
    pub fn parse(prefix: &str) -> Result<PathPrefix, String> {
        let shown = clip(prefix, 100);
        if !prefix.starts_with('/') {
            return Err(format!("path prefix `{shown}` must start with `/`"));
        }
        if prefix.contains(['?', '#']) {
            return Err(format!("path prefix `{shown}` cannot hold `?` or `#`"));
        }
        // Let the URL parser encode and resolve it as it does request paths.
        let mut url = Url::parse("http://prefix.invalid/").map_err(|e| e.to_string())?;
        url.set_path(prefix);
        Ok(PathPrefix(normalize(url.path()).into_owned()))
    }

    /// The normalised prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `path` (a URL's [`path`](Url::path)) is under this prefix;
    /// `wide` for deny rules.
    pub(crate) fn matches(&self, path: &str, wide: bool) -> bool {
        let prefix = self.0.as_str();
        if prefix == "/" {
            return true;
        }
        if has_encoded_separator(path) {
            return wide;
        }
        let path = normalize(path);
        let Some(head) = path.get(..prefix.len()) else {
            return false;
        };
        let head_matches = if wide {
            head.eq_ignore_ascii_case(prefix)
        } else {
            head == prefix
        };
        if !head_matches {
            return false;
        }
        if prefix.ends_with('/') {
            return true;
        }
        match path.as_bytes().get(prefix.len()) {
            None | Some(b'/') => true,
            Some(b';') => wide,
            Some(_) => false,
        }
    }
}

impl fmt::Display for PathPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn has_encoded_separator(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && ((w[1] == b'2' && w[2].eq_ignore_ascii_case(&b'f'))
                || (w[1] == b'5' && w[2].eq_ignore_ascii_case(&b'c')))
    })
}

/// Decodes percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`)
/// and uppercases the hex digits of every other escape (RFC 3986 6.2.2).
fn normalize(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            let byte = high * 16 + low;
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push(char::from(bytes[i + 1].to_ascii_uppercase()));
                out.push(char::from(bytes[i + 2].to_ascii_uppercase()));
            }
            i += 3;
            continue;
        }
        // Not an escape: copy the whole character.
        let ch_len = path[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&path[i..i + ch_len]);
        i += ch_len;
    }
    Cow::Owned(out)
}

fn hex(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn under(prefix: &str, url: &str) -> bool {
        let url = Url::parse(&format!("https://h{url}")).unwrap();
        PathPrefix::parse(prefix).unwrap().matches(url.path(), false)
    }

    fn under_wide(prefix: &str, url: &str) -> bool {
        let url = Url::parse(&format!("https://h{url}")).unwrap();
        PathPrefix::parse(prefix).unwrap().matches(url.path(), true)
    }

    #[test]
    fn prefixes_match_whole_segments() {
        assert!(under("/v1", "/v1"));
        assert!(under("/v1", "/v1/"));
        assert!(under("/v1", "/v1/x/y"));
        assert!(under("/v1", "/v1?q=1"));
        assert!(under("/v1", "/v1#f"));
        assert!(!under("/v1", "/v10"));
        assert!(!under("/v1", "/v"));
        assert!(!under("/v1", "/"));
        assert!(!under("/v1", "/x/v1"));
        assert!(under("/v1/", "/v1/x"));
        assert!(under("/v1/", "/v1/"));
        assert!(!under("/v1/", "/v1"));
        assert!(under("/", "/anything"));
        assert!(under("/a/b", "/a/b/c"));
        assert!(!under("/a/b", "/a/bc"));
    }

    #[test]
    fn paths_are_compared_after_url_normalisation() {
        assert!(under("/v1", "/x/../v1/y"));
        assert!(under("/v1", "/%76%31/y"));
        assert!(!under("/v1", "/v1/../admin"));
        assert!(!under("/v1", "/v1/%2e%2e/admin"));
        assert!(under("/caf\u{e9}", "/caf%C3%A9/x"));
        assert!(under("/caf%c3%a9", "/caf\u{e9}"));
        assert!(under("/a b", "/a%20b"));
    }

    #[test]
    fn allow_matching_is_strict() {
        assert!(!under("/v1", "/V1"));
        assert!(!under("/v1", "/v1;x"));
        assert!(!under("/v1", "/v1/..%2Fadmin"));
        assert!(!under("/v1", "/v1%2fadmin"));
        assert!(!under("/v1", "/v1/..%5cadmin"));
        assert!(under("/", "/v1/..%2Fadmin"));
    }

    #[test]
    fn deny_matching_is_wide() {
        assert!(under_wide("/admin", "/ADMIN/x"));
        assert!(under_wide("/admin", "/admin;jsessionid=1"));
        assert!(under_wide("/admin", "/x/..%2Fadmin"));
        assert!(under_wide("/admin", "/%61dmin"));
        assert!(!under_wide("/admin", "/administrator"));
        assert!(!under_wide("/admin", "/public"));
    }

    #[test]
    fn bad_prefixes_are_refused() {
        assert!(PathPrefix::parse("v1").unwrap_err().contains("must start with `/`"));
        assert!(PathPrefix::parse("").unwrap_err().contains("must start with `/`"));
        assert!(PathPrefix::parse("/v1?x").unwrap_err().contains("cannot hold"));
        assert!(PathPrefix::parse("/v1#x").unwrap_err().contains("cannot hold"));
        assert_eq!(PathPrefix::parse("/a/./b/../c").unwrap().as_str(), "/a/c");
    }
}
