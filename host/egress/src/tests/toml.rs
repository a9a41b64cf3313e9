//! The TOML format: every table, and errors with their line and column.

use std::time::Duration;

use http::Method;

use super::{allowed_by, decide, denied};
use crate::{Decision, DenyKind, EgressPolicy, EgressPolicyBuilder, PolicyError, Scheme};

fn toml_error(text: &str) -> (usize, usize, String) {
    match EgressPolicy::from_toml_str(text) {
        Err(PolicyError::Toml { line, column, message }) => (line, column, message),
        other => panic!("expected a TOML error, got {other:?}"),
    }
}

#[test]
fn every_table_is_read() {
    let policy = EgressPolicyBuilder::from_toml_str(
        r#"
        [limits]
        max_requests = 20
        max_concurrent = 2
        max_redirects = 0
        max_request_body_bytes = 1000
        max_response_body_bytes = 2000
        max_header_bytes = 4096
        request_timeout_ms = 5000

        [[allow]]
        name = "github"
        host = "API.GitHub.com"
        schemes = ["https"]
        ports = [443, 8443]
        methods = ["get", "HEAD"]
        path_prefix = "/repos"

        [[allow]]
        host = "api.local"
        allow_private = true

        [[allow]]
        host = "maps.example"

        [[deny]]
        name = "internal"
        host = "*.internal.example"

        [[respond]]
        name = "mock"
        host = "mock.example"
        methods = ["GET"]
        status = 404
        headers = { "content-type" = "application/json", "x-mock" = "1" }
        body_base64 = "eyJvayI6ZmFsc2V9"

        [[credential]]
        name = "gh"
        origin = "https://api.github.com"
        header = "authorization"
        value_env = "GITHUB_TOKEN"
        prefix = "Bearer "
        path_prefix = "/repos"
        methods = ["GET"]

        [[credential]]
        origin = "https://maps.example"
        query = "key"
        value = "literal"

        [[resolve]]
        host = "api.local"
        port = 8080
        addresses = ["127.0.0.1", "[::1]"]

        [tls]
        builtin_roots = false
        "#,
    )
    .unwrap()
    .env_lookup(|_| Some("tok".into()))
    .build()
    .unwrap();

    let limits = policy.limits();
    assert_eq!(
        (limits.max_requests, limits.max_concurrent, limits.max_redirects),
        (20, 2, 0)
    );
    assert_eq!(
        (
            limits.max_request_body_bytes,
            limits.max_response_body_bytes,
            limits.max_header_bytes
        ),
        (1000, 2000, 4096)
    );
    assert_eq!(limits.request_timeout, Duration::from_millis(5000));

    let github = &policy.allow_rules()[0];
    assert_eq!(github.schemes(), [Scheme::Https]);
    assert_eq!(github.ports(), [443, 8443]);
    assert_eq!(github.methods(), [Method::GET, Method::HEAD]);
    assert_eq!(
        allowed_by(&policy, "GET", "https://api.github.com:8443/repos/x"),
        "github"
    );
    assert_eq!(
        denied(&policy, "GET", "https://api.github.com/users").kind(),
        DenyKind::NoMatchingRule
    );
    assert!(policy.allow_rules()[1].allows_private_addresses());
    assert_eq!(
        denied(&policy, "GET", "https://a.internal.example/").kind(),
        DenyKind::DeniedByRule
    );

    match decide(&policy, "GET", "http://mock.example/anything") {
        Decision::Respond { rule, response } => {
            assert_eq!(rule.name.as_deref(), Some("mock"));
            assert_eq!(response.status().as_u16(), 404);
            assert_eq!(response.headers()["x-mock"], "1");
            assert_eq!(&response.body()[..], br#"{"ok":false}"#);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        denied(&policy, "POST", "http://mock.example/").kind(),
        DenyKind::NoMatchingRule
    );

    assert_eq!(policy.credentials().len(), 2);
    assert_eq!(policy.credentials()[0].name(), Some("gh"));
    assert_eq!(
        policy.resolve_override("api.local", 8080),
        Some(&["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()][..])
    );
    assert!(!policy.use_builtin_roots());
}

#[test]
fn an_empty_document_denies_everything() {
    let policy = EgressPolicy::from_toml_str("").unwrap();
    assert!(policy.denies_everything());
    assert_eq!(policy.limits(), &crate::EgressLimits::default());
    assert!(policy.use_builtin_roots());
}

#[test]
fn unknown_keys_are_refused_at_their_line() {
    let (line, column, message) = toml_error("[[allow]]\nhost = \"a.example\"\nmethod = [\"GET\"]\n");
    assert_eq!((line, column), (3, 1));
    assert!(message.contains("unknown field `method`"), "{message}");
    let (line, _, message) = toml_error("[limits]\nmax_request = 5\n");
    assert_eq!(line, 2);
    assert!(message.contains("unknown field `max_request`"), "{message}");
    let (line, _, message) = toml_error("[[allows]]\nhost = \"a\"\n");
    assert_eq!(line, 1);
    assert!(message.contains("unknown field `allows`"), "{message}");
    let (_, _, message) = toml_error("[[deny]]\nhost = \"a.example\"\nallow_private = true\n");
    assert!(message.contains("unknown field `allow_private`"), "{message}");
}

#[test]
fn bad_values_are_refused_at_their_line_and_column() {
    let mut wrong = Vec::new();
    for (text, position, reason) in [
        ("[[allow]]\nhost = \"exa mple.com\"\n", (2, 8), "not a valid host"),
        ("[[allow]]\nhost = \"a.*.example\"\n", (2, 8), "wildcard"),
        ("[[allow]]\nhost = \"a.example\"\nports = [443, 0]\n", (3, 9), "port 0"),
        ("[[allow]]\nhost = \"a.example\"\nports = [70000]\n", (3, 10), "u16"),
        (
            "[[allow]]\nhost = \"a.example\"\nmethods = []\n",
            (3, 11),
            "the list is empty",
        ),
        (
            "[[allow]]\nhost = \"a.example\"\nmethods = [\"G T\"]\n",
            (3, 11),
            "not an HTTP method",
        ),
        (
            "[[allow]]\nhost = \"a.example\"\nschemes = [\"ftp\"]\n",
            (3, 11),
            "scheme `ftp`",
        ),
        (
            "[[allow]]\nhost = \"a.example\"\npath_prefix = \"v1\"\n",
            (3, 15),
            "must start with `/`",
        ),
        (
            "[[resolve]]\nhost = \"10.0.0.1\"\naddresses = [\"::1\"]\n",
            (2, 8),
            "not an IP address",
        ),
        (
            "[[resolve]]\nhost = \"a.local\"\naddresses = [\"localhost\"]\n",
            (3, 13),
            "not an IP address",
        ),
        ("[limits]\nmax_requests = -1\n", (2, 16), "u32"),
        ("[[allow]]\nname = \"x\"\n", (1, 1), "missing field `host`"),
        ("host = \"a\"\n", (1, 1), "unknown field `host`"),
        ("[[allow]\n", (1, 9), "unclosed array table"),
    ] {
        let (line, column, message) = toml_error(text);
        if (line, column) != position || !message.contains(reason) {
            wrong.push(format!("{text:?}: ({line}, {column}) {message}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn table_level_mistakes_are_refused_at_the_table() {
    for (text, reason) in [
        (
            "[[respond]]\nhost = \"m.example\"\nbody = \"a\"\nbody_base64 = \"YQ==\"\n",
            "not both",
        ),
        (
            "[[respond]]\nhost = \"m.example\"\nbody_base64 = \"!!\"\n",
            "body_base64: base64",
        ),
        ("[[respond]]\nhost = \"m.example\"\nstatus = 99\n", "status 99"),
        (
            "[[respond]]\nhost = \"m.example\"\nheaders = { \"a b\" = \"1\" }\n",
            "not a valid header name",
        ),
        (
            "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nquery = \"y\"\nvalue = \"v\"\n",
            "`header` or `query`, not both",
        ),
        (
            "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\n",
            "set `value_env`",
        ),
        (
            "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nvalue = \"v\"\nvalue_env = \"V\"\n",
            "`value` or `value_env`, not both",
        ),
        (
            "[[credential]]\norigin = \"http://a.example\"\nheader = \"x\"\nvalue = \"v\"\n",
            "only sent over https",
        ),
    ] {
        let (line, _, message) = toml_error(text);
        assert!(message.contains(reason), "{text}: {message}");
        assert!(line >= 1, "{text}: the error has a position");
    }
}

#[test]
fn toml_errors_never_echo_a_credential_value() {
    for text in [
        "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nvalue = 12345678\n",
        "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nvalue = [\"sk-live-12345678\"]\n",
        "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nvalue = \"sk-live-12345678\nx = 1\n",
        "[[credential]]\norigin = \"https://a.example\"\nheader = \"x\"\nvalue = \"sk-live-12345678\", oops = 1\n",
        "credential = [{ origin = \"http://a.example\", header = \"x\", value = \"sk-live-12345678\" }]\n",
    ] {
        let error = EgressPolicy::from_toml_str(text).unwrap_err().to_string();
        assert!(!error.contains("12345678"), "{text}: {error}");
    }
}

#[test]
fn ca_files_are_read_relative_to_the_policy_file() {
    let dir = std::env::temp_dir().join(format!("isobox-egress-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), crate::tls::TEST_CA).unwrap();
    let policy_path = dir.join("policy.toml");
    std::fs::write(&policy_path, "[tls]\nca_files = [\"ca.pem\", \"ca.pem\"]\n").unwrap();
    let policy = EgressPolicy::from_toml_file(&policy_path).unwrap();
    assert_eq!(policy.root_certificates().len(), 2);
    assert!(policy.use_builtin_roots());

    std::fs::write(&policy_path, "[tls]\nca_files = [\"missing.pem\"]\n").unwrap();
    let error = EgressPolicy::from_toml_file(&policy_path).unwrap_err();
    assert!(matches!(error, PolicyError::Read { what: "CA file", .. }), "{error}");
    assert!(error.to_string().contains("missing.pem"), "{error}");

    std::fs::write(dir.join("bad.pem"), "not pem").unwrap();
    std::fs::write(&policy_path, "[tls]\nca_files = [\"bad.pem\"]\n").unwrap();
    let error = EgressPolicy::from_toml_file(&policy_path).unwrap_err();
    assert!(error.to_string().contains("bad.pem: no PEM certificate"), "{error}");

    let error = EgressPolicy::from_toml_file(&dir.join("absent.toml")).unwrap_err();
    assert!(
        matches!(
            error,
            PolicyError::Read {
                what: "egress policy",
                ..
            }
        ),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn limits_out_of_range_are_refused_by_name() {
    let error = EgressPolicy::from_toml_str("[limits]\nmax_concurrent = 0\n").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("egress limit `max_concurrent` is 0, outside its range 1..=256"),
        "{error}"
    );
}

#[test]
fn a_file_policy_takes_more_allow_net_rules() {
    let policy = EgressPolicyBuilder::from_toml_str("[[deny]]\nhost = \"bad.example\"\n")
        .unwrap()
        .allow_net("*.example")
        .build()
        .unwrap();
    allowed_by(&policy, "GET", "https://good.example/");
    assert_eq!(
        denied(&policy, "GET", "https://bad.example/").kind(),
        DenyKind::DeniedByRule
    );
}

#[test]
fn an_allow_rule_over_a_public_suffix_is_refused_unless_meant() {
    for host in ["*.com", "*.co.uk", "*.github.io", "*.COM."] {
        let error = EgressPolicyBuilder::from_toml_str(&format!("[[allow]]\nname = \"wide\"\nhost = \"{host}\"\n"))
            .and_then(EgressPolicyBuilder::build)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("allow rule #1 \"wide\"")
                && error.contains("public suffix")
                && error.contains("allow_public_suffix"),
            "{host}: {error}"
        );
    }
    // A registrable domain's subdomains, an unlisted name and a deny rule
    // over a suffix are fine; so is a suffix the rule says it means.
    for text in [
        "[[allow]]\nhost = \"*.example.co.uk\"\n",
        "[[allow]]\nhost = \"*.internal\"\n",
        "[[allow]]\nhost = \"*.svc.cluster.local\"\n",
        "[[deny]]\nhost = \"*.com\"\n",
        "[[allow]]\nhost = \"*.com\"\nallow_public_suffix = true\n",
    ] {
        EgressPolicyBuilder::from_toml_str(text)
            .and_then(EgressPolicyBuilder::build)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    let error = EgressPolicyBuilder::from_toml_str("[[deny]]\nhost = \"*.com\"\nallow_public_suffix = true\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("allow_public_suffix"),
        "deny rules have no such field: {error}"
    );
}
