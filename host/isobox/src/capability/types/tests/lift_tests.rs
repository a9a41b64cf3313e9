//! JavaScript to WIT: every type, its boundaries, and the exact message of
//! each refusal.

use super::*;

fn is_u64(val: &Val, expected: u64) -> bool {
    matches!(val, Val::U64(v) if *v == expected)
}

fn is_s64(val: &Val, expected: i64) -> bool {
    matches!(val, Val::S64(v) if *v == expected)
}

#[test]
fn small_integers_accept_exactly_their_range() {
    // (method, min, max)
    let widths: [(&str, f64, f64); 6] = [
        ("echoU8", 0.0, 255.0),
        ("echoU16", 0.0, 65535.0),
        ("echoU32", 0.0, 4_294_967_295.0),
        ("echoS8", -128.0, 127.0),
        ("echoS16", -32768.0, 32767.0),
        ("echoS32", -2_147_483_648.0, 2_147_483_647.0),
    ];
    for (method, min, max) in widths {
        let wit = method.trim_start_matches("echo").to_lowercase();
        let min_val = lift1(method, n(min)).unwrap();
        let max_val = lift1(method, n(max)).unwrap();
        assert_eq!(numeric(&min_val), min, "{method} min");
        assert_eq!(numeric(&max_val), max, "{method} max");
        assert_eq!(
            lift_error(method, n(min - 1.0)),
            format!("t.{method}: args[0]: expected {wit}, got {}", min - 1.0)
        );
        assert_eq!(
            lift_error(method, n(max + 1.0)),
            format!("t.{method}: args[0]: expected {wit}, got {}", max + 1.0)
        );
        assert_eq!(
            lift_error(method, n(0.5)),
            format!("t.{method}: args[0]: expected {wit}, got 0.5")
        );
        assert_eq!(
            lift_error(method, n(f64::NAN)),
            format!("t.{method}: args[0]: expected {wit}, got NaN")
        );
        assert_eq!(
            lift_error(method, n(f64::INFINITY)),
            format!("t.{method}: args[0]: expected {wit}, got Infinity")
        );
        assert_eq!(
            lift_error(method, big("1")),
            format!("t.{method}: args[0]: expected {wit}, got 1n")
        );
        assert_eq!(
            lift_error(method, s("1")),
            format!("t.{method}: args[0]: expected {wit}, got \"1\"")
        );
        assert_eq!(numeric(&lift1(method, n(-0.0)).unwrap()), 0.0, "{method} -0");
    }
}

fn numeric(val: &Val) -> f64 {
    match val {
        Val::U8(v) => f64::from(*v),
        Val::U16(v) => f64::from(*v),
        Val::U32(v) => f64::from(*v),
        Val::S8(v) => f64::from(*v),
        Val::S16(v) => f64::from(*v),
        Val::S32(v) => f64::from(*v),
        other => panic!("not a small integer: {other:?}"),
    }
}

#[test]
fn u64_takes_safe_numbers_or_bigints_in_range() {
    assert!(is_u64(&lift1("echoU64", n(0.0)).unwrap(), 0));
    assert!(is_u64(&lift1("echoU64", n(-0.0)).unwrap(), 0));
    assert!(is_u64(
        &lift1("echoU64", n(9_007_199_254_740_991.0)).unwrap(),
        (1 << 53) - 1
    ));
    assert!(is_u64(&lift1("echoU64", big("9007199254740992")).unwrap(), 1 << 53));
    assert!(is_u64(
        &lift1("echoU64", big("18446744073709551615")).unwrap(),
        u64::MAX
    ));
    assert!(is_u64(&lift1("echoU64", big("0")).unwrap(), 0));
    assert_eq!(
        lift_error("echoU64", n(9_007_199_254_740_992.0)),
        "t.echoU64: args[0]: expected u64, got 9007199254740992 (past 2^53 - 1 a number is inexact: pass a BigInt)"
    );
    assert_eq!(
        lift_error("echoU64", big("18446744073709551616")),
        "t.echoU64: args[0]: expected u64, got 18446744073709551616n"
    );
    assert_eq!(
        lift_error("echoU64", big("-1")),
        "t.echoU64: args[0]: expected u64, got -1n"
    );
    assert_eq!(
        lift_error("echoU64", n(-1.0)),
        "t.echoU64: args[0]: expected u64, got -1"
    );
    assert_eq!(
        lift_error("echoU64", n(1.5)),
        "t.echoU64: args[0]: expected u64, got 1.5"
    );
    assert_eq!(
        lift_error("echoU64", n(f64::NAN)),
        "t.echoU64: args[0]: expected u64, got NaN"
    );
    // Digits only, as a BigInt's toString gives them.
    assert_eq!(
        lift_error("echoU64", big("+1")),
        "t.echoU64: args[0]: expected u64, got +1n"
    );
    assert_eq!(
        lift_error("echoU64", big("0x10")),
        "t.echoU64: args[0]: expected u64, got 0x10n"
    );
    assert_eq!(
        lift_error("echoU64", big("")),
        "t.echoU64: args[0]: expected u64, got n"
    );
    let huge = "9".repeat(5000);
    let message = lift_error("echoU64", big(&huge));
    assert!(message.len() < 120, "{message}");
    // An alias of u64 is a u64.
    assert!(is_u64(&lift1("echoId", big("18446744073709551615")).unwrap(), u64::MAX));
}

