//! Credentials: bound to one origin, replacing what the guest set, redacted.

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::url;
use crate::{AppliedCredentials, Credential, CredentialTarget, EgressPolicy, PolicyError, Rule, Secret, redact_url};

const TOKEN: &str = "ghp_SECRET_value_123";

/// A policy that lets every origin out, with `credentials`.
fn policy(credentials: Vec<Credential>) -> EgressPolicy {
    credentials
        .into_iter()
        .fold(EgressPolicy::builder().allow(Rule::host("*")), |b, c| b.credential(c))
        .env_lookup(|name| (name == "GITHUB_TOKEN").then(|| TOKEN.to_owned()))
        .build()
        .unwrap()
}

fn github() -> Credential {
    Credential::header("https://api.github.com", "authorization")
        .with_value_env("GITHUB_TOKEN")
        .with_prefix("Bearer ")
}

fn apply(policy: &EgressPolicy, method: Method, target: &str, headers: &mut HeaderMap) -> (String, AppliedCredentials) {
    let mut target = url(target);
    let applied = policy.apply_credentials(&method, &mut target, headers);
    (target.to_string(), applied)
}

#[test]
fn a_header_credential_replaces_the_guests_header() {
    let policy = policy(vec![github()]);
    let mut headers = HeaderMap::new();
    headers.append(
        HeaderName::from_static("authorization"),
        HeaderValue::from_static("Bearer guest"),
    );
    headers.append(
        HeaderName::from_bytes(b"AUTHORIZATION").unwrap(),
        HeaderValue::from_static("again"),
    );
    headers.append("accept", HeaderValue::from_static("application/json"));
    let (_, applied) = apply(&policy, Method::GET, "https://api.github.com/user", &mut headers);
    let values: Vec<_> = headers.get_all("authorization").iter().collect();
    assert_eq!(values, [&format!("Bearer {TOKEN}")]);
    assert!(headers["authorization"].is_sensitive());
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(applied.header_names(), [http::header::AUTHORIZATION]);
    assert_eq!(applied.credential_indexes(), [0]);
    assert!(applied.is_injected_header(&http::header::AUTHORIZATION));
    assert!(!applied.is_injected_header(&http::header::ACCEPT));
}

#[test]
fn credentials_stay_on_their_origin() {
    let policy = policy(vec![github()]);
    for target in [
        "http://api.github.com/",
        "https://api.github.com:8443/",
        "https://github.com/",
        "https://evil.api.github.com/",
        "https://api.github.com.evil.example/",
        "https://140.82.112.6/",
    ] {
        let mut headers = HeaderMap::new();
        let (after, applied) = apply(&policy, Method::GET, target, &mut headers);
        assert!(applied.is_empty(), "{target}");
        assert!(headers.is_empty(), "{target}");
        assert_eq!(after, target, "{target}");
    }
    let mut headers = HeaderMap::new();
    let (_, applied) = apply(&policy, Method::GET, "https://API.GitHub.com.:443/x", &mut headers);
    assert!(!applied.is_empty(), "the same origin, spelled differently");
}

#[test]
fn path_prefix_and_methods_bound_a_credential() {
    let policy = policy(vec![
        github()
            .with_path_prefix("/repos")
            .with_methods([Method::GET, Method::HEAD]),
    ]);
    let gets = |method: Method, target: &str| {
        let mut headers = HeaderMap::new();
        !apply(&policy, method, target, &mut headers).1.is_empty()
    };
    assert!(gets(Method::GET, "https://api.github.com/repos"));
    assert!(gets(Method::HEAD, "https://api.github.com/repos/a/b?x=1"));
    assert!(!gets(Method::GET, "https://api.github.com/repositories"));
    assert!(!gets(Method::GET, "https://api.github.com/user"));
    assert!(!gets(Method::GET, "https://api.github.com/repos/..%2Fuser"));
    assert!(!gets(Method::POST, "https://api.github.com/repos/a"));
    assert_eq!(
        policy
            .credentials_for(&Method::GET, &url("https://api.github.com/repos/x"))
            .len(),
        1
    );
}

#[test]
fn a_query_credential_replaces_the_guests_parameter_and_is_redacted() {
    let policy = policy(vec![
        Credential::query("https://maps.example:8443", "key").with_value("k3y/SECRET&"),
    ]);
    let mut headers = HeaderMap::new();
    let (after, applied) = apply(
        &policy,
        Method::GET,
        "https://maps.example:8443/geo?q=a%20b&key=guest&%6Bey=sneaky&z=1#frag",
        &mut headers,
    );
    assert_eq!(
        after,
        "https://maps.example:8443/geo?q=a%20b&z=1&key=k3y%2FSECRET%26#frag"
    );
    assert_eq!(applied.query_names(), ["key"]);
    assert!(headers.is_empty());
    let redacted = redact_url(&url(&after), &applied);
    assert_eq!(redacted, "https://maps.example:8443/geo?q=a%20b&z=1#frag");
    assert!(!redacted.contains("SECRET"));
}

