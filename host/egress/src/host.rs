//! Host names and host patterns, normalised the way a WHATWG URL parser
//! normalises them, so that every spelling of a host compares equal.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use url::Url;

use super::address::embedded_ipv4;
use super::error::clip;

/// The hosts a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: every host, names and IP literals alike.
    Any,
    /// One domain name, lowercase ASCII (IDNA-encoded), without trailing dots.
    Domain(String),
    /// `*.example.com`: every subdomain of the domain held, not the domain itself.
    Subdomains(String),
    /// One IP address literal.
    Ip(IpAddr),
}

impl HostPattern {
    /// Parses `*`, `*.example.com`, a host name (normalised: lowercase,
    /// IDNA, trailing dots removed), an IPv4 address in any spelling a URL
    /// accepts (`127.1`, `0x7f.0.0.1`), or an IPv6 address with or without
    /// brackets.
    ///
    /// # Errors
    /// A message naming the bad pattern: empty, a misplaced `*`, a port, or
    /// characters a host cannot have.
    pub fn parse(pattern: &str) -> Result<HostPattern, String> {
        if pattern == "*" {
            return Ok(HostPattern::Any);
        }
        if let Some(parent) = pattern.strip_prefix("*.") {
            if parent.contains('*') {
                return Err(wildcard_error(pattern));
            }
            return match parse_host(parent)? {
                HostPattern::Domain(domain) => Ok(HostPattern::Subdomains(domain)),
                _ => Err(format!(
                    "`{}`: a wildcard applies to domain names, not IP addresses",
                    clip(pattern, 100)
                )),
            };
        }
        if pattern.contains('*') {
            return Err(wildcard_error(pattern));
        }
        parse_host(pattern)
    }

    /// Whether the pattern is `*` or `*.domain`.
    pub fn is_wildcard(&self) -> bool {
        matches!(self, HostPattern::Any | HostPattern::Subdomains(_))
    }

