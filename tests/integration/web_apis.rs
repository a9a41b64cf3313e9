//! The web platform globals of guest/src/platform.rs: URL and
//! URLSearchParams, Event and EventTarget, AbortController and AbortSignal,
//! structuredClone, crypto.subtle.digest and TextDecoder's legacy encodings.
//! Expected values are the standards' (checked against Node 20 where Node
//! agrees with them). The WPT run (`make wpt`) covers the same APIs in depth.

use serde_json::json;

use crate::common::{assert_one_error_line, ok, run};

#[tokio::test]
async fn url_normalises_ip_spellings_and_international_domains() {
    let code = r#"
        ["http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1./x", "http://[0:0:0:0:0:ffff:7f00:1]/",
         "http://[::ffff:127.0.0.1]:80/", "HTTP://Bücher.DE:8080/a/./b/../c", "https://%65xample.com/"]
          .map((u) => { const url = new URL(u); return [url.hostname, url.host, url.href]; })"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            ["127.0.0.1", "127.0.0.1", "http://127.0.0.1/"],
            ["127.0.0.1", "127.0.0.1", "http://127.0.0.1/"],
            ["127.0.0.1", "127.0.0.1", "http://127.0.0.1/x"],
            ["[::ffff:7f00:1]", "[::ffff:7f00:1]", "http://[::ffff:7f00:1]/"],
            ["[::ffff:7f00:1]", "[::ffff:7f00:1]", "http://[::ffff:7f00:1]/"],
            [
                "xn--bcher-kva.de",
                "xn--bcher-kva.de:8080",
                "http://xn--bcher-kva.de:8080/a/c"
            ],
            ["example.com", "example.com", "https://example.com/"]
        ])
    );
}

#[tokio::test]
async fn url_parses_against_a_base_and_refuses_what_is_not_a_url() {
    let code = r#"
        const u = new URL("../d/e?q=1#f", "https://user:pw@example.org:443/a/b/c");
        const parts = [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.port, u.pathname, u.search, u.hash];
        const failures = [["http://a b/"], ["x"], ["/rel", "not a base"], ["http://1.2.3.256/"], ["http://[::1/"], ["http://h:65536/"]]
          .map((args) => { try { new URL(...args); return "parsed"; } catch (e) { return e.constructor.name; } });
        ({ parts, failures, canParse: [URL.canParse("a:b"), URL.canParse("b", "a:/")], parsed: URL.parse("x"),
           file: new URL("file://localhost////foo").href, blob: new URL("blob:https://a.example:8443/id").origin,
           json: JSON.stringify({ u: new URL("http://x/y z") }), opaque: new URL("mailto:Someone@Example.com").pathname })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "parts": ["https://user:pw@example.org/a/d/e?q=1#f", "https://example.org", "https:", "user", "pw",
                      "example.org", "", "/a/d/e", "?q=1", "#f"],
            "failures": ["TypeError", "TypeError", "TypeError", "TypeError", "TypeError", "TypeError"],
            "canParse": [true, true],
            "parsed": null,
            "file": "file://////foo",
            "blob": "https://a.example:8443",
            "json": "{\"u\":\"http://x/y%20z\"}",
            "opaque": "Someone@Example.com"
        })
    );
}

#[tokio::test]
async fn url_setters_and_search_params_stay_in_step_both_ways() {
    let code = r#"
        const url = new URL("http://example.com:8080/p?a=1&b=2");
        const params = url.searchParams;
        const seen = [params === url.searchParams, params.get("b")];
        params.append("c", "x y&z");
        seen.push(url.search);
        url.search = "?k=v";
        seen.push(params.toString(), params.size);
        params.delete("k");
        seen.push(url.href);
        url.port = "80"; url.protocol = "https"; url.hostname = "EXAMPLE.net"; url.pathname = "/a b"; url.hash = "h";
        seen.push(url.href);
        url.port = "99999";
        url.username = "me@x";
        seen.push(url.href);
        seen"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            true,
            "2",
            "?a=1&b=2&c=x+y%26z",
            "k=v",
            1,
            "http://example.com:8080/p",
            "https://example.net/a%20b#h",
            "https://me%40x@example.net/a%20b#h"
        ])
    );
}

