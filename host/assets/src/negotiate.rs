//! What a request's headers ask for: a content coding (`Accept-Encoding`),
//! preconditions on entity tags (`If-Match`, `If-None-Match`, `If-Range`),
//! a byte range (`Range`), and whether it is a navigation.

use http::header::{ACCEPT, ACCEPT_ENCODING, HeaderName, IF_RANGE, RANGE};

use super::headers::RequestHeaders;

/// A content coding a file can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Br,
    Gzip,
    Identity,
}

impl Coding {
    /// The `Content-Encoding` value (`None` for identity).
    pub(crate) fn header(self) -> Option<&'static str> {
        match self {
            Coding::Br => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }
}

/// The coding to send, among those available (identity always is), by the
/// `Accept-Encoding` q-values: the highest wins; at equal q, br before
/// gzip before identity. Without the header, identity. `None` when nothing
/// available is acceptable (`identity;q=0` or `*;q=0` with no acceptable
/// variant).
///
/// A coding not listed has q 0, unless `*` is listed (then `*`'s q);
/// identity not listed is acceptable but comes last (q 0.001), unless `*`
/// is listed (then `*`'s q): a client that lists `gzip;q=0.5` gets gzip.
/// `x-gzip` is gzip. An element with a malformed q is ignored.
pub(crate) fn choose_coding<H: RequestHeaders + ?Sized>(headers: &H, br: bool, gzip: bool) -> Option<Coding> {
    let mut values = headers.values(&ACCEPT_ENCODING).into_iter().peekable();
    if values.peek().is_none() {
        return Some(Coding::Identity);
    }
    let (mut q_br, mut q_gzip, mut q_identity, mut q_star) = (None, None, None, None);
    for value in values {
        let Ok(value) = value.to_str() else { continue };
        for element in value.split(',') {
            let mut parts = element.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            if coding.is_empty() {
                continue;
            }
            let Some(q) = quality(parts) else { continue };
            let slot = match coding.as_str() {
                "br" => &mut q_br,
                "gzip" | "x-gzip" => &mut q_gzip,
                "identity" => &mut q_identity,
                "*" => &mut q_star,
                _ => continue,
            };
            // The first mention of a coding counts.
            slot.get_or_insert(q);
        }
    }
    let q_identity = q_identity.or(q_star).unwrap_or(1);
    let q_br = if br { q_br.or(q_star).unwrap_or(0) } else { 0 };
    let q_gzip = if gzip { q_gzip.or(q_star).unwrap_or(0) } else { 0 };
    // Ties go to the first: br, gzip, identity.
    let mut best = (Coding::Br, q_br);
    for candidate in [(Coding::Gzip, q_gzip), (Coding::Identity, q_identity)] {
        if candidate.1 > best.1 {
            best = candidate;
        }
    }
    (best.1 > 0).then_some(best.0)
}

/// The q of an element's parameters in thousandths (1000 when absent);
/// `None` when malformed.
fn quality<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    for parameter in parameters {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        return parse_qvalue(value.trim());
    }
    Some(1000)
}

/// RFC 9110's qvalue: `0`, `0.ddd`, `1`, `1.000`, at most three decimals.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// An entity tag as a list element: weak or strong, and its opaque part
/// with the quotes.
struct Tag<'a> {
    weak: bool,
    opaque: &'a str,
}

/// The entity tags of `If-Match` or `If-None-Match`: `Ok(None)` for `*`,
/// `Err(())` for a list that does not parse (the caller treats it as
/// matching nothing).
fn tags(value: &str) -> Result<Option<Vec<Tag<'_>>>, ()> {
    let mut rest = value.trim();
    if rest == "*" {
        return Ok(None);
    }
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Ok(Some(out));
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        if !rest.starts_with('"') {
            return Err(());
        }
        let end = rest[1..].find('"').ok_or(())? + 2;
        out.push(Tag {
            weak,
            opaque: &rest[..end],
        });
        rest = &rest[end..];
    }
}

/// Whether any `name` header lists `etag` (a strong tag with quotes), or
/// is `*`: weak comparison (the `W/` is ignored) for `If-None-Match`,
/// strong (a weak tag never matches) for `If-Match`.
pub(crate) fn list_matches<H: RequestHeaders + ?Sized>(
    headers: &H,
    name: &HeaderName,
    etag: &str,
    strong: bool,
) -> bool {
    headers.values(name).into_iter().any(|value| {
        let Ok(value) = value.to_str() else { return false };
        match tags(value) {
            Ok(None) => true,
            Ok(Some(tags)) => tags.iter().any(|tag| tag.opaque == etag && !(strong && tag.weak)),
            Err(()) => false,
        }
    })
}

/// What a `Range` header asks of a body of `length` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeAsk {
    /// No (usable) range: the whole body, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// No byte of the range exists: 416.
    Unsatisfiable,
}

