//! Recordings: plain async functions over the repo and the object store,
//! each scoped by the owner's `userId`, so another tenant's recording is
//! simply not found.

use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use utoipa::ToSchema;

use super::prompt::professional_prompt;
use super::removal;
use super::repo;
use super::view::{RecordingDetail, RecordingView, UploadUrl};
use crate::error::{Error, Result};
use crate::http::input;
use crate::http::page::{PageRequest, Paged};
use crate::infra::db::Db;
use crate::infra::storage::{valid_key, Location, Playback, Storage, StoreKind, KEY_PREFIX};
use crate::infra::store;
use crate::infra::store::owned;
use crate::model::{Number, Recording, User};

const WHAT: &str = "recording";
pub const MAX_NAME: usize = 100;
/// Seconds: the longest message a call plays.
pub const MAX_DURATION: f64 = 600.0;
const MAX_FILE_NAME: usize = 200;

/// Audio types the browser may upload, and the extension each gets.
const AUDIO_TYPES: [(&str, &str); 10] = [
    ("audio/mpeg", "mp3"),
    ("audio/mp3", "mp3"),
    ("audio/wav", "wav"),
    ("audio/x-wav", "wav"),
    ("audio/wave", "wav"),
    ("audio/webm", "webm"),
    ("audio/ogg", "ogg"),
    ("audio/mp4", "m4a"),
    ("audio/x-m4a", "m4a"),
    ("audio/aac", "aac"),
];

/// `POST /api/recordings`: registers an uploaded file.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewRecording {
    /// 1 to 100 characters.
    pub name: Option<String>,
    /// The `filePath` `POST /api/recordings/upload-url` answered.
    pub file_path: Option<String>,
    /// Seconds, more than 0 and at most 600.
    pub duration: Option<f64>,
    /// What the recording says, for recording-then-AI calls: kept as
    /// `originalText`, and the agent's `professionalPrompt` is built from
    /// it and the business's profile. At most 2,500 characters.
    pub message_text: Option<String>,
}

/// `POST /api/recordings/upload-url`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadRequest {
    pub file_name: Option<String>,
    /// An audio type: `audio/mpeg`, `audio/wav`, `audio/webm`, `audio/ogg`, `audio/mp4`, …
    pub content_type: Option<String>,
}

fn not_found() -> Error {
    Error::NotFound { what: WHAT }
}

/// The caller's recording `id`, or 404.
pub async fn find(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Recording> {
    owned::find(db, user_id, id, WHAT).await
}

/// One page of the caller's recordings, newest first.
pub async fn list(db: &Db, user_id: ObjectId, page: PageRequest) -> Result<Paged<RecordingView>> {
    let found = repo::page(db, user_id, page.skip(), page.limit).await?;
    Ok(page.paged(found, |r: Recording| RecordingView::from(&r)))
}

/// The recording with a URL that plays it.
pub async fn detail(storage: &Storage, recording: &Recording) -> RecordingDetail {
    let (url, url_expires_at, url_unavailable_reason) =
        match storage.playback(recording.file_path.as_deref()).await {
            Playback::Url(signed) => (Some(signed.url), Some(signed.expires_at), None),
            Playback::Unavailable(reason) => (None, None, Some(reason)),
        };
    RecordingDetail {
        recording: RecordingView::from(recording),
        url,
        url_expires_at,
        url_unavailable_reason,
    }
}

/// A URL Twilio's `<Play>` can fetch for `recording`, if any: what the
/// dialer's script plays.
pub async fn play_url(storage: &Storage, recording: &Recording) -> Option<String> {
    for candidate in [
        recording.signed_url.as_deref(),
        recording.file_path.as_deref(),
    ] {
        if let Playback::Url(signed) = storage.playback(candidate).await {
            return Some(signed.url);
        }
    }
    None
}

/// The prefix of every key `user_id` is given.
pub fn user_prefix(user_id: ObjectId) -> String {
    format!("{KEY_PREFIX}{}/", user_id.to_hex())
}

/// A signed PUT URL for a new object under the caller's prefix.
pub async fn upload_url(
    storage: &Storage,
    user_id: ObjectId,
    request: UploadRequest,
) -> Result<UploadUrl> {
    if let Some(name) = request.file_name.as_deref() {
        input::short_text("fileName", name, MAX_FILE_NAME)?;
    }
    let content_type = request
        .content_type
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase())
        .ok_or_else(|| Error::validation("contentType", "contentType is required"))?;
    let base = content_type.split(';').next().unwrap_or_default().trim();
    let extension = AUDIO_TYPES
        .iter()
        .find(|(t, _)| *t == base)
        .map(|(_, ext)| *ext)
        .ok_or_else(|| {
            Error::validation(
                "contentType",
                "contentType must be an audio type such as audio/mpeg, audio/wav or audio/webm",
            )
        })?;
    let key = new_key(user_id, extension);
    let signed = storage.upload_url(&key).await?;
    Ok(UploadUrl {
        upload_url: signed.url,
        file_path: storage.file_path(&key),
        expires_at: signed.expires_at,
        method: "PUT",
        content_type,
    })
}