#[test]
fn injected_credentials_can_be_removed_before_a_redirect() {
    let policy = policy(vec![
        github(),
        Credential::query("https://api.github.com", "token").with_value("q"),
    ]);
    let mut headers = HeaderMap::new();
    let mut target = url("https://api.github.com/x?a=1");
    let applied = policy.apply_credentials(&Method::GET, &mut target, &mut headers);
    assert_eq!(target.as_str(), "https://api.github.com/x?a=1&token=q");
    applied.remove_from(&mut target, &mut headers);
    assert_eq!(target.as_str(), "https://api.github.com/x?a=1");
    assert!(headers.is_empty());
}

#[test]
fn two_credentials_for_one_header_and_requests_are_refused() {
    // The second could never be sent: the first wins.
    let error = EgressPolicy::builder()
        .allow(Rule::host("api.github.com"))
        .credential(Credential::header("https://api.github.com", "x-key").with_value("value-one"))
        .credential(Credential::header("https://api.github.com", "X-Key").with_value("value-two"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("credential #2") && error.contains("credential #1 already fills the same header"),
        "{error}"
    );
    assert!(!error.contains("value-"), "no value in the message: {error}");
    // Narrowed apart, both load, and the first matching one wins.
    let policy = policy(vec![
        Credential::header("https://api.github.com", "x-key")
            .with_value("first")
            .with_path_prefix("/repos"),
        Credential::header("https://api.github.com", "X-Key").with_value("second"),
    ]);
    let mut headers = HeaderMap::new();
    let (_, applied) = apply(&policy, Method::GET, "https://api.github.com/repos/a", &mut headers);
    assert_eq!(headers["x-key"], "first");
    assert_eq!(applied.credential_indexes(), [0]);
}

#[test]
fn a_credential_no_allow_rule_lets_out_is_refused() {
    let cases = [
        (EgressPolicy::builder(), "credential #1 for `https://api.github.com`"),
        (
            EgressPolicy::builder().allow(Rule::host("example.com")),
            "no allow rule",
        ),
        (
            EgressPolicy::builder().allow(Rule::host("api.github.com").with_schemes([crate::Scheme::Http])),
            "no allow rule",
        ),
        (
            EgressPolicy::builder().allow(Rule::host("api.github.com").with_ports([8443])),
            "no allow rule",
        ),
        (
            EgressPolicy::builder().allow(Rule::host("api.github.com").with_path_prefix("/users")),
            "no allow rule",
        ),
    ];
    for (builder, expected) in cases {
        let error = builder
            .credential(github().with_path_prefix("/repos"))
            .env_lookup(|_| Some(TOKEN.into()))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(expected) && error.contains("would never be sent"),
            "{error}"
        );
        assert!(!error.contains(TOKEN), "{error}");
    }
    // Rules that let it out: the host under a wildcard, the same path
    // prefix or a wider one, a narrower one under it.
    for rule in [
        Rule::host("*.github.com"),
        Rule::host("api.github.com").with_path_prefix("/repos/acme"),
        Rule::host("api.github.com").with_path_prefix("/"),
        Rule::host("api.github.com").with_methods([Method::POST]),
    ] {
        EgressPolicy::builder()
            .allow(rule.clone())
            .credential(github().with_path_prefix("/repos"))
            .env_lookup(|_| Some(TOKEN.into()))
            .build()
            .unwrap_or_else(|e| panic!("{rule:?}: {e}"));
    }
    // Methods that never meet: refused.
    let error = EgressPolicy::builder()
        .allow(Rule::host("api.github.com").with_methods([Method::GET]))
        .credential(github().with_methods([Method::POST]))
        .env_lookup(|_| Some(TOKEN.into()))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("would never be sent"), "{error}");
}

#[test]
fn a_wildcard_origin_is_refused() {
    for origin in ["https://*.github.com", "https://*"] {
        let error = EgressPolicy::builder()
            .allow(Rule::host("*"))
            .credential(Credential::header(origin, "authorization").with_value("v"))
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("wildcard") || error.contains("not a URL"),
            "{origin}: {error}"
        );
    }
}

