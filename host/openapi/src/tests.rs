//! The crate's tests over whole specs: small ones written here, and real
//! ones no one here wrote (GitHub's, Stripe's, petstore), fetched by
//! scripts/openapi/fixtures.sh (`make test` runs it).

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::{Location, OpenApiSpec, SpecError, prepare};

/// A file under .cache/openapi-fixtures, which must have been fetched.
fn fixture(path: &str) -> PathBuf {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.cache/openapi-fixtures")
        .join(path);
    assert!(
        full.exists(),
        "{} is missing: run `bash scripts/openapi/fixtures.sh` (make test does)",
        full.display()
    );
    full
}

fn spec(value: Value) -> OpenApiSpec {
    OpenApiSpec::from_slice(value.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("args must be an object"),
    }
}

fn small() -> OpenApiSpec {
    spec(json!({
        "openapi": "3.0.3",
        "info": {"title": "Shop", "version": "1"},
        "paths": {
            "/items/{itemId}": {
                "parameters": [{"name": "itemId", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"operationId": "items/get", "summary": "Get an item",
                    "parameters": [
                        {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                        {"name": "ids", "in": "query", "explode": false, "schema": {"type": "array", "items": {"type": "integer"}}},
                        {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/item"}}}}}},
                "put": {"operationId": "items/get", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/item"}}}},
                    "responses": {"204": {"description": "done"}}}
            },
            "/items": {"post": {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "made", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
        },
        "components": {"schemas": {
            "item": {"type": "object", "required": ["id"], "description": "An item.", "properties": {
                "id": {"type": "string"},
                "parent": {"$ref": "#/components/schemas/item"},
                "kind": {"type": "string", "enum": ["a", "b"], "nullable": true}}}
        }}
    }))
}

#[test]
fn names_are_derived_and_collisions_numbered_in_spec_order() {
    let spec = small();
    let methods: Vec<&str> = spec.operations().iter().map(|o| o.method.as_str()).collect();
    assert_eq!(methods, ["itemsGet", "itemsGet2", "postItems"]);
    // Path-item parameters are inherited.
    assert_eq!(spec.operations()[1].parameters[0].location, Location::Path);
}

#[test]
fn typescript_of_an_operation_with_its_named_types() {
    let spec = small();
    assert_eq!(
        spec.describe("itemsGet").unwrap(),
        "/**
 * Get an item
 * @http GET /items/{itemId}
 */
itemsGet(args: {
  /** @path itemId */
  itemId: string;
  tags?: string[];
  ids?: number[];
  filter?: Record<string, unknown>;
  /** @header X-Trace */
  \"X-Trace\"?: string;
}): Promise<Item>;

/** An item. */
type Item = {
  id: string;
  parent?: Item;
  kind?: \"a\" | \"b\" | null;
};
"
    );
    assert!(
        spec.describe("itemsGet2")
            .unwrap()
            .contains("  body: Item;\n}): Promise<null>;"),
        "{}",
        spec.describe("itemsGet2").unwrap()
    );
    assert!(spec.describe("postItems").unwrap().contains("}): Promise<string>;"));
    assert!(
        spec.describe("Item")
            .unwrap()
            .starts_with("/** An item. */\ntype Item = {")
    );
    assert!(spec.describe("nothing").is_none());
}

#[test]
fn requests_encode_path_query_headers_and_bodies() {
    let spec = small();
    let base = url::Url::parse("https://api.example.com/v1/").unwrap();
    let request = prepare(
        spec.operation("itemsGet").unwrap(),
        &base,
        &args(json!({"itemId": "a/b c?", "tags": ["x y", "z&"], "ids": [1, 2],
            "filter": {"color": "red"}, "X-Trace": "t1"})),
    )
    .unwrap();
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(
        request.url,
        "https://api.example.com/v1/items/a%2Fb%20c%3F?tags=x%20y&tags=z%26&ids=1,2&filter%5Bcolor%5D=red"
    );
    assert!(request.headers.contains(&("X-Trace".into(), "t1".into())));
    assert!(request.headers.contains(&("accept".into(), "application/json".into())));

    let put = prepare(
        spec.operation("itemsGet2").unwrap(),
        &base,
        &args(json!({"itemId": "1", "body": {"id": "1"}})),
    )
    .unwrap();
    assert_eq!(put.body, br#"{"id":"1"}"#);
    assert!(
        put.headers
            .contains(&("content-type".into(), "application/json".into()))
    );

    let form = prepare(
        spec.operation("postItems").unwrap(),
        &base,
        &args(json!({"body": {"name": "a b", "n": 2}})),
    )
    .unwrap();
    assert_eq!(form.body, b"name=a%20b&n=2");
}

#[test]
fn bad_arguments_are_refused_with_what_is_expected() {
    let spec = small();
    let base = url::Url::parse("https://api.example.com").unwrap();
    let op = spec.operation("itemsGet").unwrap();
    let error = prepare(op, &base, &args(json!({"itemId": "1", "nope": 1}))).unwrap_err();
    assert!(error.0.contains("takes no argument \"nope\""), "{error}");
    let error = prepare(op, &base, &args(json!({}))).unwrap_err();
    assert!(error.0.contains("needs \"itemId\""), "{error}");
    let error = prepare(op, &base, &args(json!({"itemId": "1", "X-Trace": "a\nb"}))).unwrap_err();
    assert!(error.0.contains("not a valid header value"), "{error}");
    let put = spec.operation("itemsGet2").unwrap();
    let error = prepare(put, &base, &args(json!({"itemId": "1"}))).unwrap_err();
    assert!(error.0.contains("needs a `body`"), "{error}");
}

#[test]
fn bad_specs_are_refused_naming_the_pointer() {
    let missing = OpenApiSpec::from_slice(
        br##"{"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {"description": "x",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gone"}}}}}}}}}"##,
    )
    .unwrap_err();
    assert!(matches!(missing, SpecError::MissingRef { .. }));
    assert_eq!(
        missing.pointer(),
        "#/paths/~1a/get/responses/200/content/application~1json/schema"
    );
    let cyclic = OpenApiSpec::from_slice(
        br##"{"openapi": "3.0.0", "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"},
        "B": {"$ref": "#/components/schemas/A"}}}}"##,
    )
    .unwrap_err();
    assert!(matches!(cyclic, SpecError::CyclicRef { .. }), "{cyclic}");
    assert!(cyclic.to_string().starts_with("at #/components/schemas/A:"), "{cyclic}");
    let no_name = OpenApiSpec::from_slice(
        br#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"parameters": [{"in": "query"}]}}}}"#,
    )
    .unwrap_err();
    assert_eq!(no_name.pointer(), "#/paths/~1a/get/parameters/0");
    let swagger = OpenApiSpec::from_file(&fixture("oas-examples/../stripe/stripe.com.json")).map(|_| ());
    assert!(swagger.is_ok());
}

#[test]
fn hostile_input_is_refused_without_panicking() {
    for text in [
        &b""[..],
        b"[]",
        b"null",
        b"openapi: [",
        b"{\"openapi\": 3}",
        b"{\"openapi\": \"3.0.0\", \"paths\": []}",
        b"{\"openapi\": \"3.0.0\", \"paths\": {\"/a\": {\"get\": 1}}}",
        b"{\"openapi\": \"3.0.0\", \"paths\": {\"/a\": {\"get\": {\"parameters\": [{\"name\": \"x\", \"in\": \"nowhere\"}]}}}}",
        b"{\"openapi\": \"3.0.0\", \"paths\": {\"/a\": {\"$ref\": \"#/paths/~1a\"}}}",
        b"a: &a [*a]",
    ] {
        assert!(OpenApiSpec::from_slice(text).is_err(), "{}", String::from_utf8_lossy(text));
    }
    // A YAML alias bomb (a billion "lol"s) is refused, not expanded.
    let mut bomb = String::from("openapi: 3.0.0\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        bomb.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            [previous.as_str(); 10].join(", ")
        ));
    }
    let started = std::time::Instant::now();
    assert!(OpenApiSpec::from_slice(bomb.as_bytes()).is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Deep nesting ends in `unknown`, never a stack overflow.
    let mut schema = json!({"type": "string"});
    for _ in 0..100 {
        schema = json!({"type": "array", "items": schema});
    }
    let deep = spec(
        json!({"openapi": "3.1.0", "paths": {"/d": {"get": {"responses": {"200": {"description": "d",
        "content": {"application/json": {"schema": schema}}}}}}}}),
    );
    assert!(deep.describe("getD").unwrap().contains("unknown"));
}

#[test]
fn petstore_in_json_and_yaml_reads_the_same_in_3_0_and_3_1() {
    let json30 = OpenApiSpec::from_file(&fixture("oas-examples/3.0/json/petstore.json")).unwrap();
    let yaml30 = OpenApiSpec::from_file(&fixture("oas-examples/3.0/yaml/petstore.yaml")).unwrap();
    let json31 = OpenApiSpec::from_file(&fixture("oas-examples/3.1/json/petstore.json")).unwrap();
    let names = |s: &OpenApiSpec| s.operations().iter().map(|o| o.method.clone()).collect::<Vec<_>>();
    assert_eq!(names(&json30), names(&yaml30));
    assert_eq!(names(&json30), names(&json31));
    assert!(names(&json30).contains(&"addPet".to_owned()), "{:?}", names(&json30));
    let add = json31.describe("addPet").unwrap();
    assert!(add.contains("body: Pet;") && add.contains("type Pet = {"), "{add}");
    // Every operation of every example renders.
    for path in [
        "oas-examples/3.0/json/discriminators.json",
        "oas-examples/3.0/json/schema-circular.json",
        "oas-examples/3.0/json/circular.json",
        "oas-examples/3.0/json/parameters-style.json",
        "oas-examples/3.1/json/parameters-style.json",
        "oas-examples/3.0/json/polymorphism.json",
        "oas-examples/3.1/json/schema-types.json",
        "oas-examples/3.1/json/train-travel.json",
    ] {
        let spec = OpenApiSpec::from_file(&fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        for operation in spec.operations() {
            let text = spec.describe(&operation.method).unwrap();
            assert!(text.len() < 40_000, "{path} {}", operation.method);
        }
    }
}

#[test]
fn github_loads_and_ranks_issues_create_first_for_create_issue() {
    let spec = OpenApiSpec::from_file(&fixture("github/api.github.com.json")).unwrap();
    assert!(spec.operations().len() > 900, "{}", spec.operations().len());
    let create = spec.operation("issuesCreate").expect("issues/create is issuesCreate");
    assert_eq!(create.operation_id.as_deref(), Some("issues/create"));
    let top = spec.search("create issue", 0, 5);
    assert_eq!(spec.operations()[top[0].operation].method, "issuesCreate");
    let top = spec.search("list pull request reviews", 0, 3);
    assert!(
        top.iter()
            .any(|hit| spec.operations()[hit.operation].method == "pullsListReviews"),
        "{:?}",
        top.iter()
            .map(|hit| &spec.operations()[hit.operation].method)
            .collect::<Vec<_>>()
    );
    // Paging: the second page starts where the first ended.
    let all = spec.search("repository", 0, 20);
    assert_eq!(spec.search("repository", 10, 10), all[10..20]);
    let text = spec.describe("issuesCreate").unwrap();
    assert!(text.contains("issuesCreate(args: {"), "{text}");
    assert!(text.contains("  owner: string;"), "{text}");
    assert!(text.contains("  body: {"), "{text}");
    assert!(text.len() <= crate::MAX_DESCRIBE_CHARS + 3_000, "{}", text.len());
    // Every operation renders, bounded.
    for operation in spec.operations() {
        let text = spec.describe(&operation.method).unwrap();
        assert!(
            text.len() <= crate::MAX_DESCRIBE_CHARS + 4_000,
            "{} {}",
            operation.method,
            text.len()
        );
    }
}

#[test]
fn stripe_loads_and_is_searchable() {
    let spec = OpenApiSpec::from_file(&fixture("stripe/stripe.com.json")).unwrap();
    assert!(spec.operations().len() > 400);
    let top = spec.search("create customer", 0, 3);
    let first = &spec.operations()[top[0].operation];
    assert_eq!(
        (first.http_method.as_str(), first.path.as_str()),
        ("POST", "/v1/customers")
    );
    // Stripe's bodies are forms.
    assert_eq!(
        first.body.as_ref().unwrap().media_type,
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn a_spec_over_the_size_cap_is_refused_before_it_is_read() {
    let error = OpenApiSpec::from_file(&fixture("github/api.github.com.deref.json")).unwrap_err();
    assert!(matches!(error, SpecError::TooLarge { .. }), "{error}");
    assert_eq!(error.pointer(), "#");
    assert!(error.to_string().contains("more than the limit of 33554432"), "{error}");
}
