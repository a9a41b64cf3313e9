//! Decisions: rule order, every matcher, IP spellings, addresses.

use std::net::IpAddr;

use http::Method;

use super::{allowed_by, decide, denied, url};
use crate::{AddressClass, Decision, DenyKind, DirectResponse, EgressPolicy, PolicyError, Rule, RuleKind, Scheme};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn the_default_policy_denies_everything() {
    let policy = EgressPolicy::default();
    assert!(policy.denies_everything());
    let denial = denied(&policy, "GET", "https://api.example.com/");
    assert_eq!(denial.kind(), DenyKind::NoMatchingRule);
    assert_eq!(
        denial.to_string(),
        "blocked by the egress policy: no rule allows GET https://api.example.com:443/"
    );
    assert!(policy.use_builtin_roots());
    assert!(EgressPolicy::builder().build().unwrap().denies_everything());
}

#[test]
fn deny_wins_over_respond_and_allow() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("*").with_name("everything"))
        .respond(Rule::host("*.internal.example"), DirectResponse::new(200))
        .deny(Rule::host("*.internal.example").with_name("internal"))
        .build()
        .unwrap();
    let denial = denied(&policy, "GET", "https://db.internal.example/x");
    assert_eq!(denial.kind(), DenyKind::DeniedByRule);
    assert_eq!(denial.rule().unwrap().name.as_deref(), Some("internal"));
    assert_eq!(
        denial.to_string(),
        "blocked by the egress policy: GET https://db.internal.example:443/x is denied by rule \"internal\""
    );
    assert_eq!(allowed_by(&policy, "GET", "https://internal.example/"), "everything");
}

#[test]
fn unnamed_rules_are_named_by_position() {
    let policy = EgressPolicy::builder()
        .deny(Rule::host("a.example"))
        .deny(Rule::host("b.example"))
        .build()
        .unwrap();
    let denial = denied(&policy, "GET", "http://b.example/");
    assert!(denial.to_string().ends_with("is denied by deny rule #2"), "{denial}");
    let rule = denial.rule().unwrap();
    assert_eq!((rule.kind, rule.index, rule.name.clone()), (RuleKind::Deny, 1, None));
}

#[test]
fn respond_answers_before_allow() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("mock.example"))
        .respond(
            Rule::host("mock.example").with_name("mock").with_path_prefix("/data"),
            DirectResponse::new(201)
                .with_header("content-type", "text/plain")
                .with_body("hi"),
        )
        .build()
        .unwrap();
    match decide(&policy, "GET", "https://mock.example/data/1?x") {
        Decision::Respond { rule, response } => {
            assert_eq!(rule.name.as_deref(), Some("mock"));
            assert_eq!(rule.kind, RuleKind::Respond);
            assert_eq!(response.status().as_u16(), 201);
            assert_eq!(response.headers()["content-type"], "text/plain");
            assert_eq!(&response.body()[..], b"hi");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(allowed_by(&policy, "GET", "https://mock.example/other"), "#0");
}

#[test]
fn the_first_matching_allow_rule_decides() {
    let policy = EgressPolicy::builder()
        .allow(
            Rule::host("api.example.com")
                .with_name("reads")
                .with_methods([Method::GET]),
        )
        .allow(Rule::host("*.example.com").with_name("wild").allow_private_addresses())
        .build()
        .unwrap();
    assert_eq!(allowed_by(&policy, "GET", "https://api.example.com/"), "reads");
    assert_eq!(allowed_by(&policy, "POST", "https://api.example.com/"), "wild");
    let Decision::Allow(allowed) = decide(&policy, "GET", "https://api.example.com/") else {
        panic!()
    };
    assert!(!allowed.allows_private_addresses(), "the first rule's setting applies");
}

#[test]
fn every_matcher_narrows_an_allow_rule() {
    let policy = EgressPolicy::builder()
        .allow(
            Rule::host("api.example.com")
                .with_schemes([Scheme::Https])
                .with_ports([443])
                .with_methods([Method::GET])
                .with_path_prefix("/v1"),
        )
        .build()
        .unwrap();
    allowed_by(&policy, "GET", "https://api.example.com/v1");
    allowed_by(&policy, "GET", "https://api.example.com/v1/users?page=2");
    allowed_by(&policy, "GET", "https://API.example.com.:443/v1/");
    for (method, target) in [
        ("GET", "http://api.example.com/v1"),
        ("GET", "https://api.example.com:8443/v1"),
        ("PUT", "https://api.example.com/v1"),
        ("GET", "https://api.example.com/v10"),
        ("GET", "https://api.example.com/"),
        ("GET", "https://www.example.com/v1"),
        ("GET", "https://api.example.com/v1/..%2Fadmin"),
    ] {
        assert_eq!(
            denied(&policy, method, target).kind(),
            DenyKind::NoMatchingRule,
            "{method} {target}"
        );
    }
}

#[test]
fn deny_rules_match_paths_loosely() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("example.com"))
        .deny(Rule::host("example.com").with_path_prefix("/admin"))
        .build()
        .unwrap();
    for target in [
        "https://example.com/admin",
        "https://example.com/ADMIN/users",
        "https://example.com/admin;x=1",
        "https://example.com/%61dmin",
        "https://example.com/public/..%2Fadmin",
        "https://example.com/public/../admin",
    ] {
        assert_eq!(
            denied(&policy, "GET", target).kind(),
            DenyKind::DeniedByRule,
            "{target}"
        );
    }
    allowed_by(&policy, "GET", "https://example.com/administrator");
}

