//! Recordings (`recordings`): the audio messages calls play, uploaded by
//! the browser straight to object storage or spoken from text by an AI
//! voice.
//!
//! - `storage`: where the audio lives and the signed URLs that reach it;
//! - `view`: what the API shows;
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id (the dialer calls [`play_url`]);
//! - `tts`: text to speech; `mp3`: its duration; `prompt`: the
//!   `professionalPrompt` of recording-then-AI calls;
//! - `removal`: the audio a deleted recording takes with it;
//! - `handlers`: the thin HTTP layer; `files`: the local store's route.

mod files;
mod handlers;
pub mod mp3;
pub mod prompt;
mod removal;
mod service;
pub mod tts;
mod view;

use utoipa_axum::routes;

use crate::http::ApiRouter;

pub use service::{
    create, delete, detail, find, list, play_url, upload_url, user_prefix, NewRecording,
    UploadRequest, MAX_DURATION, MAX_NAME,
};
pub use view::{RecordingDetail, RecordingView, UploadUrl};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(
            handlers::list_recordings,
            handlers::create_recording
        ))
        .routes(routes!(handlers::upload_url))
        .routes(routes!(handlers::text_to_speech))
        .routes(routes!(handlers::get_recording, handlers::delete_recording))
        .route("/api/recordings/files/{*key}", files::route())
}
