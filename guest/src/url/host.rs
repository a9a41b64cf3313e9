//! Hosts (URL standard §3): the host parser with its IPv4, IPv6, opaque-host
//! and domain branches, and host serialisation. Non-ASCII domains go through
//! UTS #46 (the `idna` crate's "domain to ASCII", with the URL forbidden code
//! points); ASCII ones are only lowercased (the standard's domain parser).

use std::fmt::Write;

use super::percent::{self, EncodeSet};

/// A parsed host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// An ASCII domain (special schemes).
    Domain(String),
    Ipv4(u32),
    Ipv6([u16; 8]),
    /// A percent-encoded host of a non-special URL.
    Opaque(String),
    /// The empty host (`file:///`, `sc:///`).
    Empty,
}

impl Host {
    /// The host serialiser.
    pub fn serialize(&self) -> String {
        match self {
            Host::Domain(text) | Host::Opaque(text) => text.clone(),
            Host::Ipv4(address) => {
                let [a, b, c, d] = address.to_be_bytes();
                format!("{a}.{b}.{c}.{d}")
            }
            Host::Ipv6(pieces) => format!("[{}]", serialize_ipv6(pieces)),
            Host::Empty => String::new(),
        }
    }
}

/// Code points no host may contain.
fn is_forbidden_host(c: char) -> bool {
    matches!(
        c,
        '\0' | '\t' | '\n' | '\r' | ' ' | '#' | '/' | ':' | '<' | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '|'
    )
}

/// The host parser; `is_opaque` for URLs whose scheme is not special.
pub fn parse(input: &str, is_opaque: bool) -> Option<Host> {
    if let Some(inside) = input.strip_prefix('[') {
        return parse_ipv6(inside.strip_suffix(']')?).map(Host::Ipv6);
    }
    if is_opaque {
        if input.chars().any(is_forbidden_host) {
            return None;
        }
        if input.is_empty() {
            return Some(Host::Empty);
        }
        return Some(Host::Opaque(percent::encode(input, EncodeSet::C0Control)));
    }
    let decoded = percent::decode(input.as_bytes());
    let domain = String::from_utf8_lossy(&decoded);
    let ascii = parse_domain(&domain)?;
    if ends_in_a_number(&ascii) {
        return parse_ipv4(&ascii).map(Host::Ipv4);
    }
    Some(Host::Domain(ascii))
}

/// The domain parser with beStrict false (URL standard §3.3, as of
/// whatwg/url a8d5ca3, June 2026).
///
/// An ASCII domain is only lowercased, whatever UTS #46 ToASCII makes of
/// it: for web compatibility its failures (invalid Punycode in an `xn--`
/// label, Punycode that decodes to mapped or disallowed code points, the
/// bidi and joiner rules) are validation errors, not failures. Any other
/// domain goes through ToASCII (CheckHyphens, UseSTD3ASCIIRules and
/// VerifyDnsLength false, CheckBidi and CheckJoiners true, nontransitional,
/// IgnoreInvalidPunycode false), whose failure fails the domain. Either way
/// an empty result, or one with a forbidden domain code point, fails.
fn parse_domain(domain: &str) -> Option<String> {
    let result = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::URL)
            .ok()?
            .into_owned()
    };
    if result.is_empty() || result.chars().any(is_forbidden_domain) {
        return None;
    }
    Some(result)
}

/// A forbidden host code point, a C0 control, `%` or U+007F DELETE.
fn is_forbidden_domain(c: char) -> bool {
    is_forbidden_host(c) || c <= '\u{1f}' || c == '%' || c == '\u{7f}'
}

/// Whether the last label is a number, which makes the host an IPv4
/// address (or a failure).
fn ends_in_a_number(input: &str) -> bool {
    let mut parts: Vec<&str> = input.split('.').collect();
    if parts.last() == Some(&"") {
        if parts.len() == 1 {
            return false;
        }
        parts.pop();
    }
    let last = parts.last().copied().unwrap_or_default();
    (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit())) || parse_ipv4_number(last).is_some()
}

/// One IPv4 part: decimal, `0x` hex or `0` octal. Saturates instead of
/// overflowing: any such value is out of range anyway.
fn parse_ipv4_number(input: &str) -> Option<u64> {
    if input.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = input.strip_prefix("0x").or_else(|| input.strip_prefix("0X")) {
        (hex, 16)
    } else if input.len() >= 2 && input.starts_with('0') {
        (&input[1..], 8)
    } else {
        (input, 10)
    };
    let mut value: u64 = 0;
    for c in digits.chars() {
        let digit = c.to_digit(radix)?;
        value = value.saturating_mul(u64::from(radix)).saturating_add(u64::from(digit));
    }
    Some(value)
}

