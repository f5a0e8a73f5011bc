//! The signed AWS JSON client: the wire format a real AWS endpoint checks
//! (a capturing server), and the settings secret read from moto's Secrets
//! Manager into the configuration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use heyway::infra::aws::{AwsError, AwsJson, Credentials, Service};
use heyway::infra::config::{Config, ConfigError};
use heyway_tests::moto;
use serde_json::{json, Value};

fn credentials(session_token: Option<&str>) -> Credentials {
    Credentials {
        access_key_id: "AKIDEXAMPLE555".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: session_token.map(str::to_string),
        region: "eu-west-3".into(),
    }
}

type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A server that records each request and answers `status` with `body`.
async fn capture(status: StatusCode, body: Value) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = Router::new().route(
        "/",
        post(move |headers: HeaderMap, input: axum::body::Bytes| {
            let (record, body) = (record.clone(), body.clone());
            async move {
                let input = serde_json::from_slice(&input).unwrap_or(Value::Null);
                record.lock().unwrap().push((headers, input));
                (status, Json(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn a_call_is_a_signed_json_post_with_its_target() {
    let (url, seen) = capture(StatusCode::OK, json!({ "MessageId": "m-1" })).await;
    let client = AwsJson::at(Service::Sqs, &url, credentials(Some("session-555")));
    let input = json!({ "QueueUrl": "https://sqs.test/1/q", "MessageBody": "{}" });
    let output = client.call("SendMessage", &input).await.unwrap();
    assert_eq!(output["MessageId"], "m-1");

    let seen = seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert_eq!(body, &input);
    let header = |name: &str| headers[name].to_str().unwrap().to_string();
    assert_eq!(header("x-amz-target"), "AmazonSQS.SendMessage");
    assert_eq!(header("content-type"), "application/x-amz-json-1.0");
    assert_eq!(header("x-amz-security-token"), "session-555");
    let authorization = header("authorization");
    let date = &header("x-amz-date")[..8];
    assert!(
        authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE555/{date}/eu-west-3/sqs/aws4_request, SignedHeaders="
        )),
        "{authorization}"
    );
    for signed in ["content-type", "host", "x-amz-date", "x-amz-target"] {
        assert!(
            authorization.contains(signed),
            "{signed} unsigned: {authorization}"
        );
    }
    assert!(!authorization.contains("wJalrXUtnFEMI"), "{authorization}");
}

#[tokio::test]
async fn each_service_names_its_own_target_and_signing_scope() {
    for (service, target, scope) in [
        (
            Service::EventBridge,
            "AWSEvents.PutEvents",
            "/events/aws4_request",
        ),
        (
            Service::SecretsManager,
            "secretsmanager.PutEvents",
            "/secretsmanager/aws4_request",
        ),
    ] {
        let (url, seen) = capture(StatusCode::OK, json!({})).await;
        AwsJson::at(service, &url, credentials(None))
            .call("PutEvents", &json!({}))
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        let headers = &seen[0].0;
        assert_eq!(headers["x-amz-target"], target);
        assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
        assert!(headers.get("x-amz-security-token").is_none());
        let authorization = headers["authorization"].to_str().unwrap();
        assert!(authorization.contains(scope), "{authorization}");
    }
}

#[tokio::test]
async fn an_aws_error_names_its_code_and_message() {
    let body = json!({
        "__type": "com.amazonaws.sqs#QueueDoesNotExist",
        "message": "The specified queue does not exist."
    });
    let (url, _) = capture(StatusCode::BAD_REQUEST, body).await;
    let error = AwsJson::at(Service::Sqs, &url, credentials(None))
        .call("SendMessage", &json!({}))
        .await
        .unwrap_err();
    match error {
        AwsError::Refused {
            code,
            message,
            operation,
            ..
        } => {
            assert_eq!(code, "QueueDoesNotExist");
            assert_eq!(message, "The specified queue does not exist.");
            assert_eq!(operation, "SendMessage");
        }
        other => panic!("{other:?}"),
    }
}

/// A secret in moto's Secrets Manager named for this test.
async fn secret(name: &str, value: &str) -> String {
    let client = moto::aws(Service::SecretsManager).await;
    let name = format!("heyway/{name}-{}", std::process::id());
    client
        .call(
            "CreateSecret",
            &json!({ "Name": name, "SecretString": value }),
        )
        .await
        .unwrap();
    name
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

#[tokio::test]
async fn the_settings_secret_fills_and_wins_over_the_environment() {
    let value = json!({
        "JWT_SECRET": "a-32-byte-secret-from-the-vault-555",
        "MONGODB_URI": "mongodb://vault.example.test:27017",
    })
    .to_string();
    let id = secret("settings", &value).await;
    let client = moto::aws(Service::SecretsManager).await;
    let config = Config::from_env_and_secret(
        &client,
        env(&[
            ("HEYWAY_SECRETS_ID", &id),
            ("MONGODB_URI", "mongodb://from-the-environment"),
            ("MONGODB_DB", "heyway_from_env"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        config.jwt_secret.as_deref(),
        Some("a-32-byte-secret-from-the-vault-555")
    );
    assert_eq!(
        config.mongodb_uri.as_deref(),
        Some("mongodb://vault.example.test:27017")
    );
    assert_eq!(config.mongodb_db, "heyway_from_env");
}

#[tokio::test]
async fn an_unreadable_secret_is_a_setup_error_that_shows_no_value() {
    let client = moto::aws(Service::SecretsManager).await;
    let missing =
        Config::from_env_and_secret(&client, env(&[("HEYWAY_SECRETS_ID", "heyway/none")]))
            .await
            .unwrap_err();
    assert!(
        matches!(missing, ConfigError::Secrets { ref id, .. } if id == "heyway/none"),
        "{missing}"
    );

    let id = secret(
        "not-strings",
        r#"{"JWT_SECRET":{"nested":"hunter2hunter2"}}"#,
    )
    .await;
    let error = Config::from_env_and_secret(&client, env(&[("HEYWAY_SECRETS_ID", &id)]))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("JWT_SECRET"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");

    // A short JWT secret in the vault is refused like one in the environment.
    let id = secret("short", r#"{"JWT_SECRET":"short"}"#).await;
    let short = Config::from_env_and_secret(&client, env(&[("HEYWAY_SECRETS_ID", &id)])).await;
    assert!(short.is_err());
}
