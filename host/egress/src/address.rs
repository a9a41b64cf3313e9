//! Which IP addresses are public: the block-list checked after DNS resolution.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is. Only [`Public`](AddressClass::Public)
/// addresses are reachable by default; every other class needs a rule that
/// allows it explicitly (see [`EgressPolicy::check_addresses`](super::EgressPolicy::check_addresses)).
///
/// IPv6 addresses that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64
/// `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`)
/// take the class of the IPv4 address they lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// Globally routable unicast.
    Public,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918: `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`.
    Private,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// RFC 6598 carrier-grade NAT space, `100.64.0.0/10`.
    SharedAddressSpace,
    /// IPv6 unique local addresses, `fc00::/7`.
    UniqueLocal,
    /// Deprecated IPv6 site-local addresses, `fec0::/10`.
    SiteLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `0.0.0.0`, `::`.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, `2001:2::/48`.
    Benchmarking,
    /// Cloud instance metadata services: `169.254.169.254`, `fd00:ec2::254`
    /// (AWS), `100.100.100.200` (Alibaba), `168.63.129.16` (Azure),
    /// `192.0.0.192` (Oracle).
    CloudMetadata,
    /// `0.0.0.0/8` other than `0.0.0.0`.
    ThisNetwork,
    /// Everything else that is not globally routable: `240.0.0.0/4`,
    /// `192.0.0.0/24`, `192.88.99.0/24`, IETF protocol assignments
    /// `2001::/23`, discard-only `100::/64`, SRv6 `5f00::/16`, and IPv6
    /// outside `2000::/3` not listed above.
    Reserved,
}

impl AddressClass {
    /// Whether the class is [`Public`](AddressClass::Public).
    pub fn is_public(self) -> bool {
        self == AddressClass::Public
    }

    /// A short lowercase name, as in messages (`"loopback"`, `"private, RFC 1918"`).
    pub fn describe(self) -> &'static str {
        match self {
            AddressClass::Public => "public",
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private, RFC 1918",
            AddressClass::LinkLocal => "link-local",
            AddressClass::SharedAddressSpace => "shared address space, RFC 6598",
            AddressClass::UniqueLocal => "unique local",
            AddressClass::SiteLocal => "site-local",
            AddressClass::Multicast => "multicast",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Documentation => "documentation",
            AddressClass::Benchmarking => "benchmarking",
            AddressClass::CloudMetadata => "cloud metadata",
            AddressClass::ThisNetwork => "this-network",
            AddressClass::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The class of `ip`.
///
/// ```
/// use isobox_egress::{classify, AddressClass};
/// assert_eq!(classify("10.1.2.3".parse().unwrap()), AddressClass::Private);
/// assert_eq!(classify("::ffff:127.0.0.1".parse().unwrap()), AddressClass::Loopback);
/// assert_eq!(classify("93.184.215.14".parse().unwrap()), AddressClass::Public);
/// ```
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    let bits = u32::from(ip);
    let within = |net: [u8; 4], len: u32| {
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        bits & mask == u32::from_be_bytes(net) & mask
    };
    const METADATA: [[u8; 4]; 4] = [
        [169, 254, 169, 254],
        [100, 100, 100, 200],
        [168, 63, 129, 16],
        [192, 0, 0, 192],
    ];
    if METADATA.contains(&ip.octets()) {
        return AddressClass::CloudMetadata;
    }
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_broadcast() {
        return AddressClass::Broadcast;
    }
    match () {
        _ if a == 0 => AddressClass::ThisNetwork,
        _ if a == 127 => AddressClass::Loopback,
        _ if a == 10 || within([172, 16, 0, 0], 12) || (a == 192 && b == 168) => AddressClass::Private,
        _ if within([100, 64, 0, 0], 10) => AddressClass::SharedAddressSpace,
        _ if a == 169 && b == 254 => AddressClass::LinkLocal,
        _ if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113) => {
            AddressClass::Documentation
        }
        _ if within([198, 18, 0, 0], 15) => AddressClass::Benchmarking,
        _ if (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) => AddressClass::Reserved,
        _ if (224..=239).contains(&a) => AddressClass::Multicast,
        _ if a >= 240 => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return AddressClass::CloudMetadata;
    }
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    let embedded = embedded_ipv4(ip);
    if !embedded.is_empty() {
        // The most restrictive reading decides. A reading in 0.0.0.0/8 is
        // the zero padding of another prefix length (local-use NAT64), so it
        // counts only when every reading is one.
        let all_zero_net = embedded.iter().all(|v4| v4.octets()[0] == 0);
        return embedded
            .iter()
            .filter(|v4| all_zero_net || v4.octets()[0] != 0)
            .map(|v4| classify_v4(*v4))
            .find(|class| !class.is_public())
            .unwrap_or(AddressClass::Public);
    }
    let s = ip.segments();
    let within = |net: Ipv6Addr, len: u32| {
        let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
        u128::from(ip) & mask == u128::from(net) & mask
    };
    match () {
        _ if s[0] & 0xff00 == 0xff00 => AddressClass::Multicast,
        _ if s[0] & 0xfe00 == 0xfc00 => AddressClass::UniqueLocal,
        _ if s[0] & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        _ if s[0] & 0xffc0 == 0xfec0 => AddressClass::SiteLocal,
        _ if within(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32) => AddressClass::Documentation,
        _ if within(Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20) => AddressClass::Documentation,
        _ if within(Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0), 48) => AddressClass::Benchmarking,
        _ if within(Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23) => AddressClass::Reserved,
        _ if within(Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16) => AddressClass::Reserved,
        // Only 2000::/3 is allocated as global unicast.
        _ if s[0] & 0xe000 != 0x2000 => AddressClass::Reserved,
        _ => AddressClass::Public,
    }
}