/// The single byte range a GET asks for, after `If-Range` (an entity tag,
/// compared strongly with `etag`; a date never matches, as there is no
/// `Last-Modified`). A missing, malformed or non-`bytes` range, or one with
/// several ranges, is the whole body (RFC 9110 lets a server ignore Range).
pub(crate) fn range<H: RequestHeaders + ?Sized>(headers: &H, etag: &str, length: u64) -> RangeAsk {
    let mut ranges = headers.values(&RANGE).into_iter();
    let (Some(value), None) = (ranges.next(), ranges.next()) else {
        return RangeAsk::Whole;
    };
    if let Some(if_range) = headers.first(&IF_RANGE)
        && if_range.to_str().ok().map(str::trim) != Some(etag)
    {
        return RangeAsk::Whole;
    }
    let Ok(value) = value.to_str() else {
        return RangeAsk::Whole;
    };
    let Some((unit, set)) = value.trim().split_once('=') else {
        return RangeAsk::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeAsk::Whole;
    }
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeAsk::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAsk::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match number(last) {
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if length == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part {
                start: length.saturating_sub(n),
                end: length - 1,
            },
            None => RangeAsk::Whole,
        },
        // `a-`: from a to the end.
        (false, true) => match number(first) {
            Some(start) if start >= length => RangeAsk::Unsatisfiable,
            Some(start) => RangeAsk::Part { start, end: length - 1 },
            None => RangeAsk::Whole,
        },
        // `a-b`.
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= length {
                    RangeAsk::Unsatisfiable
                } else {
                    RangeAsk::Part {
                        start,
                        end: end.min(length - 1),
                    }
                }
            }
            _ => RangeAsk::Whole,
        },
        (true, true) => RangeAsk::Whole,
    }
}

