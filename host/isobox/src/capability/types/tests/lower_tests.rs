//! WIT to JavaScript: results, errors thrown as `CallError`, and values a
//! plugin should not have returned.

use super::*;

fn some(val: Val) -> Option<Box<Val>> {
    Some(Box::new(val))
}

fn bad_result(method: &str, val: Val) -> String {
    match lower1(method, val) {
        Err(error @ BridgeError::BadResult { .. }) => error.to_string(),
        other => panic!("{method}: expected BadResult, got {other:?}"),
    }
}

fn call_error(method: &str, val: Val) -> CallError {
    match lower_result("t", values(), method, &[val]) {
        Err(BridgeError::Call(error)) => error,
        other => panic!("{method}: expected a CallError, got {other:?}"),
    }
}

#[test]
fn integers_become_numbers_or_bigints() {
    assert_eq!(lower1("echoU8", Val::U8(255)).unwrap(), n(255.0));
    assert_eq!(lower1("echoS8", Val::S8(-128)).unwrap(), n(-128.0));
    assert_eq!(lower1("echoU16", Val::U16(u16::MAX)).unwrap(), n(65535.0));
    assert_eq!(lower1("echoS16", Val::S16(i16::MIN)).unwrap(), n(-32768.0));
    assert_eq!(lower1("echoU32", Val::U32(u32::MAX)).unwrap(), n(4_294_967_295.0));
    assert_eq!(lower1("echoS32", Val::S32(i32::MIN)).unwrap(), n(-2_147_483_648.0));
    let safe = (1u64 << 53) - 1;
    assert_eq!(lower1("echoU64", Val::U64(safe)).unwrap(), n(9_007_199_254_740_991.0));
    assert_eq!(lower1("echoU64", Val::U64(safe + 1)).unwrap(), big("9007199254740992"));
    assert_eq!(
        lower1("echoU64", Val::U64(u64::MAX)).unwrap(),
        big("18446744073709551615")
    );
    assert_eq!(lower1("echoU64", Val::U64(0)).unwrap(), n(0.0));
    assert_eq!(
        lower1("echoS64", Val::S64(-(safe as i64))).unwrap(),
        n(-9_007_199_254_740_991.0)
    );
    assert_eq!(
        lower1("echoS64", Val::S64(-(safe as i64) - 1)).unwrap(),
        big("-9007199254740992")
    );
    assert_eq!(
        lower1("echoS64", Val::S64(i64::MIN)).unwrap(),
        big("-9223372036854775808")
    );
    assert_eq!(
        lower1("echoS64", Val::S64(i64::MAX)).unwrap(),
        big("9223372036854775807")
    );
    assert_eq!(lower1("echoId", Val::U64(7)).unwrap(), n(7.0));
}

#[test]
fn scalars() {
    assert_eq!(lower1("echoBool", Val::Bool(false)).unwrap(), J::Bool(false));
    assert_eq!(lower1("echoF32", Val::Float32(0.1)).unwrap(), n(f64::from(0.1f32)));
    assert!(matches!(lower1("echoF64", Val::Float64(f64::NAN)).unwrap(), J::Num(v) if v.is_nan()));
    assert_eq!(lower1("echoChar", Val::Char('😀')).unwrap(), s("😀"));
    assert_eq!(lower1("echoString", Val::String("hé".into())).unwrap(), s("hé"));
}

#[test]
fn bytes_become_a_uint8array() {
    assert_eq!(
        lower1("echoBytes", Val::List(vec![Val::U8(1), Val::U8(2)])).unwrap(),
        J::Bytes(vec![1, 2])
    );
    assert_eq!(lower1("echoBytesAlias", Val::List(vec![])).unwrap(), J::Bytes(vec![]));
    assert_eq!(
        lower1("echoFixed", Val::FixedLengthList(vec![Val::U8(0); 4])).unwrap(),
        J::Bytes(vec![0; 4])
    );
    assert_eq!(
        bad_result("echoBytes", Val::List(vec![Val::U8(1), Val::U16(2)])),
        "t.echoBytes: the implementation returned a bad value: result[1]: expected u8, got u16 2"
    );
    assert_eq!(
        bad_result("echoFixed", Val::FixedLengthList(vec![Val::U8(0); 3])),
        "t.echoFixed: the implementation returned a bad value: result: expected a list of 4, got a fixed-length list of 3"
    );
}

#[test]
fn records_get_camel_case_keys_and_null_for_none() {
    let person = Val::Record(vec![
        ("full-name".into(), Val::String("Ada".into())),
        ("age".into(), Val::Option(None)),
        ("tags".into(), Val::List(vec![Val::String("x".into())])),
    ]);
    assert_eq!(
        lower1("echoPerson", person).unwrap(),
        obj(&[("fullName", s("Ada")), ("age", J::Null), ("tags", arr(vec![s("x")]))])
    );
    // Fields in another order are found by name; output follows WIT order.
    let point = Val::Record(vec![("y".into(), Val::S32(2)), ("x".into(), Val::S32(1))]);
    assert_eq!(
        lower1("echoPoint", point).unwrap(),
        obj(&[("x", n(1.0)), ("y", n(2.0))])
    );
}