#[test]
fn s64_takes_safe_numbers_or_bigints_in_range() {
    assert!(is_s64(
        &lift1("echoS64", n(-9_007_199_254_740_991.0)).unwrap(),
        -((1 << 53) - 1)
    ));
    assert!(is_s64(
        &lift1("echoS64", n(9_007_199_254_740_991.0)).unwrap(),
        (1 << 53) - 1
    ));
    assert!(is_s64(
        &lift1("echoS64", big("-9223372036854775808")).unwrap(),
        i64::MIN
    ));
    assert!(is_s64(&lift1("echoS64", big("9223372036854775807")).unwrap(), i64::MAX));
    assert!(is_s64(&lift1("echoS64", big("-9007199254740992")).unwrap(), -(1 << 53)));
    assert_eq!(
        lift_error("echoS64", big("9223372036854775808")),
        "t.echoS64: args[0]: expected s64, got 9223372036854775808n"
    );
    assert_eq!(
        lift_error("echoS64", big("-9223372036854775809")),
        "t.echoS64: args[0]: expected s64, got -9223372036854775809n"
    );
    assert!(lift_error("echoS64", n(-9_007_199_254_740_992.0)).contains("pass a BigInt"));
    assert_eq!(
        lift_error("echoS64", big("--1")),
        "t.echoS64: args[0]: expected s64, got --1n"
    );
}

#[test]
fn floats_take_any_number() {
    assert!(matches!(lift1("echoF64", n(0.1)).unwrap(), Val::Float64(v) if v == 0.1));
    assert!(matches!(lift1("echoF64", n(f64::NAN)).unwrap(), Val::Float64(v) if v.is_nan()));
    assert!(matches!(lift1("echoF64", n(f64::NEG_INFINITY)).unwrap(), Val::Float64(v) if v == f64::NEG_INFINITY));
    assert!(matches!(lift1("echoF64", n(-0.0)).unwrap(), Val::Float64(v) if v == 0.0 && v.is_sign_negative()));
    // f32 rounds to nearest; past its range, an infinity.
    assert!(matches!(lift1("echoF32", n(0.1)).unwrap(), Val::Float32(v) if v == 0.1f32));
    assert!(matches!(lift1("echoF32", n(1e39)).unwrap(), Val::Float32(v) if v == f32::INFINITY));
    assert!(matches!(lift1("echoF32", n(16_777_217.0)).unwrap(), Val::Float32(v) if v == 16_777_216.0));
    assert_eq!(
        lift_error("echoF32", big("1")),
        "t.echoF32: args[0]: expected number (f32), got 1n"
    );
    assert_eq!(
        lift_error("echoF64", s("1.5")),
        "t.echoF64: args[0]: expected number (f64), got \"1.5\""
    );
}

#[test]
fn bool_char_and_string() {
    assert!(matches!(lift1("echoBool", J::Bool(true)).unwrap(), Val::Bool(true)));
    assert_eq!(
        lift_error("echoBool", n(1.0)),
        "t.echoBool: args[0]: expected boolean, got 1"
    );
    assert!(matches!(lift1("echoChar", s("é")).unwrap(), Val::Char('é')));
    assert!(matches!(lift1("echoChar", s("😀")).unwrap(), Val::Char('😀')));
    assert_eq!(
        lift_error("echoChar", s("ab")),
        "t.echoChar: args[0]: expected a string of one character (char), got \"ab\""
    );
    assert_eq!(
        lift_error("echoChar", s("")),
        "t.echoChar: args[0]: expected a string of one character (char), got \"\""
    );
    assert!(matches!(lift1("echoString", s("")).unwrap(), Val::String(v) if v.is_empty()));
    assert_eq!(
        lift_error("echoString", J::Null),
        "t.echoString: args[0]: expected string, got null"
    );
    assert_eq!(
        lift_error("echoString", J::Undef),
        "t.echoString: args[0]: expected string, got undefined"
    );
}