/// The IPv4 addresses an IPv6 address leads to, when it embeds one: mapped,
/// compatible and translated forms, NAT64 (well-known and local-use, every
/// RFC 6052 prefix length of the local-use /48), 6to4, and Teredo's client.
/// Empty for `::`, `::1` and every other address.
pub(crate) fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let last32 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if ip.is_unspecified() || ip.is_loopback() {
        return Vec::new();
    }
    match s {
        // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated).
        [0, 0, 0, 0, 0, 0, _, _] | [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => vec![last32],
        // NAT64 well-known prefix 64:ff9b::/96.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => vec![last32],
        // NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215), which may carry
        // a /48, /56, /64 or /96 translation prefix (RFC 6052 section 2.2,
        // octet 8 is the reserved "u" octet).
        [0x64, 0xff9b, 1, ..] => vec![
            Ipv4Addr::new(o[6], o[7], o[9], o[10]),
            Ipv4Addr::new(o[7], o[9], o[10], o[11]),
            Ipv4Addr::new(o[9], o[10], o[11], o[12]),
            last32,
        ],
        // 6to4: 2002:aabb:ccdd::/48.
        [0x2002, ..] => vec![Ipv4Addr::new(o[2], o[3], o[4], o[5])],
        // Teredo 2001:0::/32: the client's address, bits inverted.
        [0x2001, 0, ..] => vec![Ipv4Addr::from(u32::from(last32) ^ 0xffff_ffff)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        classify(text.parse().unwrap_or_else(|_| panic!("{text} is an IP")))
    }

    #[test]
    fn every_ipv4_class() {
        let cases = [
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::ThisNetwork),
            ("10.0.0.5", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("172.32.0.1", AddressClass::Public),
            ("172.15.255.255", AddressClass::Public),
            ("192.168.1.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::SharedAddressSpace),
            ("100.127.255.254", AddressClass::SharedAddressSpace),
            ("100.128.0.1", AddressClass::Public),
            ("100.63.255.255", AddressClass::Public),
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("169.254.1.1", AddressClass::LinkLocal),
            ("169.254.169.254", AddressClass::CloudMetadata),
            ("100.100.100.200", AddressClass::CloudMetadata),
            ("168.63.129.16", AddressClass::CloudMetadata),
            ("192.0.0.192", AddressClass::CloudMetadata),
            ("192.0.0.8", AddressClass::Reserved),
            ("192.0.2.7", AddressClass::Documentation),
            ("198.51.100.7", AddressClass::Documentation),
            ("203.0.113.7", AddressClass::Documentation),
            ("198.18.0.1", AddressClass::Benchmarking),
            ("198.19.255.255", AddressClass::Benchmarking),
            ("198.20.0.1", AddressClass::Public),
            ("192.88.99.1", AddressClass::Reserved),
            ("224.0.0.1", AddressClass::Multicast),
            ("239.255.255.250", AddressClass::Multicast),
            ("240.0.0.1", AddressClass::Reserved),
            ("255.255.255.254", AddressClass::Reserved),
            ("255.255.255.255", AddressClass::Broadcast),
            ("8.8.8.8", AddressClass::Public),
            ("1.1.1.1", AddressClass::Public),
            ("223.255.255.255", AddressClass::Public),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn every_ipv6_class() {
        let cases = [
            ("::", AddressClass::Unspecified),
            ("::1", AddressClass::Loopback),
            ("fe80::1", AddressClass::LinkLocal),
            ("febf::1", AddressClass::LinkLocal),
            ("fec0::1", AddressClass::SiteLocal),
            ("feff::1", AddressClass::SiteLocal),
            ("fc00::1", AddressClass::UniqueLocal),
            ("fd12:3456::1", AddressClass::UniqueLocal),
            ("fd00:ec2::254", AddressClass::CloudMetadata),
            ("ff02::1", AddressClass::Multicast),
            ("2001:db8::1", AddressClass::Documentation),
            ("3fff:fff::1", AddressClass::Documentation),
            ("2001:2::1", AddressClass::Benchmarking),
            ("2001:10::1", AddressClass::Reserved),
            ("100::1", AddressClass::Reserved),
            ("5f00::1", AddressClass::Reserved),
            ("4000::1", AddressClass::Reserved),
            ("1::1", AddressClass::Reserved),
            ("2606:4700:4700::1111", AddressClass::Public),
            ("2a00:1450:4001::1", AddressClass::Public),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_that_embed_ipv4_take_its_class() {
        let cases = [
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("::ffff:169.254.169.254", AddressClass::CloudMetadata),
            ("::ffff:8.8.8.8", AddressClass::Public),
            ("::127.0.0.1", AddressClass::Loopback),
            ("::10.1.1.1", AddressClass::Private),
            ("::8.8.8.8", AddressClass::Public),
            ("::0.0.0.2", AddressClass::ThisNetwork),
            ("::ffff:0:192.168.0.1", AddressClass::Private),
            ("64:ff9b::127.0.0.1", AddressClass::Loopback),
            ("64:ff9b::a9fe:a9fe", AddressClass::CloudMetadata),
            ("64:ff9b::8.8.8.8", AddressClass::Public),
            // Local-use NAT64 with a /96 prefix, and with a /48 prefix
            // (10.0.0.1 split around the "u" octet: 0a00 : 00 00 01).
            ("64:ff9b:1::10.0.0.1", AddressClass::Private),
            ("64:ff9b:1:a00:0:100::", AddressClass::Private),
            ("64:ff9b:1::8.8.8.8", AddressClass::Public),
            ("2002:7f00:1::", AddressClass::Loopback),
            ("2002:c0a8:101::1", AddressClass::Private),
            ("2002:808:808::1", AddressClass::Public),
            // Teredo: client 127.0.0.1 is stored inverted as 80ff:fffe.
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", AddressClass::Loopback),
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", AddressClass::Public),
            ("2001:0:4136:e378:8000:63bf:f5ff:fffe", AddressClass::Private),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn only_public_is_public_and_descriptions_are_distinct() {
        let all = [
            AddressClass::Public,
            AddressClass::Loopback,
            AddressClass::Private,
            AddressClass::LinkLocal,
            AddressClass::SharedAddressSpace,
            AddressClass::UniqueLocal,
            AddressClass::SiteLocal,
            AddressClass::Multicast,
            AddressClass::Unspecified,
            AddressClass::Broadcast,
            AddressClass::Documentation,
            AddressClass::Benchmarking,
            AddressClass::CloudMetadata,
            AddressClass::ThisNetwork,
            AddressClass::Reserved,
        ];
        let public: Vec<_> = all.iter().filter(|c| c.is_public()).collect();
        assert_eq!(public, [&AddressClass::Public]);
        let names: std::collections::HashSet<_> = all.iter().map(|c| c.to_string()).collect();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn embedded_addresses_are_extracted() {
        let v6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(embedded_ipv4(v6("::ffff:1.2.3.4")), [v4("1.2.3.4")]);
        assert_eq!(embedded_ipv4(v6("2002:102:304::")), [v4("1.2.3.4")]);
        assert_eq!(embedded_ipv4(v6("2001:0:1:2:3:4:fefd:fcfb")), [v4("1.2.3.4")]);
        assert!(embedded_ipv4(v6("::1")).is_empty());
        assert!(embedded_ipv4(v6("::")).is_empty());
        assert!(embedded_ipv4(v6("2606:4700::1")).is_empty());
    }
}
