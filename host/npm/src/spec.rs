//! Dependencies as users write them: `zod@^4`, `@scope/name@1.x`,
//! `lodash-es` (the `latest` tag), `zod@next` (another tag), and package
//! names checked as npm checks them, since a name becomes a directory.

use std::fmt;

use nodejs_semver::Range;

use crate::error::{NpmError, NpmErrorKind};

/// Longest package name npm accepts.
const MAX_NAME_BYTES: usize = 214;

/// One dependency: a package name and what versions of it are wanted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dependency {
    name: String,
    /// The version part as written (`^4`, `1.2.3`, `latest`).
    wanted: String,
}

/// What a dependency's version part asks for.
#[derive(Clone, Debug)]
pub(crate) enum Wanted {
    Range(Range),
    Tag(String),
}

/// Whether the package `name` matches `pattern`: the exact name,
/// `@scope/*` (every package of the scope) or `*` (every package).
///
/// ```
/// use isobox_npm::name_matches;
/// assert!(name_matches("@hono/*", "@hono/zod-validator"));
/// assert!(!name_matches("@hono/*", "hono"));
/// assert!(name_matches("*", "zod") && !name_matches("zod", "zod-extra"));
/// ```
pub fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix("/*") {
        _ if pattern == "*" => true,
        Some(scope) => scope.starts_with('@') && name.strip_prefix(scope).is_some_and(|rest| rest.starts_with('/')),
        None => pattern == name,
    }
}

/// Whether `pattern` is a package pattern [`name_matches`] understands: a
/// package name, `@scope/*` or `*`.
pub fn is_name_pattern(pattern: &str) -> bool {
    let scope = pattern.strip_suffix("/*");
    pattern == "*"
        || scope.is_some_and(|scope| scope.len() > 1 && scope.starts_with('@') && !scope.contains('/'))
        || Dependency::new(pattern, "latest").is_ok()
}

impl Dependency {
    /// Parses `NAME`, `NAME@RANGE` or `NAME@TAG` (`@scope/name@^1`).
    ///
    /// ```
    /// let dep = isobox_npm::Dependency::parse("@hono/zod-validator@^0.4").unwrap();
    /// assert_eq!(dep.name(), "@hono/zod-validator");
    /// assert_eq!(dep.wanted(), "^0.4");
    /// assert_eq!(isobox_npm::Dependency::parse("zod").unwrap().wanted(), "latest");
    /// ```
    ///
    /// # Errors
    /// [`NpmErrorKind::BadSpec`] for a name npm would refuse, or a version
    /// part that is neither a semver range nor a tag (`file:`, `git+...`,
    /// URLs and `workspace:` are not installable from a registry).
    pub fn parse(spec: &str) -> Result<Dependency, NpmError> {
        let spec = spec.trim();
        let split = if let Some(rest) = spec.strip_prefix('@') {
            rest.find('@').map(|at| at + 1)
        } else {
            spec.find('@')
        };
        let (name, wanted) = match split {
            Some(at) => (&spec[..at], &spec[at + 1..]),
            None => (spec, "latest"),
        };
        Dependency::new(name, if wanted.is_empty() { "latest" } else { wanted })
    }

    /// A dependency from a `package.json` entry (`"zod": "^4"`).
    ///
    /// # Errors
    /// As [`Dependency::parse`].
    pub fn new(name: &str, wanted: &str) -> Result<Dependency, NpmError> {
        check_name(name)?;
        let wanted = wanted.trim();
        let wanted = if wanted.is_empty() { "latest" } else { wanted };
        parse_wanted(name, wanted)?;
        Ok(Dependency {
            name: name.to_owned(),
            wanted: wanted.to_owned(),
        })
    }

    /// The package's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version part as written.
    pub fn wanted(&self) -> &str {
        &self.wanted
    }

    pub(crate) fn parsed(&self) -> Wanted {
        // Checked in `new`.
        parse_wanted(&self.name, &self.wanted).unwrap_or(Wanted::Tag("latest".into()))
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.wanted)
    }
}