#[test]
fn bytes_take_a_uint8array_or_an_array_of_bytes() {
    let expect = |val: Val, bytes: &[u8]| match val {
        Val::List(items) => assert_eq!(
            items.iter().map(|v| u8::from_val(v).unwrap()).collect::<Vec<_>>(),
            bytes
        ),
        other => panic!("{other:?}"),
    };
    expect(lift1("echoBytes", J::Bytes(vec![0, 1, 255])).unwrap(), &[0, 1, 255]);
    expect(lift1("echoBytes", arr(vec![n(0.0), n(255.0)])).unwrap(), &[0, 255]);
    expect(lift1("echoBytesAlias", J::Bytes(vec![9])).unwrap(), &[9]);
    expect(lift1("echoBytes", J::Bytes(vec![])).unwrap(), &[]);
    assert_eq!(
        lift_error("echoBytes", arr(vec![n(1.0), n(256.0)])),
        "t.echoBytes: args[0][1]: expected u8, got 256"
    );
    assert_eq!(
        lift_error("echoBytes", s("abc")),
        "t.echoBytes: args[0]: expected a Uint8Array, ArrayBuffer or array of bytes, got \"abc\""
    );
    // A Uint8Array is not a list of anything else.
    assert_eq!(
        lift_error("echoList", J::Bytes(vec![1])),
        "t.echoList: args[0]: expected an array, got a Uint8Array of 1 bytes"
    );
}

#[test]
fn fixed_length_lists_want_exactly_n() {
    assert!(matches!(lift1("echoFixed", J::Bytes(vec![1, 2, 3, 4])).unwrap(), Val::FixedLengthList(v) if v.len() == 4));
    assert!(matches!(lift1("echoFixed", arr(vec![n(1.0); 4])).unwrap(), Val::FixedLengthList(v) if v.len() == 4));
    assert_eq!(
        lift_error("echoFixed", J::Bytes(vec![1, 2, 3])),
        "t.echoFixed: args[0]: expected a Uint8Array or array of 4 bytes, got a Uint8Array of 3 bytes"
    );
    assert_eq!(
        lift_error("echoFixedPoints", arr(vec![obj(&[("x", n(1.0)), ("y", n(2.0))])])),
        "t.echoFixedPoints: args[0]: expected an array of 2 elements, got an array of 1 elements"
    );
}

#[test]
fn lists_and_tuples() {
    let Val::List(items) = lift1("echoNested", arr(vec![arr(vec![s("a")]), arr(vec![])])).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert_eq!(
        lift_error("echoNested", arr(vec![arr(vec![]), arr(vec![s("a"), n(1.0)])])),
        "t.echoNested: args[0][1][1]: expected string, got 1"
    );
    let Val::Tuple(items) = lift1("echoTuple", arr(vec![s("a"), n(1.0), J::Bool(false)])).unwrap() else {
        panic!()
    };
    assert!(matches!(
        items.as_slice(),
        [Val::String(_), Val::U32(1), Val::Bool(false)]
    ));
    assert_eq!(
        lift_error("echoTuple", arr(vec![s("a"), n(1.0)])),
        "t.echoTuple: args[0]: expected an array of 3 elements (tuple), got an array of 2 elements"
    );
    assert_eq!(
        lift_error("echoTuple", arr(vec![s("a"), n(-1.0), J::Bool(true)])),
        "t.echoTuple: args[0][1]: expected u32, got -1"
    );
}

#[test]
fn records_use_camel_case_keys_in_wit_order() {
    let person = obj(&[("tags", arr(vec![s("x")])), ("fullName", s("Ada")), ("age", n(36.0))]);
    let Val::Record(fields) = lift1("echoPerson", person).unwrap() else {
        panic!()
    };
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["full-name", "age", "tags"]);
    assert!(matches!(&fields[1].1, Val::Option(Some(v)) if matches!(**v, Val::U8(36))));
    // A missing or undefined or null option field is none.
    for age in [None, Some(J::Undef), Some(J::Null)] {
        let mut entries = vec![("fullName", s("Ada")), ("tags", arr(vec![]))];
        if let Some(age) = age {
            entries.push(("age", age));
        }
        let Val::Record(fields) = lift1("echoPerson", obj(&entries)).unwrap() else {
            panic!()
        };
        assert!(matches!(fields[1].1, Val::Option(None)));
    }
    // A named alias of an option counts as an option.
    let Val::Record(fields) = lift1("echoNamed", obj(&[])).unwrap() else {
        panic!()
    };
    assert!(matches!(fields[0].1, Val::Option(None)));
}

