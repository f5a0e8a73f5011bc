//! HTTP handlers of `/api/recordings`, with their OpenAPI annotations:
//! extract, call the service, answer. The local store's file route is
//! `files`.

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::files;
use super::service::{self, NewRecording, UploadRequest};
use super::tts::{self, TtsRequest};
use super::view::{RecordingDetail, RecordingView, UploadUrl};
use crate::error::{ErrorBody, Result};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::http::responses::{MalformedId, MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};
use crate::infra::storage::Storage;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_recordings, create_recording))
        .routes(routes!(upload_url))
        .routes(routes!(text_to_speech))
        .routes(routes!(get_recording, delete_recording))
        .route("/api/recordings/files/{*key}", files::route())
}

/// The caller's recordings, newest first.
#[utoipa::path(
    get,
    path = "/api/recordings",
    tag = "recordings",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of recordings", body = Paged<RecordingView>),
        Unauthorized,
        (status = 422, description = "Bad page or limit", body = ErrorBody),
    )
)]
async fn list_recordings(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Paged<RecordingView>>> {
    let page = query.validate()?;
    service::list(&state.db, auth.user_id, page).await.map(Json)
}

/// Registers a recording uploaded to the URL `upload-url` gave.
#[utoipa::path(
    post,
    path = "/api/recordings",
    tag = "recordings",
    security(("bearer" = [])),
    request_body = NewRecording,
    responses(
        (status = 201, description = "Registered", body = RecordingDetail),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Invalid `name`, `filePath` or `duration`; nothing was written", body = ErrorBody),
    )
)]
async fn create_recording(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewRecording>,
) -> Result<(StatusCode, Json<RecordingDetail>)> {
    let storage = Storage::from_config(&state.config);
    let detail = service::create(&state.db, &storage, auth.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// One of the caller's recordings, with a signed URL that plays it.
#[utoipa::path(
    get,
    path = "/api/recordings/{id}",
    tag = "recordings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The recording's 24-hex id")),
    responses(
        (status = 200, description = "The recording", body = RecordingDetail),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such recording of the caller's", body = ErrorBody),
    )
)]
async fn get_recording(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RecordingDetail>> {
    let id = object_id("id", &id)?;
    let recording = service::find(&state.db, auth.user_id, id).await?;
    let storage = Storage::from_config(&state.config);
    Ok(Json(service::detail(&storage, &recording).await))
}

/// Deletes a recording no active automation plays, and the audio it
/// stored under the caller's prefix.
#[utoipa::path(
    delete,
    path = "/api/recordings/{id}",
    tag = "recordings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The recording's 24-hex id")),
    responses(
        (status = 204, description = "Deleted, with the audio it owned"),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such recording of the caller's", body = ErrorBody),
        (status = 409, description = "An active automation plays it; the message names it", body = ErrorBody),
    )
)]
async fn delete_recording(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    let storage = Storage::from_config(&state.config);
    service::delete(&state.db, &storage, &state.http, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed URL the browser PUTs a new recording's audio to.
#[utoipa::path(
    post,
    path = "/api/recordings/upload-url",
    tag = "recordings",
    security(("bearer" = [])),
    request_body = UploadRequest,
    responses(
        (status = 200, description = "PUT the audio to `uploadUrl`, then register `filePath`", body = UploadUrl),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Invalid `fileName` or `contentType`", body = ErrorBody),
        (status = 503, description = "Storage not configured", body = ErrorBody),
    )
)]
async fn upload_url(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<UploadRequest>,
) -> Result<Json<UploadUrl>> {
    let storage = Storage::from_config(&state.config);
    service::upload_url(&storage, auth.user_id, body)
        .await
        .map(Json)
}

/// Speaks text with an ElevenLabs voice and keeps it as a recording.
#[utoipa::path(
    post,
    path = "/api/recordings/tts",
    tag = "recordings",
    security(("bearer" = [])),
    request_body = TtsRequest,
    responses(
        (status = 201, description = "Spoken and stored, with its duration", body = RecordingDetail),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Invalid `text`, `voiceId`, `voiceSettings.*` or `name`; nothing was written", body = ErrorBody),
        (status = 503, description = "ElevenLabs or storage unavailable", body = ErrorBody),
    )
)]
async fn text_to_speech(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<TtsRequest>,
) -> Result<(StatusCode, Json<RecordingDetail>)> {
    let storage = Storage::from_config(&state.config);
    let detail = tts::create(
        &state.db,
        &storage,
        &state.http,
        &state.config.elevenlabs,
        auth.user_id,
        body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(detail)))
}