#[test]
fn bad_records_name_the_field() {
    let point = Val::Record(vec![("x".into(), Val::S32(1)), ("z".into(), Val::S32(2))]);
    assert_eq!(
        bad_result("echoPoint", point),
        "t.echoPoint: the implementation returned a bad value: result.y: missing field `y`"
    );
    let point = Val::Record(vec![("x".into(), Val::S32(1))]);
    assert_eq!(
        bad_result("echoPoint", point),
        "t.echoPoint: the implementation returned a bad value: result: expected record point with 2 fields, got 1 fields"
    );
    let points = Val::List(vec![
        Val::Record(vec![("x".into(), Val::S32(1)), ("y".into(), Val::S32(2))]),
        Val::Record(vec![("x".into(), Val::S32(1)), ("y".into(), Val::U32(2))]),
    ]);
    assert_eq!(
        bad_result("echoPoints", points),
        "t.echoPoints: the implementation returned a bad value: result[1].y: expected s32, got u32 2"
    );
    assert_eq!(
        bad_result("echoPoint", Val::String("p".into())),
        "t.echoPoint: the implementation returned a bad value: result: expected record point, got string \"p\""
    );
}

#[test]
fn variants_enums_flags() {
    let shape = Val::Variant(
        "rect".into(),
        some(Val::Record(vec![("x".into(), Val::S32(0)), ("y".into(), Val::S32(-1))])),
    );
    assert_eq!(
        lower1("echoShape", shape).unwrap(),
        obj(&[("tag", s("rect")), ("val", obj(&[("x", n(0.0)), ("y", n(-1.0))]))])
    );
    assert_eq!(
        lower1("echoShape", Val::Variant("empty".into(), None)).unwrap(),
        obj(&[("tag", s("empty"))])
    );
    assert_eq!(
        lower1("echoShape", Val::Variant("maybe".into(), some(Val::Option(None)))).unwrap(),
        obj(&[("tag", s("maybe")), ("val", J::Null)])
    );
    assert_eq!(
        bad_result("echoShape", Val::Variant("square".into(), None)),
        "t.echoShape: the implementation returned a bad value: result: expected a case of variant shape, got variant case \"square\""
    );
    assert_eq!(
        bad_result("echoShape", Val::Variant("circle".into(), None)),
        "t.echoShape: the implementation returned a bad value: result.val: expected f64, got nothing"
    );
    assert_eq!(
        bad_result("echoShape", Val::Variant("empty".into(), some(Val::U8(1)))),
        "t.echoShape: the implementation returned a bad value: result.val: expected nothing, got u8 1"
    );
    assert_eq!(
        lower1("echoColor", Val::Enum("dark-green".into())).unwrap(),
        s("dark-green")
    );
    assert_eq!(
        bad_result("echoColor", Val::Enum("pink".into())),
        "t.echoColor: the implementation returned a bad value: result: expected enum color, got enum case \"pink\""
    );
    assert_eq!(
        lower1("echoPerms", Val::Flags(vec!["exec-all".into()])).unwrap(),
        obj(&[
            ("read", J::Bool(false)),
            ("write", J::Bool(false)),
            ("execAll", J::Bool(true))
        ])
    );
    assert_eq!(
        bad_result("echoPerms", Val::Flags(vec!["delete".into()])),
        "t.echoPerms: the implementation returned a bad value: result: expected flags perms, got an unknown flag \"delete\""
    );
}

#[test]
fn options_tuples_and_nested_results() {
    assert_eq!(lower1("echoOption", Val::Option(None)).unwrap(), J::Null);
    assert_eq!(
        lower1("echoOption", Val::Option(some(Val::String("".into())))).unwrap(),
        s("")
    );
    assert_eq!(
        lower1(
            "echoTuple",
            Val::Tuple(vec![Val::String("a".into()), Val::U32(1), Val::Bool(true)])
        )
        .unwrap(),
        arr(vec![s("a"), n(1.0), J::Bool(true)])
    );
    assert_eq!(
        bad_result("echoTuple", Val::Tuple(vec![Val::String("a".into())])),
        "t.echoTuple: the implementation returned a bad value: result: expected tuple<string, u32, bool>, got a tuple of 1"
    );
    let results = Val::List(vec![
        Val::Result(Ok(some(Val::U32(1)))),
        Val::Result(Err(some(Val::String("no".into())))),
    ]);
    assert_eq!(
        lower1("echoResults", results).unwrap(),
        arr(vec![obj(&[("ok", n(1.0))]), obj(&[("err", s("no"))])])
    );
    let outcome = Val::Record(vec![
        ("value".into(), Val::Result(Ok(some(Val::U32(1))))),
        ("bare".into(), Val::Result(Err(None))),
    ]);
    assert_eq!(
        lower1("echoOutcome", outcome).unwrap(),
        obj(&[("value", obj(&[("ok", n(1.0))])), ("bare", obj(&[("err", J::Null)]))])
    );
    let outcome = Val::Record(vec![
        ("value".into(), Val::Result(Ok(None))),
        ("bare".into(), Val::Result(Err(None))),
    ]);
    assert_eq!(
        bad_result("echoOutcome", outcome),
        "t.echoOutcome: the implementation returned a bad value: result.value.ok: expected u32, got nothing"
    );
}