#[test]
fn record_errors_name_the_key() {
    assert_eq!(
        lift_error("echoPerson", obj(&[("fullName", s("A"))])),
        "t.echoPerson: args[0].tags: missing, expected list<string>"
    );
    assert_eq!(
        lift_error(
            "echoPerson",
            obj(&[("fullName", s("A")), ("tags", arr(vec![])), ("full_name", s("B"))])
        ),
        "t.echoPerson: args[0]: unknown key \"full_name\" (Person has fullName, age, tags)"
    );
    // The WIT spelling is not the JavaScript one.
    assert!(
        lift_error("echoPerson", obj(&[("full-name", s("A")), ("tags", arr(vec![]))]))
            .contains("unknown key \"full-name\"")
    );
    assert_eq!(
        lift_error(
            "echoPerson",
            obj(&[("fullName", s("A")), ("tags", arr(vec![s("ok"), J::Null]))])
        ),
        "t.echoPerson: args[0].tags[1]: expected string, got null"
    );
    assert_eq!(
        lift_error(
            "echoPerson",
            obj(&[("fullName", s("A")), ("tags", arr(vec![])), ("age", n(256.0))])
        ),
        "t.echoPerson: args[0].age: expected u8, got 256"
    );
    assert_eq!(
        lift_error("echoPerson", arr(vec![])),
        "t.echoPerson: args[0]: expected an object (Person), got an array of 0 elements"
    );
    assert_eq!(
        lift_error(
            "echoPoints",
            arr(vec![
                obj(&[("x", n(1.0)), ("y", n(2.0))]),
                obj(&[("x", n(1.0)), ("y", n(2.5))])
            ])
        ),
        "t.echoPoints: args[0][1].y: expected s32, got 2.5"
    );
}

#[test]
fn options_take_null_or_undefined_as_none() {
    assert!(matches!(lift1("echoOption", J::Null).unwrap(), Val::Option(None)));
    assert!(matches!(lift1("echoOption", J::Undef).unwrap(), Val::Option(None)));
    assert!(
        matches!(lift1("echoOption", s("")).unwrap(), Val::Option(Some(v)) if matches!(&*v, Val::String(s) if s.is_empty()))
    );
    let Val::List(items) = lift1("echoOptions", arr(vec![n(1.0), J::Null, J::Undef])).unwrap() else {
        panic!()
    };
    assert!(matches!(
        items.as_slice(),
        [Val::Option(Some(_)), Val::Option(None), Val::Option(None)]
    ));
    assert_eq!(
        lift_error("echoOptions", arr(vec![n(-1.0)])),
        "t.echoOptions: args[0][0]: expected u32, got -1"
    );
}

