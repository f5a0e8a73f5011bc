//! The whole telephony loop on one loopback port, as `heyway serve` runs
//! it: the API and webhooks, the sandbox answering Twilio and ElevenLabs
//! (playing calls instantly), and a dialer placing calls through the real
//! clients. For end-to-end tests and the dialer benchmark.

use heyway::app;
use heyway::features::dialer::Dialer;
use heyway::http::AppState;
use heyway::Db;
use heyway_dev::sandbox::{Sandbox, SandboxSettings, Timing, ELEVENLABS_PATH, MOUNT, TWILIO_PATH};
use mongodb::bson::{self, doc, oid::ObjectId};

use crate::{test_config, TestDb};

/// Twilio's valid test sender, the users' verified caller ID.
pub const CALLER_ID: &str = "+15005550006";

pub struct LocalStack {
    pub db: Db,
    pub base_url: String,
    pub sandbox: Sandbox,
    pub dialer: Dialer,
    pub state: AppState,
}

impl LocalStack {
    /// A fresh migrated database, served with the sandbox; the dialer's
    /// pacing at `calls_per_second` (0: off).
    pub async fn start(calls_per_second: u64) -> Self {
        let db = TestDb::new().await.db;
        heyway::infra::indexes::migrate(&db).await.expect("migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let cps = calls_per_second.to_string();
        let twilio_base = format!("{base_url}{MOUNT}{TWILIO_PATH}");
        let elevenlabs_base = format!("{base_url}{MOUNT}{ELEVENLABS_PATH}");
        let http_client = heyway::infra::outbound::http_client().expect("http client");
        // The sandbox's secrets are random per run; the API verifies with them.
        let sandbox = Sandbox::new(SandboxSettings {
            timing: Timing::instant(),
            elevenlabs_webhook_url: Some(format!("{base_url}/webhooks/elevenlabs")),
            ..SandboxSettings::development(http_client.clone())
        });
        let keys = sandbox.settings();
        let config = test_config(&[
            ("TWILIO_ACCOUNT_SID", &keys.account_sid),
            ("TWILIO_AUTH_TOKEN", &keys.auth_token),
            ("TWILIO_API_BASE_URL", &twilio_base),
            ("ELEVENLABS_API_KEY", &keys.elevenlabs_api_key),
            ("ELEVENLABS_AGENT_ID", &keys.agent_id),
            ("ELEVENLABS_BASE_URL", &elevenlabs_base),
            ("ELEVENLABS_WEBHOOK_SECRET", &keys.elevenlabs_webhook_secret),
            ("WEBHOOK_BASE_URL", &base_url),
            ("DIALER_CALLS_PER_SECOND", &cps),
        ]);
        let dialer = Dialer::from_config(db.clone(), http_client, &config).expect("dialer");
        let state = AppState::new(db.clone(), config).expect("state");
        let app = app::router(state.clone()).nest(MOUNT, sandbox.router());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            db,
            base_url,
            sandbox,
            dialer,
            state,
        }
    }

    /// A user with a verified caller ID, free minutes and calling hours
    /// all day (the tests run at any hour).
    pub async fn user(&self) -> ObjectId {
        let user = ObjectId::new();
        self.db
            .raw("users")
            .insert_one(doc! {
                "_id": user, "name": "Park Motors", "email": format!("{}@example.test", user.to_hex()),
                "timezone": "America/New_York", "preferredCallerID": CALLER_ID,
                "freeMinutes": 500, "__v": 0,
                "preferences": { "quietHours": { "start": "00:00", "end": "23:59" }, "callingRules": "off" },
            })
            .await
            .expect("user");
        self.db
            .raw("verifiedNumbers")
            .insert_one(doc! { "_id": ObjectId::new(), "userId": user, "phoneNumber": CALLER_ID, "verified": true })
            .await
            .expect("caller id");
        user
    }

    /// A contact of `user` at `phone` and a queued call to it, with
    /// `automation` when given; returns the scheduled call's id.
    pub async fn queued_call(
        &self,
        user: ObjectId,
        name: &str,
        phone: &str,
        automation: Option<ObjectId>,
    ) -> ObjectId {
        let contact = ObjectId::new();
        self.db
            .raw("contacts")
            .insert_one(doc! {
                "_id": contact, "userId": user, "name": name, "phoneNumber": phone,
                "email": "", "groups": [], "tags": [], "isActive": true,
                "timezone": "America/New_York", "__v": 0,
            })
            .await
            .expect("contact");
        let id = ObjectId::new();
        let mut call = doc! {
            "_id": id, "userId": user, "contactId": contact,
            "recipients": [{ "phoneNumber": phone, "name": name, "contactId": contact }],
            "scheduledTime": bson::DateTime::now(), "status": "queued", "callMode": "ai-only",
            "notes": "Ask how the new car is going", "retryCount": 0, "__v": 0,
        };
        if let Some(automation) = automation {
            call.insert("automationId", automation);
        }
        self.db
            .raw("scheduledcalls")
            .insert_one(call)
            .await
            .expect("scheduled call");
        id
    }
}