#[tokio::test]
async fn url_search_params_construct_mutate_sort_and_iterate() {
    let code = r#"
        const fromString = new URLSearchParams("?a=1&b=%F0%9F%98%80&a=2&c&=e+f");
        const fromPairs = new URLSearchParams([["z", "1"], ["y", "2"]]);
        const fromRecord = new URLSearchParams({ q: "x", r: "é" });
        const sorted = new URLSearchParams("c=1&a=2&b=3&a=1"); sorted.sort();
        const s = new URLSearchParams("a=1&a=2&b=3"); s.set("a", "9"); s.delete("b", "4");
        const forEach = []; fromPairs.forEach((v, k) => forEach.push(k + v));
        let bad; try { new URLSearchParams([["only-one"]]); } catch (e) { bad = e.name; }
        ({ all: fromString.getAll("a"), b: fromString.get("b"), has: [fromString.has("c"), fromString.has("a", "3")],
           entries: [...fromString], keys: [...fromRecord.keys()], sorted: sorted.toString(), s: s.toString(), size: s.size,
           forEach, record: fromRecord.toString(), missing: fromString.get("nope"), bad,
           tag: Object.prototype.toString.call(fromString.entries()) })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "all": ["1", "2"], "b": "😀", "has": [true, false],
            "entries": [["a", "1"], ["b", "😀"], ["a", "2"], ["c", ""], ["", "e f"]],
            "keys": ["q", "r"], "sorted": "a=2&a=1&b=3&c=1", "s": "a=9&b=3", "size": 2,
            "forEach": ["z1", "y2"], "record": "q=x&r=%C3%A9", "missing": null, "bad": "TypeError",
            "tag": "[object URLSearchParams Iterator]"
        })
    );
}

#[tokio::test]
async fn event_target_dispatches_in_order_with_once_capture_and_handle_event() {
    let code = r#"
        const target = new EventTarget();
        const seen = [];
        target.addEventListener("x", () => seen.push("bubble"));
        target.addEventListener("x", () => seen.push("capture"), { capture: true });
        target.addEventListener("x", () => seen.push("once"), { once: true });
        const handler = { handleEvent(e) { seen.push("object:" + (this === handler)); } };
        target.addEventListener("x", handler);
        const listener = () => seen.push("twice?");
        target.addEventListener("x", listener); target.addEventListener("x", listener);
        const event = new Event("x", { cancelable: true });
        const first = target.dispatchEvent(event);
        target.dispatchEvent(new Event("x"));
        target.removeEventListener("x", listener);
        target.dispatchEvent(new Event("x"));
        ({ seen, first, phase: event.eventPhase, target: event.target === target, current: event.currentTarget })"#;
    let value = ok(run(code).await);
    assert_eq!(value["first"], json!(true));
    assert_eq!(value["phase"], json!(0));
    assert_eq!(value["target"], json!(true));
    assert_eq!(value["current"], json!(null));
    assert_eq!(
        value["seen"],
        json!([
            "capture",
            "bubble",
            "once",
            "object:true",
            "twice?",
            "capture",
            "bubble",
            "object:true",
            "twice?",
            "capture",
            "bubble",
            "object:true"
        ])
    );
}

