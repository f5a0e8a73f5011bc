//! `X-Twilio-Signature`: proof that a webhook request came from Twilio.
//!
//! Twilio signs the full URL it called (query included) followed by every
//! form parameter as `name + value`, names sorted and the values of a
//! repeated name sorted, with HMAC-SHA1 keyed by the account's auth token,
//! and sends the base64 digest. Its own servers are inconsistent about the
//! default port (`:443` / `:80`), so a URL is accepted with and without it,
//! as the official helper libraries do.
//!
//! Requests with a JSON body are signed differently: Twilio adds
//! `bodySHA256=<hex sha256(body)>` to the query and signs the URL alone.
//!
//! Behind API Gateway or a function URL the Host header is not the public
//! one: callers rebuild the URL Twilio called from configuration.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// The `X-Twilio-Signature` value Twilio would send for a request to `url`
/// with form `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest(auth_token, url, params))
}

/// Whether `signature` is Twilio's for a form request to `url` with
/// `params`, with or without the default port in `url`.
pub fn validate(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    // Every variant is checked so timing does not tell which one matched.
    url_variants(url).iter().fold(false, |valid, candidate| {
        let expected = digest(auth_token, candidate, params);
        valid | bool::from(expected.as_slice().ct_eq(&given))
    })
}

/// Whether `signature` is Twilio's for a JSON request: `url_with_query`
/// carries `bodySHA256`, which must be the hex SHA-256 of `body`, and the
/// signature covers the URL with no parameters.
pub fn validate_json(auth_token: &str, url_with_query: &str, body: &[u8], signature: &str) -> bool {
    let Some(claimed) = body_sha256(url_with_query) else {
        return false;
    };
    let actual = hex::encode(Sha256::digest(body));
    let body_ok = bool::from(
        claimed
            .to_ascii_lowercase()
            .as_bytes()
            .ct_eq(actual.as_bytes()),
    );
    let signature_ok = validate(auth_token, url_with_query, &[], signature);
    body_ok & signature_ok
}

/// HMAC-SHA1 of the URL followed by the sorted parameters.
fn digest(auth_token: &str, url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Sorting the pairs sorts names, then the values of a repeated name.
    sorted.sort();
    // HMAC takes a key of any length, so `new_from_slice` cannot fail; the
    // fallback keeps this function total without a panic path.
    let Ok(mut mac) = HmacSha1::new_from_slice(auth_token.as_bytes()) else {
        return Vec::new();
    };
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

/// The `bodySHA256` query parameter of `url`, if any.
fn body_sha256(url: &str) -> Option<String> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (_, query) = without_fragment.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "bodySHA256")
        .map(|(_, value)| value.into_owned())
}

