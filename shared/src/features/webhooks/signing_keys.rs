//! The keys webhook signatures are checked with.
//!
//! In production they are `TWILIO_AUTH_TOKEN` and
//! `ELEVENLABS_WEBHOOK_SECRET`. When the service is not configured at all
//! (`TWILIO_ACCOUNT_SID` / `ELEVENLABS_API_KEY` unset: `heyway serve`'s
//! telephony sandbox plays the calls), a development default stands in, and
//! the sandbox signs its callbacks with the same one, so the webhooks check
//! sandbox callbacks exactly as they check real ones. A configured service
//! without its key gets no default, and neither does a Lambda (which always
//! has `AWS_LAMBDA_FUNCTION_NAME`): the defaults are public, so on AWS every
//! webhook is refused until the key is set.

use crate::infra::config::Config;

/// Signs the sandbox's Twilio callbacks when no auth token is configured.
pub const DEV_TWILIO_AUTH_TOKEN: &str = "heyway-dev-twilio-auth-token";
/// Signs the sandbox's ElevenLabs webhooks when no secret is configured.
pub const DEV_ELEVENLABS_WEBHOOK_SECRET: &str = "heyway-dev-elevenlabs-webhook-secret";

/// The key `X-Twilio-Signature` is checked with, if any.
pub fn twilio_auth_token(config: &Config) -> Option<&str> {
    match (&config.twilio.auth_token, &config.twilio.account_sid) {
        (Some(token), _) => Some(token),
        (None, None) if !on_lambda() => Some(DEV_TWILIO_AUTH_TOKEN),
        _ => None,
    }
}

/// The key `ElevenLabs-Signature` is checked with, if any.
pub fn elevenlabs_webhook_secret(config: &Config) -> Option<&str> {
    match (
        &config.elevenlabs.webhook_secret,
        &config.elevenlabs.api_key,
    ) {
        (Some(secret), _) => Some(secret),
        (None, None) if !on_lambda() => Some(DEV_ELEVENLABS_WEBHOOK_SECRET),
        _ => None,
    }
}

/// Whether this process is a Lambda.
fn on_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
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
    fn defaults_only_without_the_service() {
        assert_eq!(twilio_auth_token(&config(&[])), Some(DEV_TWILIO_AUTH_TOKEN));
        assert_eq!(
            twilio_auth_token(&config(&[("TWILIO_AUTH_TOKEN", "t")])),
            Some("t")
        );
        assert_eq!(
            twilio_auth_token(&config(&[("TWILIO_ACCOUNT_SID", "AC1")])),
            None
        );
        assert_eq!(
            elevenlabs_webhook_secret(&config(&[])),
            Some(DEV_ELEVENLABS_WEBHOOK_SECRET)
        );
        assert_eq!(
            elevenlabs_webhook_secret(&config(&[("ELEVENLABS_API_KEY", "xi")])),
            None
        );
        assert_eq!(
            elevenlabs_webhook_secret(&config(&[
                ("ELEVENLABS_API_KEY", "xi"),
                ("ELEVENLABS_WEBHOOK_SECRET", "s")
            ])),
            Some("s")
        );
    }
}