/// The IPv4 parser: one to four parts, the last filling the rest.
fn parse_ipv4(input: &str) -> Option<u32> {
    let mut parts: Vec<&str> = input.split('.').collect();
    if parts.last() == Some(&"") && parts.len() > 1 {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts.iter().map(|p| parse_ipv4_number(p)).collect::<Option<_>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|&n| n > 255) || *last >= 256u64.pow(5 - numbers.len() as u32) {
        return None;
    }
    let mut address = *last;
    for (i, n) in leading.iter().enumerate() {
        address += n * 256u64.pow(3 - i as u32);
    }
    u32::try_from(address).ok()
}

/// The IPv6 parser, with `::` compression and a trailing IPv4 part.
fn parse_ipv6(input: &str) -> Option<[u16; 8]> {
    let chars: Vec<char> = input.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut address = [0u16; 8];
    let mut piece = 0;
    let mut compress = None;
    let mut pointer = 0;
    if at(0) == Some(':') {
        if at(1) != Some(':') {
            return None;
        }
        pointer = 2;
        piece = 1;
        compress = Some(1);
    }
    while at(pointer).is_some() {
        if piece == 8 {
            return None;
        }
        if at(pointer) == Some(':') {
            if compress.is_some() {
                return None;
            }
            pointer += 1;
            piece += 1;
            compress = Some(piece);
            continue;
        }
        let mut value: u32 = 0;
        let mut length = 0;
        while length < 4 {
            let Some(digit) = at(pointer).and_then(|c| c.to_digit(16)) else {
                break;
            };
            value = value * 16 + digit;
            pointer += 1;
            length += 1;
        }
        match at(pointer) {
            Some('.') => {
                if length == 0 || piece > 6 {
                    return None;
                }
                pointer -= length;
                let mut numbers_seen = 0;
                while at(pointer).is_some() {
                    if numbers_seen > 0 {
                        if at(pointer) == Some('.') && numbers_seen < 4 {
                            pointer += 1;
                        } else {
                            return None;
                        }
                    }
                    at(pointer).filter(char::is_ascii_digit)?;
                    let mut ipv4_piece: Option<u32> = None;
                    while let Some(digit) = at(pointer).and_then(|c| c.to_digit(10)) {
                        ipv4_piece = match ipv4_piece {
                            None => Some(digit),
                            Some(0) => return None,
                            Some(n) => Some(n * 10 + digit),
                        };
                        if ipv4_piece > Some(255) {
                            return None;
                        }
                        pointer += 1;
                    }
                    address[piece] = address[piece] * 0x100 + ipv4_piece? as u16;
                    numbers_seen += 1;
                    if numbers_seen == 2 || numbers_seen == 4 {
                        piece += 1;
                    }
                }
                if numbers_seen != 4 {
                    return None;
                }
                break;
            }
            Some(':') => {
                pointer += 1;
                at(pointer)?;
            }
            Some(_) => return None,
            None => {}
        }
        address[piece] = value as u16;
        piece += 1;
    }
    match compress {
        Some(compress) => {
            let mut swaps = piece - compress;
            let mut index = 7;
            while index != 0 && swaps > 0 {
                address.swap(index, compress + swaps - 1);
                index -= 1;
                swaps -= 1;
            }
        }
        None if piece != 8 => return None,
        None => {}
    }
    Some(address)
}

