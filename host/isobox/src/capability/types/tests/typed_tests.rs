//! Typed access for Rust implementations, together with lift and lower.

use super::*;

#[test]
fn a_rust_implementation_reads_lifted_arguments() {
    let kv = load("kv.wit", "store");
    let args = lift_args("kv", &kv, "put", &flatten(&arr(vec![s("k"), J::Bytes(vec![1, 2, 3])]))).unwrap();
    let (key, value) = <(String, Vec<u8>)>::from_args(&args).unwrap();
    assert_eq!((key.as_str(), value.as_slice()), ("k", &[1u8, 2, 3][..]));
    // The wrong Rust types say what they found.
    let error = <(String, String)>::from_args(&args).unwrap_err();
    assert_eq!(error.to_string(), "expected string, got list");
    let error = <(String,)>::from_args(&args).unwrap_err();
    assert_eq!(error.to_string(), "expected 1 arguments, got 2 arguments");
    assert!(<()>::from_args(&[]).is_ok());
}

#[test]
fn rust_values_lower_as_their_wit_types() {
    let kv = load("kv.wit", "store");
    let got = lower_result("kv", &kv, "get", &[Some(vec![7u8]).into_val()]).unwrap();
    assert_eq!(unflatten(&got), J::Bytes(vec![7]));
    let got = lower_result("kv", &kv, "get", &[None::<Vec<u8>>.into_val()]).unwrap();
    assert_eq!(unflatten(&got), J::Null);
    let got = lower_result("kv", &kv, "list", &[vec!["a", "b"].into_val()]).unwrap();
    assert_eq!(unflatten(&got), arr(vec![s("a"), s("b")]));
    // result<_, color>: `()` is the missing side.
    let ok: Result<(), Val> = Ok(());
    assert_eq!(lower1("fallibleEnum", ok.into_val()).unwrap(), J::Undef);
    let err: Result<(), Val> = Err(Val::Enum("red".into()));
    assert!(
        matches!(lower_result("t", values(), "fallibleEnum", &[err.into_val()]), Err(BridgeError::Call(e)) if e.message == "t.fallibleEnum: red")
    );
    // A wrong Rust type is caught at the boundary.
    let error = lower_result("kv", &kv, "delete", &[1u32.into_val()]).unwrap_err();
    assert!(matches!(error, BridgeError::BadResult { .. }), "{error:?}");
}

#[test]
fn conversions_in_both_directions() {
    assert_eq!(u64::from_val(&u64::MAX.into_val()).unwrap(), u64::MAX);
    assert_eq!(i8::from_val(&(-5i8).into_val()).unwrap(), -5);
    assert_eq!(char::from_val(&'x'.into_val()).unwrap(), 'x');
    assert_eq!(
        <(u8, String)>::from_val(&(1u8, "a").into_val()).unwrap(),
        (1, "a".to_owned())
    );
    assert_eq!(<Option<bool>>::from_val(&Some(true).into_val()).unwrap(), Some(true));
    let r: Result<u32, String> = Err("no".into());
    assert_eq!(<Result<u32, String>>::from_val(&r.clone().into_val()).unwrap(), r);
    let bare = Val::Result(Err(None));
    assert_eq!(<Result<(), ()>>::from_val(&bare).unwrap(), Err(()));
    assert_eq!(
        u8::from_val(&Val::U16(1)).unwrap_err().to_string(),
        "expected u8, got u16"
    );
    assert_eq!(
        <Vec<u8>>::from_val(&Val::String("x".into())).unwrap_err().to_string(),
        "expected list, got string"
    );
    let user = Val::Record(vec![("user-id".into(), Val::U32(7))]);
    assert_eq!(record_field::<u32>(&user, "user-id").unwrap(), 7);
    assert_eq!(
        record_field::<u32>(&user, "name").unwrap_err().to_string(),
        "expected a field `name`, got a record without it"
    );
    assert_eq!(
        record_field::<u32>(&Val::U32(1), "x").unwrap_err().to_string(),
        "expected record, got u32"
    );
}
