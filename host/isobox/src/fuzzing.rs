//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not
//! part of the API). Each takes the fuzzer's bytes, calls the crate's own
//! functions the way a run does, and panics when an invariant does not
//! hold: a panic is what libFuzzer reports. Inputs are capped so that no
//! entry point allocates without bound.
//!
//! - [`wit`]: WIT text loaded as a capability's interface, its TypeScript
//!   declarations, and a call's arguments checked against each function.
//! - [`codec`]: a JS value tree lifted to WIT values and lowered back
//!   through the bridge of a run (`RunBridge`), against a fixed interface of
//!   echo functions: lowering what was lifted and lifting it again gives the
//!   same tree.
//! - [`json_codec`]: the same round trip for a JSON-typed (MCP) tool.
//! - [`json_schema`]: MCP tool lists (JSON Schema) to TypeScript.
//! - [`typescript`]: TypeScript stripping (lines kept, idempotent).
//! - [`code`]: the markdown fence and the checks of a request's code.
//! - [`modules`]: a request's module map checked and normalised.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use wasmtime::component::Val;

use crate::bindings::{BridgeCallError, JsNode as WireNode};
use crate::capability::{
    CallContext, CallFuture, Capability, CapabilityInterface, Grant, McpTools, NativeCapability, RunBridge, Started,
    WitPackage, plugin_limits,
};
use crate::checks::Purpose;
use crate::request::{ModuleSource, RunRequest};
use crate::text::MAX_ERROR_TEXT_BYTES;
use crate::{Lang, Limits};

/// The largest input any entry point looks at.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Messages the bridge gives the guest stay below this (they are built from
/// bounded pieces: truncated names and values, a path of bounded depth).
const MAX_BRIDGE_MESSAGE_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------- bytes in

/// The fuzzer's bytes read front to back; zeros once they run out.
struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        Input { data, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let byte = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let start = self.at.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.at = end;
        &self.data[start..end]
    }

    fn exhausted(&self) -> bool {
        self.at >= self.data.len()
    }

    /// A string: one of [`WORDS`] or up to 31 bytes read as UTF-8 (lossy).
    fn string(&mut self) -> String {
        let choice = self.byte();
        if choice < 0xC0 {
            WORDS[usize::from(choice) % WORDS.len()].to_owned()
        } else {
            let len = usize::from(choice & 0x1F);
            String::from_utf8_lossy(self.bytes(len)).into_owned()
        }
    }

    fn number(&mut self) -> f64 {
        match self.byte() % 4 {
            0 => f64::from(self.byte() as i8),
            1 | 2 => NUMBERS[usize::from(self.byte()) % NUMBERS.len()],
            _ => {
                let mut raw = [0u8; 8];
                let bytes = self.bytes(8);
                raw[..bytes.len()].copy_from_slice(bytes);
                f64::from_le_bytes(raw)
            }
        }
    }

    fn bigint(&mut self) -> String {
        let choice = self.byte();
        if choice < 0xC0 {
            BIGINTS[usize::from(choice) % BIGINTS.len()].to_owned()
        } else {
            let len = usize::from(choice & 0x1F);
            String::from_utf8_lossy(self.bytes(len)).into_owned()
        }
    }
}

/// Names the fixed interfaces use (camelCase keys, case names) and a few
/// awkward strings: found by the fuzzer without a dictionary.
const WORDS: &[&str] = &[
    "x",
    "y",
    "userId",
    "user-id",
    "name",
    "tags",
    "nick",
    "home",
    "tag",
    "val",
    "ok",
    "err",
    "red",
    "green",
    "dark-blue",
    "darkBlue",
    "circle",
    "rect",
    "empty",
    "named",
    "read",
    "write",
    "execAll",
    "exec-all",
    "a",
    "b",
    "",
    "é",
    "😀",
    "ab",
    "__proto__",
    "constructor",
    "\u{0}",
    "\u{FFFD}",
    "null",
    "0",
    "-1",
    "1.5",
];

