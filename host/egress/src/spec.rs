//! `HOST[:PORT]` specs, as the CLI's `--allow-net` takes them.

use super::error::{PolicyError, clip};
use super::host::HostPattern;
use super::rules::Rule;

impl Rule {
    /// An allow rule from a `HOST[:PORT]` spec: `example.com`,
    /// `example.com:8443`, `*.example.com`, `*`, `*:443`, `10.0.0.5`,
    /// `10.0.0.5:8080`, `[::1]`, `[::1]:8080`. Without a port the rule
    /// matches every port; both schemes match.
    ///
    /// ```
    /// let rule = isobox_egress::Rule::allow_net("[::1]:8080").unwrap();
    /// assert_eq!(rule.ports(), [8080]);
    /// assert!(isobox_egress::Rule::allow_net("https://example.com").is_err());
    /// ```
    ///
    /// # Errors
    /// [`PolicyError::HostSpec`] for an empty spec, a URL, a path, an
    /// unbracketed IPv6 address, a bad port or a bad host.
    pub fn allow_net(spec: &str) -> Result<Rule, PolicyError> {
        let (host, port) = parse_host_spec(spec).map_err(|message| PolicyError::HostSpec {
            spec: clip(spec, 100),
            message,
        })?;
        let rule = Rule::for_hosts(host);
        Ok(match port {
            Some(port) => rule.with_ports([port]),
            None => rule,
        })
    }
}

fn parse_host_spec(spec: &str) -> Result<(HostPattern, Option<u16>), String> {
    const FORM: &str = "write HOST or HOST:PORT (`example.com`, `*.example.com:443`, `[::1]:8080`)";
    if spec.is_empty() {
        return Err(format!("the spec is empty; {FORM}"));
    }
    if spec.contains("://") {
        return Err(format!("give a host, not a URL; {FORM}"));
    }
    if spec.contains(['/', '?', '#', '@']) || spec.chars().any(char::is_whitespace) {
        return Err(format!("a host spec has no path, query, user or spaces; {FORM}"));
    }
    let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err("an IPv6 address is missing its closing `]`".into());
        };
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(format!(
                "unexpected `{}` after the IPv6 address; {FORM}",
                clip(after, 20)
            ))?),
        };
        (&spec[..inside.len() + 2], port)
    } else {
        match spec.matches(':').count() {
            0 => (spec, None),
            1 => spec.split_once(':').map_or((spec, None), |(h, p)| (h, Some(p))),
            _ => return Err("an IPv6 address needs brackets: `[::1]` or `[::1]:8080`".into()),
        }
    };
    let port = port.map(parse_port).transpose()?;
    Ok((HostPattern::parse(host)?, port))
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 && !text.starts_with('+') => Ok(port),
        _ => Err(format!("port `{}` is not a number from 1 to 65535", clip(text, 20))),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn parsed(spec: &str) -> (HostPattern, Vec<u16>) {
        let rule = Rule::allow_net(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(rule.error().is_none());
        (rule.host_pattern().clone(), rule.ports().to_vec())
    }

    fn ip(text: &str) -> HostPattern {
        HostPattern::Ip(text.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn good_specs() {
        let domain = |d: &str| HostPattern::Domain(d.into());
        assert_eq!(parsed("example.com"), (domain("example.com"), vec![]));
        assert_eq!(parsed("Example.COM:8443"), (domain("example.com"), vec![8443]));
        assert_eq!(
            parsed("*.example.com"),
            (HostPattern::Subdomains("example.com".into()), vec![])
        );
        assert_eq!(
            parsed("*.example.com:443"),
            (HostPattern::Subdomains("example.com".into()), vec![443])
        );
        assert_eq!(parsed("*"), (HostPattern::Any, vec![]));
        assert_eq!(parsed("*:443"), (HostPattern::Any, vec![443]));
        assert_eq!(parsed("10.0.0.5"), (ip("10.0.0.5"), vec![]));
        assert_eq!(parsed("10.0.0.5:8080"), (ip("10.0.0.5"), vec![8080]));
        assert_eq!(parsed("0x7f.1:80"), (ip("127.0.0.1"), vec![80]));
        assert_eq!(parsed("[::1]"), (ip("::1"), vec![]));
        assert_eq!(parsed("[::1]:8080"), (ip("::1"), vec![8080]));
        assert_eq!(parsed("localhost:65535"), (domain("localhost"), vec![65535]));
    }

    #[test]
    fn bad_specs_say_what_to_write() {
        for (spec, reason) in [
            ("", "empty"),
            ("https://example.com", "not a URL"),
            ("example.com/path", "no path"),
            ("user@example.com", "no path, query, user"),
            ("exa mple.com", "spaces"),
            ("example.com:", "port ``"),
            ("example.com:0", "port `0`"),
            ("example.com:65536", "port `65536`"),
            ("example.com:+80", "port `+80`"),
            ("example.com:http", "port `http`"),
            ("::1", "needs brackets"),
            ("::1:8080", "needs brackets"),
            ("[::1", "closing `]`"),
            ("[::1]8080", "unexpected `8080`"),
            ("[::1]:x", "port `x`"),
            ("[not-ip]", "not a valid host"),
            ("*.10.0.0.1", "not IP addresses"),
            ("a.*.com", "wildcard"),
            ("bad<host>:80", "not a valid host"),
        ] {
            let error = Rule::allow_net(spec).expect_err(spec);
            let text = error.to_string();
            assert!(matches!(error, PolicyError::HostSpec { .. }), "{spec}");
            assert!(text.contains(reason), "{spec}: {text}");
        }
    }
}
