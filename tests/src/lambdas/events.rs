//! The sample events of `events/`, the function each is for (by file-name
//! prefix, as the deploy test maps them to routers), and the same events
//! made answerable: the placeholder access token replaced by a real one and
//! the webhooks signed as Twilio, ElevenLabs and Stripe sign them, so a
//! function gets past authentication to its real work.

use chrono::Utc;
use heyway::integrations::{elevenlabs, stripe, twilio};
use serde_json::Value;

use super::env::STRIPE_WEBHOOK_SECRET;
use super::workspace_root;
use crate::webhooks::{BASE_URL, ELEVENLABS_SECRET, TWILIO_TOKEN};

/// The placeholder the sample events carry instead of a token.
pub const TOKEN_PLACEHOLDER: &str = "REPLACE_WITH_AN_ACCESS_TOKEN";

/// One `events/<name>.json`.
#[derive(Clone, Debug)]
pub struct SampleEvent {
    /// The file name without `.json`.
    pub name: String,
    /// The function (binary) it is for.
    pub function: &'static str,
    pub event: Value,
}

/// The function an event file is for, by its name's first word.
pub fn function_for(name: &str) -> Option<&'static str> {
    Some(match name.split('-').next()? {
        "health" => "health",
        "webhooks" => "webhooks",
        "auth" => "auth",
        "me" => "me",
        "contacts" => "contacts",
        "contact" => "contact-lists",
        "groups" => "groups",
        "feedback" => "feedback",
        "automations" => "automations",
        "automation" => "automation-evaluator",
        "scheduled" => "scheduled-calls",
        "calls" => "calls",
        "caller" => "caller-ids",
        "recordings" => "recordings",
        "billing" => "billing",
        "dialer" => "dialer",
        _ => return None,
    })
}

/// Every sample event, sorted by name; panics on a file no function takes.
pub fn sample_events() -> Vec<SampleEvent> {
    let dir = workspace_root().join("events");
    let mut events: Vec<SampleEvent> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            let name = name.into_owned();
            let function = function_for(&name)
                .unwrap_or_else(|| panic!("events/{name}.json: no function takes it"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let event = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            SampleEvent {
                name,
                function,
                event,
            }
        })
        .collect();
    events.sort_by(|a, b| a.name.cmp(&b.name));
    events
}

impl SampleEvent {
    /// Whether the event carries the token placeholder.
    pub fn needs_token(&self) -> bool {
        self.event["headers"]["authorization"]
            .as_str()
            .is_some_and(|value| value.contains(TOKEN_PLACEHOLDER))
    }

    /// The event with `token` for the placeholder and, for a webhook, the
    /// signature its sender would compute (with the secrets of
    /// [`super::env`], at `WEBHOOK_BASE_URL`, now).
    pub fn answerable(&self, token: &str) -> Value {
        let mut event = self.event.clone();
        if self.needs_token() {
            event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
        }
        if let Some((header, signature)) = signature(&event) {
            event["headers"][header] = Value::String(signature);
        }
        event
    }
}

/// The signature header a webhook event needs, by its path.
fn signature(event: &Value) -> Option<(&'static str, String)> {
    let path = event["rawPath"].as_str()?;
    let body = event["body"].as_str().unwrap_or_default();
    let now = Utc::now().timestamp();
    if path.starts_with("/webhooks/twilio") {
        let query = event["rawQueryString"].as_str().unwrap_or_default();
        let url = match query {
            "" => format!("{BASE_URL}{path}"),
            query => format!("{BASE_URL}{path}?{query}"),
        };
        let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let signature = twilio::signature::sign(TWILIO_TOKEN, &url, &form);
        return Some(("x-twilio-signature", signature));
    }
    match path {
        "/webhooks/elevenlabs" => Some((
            "elevenlabs-signature",
            elevenlabs::signature::sign(ELEVENLABS_SECRET, now, body.as_bytes()),
        )),
        "/webhooks/stripe" => Some((
            "stripe-signature",
            stripe::signature::sign(STRIPE_WEBHOOK_SECRET, now, body.as_bytes()),
        )),
        _ => None,
    }
}
