//! Blob, File and FileReader (blob.js) and FormData (formdata.js), with what
//! JS does slowly or not at all: UTF-8 both ways, the WHATWG MIME type
//! parser, and a linear multipart/form-data parser. The installer returns
//! the internal hooks fetch uses for bodies (formdata.js documents them).

use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};

const BLOB: &str = include_str!("blob.js");
const FORMDATA: &str = include_str!("formdata.js");

/// Defines Blob, File, FileReader, ProgressEvent and FormData, and returns
/// the hooks object of formdata.js. Runs at wizer time, after encoding.rs
/// (FileReader decodes through TextDecoder) and url.rs (URLSearchParams).
pub fn install<'js>(ctx: &Ctx<'js>, idl: &Object<'js>) -> rquickjs::Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    native.set(
        "encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
            TypedArray::new(ctx, text.into_bytes())
        })?,
    )?;
    native.set("decode", Function::new(ctx.clone(), decode)?)?;
    native.set("parseMime", Function::new(ctx.clone(), parse_mime_for_js)?)?;
    native.set("parseMultipart", Function::new(ctx.clone(), parse_multipart_for_js)?)?;
    let blob_installer: Function = crate::engine::eval_prelude(ctx, "isobox:blob", BLOB)?;
    let blobs: Object = blob_installer.call((idl.clone(), native.clone()))?;
    let form_installer: Function = crate::engine::eval_prelude(ctx, "isobox:formdata", FORMDATA)?;
    form_installer.call((idl.clone(), native, blobs))
}

/// UTF-8 bytes as a string, malformed sequences as U+FFFD; `strip_bom`
/// removes one leading byte order mark ("UTF-8 decode" rather than "UTF-8
/// decode without BOM").
fn decode<'js>(bytes: TypedArray<'js, u8>, strip_bom: bool) -> rquickjs::Result<String> {
    // SAFETY: the bytes are copied into the string before any JS runs again,
    // so the buffer cannot be detached or resized while they are borrowed.
    let mut input: &[u8] = unsafe { bytes.as_slice() };
    if strip_bom && input.starts_with(b"\xEF\xBB\xBF") {
        input = &input[3..];
    }
    Ok(String::from_utf8_lossy(input).into_owned())
}

/// A parsed MIME type as `[essence, name, value, name, value, ...]`, or
/// undefined when `text` is not one.
fn parse_mime_for_js<'js>(ctx: Ctx<'js>, text: String) -> rquickjs::Result<Value<'js>> {
    let Some(mime) = parse_mime(&text) else {
        return Ok(Value::new_undefined(ctx));
    };
    let flat = Array::new(ctx)?;
    flat.set(0, mime.essence)?;
    for (i, (name, value)) in mime.parameters.into_iter().enumerate() {
        flat.set(1 + 2 * i, name)?;
        flat.set(2 + 2 * i, value)?;
    }
    Ok(flat.into_value())
}

/// The parts of a multipart/form-data body, flat: for each part its name,
/// its filename (undefined for a field), its Content-Type (undefined when
/// absent), and the start and end of its content in `bytes`. Malformed
/// input is a TypeError saying what is wrong.
fn parse_multipart_for_js<'js>(
    ctx: Ctx<'js>,
    bytes: TypedArray<'js, u8>,
    boundary: String,
) -> rquickjs::Result<Array<'js>> {
    // SAFETY: parsing runs no JS, so the buffer cannot be detached or
    // resized while it is borrowed; only offsets are kept afterwards.
    let body: &[u8] = unsafe { bytes.as_slice() };
    let parts = parse_multipart(body, boundary.as_bytes())
        .map_err(|message| Exception::throw_type(&ctx, &format!("FormData: {message}")))?;
    let flat = Array::new(ctx.clone())?;
    for (i, part) in parts.into_iter().enumerate() {
        let at = 5 * i;
        flat.set(at, part.name)?;
        flat.set(at + 1, part.filename)?;
        flat.set(at + 2, part.content_type)?;
        flat.set(at + 3, part.start as f64)?;
        flat.set(at + 4, part.end as f64)?;
    }
    Ok(flat)
}

/// A MIME type: its essence (`type/subtype`, lower case) and its
/// parameters (names lower case, the first of each name kept), in order.
#[derive(Debug, PartialEq)]
pub struct Mime {
    pub essence: String,
    pub parameters: Vec<(String, String)>,
}

fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_quoted_token(c: char) -> bool {
    c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{FF}').contains(&c)
}

