//! Bounding text that came from elsewhere (the guest, an upstream, a plugin)
//! before it goes into a message.

/// Cuts `text` to at most `max` bytes on a char boundary and appends
/// `marker` when it cut anything.
pub(crate) fn truncate(text: &mut String, max: usize, marker: &str) {
    if text.len() <= max {
        return;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(marker);
}

/// A copy of `text` cut to at most `max` bytes, marked with `...` when cut.
pub(crate) fn truncated(text: &str, max: usize) -> String {
    let mut text = text.to_owned();
    truncate(&mut text, max, "...");
    text
}

/// The most bytes of text one error message of a run carries.
pub(crate) const MAX_ERROR_TEXT_BYTES: usize = 16 * 1024;

/// `text` cut to [`MAX_ERROR_TEXT_BYTES`], marked when cut.
pub(crate) fn bounded(mut text: String) -> String {
    truncate(&mut text, MAX_ERROR_TEXT_BYTES, "… (truncated)");
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_on_a_char_boundary_and_marks_the_cut() {
        let mut text = "aé".repeat(3);
        super::truncate(&mut text, 4, "...");
        assert_eq!(text, "aéa...");
        let mut short = "abc".to_owned();
        super::truncate(&mut short, 3, "...");
        assert_eq!(short, "abc");
    }

    #[test]
    fn truncated_copies_and_marks() {
        assert_eq!(super::truncated("abc", 3), "abc");
        assert_eq!(super::truncated("abcd", 3), "abc...");
        assert_eq!(super::truncated("aé", 2), "a...");
    }
}