#[test]
fn variants_are_tag_and_val() {
    let circle = lift1("echoShape", obj(&[("tag", s("circle")), ("val", n(1.5))])).unwrap();
    assert!(matches!(&circle, Val::Variant(tag, Some(v)) if tag == "circle" && matches!(**v, Val::Float64(1.5))));
    let empty = lift1("echoShape", obj(&[("tag", s("empty"))])).unwrap();
    assert!(matches!(&empty, Val::Variant(tag, None) if tag == "empty"));
    let empty = lift1("echoShape", obj(&[("tag", s("empty")), ("val", J::Undef)])).unwrap();
    assert!(matches!(&empty, Val::Variant(tag, None) if tag == "empty"));
    // A payload that is an option may be left out.
    let maybe = lift1("echoShape", obj(&[("tag", s("maybe"))])).unwrap();
    assert!(matches!(&maybe, Val::Variant(tag, Some(v)) if tag == "maybe" && matches!(**v, Val::Option(None))));
    let rect = obj(&[("val", obj(&[("x", n(1.0)), ("y", n(-2.0))])), ("tag", s("rect"))]);
    assert!(matches!(lift1("echoShape", rect).unwrap(), Val::Variant(tag, Some(_)) if tag == "rect"));
    assert_eq!(
        lift_error("echoShape", obj(&[("tag", s("circle"))])),
        "t.echoShape: args[0].val: missing, expected f64"
    );
    assert_eq!(
        lift_error("echoShape", obj(&[("tag", s("empty")), ("val", n(1.0))])),
        "t.echoShape: args[0].val: expected nothing (undefined or null), got 1"
    );
    assert_eq!(
        lift_error("echoShape", obj(&[("tag", s("square"))])),
        "t.echoShape: args[0].tag: expected one of \"circle\", \"rect\", \"empty\", \"maybe\", got \"square\""
    );
    assert_eq!(
        lift_error("echoShape", obj(&[("val", n(1.0))])),
        "t.echoShape: args[0].tag: missing, expected one of \"circle\", \"rect\", \"empty\", \"maybe\""
    );
    assert_eq!(
        lift_error(
            "echoShape",
            obj(&[("tag", s("circle")), ("val", n(1.0)), ("extra", n(1.0))])
        ),
        "t.echoShape: args[0]: expected { tag, val? } (Shape), got an unknown key \"extra\""
    );
    assert_eq!(
        lift_error(
            "echoShape",
            obj(&[("tag", s("rect")), ("val", obj(&[("x", n(1.0)), ("y", s("2"))]))])
        ),
        "t.echoShape: args[0].val.y: expected s32, got \"2\""
    );
    assert_eq!(
        lift_error("echoShape", s("empty")),
        "t.echoShape: args[0]: expected { tag, val? } (Shape), got \"empty\""
    );
}

#[test]
fn enums_are_case_names() {
    assert!(matches!(lift1("echoColor", s("dark-green")).unwrap(), Val::Enum(c) if c == "dark-green"));
    assert_eq!(
        lift_error("echoColor", s("darkGreen")),
        "t.echoColor: args[0]: expected one of \"red\", \"dark-green\", \"blue\", got \"darkGreen\""
    );
    assert_eq!(
        lift_error("echoColor", n(0.0)),
        "t.echoColor: args[0]: expected one of \"red\", \"dark-green\", \"blue\", got 0"
    );
}