#[tokio::test]
async fn event_cancel_stop_and_a_throwing_listener_is_reported_while_dispatch_goes_on() {
    let code = r#"
        const t = new EventTarget();
        const seen = [];
        t.addEventListener("go", (e) => { e.preventDefault(); seen.push(e.defaultPrevented); });
        t.addEventListener("go", () => { throw new TypeError("listener broke"); });
        t.addEventListener("go", (e) => { seen.push("after throw"); e.stopImmediatePropagation(); });
        t.addEventListener("go", () => seen.push("never"));
        const passive = new EventTarget();
        passive.addEventListener("p", (e) => { e.preventDefault(); seen.push("passive:" + e.defaultPrevented); }, { passive: true });
        const results = [t.dispatchEvent(new Event("go", { cancelable: true })), passive.dispatchEvent(new Event("p", { cancelable: true }))];
        const custom = new CustomEvent("c", { detail: { n: 1 } });
        let again; t.addEventListener("re", (e) => { try { t.dispatchEvent(e); } catch (err) { again = err.name; } });
        t.dispatchEvent(new Event("re"));
        ({ seen, results, detail: custom.detail, again, trusted: custom.isTrusted, ctor: (() => { try { Event(); } catch (e) { return e.name; } })() })"#;
    let outcome = run(code).await;
    assert_one_error_line(&outcome, "Uncaught TypeError: listener broke");
    assert_eq!(
        outcome.result.unwrap(),
        json!({
            "seen": [true, "after throw", "passive:false"],
            "results": [false, true],
            "detail": { "n": 1 },
            "again": "InvalidStateError",
            "trusted": false,
            "ctor": "TypeError"
        })
    );
}

#[tokio::test]
async fn abort_controller_signals_with_a_reason_and_removes_signal_listeners() {
    let code = r#"
        const c = new AbortController();
        const seen = [];
        const t = new EventTarget();
        t.addEventListener("ping", () => seen.push("ping"), { signal: c.signal });
        t.addEventListener("ping", () => seen.push("no signal"), { signal: undefined, once: true });
        let nullSignal; try { t.addEventListener("ping", () => {}, { signal: null }); } catch (e) { nullSignal = e.name; }
        c.signal.onabort = (e) => seen.push("onabort:" + e.type + ":" + e.isTrusted);
        c.signal.addEventListener("abort", () => seen.push("listener"), { once: true });
        t.dispatchEvent(new Event("ping"));
        c.abort("why");
        c.abort("ignored");
        t.dispatchEvent(new Event("ping"));
        let thrown; try { c.signal.throwIfAborted(); } catch (e) { thrown = e; }
        const plain = new AbortController(); plain.abort();
        const pre = AbortSignal.abort();
        let illegal; try { new AbortSignal(); } catch (e) { illegal = e.name; }
        ({ seen, nullSignal, aborted: c.signal.aborted, reason: c.signal.reason, thrown,
           plain: [plain.signal.reason.name, plain.signal.reason instanceof DOMException, plain.signal.reason.code],
           pre: [pre.aborted, pre.reason.name], illegal })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "seen": ["ping", "no signal", "onabort:abort:true", "listener"],
            "nullSignal": "TypeError",
            "aborted": true, "reason": "why", "thrown": "why",
            "plain": ["AbortError", true, 20],
            "pre": [true, "AbortError"],
            "illegal": "TypeError"
        })
    );
}

#[tokio::test]
async fn abort_signal_timeout_and_any() {
    let code = r#"
        const a = new AbortController(); const b = new AbortController();
        const any = AbortSignal.any([a.signal, b.signal]);
        const nested = AbortSignal.any([any]);
        const order = [];
        nested.addEventListener("abort", () => order.push("nested"));
        any.addEventListener("abort", () => order.push("any"));
        b.abort("from b");
        a.abort("from a");
        const already = AbortSignal.any([AbortSignal.abort("early"), a.signal]);
        const timeout = AbortSignal.timeout(10);
        const startedAborted = timeout.aborted;
        const reason = await new Promise((resolve) => timeout.addEventListener("abort", () => resolve(timeout.reason)));
        ({ order, any: any.reason, nested: nested.reason, already: already.reason, startedAborted,
           timeout: [reason.name, reason instanceof DOMException, reason.code] })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "order": ["any", "nested"],
            "any": "from b", "nested": "from b", "already": "early",
            "startedAborted": false,
            "timeout": ["TimeoutError", true, 23]
        })
    );
}

