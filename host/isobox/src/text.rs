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
}
