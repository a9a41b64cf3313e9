//! JS -> Val -> JS through the echo functions of testdata/values.wit: what
//! comes back is what went in, or its one canonical form.

use super::*;

/// Lifts `value` as the argument of `method`, returns the Val as the
/// method's result, and gives what JavaScript sees.
fn round_trip(method: &str, value: J) -> J {
    let val = lift1(method, value.clone()).unwrap_or_else(|e| panic!("{method}({value:?}): {e}"));
    lower1(method, val).unwrap_or_else(|e| panic!("{method}({value:?}) back: {e}"))
}

fn same(method: &str, value: J) {
    assert_eq!(round_trip(method, value.clone()), value, "{method}");
}

#[test]
fn integers_of_every_width() {
    for (method, min, max) in [
        ("echoU8", 0.0, 255.0),
        ("echoU16", 0.0, 65535.0),
        ("echoU32", 0.0, 4_294_967_295.0),
        ("echoS8", -128.0, 127.0),
        ("echoS16", -32768.0, 32767.0),
        ("echoS32", -2_147_483_648.0, 2_147_483_647.0),
    ] {
        for v in [min, max, 0.0, 1.0, f64::div_euclid(min + max, 2.0)] {
            same(method, n(v));
        }
        assert_eq!(round_trip(method, n(-0.0)), n(0.0));
        let back = round_trip(method, n(-0.0));
        assert!(
            matches!(back, J::Num(v) if v.is_sign_positive()),
            "{method}: -0 comes back as 0"
        );
    }
}

#[test]
fn sixty_four_bit_integers_come_back_as_numbers_when_safe() {
    let safe = 9_007_199_254_740_991.0;
    for v in [0.0, 1.0, safe] {
        same("echoU64", n(v));
    }
    for v in [-safe, -1.0, 0.0, safe] {
        same("echoS64", n(v));
    }
    // A small BigInt comes back as a number; a large one as a BigInt.
    assert_eq!(round_trip("echoU64", big("5")), n(5.0));
    assert_eq!(round_trip("echoU64", big("9007199254740991")), n(safe));
    same("echoU64", big("9007199254740992"));
    same("echoU64", big("18446744073709551615"));
    same("echoS64", big("-9007199254740992"));
    same("echoS64", big("9223372036854775807"));
    same("echoS64", big("-9223372036854775808"));
    same("echoId", big("12345678901234567890"));
}

#[test]
fn floats_chars_strings_bools() {
    for v in [
        0.0,
        -0.0,
        1.5,
        -2.25,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        let back = round_trip("echoF64", n(v));
        assert!(
            matches!(back, J::Num(b) if b.to_bits() == v.to_bits()),
            "f64 {v}: {back:?}"
        );
    }
    assert!(matches!(round_trip("echoF64", n(f64::NAN)), J::Num(v) if v.is_nan()));
    // f32: exact for values it holds, rounded otherwise.
    for v in [0.0, 1.5, -3.0, 16_777_216.0] {
        same("echoF32", n(v));
    }
    assert_eq!(round_trip("echoF32", n(0.1)), n(f64::from(0.1f32)));
    assert_eq!(round_trip("echoF32", n(1e300)), n(f64::INFINITY));
    for c in ["a", "é", "😀", "\u{0}"] {
        same("echoChar", s(c));
    }
    for text in ["", "hello", "multi\nline \"quoted\"", "日本語"] {
        same("echoString", s(text));
    }
    same("echoBool", J::Bool(true));
    same("echoBool", J::Bool(false));
}

#[test]
fn bytes_lists_tuples() {
    same("echoBytes", J::Bytes(vec![]));
    same("echoBytes", J::Bytes((0..=255).collect()));
    assert_eq!(round_trip("echoBytes", arr(vec![n(1.0), n(2.0)])), J::Bytes(vec![1, 2]));
    same("echoBytesAlias", J::Bytes(vec![7; 3]));
    same("echoFixed", J::Bytes(vec![1, 2, 3, 4]));
    let points = arr(vec![
        obj(&[("x", n(1.0)), ("y", n(2.0))]),
        obj(&[("x", n(-1.0)), ("y", n(0.0))]),
    ]);
    same("echoFixedPoints", points.clone());
    same("echoPoints", points);
    same("echoPoints", arr(vec![]));
    same("echoList", arr(vec![n(0.0), n(4_294_967_295.0)]));
    same("echoNested", arr(vec![arr(vec![]), arr(vec![s("a"), s("b")])]));
    same("echoTuple", arr(vec![s("x"), n(7.0), J::Bool(true)]));
}