/// `url` as given, without its port, and with its port (the scheme's
/// default when it has none). Unparsable URLs are used as given only.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // `user:password@` may precede the host; its colon is not a port's.
    let (userinfo, host_port) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    // An IPv6 host is bracketed and full of colons: a port follows `]`.
    let port_colon = match host_port.rfind(']') {
        Some(bracket) => host_port[bracket..].find(':').map(|i| bracket + i),
        None => host_port.rfind(':'),
    };
    let host = port_colon.map_or(host_port, |colon| &host_port[..colon]);
    let with_port = if port_colon.is_some() {
        host_port.to_string()
    } else {
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        };
        format!("{host}:{default_port}")
    };
    for host_part in [host.to_string(), with_port] {
        let candidate = format!("{scheme}://{userinfo}{host_part}{tail}");
        if !variants.contains(&candidate) {
            variants.push(candidate);
        }
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    const BODY: &str = r#"{"property": "value", "boolean": true}"#;
    const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    const JSON_SIGNATURE: &str = "a9nBmqA0ju/hNViExpshrM61xv4=";

    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn json_url() -> String {
        format!("{URL}&bodySHA256={BODY_HASH}")
    }

    #[test]
    fn signs_the_twilio_python_vector() {
        assert_eq!(sign(TOKEN, URL, &params()), SIGNATURE);
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut reversed = params();
        reversed.reverse();
        assert_eq!(sign(TOKEN, URL, &reversed), SIGNATURE);
    }

    #[test]
    fn validates_the_vector() {
        assert!(validate(TOKEN, URL, &params(), SIGNATURE));
    }

    #[test]
    fn refuses_a_wrong_token_url_param_or_signature() {
        assert!(!validate("54321", URL, &params(), SIGNATURE));
        assert!(!validate(
            TOKEN,
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params(),
            SIGNATURE
        ));
        let mut changed = params();
        changed[2].1 = "1235".to_string();
        assert!(!validate(TOKEN, URL, &changed, SIGNATURE));
        let mut extra = params();
        extra.push(("Extra".to_string(), "x".to_string()));
        assert!(!validate(TOKEN, URL, &extra, SIGNATURE));
        assert!(!validate(
            TOKEN,
            URL,
            &params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B9="
        ));
        assert!(!validate(TOKEN, URL, &params(), "not base64!"));
        assert!(!validate(TOKEN, URL, &params(), ""));
    }

    #[test]
    fn accepts_the_url_with_and_without_the_default_port() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        // Signed without the port, received with it.
        assert!(validate(TOKEN, with_port, &params(), SIGNATURE));
        // Signed with the port, received without it.
        let signed_with_port = sign(TOKEN, with_port, &params());
        assert_ne!(signed_with_port, SIGNATURE);
        assert!(validate(TOKEN, URL, &params(), &signed_with_port));
        // Plain HTTP uses :80.
        let http = "http://example.test/hook";
        let signed = sign(TOKEN, "http://example.test:80/hook", &[]);
        assert!(validate(TOKEN, http, &[], &signed));
        // A different port is a different URL.
        let other = sign(
            TOKEN,
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &params(),
        );
        assert!(!validate(TOKEN, URL, &params(), &other));
    }

    #[test]
    fn port_variants_keep_userinfo_and_ipv6_hosts() {
        assert_eq!(
            url_variants("https://u:p@h.test/x"),
            ["https://u:p@h.test/x", "https://u:p@h.test:443/x"]
        );
        assert_eq!(
            url_variants("http://[::1]:8080?a=1"),
            ["http://[::1]:8080?a=1", "http://[::1]?a=1"]
        );
        assert_eq!(url_variants("not a url"), ["not a url"]);
    }

    #[test]
    fn repeated_names_sort_their_values() {
        let a = vec![
            ("StatusCallbackEvent".to_string(), "ringing".to_string()),
            ("StatusCallbackEvent".to_string(), "answered".to_string()),
        ];
        let b: Vec<_> = a.iter().rev().cloned().collect();
        assert_eq!(sign(TOKEN, URL, &a), sign(TOKEN, URL, &b));
        let mut s = URL.to_string();
        s.push_str("StatusCallbackEventansweredStatusCallbackEventringing");
        let mut mac = HmacSha1::new_from_slice(TOKEN.as_bytes()).unwrap();
        mac.update(s.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sign(TOKEN, URL, &a), expected);
    }

    #[test]
    fn json_body_hash_matches_the_vector() {
        assert_eq!(hex::encode(Sha256::digest(BODY.as_bytes())), BODY_HASH);
        assert_eq!(sign(TOKEN, &json_url(), &[]), JSON_SIGNATURE);
    }

    #[test]
    fn validates_json_requests() {
        assert!(validate_json(
            TOKEN,
            &json_url(),
            BODY.as_bytes(),
            JSON_SIGNATURE
        ));
        // The body must match its hash.
        assert!(!validate_json(
            TOKEN,
            &json_url(),
            br#"{"property": "value", "boolean": false}"#,
            JSON_SIGNATURE
        ));
        // No hash in the URL: not a JSON-signed request.
        assert!(!validate_json(TOKEN, URL, BODY.as_bytes(), JSON_SIGNATURE));
        assert!(!validate_json(
            "54321",
            &json_url(),
            BODY.as_bytes(),
            JSON_SIGNATURE
        ));
        // Port variants apply here too.
        let with_port = json_url().replace("mycompany.com", "mycompany.com:443");
        assert!(validate_json(
            TOKEN,
            &with_port,
            BODY.as_bytes(),
            JSON_SIGNATURE
        ));
    }
}
