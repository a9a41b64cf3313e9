//! `Cache-Control` by file name: names that carry a hash of their content
//! are cached for a year and never revalidated; every other file is
//! revalidated on each use (its ETag makes that a 304).
//!
//! The rule for a *content-hashed name*: take the file name (the last
//! path segment; for a precompressed variant, the original's name) and
//! drop its extension (from the last `.`; a name with no extension is
//! never hashed). Split what is left at `.` and `-`. The name is hashed
//! when one of those parts is at least 8 characters long and either
//!
//! - **hex**: only `0-9a-f`, with at least one digit and one letter
//!   (`app.3f9a1c2b.js`, webpack's `[contenthash]`), or
//! - **base64url-ish**: only `A-Z a-z 0-9 _`, with at least one digit,
//!   one upper-case and one lower-case letter (`index-B2xD9kQz.css`,
//!   Vite and Rollup's `[hash]`).
//!
//! The mixes of characters keep ordinary words and numbers out:
//! `20240101.json` (digits only), `bootstrap-datepicker.js`,
//! `lib-utf8decoder.js` and `MyWidget.js` are not hashed. A hash that
//! happens to lack one of the required kinds (all digits, or a base64url
//! hash with no digit) is missed, which costs a revalidation, never a
//! stale file; a hash holding `-` is split and missed likewise.

/// For names with a content hash: a year, never revalidated.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For every other name: cached, but revalidated before each use.
pub(crate) const REVALIDATE: &str = "public, max-age=0, must-revalidate";

/// The `Cache-Control` for a file named `name` (its last path segment).
pub(crate) fn cache_control(name: &str) -> &'static str {
    if has_content_hash(name) { IMMUTABLE } else { REVALIDATE }
}

/// Whether `name` carries a content hash (the rule in the module docs).
pub(crate) fn has_content_hash(name: &str) -> bool {
    let Some((stem, _extension)) = name.rsplit_once('.') else {
        return false;
    };
    stem.split(['.', '-']).any(is_hash)
}

fn is_hash(part: &str) -> bool {
    if part.len() < 8 {
        return false;
    }
    let bytes = part.as_bytes();
    let digit = bytes.iter().any(u8::is_ascii_digit);
    let hex = bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex {
        return digit && bytes.iter().any(|b| matches!(b, b'a'..=b'f'));
    }
    bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && digit
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_immutable() {
        for name in [
            "app.3f9a1c2b.js",
            "index-B2xD9kQz.css",
            "chunk.3f9a1c2b.min.js",
            "vendor-3f9a1c2b4d5e6f70.js",
            "3f9a1c2b.js",
            "Button-a1B2c3D4.js",
            "main_Ab3_efGh.js",
            "logo.0123abcd.svg",
            "font-Xy9_aBcD.woff2",
        ] {
            assert!(has_content_hash(name), "{name}");
            assert_eq!(cache_control(name), IMMUTABLE);
        }
    }

    #[test]
    fn other_names_are_revalidated() {
        for name in [
            "index.html",
            "app.js",
            "app.3f9a1c2.js",
            "20240101.json",
            "12345678.js",
            "deadbeef.js",
            "bootstrap-datepicker.js",
            "lib-utf8decoder.js",
            "MyWidget.js",
            "vendor-HelloWorld.js",
            "3f9a1c2b",
            "README",
            "app-3F9A1C2B.js",
            "index-B2x-9kQz.css",
        ] {
            assert!(!has_content_hash(name), "{name}");
            assert_eq!(cache_control(name), REVALIDATE);
        }
    }
}
