//! Resolve overrides, like curl's `--resolve`: fixed addresses for a host.

use std::net::IpAddr;

use super::error::PolicyError;
use super::host::{HostPattern, parse_host};

/// Fixed addresses for a host name (and optionally one port), used instead
/// of DNS. The addresses still pass the non-public address check: a rule
/// that reaches `api.local` at `127.0.0.1` needs `allow_private`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOverride {
    host: String,
    port: Option<u16>,
    addresses: Vec<IpAddr>,
}

impl ResolveOverride {
    /// The host name (normalised).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port it applies to; `None` for every port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The addresses, in order.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }
}

/// Checks and normalises one override; `index` is 0-based.
pub(crate) fn resolve_override(
    index: usize,
    host: &str,
    port: Option<u16>,
    addresses: Vec<IpAddr>,
) -> Result<ResolveOverride, PolicyError> {
    let context = format!("resolve entry #{}", index + 1);
    let host = match parse_host(host) {
        Ok(HostPattern::Domain(domain)) => domain,
        Ok(_) => {
            return Err(PolicyError::invalid(
                context,
                "the host must be a name, not an IP address",
            ));
        }
        Err(message) => return Err(PolicyError::invalid(context, message)),
    };
    if port == Some(0) {
        return Err(PolicyError::invalid(context, "port 0 is not a port"));
    }
    if addresses.is_empty() {
        return Err(PolicyError::invalid(context, format!("no addresses for `{host}`")));
    }
    Ok(ResolveOverride { host, port, addresses })
}

/// Refuses two overrides for the same host and port.
pub(crate) fn check_duplicates(overrides: &[ResolveOverride]) -> Result<(), PolicyError> {
    for (i, entry) in overrides.iter().enumerate() {
        if overrides[..i]
            .iter()
            .any(|earlier| earlier.host == entry.host && earlier.port == entry.port)
        {
            let port = entry.port.map_or(String::new(), |p| format!(":{p}"));
            return Err(PolicyError::invalid(
                format!("resolve entry #{}", i + 1),
                format!("`{}{port}` is already overridden by an earlier entry", entry.host),
            ));
        }
    }
    Ok(())
}

/// The addresses for `host` and `port`: an entry for that port first, else
/// one for every port. `host` is compared ignoring ASCII case and trailing dots.
pub(crate) fn lookup<'a>(overrides: &'a [ResolveOverride], host: &str, port: u16) -> Option<&'a [IpAddr]> {
    let host = host.trim_end_matches('.');
    let same_host = |entry: &&ResolveOverride| entry.host.eq_ignore_ascii_case(host);
    overrides
        .iter()
        .filter(same_host)
        .find(|entry| entry.port == Some(port))
        .or_else(|| overrides.iter().filter(same_host).find(|entry| entry.port.is_none()))
        .map(|entry| entry.addresses.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn port_specific_entries_win_over_any_port() {
        let overrides = vec![
            resolve_override(0, "api.local", None, ips(&["127.0.0.1"])).unwrap(),
            resolve_override(1, "API.Local", Some(8443), ips(&["127.0.0.2", "::1"])).unwrap(),
        ];
        check_duplicates(&overrides).unwrap();
        assert_eq!(lookup(&overrides, "api.local", 80), Some(&ips(&["127.0.0.1"])[..]));
        assert_eq!(
            lookup(&overrides, "api.local.", 8443),
            Some(&ips(&["127.0.0.2", "::1"])[..])
        );
        assert_eq!(lookup(&overrides, "API.LOCAL", 8443).map(<[_]>::len), Some(2));
        assert_eq!(lookup(&overrides, "other.local", 80), None);
    }

    #[test]
    fn bad_entries_are_refused() {
        let error = resolve_override(0, "10.0.0.1", None, ips(&["127.0.0.1"])).unwrap_err();
        assert!(
            error.to_string().contains("resolve entry #1: the host must be a name"),
            "{error}"
        );
        let error = resolve_override(2, "a b", None, ips(&["127.0.0.1"])).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("resolve entry #3: `a b` is not a valid host"),
            "{error}"
        );
        let error = resolve_override(0, "api.local", None, vec![]).unwrap_err();
        assert!(error.to_string().contains("no addresses"), "{error}");
        let error = resolve_override(0, "api.local", Some(0), ips(&["::1"])).unwrap_err();
        assert!(error.to_string().contains("port 0"), "{error}");
        let twice = vec![
            resolve_override(0, "api.local", Some(1), ips(&["::1"])).unwrap(),
            resolve_override(1, "api.local.", Some(1), ips(&["::1"])).unwrap(),
        ];
        let error = check_duplicates(&twice).unwrap_err();
        assert!(
            error.to_string().contains("resolve entry #2: `api.local:1` is already"),
            "{error}"
        );
    }
}
