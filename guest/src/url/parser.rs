//! The URL record, the basic URL parser (URL standard §4.4, with its state
//! overrides for the setters) and the URL serialiser.

use super::host::{self, Host};
use super::percent::{self, EncodeSet};

/// A URL's path: opaque (`mailto:x`, `data:...`) or a list of segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    Opaque(String),
    List(Vec<String>),
}

/// A URL record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub username: String,
    pub password: String,
    pub host: Option<Host>,
    pub port: Option<u16>,
    pub path: Path,
    pub query: Option<String>,
    pub fragment: Option<String>,
}

/// The parser's states; the setters start in some of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    SchemeStart,
    Scheme,
    NoScheme,
    SpecialRelativeOrAuthority,
    PathOrAuthority,
    Relative,
    RelativeSlash,
    SpecialAuthoritySlashes,
    SpecialAuthorityIgnoreSlashes,
    Authority,
    Host,
    Hostname,
    Port,
    File,
    FileSlash,
    FileHost,
    PathStart,
    Path,
    OpaquePath,
    Query,
    Fragment,
}

/// The default port of a special scheme.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "ftp" => Some(21),
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

pub fn is_special(scheme: &str) -> bool {
    matches!(scheme, "ftp" | "file" | "http" | "https" | "ws" | "wss")
}

/// Two code points: an ASCII letter, then `:` or `|` (or only `:` when
/// `normalized`).
fn is_drive_letter(text: &[char], normalized: bool) -> bool {
    text.len() == 2 && text[0].is_ascii_alphabetic() && (text[1] == ':' || (!normalized && text[1] == '|'))
}

fn is_drive_letter_str(text: &str, normalized: bool) -> bool {
    let chars: Vec<char> = text.chars().take(3).collect();
    is_drive_letter(&chars, normalized)
}

/// A drive letter, then the end or one of `/` `\` `?` `#`.
fn starts_with_drive_letter(rest: &[char]) -> bool {
    rest.len() >= 2
        && is_drive_letter(&rest[..2], false)
        && (rest.len() == 2 || matches!(rest[2], '/' | '\\' | '?' | '#'))
}

fn is_single_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

fn is_double_dot(segment: &str) -> bool {
    matches!(segment.to_ascii_lowercase().as_str(), ".." | ".%2e" | "%2e." | "%2e%2e")
}

impl Url {
    fn empty() -> Url {
        Url {
            scheme: String::new(),
            username: String::new(),
            password: String::new(),
            host: None,
            port: None,
            path: Path::List(Vec::new()),
            query: None,
            fragment: None,
        }
    }

    pub fn is_special(&self) -> bool {
        is_special(&self.scheme)
    }

    pub fn has_opaque_path(&self) -> bool {
        matches!(self.path, Path::Opaque(_))
    }

    pub fn includes_credentials(&self) -> bool {
        !self.username.is_empty() || !self.password.is_empty()
    }

    /// No host, the empty host, or `file:`: such a URL has no username,
    /// password or port to set.
    pub fn cannot_have_credentials_or_port(&self) -> bool {
        matches!(self.host, None | Some(Host::Empty)) || self.scheme == "file"
    }

    fn push_segment(&mut self, segment: String) {
        if let Path::List(list) = &mut self.path {
            list.push(segment);
        }
    }

    fn shorten_path(&mut self) {
        let file = self.scheme == "file";
        if let Path::List(list) = &mut self.path {
            if file && list.len() == 1 && is_drive_letter_str(&list[0], true) {
                return;
            }
            list.pop();
        }
    }

    /// The URL path serialiser.
    pub fn pathname(&self) -> String {
        match &self.path {
            Path::Opaque(path) => path.clone(),
            Path::List(list) => list.iter().fold(String::new(), |mut out, segment| {
                out.push('/');
                out.push_str(segment);
                out
            }),
        }
    }