const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    127.0,
    128.0,
    -128.0,
    -129.0,
    255.0,
    256.0,
    32767.0,
    32768.0,
    -32769.0,
    65535.0,
    65536.0,
    2147483647.0,
    2147483648.0,
    -2147483648.0,
    -2147483649.0,
    4294967295.0,
    4294967296.0,
    9007199254740991.0,
    9007199254740992.0,
    -9007199254740991.0,
    -9007199254740992.0,
    18446744073709551615.0,
    9223372036854775807.0,
    -9223372036854775808.0,
    3.4028234663852886e38,
    3.4028235677973366e38,
    1e39,
    1.401298464324817e-45,
    7.006492321624086e-46,
    f64::MIN_POSITIVE,
    f64::MAX,
    f64::EPSILON,
    1114111.0,
    55296.0,
];

const BIGINTS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "255",
    "256",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "",
    "-",
    "+1",
    "0x10",
    "1e3",
    "00000000000000000000000000000000000001",
    "٣",
];

/// A node tree as the guest sends it: node 0 the arguments array. Mostly a
/// well-formed tree; a 0xFF where a child is expected puts a raw index there
/// instead (out of range, shared or cyclic).
fn tree(input: &mut Input<'_>) -> Vec<WireNode> {
    let mut nodes = vec![WireNode::Undefined];
    let count = input.byte() % 5;
    let mut args = Vec::new();
    for _ in 0..count {
        args.push(child(input, &mut nodes, 1));
    }
    nodes[0] = WireNode::Array(args);
    nodes
}

const MAX_TREE_NODES: usize = 512;
const MAX_TREE_DEPTH: usize = 24;

fn child(input: &mut Input<'_>, nodes: &mut Vec<WireNode>, depth: usize) -> u32 {
    if input.byte() == 0xFF {
        return u32::from(input.byte());
    }
    let index = nodes.len() as u32;
    nodes.push(WireNode::Undefined);
    let room = depth < MAX_TREE_DEPTH && nodes.len() < MAX_TREE_NODES && !input.exhausted();
    let node = match input.byte() % 12 {
        0 => WireNode::Undefined,
        1 => WireNode::Null,
        2 => WireNode::Boolean(input.byte() & 1 == 1),
        3 | 4 => WireNode::Number(input.number()),
        5 => WireNode::Bigint(input.bigint()),
        6 | 7 => WireNode::Text(input.string()),
        8 => {
            let len = usize::from(input.byte() % 40);
            WireNode::Bytes(input.bytes(len).to_vec())
        }
        9 | 10 if room => {
            let len = input.byte() % 6;
            let items = (0..len).map(|_| child(input, nodes, depth + 1)).collect();
            WireNode::Array(items)
        }
        11 if room => {
            let len = input.byte() % 6;
            let entries = (0..len)
                .map(|_| {
                    let key = input.string();
                    (key, child(input, nodes, depth + 1))
                })
                .collect();
            WireNode::Object(entries)
        }
        _ => WireNode::Null,
    };
    nodes[index as usize] = node;
    index
}

/// A result tree (node 0 the value) as the arguments of a one-argument
/// call: a new root array, every index moved up by one.
fn as_single_argument(result: &[WireNode]) -> Vec<WireNode> {
    let shift = |i: &u32| i + 1;
    let mut nodes = vec![WireNode::Array(vec![1])];
    nodes.extend(result.iter().map(|node| match node {
        WireNode::Array(items) => WireNode::Array(items.iter().map(shift).collect()),
        WireNode::Object(entries) => WireNode::Object(entries.iter().map(|(k, i)| (k.clone(), shift(i))).collect()),
        other => other.clone(),
    }));
    nodes
}

/// Trees compared as text: the bindings' nodes have no `PartialEq`, and a
/// NaN must equal a NaN.
fn same(a: &[WireNode], b: &[WireNode]) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn check_message(what: &str, error: &BridgeCallError) {
    assert!(
        error.message.len() <= MAX_BRIDGE_MESSAGE_BYTES,
        "{what}: a bridge message of {} bytes",
        error.message.len()
    );
    assert!(!error.name.is_empty(), "{what}: an error without a name: {error:?}");
}

