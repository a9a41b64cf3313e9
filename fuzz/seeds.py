#!/usr/bin/env python3
"""Writes the hand-made seeds of corpus/ (run from fuzz/: python3 seeds.py).

The byte formats are those the targets read (src/lib.rs and
host/isobox/src/fuzzing.rs): this file is their worked example. Seeds taken
from the repository's own files (WIT, policies, TypeScript examples) are
read from it.
"""
import json, os, struct

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)

# Mirrors of the tables in host/isobox/src/fuzzing.rs (by index).
WORDS = ["x", "y", "userId", "user-id", "name", "tags", "nick", "home", "tag", "val", "ok", "err", "red", "green",
         "dark-blue", "darkBlue", "circle", "rect", "empty", "named", "read", "write", "execAll", "exec-all", "a", "b",
         "", "é", "😀", "ab", "__proto__", "constructor", "\0", "\ufffd", "null", "0", "-1", "1.5"]
BIGINTS = ["0", "-0", "1", "-1", "255", "256", "9007199254740993", "18446744073709551615"]
METHODS = ["echoBool", "echoU8", "echoS8", "echoU16", "echoS16", "echoU32", "echoS32", "echoU64", "echoS64",
           "echoF32", "echoF64", "echoChar", "echoString", "echoBytes", "echoList", "echoTuple", "echoRecord",
           "echoVariant", "echoEnum", "echoFlags", "echoOption", "echoResults", "echoEmptyResult", "echoNested",
           "echoMany", "fail", "nothing", "echo-u8", "noSuchMethod"]


# A JS value as the tree encoding: each child is [0 (not 0xFF), tag, ...].
def word(text):
    if text in WORDS:
        return bytes([WORDS.index(text)])
    raw = text.encode()
    assert len(raw) < 32
    return bytes([0xC0 | len(raw)]) + raw