#[test]
fn a_returned_ok_is_the_value_itself() {
    let ok = Val::Result(Ok(some(Val::String("done".into()))));
    assert_eq!(lower1("fallible", ok).unwrap(), s("done"));
    assert_eq!(lower1("fallibleEnum", Val::Result(Ok(None))).unwrap(), J::Undef);
    assert_eq!(lower1("fallibleBare", Val::Result(Ok(None))).unwrap(), J::Undef);
    assert_eq!(
        lower_result("t", values(), "nothing", &[]).unwrap(),
        [JsNode::Undefined]
    );
    assert_eq!(
        bad_result("fallible", Val::String("done".into())),
        "t.fallible: the implementation returned a bad value: result: expected result, got string \"done\""
    );
    assert_eq!(
        bad_result("fallible", Val::Result(Ok(some(Val::U32(1))))),
        "t.fallible: the implementation returned a bad value: result.ok: expected string, got u32 1"
    );
    assert_eq!(
        bad_result("fallibleEnum", Val::Result(Ok(some(Val::U32(1))))),
        "t.fallibleEnum: the implementation returned a bad value: result.ok: expected nothing, got u32 1"
    );
}

#[test]
fn result_counts_must_match() {
    let error = lower_result("t", values(), "nothing", &[Val::Bool(true)]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.nothing: the implementation returned a bad value: result: expected no value, got 1 values"
    );
    let error = lower_result("t", values(), "echoBool", &[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.echoBool: the implementation returned a bad value: result: expected one value, got 0 values"
    );
}

#[test]
fn an_err_is_a_call_error_with_the_value() {
    let info = Val::Record(vec![
        ("code".into(), Val::U32(404)),
        ("message".into(), Val::String("no such item".into())),
    ]);
    let error = call_error("fallible", Val::Result(Err(some(info))));
    assert_eq!(error.message, "t.fallible: no such item");
    assert_eq!(
        unflatten(&error.value),
        obj(&[("code", n(404.0)), ("message", s("no such item"))])
    );
    assert_eq!(BridgeError::Call(error).to_string(), "t.fallible: no such item");

    let error = call_error("fallibleEnum", Val::Result(Err(some(Val::Enum("blue".into())))));
    assert_eq!(
        (error.message.as_str(), unflatten(&error.value)),
        ("t.fallibleEnum: blue", s("blue"))
    );

    let error = call_error("fallibleBare", Val::Result(Err(None)));
    assert_eq!(
        (error.message.as_str(), unflatten(&error.value)),
        ("t.fallibleBare failed", J::Undef)
    );

    let error = call_error(
        "fallibleShape",
        Val::Result(Err(some(Val::Variant("circle".into(), some(Val::Float64(2.0)))))),
    );
    assert_eq!(error.message, "t.fallibleShape: circle");
    assert_eq!(unflatten(&error.value), obj(&[("tag", s("circle")), ("val", n(2.0))]));

    let error = call_error("fallibleText", Val::Result(Err(some(Val::String("x".repeat(5000))))));
    assert!(error.message.len() < 1100, "{}", error.message.len());
    assert_eq!(unflatten(&error.value), s(&"x".repeat(5000)));

    // A malformed error value is a bad result, not a call error.
    let error = lower_result(
        "t",
        values(),
        "fallibleEnum",
        &[Val::Result(Err(some(Val::Enum("pink".into()))))],
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.fallibleEnum: the implementation returned a bad value: result.err: expected enum color, got enum case \"pink\""
    );
}

#[test]
fn values_of_kinds_the_bridge_never_carries_are_refused() {
    assert_eq!(
        bad_result("echoList", Val::Map(vec![])),
        "t.echoList: the implementation returned a bad value: result: expected list<u32>, got a map of 0"
    );
    assert_eq!(
        bad_result("echoU32", Val::S64(1)),
        "t.echoU32: the implementation returned a bad value: result: expected u32, got s64 1"
    );
}
