//! `heyway serve` without Twilio credentials: the telephony sandbox
//! answers Twilio's and ElevenLabs' APIs under `/sandbox`, and the
//! configuration points the real clients at it. Without a Stripe secret
//! key, likewise the Stripe sandbox under `/sandbox/stripe`.

use heyway::Config;
use heyway_dev::sandbox::settings::{
    DEV_ACCOUNT_SID, DEV_AGENT_ID, DEV_AUTH_TOKEN, DEV_ELEVENLABS_API_KEY, DEV_WEBHOOK_SECRET,
};
use heyway_dev::sandbox::stripe::{self, StripeSandbox};
use heyway_dev::sandbox::{Sandbox, SandboxSettings, Timing, ELEVENLABS_PATH, MOUNT, TWILIO_PATH};

/// The sandbox, when `TWILIO_ACCOUNT_SID` is unset, with `config` changed
/// to use it: Twilio and ElevenLabs base URLs on this server, development
/// credentials where none are set (a configured `TWILIO_AUTH_TOKEN` and
/// `ELEVENLABS_WEBHOOK_SECRET` are kept, so webhooks verify as in
/// production), and `WEBHOOK_BASE_URL` this server when unset.
pub fn configure(config: &mut Config) -> anyhow::Result<Option<Sandbox>> {
    if config.twilio.account_sid.is_some() {
        return Ok(None);
    }
    let origin = format!("http://127.0.0.1:{}", config.port);
    let twilio = &mut config.twilio;
    let account_sid = twilio.account_sid.insert(DEV_ACCOUNT_SID.into()).clone();
    let auth_token = twilio
        .auth_token
        .get_or_insert_with(|| DEV_AUTH_TOKEN.into())
        .clone();
    twilio.api_base_url = format!("{origin}{MOUNT}{TWILIO_PATH}");
    let elevenlabs = &mut config.elevenlabs;
    elevenlabs.base_url = format!("{origin}{MOUNT}{ELEVENLABS_PATH}");
    let api_key = elevenlabs
        .api_key
        .get_or_insert_with(|| DEV_ELEVENLABS_API_KEY.into())
        .clone();
    let agent_id = elevenlabs
        .agent_id
        .get_or_insert_with(|| DEV_AGENT_ID.into())
        .clone();
    let webhook_secret = elevenlabs
        .webhook_secret
        .get_or_insert_with(|| DEV_WEBHOOK_SECRET.into())
        .clone();
    let webhook_base = config
        .webhook_base_url
        .get_or_insert(origin.clone())
        .clone();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()?;
    // `HEYWAY_SANDBOX_PACE=instant` plays calls without waiting (benchmarks).
    let instant = std::env::var("HEYWAY_SANDBOX_PACE").is_ok_and(|pace| pace.trim() == "instant");
    let settings = SandboxSettings {
        timing: if instant {
            Timing::instant()
        } else {
            Timing::lifelike()
        },
        elevenlabs_webhook_url: Some(format!("{webhook_base}/webhooks/elevenlabs")),
        account_sid,
        auth_token,
        elevenlabs_api_key: api_key,
        agent_id,
        elevenlabs_webhook_secret: webhook_secret,
        ..SandboxSettings::development(http)
    };
    tracing::warn!(
        twilio = %config.twilio.api_base_url,
        elevenlabs = %config.elevenlabs.base_url,
        webhooks = %webhook_base,
        "TWILIO_ACCOUNT_SID is not set: TELEPHONY SANDBOX ON. No real calls are placed; \
         calls are played locally (see docs/sandbox.md for the numbers that choose outcomes)"
    );
    Ok(Some(Sandbox::new(settings)))
}

