//! The client's address, for per-IP rate limits.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The caller's IP. Behind API Gateway it is the last `X-Forwarded-For`
/// entry, the one API Gateway appended (earlier entries come from the
/// client and can be forged); on `heyway serve` it is the socket's peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rfind(|ip| !ip.is_empty())
            .map(str::to_string);
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string())
        };
        Ok(Self(
            forwarded
                .or_else(peer)
                .unwrap_or_else(|| "unknown".to_string()),
        ))
    }
}
