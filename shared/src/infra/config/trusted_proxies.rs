//! `TRUSTED_PROXIES`: the proxies whose `X-Forwarded-For` we believe.
//!
//! A comma-separated list of IP addresses and CIDR ranges
//! (`10.0.0.0/8, 2001:db8::/32, 192.0.2.7`). Empty, the default: no
//! forwarded header is believed, and the client is the address the request
//! came from (API Gateway's `sourceIp` on Lambda, the socket's peer in
//! `heyway serve`). A list rather than a hop count: a count is right only
//! while every request takes the same path, and a client that reaches the
//! server directly, around the proxy, would choose its own address.

use std::net::IpAddr;

use ipnet::IpNet;

use super::ConfigError;

/// The configured proxies; empty trusts none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `TRUSTED_PROXIES`; an entry that is neither an address nor
    /// a CIDR range is an error naming it.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| {
                        entry
                            .parse::<IpAddr>()
                            .map(|ip| IpNet::from(ip.to_canonical()))
                    })
                    .map_err(|_| ConfigError::Invalid {
                        key: "TRUSTED_PROXIES",
                        reason: format!("{entry:?} is not an IP address or a CIDR range"),
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// No proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `ip` is one of the proxies (an IPv4 address written as IPv6,
    /// `::ffff:a.b.c.d`, counts as the IPv4 one).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,").unwrap();
        assert!(proxies.contains(ip("10.1.2.3")));
        assert!(proxies.contains(ip("::ffff:10.1.2.3")));
        assert!(proxies.contains(ip("192.0.2.7")));
        assert!(!proxies.contains(ip("192.0.2.8")));
        assert!(proxies.contains(ip("2001:db8::1")));
        assert!(!proxies.contains(ip("2001:db9::1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }

    #[test]
    fn a_bad_entry_is_named() {
        let err = TrustedProxies::parse("10.0.0.0/8, proxy.internal").unwrap_err();
        assert!(
            err.to_string().starts_with("TRUSTED_PROXIES is invalid"),
            "{err}"
        );
        assert!(err.to_string().contains("proxy.internal"), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }
}
