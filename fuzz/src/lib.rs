//! The fuzz targets' bodies, one function per target, shared by the libFuzzer
//! binaries in `fuzz_targets/` and by the replay test in `tests/replay.rs`
//! (which runs every file of `corpus/` and `regressions/` through them on
//! stable Rust, without libFuzzer). Each panics when an invariant does not
//! hold; a panic is what libFuzzer reports as a crash.
//!
//! The targets whose code is private to a crate call its doc-hidden
//! `fuzzing` module (feature `fuzzing`): `isobox::fuzzing`,
//! `isobox_serve::fuzzing`; the guest's URL parser is made public by the
//! guest's `fuzzing` feature.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use http::Method;
use isobox_egress::{AddressClass, Decision, EgressPolicy, EgressPolicyBuilder, classify};

pub use isobox::fuzzing::{code, codec, json_codec, json_schema, modules, typescript, wit};
pub use isobox_serve::fuzzing::{config as serve_config, request_body as serve_body};

/// The largest input a target looks at.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// Every target: its name (the binary's and the folders') and its body.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("codec", codec),
    ("wit", wit),
    ("json_codec", json_codec),
    ("json_schema", json_schema),
    ("egress_policy", egress_policy),
    ("egress_address", egress_address),
    ("url", url),
    ("typescript", typescript),
    ("code", code),
    ("modules", modules),
    ("serve_body", serve_body),
    ("serve_config", serve_config),
];

/// The body of target `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The `wit` target under libFuzzer: [`wit`] but for input that trips a
/// known panic of wit-parser 0.254 (an empty block doc comment, `/**/`:
/// `strip_suffix("*/").unwrap()` in its `ast/resolve.rs`), which libFuzzer
/// would otherwise report on every run even once isobox catches it
/// (libfuzzer-sys aborts at the panic, before any unwinding). The replay
/// test runs `regressions/wit/` through [`wit`] itself.
pub fn wit_libfuzzer(data: &[u8]) {
    if data.windows(4).any(|w| w == b"/**/") {
        return;
    }
    wit(data);
}

/// `data` split at its first NUL (all of it and nothing when there is none).
fn split_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[]),
    }
}

/// A method and a URL (`METHOD URL`, or just a URL for GET) for `decide`.
fn method_and_url(data: &[u8]) -> Option<(Method, url::Url)> {
    let text = std::str::from_utf8(data).ok()?;
    let (method, url) = match text.split_once(' ') {
        Some((method, url)) => (Method::from_bytes(method.as_bytes()).ok()?, url),
        None => (Method::GET, text),
    };
    Some((method, url::Url::parse(url).ok()?))
}

/// The SSRF rule: after an allow, an address that is not public passes only
/// when the rule allows private addresses or names that exact IP.
fn check_allowed(policy: &EgressPolicy, decision: &Decision, url: &url::Url, ip: IpAddr) {
    match decision {
        Decision::Allow(allowed) => {
            assert_eq!(
                Some(allowed.port()),
                url.port_or_known_default(),
                "allowed on another port than the URL's: {url}"
            );
            let private_ok = allowed.allows_private_addresses() || allowed.explicit_ip() == Some(ip);
            if !classify(ip).is_public() && !private_ok {
                assert!(
                    policy.check_addresses(allowed, &[ip]).is_err(),
                    "{url} reaches {ip} ({})",
                    classify(ip)
                );
                let mixed = [IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14)), ip];
                assert!(
                    policy.check_addresses(allowed, &mixed).is_err(),
                    "{url} reaches {ip} in a list"
                );
            }
        }
        Decision::Deny(denied) => {
            assert!(
                denied.message().len() <= 16 * 1024,
                "a deny message of {} bytes",
                denied.message().len()
            );
            let _ = denied.to_string();
        }
        _ => {}
    }
}

/// An IP address: after a flag byte (odd: IPv6), 16 or 4 bytes (zeros
/// once the input runs out); and what follows it.
fn ip_from(bytes: &[u8]) -> (IpAddr, &[u8]) {
    let mut octets = [0u8; 16];
    let six = bytes.first().is_some_and(|flag| flag & 1 == 1);
    let len = if six { 16 } else { 4 };
    let given = bytes.get(1..).unwrap_or_default();
    let n = given.len().min(len);
    octets[..n].copy_from_slice(&given[..n]);
    let ip = if six {
        IpAddr::V6(Ipv6Addr::from(octets))
    } else {
        IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]))
    };
    (ip, &given[n..])
}

/// An egress policy from TOML text (up to the first NUL; then an address,
/// as [`ip_from`] reads it, and `METHOD URL`), then a decision on the
/// request and the address check. Text naming CA files or holding `\u`
/// escapes is skipped (no file is read). Invariants: no panic; a policy
/// that denies everything denies the request; the SSRF rule holds; the
/// credentials go only where a request is allowed.
pub fn egress_policy(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let (policy_text, rest) = split_nul(data);
    let Ok(text) = std::str::from_utf8(policy_text) else {
        return;
    };
    if ["file", "\\u", "\\U"].iter().any(|word| text.contains(word)) {
        return;
    }
    let Ok(builder) = EgressPolicyBuilder::from_toml_str(text) else {
        return;
    };
    let env = |name: &str| name.starts_with('T').then(|| format!("secret-{name}"));
    let Ok(policy) = builder.env_lookup(env).build() else {
        return;
    };
    let (ip, request) = ip_from(rest);
    let Some((method, url)) = method_and_url(request) else {
        return;
    };
    let decision = policy.decide(&method, &url);
    if policy.denies_everything() {
        assert!(
            matches!(decision, Decision::Deny(_)),
            "{method} {url} passes a deny-all policy"
        );
    }
    check_allowed(&policy, &decision, &url, ip);
    let mut url2 = url.clone();
    let mut headers = http::HeaderMap::new();
    let _ = policy.apply_credentials(&method, &mut url2, &mut headers);
    if let Some(host) = url.host_str() {
        let _ = policy.resolve_override(host, url.port_or_known_default().unwrap_or(0));
    }
}

