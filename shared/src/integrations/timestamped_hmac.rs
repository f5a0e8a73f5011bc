//! The webhook signature scheme Stripe and ElevenLabs share: a header
//! `t=<unix secs>,<scheme>=<hex>[,<scheme>=<hex>…]` where each signature is
//! `hex(HMAC-SHA256(secret, t + "." + raw body))`. Each caller keeps its
//! own header name, scheme key, tolerance rule and errors.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// A header's timestamp and its candidate signatures for one scheme.
#[derive(Debug, PartialEq, Eq)]
pub struct SignedHeader<'a> {
    pub t: i64,
    pub signatures: Vec<&'a str>,
}

/// Why a header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    BadTimestamp,
    NoTimestamp,
    NoSignature,
}

/// Reads `t` and every `scheme` signature of `header`; other parts are
/// ignored.
pub fn parse<'a>(header: &'a str, scheme: &str) -> Result<SignedHeader<'a>, HeaderError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        match name.trim() {
            "t" => {
                let t = value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| HeaderError::BadTimestamp)?;
                timestamp = Some(t);
            }
            name if name == scheme => signatures.push(value.trim()),
            _ => {}
        }
    }
    let t = timestamp.ok_or(HeaderError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(HeaderError::NoSignature);
    }
    Ok(SignedHeader { t, signatures })
}

/// `hex(HMAC-SHA256(secret, t + "." + body))`.
pub fn compute(secret: &str, t: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, t, body).finalize().into_bytes())
}

/// Whether any of `signatures` is the body's, compared in constant time.
pub fn any_matches(secret: &str, t: i64, body: &[u8], signatures: &[&str]) -> bool {
    let expected = mac(secret, t, body);
    let mut matched = false;
    for signature in signatures {
        let Ok(given) = hex::decode(signature) else {
            continue;
        };
        // `verify_slice` consumes the MAC, hence the clone.
        matched |= expected.clone().verify_slice(&given).is_ok();
    }
    matched
}

fn mac(secret: &str, t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timestamp_and_the_schemes_signatures() {
        assert_eq!(
            parse("t=5,v1=aa,v0=bb,v1=cc", "v1"),
            Ok(SignedHeader {
                t: 5,
                signatures: vec!["aa", "cc"]
            })
        );
        assert_eq!(parse("v1=aa", "v1"), Err(HeaderError::NoTimestamp));
        assert_eq!(parse("t=x,v1=aa", "v1"), Err(HeaderError::BadTimestamp));
        assert_eq!(parse("t=5,v0=aa", "v1"), Err(HeaderError::NoSignature));
    }
}