/// The WHATWG MIME Sniffing standard's "parse a MIME type".
pub fn parse_mime(input: &str) -> Option<Mime> {
    let input = input.trim_matches(is_http_whitespace);
    let (kind, rest) = input.split_once('/')?;
    if kind.is_empty() || !kind.chars().all(is_token) {
        return None;
    }
    let (subtype, mut rest) = match rest.find(';') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let subtype = subtype.trim_end_matches(is_http_whitespace);
    if subtype.is_empty() || !subtype.chars().all(is_token) {
        return None;
    }
    let mut mime = Mime {
        essence: format!("{kind}/{subtype}").to_ascii_lowercase(),
        parameters: Vec::new(),
    };
    while let Some(after) = rest.strip_prefix(';') {
        rest = after.trim_start_matches(is_http_whitespace);
        let end = rest.find([';', '=']).unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = &rest[end..];
        if rest.starts_with(';') {
            continue;
        }
        let Some(after) = rest.strip_prefix('=') else { break };
        rest = after;
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let (value, after) = quoted_string(quoted);
            rest = after.find(';').map_or("", |at| &after[at..]);
            value
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let value = rest[..end].trim_end_matches(is_http_whitespace).to_string();
            rest = &rest[end..];
            if value.is_empty() {
                continue;
            }
            value
        };
        if !name.is_empty()
            && name.chars().all(is_token)
            && value.chars().all(is_quoted_token)
            && !mime.parameters.iter().any(|(n, _)| *n == name)
        {
            mime.parameters.push((name, value));
        }
    }
    Some(mime)
}

/// Fetch's "collect an HTTP quoted string" with the value extracted, from
/// just after the opening quote: the value and what follows the closing
/// quote.
fn quoted_string(input: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (value, &input[at + 1..]),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => {
                    value.push('\\');
                    return (value, "");
                }
            },
            c => value.push(c),
        }
    }
    (value, "")
}

/// One part of a multipart/form-data body.
#[derive(Debug, PartialEq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    /// The content: `body[start..end]`.
    pub start: usize,
    pub end: usize,
}

/// Where `needle` next occurs in `haystack` at or after `from`, for a
/// needle whose first byte occurs nowhere else in it (a delimiter starts
/// with CR and a boundary has none): after a partial match the search goes
/// on past it, so the whole search is linear.
fn find(haystack: &[u8], needle: &[u8], mut from: usize) -> Option<usize> {
    let first = *needle.first()?;
    while from + needle.len() <= haystack.len() {
        let at = from + haystack[from..].iter().position(|&b| b == first)?;
        let matched = haystack[at..].iter().zip(needle).take_while(|(a, b)| a == b).count();
        if matched == needle.len() {
            return Some(at);
        }
        from = at + matched.max(1);
    }
    None
}

/// Whether a delimiter ends at `at`: what follows is `--`, CRLF, or
/// transport padding (spaces and tabs) and then CRLF.
fn delimiter_ends(body: &[u8], at: usize) -> bool {
    let rest = &body[at..];
    if rest.starts_with(b"--") {
        return true;
    }
    let padding = rest.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    rest[padding..].starts_with(b"\r\n")
}