#[tokio::test]
async fn structured_clone_keeps_types_cycles_and_shared_references() {
    let code = r#"
        const shared = { s: 1 };
        const source = {
          n: -0, big: 12345678901234567890n, str: Object("w"), num: Object(2), bool: Object(false),
          date: new Date(86400000), re: /a+/gi, map: new Map([[shared, "v"]]), set: new Set([shared, 3]),
          sparse: [1, , 3], bytes: new Uint16Array([1, 2, 65535]), view: null,
          err: new RangeError("bad"), shared, again: shared,
        };
        source.self = source;
        source.sparse.extra = "kept";
        const buffer = new ArrayBuffer(8); new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
        source.view = new DataView(buffer, 2, 4); source.u8 = new Uint8Array(buffer, 4);
        const c = structuredClone(source);
        ({
          distinct: c !== source && c.shared !== shared, cycle: c.self === c, sharedKept: c.shared === c.again,
          mapKey: c.map.keys().next().value === c.shared, setHas: c.set.has(c.shared),
          negZero: Object.is(c.n, -0), big: c.big === source.big, wrappers: [typeof c.str, c.str.valueOf(), c.num + 1, c.bool.valueOf()],
          date: c.date.toISOString(), re: [c.re.source, c.re.flags, c.re.lastIndex],
          sparse: [c.sparse.length, 1 in c.sparse, c.sparse.extra], bytes: [c.bytes.constructor.name, Array.from(c.bytes)],
          sameBuffer: c.view.buffer === c.u8.buffer && c.view.buffer !== buffer, view: [c.view.byteOffset, c.view.getUint8(0)],
          err: [c.err instanceof RangeError, c.err.message, Object.getOwnPropertyNames(c.err).includes("message")],
          proto: Object.getPrototypeOf(structuredClone(new (class Point { constructor() { this.x = 1; } })())) === Object.prototype,
        })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "distinct": true, "cycle": true, "sharedKept": true, "mapKey": true, "setHas": true,
            "negZero": true, "big": true, "wrappers": ["object", "w", 3, false],
            "date": "1970-01-02T00:00:00.000Z", "re": ["a+", "gi", 0],
            "sparse": [3, false, "kept"], "bytes": ["Uint16Array", [1, 2, 65535]],
            "sameBuffer": true, "view": [2, 3],
            "err": [true, "bad", true],
            "proto": true
        })
    );
}

#[tokio::test]
async fn structured_clone_refuses_what_cannot_be_cloned_and_transfers_buffers() {
    let code = r#"
        const refused = [() => 1, Symbol("s"), new WeakMap(), Promise.resolve(), new URL("http://x/"),
                         new EventTarget(), new Proxy({}, {}), { nested: { fn() {} } }]
          .map((v) => { try { structuredClone(v); return "cloned"; } catch (e) { return e.name + ":" + e.code; } });
        const buffer = new Uint8Array([9, 8, 7]).buffer;
        const moved = structuredClone({ buffer }, { transfer: [buffer] });
        let twice; try { structuredClone(null, { transfer: [buffer] }); } catch (e) { twice = e.name; }
        const dom = structuredClone(new DOMException("gone", "NotFoundError"));
        ({ refused, detached: buffer.byteLength, moved: Array.from(new Uint8Array(moved.buffer)), twice,
           dom: [dom instanceof DOMException, dom.name, dom.message, dom.code] })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "refused": ["DataCloneError:25", "DataCloneError:25", "DataCloneError:25", "DataCloneError:25",
                        "DataCloneError:25", "DataCloneError:25", "DataCloneError:25", "DataCloneError:25"],
            "detached": 0,
            "moved": [9, 8, 7],
            "twice": "DataCloneError",
            "dom": [true, "NotFoundError", "gone", 8]
        })
    );
}

