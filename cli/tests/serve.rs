//! `heyway serve` on a fresh machine: starts its own SecantusDB when
//! `MONGODB_URI` is unset and answers `/api/health` with the database up;
//! without `STRIPE_SECRET_KEY` it runs the Stripe sandbox, so checkout
//! works end to end.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `heyway serve` on `port` with its data in `data`, without Stripe or
/// Twilio credentials whatever the environment has; answers the first
/// `/api/health` response.
async fn serve(data: &Path, port: u16, db_name: &str) -> (Server, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heyway"));
    command
        .args(["serve", "--data-dir"])
        .arg(data)
        .env_remove("MONGODB_URI")
        .env("MONGODB_DB", db_name)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for key in [
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE_URL",
        "STRIPE_PRICE_ID",
        "STRIPE_SUCCESS_URL",
        "STRIPE_CANCEL_URL",
        "STRIPE_PORTAL_RETURN_URL",
        "WEBHOOK_BASE_URL",
        "TWILIO_ACCOUNT_SID",
    ] {
        command.env_remove(key);
    }
    let server = Server(command.spawn().unwrap());
    let started = Instant::now();
    loop {
        if let Some(response) = get(port, "/api/health").await {
            return (server, response);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "heyway serve did not answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_starts_its_own_database_and_answers_health() {
    let data = tempfile::tempdir().unwrap();
    let (_server, response) = serve(data.path(), free_port(), "heyway_serve_test").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""database":{"status":"up""#),
        "{response}"
    );
    assert!(data.path().join("db").exists(), "data kept in the data dir");
}

#[tokio::test]
async fn serve_without_stripe_checks_out_through_the_stripe_sandbox() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, _) = serve(data.path(), port, "heyway_serve_stripe_test").await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session: Value = http
        .post(format!("{base}/api/auth/register"))
        .json(
            &json!({ "name": "Marta Vell", "email": "marta.vell@example.test",
                       "password": "sandbox-password-1", "timezone": "Europe/Lisbon" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().expect("token");

    let checkout = http
        .post(format!("{base}/api/billing/checkout"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), 200, "checkout answers without Stripe");
    let checkout: Value = checkout.json().await.unwrap();
    let url = checkout["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{base}/sandbox/stripe/checkout/cs_test_")),
        "{url}"
    );

    let paid = http.get(url).send().await.unwrap();
    assert_eq!(paid.status(), 303);
    let location = paid.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{base}/sandbox/stripe/pages/success")),
        "{location}"
    );

    let plan: Value = http
        .get(format!("{base}/api/billing/subscription"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan["status"], "active", "{plan}");
    assert_eq!(plan["hasActiveSubscription"], true, "{plan}");
    assert_eq!(plan["stripePriceId"], "price_sandbox_monthly", "{plan}");
}