/// One call through a fresh run's bridge: the grant as `env.b`.
fn call(capability: &Capability, method: &str, args: Vec<WireNode>) -> Result<Vec<WireNode>, BridgeCallError> {
    let grant = Grant {
        name: "b".to_owned(),
        capability: capability.clone(),
        props: Arc::new(serde_json::Value::Null),
    };
    let bridge = RunBridge::new(&[grant], plugin_limits(&Limits::default(), Instant::now(), false));
    match bridge.start("b", method, args) {
        Started::Done(outcome) => outcome,
        Started::Pending(_) => panic!("b.{method}: an echo call did not finish at once"),
    }
}

// ---------------------------------------------------------------- WIT

/// Echoes its first argument; `echo-many` returns its arguments as a tuple.
struct Echo;

impl NativeCapability for Echo {
    fn call(&self, _context: CallContext, function: &str, args: Vec<Val>) -> CallFuture {
        let result = if function == "echo-many" {
            Some(Val::Tuple(args))
        } else {
            args.into_iter().next()
        };
        Box::pin(async move { Ok(result) })
    }
}

/// Every kind of WIT type the bridge carries, each in an echo function.
const ECHO_WIT: &str = r#"
package fuzz:codec;

interface echo {
    record point { x: s32, y: s32 }
    record user-profile {
        user-id: u64,
        name: string,
        tags: list<string>,
        nick: option<string>,
        home: option<point>,
    }
    variant shape { circle(f64), rect(point), empty, named(option<string>) }
    enum color { red, green, dark-blue }
    flags perms { read, write, exec-all }

    echo-bool: func(v: bool) -> bool;
    echo-u8: func(v: u8) -> u8;
    echo-s8: func(v: s8) -> s8;
    echo-u16: func(v: u16) -> u16;
    echo-s16: func(v: s16) -> s16;
    echo-u32: func(v: u32) -> u32;
    echo-s32: func(v: s32) -> s32;
    echo-u64: func(v: u64) -> u64;
    echo-s64: func(v: s64) -> s64;
    echo-f32: func(v: f32) -> f32;
    echo-f64: func(v: f64) -> f64;
    echo-char: func(v: char) -> char;
    echo-string: func(v: string) -> string;
    echo-bytes: func(v: list<u8>) -> list<u8>;
    echo-list: func(v: list<s32>) -> list<s32>;
    echo-tuple: func(v: tuple<string, u16, bool>) -> tuple<string, u16, bool>;
    echo-record: func(v: user-profile) -> user-profile;
    echo-variant: func(v: shape) -> shape;
    echo-enum: func(v: color) -> color;
    echo-flags: func(v: perms) -> perms;
    echo-option: func(v: option<list<option<u32>>>) -> option<list<option<u32>>>;
    echo-results: func(v: list<result<u8, string>>) -> list<result<u8, string>>;
    echo-empty-result: func(v: result) -> option<result>;
    echo-nested: func(v: list<list<tuple<shape, option<color>, perms>>>) -> list<list<tuple<shape, option<color>, perms>>>;
    echo-many: func(a: string, b: option<u32>, c: option<shape>) -> tuple<string, option<u32>, option<shape>>;
    fail: func(v: result<string, shape>) -> result<string, shape>;
    nothing: func(v: option<s8>);
}
"#;

const ECHO_METHODS: &[&str] = &[
    "echoBool",
    "echoU8",
    "echoS8",
    "echoU16",
    "echoS16",
    "echoU32",
    "echoS32",
    "echoU64",
    "echoS64",
    "echoF32",
    "echoF64",
    "echoChar",
    "echoString",
    "echoBytes",
    "echoList",
    "echoTuple",
    "echoRecord",
    "echoVariant",
    "echoEnum",
    "echoFlags",
    "echoOption",
    "echoResults",
    "echoEmptyResult",
    "echoNested",
    "echoMany",
    "fail",
    "nothing",
    "echo-u8",
    "noSuchMethod",
];

