//! The local store's files (`heyway serve`): `PUT` and `GET
//! /api/recordings/files/{key}?expires=…&signature=…`, the URLs
//! [`Storage`] signs with an HMAC keyed from `JWT_SECRET`. Not part of the API
//! document; unused when recordings live in S3 or GCS.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::http::AppState;
use crate::infra::storage::{valid_key, Storage, StoreKind};

/// The largest upload the local store takes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Deserialize)]
pub(super) struct Token {
    expires: Option<i64>,
    signature: Option<String>,
}

pub(super) fn route() -> MethodRouter<AppState> {
    get(get_file)
        .put(put_file)
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

fn check(storage: &Storage, method: &str, key: &str, token: &Token) -> Result<()> {
    if storage.kind() != StoreKind::Local {
        return Err(Error::NotFound { what: "route" });
    }
    if !valid_key(key) {
        return Err(Error::NotFound { what: "file" });
    }
    let (Some(expires), Some(signature)) = (token.expires, token.signature.as_deref()) else {
        return Err(Error::BadSignature("missing expires or signature"));
    };
    if !storage.verify_local(method, key, expires, signature) {
        return Err(Error::BadSignature("signature is wrong or expired"));
    }
    Ok(())
}

async fn put_file(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(token): Query<Token>,
    body: Bytes,
) -> Result<StatusCode> {
    let storage = Storage::from_config(&state.config);
    check(&storage, "PUT", &key, &token)?;
    if body.is_empty() {
        return Err(Error::bad_request(None, "empty upload"));
    }
    let path = storage.local_dir().join(&key);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Error::Internal(format!("creating {}: {e}", dir.display())))?;
    }
    tokio::fs::write(&path, &body)
        .await
        .map_err(|e| Error::Internal(format!("writing {}: {e}", path.display())))?;
    Ok(StatusCode::OK)
}

async fn get_file(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(token): Query<Token>,
) -> Result<Response> {
    let storage = Storage::from_config(&state.config);
    check(&storage, "GET", &key, &token)?;
    let bytes = match tokio::fs::read(storage.local_dir().join(&key)).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound { what: "file" })
        }
        Err(e) => return Err(Error::Internal(format!("reading {key}: {e}"))),
    };
    Ok(([(header::CONTENT_TYPE, content_type(&key))], bytes).into_response())
}

/// The audio type of a key's extension.
pub fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("webm") => "audio/webm",
        Some("ogg") => "audio/ogg",
        Some("m4a") => "audio/mp4",
        Some("aac") => "audio/aac",
        _ => "application/octet-stream",
    }
}
