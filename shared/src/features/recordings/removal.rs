//! What deleting a recording removes from storage: the audio objects it
//! owns, once its document is gone.
//!
//! A recording owns an object only when a path it stores names this
//! server's store and bucket under the owner's `recordings/{userId}/`
//! prefix: the only keys `upload-url` and text-to-speech hand out, and
//! the only ones `POST /api/recordings` accepts. Anything else (legacy
//! `gs://` paths of the Node app, public `https://` URLs, a key under
//! another prefix) is merely pointed at, may be shared, and stays.
//! Text-to-speech audio is written at the recording's own `filePath`, so
//! it is removed the same way; `signedUrl` is checked too in case a
//! document keeps a second object there in one of the store's own forms.

use std::time::Duration;

use axum::http::Method;

use super::repo;
use super::service::user_prefix;
use crate::infra::db::Db;
use crate::infra::storage::{valid_key, Location, Storage};
use crate::model::Recording;

/// How long the signed DELETE URL we send at once stays valid.
const REMOVE_TTL: Duration = Duration::from_secs(60);

/// Why a stored object could not be removed. Only logged: see
/// [`remove_audio`].
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("could not sign the delete: {0}")]
    Sign(#[source] crate::error::Error),
    #[error("the store did not answer: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the store refused the delete ({0})")]
    Refused(reqwest::StatusCode),
    #[error("could not remove the file: {0}")]
    File(#[from] std::io::Error),
}

/// An object a recording owns, and the stored paths that name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Owned {
    pub location: Location,
    /// The forms another recording would store it under: as this one
    /// stored it, and as this server writes it now.
    pub names: Vec<String>,
}

/// The objects `recording` owns (see the module's doc), each once.
pub(super) fn owned_objects(storage: &Storage, recording: &Recording) -> Vec<Owned> {
    let prefix = user_prefix(recording.user_id);
    let mut owned: Vec<Owned> = Vec::new();
    for path in [
        recording.file_path.as_deref(),
        recording.signed_url.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        let Some(location) = storage.own_location(path) else {
            continue;
        };
        let Some(key) = location
            .key()
            .filter(|k| valid_key(k) && k.starts_with(&prefix))
        else {
            continue;
        };
        let canonical = storage.file_path(key);
        match owned.iter_mut().find(|o| o.location == location) {
            Some(known) => known.names.push(path.to_string()),
            None => owned.push(Owned {
                names: vec![path.to_string(), canonical],
                location,
            }),
        }
    }
    owned
}

/// Removes the objects the just-deleted `recording` owned, except those
/// another recording of the same owner still names.
///
/// Never fails the request: the document, already deleted, is the source
/// of truth, and a 500 after it is gone would tell the user to retry a
/// delete that can only answer 404. A storage or lookup failure is logged
/// (the object is then orphaned: nothing names it, so the API signs no
/// new URL to it), and an object already gone counts as removed. Objects
/// the recording only points at (see the module's doc) are not touched.
pub(super) async fn remove_audio(
    db: &Db,
    storage: &Storage,
    http: &reqwest::Client,
    recording: &Recording,
) {
    for object in owned_objects(storage, recording) {
        let key = object.location.key().unwrap_or_default();
        match repo::another_names(db, recording.user_id, recording.id, &object.names).await {
            Ok(false) => {}
            Ok(true) => {
                tracing::debug!(key, "another recording still plays this audio; kept");
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, key, "could not check a deleted recording's audio is unshared; kept");
                continue;
            }
        }
        if let Err(error) = remove_object(storage, http, &object.location).await {
            tracing::warn!(%error, key, "could not remove a deleted recording's audio");
        }
    }
}

/// Deletes one object of the configured store: a file of the local
/// store, else a DELETE to a signed URL (the stores only sign; see
/// `storage`). An object already gone is not an error.
async fn remove_object(
    storage: &Storage,
    http: &reqwest::Client,
    location: &Location,
) -> Result<(), RemoveError> {
    if let Location::Local { key } = location {
        return match tokio::fs::remove_file(storage.local_dir().join(key)).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        };
    }
    let signed = storage
        .sign(Method::DELETE, location, REMOVE_TTL)
        .await
        .map_err(RemoveError::Sign)?;
    let status = http.delete(signed.url).send().await?.status();
    if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
        Ok(())
    } else {
        Err(RemoveError::Refused(status))
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::oid::ObjectId;

    use super::*;
    use crate::features::recordings::service::blank;
    use crate::infra::config::Config;
    use crate::infra::storage::StorageConfig;
    use crate::infra::storage::StoreKind;

    fn storage(store: StoreKind, bucket: Option<&str>) -> Storage {
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.recordings = StorageConfig {
            store,
            bucket: bucket.map(str::to_string),
            ..StorageConfig::default()
        };
        Storage::from_config(&config)
    }

    fn recording(user: ObjectId, file_path: &str) -> Recording {
        blank(
            user,
            "r".into(),
            file_path.into(),
            crate::model::Number::node(1.0),
        )
    }

    #[test]
    fn owns_only_its_own_prefix_in_this_store() {
        let s3 = storage(StoreKind::S3, Some("ours"));
        let user = ObjectId::new();
        let mine = format!("s3://ours/recordings/{}/a.mp3", user.to_hex());
        let owned = owned_objects(&s3, &recording(user, &mine));
        assert_eq!(owned.len(), 1);
        assert_eq!(owned[0].names, vec![mine.clone(), mine.clone()]);

        let other_user = format!("s3://ours/recordings/{}/a.mp3", ObjectId::new().to_hex());
        for path in [
            other_user.as_str(),
            "s3://ours/recordings/a.mp3",
            "s3://theirs/recordings/x/a.mp3",
            "gs://heyway-voice-recordings/recording-1.mp3",
            "https://cdn.example.test/recordings/a.mp3",
            "local://recordings/a.mp3",
        ] {
            assert!(
                owned_objects(&s3, &recording(user, path)).is_empty(),
                "{path}"
            );
        }
        let with_prefix_lookalike = format!("s3://ours/recordings/{}x/a.mp3", user.to_hex());
        assert!(owned_objects(&s3, &recording(user, &with_prefix_lookalike)).is_empty());
    }

    #[test]
    fn names_each_object_once() {
        let local = storage(StoreKind::Local, None);
        let user = ObjectId::new();
        let path = format!("local://recordings/{}/a.mp3", user.to_hex());
        let mut both = recording(user, &path);
        both.signed_url = Some(path.clone());
        assert_eq!(owned_objects(&local, &both).len(), 1);
    }
}