fn echo_capability() -> &'static Capability {
    static ECHO: OnceLock<Capability> = OnceLock::new();
    ECHO.get_or_init(|| Capability::native(ECHO_WIT, "echo", Echo).expect("the echo WIT loads"))
}

/// A JS value tree through a run's bridge: lifted against an echo
/// function's WIT parameters, echoed, lowered back. Invariants: no panic;
/// messages bounded; what comes back, sent again, comes back unchanged
/// (lowering is the inverse of lifting on what lowering gives).
pub fn codec(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let mut input = Input::new(data);
    let method = ECHO_METHODS[usize::from(input.byte()) % ECHO_METHODS.len()];
    let nodes = tree(&mut input);
    let capability = echo_capability();
    let out = match call(capability, method, nodes) {
        Ok(out) => out,
        Err(error) => {
            check_message(method, &error);
            return;
        }
    };
    if method == "fail" {
        // `result<string, shape>` in, the `ok` string out: not the same type.
        return;
    }
    if method == "nothing" {
        assert!(
            out.len() == 1 && matches!(out[0], WireNode::Undefined),
            "nothing returned {out:?}"
        );
        return;
    }
    let again = if method == "echoMany" {
        out.clone()
    } else {
        as_single_argument(&out)
    };
    match call(capability, method, again) {
        Ok(out2) => assert!(same(&out, &out2), "{method}: not a round trip:\n{out:?}\n{out2:?}"),
        Err(error) => panic!("{method}: what the bridge gave is refused when sent back: {out:?}: {error:?}"),
    }
}

/// Whatever a native implementation does, the bridge answers for a loaded
/// interface: arguments of no particular shape, the first argument echoed.
struct Parrot;

impl NativeCapability for Parrot {
    fn call(&self, _context: CallContext, _function: &str, args: Vec<Val>) -> CallFuture {
        let result = args.into_iter().next();
        Box::pin(async move { Ok(result) })
    }
}

