//! Method names: an operation's `operationId` as a camelCase JavaScript
//! identifier (`issues/create` -> `issuesCreate`, `list-pets` ->
//! `listPets`), or one made from its method and path where it has none
//! (`get /pets/{petId}` -> `getPetsByPetId`); collisions resolved in spec
//! order by a number (`listPets2`). Type names likewise, in PascalCase.

use std::collections::HashSet;

/// The longest method or type name made, in characters.
const MAX_NAME_CHARS: usize = 80;

/// Names that would change what the binding object is (`then` makes it a
/// thenable that `await` unwraps) or shadow `Object.prototype`: a method
/// so named gets `Op` after it.
const RESERVED: [&str; 9] = [
    "then",
    "constructor",
    "__proto__",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
    "toLocaleString",
    "new",
];

/// The words of `text`: runs of ASCII letters and digits, also split where
/// a lowercase letter or digit meets an uppercase one (`getHTTPResponse`
/// -> get, HTTPResponse).
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            previous_lower = false;
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `issues/create` -> `issuesCreate`; `ListPets` -> `listPets`; a name
/// starting with a digit gets `op` before it; empty when there are no
/// letters or digits.
pub(crate) fn camel_case(text: &str) -> String {
    let mut out = String::new();
    for word in words(text) {
        if out.is_empty() {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_lowercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(&capitalized(&word));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("op{}", capitalized(&out));
    }
    cut(out)
}

/// `pet-status` -> `PetStatus`; `_` when there are no letters or digits.
pub(crate) fn pascal_case(text: &str) -> String {
    let mut out: String = words(text).iter().map(|w| capitalized(w)).collect();
    if out.is_empty() {
        out.push('_');
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    cut(out)
}

fn cut(mut name: String) -> String {
    if name.len() > MAX_NAME_CHARS {
        // ASCII only: any index is a boundary.
        name.truncate(MAX_NAME_CHARS);
    }
    name
}

/// The method name an operation gets before collisions: its operationId in
/// camelCase, else `method` and the path's words (`{id}` as `ById`).
pub(crate) fn base_method_name(operation_id: Option<&str>, method: &str, path: &str) -> String {
    let from_id = operation_id.map(camel_case).unwrap_or_default();
    let name = if from_id.is_empty() {
        let mut text = method.to_ascii_lowercase();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    text.push_str(" by ");
                    text.push_str(param);
                }
                None => {
                    text.push(' ');
                    text.push_str(segment);
                }
            }
        }
        camel_case(&text)
    } else {
        from_id
    };
    if RESERVED.contains(&name.as_str()) {
        format!("{name}Op")
    } else {
        name
    }
}

/// Hands out names, each once: a name already given gets the smallest
/// number from 2 up that makes it fresh.
#[derive(Default)]
pub(crate) struct NameSet {
    given: HashSet<String>,
}

impl NameSet {
    /// `base`, or `base2`, `base3` ... when taken.
    pub(crate) fn fresh(&mut self, base: &str) -> String {
        if self.given.insert(base.to_owned()) {
            return base.to_owned();
        }
        let mut n = 2usize;
        loop {
            let candidate = format!("{base}{n}");
            if self.given.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_become_camel_case_identifiers() {
        assert_eq!(base_method_name(Some("issues/create"), "post", "/x"), "issuesCreate");
        assert_eq!(
            base_method_name(Some("repos/get-content"), "get", "/x"),
            "reposGetContent"
        );
        assert_eq!(base_method_name(Some("ListPets"), "get", "/x"), "listPets");
        assert_eq!(base_method_name(Some("get_user by-ID"), "get", "/x"), "getUserByID");
        assert_eq!(base_method_name(Some("2fa.check"), "get", "/x"), "op2faCheck");
        assert_eq!(base_method_name(Some("then"), "get", "/x"), "thenOp");
        assert_eq!(base_method_name(Some("Ünïcode"), "get", "/x"), "nCode");
    }

    #[test]
    fn names_are_derived_from_method_and_path_without_an_operation_id() {
        assert_eq!(base_method_name(None, "GET", "/pets/{petId}"), "getPetsByPetId");
        assert_eq!(base_method_name(Some("!!"), "post", "/pets"), "postPets");
        assert_eq!(base_method_name(None, "get", "/"), "get");
    }

    #[test]
    fn collisions_get_numbers_in_order() {
        let mut names = NameSet::default();
        assert_eq!(names.fresh("listPets"), "listPets");
        assert_eq!(names.fresh("listPets"), "listPets2");
        assert_eq!(names.fresh("listPets2"), "listPets22");
        assert_eq!(names.fresh("listPets"), "listPets3");
    }

    #[test]
    fn type_names_are_pascal_case() {
        assert_eq!(pascal_case("pet-status"), "PetStatus");
        assert_eq!(pascal_case("simple-user"), "SimpleUser");
        assert_eq!(pascal_case("2xx"), "_2xx");
        assert_eq!(pascal_case("***"), "_");
    }
}