    /// The URL serialiser (with the fragment).
    pub fn href(&self) -> String {
        let mut out = format!("{}:", self.scheme);
        if let Some(host) = &self.host {
            out.push_str("//");
            if self.includes_credentials() {
                out.push_str(&self.username);
                if !self.password.is_empty() {
                    out.push(':');
                    out.push_str(&self.password);
                }
                out.push('@');
            }
            out.push_str(&host.serialize());
            if let Some(port) = self.port {
                out.push_str(&format!(":{port}"));
            }
        }
        if let Path::List(list) = &self.path {
            // `web+demo:/.//not-a-host/` must not read back with a host.
            if self.host.is_none() && list.len() > 1 && list[0].is_empty() {
                out.push_str("/.");
            }
        }
        out.push_str(&self.pathname());
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = &self.fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }
}

/// Parses `input` against `base`: the basic URL parser without a state
/// override. None is failure.
pub fn parse(input: &str, base: Option<&Url>) -> Option<Url> {
    let trimmed = input.trim_matches(|c: char| c <= ' ');
    let mut url = Url::empty();
    run(trimmed, &mut url, base, None).ok()?;
    Some(url)
}

/// The basic URL parser with a state override, as the setters use it:
/// changes `url` in place; false when the value was refused.
pub fn parse_into(input: &str, url: &mut Url, state: State) -> bool {
    run(input, url, None, Some(state)).is_ok()
}