fn parse_wanted(name: &str, wanted: &str) -> Result<Wanted, NpmError> {
    for (prefix, what) in [
        ("file:", "a local path"),
        ("link:", "a local link"),
        ("workspace:", "a workspace package"),
        ("git", "a git repository"),
        ("github:", "a GitHub repository"),
        ("http:", "a URL"),
        ("https:", "a URL"),
        ("npm:", "an alias"),
    ] {
        if wanted.starts_with(prefix) {
            return Err(NpmError::new(
                NpmErrorKind::BadSpec,
                format!(
                    "{name}@{wanted}: {what} ({prefix}) cannot be installed; \
                     name a version range or tag from the registry, such as {name}@^1"
                ),
            ));
        }
    }
    if let Ok(range) = Range::parse(wanted) {
        return Ok(Wanted::Range(range));
    }
    let tag_ok = wanted.len() <= 64
        && wanted
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !wanted.starts_with(|c: char| c.is_ascii_digit() || c == 'v');
    if tag_ok {
        Ok(Wanted::Tag(wanted.to_owned()))
    } else {
        Err(NpmError::new(
            NpmErrorKind::BadSpec,
            format!("{name}@{wanted}: not a semver range or a dist-tag"),
        ))
    }
}

/// Checks a package name as npm's rules for new packages do, loosened for
/// old names with capitals: at most 214 bytes, URL-safe characters, no
/// leading dot or underscore, `@scope/name` at most.
pub(crate) fn check_name(name: &str) -> Result<(), NpmError> {
    let bad = |why: &str| {
        Err(NpmError::new(
            NpmErrorKind::BadSpec,
            format!("{:?} is not a valid package name: {why}", crate::error::clip(name, 80)),
        ))
    };
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return bad("it must be 1 to 214 bytes");
    }
    let parts: Vec<&str> = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) => vec![scope, rest],
            None => return bad("a scoped name is @scope/name"),
        },
        None => vec![name],
    };
    for part in parts {
        if part.is_empty() {
            return bad("an empty scope or name");
        }
        if part.starts_with('.') || part.starts_with('_') {
            return bad("it may not start with . or _");
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return bad("only letters, digits and - . _ ~ are allowed");
        }
    }
    Ok(())
}

/// The package name and the subpath of a bare specifier:
/// `@scope/pkg/sub/x.js` is (`@scope/pkg`, `./sub/x.js`); `zod` is
/// (`zod`, `.`).
pub(crate) fn split_bare(specifier: &str) -> Option<(&str, String)> {
    let end = if specifier.starts_with('@') {
        let slash = specifier.find('/')?;
        specifier[slash + 1..]
            .find('/')
            .map_or(specifier.len(), |i| slash + 1 + i)
    } else {
        specifier.find('/').unwrap_or(specifier.len())
    };
    let name = &specifier[..end];
    check_name(name).ok()?;
    let rest = &specifier[end..];
    Some((
        name,
        if rest.is_empty() {
            ".".into()
        } else {
            format!(".{rest}")
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_scopes_ranges_and_tags() {
        let cases = [
            ("zod@^4", "zod", "^4"),
            ("zod", "zod", "latest"),
            ("zod@", "zod", "latest"),
            ("@scope/pkg", "@scope/pkg", "latest"),
            ("@scope/pkg@1.2.3 || 2", "@scope/pkg", "1.2.3 || 2"),
            ("date-fns@next", "date-fns", "next"),
            ("a@>=1 <3", "a", ">=1 <3"),
        ];
        for (spec, name, wanted) in cases {
            let dep = Dependency::parse(spec).unwrap();
            assert_eq!((dep.name(), dep.wanted()), (name, wanted), "{spec}");
        }
    }

    #[test]
    fn bad_names_and_uninstallable_specs_are_refused() {
        for bad in [
            "../evil",
            "a/b",
            "@scope",
            "@/x",
            ".hidden",
            "_x",
            "a b",
            "zod@file:../z",
            "zod@git+https://x",
            "zod@npm:other@1",
            "zod@!!",
            "",
        ] {
            let error = Dependency::parse(bad).unwrap_err();
            assert_eq!(error.kind(), NpmErrorKind::BadSpec, "{bad}: {error}");
        }
        assert!(Dependency::parse(&"a".repeat(215)).is_err());
    }

    #[test]
    fn bare_specifiers_split_into_name_and_subpath() {
        assert_eq!(split_bare("zod"), Some(("zod", ".".into())));
        assert_eq!(split_bare("zod/v4/mini"), Some(("zod", "./v4/mini".into())));
        assert_eq!(split_bare("@a/b"), Some(("@a/b", ".".into())));
        assert_eq!(split_bare("@a/b/c.js"), Some(("@a/b", "./c.js".into())));
        assert_eq!(split_bare("@a"), None);
        assert_eq!(split_bare("../x"), None);
    }
}