#[test]
fn records_options_variants_enums_flags_results() {
    same(
        "echoPerson",
        obj(&[("fullName", s("Ada")), ("age", n(36.0)), ("tags", arr(vec![s("math")]))]),
    );
    same(
        "echoPerson",
        obj(&[("fullName", s("Bob")), ("age", J::Null), ("tags", arr(vec![]))]),
    );
    // Missing options come back as null, keys in WIT order.
    assert_eq!(
        round_trip("echoPerson", obj(&[("tags", arr(vec![])), ("fullName", s("C"))])),
        obj(&[("fullName", s("C")), ("age", J::Null), ("tags", arr(vec![]))])
    );
    same("echoNamed", obj(&[("name", s("n"))]));
    same("echoOption", s("x"));
    same("echoOption", J::Null);
    assert_eq!(round_trip("echoOption", J::Undef), J::Null);
    same("echoOptions", arr(vec![n(1.0), J::Null, n(3.0)]));
    same("echoShape", obj(&[("tag", s("circle")), ("val", n(2.5))]));
    same(
        "echoShape",
        obj(&[("tag", s("rect")), ("val", obj(&[("x", n(1.0)), ("y", n(2.0))]))]),
    );
    same("echoShape", obj(&[("tag", s("empty"))]));
    same("echoShape", obj(&[("tag", s("maybe")), ("val", n(3.0))]));
    same("echoShape", obj(&[("tag", s("maybe")), ("val", J::Null)]));
    assert_eq!(
        round_trip("echoShape", obj(&[("tag", s("maybe"))])),
        obj(&[("tag", s("maybe")), ("val", J::Null)])
    );
    for color in ["red", "dark-green", "blue"] {
        same("echoColor", s(color));
    }
    same(
        "echoPerms",
        obj(&[
            ("read", J::Bool(true)),
            ("write", J::Bool(false)),
            ("execAll", J::Bool(true)),
        ]),
    );
    assert_eq!(
        round_trip("echoPerms", obj(&[("write", J::Bool(true))])),
        obj(&[
            ("read", J::Bool(false)),
            ("write", J::Bool(true)),
            ("execAll", J::Bool(false))
        ])
    );
    same(
        "echoResults",
        arr(vec![obj(&[("ok", n(1.0))]), obj(&[("err", s("e"))])]),
    );
    same(
        "echoOutcome",
        obj(&[("value", obj(&[("err", s("x"))])), ("bare", obj(&[("ok", J::Null)]))]),
    );
    assert_eq!(
        round_trip(
            "echoOutcome",
            obj(&[("value", obj(&[("ok", n(0.0))])), ("bare", obj(&[("err", J::Undef)]))])
        ),
        obj(&[("value", obj(&[("ok", n(0.0))])), ("bare", obj(&[("err", J::Null)]))])
    );
}

#[test]
fn every_echo_function_is_exercised() {
    // The echo functions above cover every WIT type in values.wit; a new one
    // added there without a round trip here fails this test.
    let covered = [
        "echoBool",
        "echoU8",
        "echoU16",
        "echoU32",
        "echoU64",
        "echoS8",
        "echoS16",
        "echoS32",
        "echoS64",
        "echoF32",
        "echoF64",
        "echoChar",
        "echoString",
        "echoBytes",
        "echoBytesAlias",
        "echoFixed",
        "echoFixedPoints",
        "echoList",
        "echoNested",
        "echoTuple",
        "echoPoint",
        "echoPerson",
        "echoPoints",
        "echoOption",
        "echoOptions",
        "echoShape",
        "echoColor",
        "echoPerms",
        "echoOutcome",
        "echoResults",
        "echoId",
        "echoNamed",
    ];
    let echoes: Vec<&str> = values()
        .functions()
        .iter()
        .map(|f| f.js_name.as_str())
        .filter(|name| name.starts_with("echo"))
        .collect();
    assert_eq!(echoes, covered);
    same(
        "echoPoint",
        obj(&[("x", n(i32::MIN.into())), ("y", n(i32::MAX.into()))]),
    );
}
