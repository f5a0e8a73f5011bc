//! The App Store sandbox as `heyway serve` runs it (the API and the
//! sandbox on one loopback port, configured by
//! `heyway_dev::sandbox::app_store::configure`), and Apple's own Python
//! `app-store-server-library` as an independent judge of signed data.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use heyway::app;
use heyway::http::AppState;
use heyway::infra::db::Db;
use heyway::Config;
use heyway_dev::sandbox::app_store::{self, AppStoreSandbox, APP_STORE_PATH};
use heyway_dev::sandbox::{AccessKey, MOUNT};
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use crate::{test_config, TestDb};

/// The API and the App Store sandbox on one port.
pub struct AppStoreStack {
    pub base: String,
    pub db: Db,
    pub state: AppState,
    pub sandbox: AppStoreSandbox,
    pub config: Config,
    pub http: reqwest::Client,
}

/// A user with a token.
#[derive(Clone, Debug)]
pub struct StackUser {
    pub id: ObjectId,
    pub token: String,
}

impl AppStoreStack {
    /// The stack from the environment `env` (which must hold no App Store
    /// key: the sandbox turns itself off beside one).
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let db = TestDb::new().await.db;
        heyway::infra::indexes::migrate(&db).await.expect("migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let mut config = test_config(env);
        let sandbox = app_store::configure(
            &mut config.apple,
            &base,
            &base,
            AccessKey::random(),
            reqwest::Client::new(),
        )
        .expect("no App Store keys: the sandbox is on");
        let state = AppState::new(db.clone(), config.clone()).expect("state");
        let app =
            app::router(state.clone()).nest(&format!("{MOUNT}{APP_STORE_PATH}"), sandbox.router());
        tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base,
            db,
            state,
            sandbox,
            config,
            http: reqwest::Client::new(),
        }
    }

    /// A new user (no free minutes or calls) with a token.
    pub async fn user(&self, name: &str) -> StackUser {
        let id = ObjectId::new();
        self.db
            .raw("users")
            .insert_one(doc! {
                "_id": id, "name": name,
                "email": format!("{}@example.test", name.to_lowercase().replace(' ', ".")),
                "timezone": "America/New_York", "freeMinutes": 0,
                "createdAt": mongodb::bson::DateTime::now(), "__v": 0,
            })
            .await
            .expect("insert user");
        StackUser {
            id,
            token: self.state.tokens.issue(id).expect("token"),
        }
    }

    /// `method path` with the user's token and `body`: status and JSON.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&StackUser>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Posts a purchase's `jwsRepresentation` for `user`.
    pub async fn link(&self, user: &StackUser, jws: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            "/api/subscriptions/apple",
            Some(user),
            Some(json!({ "jwsRepresentation": jws })),
        )
        .await
    }

    /// Posts a notification body to `/webhooks/apple` as Apple does.
    pub async fn notify(&self, body: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/webhooks/apple", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `GET /api/billing/subscription` for `user`.
    pub async fn plan(&self, user: &StackUser) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::GET,
                "/api/billing/subscription",
                Some(user),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The `subscriptions` document of App Store subscription `original`.
    pub async fn subscription(&self, original: &str) -> Document {
        self.db
            .raw("subscriptions")
            .find_one(doc! { "originalTransactionId": original })
            .await
            .expect("find")
            .expect("the subscription's document")
    }

    pub async fn user_doc(&self, id: ObjectId) -> Document {
        self.db
            .raw("users")
            .find_one(doc! { "_id": id })
            .await
            .expect("find")
            .expect("user")
    }
}

/// One piece of signed data and what it is.
#[derive(Clone, Debug)]
pub struct SignedCase {
    pub name: String,
    /// `transaction`, `renewal` or `notification`.
    pub kind: &'static str,
    pub jws: String,
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

const JUDGE: &str = r#"
import base64, json, sys
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException
from appstoreserverlibrary.models.Environment import Environment
request = json.load(sys.stdin)
verifier = SignedDataVerifier(
    [base64.b64decode(root) for root in request["roots"]],
    False,
    Environment(request["environment"]),
    request["bundleId"],
    request.get("appAppleId"),
)
verdicts = []
for case in request["cases"]:
    try:
        if case["kind"] == "transaction":
            verifier.verify_and_decode_signed_transaction(case["jws"])
        elif case["kind"] == "renewal":
            verifier.verify_and_decode_renewal_info(case["jws"])
        else:
            verifier.verify_and_decode_notification(case["jws"])
        verdicts.append({"ok": True})
    except VerificationException as e:
        verdicts.append({"ok": False, "why": e.status.name})
json.dump(verdicts, sys.stdout)
"#;

/// Apple's `SignedDataVerifier` (Python `app-store-server-library`,
/// online checks off) on each case, trusting `roots` (DER) for
/// `bundle_id` in `environment`: for each, `Ok(())` or why it refused.
/// Panics when the library is not installed (`scripts/setup` pins it).
pub fn apple_library_verdicts(
    roots: &[&[u8]],
    environment: &str,
    bundle_id: &str,
    cases: &[SignedCase],
) -> Vec<Result<(), String>> {
    use base64::Engine;
    let request = json!({
        "roots": roots.iter().map(|r| base64::engine::general_purpose::STANDARD.encode(r)).collect::<Vec<_>>(),
        "environment": environment,
        "bundleId": bundle_id,
        "cases": cases.iter().map(|c| json!({ "kind": c.kind, "jws": c.jws })).collect::<Vec<_>>(),
    });
    let mut child = Command::new(python())
        .args(["-c", JUDGE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (PYTHON)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write the cases");
    let output = child.wait_with_output().expect("python ran");
    assert!(
        output.status.success(),
        "Apple's app-store-server-library is needed (scripts/setup installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Value> = serde_json::from_slice(&output.stdout).expect("verdicts");
    assert_eq!(verdicts.len(), cases.len());
    verdicts
        .into_iter()
        .map(|v| {
            if v["ok"] == true {
                Ok(())
            } else {
                Err(v["why"].as_str().unwrap_or_default().to_string())
            }
        })
        .collect()
}
