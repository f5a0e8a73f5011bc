//! Recordings (`recordings`): the audio messages calls play, uploaded by
//! the browser straight to object storage or spoken from text by an AI
//! voice.
//!
//! - `routes`: the thin HTTP layer, with the OpenAPI annotations;
//!   `files`: the local store's route;
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id (the dialer calls [`play_url`]);
//! - `tts`: text to speech; `mp3`: its duration; `prompt`: the
//!   `professionalPrompt` of recording-then-AI calls;
//! - `removal`: the audio a deleted recording takes with it;
//! - `repo`: every MongoDB read and write beyond the store's generic ones;
//! - `view`: what the API shows.

mod files;
pub mod mp3;
pub mod prompt;
mod removal;
mod repo;
mod routes;
mod service;
pub mod tts;
mod view;

pub use routes::routes;
pub use service::{
    create, delete, detail, find, list, play_url, upload_url, user_prefix, NewRecording,
    UploadRequest, MAX_DURATION, MAX_NAME,
};
pub use view::{RecordingDetail, RecordingView, UploadUrl};