    /// Whether the pattern matches `host`. A deny rule (`wide`) on an IP
    /// address also matches IPv6 addresses that embed it (`::ffff:a.b.c.d`,
    /// NAT64, 6to4, Teredo); an allow rule matches the address itself and
    /// its IPv4-mapped form.
    pub(crate) fn matches(&self, host: &UrlHost<'_>, wide: bool) -> bool {
        match (self, host) {
            (HostPattern::Any, _) => true,
            (HostPattern::Domain(domain), UrlHost::Domain(name)) => domain == name,
            (HostPattern::Subdomains(parent), UrlHost::Domain(name)) => name
                .strip_suffix(parent.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (HostPattern::Ip(rule), UrlHost::Ip(ip)) => {
                let rule = rule.to_canonical();
                if rule == ip.to_canonical() {
                    return true;
                }
                match (wide, rule, ip) {
                    (true, IpAddr::V4(rule), IpAddr::V6(ip)) => embedded_ipv4(*ip).contains(&rule),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Any => f.write_str("*"),
            HostPattern::Domain(domain) => f.write_str(domain),
            HostPattern::Subdomains(parent) => write!(f, "*.{parent}"),
            HostPattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            HostPattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

fn wildcard_error(pattern: &str) -> String {
    format!(
        "`{}`: a wildcard is only allowed as `*` or as a leading `*.` (`*.example.com`)",
        clip(pattern, 100)
    )
}

/// One exact host: a domain ([`HostPattern::Domain`]) or an IP address
/// ([`HostPattern::Ip`]).
pub(crate) fn parse_host(text: &str) -> Result<HostPattern, String> {
    let shown = clip(text, 100);
    if text.is_empty() {
        return Err("the host is empty".into());
    }
    if !text.starts_with('[') && text.contains(':') {
        return match text.parse::<Ipv6Addr>() {
            Ok(ip) => Ok(HostPattern::Ip(IpAddr::V6(ip))),
            Err(_) => Err(format!(
                "`{shown}` is not a host (a port goes in `ports`, not in the host)"
            )),
        };
    }
    match url::Host::parse(text) {
        Ok(url::Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.');
            if domain.is_empty() {
                return Err(format!("`{shown}` is not a host name"));
            }
            Ok(HostPattern::Domain(domain.to_owned()))
        }
        Ok(url::Host::Ipv4(ip)) => Ok(HostPattern::Ip(IpAddr::V4(ip))),
        Ok(url::Host::Ipv6(ip)) => Ok(HostPattern::Ip(IpAddr::V6(ip))),
        Err(error) => Err(format!("`{shown}` is not a valid host: {error}")),
    }
}

/// The host of a URL, as rules compare it: a domain without trailing dots,
/// or an IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlHost<'a> {
    Domain(&'a str),
    Ip(IpAddr),
}

impl<'a> UrlHost<'a> {
    /// The URL's host, or `None` for a URL without one (or with an empty
    /// domain or label, such as `http://./` or `http://.a.example/`).
    pub(crate) fn of(url: &'a Url) -> Option<UrlHost<'a>> {
        match url.host()? {
            url::Host::Domain(domain) => {
                let domain = domain.trim_end_matches('.');
                // An empty label (`.a.example`, `a..example`) names no host,
                // and would slip past a deny rule's `*.a.example` while an
                // allow rule's `*.example` matched it (found by fuzzing).
                (!domain.is_empty() && !domain.split('.').any(str::is_empty)).then_some(UrlHost::Domain(domain))
            }
            url::Host::Ipv4(ip) => Some(UrlHost::Ip(IpAddr::V4(ip))),
            url::Host::Ipv6(ip) => Some(UrlHost::Ip(IpAddr::V6(ip))),
        }
    }
}

impl fmt::Display for UrlHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlHost::Domain(domain) => f.write_str(domain),
            UrlHost::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            UrlHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> HostPattern {
        HostPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn matches(pattern_text: &str, url: &str) -> bool {
        let url = Url::parse(url).unwrap();
        pattern(pattern_text).matches(&UrlHost::of(&url).unwrap(), false)
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            pattern("API.Example.COM"),
            HostPattern::Domain("api.example.com".into())
        );
        assert_eq!(pattern("example.com."), HostPattern::Domain("example.com".into()));
        assert_eq!(
            pattern("bücher.example"),
            HostPattern::Domain("xn--bcher-kva.example".into())
        );
        assert_eq!(pattern("*.Example.com"), HostPattern::Subdomains("example.com".into()));
        assert_eq!(pattern("*"), HostPattern::Any);
    }

    #[test]
    fn ip_spellings_are_normalised() {
        let loopback = HostPattern::Ip("127.0.0.1".parse().unwrap());
        for spelling in ["127.0.0.1", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433"] {
            assert_eq!(pattern(spelling), loopback, "{spelling}");
        }
        let v6 = HostPattern::Ip("::1".parse().unwrap());
        assert_eq!(pattern("::1"), v6);
        assert_eq!(pattern("[::1]"), v6);
        assert_eq!(pattern("[0:0::1]"), v6);
        assert_eq!(pattern("[::1]").to_string(), "[::1]");
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        for (bad, reason) in [
            ("", "empty"),
            ("exa mple.com", "not a valid host"),
            ("example.com:443", "a port goes in `ports`"),
            ("*.", "empty"),
            ("*.*.example.com", "wildcard"),
            ("api.*.example.com", "wildcard"),
            ("*example.com", "wildcard"),
            ("*.10.0.0.1", "not IP addresses"),
            ("[::1", "not a valid host"),
            ("a/b", "not a valid host"),
            (".", "not a host name"),
        ] {
            let error = HostPattern::parse(bad).expect_err(bad);
            assert!(error.contains(reason), "{bad}: {error}");
        }
    }

    #[test]
    fn exact_domains_match_exactly() {
        assert!(matches("api.example.com", "https://api.example.com/"));
        assert!(matches("api.example.com", "https://API.EXAMPLE.COM./x"));
        assert!(matches("api.example.com", "https://api.example.com.../x"));
        assert!(!matches("api.example.com", "https://example.com/"));
        assert!(!matches("api.example.com", "https://x.api.example.com/"));
        assert!(!matches("api.example.com", "https://api.example.com.evil/"));
        assert!(!matches("example.com", "https://badexample.com/"));
    }

    #[test]
    fn wildcards_match_subdomains_not_the_apex() {
        assert!(matches("*.example.com", "https://a.example.com/"));
        assert!(matches("*.example.com", "https://a.b.example.com/"));
        assert!(matches("*.example.com", "https://A.Example.Com./"));
        assert!(!matches("*.example.com", "https://example.com/"));
        assert!(!matches("*.example.com", "https://badexample.com/"));
        assert!(!matches("*.example.com", "https://example.com.evil/"));
        assert!(!matches("*.example.com", "https://10.0.0.1/"));
        assert!(matches("*", "https://anything.example/"));
        assert!(matches("*", "http://10.0.0.1/"));
        assert!(matches("*", "http://[::1]/"));
    }

    #[test]
    fn ip_patterns_match_every_spelling_of_the_address() {
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(matches("127.0.0.1", url), "{url}");
        }
        assert!(!matches("127.0.0.1", "http://127.0.0.2/"));
        assert!(!matches("127.0.0.1", "http://localhost/"));
        assert!(matches("[::1]", "http://[0::1]/"));
    }

    #[test]
    fn deny_ip_patterns_also_match_embedding_forms() {
        let rule = pattern("169.254.169.254");
        for url in [
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://[::169.254.169.254]/",
        ] {
            let url = Url::parse(url).unwrap();
            let host = UrlHost::of(&url).unwrap();
            assert!(rule.matches(&host, true), "{url}");
            assert!(!rule.matches(&host, false), "{url}");
        }
    }

    #[test]
    fn url_hosts_without_a_name_are_none() {
        assert_eq!(UrlHost::of(&Url::parse("http://./").unwrap()), None);
        assert_eq!(UrlHost::of(&Url::parse("data:text/plain,x").unwrap()), None);
    }
}