/// The state machine. `Err` is failure; `Ok` is success, or an early return
/// under a state override.
fn run(input: &str, url: &mut Url, base: Option<&Url>, state_override: Option<State>) -> Result<(), ()> {
    let chars: Vec<char> = input.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let len = chars.len() as isize;
    let at = |i: isize| -> Option<char> {
        if i >= 0 && i < len {
            Some(chars[i as usize])
        } else {
            None
        }
    };
    let overridden = state_override.is_some();
    let mut state = state_override.unwrap_or(State::SchemeStart);
    let mut buffer = String::new();
    let mut at_sign_seen = false;
    let mut inside_brackets = false;
    let mut password_token_seen = false;
    let mut pointer: isize = 0;

    loop {
        let c = at(pointer);
        let special = url.is_special();
        let ends_authority = matches!(c, None | Some('/' | '?' | '#')) || (special && c == Some('\\'));
        match state {
            State::SchemeStart => match c {
                Some(c) if c.is_ascii_alphabetic() => {
                    buffer.push(c.to_ascii_lowercase());
                    state = State::Scheme;
                }
                _ if !overridden => {
                    state = State::NoScheme;
                    pointer -= 1;
                }
                _ => return Err(()),
            },
            State::Scheme => match c {
                Some(c) if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {
                    buffer.push(c.to_ascii_lowercase());
                }
                Some(':') => {
                    if overridden
                        && (special != is_special(&buffer)
                            || ((url.includes_credentials() || url.port.is_some()) && buffer == "file")
                            || (url.scheme == "file" && url.host == Some(Host::Empty)))
                    {
                        return Ok(());
                    }
                    url.scheme = std::mem::take(&mut buffer);
                    if overridden {
                        if url.port.is_some() && url.port == default_port(&url.scheme) {
                            url.port = None;
                        }
                        return Ok(());
                    }
                    if url.scheme == "file" {
                        state = State::File;
                    } else if url.is_special() && base.is_some_and(|b| b.scheme == url.scheme) {
                        state = State::SpecialRelativeOrAuthority;
                    } else if url.is_special() {
                        state = State::SpecialAuthoritySlashes;
                    } else if at(pointer + 1) == Some('/') {
                        state = State::PathOrAuthority;
                        pointer += 1;
                    } else {
                        url.path = Path::Opaque(String::new());
                        state = State::OpaquePath;
                    }
                }
                _ if !overridden => {
                    buffer.clear();
                    state = State::NoScheme;
                    pointer = -1;
                }
                _ => return Err(()),
            },
            State::NoScheme => {
                let base = base.ok_or(())?;
                if base.has_opaque_path() {
                    if c != Some('#') {
                        return Err(());
                    }
                    url.scheme = base.scheme.clone();
                    url.path = base.path.clone();
                    url.query = base.query.clone();
                    url.fragment = Some(String::new());
                    state = State::Fragment;
                } else {
                    state = if base.scheme == "file" {
                        State::File
                    } else {
                        State::Relative
                    };
                    pointer -= 1;
                }
            }
            State::SpecialRelativeOrAuthority => {
                if c == Some('/') && at(pointer + 1) == Some('/') {
                    state = State::SpecialAuthorityIgnoreSlashes;
                    pointer += 1;
                } else {
                    state = State::Relative;
                    pointer -= 1;
                }
            }
            State::PathOrAuthority => {
                if c == Some('/') {
                    state = State::Authority;
                } else {
                    state = State::Path;
                    pointer -= 1;
                }
            }
            State::Relative => {
                let base = base.ok_or(())?;
                url.scheme = base.scheme.clone();
                if c == Some('/') || (url.is_special() && c == Some('\\')) {
                    state = State::RelativeSlash;
                } else {
                    url.username = base.username.clone();
                    url.password = base.password.clone();
                    url.host = base.host.clone();
                    url.port = base.port;
                    url.path = base.path.clone();
                    url.query = base.query.clone();
                    match c {
                        Some('?') => {
                            url.query = Some(String::new());
                            state = State::Query;
                        }
                        Some('#') => {
                            url.fragment = Some(String::new());
                            state = State::Fragment;
                        }
                        Some(_) => {
                            url.query = None;
                            url.shorten_path();
                            state = State::Path;
                            pointer -= 1;
                        }
                        None => {}
                    }
                }
            }
            State::RelativeSlash => {
                if special && matches!(c, Some('/' | '\\')) {
                    state = State::SpecialAuthorityIgnoreSlashes;
                } else if c == Some('/') {
                    state = State::Authority;
                } else {
                    let base = base.ok_or(())?;
                    url.username = base.username.clone();
                    url.password = base.password.clone();
                    url.host = base.host.clone();
                    url.port = base.port;
                    state = State::Path;
                    pointer -= 1;
                }
            }
            State::SpecialAuthoritySlashes => {
                state = State::SpecialAuthorityIgnoreSlashes;
                if c == Some('/') && at(pointer + 1) == Some('/') {
                    pointer += 1;
                } else {
                    pointer -= 1;
                }
            }
            State::SpecialAuthorityIgnoreSlashes => {
                if !matches!(c, Some('/' | '\\')) {
                    state = State::Authority;
                    pointer -= 1;
                }
            }
            State::Authority => {
                if c == Some('@') {
                    if at_sign_seen {
                        buffer.insert_str(0, "%40");
                    }
                    at_sign_seen = true;
                    for code_point in buffer.chars() {
                        if code_point == ':' && !password_token_seen {
                            password_token_seen = true;
                            continue;
                        }
                        let target = if password_token_seen {
                            &mut url.password
                        } else {
                            &mut url.username
                        };
                        percent::encode_char(target, code_point, EncodeSet::Userinfo);
                    }
                    buffer.clear();
                } else if ends_authority {
                    if at_sign_seen && buffer.is_empty() {
                        return Err(());
                    }
                    pointer -= buffer.chars().count() as isize + 1;
                    buffer.clear();
                    state = State::Host;
                } else if let Some(c) = c {
                    buffer.push(c);
                }
            }
            State::Host | State::Hostname => {
                if overridden && url.scheme == "file" {
                    pointer -= 1;
                    state = State::FileHost;
                } else if c == Some(':') && !inside_brackets {
                    if buffer.is_empty() || state_override == Some(State::Hostname) {
                        return Err(());
                    }
                    url.host = Some(host::parse(&buffer, !special).ok_or(())?);
                    buffer.clear();
                    state = State::Port;
                } else if ends_authority {
                    pointer -= 1;
                    if special && buffer.is_empty() {
                        return Err(());
                    }
                    if overridden && buffer.is_empty() && (url.includes_credentials() || url.port.is_some()) {
                        return Err(());
                    }
                    url.host = Some(host::parse(&buffer, !special).ok_or(())?);
                    buffer.clear();
                    state = State::PathStart;
                    if overridden {
                        return Ok(());
                    }
                } else if let Some(c) = c {
                    if c == '[' {
                        inside_brackets = true;
                    } else if c == ']' {
                        inside_brackets = false;
                    }
                    buffer.push(c);
                }
            }
            State::Port => {
                if let Some(digit) = c.filter(char::is_ascii_digit) {
                    buffer.push(digit);
                } else if ends_authority || overridden {
                    if !buffer.is_empty() {
                        let port = buffer
                            .bytes()
                            .fold(0u32, |n, b| n.saturating_mul(10).saturating_add(u32::from(b - b'0')));
                        let port = u16::try_from(port).map_err(|_| ())?;
                        url.port = if Some(port) == default_port(&url.scheme) {
                            None
                        } else {
                            Some(port)
                        };
                        buffer.clear();
                        if overridden {
                            return Ok(());
                        }
                    }
                    // Under a state override, no digits is a failure
                    // (whatwg/url cc8b776, for URLPattern; the URL setters
                    // ignore the outcome, so they do not see it).
                    if overridden {
                        return Err(());
                    }
                    state = State::PathStart;
                    pointer -= 1;
                } else {
                    return Err(());
                }
            }
            State::File => {
                url.scheme = "file".to_owned();
                url.host = Some(Host::Empty);
                if matches!(c, Some('/' | '\\')) {
                    state = State::FileSlash;
                } else if let Some(base) = base.filter(|b| b.scheme == "file") {
                    url.host = base.host.clone();
                    url.path = base.path.clone();
                    url.query = base.query.clone();
                    match c {
                        Some('?') => {
                            url.query = Some(String::new());
                            state = State::Query;
                        }
                        Some('#') => {
                            url.fragment = Some(String::new());
                            state = State::Fragment;
                        }
                        Some(_) => {
                            url.query = None;
                            if starts_with_drive_letter(&chars[pointer as usize..]) {
                                url.path = Path::List(Vec::new());
                            } else {
                                url.shorten_path();
                            }
                            state = State::Path;
                            pointer -= 1;
                        }
                        None => {}
                    }
                } else {
                    state = State::Path;
                    pointer -= 1;
                }
            }
            State::FileSlash => {
                if matches!(c, Some('/' | '\\')) {
                    state = State::FileHost;
                } else {
                    if let Some(base) = base.filter(|b| b.scheme == "file") {
                        url.host = base.host.clone();
                        let rest = &chars[pointer.clamp(0, len) as usize..];
                        if let Path::List(base_path) = &base.path
                            && !starts_with_drive_letter(rest)
                            && base_path.first().is_some_and(|first| is_drive_letter_str(first, true))
                        {
                            url.push_segment(base_path[0].clone());
                        }
                    }
                    state = State::Path;
                    pointer -= 1;
                }
            }
            State::FileHost => {
                if matches!(c, None | Some('/' | '\\' | '?' | '#')) {
                    pointer -= 1;
                    if !overridden && is_drive_letter_str(&buffer, false) {
                        // The buffer is kept: the path state reads it as the
                        // first segment.
                        state = State::Path;
                    } else if buffer.is_empty() {
                        url.host = Some(Host::Empty);
                        if overridden {
                            return Ok(());
                        }
                        state = State::PathStart;
                    } else {
                        let mut host = host::parse(&buffer, !special).ok_or(())?;
                        if host == Host::Domain("localhost".to_owned()) {
                            host = Host::Empty;
                        }
                        url.host = Some(host);
                        if overridden {
                            return Ok(());
                        }
                        buffer.clear();
                        state = State::PathStart;
                    }
                } else if let Some(c) = c {
                    buffer.push(c);
                }
            }
            State::PathStart => {
                if special {
                    state = State::Path;
                    if !matches!(c, Some('/' | '\\')) {
                        pointer -= 1;
                    }
                } else if !overridden && c == Some('?') {
                    url.query = Some(String::new());
                    state = State::Query;
                } else if !overridden && c == Some('#') {
                    url.fragment = Some(String::new());
                    state = State::Fragment;
                } else if c.is_some() {
                    state = State::Path;
                    if c != Some('/') {
                        pointer -= 1;
                    }
                } else if overridden && url.host.is_none() {
                    url.push_segment(String::new());
                }
            }
            State::Path => {
                let slash = c == Some('/') || (special && c == Some('\\'));
                if c.is_none() || slash || (!overridden && matches!(c, Some('?' | '#'))) {
                    if is_double_dot(&buffer) {
                        url.shorten_path();
                        if !slash {
                            url.push_segment(String::new());
                        }
                    } else if is_single_dot(&buffer) {
                        if !slash {
                            url.push_segment(String::new());
                        }
                    } else {
                        let path_empty = matches!(&url.path, Path::List(list) if list.is_empty());
                        if url.scheme == "file" && path_empty && is_drive_letter_str(&buffer, false) {
                            buffer.replace_range(1..2, ":");
                        }
                        url.push_segment(std::mem::take(&mut buffer));
                    }
                    buffer.clear();
                    if c == Some('?') {
                        url.query = Some(String::new());
                        state = State::Query;
                    } else if c == Some('#') {
                        url.fragment = Some(String::new());
                        state = State::Fragment;
                    }
                } else if let Some(c) = c {
                    percent::encode_char(&mut buffer, c, EncodeSet::Path);
                }
            }
            State::OpaquePath => match c {
                Some('?') => {
                    url.query = Some(String::new());
                    state = State::Query;
                }
                Some('#') => {
                    url.fragment = Some(String::new());
                    state = State::Fragment;
                }
                Some(c) => {
                    // A space right before the query or the fragment is
                    // written `%20`, so that an opaque path never ends in a
                    // space: the URL then reads back the same once its query
                    // and fragment are gone (whatwg/url 6c78200).
                    if let Path::Opaque(path) = &mut url.path {
                        if c == ' ' && matches!(at(pointer + 1), Some('?' | '#')) {
                            path.push_str("%20");
                        } else {
                            percent::encode_char(path, c, EncodeSet::C0Control);
                        }
                    }
                }
                None => {}
            },
            State::Query => {
                if c.is_none() || (!overridden && c == Some('#')) {
                    let set = if special {
                        EncodeSet::SpecialQuery
                    } else {
                        EncodeSet::Query
                    };
                    let encoded = percent::encode(&buffer, set);
                    url.query.get_or_insert_with(String::new).push_str(&encoded);
                    buffer.clear();
                    if c == Some('#') {
                        url.fragment = Some(String::new());
                        state = State::Fragment;
                    }
                } else if let Some(c) = c {
                    buffer.push(c);
                }
            }
            State::Fragment => {
                if let Some(c) = c {
                    percent::encode_char(url.fragment.get_or_insert_with(String::new), c, EncodeSet::Fragment);
                }
            }
        }
        if pointer >= len {
            return Ok(());
        }
        pointer += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn href(input: &str, base: Option<&str>) -> Option<String> {
        let base = base.map(|b| parse(b, None).expect("base parses"));
        parse(input, base.as_ref()).map(|url| url.href())
    }

    #[test]
    fn parses_and_serialises() {
        assert_eq!(
            href("HTTP://EXAMPLE.com:80/a/./b/../c?x#y", None).as_deref(),
            Some("http://example.com/a/c?x#y")
        );
        assert_eq!(href("//x/y", Some("https://a/b")).as_deref(), Some("https://x/y"));
        assert_eq!(
            href("///example.org/path", Some("http://example.org/")).as_deref(),
            Some("http://example.org/path")
        );
        assert_eq!(
            href("C|/x", Some("file://host/dir/file")).as_deref(),
            Some("file://host/C:/x")
        );
        assert_eq!(href("file://localhost////foo", None).as_deref(), Some("file://////foo"));
        assert_eq!(
            href("web+demo:/.//not-a-host/", None).as_deref(),
            Some("web+demo:/.//not-a-host/")
        );
        assert_eq!(href("mailto:a b", None).as_deref(), Some("mailto:a b"));
        assert_eq!(href("http://a:99999", None), None);
        assert_eq!(href("x", None), None);
    }

    #[test]
    fn port_state_override_without_digits_fails() {
        let mut url = parse("http://example.com/p", None).unwrap();
        assert!(!parse_into("x", &mut url, State::Port));
        assert!(!parse_into("", &mut url, State::Port));
        assert_eq!(url.href(), "http://example.com/p");
        assert!(parse_into("81", &mut url, State::Port));
        assert_eq!(url.href(), "http://example.com:81/p");
        // The host state reaches the port state through `:`: the host is
        // set in place, then the empty port is a failure.
        assert!(!parse_into("example.org:", &mut url, State::Host));
        assert_eq!(url.href(), "http://example.org:81/p");
    }

    #[test]
    fn caret_is_percent_encoded_in_list_paths_only() {
        // U+005E (^) is in the path percent-encode set: encoded in path
        // segments, special or not, and left alone in opaque paths (C0
        // control set), queries and fragments.
        assert_eq!(href("http://h/a^b/^", None).as_deref(), Some("http://h/a%5Eb/%5E"));
        assert_eq!(href("foo://h/^", None).as_deref(), Some("foo://h/%5E"));
        assert_eq!(href("foo:/^", None).as_deref(), Some("foo:/%5E"));
        assert_eq!(href("^x", Some("http://h/d/f")).as_deref(), Some("http://h/d/%5Ex"));
        assert_eq!(href("file:///C:/^", None).as_deref(), Some("file:///C:/%5E"));
        assert_eq!(href("sc:^", None).as_deref(), Some("sc:^"));
        assert_eq!(href("http://h/?^#^", None).as_deref(), Some("http://h/?^#^"));
    }

    #[test]
    fn opaque_paths_encode_a_space_before_query_or_fragment() {
        let parts = |input: &str| {
            let url = parse(input, None).expect("parses");
            (url.pathname(), url.href())
        };
        // Only the space right before `?` or `#` is encoded; others stay.
        assert_eq!(parts("sc:a ?q"), ("a%20".to_owned(), "sc:a%20?q".to_owned()));
        assert_eq!(parts("sc:a #f"), ("a%20".to_owned(), "sc:a%20#f".to_owned()));
        assert_eq!(parts("sc:a  ?q"), ("a %20".to_owned(), "sc:a %20?q".to_owned()));
        assert_eq!(parts("sc: ?q"), ("%20".to_owned(), "sc:%20?q".to_owned()));
        assert_eq!(parts("sc:a b"), ("a b".to_owned(), "sc:a b".to_owned()));
        // Tabs and newlines are gone before the state machine runs, so the
        // space is still the last code point before `?`.
        assert_eq!(parts("sc:a \t\n?q"), ("a%20".to_owned(), "sc:a%20?q".to_owned()));
        // The query and the fragment themselves are not opaque paths.
        assert_eq!(parts("sc:a ?b #c"), ("a%20".to_owned(), "sc:a%20?b%20#c".to_owned()));
        assert_eq!(parts("sc:a#b ?c"), ("a".to_owned(), "sc:a#b%20?c".to_owned()));
        // A trailing space at the end of the input is trimmed with the
        // leading and trailing C0 controls and spaces, as before.
        assert_eq!(parts("sc:a  "), ("a".to_owned(), "sc:a".to_owned()));
        // A fragment-only input against an opaque-path base keeps the
        // base's (already encoded) path.
        assert_eq!(href("#x", Some("sc:a ?q")).as_deref(), Some("sc:a%20?q#x"));
    }

    #[test]
    fn setters_start_in_a_state() {
        let mut url = parse("http://example.com/p", None).unwrap();
        assert!(parse_into("8080x", &mut url, State::Port));
        assert_eq!(url.href(), "http://example.com:8080/p");
        assert!(!parse_into("a:b", &mut url, State::Hostname));
        assert!(parse_into("wss:", &mut url, State::SchemeStart));
        assert_eq!(url.href(), "wss://example.com:8080/p");
    }
}
