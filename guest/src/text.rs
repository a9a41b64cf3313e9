//! JS strings as Rust text. A JS string is UTF-16 and may hold a lone
//! surrogate (half of a pair), which UTF-8 cannot hold: QuickJS then writes
//! it as three bytes (ED A0..BF 80..BF, "WTF-8") that are not UTF-8.

use rquickjs::qjs;

/// The UTF-8 text of `value`, each lone surrogate replaced by U+FFFD (as
/// `TextEncoder` and `toWellFormed` do).
pub fn lossy(value: &rquickjs::String<'_>) -> rquickjs::Result<String> {
    match value.to_string() {
        Err(rquickjs::Error::Utf8(_)) => {}
        other => return other,
    }
    let ctx = value.ctx().as_raw().as_ptr();
    let mut len = 0;
    // SAFETY: `value` is a live string of `ctx`; the bytes are copied
    // before the C string is freed.
    unsafe {
        let ptr = qjs::JS_ToCStringLen(ctx, &mut len, value.as_raw());
        if ptr.is_null() {
            return Err(rquickjs::Error::Exception);
        }
        let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
        let text = replace_surrogates(bytes);
        qjs::JS_FreeCString(ctx, ptr);
        Ok(text)
    }
}

/// WTF-8 to UTF-8: each encoded surrogate (ED A0..BF xx) becomes U+FFFD.
fn replace_surrogates(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0xED && bytes.get(i + 1).is_some_and(|b| (0xA0..=0xBF).contains(b)) && i + 2 < bytes.len() {
            text.push_str(&String::from_utf8_lossy(&bytes[start..i]));
            text.push('\u{FFFD}');
            i += 3;
            start = i;
        } else {
            i += 1;
        }
    }
    text.push_str(&String::from_utf8_lossy(&bytes[start..]));
    text
}

#[cfg(test)]
mod tests {
    use super::replace_surrogates;

    #[test]
    fn each_encoded_surrogate_becomes_one_replacement_character() {
        assert_eq!(replace_surrogates(b"a\xED\xA0\x80b"), "a\u{FFFD}b");
        assert_eq!(replace_surrogates(b"\xED\xBF\xBF"), "\u{FFFD}");
        assert_eq!(replace_surrogates("é ok ✓".as_bytes()), "é ok ✓");
        // Hangul (ED 80..9F) is not a surrogate.
        assert_eq!(replace_surrogates("\u{D55C}".as_bytes()), "\u{D55C}");
    }
}