/// WIT text (up to the first NUL; the bytes after it are a call's
/// arguments): loaded as a package, each interface checked, declared as
/// TypeScript, and each function called through the bridge. Invariants: no
/// panic; the package's and `from_wit`'s views agree; every function is
/// found by both its names; declarations name the binding and every method.
pub fn wit(data: &[u8]) {
    if data.len() > 16 * 1024 {
        return;
    }
    let (text, rest) = match data.iter().position(|b| *b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(package) = WitPackage::parse_str("fuzz.wit", text) else {
        return;
    };
    for name in package.interface_names().iter().take(4) {
        let from_package = package.interface(name);
        let direct = CapabilityInterface::from_wit(text, name);
        assert_eq!(
            from_package.is_ok(),
            direct.is_ok(),
            "interface {name}: the package and from_wit disagree"
        );
        let Ok(interface) = from_package else {
            continue;
        };
        for function in interface.functions() {
            assert!(interface.function(&function.js_name).is_some(), "{}", function.js_name);
            assert!(
                interface.function(&function.wit_name).is_some(),
                "{}",
                function.wit_name
            );
            assert!(function.min_args(&interface) <= function.params.len());
        }
        let declarations = crate::capability::typescript("b", &interface);
        for function in interface.functions() {
            assert!(
                declarations.contains(&function.js_name),
                "the declarations do not name {}:\n{declarations}",
                function.js_name
            );
        }
        let Ok(capability) = Capability::native(text, name, Parrot) else {
            panic!("interface {name} loads but is refused as a capability");
        };
        let mut input = Input::new(rest);
        for function in interface.functions().iter().take(8) {
            let nodes = tree(&mut input);
            if let Err(error) = call(&capability, &function.js_name, nodes) {
                check_message(&function.js_name, &error);
            }
        }
    }
}

// ---------------------------------------------------------------- JSON

fn json_capability() -> &'static Capability {
    static JSON: OnceLock<Capability> = OnceLock::new();
    JSON.get_or_init(|| {
        let tools = McpTools::from_json(r#"{"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]}"#)
            .expect("the echo tool list loads");
        Capability::json_tools(
            tools,
            |_: CallContext, _: String, args: serde_json::Map<String, serde_json::Value>| async move {
                Ok::<_, crate::capability::CapabilityError>(serde_json::Value::Object(args))
            },
        )
    })
}

/// A JS value tree as a JSON tool's arguments and back, through a run's
/// bridge. Invariants as [`codec`]'s.
pub fn json_codec(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let mut input = Input::new(data);
    let method = if input.byte() == 0xFE { "noSuchTool" } else { "echo" };
    let nodes = tree(&mut input);
    let capability = json_capability();
    let out = match call(capability, method, nodes) {
        Ok(out) => out,
        Err(error) => {
            check_message(method, &error);
            return;
        }
    };
    match call(capability, method, as_single_argument(&out)) {
        Ok(out2) => assert!(same(&out, &out2), "not a round trip:\n{out:?}\n{out2:?}"),
        Err(error) => panic!("what the bridge gave is refused when sent back: {out:?}: {error:?}"),
    }
}

/// An MCP `tools/list` result (JSON) to TypeScript declarations.
/// Invariants: no panic; within the limits on tools; every method found by
/// its name and declared; the declarations bounded by the input's size.
pub fn json_schema(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(tools) = McpTools::from_json(text) else {
        return;
    };
    assert!(tools.tools().len() <= crate::capability::MAX_MCP_TOOLS);
    for tool in tools.tools() {
        assert!(
            tools.by_method(&tool.method).is_some(),
            "method {} not found by its name",
            tool.method
        );
    }
    let declarations = crate::capability::mcp_typescript("b", &tools);
    let bound = 256 * 1024 + 64 * data.len();
    assert!(
        declarations.len() <= bound,
        "{} bytes of declarations from {} bytes of JSON",
        declarations.len(),
        data.len()
    );
    for tool in tools.tools() {
        // As written when it is an identifier, else as a JSON string.
        let quoted = serde_json::to_string(&tool.method).expect("a string serialises");
        assert!(
            declarations.contains(&tool.method) || declarations.contains(&quoted),
            "{quoted} is not declared"
        );
    }
    let env = crate::capability::typescript_env_with_mcp(&[], &[("b", &tools)]);
    assert!(env.len() <= bound + 64 * 1024);
}

// ---------------------------------------------------------------- code

const TS_NAMES: &[&str] = &["main.ts", "a.mts", "b.cts", "lib/x.ts"];

/// TypeScript stripped as a run strips it (first byte: the file name).
/// Invariants: no panic; the JavaScript has the same lines, each of the
/// same length in characters; stripping it again changes nothing; an error
/// is bounded and points inside the source.
pub fn typescript(data: &[u8]) {
    if data.is_empty() || data.len() > MAX_INPUT_BYTES {
        return;
    }
    let filename = TS_NAMES[usize::from(data[0]) % TS_NAMES.len()];
    let Ok(source) = std::str::from_utf8(&data[1..]) else {
        return;
    };
    match crate::typescript::strip(source, filename) {
        Ok(js) => {
            // swc drops a leading byte order mark (line 1 then starts one
            // column earlier); every other character keeps its place.
            let source = source.strip_prefix('\u{feff}').unwrap_or(source);
            let lines: Vec<&str> = source.split('\n').collect();
            let js_lines: Vec<&str> = js.split('\n').collect();
            assert_eq!(lines.len(), js_lines.len(), "lines changed:\n{source}\n---\n{js}");
            for (line, js_line) in lines.iter().zip(&js_lines) {
                assert_eq!(
                    line.chars().count(),
                    js_line.chars().count(),
                    "a line changed its length:\n{line:?}\n{js_line:?}"
                );
            }
            // Stripping what was stripped changes nothing. swc's strip-only
            // mode accepts some invalid code (`<T,>(a< T) => 1` becomes
            // `(a< T) => 1`), which then fails here as QuickJS would fail it.
            if let Ok(again) = crate::typescript::strip(&js, filename) {
                assert_eq!(js, again, "stripping is not idempotent");
            }
        }
        Err(error) => {
            assert!(error.message.len() <= MAX_ERROR_TEXT_BYTES + 64);
            // JavaScript's line terminators: LF, CR (alone or before LF),
            // LS, PS.
            let line_count = 1 + source
                .replace("\r\n", "\n")
                .matches(['\n', '\r', '\u{2028}', '\u{2029}'])
                .count() as u32;
            if let Some(line) = error.line {
                assert!(line >= 1 && line <= line_count + 1, "line {line} of {line_count}");
            }
        }
    }
}

/// A request's code (first byte: the file name and form): the fence
/// removed, then the checks every run passes. Invariants: no panic; a
/// fenced body keeps its line numbers (as many newlines before it as the
/// opening line's) and comes from the code; checked code is non-empty and
/// within `code_bytes`.
pub fn code(data: &[u8]) {
    if data.is_empty() || data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(code) = std::str::from_utf8(&data[1..]) else {
        return;
    };
    if let Some(fenced) = crate::fence::strip_fence(code) {
        assert!(!fenced.language.contains(char::is_whitespace));
        let body = fenced.code;
        let blank = body.len() - body.trim_start_matches('\n').len();
        let rest = &body[blank..];
        assert!(code.contains(rest), "the fenced body is not in the code: {body:?}");
        assert!(blank >= 1, "the opening line was not kept as a blank line: {body:?}");
        assert!(body.matches('\n').count() <= code.matches('\n').count());
        // The body starts on the line after the opening fence.
        let opening_line = code.trim_start_matches(['\n', '\r', ' ', '\t']);
        let before = code.len() - opening_line.len();
        let lines_before = code[..before].matches('\n').count();
        assert!(blank > lines_before, "{code:?} -> {body:?}");
    }
    let filename = ["main.js", "main.ts", "main.jsx", "", "a\u{1}.js", "x.mjs"][usize::from(data[0] % 6)];
    let mut request = RunRequest::new(code).with_filename(filename);
    request.limits.code_bytes = 1 + u32::from(data[0]) * 64;
    if crate::checks::check_request(&mut request, u64::MAX, Purpose::Run).is_ok() {
        assert!(!request.code.trim().is_empty());
        assert!(request.code.len() <= request.limits.code_bytes as usize);
    }
}

/// A module map (NUL-separated: main name, then name, kind, source
/// triples) checked and normalised as a run does. Invariants: no panic;
/// normalised names are unique, relative, without `.`/`..`/empty segments,
/// not the main module's; the sizes add up within `code_bytes`.
pub fn modules(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let main = parts.next().unwrap_or("main.js");
    let mut request = RunRequest::new("export default () => 1");
    let mut count = 0;
    while let (Some(name), Some(kind), Some(source)) = (parts.next(), parts.next(), parts.next()) {
        let source = match kind.bytes().next().unwrap_or(0) % 4 {
            0 => ModuleSource::Js(source.to_owned()),
            1 => ModuleSource::Text(source.to_owned()),
            2 => match serde_json::from_str(source) {
                Ok(value) => ModuleSource::Json(value),
                Err(_) => ModuleSource::Text(source.to_owned()),
            },
            _ => ModuleSource::Js(source.to_owned()),
        };
        request.modules.insert(name.to_owned(), source);
        count += 1;
        if count > 64 {
            break;
        }
    }
    if main.len() % 3 == 0 {
        request.lang = Lang::Ts;
    }
    request.limits.code_bytes = 4096;
    let given = request.modules.len();
    if let Ok(modules) = crate::modules::take_modules(&mut request, main) {
        assert_eq!(modules.len(), given);
        let mut total = request.code.len();
        for (i, module) in modules.iter().enumerate() {
            let name = &module.name;
            assert!(
                !name.is_empty() && !name.starts_with('/') && !name.starts_with("./"),
                "{name:?}"
            );
            assert!(
                name.split('/').all(|s| !s.is_empty() && s != "." && s != ".."),
                "{name:?}"
            );
            assert!(!name.chars().any(char::is_control), "{name:?}");
            assert!(modules[..i].iter().all(|m| &m.name != name), "{name:?} twice");
            total += module.source.len();
        }
        assert!(total <= 4096, "{total} bytes of modules");
    }
}