#[test]
fn only_http_and_https_leave() {
    let policy = EgressPolicy::allow_net(["*"]).unwrap();
    for target in [
        "ftp://example.com/",
        "file:///etc/passwd",
        "ws://example.com/",
        "data:text/plain,x",
    ] {
        let denial = denied(&policy, "GET", target);
        assert_eq!(denial.kind(), DenyKind::UnsupportedScheme, "{target}");
        assert!(
            denial
                .to_string()
                .starts_with("blocked by the egress policy: only http and https")
        );
    }
    assert_eq!(denied(&policy, "GET", "http://./").kind(), DenyKind::NoHost);
}

#[test]
fn ip_spellings_are_one_host_and_loopback_needs_permission() {
    let star = EgressPolicy::allow_net(["*"]).unwrap();
    let explicit = EgressPolicy::allow_net(["127.0.0.1"]).unwrap();
    for target in [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        let denial = denied(&star, "GET", target);
        assert_eq!(denial.kind(), DenyKind::NonPublicAddress, "{target}");
        assert_eq!(denial.address().unwrap().1, AddressClass::Loopback, "{target}");
        assert!(
            denial.to_string().contains("is a non-public address (loopback)"),
            "{denial}"
        );
        let Decision::Allow(allowed) = decide(&explicit, "GET", target) else {
            panic!("{target} is allowed by its explicit rule")
        };
        assert_eq!(allowed.explicit_ip(), Some(ip("127.0.0.1")));
    }
    assert_eq!(
        denied(&explicit, "GET", "http://127.0.0.2/").kind(),
        DenyKind::NoMatchingRule
    );
}

