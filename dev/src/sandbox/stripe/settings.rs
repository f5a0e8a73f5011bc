//! What the Stripe sandbox answers for, what it sells, where it sends
//! events and where it may send the browser back to.

use crate::sandbox::access::AccessKey;

/// The plan the sandbox sells when `STRIPE_PRICE_ID` is unset (an id, not
/// a secret). The sandbox's keys are random per run: see
/// [`configure`](super::configure).
pub const DEV_PRICE_ID: &str = "price_sandbox_monthly";
/// What the plan costs, in cents a month: made up, for realistic invoices.
pub const PLAN_CENTS: i64 = 2900;
/// The sandbox's own landing pages, under `{public_url}/pages/`.
pub const PAGES: [&str; 3] = ["success", "canceled", "returned"];

/// Everything the Stripe sandbox needs; see
/// [`configure`](super::configure) for how `heyway serve` fills it.
#[derive(Clone, Debug)]
pub struct StripeSandboxSettings {
    /// The bearer key API requests must carry (random per run).
    pub secret_key: String,
    /// Signs `Stripe-Signature` on the events it sends (random per run).
    pub webhook_secret: String,
    /// Reads the logs (`GET /events`, `GET /meter_events`).
    pub access_key: AccessKey,
    /// Where events go: `{WEBHOOK_BASE_URL}/webhooks/stripe`.
    pub webhook_url: String,
    /// The sandbox as a browser reaches it (`http://127.0.0.1:3000/sandbox/stripe`):
    /// the hosted checkout and portal pages' URLs start with it.
    pub public_url: String,
    /// The one price the account has; Checkout for any other is refused
    /// with Stripe's "No such price".
    pub price_id: String,
    /// The one Billing Meter's `event_name`.
    pub meter_event_name: String,
    /// The configured `STRIPE_SUCCESS_URL`, `STRIPE_CANCEL_URL` and
    /// `STRIPE_PORTAL_RETURN_URL`, exactly as configured: with the
    /// sandbox's own pages ([`PAGES`]), the only URLs a session may send
    /// the browser back to ([`Self::allows_return_url`]).
    pub return_urls: Vec<String>,
    /// Delivers the events.
    pub http: reqwest::Client,
}

impl StripeSandboxSettings {
    /// Whether a Checkout or portal session may send the browser to
    /// `url`: one of [`Self::return_urls`] exactly, or one of the
    /// sandbox's own pages (any query). Anything else would make the
    /// hosted pages an open redirect.
    pub fn allows_return_url(&self, url: &str) -> bool {
        if self.return_urls.iter().any(|allowed| allowed == url) {
            return true;
        }
        let Some(rest) = url
            .strip_prefix(self.public_url.trim_end_matches('/'))
            .and_then(|rest| rest.strip_prefix("/pages/"))
        else {
            return false;
        };
        let (page, query) = match rest.split_once('?') {
            Some((page, query)) => (page, Some(query)),
            None => (rest, None),
        };
        PAGES.contains(&page)
            && query.is_none_or(|q| !q.chars().any(|c| c.is_whitespace() || c.is_control()))
    }
}

#[cfg(test)]
impl StripeSandboxSettings {
    /// Settings for unit tests: events go to a closed port; the app's
    /// pages at `https://app.heyway.test/` are the configured return URLs.
    pub(crate) fn for_tests() -> Self {
        Self {
            secret_key: "sk_test_x".into(),
            webhook_secret: "whsec_x".into(),
            access_key: AccessKey::from("access_x".to_string()),
            webhook_url: "http://127.0.0.1:9/webhooks/stripe".into(),
            public_url: "http://127.0.0.1:9/sandbox/stripe".into(),
            price_id: "price_plan".into(),
            meter_event_name: "call_minutes".into(),
            return_urls: vec![
                "https://app.heyway.test/ok?s={CHECKOUT_SESSION_ID}".into(),
                "https://app.heyway.test/ok/{CHECKOUT_SESSION_ID}".into(),
                "https://app.heyway.test/back".into(),
                "https://app.heyway.test/settings".into(),
            ],
            http: reqwest::Client::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_are_the_configured_ones_or_the_sandboxs_pages() {
        let settings = StripeSandboxSettings::for_tests();
        for good in [
            "https://app.heyway.test/back",
            "https://app.heyway.test/ok?s={CHECKOUT_SESSION_ID}",
            "http://127.0.0.1:9/sandbox/stripe/pages/success?session_id={CHECKOUT_SESSION_ID}",
            "http://127.0.0.1:9/sandbox/stripe/pages/canceled",
            "http://127.0.0.1:9/sandbox/stripe/pages/returned",
        ] {
            assert!(settings.allows_return_url(good), "{good}");
        }
        for bad in [
            "https://evil.example/",
            "https://app.heyway.test/back/../../elsewhere",
            "https://app.heyway.test/back?next=https://evil.example",
            "https://app.heyway.test.evil.example/back",
            "https://app.heyway.test/ok?s=x",
            "http://127.0.0.1:9/sandbox/stripe/pages/other",
            "http://127.0.0.1:9/sandbox/stripe/pages/success/../../checkout/x",
            "http://127.0.0.1:9/sandbox/stripe/pages/",
            "http://127.0.0.1:9/sandbox/stripe/checkout/cs_test_x",
            "http://127.0.0.1:9/sandbox/stripe/pages/success?a=b c",
            "http://127.0.0.1:99/sandbox/stripe/pages/success",
            "http://127.0.0.1:9@evil.example/sandbox/stripe/pages/success",
            "",
        ] {
            assert!(!settings.allows_return_url(bad), "{bad}");
        }
    }
}
