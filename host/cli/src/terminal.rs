//! Text from a run, made safe for a terminal. Logs, results, error messages
//! and response bodies are the code's own text: written raw to a terminal,
//! an escape sequence could retitle the window, move the cursor, hide what
//! came before or plant an OSC 52 clipboard write, and a bidi override can
//! make text read differently from what it is (Trojan Source). When the
//! stream is a terminal, such characters are written as visible escapes
//! (`\u{202e}`, `\x1b`); into a pipe or a file the text goes unchanged.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// `text` for stderr: escaped when stderr is a terminal.
pub fn stderr(text: &str) -> Cow<'_, str> {
    static TTY: OnceLock<bool> = OnceLock::new();
    if *TTY.get_or_init(|| std::io::stderr().is_terminal()) {
        escape(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` for stdout: escaped when stdout is a terminal.
pub fn stdout(text: &str) -> Cow<'_, str> {
    static TTY: OnceLock<bool> = OnceLock::new();
    if *TTY.get_or_init(|| std::io::stdout().is_terminal()) {
        escape(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// JSON text for stdout: when stdout is a terminal, unsafe characters
/// (only ever inside strings, where serde_json leaves C1 controls and bidi
/// controls raw) become `\uXXXX` escapes, so the JSON means the same.
pub fn stdout_json(json: &str) -> Cow<'_, str> {
    static TTY: OnceLock<bool> = OnceLock::new();
    if *TTY.get_or_init(|| std::io::stdout().is_terminal()) {
        escape_json(json)
    } else {
        Cow::Borrowed(json)
    }
}

fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a terminal could act on `c` rather than show it: C0 controls
/// but newline and tab, DEL, C1 controls, and the bidi embeddings,
/// overrides, isolates and marks.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with each unsafe character written as an escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_sequences_and_bidi_controls_become_visible() {
        assert_eq!(escape("\u{1b}]52;c;ZXZpbA==\u{7}"), "\\x1b]52;c;ZXZpbA==\\x07");
        assert_eq!(escape("\u{1b}[2J\rover"), "\\x1b[2J\\x0dover");
        assert_eq!(
            escape("access = \"user\u{202e} \u{2066}// admin\u{2069}\""),
            "access = \"user\\u{202e} \\u{2066}// admin\\u{2069}\""
        );
        assert_eq!(escape("c1 \u{9b}31m"), "c1 \\u{9b}31m");
    }

    #[test]
    fn json_keeps_its_meaning() {
        let json = serde_json::to_string(&serde_json::json!({ "k": "a\u{202e}b\u{1b}c\u{85}" })).unwrap();
        let escaped = super::escape_json(&json);
        assert_eq!(escaped, "{\"k\":\"a\\u202eb\\u001bc\\u0085\"}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["k"], "a\u{202e}b\u{1b}c\u{85}");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        for text in ["plain", "two\nlines\tand a tab", "é ✓ 日本 🙂 مرحبا"] {
            assert!(matches!(escape(text), std::borrow::Cow::Borrowed(_)), "{text}");
        }
    }
}
