//! `JWT_SECRET` is at least 32 bytes and signs nothing itself: access
//! tokens and the local store's file URLs each use their own key derived
//! from it, so a token of one kind never passes as the other, and tokens
//! signed the old way (with the raw secret) are refused.

use axum::http::{Method, StatusCode};
use heyway::http::{AccessTokens, AppState};
use heyway::infra::config::secret::derive_key;
use heyway::infra::config::KeyPurpose;
use heyway::infra::storage::{Location, Storage};
use heyway::Config;
use heyway_tests::{test_config, TestApp, TestDb, TEST_JWT_SECRET};
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[tokio::test]
async fn a_short_secret_is_refused_at_start() {
    let err = Config::from_lookup(|key| (key == "JWT_SECRET").then(|| "short-secret".into()))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("JWT_SECRET is invalid"),
        "{err}"
    );
    // A configuration built in code is checked too.
    let mut config = test_config(&[]);
    config.jwt_secret = Some("x".repeat(31));
    let err = AppState::new(TestDb::new().await.db, config).unwrap_err();
    assert!(
        err.to_string().starts_with("JWT_SECRET is invalid"),
        "{err}"
    );
}

/// `GET /api/me` with `token`.
async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.send(Method::GET, "/api/me", Some(token), None).await.0
}

#[tokio::test]
async fn access_tokens_signed_with_the_raw_secret_or_the_file_key_are_refused() {
    let app = TestApp::new().await;
    let user = app.user("Kim Madeup").await;
    assert_eq!(me_status(&app, &user.token).await, StatusCode::OK);

    let old_scheme = AccessTokens::new(TEST_JWT_SECRET.as_bytes(), 900);
    let token = old_scheme.issue(user.id).unwrap();
    assert_eq!(me_status(&app, &token).await, StatusCode::UNAUTHORIZED);

    let file_key = derive_key(TEST_JWT_SECRET.as_bytes(), KeyPurpose::RecordingFiles).unwrap();
    let token = AccessTokens::new(&file_key, 900).issue(user.id).unwrap();
    assert_eq!(me_status(&app, &token).await, StatusCode::UNAUTHORIZED);
}

/// The local store's signature of `method` on `key` until `expires`,
/// computed with `signing_key` as `infra::storage` does.
fn file_signature(signing_key: &[u8], method: &str, key: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signing_key).unwrap();
    mac.update(format!("heyway-recording-file\n{method}\n{key}\n{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn file_urls_signed_with_the_access_key_or_the_raw_secret_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let app = heyway_tests::recordings::app(&dir).await;
    let user = app.user("Kim Madeup").await;
    let key = "recordings/someone/missing.mp3";
    let location = Location::Local { key: key.into() };
    let signed = Storage::from_config(&app.state.config)
        .sign(Method::GET, &location, std::time::Duration::from_secs(600))
        .await
        .unwrap();
    let path_and_query = signed.url.split_once("/api/").unwrap().1;
    let (status, body) = app.get(&format!("/api/{path_and_query}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a good signature: {body}");

    let expires = signed.expires_at.timestamp();
    let access_key = derive_key(TEST_JWT_SECRET.as_bytes(), KeyPurpose::AccessTokens).unwrap();
    for (what, signing_key) in [
        ("the access-token key", &access_key[..]),
        ("the raw secret", TEST_JWT_SECRET.as_bytes()),
    ] {
        let signature = file_signature(signing_key, "GET", key, expires);
        let path = format!("/api/recordings/files/{key}?expires={expires}&signature={signature}");
        let (status, body) = app.get(&path, &user).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
    }
}