pub(super) fn new_key(user_id: ObjectId, extension: &str) -> String {
    format!(
        "{}{}.{extension}",
        user_prefix(user_id),
        ObjectId::new().to_hex()
    )
}

/// Checks `filePath` is an object of the configured store under the
/// caller's prefix (one they were given an upload URL for).
async fn own_file(storage: &Storage, user_id: ObjectId, path: &str) -> Result<String> {
    let bad = || {
        Error::validation(
            "filePath",
            "filePath must be the filePath POST /api/recordings/upload-url answered",
        )
    };
    let location = storage.own_location(path).ok_or_else(bad)?;
    let key = location.key().ok_or_else(bad)?;
    if !valid_key(key) || !key.starts_with(&user_prefix(user_id)) {
        return Err(bad());
    }
    if let (StoreKind::Local, Location::Local { key }) = (storage.kind(), &location) {
        let exists = tokio::fs::try_exists(storage.local_dir().join(key))
            .await
            .unwrap_or(false);
        if !exists {
            return Err(Error::validation(
                "filePath",
                "nothing was uploaded to this filePath",
            ));
        }
    }
    Ok(path.trim().to_string())
}

fn duration(value: Option<f64>) -> Result<Number> {
    let seconds = value.ok_or_else(|| Error::validation("duration", "duration is required"))?;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > MAX_DURATION {
        return Err(Error::validation(
            "duration",
            format!("duration must be more than 0 and at most {MAX_DURATION} seconds"),
        ));
    }
    Ok(Number::node(seconds))
}

/// Registers an uploaded recording of the caller's.
pub async fn create(
    db: &Db,
    storage: &Storage,
    user_id: ObjectId,
    new: NewRecording,
) -> Result<RecordingDetail> {
    let name = input::name("name", new.name.as_deref().unwrap_or_default(), MAX_NAME)?;
    let path = new
        .file_path
        .as_deref()
        .ok_or_else(|| Error::validation("filePath", "filePath is required"))?;
    let duration = duration(new.duration)?;
    let message = match new.message_text.as_deref() {
        Some(text) => Some(input::short_text(
            "messageText",
            text,
            super::tts::MAX_TEXT,
        )?)
        .filter(|t| !t.is_empty()),
        None => None,
    };
    let file_path = own_file(storage, user_id, path).await?;
    let mut recording = blank(user_id, name, file_path, duration);
    if let Some(message) = message {
        let user = store::find_by_id::<User>(db, user_id)
            .await?
            .ok_or(Error::Unauthorized)?;
        recording.professional_prompt = Some(professional_prompt(&message, &user));
        recording.original_text = Some(message);
    }
    let stored = store::insert(db, &recording).await?;
    Ok(detail(storage, &stored).await)
}

pub(super) fn blank(
    user_id: ObjectId,
    name: String,
    file_path: String,
    duration: Number,
) -> Recording {
    Recording {
        id: ObjectId::new(),
        user_id,
        name,
        file_path: Some(file_path),
        duration: Some(duration),
        signed_url: None,
        is_ai_voice: None,
        original_text: None,
        professional_prompt: None,
        voice_settings: None,
        created_at: None,
        updated_at: None,
        version: None,
    }
}

/// Deletes the caller's recording, unless an active automation plays it
/// (409 naming the automation), and then the audio objects it owns
/// (`removal`): those under the caller's own prefix that no other
/// recording of theirs names. Once the document is gone the request
/// succeeds even if the store does not: the failure is logged.
pub async fn delete(
    db: &Db,
    storage: &Storage,
    http: &reqwest::Client,
    user_id: ObjectId,
    id: ObjectId,
) -> Result<()> {
    let recording = find(db, user_id, id).await?;
    if let Some(name) = repo::active_automation_playing(db, user_id, id).await? {
        return Err(Error::Conflict {
            field: None,
            message: format!(
                "recording is used by the active automation \"{name}\"; pause it or choose another message first"
            ),
        });
    }
    if !repo::delete(db, user_id, id).await? {
        return Err(not_found());
    }
    removal::remove_audio(db, storage, http, &recording).await;
    Ok(())
}