/// Lower-case hex pieces, the first longest run of two or more zero pieces
/// written as `::`.
fn serialize_ipv6(pieces: &[u16; 8]) -> String {
    let mut compress = None;
    let mut longest = 1;
    let mut i = 0;
    while i < 8 {
        if pieces[i] == 0 {
            let start = i;
            while i < 8 && pieces[i] == 0 {
                i += 1;
            }
            if i - start > longest {
                longest = i - start;
                compress = Some(start);
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut skipping = false;
    for (i, piece) in pieces.iter().enumerate() {
        if skipping && *piece == 0 {
            continue;
        }
        skipping = false;
        if compress == Some(i) {
            out.push_str(if i == 0 { "::" } else { ":" });
            skipping = true;
            continue;
        }
        let _ = write!(out, "{piece:x}");
        if i != 7 {
            out.push(':');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_spellings() {
        assert_eq!(parse("0x7f.1", false), Some(Host::Ipv4(0x7f00_0001)));
        assert_eq!(parse("2130706433", false), Some(Host::Ipv4(0x7f00_0001)));
        assert_eq!(parse("0177.0.0.1", false), Some(Host::Ipv4(0x7f00_0001)));
        assert_eq!(parse("1.2.3.256", false), None);
        assert_eq!(parse("4294967296", false), None);
        assert_eq!(parse("example.1a", false), Some(Host::Domain("example.1a".into())));
    }

    #[test]
    fn ipv6_parse_and_serialize() {
        let host = parse("[0:0:0:0:0:ffff:7f00:1]", false).unwrap();
        assert_eq!(host.serialize(), "[::ffff:7f00:1]");
        assert_eq!(
            parse("[::ffff:127.0.0.1]", false).unwrap().serialize(),
            "[::ffff:7f00:1]"
        );
        assert_eq!(parse("[1:0:0:2::3:0]", false).unwrap().serialize(), "[1::2:0:0:3:0]");
        assert_eq!(parse("[1::2::3]", false), None);
        assert_eq!(parse("[::1.2.3.]", false), None);
    }

    #[test]
    fn domains_and_opaque_hosts() {
        assert_eq!(parse("EXAMPLE.com", false), Some(Host::Domain("example.com".into())));
        assert_eq!(
            parse("b\u{fc}cher.de", false),
            Some(Host::Domain("xn--bcher-kva.de".into()))
        );
        assert_eq!(parse("a b", false), None);
        assert_eq!(parse("%41", true), Some(Host::Opaque("%41".into())));
        assert_eq!(parse("a<b", true), None);
    }

    #[test]
    fn ascii_domains_are_lowercased_whatever_uts46_says() {
        let domain = |text: &str| Some(Host::Domain(text.to_owned()));
        // Invalid Punycode, and Punycode that decodes to something UTS #46
        // refuses (mapped fullwidth letters, a joiner, a bidi failure),
        // pass when the whole domain is ASCII.
        assert_eq!(parse("xn--a", false), domain("xn--a"));
        assert_eq!(parse("xn--", false), domain("xn--"));
        assert_eq!(parse("XN--8I7CAA", false), domain("xn--8i7caa"));
        assert_eq!(parse("xn--1ug.example", false), domain("xn--1ug.example"));
        assert_eq!(parse("2.xn--mgbb", false), domain("2.xn--mgbb"));
        assert_eq!(parse("a.b.c.Xn--pokxncvks", false), domain("a.b.c.xn--pokxncvks"));
        assert_eq!(parse("10.0.0.xn--pokxncvks", false), domain("10.0.0.xn--pokxncvks"));
        assert_eq!(parse("xn--ls8h=", false), domain("xn--ls8h="));
        // Percent-decoding comes first: this is the ASCII domain `xn--a`.
        assert_eq!(parse("xn--%61", false), domain("xn--a"));
        // A valid Punycode label is unchanged, lowercased.
        assert_eq!(parse("XN--ZCA.Example", false), domain("xn--zca.example"));
    }

    #[test]
    fn non_ascii_domains_and_forbidden_code_points_still_fail() {
        // One non-ASCII code point anywhere puts the domain through
        // ToASCII, which refuses the invalid label.
        assert_eq!(parse("xn--a.\u{df}", false), None);
        assert_eq!(parse("xn--te\u{161}la", false), None);
        assert_eq!(parse("\u{200d}.example", false), None);
        // Invalid UTF-8 decodes to U+FFFD, which ToASCII refuses.
        assert_eq!(parse("%FF.example", false), None);
        // Forbidden domain code points, ASCII or not, percent-encoded or not.
        for input in [
            "exa%23mple",
            "a%25b",
            "a%7Fb",
            "a%00b",
            "a%01b",
            "a^b",
            "a%5Eb",
            "\u{fc}%25",
        ] {
            assert_eq!(parse(input, false), None, "{input}");
        }
        // Still a number at the end: the IPv4 parser refuses it.
        assert_eq!(parse("xn--mhb.1", false), None);
        // Non-ASCII input is still mapped and encoded.
        assert_eq!(
            parse("Fa\u{df}.ExAmPlE", false),
            Some(Host::Domain("xn--fa-hia.example".into()))
        );
    }
}
