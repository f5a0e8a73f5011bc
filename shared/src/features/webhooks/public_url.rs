//! The URL Twilio called, which its signature covers.
//!
//! Behind a Lambda function URL or API Gateway the request's Host is not
//! necessarily the public one, so the rule is, first that applies:
//!
//! 1. `WEBHOOK_BASE_URL` (what the dialer handed Twilio) + path + query;
//! 2. the public origin the Lambda adapter found in the request context's
//!    `domainName` ([`PublicOrigin`], an `https` origin);
//! 3. `heyway serve`: the `Host` header, over `http` unless
//!    `X-Forwarded-Proto` says otherwise.
//!
//! The path and query are the request's own, as sent (not decoded), so
//! they are the bytes Twilio signed.

use axum::http::request::Parts;

/// The scheme and host a request reached us on, when the host in front of
/// us knows it: the Lambda adapter inserts it as a request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin(pub String);

impl PublicOrigin {
    /// `https://{domain_name}`, as a function URL or API Gateway serves it.
    pub fn https(domain_name: &str) -> Self {
        Self(format!("https://{}", domain_name.trim_end_matches('/')))
    }
}

/// The public URL of the request in `parts`, or `None` when nothing says
/// where it was sent (no base URL, no origin, no Host).
pub fn public_url(base_url: Option<&str>, parts: &Parts) -> Option<String> {
    let origin = match base_url.map(|b| b.trim().trim_end_matches('/')) {
        Some(base) if !base.is_empty() => base.to_string(),
        _ => match parts.extensions.get::<PublicOrigin>() {
            Some(origin) => origin.0.trim_end_matches('/').to_string(),
            None => {
                let host = header(parts, "host")?;
                let scheme = header(parts, "x-forwarded-proto")
                    .and_then(|p| p.split(',').next().map(str::trim))
                    .filter(|p| matches!(*p, "http" | "https"))
                    .unwrap_or("http");
                format!("{scheme}://{host}")
            }
        },
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    Some(format!("{origin}{path_and_query}"))
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(uri: &str, headers: &[(&str, &str)], origin: Option<&str>) -> Parts {
        let mut request = Request::builder().uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        if let Some(domain) = origin {
            parts.extensions.insert(PublicOrigin::https(domain));
        }
        parts
    }

    #[test]
    fn configured_base_wins() {
        let p = parts(
            "/webhooks/twilio/status?callId=abc&x=%20y",
            &[("host", "internal.test")],
            Some("fn.lambda-url.us-east-1.on.aws"),
        );
        assert_eq!(
            public_url(Some("https://hooks.heyway.test/"), &p).unwrap(),
            "https://hooks.heyway.test/webhooks/twilio/status?callId=abc&x=%20y"
        );
    }

    #[test]
    fn then_the_lambda_domain_then_the_host() {
        let p = parts(
            "/webhooks/elevenlabs",
            &[("host", "internal.test")],
            Some("fn.lambda-url.us-east-1.on.aws"),
        );
        assert_eq!(
            public_url(None, &p).unwrap(),
            "https://fn.lambda-url.us-east-1.on.aws/webhooks/elevenlabs"
        );
        let p = parts(
            "/webhooks/twilio/voice?callId=1",
            &[("host", "127.0.0.1:3000")],
            None,
        );
        assert_eq!(
            public_url(Some(" "), &p).unwrap(),
            "http://127.0.0.1:3000/webhooks/twilio/voice?callId=1"
        );
        let p = parts(
            "/w",
            &[("host", "h.test"), ("x-forwarded-proto", "https, http")],
            None,
        );
        assert_eq!(public_url(None, &p).unwrap(), "https://h.test/w");
        assert_eq!(public_url(None, &parts("/w", &[], None)), None);
    }
}
