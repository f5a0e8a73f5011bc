//! `heyway serve` without real Twilio, ElevenLabs, Stripe or App Store
//! keys: the telephony sandbox answers Twilio's and ElevenLabs' APIs under
//! `/sandbox`, the Stripe sandbox Stripe's under `/sandbox/stripe`, the
//! App Store sandbox the App Store Server API under `/sandbox/app-store`,
//! and the configuration points the real clients at them.
//!
//! A sandbox signs webhooks our server trusts, so it never runs beside a
//! real key and never signs with a secret from the environment: each run
//! makes its own secrets and puts them in the configuration the server
//! verifies with. Any real key of a provider turns its sandbox off (its
//! routes are then not mounted: 404).

use heyway::Config;
use heyway_dev::sandbox::app_store::{self, AppStoreSandbox};
use heyway_dev::sandbox::settings::{DEV_ACCOUNT_SID, DEV_AGENT_ID};
use heyway_dev::sandbox::stripe::{self, StripeSandbox};
use heyway_dev::sandbox::{
    AccessKey, Sandbox, SandboxSettings, Timing, ELEVENLABS_PATH, MOUNT, TWILIO_PATH,
};

/// The real Twilio and ElevenLabs keys configured (by variable name):
/// any one turns the telephony sandbox off.
pub fn real_telephony_keys(config: &Config) -> Vec<&'static str> {
    [
        ("TWILIO_ACCOUNT_SID", config.twilio.account_sid.is_some()),
        ("TWILIO_AUTH_TOKEN", config.twilio.auth_token.is_some()),
        ("ELEVENLABS_API_KEY", config.elevenlabs.api_key.is_some()),
        (
            "ELEVENLABS_WEBHOOK_SECRET",
            config.elevenlabs.webhook_secret.is_some(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

/// The telephony sandbox, when none of [`real_telephony_keys`] is
/// configured, with `config` changed to use it: Twilio and ElevenLabs
/// base URLs on this server (`origin`), the development account and
/// agent (a configured `ELEVENLABS_AGENT_ID` is kept), the sandbox's
/// fresh random auth token, `xi-api-key` and webhook secret (so webhooks
/// verify with those), and `WEBHOOK_BASE_URL` this server when unset.
/// `access_key` reads its log.
pub fn configure(
    config: &mut Config,
    origin: &str,
    access_key: &AccessKey,
) -> anyhow::Result<Option<Sandbox>> {
    let real = real_telephony_keys(config);
    if !real.is_empty() {
        tracing::warn!(
            configured = ?real,
            "TELEPHONY SANDBOX OFF: {} set, so calls go to the real Twilio and ElevenLabs and \
             /sandbox/twilio, /sandbox/elevenlabs and /sandbox/calls are not served (a sandbox \
             never runs beside real keys nor signs with a configured secret); unset \
             TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, ELEVENLABS_API_KEY and \
             ELEVENLABS_WEBHOOK_SECRET to use it",
            real.join(", ")
        );
        return Ok(None);
    }
    let webhook_base = config
        .webhook_base_url
        .get_or_insert_with(|| origin.to_string())
        .clone();
    let http = sandbox_http()?;
    // `HEYWAY_SANDBOX_PACE=instant` plays calls without waiting (benchmarks).
    let instant = std::env::var("HEYWAY_SANDBOX_PACE").is_ok_and(|pace| pace.trim() == "instant");
    let settings = SandboxSettings {
        timing: if instant {
            Timing::instant()
        } else {
            Timing::lifelike()
        },
        elevenlabs_webhook_url: Some(format!("{webhook_base}/webhooks/elevenlabs")),
        account_sid: DEV_ACCOUNT_SID.to_string(),
        agent_id: config
            .elevenlabs
            .agent_id
            .clone()
            .unwrap_or_else(|| DEV_AGENT_ID.to_string()),
        access_key: access_key.clone(),
        // Random auth token, xi-api-key and webhook secret for this run.
        ..SandboxSettings::development(http)
    };
    let twilio = &mut config.twilio;
    twilio.api_base_url = format!("{origin}{MOUNT}{TWILIO_PATH}");
    twilio.account_sid = Some(settings.account_sid.clone());
    twilio.auth_token = Some(settings.auth_token.clone());
    let elevenlabs = &mut config.elevenlabs;
    elevenlabs.base_url = format!("{origin}{MOUNT}{ELEVENLABS_PATH}");
    elevenlabs.api_key = Some(settings.elevenlabs_api_key.clone());
    elevenlabs.agent_id = Some(settings.agent_id.clone());
    elevenlabs.webhook_secret = Some(settings.elevenlabs_webhook_secret.clone());
    tracing::warn!(
        twilio = %config.twilio.api_base_url,
        elevenlabs = %config.elevenlabs.base_url,
        webhooks = %webhook_base,
        "no Twilio or ElevenLabs key is set: TELEPHONY SANDBOX ON. No real calls are placed; \
         calls are played locally (see docs/sandbox.md for the numbers that choose outcomes). \
         Its keys and webhook secrets are random for this run"
    );
    Ok(Some(Sandbox::new(settings)))
}

/// The Stripe sandbox, when neither `STRIPE_SECRET_KEY` nor
/// `STRIPE_WEBHOOK_SECRET` is set, with `config` changed to use it
/// ([`stripe::configure`]): its webhooks go to `WEBHOOK_BASE_URL`, else
/// this server (`origin`).
pub fn configure_stripe(
    config: &mut Config,
    origin: &str,
    access_key: &AccessKey,
) -> anyhow::Result<Option<StripeSandbox>> {
    let real = stripe::real_keys(&config.stripe);
    if !real.is_empty() {
        tracing::warn!(
            configured = ?real,
            "STRIPE SANDBOX OFF: {} set, so billing goes to the real Stripe and /sandbox/stripe \
             is not served (a sandbox never runs beside real keys nor signs with a configured \
             secret); unset STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to use it",
            real.join(", ")
        );
        return Ok(None);
    }
    let webhook_base = webhook_base(config, origin);
    let http = sandbox_http()?;
    let Some(sandbox) = stripe::configure(
        &mut config.stripe,
        origin,
        &webhook_base,
        access_key.clone(),
        http,
    ) else {
        return Ok(None);
    };
    let settings = sandbox.settings();
    tracing::warn!(
        stripe = %config.stripe.api_base_url,
        webhooks = %settings.webhook_url,
        price = %settings.price_id,
        "no Stripe key is set: STRIPE SANDBOX ON. Nothing is charged; visiting a checkout URL \
         pays it (see docs/sandbox.md). Its secret key and webhook secret are random for this run"
    );
    Ok(Some(sandbox))
}

/// The App Store sandbox, when none of `APPLE_ISSUER_ID`, `APPLE_KEY_ID`,
/// `APPLE_PRIVATE_KEY` and `APPLE_ROOT_CERTIFICATES` is set, with
/// `config` changed to use it ([`app_store::configure`]): its root the
/// only one trusted, its per-run API key, its API on this server; its
/// notifications go to `WEBHOOK_BASE_URL`, else this server (`origin`).
pub fn configure_app_store(
    config: &mut Config,
    origin: &str,
    access_key: &AccessKey,
) -> anyhow::Result<Option<AppStoreSandbox>> {
    let real = config.apple.real_keys();
    if !real.is_empty() {
        tracing::warn!(
            configured = ?real,
            "APP STORE SANDBOX OFF: {} set, so purchases are checked with the real App Store \
             and /sandbox/app-store is not served (a sandbox never runs beside real keys nor \
             beside Apple's root)",
            real.join(", ")
        );
        return Ok(None);
    }
    let webhook_base = webhook_base(config, origin);
    let http = sandbox_http()?;
    let Some(sandbox) = app_store::configure(
        &mut config.apple,
        origin,
        &webhook_base,
        access_key.clone(),
        http,
    ) else {
        return Ok(None);
    };
    let settings = sandbox.settings();
    tracing::warn!(
        api = %config.apple.api_base_url,
        notifications = %settings.webhook_url,
        bundle_id = %settings.bundle_id,
        "no App Store key is set: APP STORE SANDBOX ON. Purchases are signed by a chain made \
         for this run and trusted instead of Apple's root (see docs/sandbox.md)"
    );
    Ok(Some(sandbox))
}

/// Where a sandbox sends its callbacks: `WEBHOOK_BASE_URL`, else this
/// server (`origin`).
fn webhook_base(config: &Config, origin: &str) -> String {
    config
        .webhook_base_url
        .clone()
        .unwrap_or_else(|| origin.to_string())
}

/// The client a sandbox sends its callbacks with.
fn sandbox_http() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:4000";

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    fn key() -> AccessKey {
        AccessKey::random()
    }

    #[test]
    fn off_when_any_twilio_or_elevenlabs_key_is_configured() {
        for pair in [
            ("TWILIO_ACCOUNT_SID", "AC1"),
            ("TWILIO_AUTH_TOKEN", "token-from-the-environment"),
            ("ELEVENLABS_API_KEY", "xi-from-the-environment"),
            ("ELEVENLABS_WEBHOOK_SECRET", "wsec-from-the-environment"),
        ] {
            let mut cfg = config(&[pair]);
            let before = format!("{:?}{:?}", cfg.twilio, cfg.elevenlabs);
            assert!(
                configure(&mut cfg, ORIGIN, &key()).unwrap().is_none(),
                "{pair:?}"
            );
            assert_eq!(
                format!("{:?}{:?}", cfg.twilio, cfg.elevenlabs),
                before,
                "{pair:?}: configuration untouched"
            );
            assert_eq!(cfg.twilio.api_base_url, "https://api.twilio.com");
            assert_eq!(real_telephony_keys(&cfg), [pair.0]);
        }
    }

    #[test]
    fn points_the_clients_at_itself_with_secrets_of_its_own() {
        let mut cfg = config(&[("PORT", "4000"), ("ELEVENLABS_AGENT_ID", "agent_mine")]);
        let sandbox = configure(&mut cfg, ORIGIN, &key()).unwrap().unwrap();
        let settings = sandbox.settings();
        assert_eq!(
            cfg.twilio.api_base_url,
            "http://127.0.0.1:4000/sandbox/twilio"
        );
        assert_eq!(cfg.twilio.account_sid.as_deref(), Some(DEV_ACCOUNT_SID));
        assert_eq!(
            cfg.elevenlabs.base_url,
            "http://127.0.0.1:4000/sandbox/elevenlabs"
        );
        assert_eq!(cfg.elevenlabs.agent_id.as_deref(), Some("agent_mine"));
        assert_eq!(settings.agent_id, "agent_mine");
        assert_eq!(
            cfg.webhook_base_url.as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            settings.elevenlabs_webhook_url.as_deref(),
            Some("http://127.0.0.1:4000/webhooks/elevenlabs")
        );
        // The server verifies with exactly what the sandbox signs with.
        assert_eq!(
            cfg.twilio.auth_token.as_deref(),
            Some(&*settings.auth_token)
        );
        assert_eq!(
            cfg.elevenlabs.webhook_secret.as_deref(),
            Some(&*settings.elevenlabs_webhook_secret)
        );
        assert_eq!(
            cfg.elevenlabs.api_key.as_deref(),
            Some(&*settings.elevenlabs_api_key)
        );
        // Random per run: never the constants the source once had.
        let mut again = config(&[]);
        let other = configure(&mut again, ORIGIN, &key()).unwrap().unwrap();
        for (a, b, old) in [
            (
                &settings.auth_token,
                &other.settings().auth_token,
                "sandbox-twilio-auth-token",
            ),
            (
                &settings.elevenlabs_api_key,
                &other.settings().elevenlabs_api_key,
                "sandbox-xi-api-key",
            ),
            (
                &settings.elevenlabs_webhook_secret,
                &other.settings().elevenlabs_webhook_secret,
                "sandbox-elevenlabs-webhook-secret",
            ),
        ] {
            assert_ne!(a, b);
            assert_ne!(a, old);
            assert!(a.len() >= 64, "{a}");
        }
    }

    #[test]
    fn app_store_sandbox_trusts_its_own_root_only_and_stays_off_beside_real_keys() {
        let mut cfg = config(&[("PORT", "4000")]);
        assert!(cfg.apple.uses_apple_root());
        let sandbox = configure_app_store(&mut cfg, ORIGIN, &key())
            .unwrap()
            .unwrap();
        assert_eq!(
            cfg.apple.root_certificates,
            vec![sandbox.chain().root_der().to_vec()]
        );
        assert_eq!(
            cfg.apple.api_base_url,
            "http://127.0.0.1:4000/sandbox/app-store"
        );
        assert_eq!(
            cfg.apple.bundle_id.as_deref(),
            Some(app_store::DEV_BUNDLE_ID)
        );
        assert_eq!(
            cfg.apple.key_id.as_deref(),
            Some(sandbox.settings().key_id.as_str())
        );
        for pair in [
            ("APPLE_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----"),
            ("APPLE_KEY_ID", "ABCDEFGHIJ"),
            ("APPLE_ISSUER_ID", "57246542-96fe-1a63-e053-0824d011072a"),
        ] {
            let mut cfg = config(&[pair]);
            assert!(configure_app_store(&mut cfg, ORIGIN, &key())
                .unwrap()
                .is_none());
            assert!(cfg.apple.uses_apple_root(), "{pair:?}");
        }
    }

    #[test]
    fn stripe_sandbox_off_when_a_stripe_key_is_configured() {
        for pair in [
            ("STRIPE_SECRET_KEY", "sk_test_mine"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_from_the_environment"),
        ] {
            let mut cfg = config(&[pair]);
            assert!(configure_stripe(&mut cfg, ORIGIN, &key())
                .unwrap()
                .is_none());
            assert_eq!(cfg.stripe.api_base_url, "https://api.stripe.com");
            assert_eq!(cfg.stripe.success_url, None);
            assert_eq!(
                cfg.stripe.webhook_secret.as_deref(),
                (pair.0 == "STRIPE_WEBHOOK_SECRET").then_some(pair.1)
            );
        }
    }

    #[test]
    fn stripe_sandbox_points_the_client_at_itself() {
        let mut cfg = config(&[
            ("PORT", "4000"),
            ("STRIPE_SUCCESS_URL", "http://localhost:5173/billing/done"),
            ("WEBHOOK_BASE_URL", "https://hooks.heyway.test"),
        ]);
        let sandbox = configure_stripe(&mut cfg, ORIGIN, &key()).unwrap().unwrap();
        let stripe = &cfg.stripe;
        let settings = sandbox.settings();
        assert_eq!(stripe.api_base_url, "http://127.0.0.1:4000/sandbox/stripe");
        assert_eq!(stripe.secret_key.as_deref(), Some(&*settings.secret_key));
        assert_eq!(
            stripe.webhook_secret.as_deref(),
            Some(&*settings.webhook_secret)
        );
        assert!(settings.secret_key.starts_with("sk_test_sandbox_"));
        assert_ne!(settings.secret_key, "sk_test_sandbox_heyway_0001");
        assert!(settings.webhook_secret.starts_with("whsec_"));
        assert_ne!(settings.webhook_secret, "whsec_sandbox_heyway_0001");
        let mut again = config(&[]);
        let other = configure_stripe(&mut again, ORIGIN, &key())
            .unwrap()
            .unwrap();
        assert_ne!(other.settings().secret_key, settings.secret_key);
        assert_ne!(other.settings().webhook_secret, settings.webhook_secret);
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
        assert!(settings.allows_return_url("http://localhost:5173/billing/done"));
        assert!(!settings.allows_return_url("https://evil.example/"));
        assert_eq!(
            settings.webhook_url,
            "https://hooks.heyway.test/webhooks/stripe"
        );
    }
}
