//! Workspace paths: absolute, `/`-separated, normalised before any use.
//! `.` and empty segments vanish; `..` goes up and may not pass the root;
//! NUL, names over 255 bytes, paths over 4,096 bytes and more than 128
//! levels are refused.

use super::{FsCode, FsError};

/// The longest name of one entry, in bytes.
pub const MAX_NAME_BYTES: usize = 255;
/// The longest path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// The deepest path, in levels below the root.
pub const MAX_DEPTH: usize = 128;

/// Normalises `path` (relative paths are taken from the root): `/a/./b/../c`
/// is `/a/c`.
///
/// # Errors
/// `EINVAL` for NUL or a `..` above the root; `ENAMETOOLONG` past the
/// limits.
pub fn normalize(path: &str) -> Result<String, FsError> {
    if path.contains('\0') {
        return Err(FsError::invalid(
            &path.replace('\0', "\\0"),
            "a path must not contain NUL",
        ));
    }
    if path.len() > MAX_PATH_BYTES * 4 {
        return Err(FsError::new(
            FsCode::ENAMETOOLONG,
            "",
            format!("a path may have at most {MAX_PATH_BYTES} bytes"),
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(FsError::invalid(
                        path,
                        "the path leaves the workspace (`..` above the root)",
                    ));
                }
            }
            name => {
                if name.len() > MAX_NAME_BYTES {
                    return Err(FsError::new(
                        FsCode::ENAMETOOLONG,
                        path,
                        format!("a name may have at most {MAX_NAME_BYTES} bytes"),
                    ));
                }
                parts.push(name);
            }
        }
    }
    if parts.len() > MAX_DEPTH {
        return Err(FsError::new(
            FsCode::ENAMETOOLONG,
            "",
            format!("a path may be at most {MAX_DEPTH} levels deep"),
        ));
    }
    let normal = format!("/{}", parts.join("/"));
    if normal.len() > MAX_PATH_BYTES {
        return Err(FsError::new(
            FsCode::ENAMETOOLONG,
            "",
            format!("a path may have at most {MAX_PATH_BYTES} bytes"),
        ));
    }
    Ok(normal)
}

/// The parent of a normalised path (the root is its own parent).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// The last name of a normalised path (empty for the root).
pub fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or("")
}

/// `dir` joined with `name`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `path` is `dir` or below it.
pub fn within(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// The lower bound of `dir`'s descendants in byte order (`/a/`); every
/// descendant is at or above it and starts with it.
pub fn descendants_from(dir: &str) -> String {
    if dir == "/" { "/".to_owned() } else { format!("{dir}/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(normalize("a/./b//c/../d").unwrap(), "/a/b/d");
        assert_eq!(normalize("/").unwrap(), "/");
        assert_eq!(normalize("").unwrap(), "/");
        assert_eq!(normalize("../x").unwrap_err().code, FsCode::EINVAL);
        assert_eq!(normalize("/a/../../x").unwrap_err().code, FsCode::EINVAL);
        assert_eq!(normalize("a\0b").unwrap_err().code, FsCode::EINVAL);
        assert_eq!(normalize(&"n".repeat(256)).unwrap_err().code, FsCode::ENAMETOOLONG);
        assert_eq!(normalize(&"d/".repeat(10_000)).unwrap_err().code, FsCode::ENAMETOOLONG);
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(name("/a/b"), "b");
        assert!(within("/a/b", "/a") && !within("/ab", "/a") && within("/x", "/"));
    }
}
