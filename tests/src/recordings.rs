//! Recordings through the local store (`heyway serve`'s): an app whose
//! audio lives in a temporary directory, and the upload → register steps
//! the browser takes, shared by the recordings test files.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::{test_config, TestApp, TestUser};

/// An app whose recordings live under `dir`.
pub async fn app(dir: &tempfile::TempDir) -> TestApp {
    let dir = dir.path().to_str().expect("utf-8 temp dir").to_string();
    TestApp::with_config(test_config(&[
        ("RECORDINGS_STORE", "local"),
        ("RECORDINGS_LOCAL_DIR", &dir),
    ]))
    .await
}

/// The path and query of an absolute URL our router serves.
pub fn local_path(url: &str) -> String {
    let rest = url.split_once("://").expect("absolute URL").1;
    rest[rest.find('/').expect("a path")..].to_string()
}

/// Sends `body` to one of our own absolute URLs (a signed local-store URL).
pub async fn raw(app: &TestApp, method: Method, url: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(local_path(url))
        .header("content-type", "audio/mpeg")
        .body(Body::from(body))
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("router");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, bytes.to_vec())
}

/// Asks for an upload URL, PUTs `audio` to it and returns the `filePath`.
pub async fn upload(app: &TestApp, user: &TestUser, audio: &[u8]) -> String {
    let (status, body) = app
        .post(
            "/api/recordings/upload-url",
            user,
            json!({ "fileName": "greeting.mp3", "contentType": "audio/mpeg" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file_path = body["filePath"].as_str().unwrap().to_string();
    assert!(
        file_path.starts_with(&format!("local://recordings/{}/", user.id.to_hex())),
        "{file_path}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(body["expiresAt"].as_str().unwrap()).is_ok());
    let (status, _) = raw(
        app,
        Method::PUT,
        body["uploadUrl"].as_str().unwrap(),
        audio.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    file_path
}

/// Registers `path` as a recording of `user`'s named `name`.
pub async fn register(app: &TestApp, user: &TestUser, name: &str, path: &str) -> Value {
    let (status, body) = app
        .post(
            "/api/recordings",
            user,
            json!({ "name": name, "filePath": path, "duration": 12.5 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Where the local store under `dir` keeps `local://key`.
pub fn stored(dir: &tempfile::TempDir, file_path: &str) -> PathBuf {
    dir.path()
        .join(file_path.strip_prefix("local://").expect("a local:// path"))
}