/// The policy [`egress_address`] decides with: a bit of everything.
fn fixed_policy() -> &'static EgressPolicy {
    static POLICY: OnceLock<EgressPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        EgressPolicy::from_toml_str(
            r#"
            [[allow]]
            name = "api"
            host = "api.example.com"
            schemes = ["https"]
            ports = [443, 8443]
            methods = ["GET", "POST"]
            path_prefix = "/v1"

            [[allow]]
            name = "local"
            host = "api.local"
            allow_private = true

            [[allow]]
            name = "literal"
            host = "10.1.2.3"

            [[allow]]
            name = "v6"
            host = "[::1]"

            [[allow]]
            name = "wide"
            host = "*.example.org"

            [[deny]]
            host = "*.internal.example.org"

            [[respond]]
            host = "mock.example"
            body = "hi"
            "#,
        )
        .expect("the fixed policy loads")
    })
}

/// The address classifier on an IP ([`ip_from`]), checked against std's
/// predicates and against the IPv4-in-IPv6 forms; then `decide` with a
/// fixed policy on `METHOD URL` (the bytes after the address) and the SSRF
/// rule with that IP.
pub fn egress_address(data: &[u8]) {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let (ip, request) = ip_from(data);
    let class = classify(ip);
    assert!(!class.describe().is_empty());
    match ip {
        IpAddr::V4(v4) => {
            let mapped = classify(IpAddr::V6(v4.to_ipv6_mapped()));
            assert_eq!(mapped, class, "{v4} and {} differ", v4.to_ipv6_mapped());
            let expected = if v4.is_loopback() {
                Some(AddressClass::Loopback)
            } else if v4.is_private() {
                Some(AddressClass::Private)
            } else if v4.is_multicast() {
                Some(AddressClass::Multicast)
            } else if v4.is_broadcast() {
                Some(AddressClass::Broadcast)
            } else if v4.is_unspecified() {
                Some(AddressClass::Unspecified)
            } else if v4.is_documentation() {
                Some(AddressClass::Documentation)
            } else {
                None
            };
            if let Some(expected) = expected {
                assert_eq!(class, expected, "{v4}");
            }
            if v4.is_link_local() {
                assert!(
                    matches!(class, AddressClass::LinkLocal | AddressClass::CloudMetadata),
                    "{v4}: {class:?}"
                );
            }
            if v4.octets()[0] == 0 || v4.octets()[0] >= 224 {
                assert!(!class.is_public(), "{v4} is public");
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                assert_eq!(class, classify(IpAddr::V4(v4)), "{v6}");
            }
            if v6.is_loopback() {
                assert_eq!(class, AddressClass::Loopback, "{v6}");
            }
            if v6.is_unspecified() {
                assert_eq!(class, AddressClass::Unspecified, "{v6}");
            }
            if v6.is_multicast() {
                assert_eq!(class, AddressClass::Multicast, "{v6}");
            }
            if v6.is_unicast_link_local() {
                assert_eq!(class, AddressClass::LinkLocal, "{v6}");
            }
            if v6.is_unique_local() {
                assert!(
                    matches!(class, AddressClass::UniqueLocal | AddressClass::CloudMetadata),
                    "{v6}: {class:?}"
                );
            }
            // Outside 2000::/3 and the forms that embed an IPv4 address
            // (::/96, ::ffff:0:0/96, 64:ff9b::/96 ...): never public.
            let first = v6.segments()[0];
            if first >= 0x4000 && first & 0xe000 != 0x2000 {
                assert!(!class.is_public(), "{v6} is public");
            }
        }
    }
    let Some((method, url)) = method_and_url(request) else {
        return;
    };
    let policy = fixed_policy();
    let decision = policy.decide(&method, &url);
    // A subdomain: a label before the parent (`.internal.example.org`, with
    // an empty one, is not; `*.example.org` allows it).
    if let Some(host) = url.host_str()
        && host
            .strip_suffix(".internal.example.org")
            .is_some_and(|label| !label.is_empty())
    {
        assert!(
            matches!(decision, Decision::Deny(_)),
            "{url}: the deny rule did not win"
        );
    }
    check_allowed(policy, &decision, &url, ip);
}

/// The guest's WHATWG URL parser: `input` (up to the first NUL) against an
/// optional base (after it). Invariant (URL standard, §4.5: the serializer's
/// output parses to an equal URL): parse(href(parse(x))) == parse(x), and
/// href is a fixed point.
pub fn url(data: &[u8]) {
    if data.len() > 16 * 1024 {
        return;
    }
    let (input, base) = split_nul(data);
    let Ok(input) = std::str::from_utf8(input) else {
        return;
    };
    let base = match std::str::from_utf8(base) {
        Ok("") => None,
        Ok(base) => Some(base),
        Err(_) => return,
    };
    let Some(parsed) = isobox_guest::url::parse_with_base(input, base) else {
        return;
    };
    let href = parsed.href();
    let Some(again) = isobox_guest::url::parse_with_base(&href, None) else {
        panic!("{input:?} (base {base:?}) serialises to {href:?}, which does not parse");
    };
    assert_eq!(
        again, parsed,
        "{input:?} (base {base:?}) -> {href:?} parses differently"
    );
    assert_eq!(again.href(), href);
}