def value(v):
    if v is None:
        return bytes([0, 1])
    if isinstance(v, bool):
        return bytes([0, 2, int(v)])
    if isinstance(v, int) and -128 <= v < 128:
        return bytes([0, 3, 0, v & 0xFF])
    if isinstance(v, (int, float)):
        return bytes([0, 3, 3]) + struct.pack("<d", float(v))
    if isinstance(v, BigInt):
        return bytes([0, 5]) + (bytes([BIGINTS.index(v.digits)]) if v.digits in BIGINTS
                                 else bytes([0xC0 | len(v.digits)]) + v.digits.encode())
    if isinstance(v, str):
        return bytes([0, 6]) + word(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes([0, 8, len(v)]) + bytes(v)
    if isinstance(v, list):
        return bytes([0, 9, len(v)]) + b"".join(value(x) for x in v)
    if isinstance(v, dict):
        return bytes([0, 11, len(v)]) + b"".join(word(k) + value(x) for k, x in v.items())
    if v is UNDEFINED:
        return bytes([0, 0])
    raise TypeError(v)


class BigInt:
    def __init__(self, digits):
        self.digits = digits


UNDEFINED = object()


def args(*values):
    return bytes([len(values)]) + b"".join(value(v) for v in values)


def call(method, *values):
    return bytes([METHODS.index(method)]) + args(*values)


def write(target, name, data):
    folder = os.path.join(ROOT, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def repo(path):
    with open(os.path.join(REPO, path), "rb") as f:
        return f.read()


# 1. The codec: echo functions of a fixed WIT interface.
profile = {"userId": 7, "name": "a", "tags": ["x", "y"], "nick": None, "home": {"x": 1, "y": -2}}
for name, data in {
    "u8": call("echoU8", 5),
    "s64-bigint": call("echoS64", BigInt("-1")),
    "u64-max": call("echoU64", BigInt("18446744073709551615")),
    "f32": call("echoF32", 1.1),
    "char": call("echoChar", "é"),
    "bytes": call("echoBytes", b"\x01\x02\x03"),
    "list": call("echoList", [1, 2, -3]),
    "tuple": call("echoTuple", ["a", 3, True]),
    "record": call("echoRecord", profile),
    "variant": call("echoVariant", {"tag": "circle", "val": 1.5}),
    "enum": call("echoEnum", "dark-blue"),
    "flags": call("echoFlags", {"read": True, "execAll": True}),
    "option": call("echoOption", [1, None, 3]),
    "results": call("echoResults", [{"ok": 1}, {"err": "no"}]),
    "nested": call("echoNested", [[[{"tag": "rect", "val": {"x": 0, "y": 0}}, "red", {"write": True}]]]),
    "many": call("echoMany", "a", 3),
    "fail": call("fail", {"err": {"tag": "named", "val": "x"}}),
    "nothing": call("nothing", UNDEFINED),
}.items():
    write("codec", name, data)

# 2. The JSON tool codec: byte 0, then the arguments.
write("json_codec", "object", b"\x00" + args({"a": [1, "x", None], "b": {"tag": True}, "n": 1.5}))
write("json_codec", "empty", b"\x00" + args())
write("json_codec", "bigint", b"\x00" + args({"a": BigInt("1")}))

# WIT: text, NUL, the arguments of each function's call.
for path in ["wit/capabilities/kv.wit", "wit/capabilities/todo.wit",
             "host/isobox/src/capability/types/testdata/shop.wit",
             "host/isobox/src/capability/types/testdata/values.wit"]:
    write("wit", os.path.basename(path), repo(path) + b"\0" + args("k", b"v") + args("k"))
write("wit", "small", "package a:b;\ninterface i {\n  record r { user-id: u32, tags: list<string> }\n"
      "  f: func(a: r, b: option<u8>) -> result<r, string>;\n}\n\0".encode() + args({"userId": 1, "tags": []}))

# JSON Schema (MCP tools/list) to TypeScript.
tools = {"tools": [
    {"name": "create_entities", "description": "Create entities",
     "inputSchema": {"type": "object", "properties": {
         "entities": {"type": "array", "items": {"$ref": "#/$defs/entity"}},
         "mode": {"enum": ["a", "b"]}, "n": {"type": ["integer", "null"], "minimum": 0}},
         "required": ["entities"], "$defs": {"entity": {"type": "object", "properties": {
             "name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}}}}},
    {"name": "read-graph", "inputSchema": {"type": "object"},
     "outputSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}},
]}
write("json_schema", "tools", json.dumps(tools))
write("json_schema", "anyof", json.dumps({"tools": [{"name": "x", "inputSchema": {"type": "object", "properties": {
    "v": {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "number"}}]},
    "c": {"const": 3}, "r": {"$ref": "#"}}}}]}))
write("json_schema", "empty", '{"tools": []}')

# Egress: a policy, NUL, an address (flag byte, 4 or 16 bytes), METHOD URL.
v4 = lambda *o: bytes([0, *o])
v6 = lambda text: bytes([1]) + __import__("ipaddress").IPv6Address(text).packed
policy = repo("examples/policy.toml")
write("egress_policy", "example", policy + b"\0" + v4(127, 0, 0, 1) + b"GET https://api.example.com/weather/paris")
write("egress_policy", "doc", b"""[limits]
max_requests = 20
[[allow]]
name = "github"
host = "api.github.com"
methods = ["GET"]
path_prefix = "/repos"
[[allow]]
host = "api.local"
allow_private = true
[[deny]]
host = "*.internal.example"
[[credential]]
origin = "https://api.github.com"
header = "authorization"
value_env = "TOKEN"
prefix = "Bearer "
[[respond]]
host = "mock.example"
status = 201
body_base64 = "eyJvayI6dHJ1ZX0="
[[resolve]]
host = "api.local"
addresses = ["127.0.0.1", "::1"]
\0""" + v4(10, 0, 0, 5) + b"GET https://api.github.com/repos/a/b?x=1")
write("egress_policy", "ip-rules", b'[[allow]]\nhost = "10.0.0.1"\n[[allow]]\nhost = "[fd00::1]"\nports = [8080]\n\0'
      + v6("::ffff:10.0.0.1") + b"POST http://[fd00::1]:8080/")
write("egress_address", "metadata", v4(169, 254, 169, 254) + b"GET http://169.254.169.254/latest")
write("egress_address", "mapped", v6("::ffff:127.0.0.1") + b"GET https://api.example.com/v1/x")
write("egress_address", "nat64", v6("64:ff9b::a00:1") + b"GET http://10.1.2.3/")
write("egress_address", "deny", v4(8, 8, 8, 8) + b"GET https://a.internal.example.org/")
write("egress_address", "empty-label", v4(8, 8, 4, 4) + b"GET https://.internal.example.org/")
write("egress_address", "local", v6("fd00:ec2::254") + b"PUT http://api.local:81/x")

# The guest's URL parser: input, NUL, base.
for i, (input, base) in enumerate([
    ("https://user:pa ss@EXAMPLE.com:8080/a/./b/../c?q=1 2#f g", ""),
    ("file:///C:/x/../y", ""), ("http://0x7f.1/", ""), ("http://[::ffff:127.0.0.1]/", ""),
    ("//x/y", "https://base/a"), ("../a?b", "http://h/b/c/d"), ("mailto:x@y", ""),
    ("web+demo:/.//not-a-host/", ""), ("http://xn--nxasmq6b.com/", ""), ("non-special://h/p%zz", ""),
    ("blob:https://a/b", ""), ("\\\\server\\share", "file:///c:/"), ("?x", "sc:opaque"), ("http://faß.de/", ""),
]):
    write("url", f"seed{i:02}", (input + "\0" + base if base else input).encode())

# TypeScript: a byte choosing the file name, then the source.
write("typescript", "typed", b"\0" + repo("examples/typed.ts"))
write("typescript", "enum", b"\0" + repo("examples/enum.ts"))
write("typescript", "usage", b"\1" + repo("host/isobox/src/capability/types/testdata/usage.ts"))
write("typescript", "generics", b"\0function f<T extends { a: number }>(x: T): T { return x as T; }\n"
      b"let y = f<{ a: number }>({ a: 1 })!;\ninterface I { x?: string }\ntype U = I | null;\n"
      b"class C implements I { private x?: string; constructor(public y: number) {} }\n"
      b"declare module 'm' {}\nlet z = <T,>(a: T) => a;\nlet s = `${y satisfies object}`;\n")

# Code: a byte (file name and code_bytes), then the code.
for i, code in enumerate(["```js\n1 + 1\n```", "\n\n~~~~ts\nconst a: number = 1;\na\n~~~~~\n\n",
                          "Here:\n```js\n1\n```", "```\n```", "(input) => input.n * 2",
                          "export default async (input, env) => 1", " \t\n"]):
    write("code", f"seed{i}", bytes([i * 37 % 256]) + code.encode())

# Modules: main name, then (name, kind digit, source) triples, NUL-separated.
write("modules", "map", "main.js\0./lib/util.js\0" "0\0export const a = 1\0data.json\0" "0\0{\"a\": [1]}\0"
      "/t.ts\0" "3\0export let x: number = 1\0notes.txt\0" "1\0hello\0v.json\0" "2\0[1,2]")
write("modules", "bad", "main.js\0a/../b.js\0" "0\0x\0./main.js\0" "1\0t")
write("modules", "same", "m.ts\0a.js\0" "0\0x\0/a.js\0" "0\0y")

# isobox serve: a byte (bit 0: dispatch; bit 1: a low ceiling), then the JSON body.
write("serve_body", "run", b"\0" + json.dumps({
    "code": "async (input) => input.a + 1", "input": {"a": 41}, "filename": "main.js", "form": "script",
    "lang": "js", "limits": {"wall_time_ms": 1000, "fuel": 1000000, "memory_bytes": 1048576},
    "capabilities": ["kv"], "egress": "mock",
    "modules": {"lib.js": "export const a = 1", "d.json": {"json": {"a": 1}}}}).encode())
write("serve_body", "dispatch", b"\3" + json.dumps({
    "code": "export default { fetch(r) { return new Response('hi') } }",
    "request": {"method": "POST", "url": "http://localhost/x", "headers": [["a", "b"]], "body": "x"},
    "limits": {"result_bytes": 10}}).encode())
write("serve_body", "modules-only", b"\0" + json.dumps({"modules": {"main.ts": "let a: number = 1"},
                                                        "filename": "main.ts", "lang": "ts"}).encode())
write("serve_config", "example", repo("examples/serve.toml"))
write("serve_config", "doc", """[server]
max_in_flight = 64
max_queued = 256
max_body_bytes = 2097152
shutdown_grace_ms = 10000
retry_after_secs = 1
max_queue_wait_ms = 5000

[policies.mock]
[[policies.mock.respond]]
host = "mock.example"
body = "hi"

[tenants.acme]
key_sha256 = ["0000000000000000000000000000000000000000000000000000000000000000"]
key_env = ["KEY_ACME"]
capabilities = ["kv", "todo"]
egress = ["mock"]
[tenants.acme.max_limits]
wall_time_ms = 10000
memory_bytes = 134217728
[[tenants.acme.credential]]
origin = "https://api.github.com"
header = "authorization"
value_env = "KEY_TOKEN"
prefix = "Bearer "
""")