#[tokio::test]
async fn subtle_digest_matches_the_fips_vectors() {
    let code = r#"
        const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
        const abc = new TextEncoder().encode("abc");
        const out = {};
        for (const name of ["SHA-1", "sha-256", { name: "Sha-384" }, "SHA-512"]) {
          out[typeof name === "string" ? name : name.name] = hex(await crypto.subtle.digest(name, abc));
        }
        out.view = hex(await crypto.subtle.digest("SHA-256", new Uint8Array([0, 97, 98, 99, 0]).subarray(1, 4)));
        out.buffer = (await crypto.subtle.digest("SHA-1", abc.buffer)) instanceof ArrayBuffer;
        out.errors = [];
        for (const args of [["MD5", abc], ["SHA-256", "abc"], [{}, abc], ["SHA-256"]]) {
          try { await crypto.subtle.digest(...args); out.errors.push("resolved"); } catch (e) { out.errors.push(e.name); }
        }
        out.instance = crypto.subtle instanceof SubtleCrypto;
        try { new SubtleCrypto(); } catch (e) { out.illegal = e.name; }
        out"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "SHA-1": "a9993e364706816aba3e25717850c26c9cd0d89d",
            "sha-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "Sha-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "SHA-512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "view": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "buffer": true,
            "errors": ["NotSupportedError", "TypeError", "TypeError", "TypeError"],
            "instance": true,
            "illegal": "TypeError"
        })
    );
}

#[tokio::test]
async fn text_decoder_reads_the_legacy_encodings() {
    let code = r#"
        const d = (label, bytes, options) => new TextDecoder(label, options).decode(new Uint8Array(bytes));
        const refused = ["replacement", "iso-2022-kr", "utf-7", "\u00a0utf-8"]
          .map((l) => { try { new TextDecoder(l); return "accepted"; } catch (e) { return e.name; } });
        let fatal; try { d("shift_jis", [0x82], { fatal: true }); } catch (e) { fatal = e.name; }
        const streaming = new TextDecoder("utf-16le");
        const halves = streaming.decode(new Uint8Array([0x3d, 0xd8]), { stream: true }) + "|" + streaming.decode(new Uint8Array([0x00, 0xde]));
        ({ names: ["latin1", " UTF8 ", "sjis", "gbk", "csisolatin2"].map((l) => new TextDecoder(l).encoding),
           text: [d("windows-1252", [0x80, 0x41]), d("shift_jis", [0x82, 0xa0]), d("gb18030", [0x81, 0x30, 0x81, 0x30]),
                  d("euc-kr", [0xb0, 0xa1]), d("koi8-r", [0xc1]), d("utf-16be", [0xfe, 0xff, 0x00, 0x41])],
           refused, fatal, halves })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "names": ["windows-1252", "utf-8", "shift_jis", "gbk", "iso-8859-2"],
            "text": ["€A", "あ", "\u{80}", "가", "а", "A"],
            "refused": ["RangeError", "RangeError", "RangeError", "RangeError"],
            "fatal": "TypeError",
            "halves": "|😀"
        })
    );
}

#[tokio::test]
async fn the_global_is_an_event_target_and_report_error_fires_error_events() {
    let code = r#"
        const seen = [];
        addEventListener("error", (e) => { seen.push([e instanceof ErrorEvent, e.message, e.error.message]); e.preventDefault(); });
        reportError(new Error("handled"));
        removeEventListener("error", () => {});
        ({ seen, global: typeof dispatchEvent })"#;
    let outcome = run(code).await;
    assert!(
        outcome.logs.entries.is_empty(),
        "a cancelled error event is not logged: {:?}",
        outcome.logs
    );
    assert_eq!(
        outcome.result.unwrap(),
        json!({ "seen": [[true, "Uncaught Error: handled", "handled"]], "global": "function" })
    );
}

#[tokio::test]
async fn the_platform_classes_are_fresh_in_every_run() {
    let poison = "URL.prototype.toString = () => 'poisoned'; EventTarget.prototype.addEventListener = null; \
                  globalThis.structuredClone = null; 1";
    assert_eq!(ok(run(poison).await), json!(1));
    let check = "[String(new URL('http://x/')), typeof EventTarget.prototype.addEventListener, typeof structuredClone]";
    assert_eq!(ok(run(check).await), json!(["http://x/", "function", "function"]));
}