#[test]
fn literal_addresses_in_every_class_are_refused_without_permission() {
    let star = EgressPolicy::allow_net(["*"]).unwrap();
    for (target, class) in [
        ("http://10.0.0.5/", AddressClass::Private),
        ("http://169.254.169.254/latest/meta-data", AddressClass::CloudMetadata),
        ("http://[fd00:ec2::254]/", AddressClass::CloudMetadata),
        ("http://[::ffff:169.254.169.254]/", AddressClass::CloudMetadata),
        ("http://[64:ff9b::a9fe:a9fe]/", AddressClass::CloudMetadata),
        ("http://100.100.100.200/", AddressClass::CloudMetadata),
        ("http://100.64.0.1/", AddressClass::SharedAddressSpace),
        ("http://0.0.0.0/", AddressClass::Unspecified),
        ("http://[::]/", AddressClass::Unspecified),
        ("http://[::1]/", AddressClass::Loopback),
        ("http://[fe80::1]/", AddressClass::LinkLocal),
        ("http://[fec0::1]/", AddressClass::SiteLocal),
        ("http://[2002:a00:1::]/", AddressClass::Private),
        ("http://255.255.255.255/", AddressClass::Broadcast),
    ] {
        let denial = denied(&star, "GET", target);
        assert_eq!(denial.address().map(|a| a.1), Some(class), "{target}");
    }
    allowed_by(&star, "GET", "http://8.8.8.8/");
    allowed_by(&star, "GET", "http://[2606:4700:4700::1111]/");
    let private = EgressPolicy::builder()
        .allow(Rule::host("*").allow_private_addresses())
        .build()
        .unwrap();
    allowed_by(&private, "GET", "http://169.254.169.254/");
}

#[test]
fn deny_rules_on_addresses_catch_embedded_forms() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("*").allow_private_addresses())
        .deny(Rule::host("169.254.169.254").with_name("metadata"))
        .build()
        .unwrap();
    for target in [
        "http://169.254.169.254/",
        "http://0xa9fea9fe/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::169.254.169.254]/",
        "http://[2002:a9fe:a9fe::1]/",
    ] {
        assert_eq!(
            denied(&policy, "GET", target).kind(),
            DenyKind::DeniedByRule,
            "{target}"
        );
    }
}

#[test]
fn resolved_addresses_are_all_checked() {
    let policy = EgressPolicy::allow_net(["api.example.com"]).unwrap();
    let Decision::Allow(allowed) = decide(&policy, "GET", "https://api.example.com/") else {
        panic!()
    };
    assert_eq!(
        (allowed.host(), allowed.port(), allowed.ip_literal()),
        ("api.example.com", 443, None)
    );
    assert_eq!(
        policy.check_addresses(&allowed, &[ip("93.184.215.14"), ip("2606:2800::1")]),
        Ok(())
    );
    let denial = policy
        .check_addresses(&allowed, &[ip("93.184.215.14"), ip("10.0.0.5")])
        .unwrap_err();
    assert_eq!(denial.kind(), DenyKind::NonPublicAddress);
    assert_eq!(denial.address(), Some((ip("10.0.0.5"), AddressClass::Private)));
    assert_eq!(
        denial.to_string(),
        "blocked by the egress policy: api.example.com resolves to a non-public address (private, RFC 1918)"
    );
    assert!(
        !denial.to_string().contains("10.0.0.5"),
        "the resolved address stays in the audit"
    );
    for sneaky in ["::ffff:10.0.0.5", "64:ff9b::a00:5", "fd00::1", "127.0.0.53"] {
        assert!(policy.check_addresses(&allowed, &[ip(sneaky)]).is_err(), "{sneaky}");
    }
    assert_eq!(
        policy.check_addresses(&allowed, &[]).unwrap_err().kind(),
        DenyKind::NoAddresses
    );
}

#[test]
fn allow_private_opens_resolved_private_addresses() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("api.local").allow_private_addresses())
        .resolve("api.local", None, [ip("127.0.0.1")])
        .build()
        .unwrap();
    let Decision::Allow(allowed) = decide(&policy, "GET", "http://api.local:8080/") else {
        panic!()
    };
    let addresses = policy.resolve_override("api.local", 8080).unwrap();
    assert_eq!(policy.check_addresses(&allowed, addresses), Ok(()));
}

#[test]
fn resolve_overrides_still_pass_the_address_check() {
    let policy = EgressPolicy::builder()
        .allow(Rule::host("api.local"))
        .resolve("api.local", Some(443), [ip("127.0.0.1")])
        .build()
        .unwrap();
    let Decision::Allow(allowed) = decide(&policy, "GET", "https://api.local/") else {
        panic!()
    };
    let addresses = policy.resolve_override("api.local", 443).unwrap();
    assert!(policy.check_addresses(&allowed, addresses).is_err());
    assert_eq!(policy.resolve_override("api.local", 80), None);
}

