//! TypeScript declarations: snapshots of testdata/*.d.ts (regenerate with
//! `UPDATE_SNAPSHOTS=1`), checked with tsc by
//! scripts/check-capability-types.sh.

use super::*;

fn snapshot(file: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/capability/types/testdata")
        .join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{file} differs; UPDATE_SNAPSHOTS=1 rewrites it. Generated:\n{actual}"
    );
}

#[test]
fn the_shop_and_kv_declarations() {
    let shop = load("shop.wit", "shop");
    let kv = load("kv.wit", "store");
    snapshot("env.d.ts", &typescript_env(&[("shop", &shop), ("kv", &kv)]));
}

#[test]
fn the_values_declarations() {
    snapshot("values.d.ts", &typescript("values", values()));
}

#[test]
fn a_binding_without_types_is_one_const() {
    let kv = load("kv.wit", "store");
    let ts = typescript("kv", &kv);
    assert!(!ts.contains("namespace kv"), "{ts}");
    assert!(
        ts.starts_with(
            "declare namespace env {\n  /** In-memory key-value store, scoped per tenant. */\n  const kv: {\n"
        ),
        "{ts}"
    );
    assert!(
        ts.contains("    /** The value of `key`, or null. */\n    get(key: string): Promise<Uint8Array | null>;\n"),
        "{ts}"
    );
    assert!(
        ts.contains("    put(key: string, value: Uint8Array): Promise<void>;\n"),
        "{ts}"
    );
    assert!(!ts.contains("@throws"), "{ts}");
}

#[test]
fn each_doc_appears_once() {
    let shop = load("shop.wit", "shop");
    let ts = typescript("shop", &shop);
    for doc in [
        "A product in the catalogue.",
        "Stock-keeping unit, unique.",
        "No item with this SKU.",
        "Places an order",
    ] {
        assert_eq!(ts.matches(doc).count(), 1, "{doc} in\n{ts}");
    }
    // The interface `types` is only used, so its docs are not shown.
    assert!(!ts.contains("Shared catalogue types."), "{ts}");
}

#[test]
fn the_shorter_form_is_chosen() {
    // Few references to named types: methods in the const, types qualified.
    let few = CapabilityInterface::from_wit(
        "package a:b;\ninterface i {\n  record r { x: u8 }\n  f: func() -> r;\n}",
        "i",
    )
    .unwrap();
    let ts = typescript("b", &few);
    assert!(ts.contains("  const b: {\n    f(): Promise<b.R>;\n  };\n"), "{ts}");
    // Many: methods in an interface of the namespace, types unqualified.
    let many = CapabilityInterface::from_wit(
        "package a:b;\ninterface i {\n  record r { x: u8 }\n  f: func(a: r, b: r, c: r) -> r;\n  g: func(a: r, b: r, c: r) -> r;\n}",
        "i",
    )
    .unwrap();
    let ts = typescript("catalogue", &many);
    assert!(
        ts.contains("    interface Api {\n      f(a: R, b: R, c: R): Promise<R>;\n"),
        "{ts}"
    );
    assert!(ts.contains("  const catalogue: catalogue.Api;\n"), "{ts}");
}

#[test]
fn docs_are_escaped_and_long_ones_wrap() {
    let iface = CapabilityInterface::from_wit(
        "package a:b;\ninterface i {\n  /// Ends a comment */ early.\n  f: func();\n  /// First line.\n  /// Second line.\n  g: func();\n}",
        "i",
    )
    .unwrap();
    let ts = typescript("b", &iface);
    assert!(ts.contains("/** Ends a comment *\\/ early. */"), "{ts}");
    assert!(
        ts.contains("    /**\n     * First line.\n     * Second line.\n     */\n    g(): Promise<void>;"),
        "{ts}"
    );
}

#[test]
fn binding_names() {
    assert!(valid_binding_name("kv"));
    assert!(valid_binding_name("my_store2"));
    assert!(!valid_binding_name("my-store"));
    assert!(!valid_binding_name("2kv"));
    assert!(!valid_binding_name("delete"));
    assert!(!valid_binding_name(""));
}

#[test]
fn one_interface_under_two_bindings_keeps_two_namespaces() {
    let shop = load("shop.wit", "shop");
    let ts = typescript_env(&[("shop", &shop), ("archive", &shop)]);
    assert_eq!(ts.matches("declare namespace env {").count(), 1, "{ts}");
    assert_eq!(ts.matches("// A method marked @throws E").count(), 1, "{ts}");
    assert!(
        ts.contains("  namespace shop {\n") && ts.contains("  namespace archive {\n"),
        "{ts}"
    );
    // The longer binding name makes qualified references cost more than an
    // interface of methods inside the namespace.
    assert!(ts.contains("getItem(sku: string): Promise<shop.Item | null>;"), "{ts}");
    assert!(ts.contains("  const archive: archive.Api;\n"), "{ts}");
    assert!(ts.contains("      getItem(sku: string): Promise<Item | null>;"), "{ts}");
    assert_eq!(typescript_env(&[]), "declare namespace env {\n}\n");
}