#[test]
fn flags_are_objects_of_booleans() {
    let Val::Flags(set) = lift1(
        "echoPerms",
        obj(&[
            ("read", J::Bool(true)),
            ("execAll", J::Bool(true)),
            ("write", J::Bool(false)),
        ]),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(set, ["read", "exec-all"]);
    let Val::Flags(set) = lift1("echoPerms", obj(&[])).unwrap() else {
        panic!()
    };
    assert!(set.is_empty());
    let Val::Flags(set) = lift1("echoPerms", obj(&[("write", J::Undef)])).unwrap() else {
        panic!()
    };
    assert!(set.is_empty());
    assert_eq!(
        lift_error("echoPerms", obj(&[("delete", J::Bool(true))])),
        "t.echoPerms: args[0]: unknown key \"delete\" (Perms has read, write, execAll)"
    );
    assert_eq!(
        lift_error("echoPerms", obj(&[("read", n(1.0))])),
        "t.echoPerms: args[0].read: expected boolean, got 1"
    );
    assert_eq!(
        lift_error("echoPerms", J::Null),
        "t.echoPerms: args[0]: expected an object of booleans (Perms), got null"
    );
}

#[test]
fn results_inside_values_are_ok_or_err() {
    let value = obj(&[("value", obj(&[("ok", n(3.0))])), ("bare", obj(&[("err", J::Null)]))]);
    let Val::Record(fields) = lift1("echoOutcome", value).unwrap() else {
        panic!()
    };
    assert!(matches!(&fields[0].1, Val::Result(Ok(Some(v))) if matches!(**v, Val::U32(3))));
    assert!(matches!(&fields[1].1, Val::Result(Err(None))));
    let value = obj(&[("value", obj(&[("err", s("bad"))])), ("bare", obj(&[("ok", J::Undef)]))]);
    let Val::Record(fields) = lift1("echoOutcome", value).unwrap() else {
        panic!()
    };
    assert!(matches!(&fields[0].1, Val::Result(Err(Some(v))) if matches!(&**v, Val::String(s) if s == "bad")));
    assert!(matches!(&fields[1].1, Val::Result(Ok(None))));
    let expected = "expected { ok: value } or { err: value } (result)";
    assert_eq!(
        lift_error("echoResults", arr(vec![obj(&[("ok", n(1.0)), ("err", s("x"))])])),
        format!("t.echoResults: args[0][0]: {expected}, got an object with keys \"ok\", \"err\"")
    );
    assert_eq!(
        lift_error("echoResults", arr(vec![obj(&[])])),
        format!("t.echoResults: args[0][0]: {expected}, got an object with keys none")
    );
    assert_eq!(
        lift_error("echoResults", arr(vec![n(1.0)])),
        format!("t.echoResults: args[0][0]: {expected}, got 1")
    );
    assert_eq!(
        lift_error("echoResults", arr(vec![obj(&[("err", n(1.0))])])),
        "t.echoResults: args[0][0].err: expected string, got 1"
    );
    assert_eq!(
        lift_error(
            "echoOutcome",
            obj(&[("value", obj(&[("ok", n(1.0))])), ("bare", obj(&[("ok", n(1.0))]))])
        ),
        "t.echoOutcome: args[0].bare.ok: expected nothing (undefined or null), got 1"
    );
}

#[test]
fn argument_counts() {
    let ok = call("optionalTail", vec![s("a")]).unwrap();
    assert!(matches!(
        ok.as_slice(),
        [Val::String(_), Val::Option(None), Val::Option(None)]
    ));
    let ok = call("optionalTail", vec![s("a"), n(1.0)]).unwrap();
    assert!(matches!(ok.as_slice(), [_, Val::Option(Some(_)), Val::Option(None)]));
    assert_eq!(
        call("optionalTail", vec![]).unwrap_err().to_string(),
        "t.optionalTail: expected 1 to 3 arguments, got 0"
    );
    assert_eq!(
        call("optionalTail", vec![s("a"), J::Null, J::Null, J::Null])
            .unwrap_err()
            .to_string(),
        "t.optionalTail: expected 1 to 3 arguments, got 4"
    );
    assert_eq!(
        call("echoU8", vec![]).unwrap_err().to_string(),
        "t.echoU8: expected 1 argument, got 0"
    );
    assert_eq!(
        call("echoU8", vec![n(1.0), n(2.0)]).unwrap_err().to_string(),
        "t.echoU8: expected 1 argument, got 2"
    );
    assert!(call("nothing", vec![]).unwrap().is_empty());
    assert_eq!(
        call("nothing", vec![J::Undef]).unwrap_err().to_string(),
        "t.nothing: expected 0 arguments, got 1"
    );
    // An explicit undefined for a required parameter is a type error, not a count error.
    assert_eq!(
        call("optionalTail", vec![J::Undef]).unwrap_err().to_string(),
        "t.optionalTail: args[0]: expected string, got undefined"
    );
    assert_eq!(
        call("optionalTail", vec![s("a"), J::Null, n(1.0)])
            .unwrap_err()
            .to_string(),
        "t.optionalTail: args[2]: expected string, got 1"
    );
}

#[test]
fn unknown_methods_list_the_methods() {
    let kv = load("kv.wit", "store");
    let error = lift_args("kv", &kv, "gett", &flatten(&arr(vec![]))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "kv.gett: no such method (methods: get, put, delete, list)"
    );
    let long = "x".repeat(10_000);
    let error = lift_args("kv", &kv, &long, &flatten(&arr(vec![]))).unwrap_err();
    assert!(error.to_string().len() < 150, "{error}");
    // A WIT name works too, and messages use the JavaScript name.
    let error = lift_args("t", values(), "echo-u8", &flatten(&arr(vec![n(-1.0)]))).unwrap_err();
    assert_eq!(error.to_string(), "t.echoU8: args[0]: expected u8, got -1");
}

#[test]
fn the_issue_example_path() {
    let iface = CapabilityInterface::from_wit(
        "package a:kv;\ninterface store {\n  record item { id: u32 }\n  record batch { items: list<item> }\n  put: func(key: string, value: batch);\n}",
        "store",
    )
    .unwrap();
    let items: Vec<J> = [1.0, 2.0, 3.0, -1.0].iter().map(|id| obj(&[("id", n(*id))])).collect();
    let args = arr(vec![s("k"), obj(&[("items", arr(items))])]);
    let error = lift_args("kv", &iface, "put", &flatten(&args)).unwrap_err();
    assert_eq!(error.to_string(), "kv.put: args[1].items[3].id: expected u32, got -1");
    assert!(matches!(error, BridgeError::TypeMismatch { ref path, .. } if path == "args[1].items[3].id"));
}