#[test]
fn allow_net_builds_rules_and_refuses_bad_specs() {
    let policy = EgressPolicy::allow_net(["example.com:8443", "[::1]:9000", "*.example.org"]).unwrap();
    allowed_by(&policy, "GET", "https://example.com:8443/");
    assert_eq!(
        denied(&policy, "GET", "https://example.com/").kind(),
        DenyKind::NoMatchingRule
    );
    allowed_by(&policy, "GET", "http://[::1]:9000/");
    allowed_by(&policy, "GET", "http://a.example.org/");
    assert_eq!(
        denied(&policy, "GET", "http://example.org/").kind(),
        DenyKind::NoMatchingRule
    );
    let error = EgressPolicy::allow_net(["ok.example", "::1"]).unwrap_err();
    assert!(matches!(error, PolicyError::HostSpec { .. }), "{error}");
    assert!(error.to_string().contains("needs brackets"), "{error}");
}

#[test]
fn build_names_the_rule_at_fault() {
    let error = EgressPolicy::builder()
        .allow(Rule::host("ok.example"))
        .allow(Rule::host("x.example").with_name("api").with_path_prefix("v1"))
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "allow rule #2 \"api\": path prefix `v1` must start with `/`"
    );
    let error = EgressPolicy::builder()
        .deny(Rule::host("x.example").allow_private_addresses())
        .build()
        .unwrap_err();
    assert!(
        error.to_string().starts_with("deny rule #1: allow_private only"),
        "{error}"
    );
    let error = EgressPolicy::builder()
        .respond(
            Rule::host("x.example"),
            DirectResponse::new(200).with_body(vec![0; 2048]),
        )
        .limits(crate::EgressLimits {
            max_response_body_bytes: 1024,
            ..Default::default()
        })
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("more than max_response_body_bytes"),
        "{error}"
    );
}

#[test]
fn root_certificates_are_kept_and_bad_pem_is_refused() {
    let pem = crate::tls::TEST_CA.as_bytes();
    let policy = EgressPolicy::builder()
        .add_root_certificates_pem(pem)
        .builtin_roots(false)
        .build()
        .unwrap();
    assert_eq!(policy.root_certificates().len(), 1);
    assert!(!policy.use_builtin_roots());
    let error = EgressPolicy::builder()
        .add_root_certificates_pem(b"nothing")
        .build()
        .unwrap_err();
    assert!(
        error.to_string().starts_with("root certificates: no PEM certificate"),
        "{error}"
    );
}

#[test]
fn decisions_on_odd_methods_and_long_urls_are_bounded() {
    let policy = EgressPolicy::default();
    let long = format!("https://example.com/{}", "a".repeat(100_000));
    let method = Method::from_bytes(&[b'X'; 500]).unwrap();
    let Decision::Deny(denial) = policy.decide(&method, &url(&long)) else {
        panic!()
    };
    assert!(denial.to_string().chars().count() < 300);
}

#[test]
fn a_host_with_an_empty_label_is_refused() {
    // `.internal.example.org` slipped past the deny rule's
    // `*.internal.example.org` while the allow rule's `*.example.org` let it
    // out (found by fuzzing).
    let policy = EgressPolicy::builder()
        .allow(Rule::host("*.example.org"))
        .deny(Rule::host("*.internal.example.org"))
        .build()
        .unwrap();
    for target in ["https://.internal.example.org/", "https://db..example.org/"] {
        assert!(matches!(decide(&policy, "GET", target), Decision::Deny(_)), "{target}");
    }
    assert!(matches!(
        decide(&policy, "GET", "https://api.example.org./"),
        Decision::Allow(_)
    ));
}
