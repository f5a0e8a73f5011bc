//! The client's address, for per-IP rate limits.
//!
//! It starts from the request's peer, the address the platform saw the
//! request come from: API Gateway's `requestContext` `sourceIp` on Lambda
//! (`app::run_lambda` inserts it as [`PeerAddr`]), the socket's peer in
//! `heyway serve` (`ConnectInfo`). Anyone can send any `X-Forwarded-For`,
//! so the header counts only when the peer is one of `TRUSTED_PROXIES`,
//! and then only the hops the proxies appended: read from the right, the
//! first entry that is not itself a trusted proxy is the client.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::http::AppState;
use crate::infra::config::TrustedProxies;

/// The address the request came from, as the platform (not a header)
/// says: on Lambda, API Gateway's `sourceIp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// The caller's IP, the key of the per-IP limits; `unknown` when the
/// request carries no peer address (a router called without a socket or a
/// Lambda context, as unit tests do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = peer_addr(parts) else {
            tracing::warn!("request without a peer address: per-IP limits share one budget");
            return Ok(Self("unknown".to_string()));
        };
        let forwarded = forwarded_for(&parts.headers);
        let client = client_ip(peer, &forwarded, &state.config.trusted_proxies);
        Ok(Self(client.to_string()))
    }
}

/// The Lambda adapter's [`PeerAddr`], else the socket's peer.
fn peer_addr(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<PeerAddr>()
        .map(|PeerAddr(ip)| *ip)
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        })
}

/// Every `X-Forwarded-For` entry, left to right across repeated headers.
fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect()
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy;
/// otherwise the hop that proxy reported, and so on leftwards while the
/// hop reached is itself trusted. An entry that is no address stops the
/// walk at the last proxy: a proxy writes addresses, so it was not one.
pub fn client_ip(peer: IpAddr, forwarded: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer.to_canonical();
    for entry in forwarded.iter().rev() {
        if !trusted.contains(client) {
            break;
        }
        match parse_hop(entry) {
            Some(hop) => client = hop,
            None => break,
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, or an address with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`), as some proxies write.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(list: &str) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let peer = ip("198.51.100.9");
        let forged = ["1.2.3.4", "5.6.7.8"];
        assert_eq!(client_ip(peer, &forged, &proxies("")), peer);
        assert_eq!(client_ip(peer, &forged, &proxies("10.0.0.0/8")), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8, 192.0.2.1");
        let peer = ip("10.0.0.5");
        // The client forged "1.2.3.4"; the edge proxy 192.0.2.1 appended
        // the real client, the inner proxy appended the edge.
        let hops = ["1.2.3.4", "203.0.113.7", "192.0.2.1"];
        assert_eq!(client_ip(peer, &hops, &trusted), ip("203.0.113.7"));
        assert_eq!(
            client_ip(peer, &["203.0.113.7:4711"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(peer, &["[2001:db8::7]:1"], &trusted),
            ip("2001:db8::7")
        );
        // No header: the proxy is all we know.
        assert_eq!(client_ip(peer, &[], &trusted), peer);
        // A hop that is no address stops at the last proxy.
        assert_eq!(client_ip(peer, &["203.0.113.7", "junk"], &trusted), peer);
        // An IPv4 peer seen on an IPv6 socket is still the proxy.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.5"), &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
    }
}