#[test]
fn redact_url_removes_passwords() {
    let applied = AppliedCredentials::default();
    assert_eq!(
        redact_url(&url("https://user:hunter2@example.com/p?q=1"), &applied),
        "https://user@example.com/p?q=1"
    );
    assert_eq!(
        redact_url(&url("https://example.com/?"), &applied),
        "https://example.com/?"
    );
}

#[test]
fn debug_never_shows_a_secret() {
    let policy = policy(vec![
        github(),
        Credential::query("https://maps.example", "key").with_value("LITERAL_SECRET_456"),
    ]);
    let debug = format!("{policy:?} {:?}", policy.credentials());
    assert!(
        !debug.contains(TOKEN) && !debug.contains("LITERAL_SECRET_456"),
        "{debug}"
    );
    assert!(debug.contains("[redacted]"), "{debug}");
    assert!(debug.contains("https://api.github.com"), "{debug}");
    let builder = EgressPolicy::builder()
        .credential(Credential::header("https://a.example", "x").with_value("LITERAL_SECRET_456"));
    assert!(!format!("{builder:?}").contains("LITERAL_SECRET_456"));
    assert_eq!(format!("{:?}", Secret::new(TOKEN)), "[redacted]");
    assert_eq!(
        policy.credentials()[0].target(),
        &CredentialTarget::Header(http::header::AUTHORIZATION)
    );
    assert_eq!(policy.credentials()[0].origin(), "https://api.github.com");
}

#[test]
fn a_missing_environment_variable_is_named_never_valued() {
    let error = EgressPolicy::builder()
        .credential(github().with_name("gh"))
        .env_lookup(|_| None)
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        PolicyError::Env {
            context: "credential #1 \"gh\" for `https://api.github.com`".into(),
            variable: "GITHUB_TOKEN".into(),
            problem: "is not set",
        }
    );
    assert_eq!(
        error.to_string(),
        "credential #1 \"gh\" for `https://api.github.com`: environment variable `GITHUB_TOKEN` is not set"
    );
    // The process environment is the default source.
    let error = EgressPolicy::builder()
        .credential(Credential::header("https://a.example", "x").with_value_env("ISOBOX_TEST_SURELY_UNSET_VARIABLE"))
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`ISOBOX_TEST_SURELY_UNSET_VARIABLE` is not set"),
        "{error}"
    );
}

#[test]
fn bad_values_are_refused_without_echoing_them() {
    for (value, reason) in [("", "is empty"), ("line\r\nbreak-SECRET", "not a valid header value")] {
        let error = EgressPolicy::builder()
            .credential(Credential::header("https://a.example", "x-key").with_value_env("V"))
            .env_lookup(move |_| Some(value.to_owned()))
            .build()
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(reason) && text.contains("environment variable `V`"),
            "{text}"
        );
        assert!(!text.contains("SECRET"), "{text}");
    }
}

#[test]
fn bad_credentials_are_refused_with_a_reason() {
    for (credential, reason) in [
        (
            Credential::header("http://api.example", "x").with_value("v"),
            "only sent over https",
        ),
        (
            Credential::header("ftp://api.example", "x").with_value("v"),
            "must be an https:// URL",
        ),
        (
            Credential::header("https://api.example/v1", "x").with_value("v"),
            "put a path in `path_prefix`",
        ),
        (
            Credential::header("https://api.example/?a=1", "x").with_value("v"),
            "https://host[:port] only",
        ),
        (
            Credential::header("https://u:p@api.example", "x").with_value("v"),
            "user or password",
        ),
        (Credential::header("api.example", "x").with_value("v"), "is not a URL"),
        (
            Credential::header("https://api.example", "bad name").with_value("v"),
            "not a valid header name",
        ),
        (
            Credential::header("https://api.example", "Host").with_value("v"),
            "`host` cannot be set",
        ),
        (Credential::header("https://api.example", "x"), "no value given"),
        (
            Credential::query("https://api.example", "").with_value("v"),
            "name is empty",
        ),
        (
            Credential::header("https://api.example", "x")
                .with_value("v")
                .with_path_prefix("v1"),
            "must start with `/`",
        ),
    ] {
        let error = EgressPolicy::builder().credential(credential).build().unwrap_err();
        assert!(error.to_string().contains(reason), "{reason}: {error}");
        assert!(error.to_string().starts_with("credential #1"), "{error}");
    }
}

#[test]
fn an_ip_origin_matches_its_address() {
    let policy = policy(vec![Credential::header("https://[::1]:8443", "x-key").with_value("v")]);
    let mut headers = HeaderMap::new();
    let (_, applied) = apply(&policy, Method::GET, "https://[0::1]:8443/", &mut headers);
    assert!(!applied.is_empty());
    assert_eq!(policy.credentials()[0].origin(), "https://[::1]:8443");
}