/// The Stripe sandbox, when `STRIPE_SECRET_KEY` is unset, with `config`
/// changed to use it ([`stripe::configure`]): its webhooks go to
/// `WEBHOOK_BASE_URL`, else this server.
pub fn configure_stripe(config: &mut Config) -> anyhow::Result<Option<StripeSandbox>> {
    let origin = format!("http://127.0.0.1:{}", config.port);
    let webhook_base = config.webhook_base_url.clone().unwrap_or(origin.clone());
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()?;
    let Some(sandbox) = stripe::configure(&mut config.stripe, &origin, &webhook_base, http) else {
        return Ok(None);
    };
    let settings = sandbox.settings();
    tracing::warn!(
        stripe = %config.stripe.api_base_url,
        webhooks = %settings.webhook_url,
        price = %settings.price_id,
        "STRIPE_SECRET_KEY is not set: STRIPE SANDBOX ON. Nothing is charged; \
         visiting a checkout URL pays it (see docs/sandbox.md)"
    );
    Ok(Some(sandbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn off_when_twilio_is_configured() {
        let mut cfg = config(&[("TWILIO_ACCOUNT_SID", "AC1"), ("TWILIO_AUTH_TOKEN", "t")]);
        assert!(configure(&mut cfg).unwrap().is_none());
        assert_eq!(cfg.twilio.api_base_url, "https://api.twilio.com");
    }

    #[test]
    fn points_the_clients_at_itself() {
        let mut cfg = config(&[("PORT", "4000"), ("TWILIO_AUTH_TOKEN", "mine")]);
        let sandbox = configure(&mut cfg).unwrap().unwrap();
        assert_eq!(
            cfg.twilio.api_base_url,
            "http://127.0.0.1:4000/sandbox/twilio"
        );
        assert_eq!(cfg.twilio.account_sid.as_deref(), Some(DEV_ACCOUNT_SID));
        assert_eq!(cfg.twilio.auth_token.as_deref(), Some("mine"));
        assert_eq!(sandbox.settings().auth_token, "mine");
        assert_eq!(
            cfg.elevenlabs.base_url,
            "http://127.0.0.1:4000/sandbox/elevenlabs"
        );
        assert_eq!(
            cfg.webhook_base_url.as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            sandbox.settings().elevenlabs_webhook_url.as_deref(),
            Some("http://127.0.0.1:4000/webhooks/elevenlabs")
        );
        assert_eq!(
            sandbox.settings().elevenlabs_webhook_secret,
            DEV_WEBHOOK_SECRET
        );
    }

    #[test]
    fn stripe_sandbox_off_when_a_secret_key_is_configured() {
        let mut cfg = config(&[("STRIPE_SECRET_KEY", "sk_test_mine")]);
        assert!(configure_stripe(&mut cfg).unwrap().is_none());
        assert_eq!(cfg.stripe.api_base_url, "https://api.stripe.com");
        assert_eq!(cfg.stripe.success_url, None);
    }

    #[test]
    fn stripe_sandbox_points_the_client_at_itself() {
        let mut cfg = config(&[
            ("PORT", "4000"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_mine"),
            ("STRIPE_SUCCESS_URL", "http://localhost:5173/billing/done"),
            ("WEBHOOK_BASE_URL", "https://hooks.heyway.test"),
        ]);
        let sandbox = configure_stripe(&mut cfg).unwrap().unwrap();
        let stripe = &cfg.stripe;
        assert_eq!(stripe.api_base_url, "http://127.0.0.1:4000/sandbox/stripe");
        assert_eq!(
            stripe.secret_key.as_deref(),
            Some(stripe::settings::DEV_SECRET_KEY)
        );
        assert_eq!(stripe.webhook_secret.as_deref(), Some("whsec_mine"));
        assert_eq!(sandbox.settings().webhook_secret, "whsec_mine");
        assert_eq!(
            stripe.price_id.as_deref(),
            Some(stripe::settings::DEV_PRICE_ID)
        );
        assert_eq!(
            stripe.success_url.as_deref(),
            Some("http://localhost:5173/billing/done")
        );
        assert_eq!(
            stripe.cancel_url.as_deref(),
            Some("http://127.0.0.1:4000/sandbox/stripe/pages/canceled")
        );
        assert_eq!(
            stripe.portal_return_url.as_deref(),
            Some("http://127.0.0.1:4000/sandbox/stripe/pages/returned")
        );
        assert_eq!(
            sandbox.settings().webhook_url,
            "https://hooks.heyway.test/webhooks/stripe"
        );
    }
}
