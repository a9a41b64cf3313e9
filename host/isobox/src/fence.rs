//! One surrounding markdown code fence, as models often wrap code in, is
//! removed before anything else looks at the code.
//!
//! The rule: after leading blank lines, the first line opens a fence (three
//! or more backticks or tildes, then an optional info string such as `js`),
//! and the last non-blank line closes it (the same character, at least as
//! many). The opening line becomes a blank line and the closing line is
//! dropped, so line numbers in errors are those of the fenced code. Anything
//! else (prose around the fence, two fences) is left as it is. The info
//! string's language tag is kept: ```` ```ts ```` selects TypeScript.

/// The code of one fence and its language tag.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fenced {
    /// The code, with the opening line left blank.
    pub code: String,
    /// The first word of the info string (`js`, `typescript`), lowercased;
    /// empty when there is none.
    pub language: String,
}

impl Fenced {
    /// Whether the tag names TypeScript (`ts`, `typescript`, `mts`, `cts`).
    pub(crate) fn is_typescript(&self) -> bool {
        matches!(self.language.as_str(), "ts" | "typescript" | "mts" | "cts")
    }
}

/// The code inside one surrounding fence, or `None` when `code` is not fenced.
///
/// ```text
/// assert_eq!(strip_fence("```js\n1 + 1\n```").map(|f| f.code), Some("\n1 + 1\n".into()));
/// ```
pub(crate) fn strip_fence(code: &str) -> Option<Fenced> {
    let start = code.len() - code.trim_start_matches(['\n', '\r', ' ', '\t']).len();
    // Back up to the start of the opening line, so the lines before it count.
    let line_start = code[..start].rfind('\n').map_or(0, |i| i + 1);
    let opening_end = code[line_start..].find('\n').map(|i| line_start + i)?;
    let opening = code[line_start..opening_end].trim();
    let marker = opening.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let fence_length = opening.chars().take_while(|c| *c == marker).count();
    let info = &opening[fence_length..];
    if fence_length < 3 || (marker == '`' && info.contains('`')) {
        return None;
    }

    let body_and_close = code[opening_end + 1..].trim_end();
    let close_start = body_and_close.rfind('\n').map_or(0, |i| i + 1);
    let closing = body_and_close[close_start..].trim();
    let closing_length = closing.chars().take_while(|c| *c == marker).count();
    if closing.is_empty() || closing_length != closing.chars().count() || closing_length < fence_length {
        return None;
    }
    let body = &body_and_close[..close_start];
    let blank_lines = code[..=opening_end].matches('\n').count();
    let language = info.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    Some(Fenced {
        code: "\n".repeat(blank_lines) + body,
        language,
    })
}

#[cfg(test)]
mod tests {
    use super::strip_fence;

    fn code(text: &str) -> Option<String> {
        strip_fence(text).map(|fenced| fenced.code)
    }

    #[test]
    fn the_language_tag_is_kept_and_typescript_is_recognised() {
        let fenced = strip_fence("```TypeScript {title=x}\nlet a: number = 1\n```").unwrap();
        assert_eq!(fenced.language, "typescript");
        assert!(fenced.is_typescript());
        assert!(strip_fence("```ts\n1\n```").unwrap().is_typescript());
        assert!(!strip_fence("```js\n1\n```").unwrap().is_typescript());
        assert_eq!(strip_fence("```\n1\n```").unwrap().language, "");
    }

    #[test]
    fn a_fenced_snippet_keeps_its_line_numbers() {
        assert_eq!(
            code("```js\nconst a = 1;\na + 1\n```").as_deref(),
            Some("\nconst a = 1;\na + 1\n")
        );
        assert_eq!(code("\n\n```typescript\nx\n```\n\n").as_deref(), Some("\n\n\nx\n"));
        assert_eq!(code("~~~~\nx\n~~~~~").as_deref(), Some("\nx\n"));
        assert_eq!(code("```\n```").as_deref(), Some("\n"));
    }

    #[test]
    fn anything_else_is_left_alone() {
        for code in [
            "1 + 1",
            "Here is the code:\n```js\n1\n```",
            "```js\n1\n```\nAnd more prose",
            "```js\n1",
            "``js\n1\n``",
            "```js\n1\n~~~",
            "````js\n1\n```",
            "const s = `a`;\n`b`",
        ] {
            assert_eq!(strip_fence(code), None, "{code:?}");
        }
    }
}
