//! WIT names as JavaScript and TypeScript see them.
//!
//! WIT identifiers are kebab-case words, each all lowercase or all
//! uppercase (`get-user`, `HTTP-status`); wit-parser has already removed a
//! leading `%`. JavaScript sees functions, record fields, flags and
//! parameters in camelCase, types in PascalCase; enum cases, variant tags and
//! interface names stay as written in WIT.

/// `get-user` -> `getUser`, `user-ID` -> `userID`, `HTTP-status` ->
/// `HTTPStatus`: the first word as written, each later word with its first
/// letter uppercased.
pub fn camel_case(wit: &str) -> String {
    let mut out = String::with_capacity(wit.len());
    for (index, word) in wit.split('-').enumerate() {
        if index == 0 {
            out.push_str(word);
        } else {
            push_capitalised(&mut out, word);
        }
    }
    out
}

/// `user-profile` -> `UserProfile`: every word with its first letter
/// uppercased.
pub fn pascal_case(wit: &str) -> String {
    let mut out = String::with_capacity(wit.len());
    for word in wit.split('-') {
        push_capitalised(&mut out, word);
    }
    out
}

fn push_capitalised(out: &mut String, word: &str) {
    let mut chars = word.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Words that cannot name a parameter in a TypeScript declaration (reserved
/// words in strict mode, plus the few TypeScript adds). Property and method
/// names may be any of them.
const RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// A parameter name TypeScript accepts: the camelCase name, with `_`
/// appended when it is a reserved word (`in` -> `in_`).
pub fn parameter_name(wit: &str) -> String {
    let name = camel_case(wit);
    if RESERVED.contains(&name.as_str()) {
        name + "_"
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_pascal_case() {
        assert_eq!(camel_case("get"), "get");
        assert_eq!(camel_case("get-user"), "getUser");
        assert_eq!(camel_case("get-user-by-id"), "getUserById");
        assert_eq!(camel_case("user-ID"), "userID");
        assert_eq!(camel_case("HTTP-status"), "HTTPStatus");
        assert_eq!(camel_case("v2-api"), "v2Api");
        assert_eq!(pascal_case("user"), "User");
        assert_eq!(pascal_case("user-profile"), "UserProfile");
        assert_eq!(pascal_case("HTTP-error"), "HTTPError");
    }

    #[test]
    fn reserved_parameters_get_a_suffix() {
        assert_eq!(parameter_name("in"), "in_");
        assert_eq!(parameter_name("delete"), "delete_");
        assert_eq!(parameter_name("default"), "default_");
        assert_eq!(parameter_name("key"), "key");
        assert_eq!(parameter_name("in-place"), "inPlace");
    }
}
