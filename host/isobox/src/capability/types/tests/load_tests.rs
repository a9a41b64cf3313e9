//! Loading WIT: picking interfaces, names for JavaScript, and the errors for
//! bad or unsupported WIT.

use super::*;

fn testdata(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/capability/types/testdata")
        .join(path)
}

fn unsupported(source: &str) -> String {
    match CapabilityInterface::from_wit(source, "i") {
        Err(error @ WitError::Unsupported { .. }) => error.to_string(),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn the_values_interface_is_named_for_javascript() {
    let iface = values();
    assert_eq!(iface.id(), "test:values/values@0.1.0");
    assert_eq!(iface.name(), "values");
    let names: Vec<&str> = iface.functions().iter().map(|f| f.js_name.as_str()).collect();
    assert_eq!(&names[..3], ["echoBool", "echoU8", "echoU16"]);
    assert!(names.contains(&"fallibleShape"));
    let person = iface.types().iter().find(|t| t.wit_name == "person").unwrap();
    assert_eq!(person.ts_name, "Person");
    let TypeKind::Record(fields) = &person.kind else {
        panic!("{person:?}")
    };
    assert_eq!(fields[0].wit_name, "full-name");
    assert_eq!(fields[0].js_name, "fullName");
    let perms = iface.types().iter().find(|t| t.wit_name == "perms").unwrap();
    let TypeKind::Flags(flags) = &perms.kind else {
        panic!("{perms:?}")
    };
    assert_eq!(flags[2].js_name, "execAll");
    let maybe = iface.types().iter().find(|t| t.wit_name == "maybe-name").unwrap();
    assert_eq!(maybe.kind, TypeKind::Alias(WitType::Option(Box::new(WitType::String))));
}

#[test]
fn types_come_before_the_types_that_use_them() {
    let iface = values();
    for (index, def) in iface.types().iter().enumerate() {
        let mut refs = Vec::new();
        let mut visit = |ty: &WitType| collect_named(ty, &mut refs);
        match &def.kind {
            TypeKind::Record(fields) | TypeKind::Flags(fields) => fields.iter().for_each(|f| visit(&f.ty)),
            TypeKind::Variant(cases) => cases.iter().filter_map(|c| c.ty.as_ref()).for_each(visit),
            TypeKind::Enum(_) => {}
            TypeKind::Alias(ty) => visit(ty),
        }
        assert!(
            refs.iter().all(|r| *r < index),
            "{} refers forward: {refs:?}",
            def.wit_name
        );
    }
}

fn collect_named(ty: &WitType, out: &mut Vec<usize>) {
    match ty {
        WitType::Named(i) => out.push(*i),
        WitType::List(t) | WitType::FixedList(t, _) | WitType::Option(t) => collect_named(t, out),
        WitType::Tuple(items) => items.iter().for_each(|t| collect_named(t, out)),
        WitType::Result { ok, err } => ok.iter().chain(err).for_each(|t| collect_named(t, out)),
        _ => {}
    }
}

#[test]
fn functions_are_found_by_javascript_or_wit_name() {
    let iface = values();
    assert_eq!(iface.function("echoBool").unwrap().wit_name, "echo-bool");
    assert_eq!(iface.function("echo-bool").unwrap().js_name, "echoBool");
    assert!(iface.function("echo_bool").is_none());
    let tail = iface.function("optionalTail").unwrap();
    assert_eq!(tail.min_args(iface), 1);
    assert_eq!(iface.function("echoU8").unwrap().min_args(iface), 1);
    assert_eq!(iface.function("nothing").unwrap().min_args(iface), 0);
}

#[test]
fn interfaces_are_picked_by_full_or_short_name() {
    let wit = WitPackage::load(&testdata("multi")).unwrap();
    assert_eq!(wit.interface_names(), ["test:app/app", "test:app/store"]);
    // The main package's `store` wins over the dependency's.
    assert_eq!(wit.interface("store").unwrap().id(), "test:app/store");
    assert_eq!(
        wit.interface("test:dep-a/store").unwrap().functions()[0].result,
        Some(WitType::U32)
    );
    assert_eq!(wit.interface("test:app/app").unwrap().name(), "app");
    // Only in dependencies, once.
    assert_eq!(wit.interface("test:dep-b/common").unwrap().id(), "test:dep-b/common");
    match wit.interface("common") {
        Err(WitError::AmbiguousInterface { candidates, .. }) => {
            assert_eq!(candidates, ["test:dep-a/common", "test:dep-b/common"]);
        }
        other => panic!("{other:?}"),
    }
    let error = wit.interface("nope").unwrap_err();
    assert!(
        matches!(&error, WitError::NoInterface { available, .. } if available.len() == 5),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("no interface `nope` in the WIT (interfaces: test:"),
        "{error}"
    );
}

#[test]
fn versions_may_be_left_out() {
    let wit = WitPackage::load(&testdata("values.wit")).unwrap();
    assert_eq!(wit.interface("test:values/values@0.1.0").unwrap().name(), "values");
    assert_eq!(wit.interface("test:values/values").unwrap().name(), "values");
    assert!(matches!(
        wit.interface("test:values/values@0.2.0"),
        Err(WitError::NoInterface { .. })
    ));
}

#[test]
fn used_types_keep_one_definition_and_renames_become_aliases() {
    let wit = WitPackage::load(&testdata("multi")).unwrap();
    let app = wit.interface("app").unwrap();
    let names: Vec<(&str, &str)> = app
        .types()
        .iter()
        .map(|t| (t.wit_name.as_str(), t.ts_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("thing", "Thing"),
            ("other-thing", "OtherThing"),
            ("wrapper", "Wrapper")
        ]
    );
    assert_eq!(app.types()[0].docs.as_deref(), Some("A thing from a dependency."));
    assert_eq!(app.types()[1].kind, TypeKind::Alias(WitType::Named(0)));
}

#[test]
fn parse_errors_carry_wit_parsers_message() {
    let error = CapabilityInterface::from_wit("package a:b;\ninterface i {\n  f: func(x: strin);\n}", "i").unwrap_err();
    let WitError::Parse { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("strin"), "{message}");
    assert!(message.contains("capability.wit:3"), "{message}");
    let error = CapabilityInterface::from_wit("interface i { f: func(); }", "i").unwrap_err();
    assert!(error.to_string().contains("no `package` header"), "{error}");
}

#[test]
fn oversized_and_missing_sources_are_refused() {
    let big = format!(
        "package a:b;\ninterface i {{ f: func(); }}\n{}",
        "// padding\n".repeat(100_000)
    );
    assert!(matches!(
        WitPackage::parse_str("big.wit", &big),
        Err(WitError::TooLarge {
            limit: MAX_WIT_BYTES,
            ..
        })
    ));
    let error = WitPackage::load(&testdata("does-not-exist.wit")).unwrap_err();
    assert!(matches!(error, WitError::Read { .. }), "{error:?}");
    assert!(error.to_string().starts_with("cannot read WIT at "), "{error}");
}

#[test]
fn resources_are_refused_naming_the_resource() {
    let message = unsupported(
        "package a:b;\ninterface i {\n  resource blob { size: func() -> u32; }\n  f: func(b: borrow<blob>);\n}",
    );
    assert_eq!(
        message,
        "interface `a:b/i`, resource `blob`: resources are not supported"
    );
}

#[test]
fn streams_and_futures_are_refused_naming_the_parameter() {
    let message = unsupported("package a:b;\ninterface i {\n  f: func(data: stream<u8>);\n}");
    assert_eq!(
        message,
        "interface `a:b/i`, function `f`, parameter `data`: futures and streams are not supported"
    );
    let message = unsupported("package a:b;\ninterface i {\n  f: func() -> future<string>;\n}");
    assert_eq!(
        message,
        "interface `a:b/i`, function `f`, result: futures and streams are not supported"
    );
}

#[test]
fn nested_options_are_refused_wherever_they_hide() {
    let message =
        unsupported("package a:b;\ninterface i {\n  g: func();\n  f: func(a: u8, b: option<option<u32>>);\n}");
    assert!(
        message.starts_with("interface `a:b/i`, function `f`, parameter `b`: option<option<T>> is not supported"),
        "{message}"
    );
    let message = unsupported("package a:b;\ninterface i {\n  type m = option<u32>;\n  f: func(x: option<m>);\n}");
    assert!(
        message.starts_with("interface `a:b/i`, function `f`, parameter `x`: option<option<T>>"),
        "{message}"
    );
    let message = unsupported(
        "package a:b;\ninterface i {\n  record r { a: list<option<option<u8>>> }\n  f: func() -> list<r>;\n}",
    );
    assert!(
        message.starts_with("interface `a:b/i`, function `f`, result, record `r`, field `a`: option<option<T>>"),
        "{message}"
    );
    // One level of option, and an option inside a list inside an option, are fine.
    CapabilityInterface::from_wit(
        "package a:b;\ninterface i { f: func(x: option<list<option<u8>>>); }",
        "i",
    )
    .unwrap();
}

#[test]
fn maps_are_refused() {
    let message = unsupported("package a:b;\ninterface i {\n  f: func(m: map<string, u32>);\n}");
    assert_eq!(
        message,
        "interface `a:b/i`, function `f`, parameter `m`: maps are not supported"
    );
}

#[test]
fn types_nested_too_deeply_are_refused() {
    // wit-parser limits nesting within one type expression; named types can
    // chain further.
    let mut source = String::from("package a:b;\ninterface i {\n  type t0 = u8;\n");
    for i in 1..=40 {
        source.push_str(&format!("  type t{i} = list<t{}>;\n", i - 1));
    }
    source.push_str("  ok: func(x: t20);\n  f: func(x: t40);\n}\n");
    let message = unsupported(&source);
    assert!(message.contains("function `f`, parameter `x`"), "{message}");
    assert!(message.ends_with("types nested more than 32 levels deep"), "{message}");
    // A type first met shallowly, then used deeper than the limit.
    let mut source = String::from("package a:b;\ninterface i {\n  type t0 = u8;\n");
    for i in 1..=20 {
        source.push_str(&format!("  type t{i} = list<t{}>;\n", i - 1));
    }
    source.push_str(
        "  type deep = list<list<list<list<list<list<list<list<list<list<list<list<list<list<t20>>>>>>>>>>>>>>;\n",
    );
    source.push_str("  ok: func(x: t20);\n  f: func(x: deep);\n}\n");
    let message = unsupported(&source);
    assert!(message.contains("function `f`, parameter `x`"), "{message}");
}

#[test]
fn names_that_collide_in_javascript_are_refused() {
    let result = CapabilityInterface::from_wit(
        "package a:b;\ninterface i {\n  get-a: func();\n  get-A: func();\n}",
        "i",
    );
    match result {
        // wit-parser may refuse it first; either way it is not loaded.
        Err(WitError::Unsupported { message, .. }) => {
            assert_eq!(message, "`get-a` and `get-A` are both `getA` in JavaScript")
        }
        Err(WitError::Parse { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn reserved_words_and_clashing_type_names_are_renamed() {
    let iface = CapabilityInterface::from_wit(
        "package a:b;\ninterface my-api {\n  record promise { x: u8 }\n  record uint8-array { y: u8 }\n  f: func(delete: promise, in: uint8-array);\n}",
        "my-api",
    )
    .unwrap();
    let params: Vec<&str> = iface.functions()[0].params.iter().map(|p| p.js_name.as_str()).collect();
    assert_eq!(params, ["delete_", "in_"]);
    let names: Vec<&str> = iface.types().iter().map(|t| t.ts_name.as_str()).collect();
    assert_eq!(names, ["MyApiPromise", "MyApiUint8Array"]);
}

#[test]
fn async_functions_are_accepted_and_marked() {
    let iface =
        CapabilityInterface::from_wit("package a:b;\ninterface i {\n  f: async func(x: u32) -> u32;\n}", "i").unwrap();
    assert!(iface.functions()[0].is_async);
    assert!(!values().functions()[0].is_async);
}

#[test]
fn docs_are_trimmed_and_kept() {
    let iface = load("shop.wit", "shop");
    assert_eq!(
        iface.docs(),
        Some("The shop: search the catalogue and place orders, scoped to the tenant.")
    );
    let search = iface.function("search").unwrap();
    assert_eq!(
        search.docs.as_deref(),
        Some("Finds items whose title contains `query`, at most `limit`.")
    );
    assert_eq!(iface.function("getItem").unwrap().docs, None);
    let item = &iface.types()[0];
    assert_eq!(item.docs.as_deref(), Some("A product in the catalogue."));
    let TypeKind::Record(fields) = &item.kind else { panic!() };
    assert_eq!(fields[0].docs.as_deref(), Some("Stock-keeping unit, unique."));
}

#[test]
fn errors_in_used_types_name_where_they_are_defined() {
    let message = unsupported(
        "package a:b;\ninterface t {\n  record r { v: option<option<u8>> }\n}\ninterface i {\n  use t.{r};\n  f: func(x: r);\n}",
    );
    assert!(
        message.starts_with("interface `a:b/i`, function `f`, parameter `x`, record `r`, field `v`: option<option<T>>"),
        "{message}"
    );
}

#[test]
fn wit_that_panics_inside_wit_parser_is_a_parse_error() {
    // Found by fuzzing (fuzz/regressions/wit): an empty block doc comment
    // reaches an unwrap in wit-parser 0.254.
    let Err(error) = WitPackage::parse_str("bad.wit", "/**/package a:b;") else {
        panic!("refused");
    };
    assert!(matches!(error, WitError::Parse { .. }), "{error:?}");
}

#[test]
fn wit_declaring_the_context_package_itself_loads() {
    // The host used to add its own copy too: a package added twice is an
    // assertion in wit-parser, which killed the process.
    WitPackage::parse_str("context.wit", "package isobox:capability@0.1.0;").expect("loads");
    let context = include_str!("../../../../../../wit/capabilities/context.wit");
    WitPackage::parse_str("context.wit", context).expect("the context WIT loads alone");
}
