//! `heyway serve` on a fresh machine: starts its own SecantusDB when
//! `MONGODB_URI` is unset and answers `/api/health` with the database up;
//! without Stripe keys it runs the Stripe sandbox, so checkout
//! works end to end. It listens on 127.0.0.1 unless `HOST` says otherwise,
//! its sandboxes' keys are random per run (their logs need the key it
//! writes to `<data dir>/sandbox-key`), and a configured real key turns
//! that provider's sandbox off. Its `/api/docs` page needs no network.

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

async fn get_from(host: &str, port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect((host, port)).await.ok()?;
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
    serve_with(data, port, db_name, &[], "127.0.0.1").await
}

/// [`serve`] with `env` on top, its health asked at `host`.
async fn serve_with(
    data: &Path,
    port: u16,
    db_name: &str,
    env: &[(&str, &str)],
    host: &str,
) -> (Server, String) {
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
        "TWILIO_AUTH_TOKEN",
        "ELEVENLABS_API_KEY",
        "ELEVENLABS_WEBHOOK_SECRET",
        "APPLE_BUNDLE_ID",
        "APPLE_ENVIRONMENT",
        "APPLE_ISSUER_ID",
        "APPLE_KEY_ID",
        "APPLE_PRIVATE_KEY",
        "APPLE_API_BASE_URL",
        "APPLE_ROOT_CERTIFICATES",
        "HOST",
    ] {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    let server = Server(command.spawn().unwrap());
    let started = Instant::now();
    loop {
        if let Some(response) = get_from(host, port, "/api/health").await {
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

#[tokio::test]
async fn serve_without_app_store_keys_takes_purchases_through_the_app_store_sandbox() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, _) = serve(data.path(), port, "heyway_serve_app_store_test").await;
    let base = format!("http://127.0.0.1:{port}");
    let key = std::fs::read_to_string(data.path().join("sandbox-key")).unwrap();
    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{base}/api/auth/register"))
        .json(
            &json!({ "name": "Ines Sousa", "email": "ines.sousa@example.test",
                       "password": "sandbox-password-1", "timezone": "Europe/Lisbon" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().expect("token");
    // Buying needs the run's key: the sandbox signs what the server trusts.
    let refused = http
        .post(format!("{base}/sandbox/app-store/purchases"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let bought: Value = http
        .post(format!("{base}/sandbox/app-store/purchases"))
        .bearer_auth(key.trim())
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Its SUBSCRIBED notification reached /webhooks/apple and verified;
    // no user holds it yet.
    assert_eq!(bought["delivery"]["status"], 200, "{bought}");
    assert!(bought["delivery"]["answer"]
        .as_str()
        .unwrap()
        .contains("unmatched"));
    let linked = http
        .post(format!("{base}/api/subscriptions/apple"))
        .bearer_auth(token)
        .json(&json!({ "jwsRepresentation": bought["purchase"]["jwsRepresentation"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), 200);
    let linked: Value = linked.json().await.unwrap();
    assert_eq!(linked["status"], "active", "{linked}");
    let original = linked["originalTransactionId"].as_str().unwrap();
    let moved: Value = http
        .post(format!(
            "{base}/sandbox/app-store/subscriptions/{original}/expire"
        ))
        .bearer_auth(key.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["delivery"]["status"], 200, "{moved}");
    let plan: Value = http
        .get(format!("{base}/api/billing/subscription"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plan["status"], "expired", "{plan}");
    assert_eq!(plan["source"], "app_store", "{plan}");
    assert_eq!(plan["hasActiveSubscription"], false, "{plan}");
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"))
}

/// Issue 12: `heyway serve` listened on 0.0.0.0, its sandboxes took the
/// public keys `sandbox-xi-api-key` and `sk_test_sandbox_heyway_0001`,
/// and their logs answered anyone.
#[tokio::test]
async fn serve_listens_on_loopback_and_its_sandboxes_need_its_per_run_keys() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, _) = serve(data.path(), port, "heyway_serve_keys_test").await;
    // Linux routes all of 127/8 to loopback: a wildcard bind answers
    // 127.0.0.2 too, a 127.0.0.1 bind does not.
    if cfg!(target_os = "linux") {
        assert!(
            TcpStream::connect(("127.0.0.2", port)).await.is_err(),
            "serve must bind 127.0.0.1 by default, not every address"
        );
    }

    let key_file = data.path().join("sandbox-key");
    let key = std::fs::read_to_string(&key_file).expect("serve writes the sandbox key");
    let key = key.trim();
    assert_eq!(key.len(), 64, "{key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for path in [
        "/sandbox/calls",
        "/sandbox/stripe/events",
        "/sandbox/stripe/meter_events",
        "/sandbox/app-store/notifications",
    ] {
        let refused = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{path}");
        let refused = http
            .get(format!("{base}{path}?key=sandbox-xi-api-key"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401, "{path}");
        let shown = http
            .get(format!("{base}{path}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 200, "{path}");
        let shown: Value = shown.json().await.unwrap();
        assert!(shown.is_array(), "{path}: {shown}");
    }

    // The attacks, replayed with the old public keys.
    let outbound = http
        .post(format!(
            "{base}/sandbox/elevenlabs/v1/convai/twilio/outbound-call"
        ))
        .header("xi-api-key", "sandbox-xi-api-key")
        .json(&json!({
            "agent_id": "agent_sandbox_0001", "agent_phone_number_id": "phnum_x",
            "to_number": "+12125550105",
            "conversation_initiation_client_data": {
                "dynamic_variables": { "heyway_call_id": "665f00000000000000000001" }
            }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(outbound.status(), 401);
    let twilio = http
        .post(format!(
            "{base}/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000005a4d/Calls.json"
        ))
        .basic_auth("AC00000000000000000000000000005a4d", Some("sandbox-twilio-auth-token"))
        .form(&[("To", "+12125550100"), ("From", "+15005550006"), ("Twiml", "<Response/>")])
        .send()
        .await
        .unwrap();
    assert_eq!(twilio.status(), 401);
    let checkout = http
        .post(format!("{base}/sandbox/stripe/v1/checkout/sessions"))
        .bearer_auth("sk_test_sandbox_heyway_0001")
        .form(&[
            ("mode", "subscription"),
            ("client_reference_id", "665f00000000000000000001"),
            ("line_items[0][price]", "price_sandbox_monthly"),
            ("line_items[0][quantity]", "1"),
            ("success_url", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), 401);
    let played: Value = http
        .get(format!("{base}/sandbox/calls"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(played, json!([]), "nothing was played");
}

/// A configured real key turns that provider's sandbox off: it never
/// signs with a secret from the environment, and its routes are not
/// served. `HOST` chooses the address.
#[tokio::test]
async fn serve_with_real_keys_serves_no_sandbox() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let host = if cfg!(target_os = "linux") {
        "127.0.0.2"
    } else {
        "127.0.0.1"
    };
    let (_server, health) = serve_with(
        data.path(),
        port,
        "heyway_serve_real_keys_test",
        &[
            ("HOST", host),
            ("ELEVENLABS_WEBHOOK_SECRET", "wsec_from_the_environment"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_from_the_environment"),
            ("APPLE_KEY_ID", "KEYFROMENV"),
        ],
        host,
    )
    .await;
    assert_eq!(status(&health), 200, "{health}");
    if cfg!(target_os = "linux") {
        assert!(
            get_from("127.0.0.1", port, "/api/health").await.is_none(),
            "HOST=127.0.0.2 binds that address only"
        );
    }
    for path in [
        "/sandbox/calls",
        "/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000005a4d/Calls.json",
        "/sandbox/stripe/events",
        "/sandbox/stripe/checkout/cs_test_x",
        "/sandbox/stripe/pages/success",
        "/sandbox/app-store/notifications",
        "/sandbox/app-store/inApps/v1/subscriptions/2000000000000001",
    ] {
        let response = get_from(host, port, path).await.unwrap();
        assert_eq!(status(&response), 404, "{path}: {response}");
    }
    let outbound = reqwest::Client::new()
        .post(format!(
            "http://{host}:{port}/sandbox/elevenlabs/v1/convai/twilio/outbound-call"
        ))
        .header("xi-api-key", "sandbox-xi-api-key")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(outbound.status(), 404);
    assert!(
        !data.path().join("sandbox-key").exists(),
        "no sandbox, no key"
    );
}

/// The `src` and `href` values in `html`.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_string());
            }
        }
    }
    found
}

/// Issue 14: `/api/docs` loaded Redoc from a CDN and showed nothing
/// offline. The page and everything it references come from the server
/// itself; no URL of another origin is loaded, and the page's
/// Content-Security-Policy lets the browser load none.
#[tokio::test]
async fn api_docs_page_and_its_assets_come_from_the_server_itself() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_server, _) = serve(data.path(), port, "heyway_serve_docs_test").await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let page = http.get(format!("{base}/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names no other origin: {html}"
    );
    assert!(html.contains(r#"spec-url="/api/openapi.json""#), "{html}");
    // Only this origin (and inline data) may be loaded.
    for directive in policy.split(';').map(str::trim) {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or_default();
        for source in words {
            assert!(
                [
                    "'self'",
                    "'none'",
                    "'unsafe-inline'",
                    "'unsafe-eval'",
                    "data:",
                    "blob:"
                ]
                .contains(&source),
                "{name} allows {source}: {policy}"
            );
        }
    }
    assert!(policy.contains("default-src 'none'"), "{policy}");

    let mut scripts = 0;
    for reference in references(&html) {
        assert!(
            reference.starts_with('/'),
            "{reference} is not on this server"
        );
        let asset = http.get(format!("{base}{reference}")).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{reference}");
        let content_type = asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let body = asset.text().await.unwrap();
        if content_type.starts_with("text/javascript") {
            scripts += 1;
            assert!(body.len() > 100_000, "{reference}: the whole bundle");
            // The bundle names URLs (XML namespaces, JSON Schema ids, links
            // in messages), but loads none of another origin.
            for load in [
                "src:\"http",
                "src=\"http",
                "url(http",
                "url(\"http",
                "@import url(",
                "fetch(\"http",
                "importScripts(\"http",
            ] {
                assert!(!body.contains(load), "{reference} loads {load}…");
            }
            // Its licence notices are served beside it.
            let notices = http
                .get(format!("{base}{reference}.LICENSE.txt"))
                .send()
                .await
                .unwrap();
            assert_eq!(notices.status(), 200);
        } else {
            assert!(
                content_type.starts_with("application/json"),
                "{reference}: {content_type}"
            );
            let document: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(document["info"]["title"], "HeyWay API");
        }
    }
    assert_eq!(scripts, 1, "the page loads Redoc: {html}");
    let license = http
        .get(format!("{base}/api/docs/LICENSE"))
        .send()
        .await
        .unwrap();
    assert_eq!(license.status(), 200);
    assert!(license.text().await.unwrap().contains("MIT License"));
}
