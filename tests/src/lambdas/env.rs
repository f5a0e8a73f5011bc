//! The settings each function binary gets, as `template.yaml` gives them on
//! AWS: every function the shared ones (database, JWT secret, Twilio
//! account, log level, recordings on S3), some a few more (the dial queue
//! only for `calls`, the evaluator and the dialer), so each init does the
//! work it does in production. The database is the harness's server, SQS
//! and EventBridge are moto, and the outside APIs (Twilio, ElevenLabs,
//! Stripe) point at a closed loopback port: a handler that calls one fails
//! at once rather than reach the internet.

use crate::webhooks::{BASE_URL, ELEVENLABS_SECRET, TWILIO_TOKEN};
use crate::{moto, TEST_JWT_SECRET};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:9";
/// `STRIPE_WEBHOOK_SECRET` of the webhooks function.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_binaries_test_0001";

/// The settings of every function for one database.
#[derive(Clone, Debug)]
pub struct FunctionEnv {
    shared: Vec<(String, String)>,
    dial_queue_url: String,
    event_bus: String,
}

impl FunctionEnv {
    /// Settings for database `db_name` at `mongodb_uri`, with a dial queue
    /// and an event bus of their own on moto.
    pub async fn new(mongodb_uri: &str, db_name: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("heyway-binaries-{}-{n}", std::process::id());
        let event_bus = format!("{name}-bus");
        moto::bus_to_queue(&event_bus).await;
        let dial_queue_url = moto::sqs_client()
            .await
            .create_queue()
            .queue_name(format!("{name}-dial"))
            .send()
            .await
            .expect("create the dial queue on moto")
            .queue_url()
            .expect("queue url")
            .to_string();
        let shared = [
            ("MONGODB_URI", mongodb_uri),
            ("MONGODB_DB", db_name),
            ("JWT_SECRET", TEST_JWT_SECRET),
            ("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
            ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            (
                "TWILIO_VERIFY_SERVICE_SID",
                "VA00000000000000000000000000000000",
            ),
            ("RUST_LOG", "info"),
            ("RECORDINGS_STORE", "s3"),
            ("RECORDINGS_BUCKET", "heyway-recordings-test"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SESSION_TOKEN", "testing"),
            ("AWS_ENDPOINT_URL", moto::endpoint().await),
            ("TWILIO_API_BASE_URL", NOWHERE),
            ("TWILIO_VERIFY_BASE_URL", NOWHERE),
            ("ELEVENLABS_BASE_URL", NOWHERE),
            ("STRIPE_API_BASE_URL", NOWHERE),
        ];
        Self {
            shared: pairs(&shared),
            dial_queue_url,
            event_bus,
        }
    }

    /// Everything `function`'s environment holds on AWS.
    pub fn for_function(&self, function: &str) -> Vec<(String, String)> {
        let queue = self.dial_queue_url.as_str();
        let own: &[(&str, &str)] = match function {
            "calls" | "automation-evaluator" => &[("DIAL_QUEUE_URL", queue)],
            "dialer" => &[
                ("DIAL_QUEUE_URL", queue),
                ("WEBHOOK_BASE_URL", BASE_URL),
                ("DIALER_CALLS_PER_SECOND", "1"),
            ],
            "caller-ids" => &[("WEBHOOK_BASE_URL", BASE_URL)],
            "billing" => &[
                ("STRIPE_SECRET_KEY", "sk_test_binaries_0001"),
                ("STRIPE_PRICE_ID", "price_binaries_0001"),
            ],
            "webhooks" => &[
                ("EVENT_BUS_NAME", self.event_bus.as_str()),
                ("ELEVENLABS_API_KEY", "xi_binaries_0001"),
                ("ELEVENLABS_AGENT_ID", "agent_binaries_0001"),
                ("ELEVENLABS_WEBHOOK_SECRET", ELEVENLABS_SECRET),
                ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
                ("STRIPE_SECRET_KEY", "sk_test_binaries_0001"),
                ("WEBHOOK_BASE_URL", BASE_URL),
            ],
            _ => &[],
        };
        let mut env = self.shared.clone();
        env.extend(pairs(own));
        env
    }
}

fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
