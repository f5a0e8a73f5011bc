//! What the Stripe sandbox answers for, what it sells and where it sends
//! events.

/// The secret key the sandbox accepts when `STRIPE_SECRET_KEY` is unset
/// (the sandbox is on only then, so it is always this one in practice).
pub const DEV_SECRET_KEY: &str = "sk_test_sandbox_heyway_0001";
/// Signs the sandbox's webhooks when `STRIPE_WEBHOOK_SECRET` is unset.
pub const DEV_WEBHOOK_SECRET: &str = "whsec_sandbox_heyway_0001";
/// The plan the sandbox sells when `STRIPE_PRICE_ID` is unset.
pub const DEV_PRICE_ID: &str = "price_sandbox_monthly";
/// What the plan costs, in cents a month: made up, for realistic invoices.
pub const PLAN_CENTS: i64 = 2900;

/// Everything the Stripe sandbox needs; see
/// [`configure`](super::configure) for how `heyway serve` fills it.
#[derive(Clone, Debug)]
pub struct StripeSandboxSettings {
    /// The bearer key API requests must carry.
    pub secret_key: String,
    /// Signs `Stripe-Signature` on the events it sends.
    pub webhook_secret: String,
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
    /// Delivers the events.
    pub http: reqwest::Client,
}

#[cfg(test)]
impl StripeSandboxSettings {
    /// Settings for unit tests: events go to a closed port.
    pub(crate) fn for_tests() -> Self {
        Self {
            secret_key: "sk_test_x".into(),
            webhook_secret: "whsec_x".into(),
            webhook_url: "http://127.0.0.1:9/webhooks/stripe".into(),
            public_url: "http://127.0.0.1:9/sandbox/stripe".into(),
            price_id: "price_plan".into(),
            meter_event_name: "call_minutes".into(),
            http: reqwest::Client::new(),
        }
    }
}