/// Whether the request is a browser navigation: `Sec-Fetch-Mode: navigate`
/// when that header is present; without it, an `Accept` listing
/// `text/html` (not only through `*/*` or `text/*`) with a q above 0.
pub(crate) fn is_navigation<H: RequestHeaders + ?Sized>(headers: &H) -> bool {
    if let Some(mode) = headers.first(&HeaderName::from_static("sec-fetch-mode")) {
        return mode.as_bytes().eq_ignore_ascii_case(b"navigate");
    }
    headers.values(&ACCEPT).into_iter().any(|value| {
        let Ok(value) = value.to_str() else { return false };
        value.split(',').any(|element| {
            let mut parts = element.split(';');
            let media = parts.next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("text/html") && quality(parts).is_some_and(|q| q > 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use http::header::{IF_MATCH, IF_NONE_MATCH};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn coding(accept: Option<&str>, br: bool, gzip: bool) -> Option<Coding> {
        let map = match accept {
            Some(value) => headers(&[("accept-encoding", value)]),
            None => HeaderMap::new(),
        };
        choose_coding(&map, br, gzip)
    }

    #[test]
    fn accept_encoding_picks_by_q_then_br_gzip_identity() {
        use Coding::*;
        for (accept, expected) in [
            (None, Some(Identity)),
            (Some(""), Some(Identity)),
            (Some("br, gzip"), Some(Br)),
            (Some("gzip, br"), Some(Br)),
            (Some("gzip"), Some(Gzip)),
            (Some("x-gzip"), Some(Gzip)),
            (Some("GZIP, BR"), Some(Br)),
            (Some("br;q=0.5, gzip"), Some(Gzip)),
            (Some("br;q=0.8, gzip;q=0.9"), Some(Gzip)),
            (Some("br;q=0.9, gzip;q=0.9"), Some(Br)),
            (Some("br;q=0, gzip;q=0"), Some(Identity)),
            (Some("gzip;q=0.5"), Some(Gzip)),
            (Some("gzip;q=0.5, identity;q=0.4"), Some(Gzip)),
            (Some("*"), Some(Br)),
            (Some("*;q=0.5, gzip"), Some(Gzip)),
            (Some("deflate"), Some(Identity)),
            (Some("identity;q=0, gzip"), Some(Gzip)),
            (Some("identity;q=0"), None),
            (Some("*;q=0"), None),
            (Some("*;q=0, identity"), Some(Identity)),
            (Some("br;q=2, gzip"), Some(Gzip)),
            (Some("br;q=0.1234, gzip;q=0.1"), Some(Gzip)),
            (Some("br; q=1.000"), Some(Br)),
        ] {
            assert_eq!(coding(accept, true, true), expected, "{accept:?}");
        }
        assert_eq!(coding(Some("br"), false, true), Some(Identity));
        assert_eq!(coding(Some("br, gzip"), false, true), Some(Gzip));
        assert_eq!(coding(Some("identity;q=0, br"), false, true), None);
        let two = headers(&[("accept-encoding", "identity;q=0"), ("accept-encoding", "gzip")]);
        assert_eq!(choose_coding(&two, true, true), Some(Coding::Gzip));
    }

    #[test]
    fn qvalues_parse_as_rfc_9110_writes_them() {
        for (text, expected) in [
            ("0", Some(0)),
            ("0.5", Some(500)),
            ("0.125", Some(125)),
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            ("2", None),
            ("-1", None),
            ("", None),
            ("0.x", None),
        ] {
            assert_eq!(parse_qvalue(text), expected, "{text:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly_and_if_match_strongly() {
        let etag = "\"abc\"";
        for (value, weak, strong) in [
            ("\"abc\"", true, true),
            ("W/\"abc\"", true, false),
            ("\"x\", \"abc\"", true, true),
            ("\"x\",W/\"abc\"", true, false),
            ("*", true, true),
            ("\"x\"", false, false),
            ("abc", false, false),
            ("\"abc", false, false),
            ("\"a,b\", \"abc\"", true, true),
            ("", false, false),
        ] {
            let map = headers(&[("if-none-match", value), ("if-match", value)]);
            assert_eq!(list_matches(&map, &IF_NONE_MATCH, etag, false), weak, "{value:?}");
            assert_eq!(list_matches(&map, &IF_MATCH, etag, true), strong, "{value:?}");
        }
        let split = headers(&[("if-none-match", "\"x\""), ("if-none-match", "\"abc\"")]);
        assert!(list_matches(&split, &IF_NONE_MATCH, etag, false));
    }

    #[test]
    fn ranges_are_single_byte_ranges() {
        use RangeAsk::*;
        let len = 100;
        for (value, expected) in [
            ("bytes=0-9", Part { start: 0, end: 9 }),
            ("bytes=10-", Part { start: 10, end: 99 }),
            ("bytes=-10", Part { start: 90, end: 99 }),
            ("bytes=-1000", Part { start: 0, end: 99 }),
            ("bytes=90-1000", Part { start: 90, end: 99 }),
            ("bytes=99-99", Part { start: 99, end: 99 }),
            ("BYTES = 5-5", Part { start: 5, end: 5 }),
            ("bytes=0-9,", Part { start: 0, end: 9 }),
            ("bytes=100-", Unsatisfiable),
            ("bytes=100-200", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=0-1,5-6", Whole),
            ("bytes=9-0", Whole),
            ("bytes=a-b", Whole),
            ("bytes=-", Whole),
            ("bytes=+1-2", Whole),
            ("bytes=1", Whole),
            ("items=0-1", Whole),
            ("0-1", Whole),
            ("bytes=18446744073709551616-", Whole),
        ] {
            assert_eq!(
                range(&headers(&[("range", value)]), "\"e\"", len),
                expected,
                "{value:?}"
            );
        }
        assert_eq!(range(&headers(&[("range", "bytes=0-1")]), "\"e\"", 0), Unsatisfiable);
        assert_eq!(range(&headers(&[("range", "bytes=-5")]), "\"e\"", 0), Unsatisfiable);
        assert_eq!(range(&HeaderMap::new(), "\"e\"", len), Whole);
        let two = headers(&[("range", "bytes=0-1"), ("range", "bytes=3-4")]);
        assert_eq!(range(&two, "\"e\"", len), Whole);
    }

    #[test]
    fn if_range_needs_the_same_strong_etag() {
        let part = RangeAsk::Part { start: 0, end: 0 };
        for (if_range, expected) in [
            ("\"e\"", part),
            ("\"other\"", RangeAsk::Whole),
            ("W/\"e\"", RangeAsk::Whole),
            ("Sat, 01 Jan 2000 00:00:00 GMT", RangeAsk::Whole),
        ] {
            let map = headers(&[("range", "bytes=0-0"), ("if-range", if_range)]);
            assert_eq!(range(&map, "\"e\"", 10), expected, "{if_range}");
        }
    }

    #[test]
    fn navigations_are_told_by_sec_fetch_mode_then_accept() {
        for (pairs, expected) in [
            (vec![("sec-fetch-mode", "navigate")], true),
            (vec![("sec-fetch-mode", "Navigate"), ("accept", "*/*")], true),
            (vec![("sec-fetch-mode", "cors"), ("accept", "text/html")], false),
            (vec![("sec-fetch-mode", "no-cors")], false),
            (
                vec![(
                    "accept",
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                )],
                true,
            ),
            (vec![("accept", "TEXT/HTML")], true),
            (vec![("accept", "text/html;q=0")], false),
            (vec![("accept", "*/*")], false),
            (vec![("accept", "text/*")], false),
            (vec![("accept", "application/json")], false),
            (vec![], false),
        ] {
            assert_eq!(is_navigation(&headers(&pairs)), expected, "{pairs:?}");
        }
    }
}