/// A header parameter's quoted value as HTML encodes it: up to the next
/// quote, with `%0A`, `%0D` and `%22` decoded, then UTF-8.
fn form_name(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let decoded = match raw.get(i..i + 3) {
            Some(b"%0A") | Some(b"%0a") => Some(b'\n'),
            Some(b"%0D") | Some(b"%0d") => Some(b'\r'),
            Some(b"%22") => Some(b'"'),
            _ => None,
        };
        match decoded {
            Some(byte) => {
                bytes.push(byte);
                i += 3;
            }
            None => {
                bytes.push(raw[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `name` and `filename` parameters of a Content-Disposition value
/// (`form-data; name="a"; filename="b"`). Parameters may come in any order
/// and names are matched without regard to case; values may be quoted (up
/// to the next quote, as browsers write them) or bare tokens.
fn disposition(value: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let kind_end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    if !value[..kind_end].trim_ascii().eq_ignore_ascii_case(b"form-data") {
        return Err("a part's Content-Disposition is not form-data".into());
    }
    let mut name = None;
    let mut filename = None;
    let mut rest = &value[kind_end..];
    while let Some((&b';', after)) = rest.split_first() {
        let after = after.trim_ascii_start();
        let eq = after
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(after.len());
        let key = after[..eq].trim_ascii();
        rest = &after[eq..];
        let Some(after) = rest.strip_prefix(b"=") else { continue };
        let after = after.trim_ascii_start();
        let raw;
        if let Some(quoted) = after.strip_prefix(b"\"") {
            let close = quoted
                .iter()
                .position(|&b| b == b'"')
                .ok_or("a Content-Disposition parameter's quoted value is not closed")?;
            raw = &quoted[..close];
            let tail = &quoted[close + 1..];
            rest = &tail[tail.iter().position(|&b| b == b';').unwrap_or(tail.len())..];
        } else {
            let end = after.iter().position(|&b| b == b';').unwrap_or(after.len());
            raw = after[..end].trim_ascii_end();
            rest = &after[end..];
        }
        if key.eq_ignore_ascii_case(b"name") && name.is_none() {
            name = Some(form_name(raw));
        } else if key.eq_ignore_ascii_case(b"filename") && filename.is_none() {
            filename = Some(form_name(raw));
        }
    }
    Ok((name, filename))
}

/// Parses a multipart/form-data body (RFC 7578, as the Fetch standard reads
/// it, and a little more lenient: a preamble before the first delimiter,
/// transport padding after a delimiter, parameters in any order). Linear
/// in the body's length. The error says what is malformed.
pub fn parse_multipart(body: &[u8], boundary: &[u8]) -> Result<Vec<Part>, String> {
    if boundary.is_empty() {
        return Err("the multipart/form-data boundary is empty".into());
    }
    if boundary.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err("the multipart/form-data boundary contains a line break".into());
    }
    // CRLF "--" boundary: every delimiter but a first one at the very start.
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"\r\n--");
    delimiter.extend_from_slice(boundary);
    let next_delimiter = |from: usize| -> Option<usize> {
        let mut from = from;
        loop {
            let at = find(body, &delimiter, from)?;
            if delimiter_ends(body, at + delimiter.len()) {
                return Some(at);
            }
            from = at + 1;
        }
    };
    let mut position = if body.starts_with(&delimiter[2..]) && delimiter_ends(body, delimiter.len() - 2) {
        delimiter.len() - 2
    } else {
        let at = next_delimiter(0).ok_or("the body does not contain the boundary given in its Content-Type")?;
        at + delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        if body[position..].starts_with(b"--") {
            return Ok(parts);
        }
        position += body[position..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        // delimiter_ends checked the CRLF.
        position += 2;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        loop {
            let line_end =
                find(body, b"\r\n", position).ok_or("a part's headers are not terminated by an empty line")?;
            let line = &body[position..line_end];
            position = line_end + 2;
            if line.is_empty() {
                break;
            }
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .ok_or("a part's header line has no colon")?;
            let header = line[..colon].trim_ascii();
            let value = line[colon + 1..].trim_ascii();
            if header.eq_ignore_ascii_case(b"content-disposition") {
                (name, filename) = disposition(value)?;
            } else if header.eq_ignore_ascii_case(b"content-type") {
                // An isomorphic decoding; a type that is not ASCII is none.
                content_type = Some(if value.is_ascii() {
                    String::from_utf8_lossy(value).into_owned()
                } else {
                    String::new()
                });
            }
        }
        let name = name.ok_or("a part has no Content-Disposition header with a name")?;
        let end =
            next_delimiter(position).ok_or("a part is not closed by a boundary delimiter (the body is truncated?)")?;
        parts.push(Part {
            name,
            filename,
            content_type,
            start: position,
            end,
        });
        position = end + delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_parse_as_the_standard_says() {
        let mime = parse_mime(" Multipart/Form-Data ; Boundary=\"a\\\"b\" ; x=1;boundary=second").unwrap();
        assert_eq!(mime.essence, "multipart/form-data");
        assert_eq!(
            mime.parameters,
            vec![("boundary".into(), "a\"b".into()), ("x".into(), "1".into())]
        );
        assert_eq!(
            parse_mime("text/plain;charset=utf-8 ").unwrap().parameters[0].1,
            "utf-8"
        );
        assert!(parse_mime("text").is_none());
        assert!(parse_mime("/plain").is_none());
        assert!(parse_mime("te xt/plain").is_none());
        assert!(parse_mime("text/").is_none());
    }

    #[test]
    fn a_multipart_body_gives_its_fields_and_files() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a%22b\"\r\n\r\none\r\ntwo\r\n\
                     --XyZ  \r\ncontent-disposition: FORM-DATA; filename=\"f.txt\"; name=file\r\n\
                     Content-Type: text/plain\r\n\r\n\r\n--XyZ--\r\nepilogue";
        let parts = parse_multipart(body, b"XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "a\"b");
        assert_eq!(&body[parts[0].start..parts[0].end], b"one\r\ntwo");
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].filename.as_deref(), Some("f.txt"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[1].start, parts[1].end);
    }

    #[test]
    fn a_boundary_inside_content_that_does_not_end_a_delimiter_is_content() {
        let body = b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n--bb\r\n--b--";
        let parts = parse_multipart(body, b"b").unwrap();
        assert_eq!(&body[parts[0].start..parts[0].end], b"\r\n--bb");
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let cases: [&[u8]; 5] = [
            b"no delimiter",
            b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nunterminated",
            b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
            b"--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nx\r\n--b--",
            b"--b\r\nno colon\r\n\r\nx\r\n--b--",
        ];
        for body in cases {
            assert!(
                parse_multipart(body, b"b").is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(parse_multipart(b"--\r\n", b"").is_err());
    }

    #[test]
    fn searching_is_linear_on_near_misses() {
        let boundary = vec![b'a'; 1000];
        let mut body = b"--".to_vec();
        body.extend_from_slice(&boundary);
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=x\r\n\r\n");
        for _ in 0..2000 {
            body.extend_from_slice(b"\r\n--");
            body.extend_from_slice(&boundary[..999]);
        }
        let started = std::time::Instant::now();
        assert!(parse_multipart(&body, &boundary).is_err());
        assert!(started.elapsed().as_secs() < 2);
    }
}
