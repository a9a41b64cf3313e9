//! Percent-encoding (the URL standard's encode sets) and the
//! application/x-www-form-urlencoded format.

/// The percent-encode sets, each a superset of the one before.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum EncodeSet {
    /// C0 controls and everything above U+007E.
    C0Control,
    /// C0Control and space `"` `<` `>` `` ` ``.
    Fragment,
    /// C0Control and space `"` `#` `<` `>`.
    Query,
    /// Query and `'`.
    SpecialQuery,
    /// Query and `?` `^` `` ` `` `{` `}` (`^` since whatwg/url 9bc33c3,
    /// March 2025).
    Path,
    /// Path and `/` `:` `;` `=` `@` `[` `\` `]` `|`.
    Userinfo,
    /// Userinfo and `$` `%` `&` `+` `,`.
    Component,
    /// Component and `!` `'` `(` `)` `~` (the form-urlencoded set).
    Form,
}

/// Whether the ASCII byte `b` is in `set` (every non-ASCII byte is).
fn contains(set: EncodeSet, b: u8) -> bool {
    use EncodeSet::*;
    if b <= 0x1f || b > 0x7e {
        return true;
    }
    match set {
        C0Control => false,
        Fragment => matches!(b, b' ' | b'"' | b'<' | b'>' | b'`'),
        Query => matches!(b, b' ' | b'"' | b'#' | b'<' | b'>'),
        SpecialQuery => b == b'\'' || contains(Query, b),
        Path => matches!(b, b'?' | b'^' | b'`' | b'{' | b'}') || contains(Query, b),
        Userinfo => matches!(b, b'/' | b':' | b';' | b'=' | b'@' | b'[' | b'\\' | b']' | b'|') || contains(Path, b),
        Component => matches!(b, b'$' | b'%' | b'&' | b'+' | b',') || contains(Userinfo, b),
        Form => matches!(b, b'!' | b'\'' | b'(' | b')' | b'~') || contains(Component, b),
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// Appends `c`, UTF-8 percent-encoded with `set`, to `out`.
pub fn encode_char(out: &mut String, c: char, set: EncodeSet) {
    if c.is_ascii() && !contains(set, c as u8) {
        out.push(c);
        return;
    }
    let mut bytes = [0; 4];
    for &b in c.encode_utf8(&mut bytes).as_bytes() {
        push_escaped(out, b);
    }
}

/// `text`, UTF-8 percent-encoded with `set`.
pub fn encode(text: &str, set: EncodeSet) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        encode_char(&mut out, c, set);
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decodes bytes: `%` and two hex digits become that byte; anything
/// else, a lone `%` included, stays as it is.
pub fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && i + 2 < input.len()
            && let (Some(high), Some(low)) = (hex_value(input[i + 1]), hex_value(input[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// The application/x-www-form-urlencoded parser: name-value pairs, `+` as
/// space, invalid UTF-8 as U+FFFD.
pub fn form_parse(input: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for sequence in input.as_bytes().split(|&b| b == b'&') {
        if sequence.is_empty() {
            continue;
        }
        let (name, value) = match sequence.iter().position(|&b| b == b'=') {
            Some(at) => (&sequence[..at], &sequence[at + 1..]),
            None => (sequence, &[][..]),
        };
        let unplus = |bytes: &[u8]| -> Vec<u8> { bytes.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect() };
        let name = String::from_utf8_lossy(&decode(&unplus(name))).into_owned();
        let value = String::from_utf8_lossy(&decode(&unplus(value))).into_owned();
        pairs.push((name, value));
    }
    pairs
}

fn form_encode(out: &mut String, text: &str) {
    for c in text.chars() {
        if c == ' ' {
            out.push('+');
        } else {
            encode_char(out, c, EncodeSet::Form);
        }
    }
}

/// The application/x-www-form-urlencoded serialiser.
pub fn form_serialize<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.enumerate() {
        if i > 0 {
            out.push('&');
        }
        form_encode(&mut out, name);
        out.push('=');
        form_encode(&mut out, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nest_and_encode_utf8() {
        assert_eq!(
            encode("a b\"#<>?`{}é", EncodeSet::Path),
            "a%20b%22%23%3C%3E%3F%60%7B%7D%C3%A9"
        );
        assert_eq!(encode("a b'", EncodeSet::SpecialQuery), "a%20b%27");
        assert_eq!(encode("a:b@c", EncodeSet::Userinfo), "a%3Ab%40c");
        assert_eq!(decode(b"%41%4a%zz%"), b"AJ%zz%");
    }

    #[test]
    fn caret_is_in_the_path_set_and_the_sets_above_it() {
        // The path percent-encode set gained U+005E (^); the userinfo set
        // (and so component and form) keeps it through the path set.
        assert_eq!(encode("a^b", EncodeSet::Path), "a%5Eb");
        assert_eq!(encode("a^b", EncodeSet::Userinfo), "a%5Eb");
        assert_eq!(encode("a^b", EncodeSet::Component), "a%5Eb");
        assert_eq!(encode("a^b", EncodeSet::Form), "a%5Eb");
        // The sets below the path set leave it alone.
        for set in [
            EncodeSet::C0Control,
            EncodeSet::Fragment,
            EncodeSet::Query,
            EncodeSet::SpecialQuery,
        ] {
            assert_eq!(encode("a^b", set), "a^b");
        }
    }

    #[test]
    fn forms_round_trip() {
        let pairs = form_parse("a=b+c&&d%20e=%F0%9F%98%80&f&=g&%FF=");
        assert_eq!(
            pairs,
            [("a", "b c"), ("d e", "😀"), ("f", ""), ("", "g"), ("\u{fffd}", "")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(form_serialize([("a b", "~*!'")].into_iter()), "a+b=%7E*%21%27");
    }
}
