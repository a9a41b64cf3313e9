//! The small web platform APIs: atob/btoa (vectors from Node's
//! implementation), DOMException, queueMicrotask, reportError, performance,
//! crypto.getRandomValues and crypto.randomUUID.

use serde_json::json;

use crate::common::{assert_one_error_line, ok, run};

#[tokio::test]
async fn btoa_and_atob_match_nodes_results() {
    let code = r#"
        const encode = ["", "f", "fo", "foo", "foob", "fooba", "foobar", "\u00ff\u00fe\u0000", "héllo"].map((s) => btoa(s));
        const decode = ["a", "ab=c", "abc!", "=", "ab===", "ab  c=", "YQ", "Zm9v YmFy\n"].map((s) => {
            try { return atob(s); } catch (e) { return e.name; }
        });
        ({ encode, decode })"#;
    assert_eq!(
        ok(run(code).await),
        json!({
            "encode": ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", "//4A", "aOlsbG8="],
            "decode": ["InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError",
                       "InvalidCharacterError", "InvalidCharacterError", "i\u{b7}", "a", "foobar"]
        })
    );
}

#[tokio::test]
async fn btoa_refuses_characters_outside_latin1_with_a_dom_exception() {
    let code = "try { btoa('\\u0100'); } catch (e) { [e.name, e.code, e instanceof DOMException, e instanceof Error, e.message.length > 0] }";
    assert_eq!(
        ok(run(code).await),
        json!(["InvalidCharacterError", 5, true, true, true])
    );
}

#[tokio::test]
async fn queue_microtask_runs_before_the_next_await_and_reports_throws() {
    let outcome = run(
        "const seen = []; queueMicrotask(() => seen.push('micro')); seen.push('sync');\n\
                       queueMicrotask(() => { throw new RangeError('in a microtask'); });\n\
                       await null; await null; seen",
    )
    .await;
    assert_one_error_line(&outcome, "Uncaught RangeError: in a microtask");
    assert_eq!(outcome.result.unwrap(), json!(["sync", "micro"]));
}

#[tokio::test]
async fn performance_now_counts_from_the_run_start_and_time_origin_is_wall_time() {
    let code = "const a = performance.now(); await new Promise((r) => setTimeout(r, 25)); const b = performance.now();\n\
                [a >= 0 && a < 1000, b - a >= 24, Math.abs(performance.timeOrigin - Date.now()) < 60000]";
    assert_eq!(ok(run(code).await), json!([true, true, true]));
}

#[tokio::test]
async fn crypto_random_values_and_uuids_are_fresh_per_run() {
    let code = "const a = crypto.getRandomValues(new Uint32Array(4)); const u = crypto.randomUUID();\n\
                [Array.from(a).join(','), u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u)]";
    let first = ok(run(code).await);
    let second = ok(run(code).await);
    assert_eq!(first[2], json!(true));
    assert_ne!(
        first[0], second[0],
        "random bytes differ between runs (not frozen in the snapshot)"
    );
    assert_ne!(first[1], second[1]);
}

#[tokio::test]
async fn get_random_values_checks_its_argument() {
    let code = "const names = [];\n\
                for (const arg of [new Float64Array(2), [1, 2], new Uint8Array(65537)]) {\n\
                  try { crypto.getRandomValues(arg); names.push('ok'); } catch (e) { names.push(e.name); }\n\
                }\n\
                names.push(crypto.getRandomValues(new Uint8Array(65536)).length);\n\
                names";
    assert_eq!(
        ok(run(code).await),
        json!(["TypeMismatchError", "TypeMismatchError", "QuotaExceededError", 65536])
    );
}

/// Expected values from Node's TextEncoder/TextDecoder.
#[tokio::test]
async fn text_encoder_and_decoder_match_node_for_utf8() {
    let code = r#"
        const e = new TextEncoder(); const d = new TextDecoder();
        const out = [Array.from(e.encode("aé€😀")), Array.from(e.encode("\ud800x"))];
        out.push([
            d.decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x61, 0xC3])),
            new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x61])),
            d.decode(new Uint8Array([0xF0, 0x9F, 0x98]), { stream: true }) + "|" + d.decode(new Uint8Array([0x80, 0x62])),
            d.decode(new Uint8Array([0x61, 0x62]).buffer),
        ]);
        try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xFF])); } catch (err) { out.push(err.name); }
        try { new TextDecoder("utf-7"); } catch (err) { out.push(err.name); }
        const u = new Uint8Array(4);
        out.push(e.encodeInto("aé€", u), Array.from(u), e.encoding, d.encoding);
        out"#;
    assert_eq!(
        ok(run(code).await),
        json!([
            [97, 195, 169, 226, 130, 172, 240, 159, 152, 128],
            [239, 191, 189, 120],
            ["a\u{FFFD}", "\u{FEFF}a", "|😀b", "ab"],
            "TypeError",
            "RangeError",
            { "read": 2, "written": 3 },
            [97, 195, 169, 0],
            "utf-8",
            "utf-8"
        ])
    );
}

/// Every global `isobox types` declares exists in the sandbox, with the
/// declared kind (function or object).
#[tokio::test]
async fn every_declared_global_exists() {
    let mut names = Vec::new();
    for line in isobox::typescript::GLOBALS.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("declare") {
            continue;
        }
        let kind = words.next().unwrap_or_default();
        let name: String = words
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let expected = match kind {
            "function" | "class" => "function",
            "var" if name == "console" || name == "crypto" || name == "performance" => "object",
            _ => continue,
        };
        names.push((name, expected));
    }
    assert!(names.len() >= 25, "{names:?}");
    let code = format!(
        "({}).filter(([n, t]) => typeof globalThis[n] !== t).map(([n]) => n)",
        serde_json::to_string(&names).unwrap()
    );
    let outcome = crate::common::run(&code).await;
    assert_eq!(
        outcome.result.as_ref().ok(),
        Some(&serde_json::json!([])),
        "{:?}",
        outcome.result
    );
}
