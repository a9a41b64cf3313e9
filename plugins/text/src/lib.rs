//! An example isobox capability plugin, written in Rust: text utilities
//! exported as `isobox:text/analyze`. Build it for `wasm32-wasip2`; the host
//! loads the component file and grants it to runs as `env.<name>`.
//!
//! It keeps no state: the host instantiates it fresh for each run.

mod bindings {
    wit_bindgen::generate!({ world: "plugin", path: "wit", generate_all });
}

use std::collections::HashMap;

use bindings::exports::isobox::text::analyze::{Guest, Stats, WordCount};
use bindings::isobox::capability::context;

struct Text;

impl Guest for Text {
    fn summarize(text: String, top: u8) -> Stats {
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut words = 0u32;
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            words = words.saturating_add(1);
            *counts.entry(word.to_lowercase()).or_default() += 1;
        }
        let mut ranked: Vec<(String, u32)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(usize::from(top.min(100)));
        Stats {
            words,
            lines: u32::try_from(text.lines().count()).unwrap_or(u32::MAX),
            chars: text.chars().count() as u64,
            top: ranked
                .into_iter()
                .map(|(word, count)| WordCount { word, count })
                .collect(),
        }
    }

    fn slugify(text: String) -> Result<String, String> {
        let mut slug = String::new();
        for part in text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| !part.is_empty())
        {
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(&part.to_ascii_lowercase());
        }
        if slug.is_empty() {
            Err(format!("\"{text}\" has no ASCII letters or digits to make a slug of"))
        } else {
            Ok(slug)
        }
    }

    fn tenant() -> String {
        // The props are JSON such as {"tenant":"acme"}; a plugin would use a
        // JSON parser, this example keeps to std.
        let props = context::props();
        props
            .split("\"tenant\"")
            .nth(1)
            .and_then(|rest| rest.split('"').nth(1))
            .map(str::to_owned)
            .unwrap_or_else(|| "anonymous".to_owned())
    }
}

bindings::export!(Text with_types_in bindings);
