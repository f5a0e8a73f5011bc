//! Doing a request once per `Idempotency-Key`.
//!
//! The first request with a key claims it atomically (an insert under the
//! unique `(userId, key)` index), runs, and stores its answer. A request
//! that finds the key taken:
//!
//! - with another body (or route): 422 naming `Idempotency-Key`;
//! - answered: gets that answer again, byte for byte, with
//!   `Idempotent-Replayed: true`, and nothing runs;
//! - still running: waits for the answer, polling, up to [`WAIT`]; then
//!   409 "a request with this key is in progress". Waiting rather than
//!   answering 409 at once gives a double-click or a client's quick retry
//!   the real answer;
//! - claimed more than [`LEASE`] ago and never answered (its process
//!   died): takes the claim over and runs.
//!
//! A request that fails (any error) did nothing (errors never leave a
//! half-written record), so its claim is released rather than kept: a
//! retry runs again and, the request being the same, meets the same
//! error, or succeeds once the cause is gone. Keys are kept 24 hours
//! ([`IDEMPOTENCY_KEY_SECS`]); an older one counts as unused.

use std::future::Future;
use std::time::{Duration as StdDuration, Instant};

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use mongodb::bson::oid::ObjectId;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::repo::{self, StoredKey};
use crate::error::{Error, Result};
use crate::http::idempotency_key::{IdempotencyKey, HEADER};
use crate::infra::db::Db;
use crate::infra::indexes::IDEMPOTENCY_KEY_SECS;

/// How long a retry waits for the answer of the request holding its key.
pub const WAIT: StdDuration = StdDuration::from_secs(10);
/// A claim this old without an answer was abandoned (its process died):
/// longer than any Lambda serving these routes may run.
pub const LEASE: Duration = Duration::seconds(60);
/// The first pause between polls; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: StdDuration = StdDuration::from_millis(20);
const MAX_PAUSE: StdDuration = StdDuration::from_millis(250);

/// The header a replayed answer carries.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// What a request answered: its status and its JSON text, exactly as
/// sent the first time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    /// Answered from the stored answer of an earlier request.
    pub replayed: bool,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let json = HeaderValue::from_static("application/json");
        let mut response = (self.status, [(CONTENT_TYPE, json)], self.body).into_response();
        if self.replayed {
            let replayed = HeaderValue::from_static("true");
            response.headers_mut().insert(REPLAYED_HEADER, replayed);
        }
        response
    }
}

/// One request that may carry a key: whose, which route, with what body.
pub struct Request<'a, B> {
    pub user_id: ObjectId,
    pub key: IdempotencyKey,
    /// `POST /api/calls`: a key reused on another route is another request.
    pub route: &'static str,
    /// The request's parsed body; its JSON is the request's fingerprint.
    pub body: &'a B,
}

/// Runs `run` for `request` once per key (see the module's comment);
/// without a key, simply runs it. `run` answers a status and a JSON body.
pub async fn once<B, T, F, Fut>(db: &Db, request: Request<'_, B>, run: F) -> Result<Answer>
where
    B: Serialize,
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, T)>>,
{
    let Some(key) = request.key.0.as_deref() else {
        let (status, value) = run().await?;
        return answer(status, &value);
    };
    let user_id = request.user_id;
    let fingerprint = fingerprint(request.route, request.body)?;
    let token = match claim_or_wait(db, user_id, key, &fingerprint).await? {
        Turn::Run(token) => token,
        Turn::Replay(answer) => return Ok(answer),
    };
    match run().await {
        Ok((status, value)) => {
            let answer = answer(status, &value)?;
            let stored =
                repo::complete(db, user_id, key, token, status.as_u16(), &answer.body).await;
            match stored {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(%user_id, "idempotency claim lost before its answer was stored")
                }
                // Done, and answered: an error now would invite a retry that
                // does it again (a call would meet the open-call rule).
                Err(error) => {
                    tracing::error!(%user_id, %error, "could not store an idempotent answer")
                }
            }
            Ok(answer)
        }
        Err(error) => {
            if let Err(release) = repo::release(db, user_id, key, token).await {
                tracing::error!(%user_id, error = %release, "could not release an idempotency key; it frees itself after the lease");
            }
            Err(error)
        }
    }
}

/// `value` as the JSON answer sent with `status`.
fn answer<T: Serialize>(status: StatusCode, value: &T) -> Result<Answer> {
    let body = serde_json::to_string(value)
        .map_err(|error| Error::Internal(format!("could not encode an answer: {error}")))?;
    Ok(Answer {
        status,
        body,
        replayed: false,
    })
}

/// What a request is, for comparing a retry with the first: a SHA-256 of
/// the route and the parsed body's JSON (field order fixed by its type).
pub fn fingerprint<B: Serialize>(route: &str, body: &B) -> Result<String> {
    let json = serde_json::to_vec(body)
        .map_err(|error| Error::Internal(format!("could not encode a request: {error}")))?;
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(&json);
    Ok(hex::encode(hash.finalize()))
}

/// What the request holding a key lets this one do.
enum Turn {
    /// Run: this request holds the key with this token.
    Run(ObjectId),
    /// Answer this: the key's request already did.
    Replay(Answer),
}

/// What to do about a key held by a request, as it now is.
enum Held {
    Decided(Turn),
    /// Gone, expired, or taken over by another: claim again.
    ClaimAgain,
    /// Its request is still running: look again after a pause.
    Running,
}

/// Claims `key` or waits for the answer of the request that holds it.
async fn claim_or_wait(db: &Db, user_id: ObjectId, key: &str, fingerprint: &str) -> Result<Turn> {
    let deadline = Instant::now() + WAIT;
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(token) = repo::claim(db, user_id, key, fingerprint, Utc::now()).await? {
            return Ok(Turn::Run(token));
        }
        loop {
            let held = repo::find(db, user_id, key).await?;
            match inspect(db, held, fingerprint).await? {
                Held::Decided(turn) => return Ok(turn),
                Held::ClaimAgain => break,
                Held::Running => {}
            }
            if Instant::now() >= deadline {
                return Err(Error::Conflict {
                    field: Some(HEADER.into()),
                    message: "a request with this key is in progress; retry later".into(),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }
}

/// Decides about the key document `held` (`None`: removed meanwhile).
async fn inspect(db: &Db, held: Option<StoredKey>, fingerprint: &str) -> Result<Held> {
    let Some(held) = held else {
        return Ok(Held::ClaimAgain);
    };
    let now = Utc::now();
    let cutoff = now - Duration::seconds(IDEMPOTENCY_KEY_SECS as i64);
    if held.created_at.to_chrono() <= cutoff {
        repo::forget_expired(db, held.id, cutoff).await?;
        return Ok(Held::ClaimAgain);
    }
    if held.fingerprint != fingerprint {
        return Err(Error::validation(
            HEADER,
            "this Idempotency-Key was used with another request; use a new key for a new request",
        ));
    }
    if let Some((status, body)) = held.answer() {
        let status = StatusCode::from_u16(status)
            .map_err(|_| Error::Internal(format!("stored answer has status {status}")))?;
        return Ok(Held::Decided(Turn::Replay(Answer {
            status,
            body: body.to_string(),
            replayed: true,
        })));
    }
    if held.claimed_at.to_chrono() < now - LEASE {
        return Ok(match repo::take_over(db, held.id, held.token, now).await? {
            Some(token) => Held::Decided(Turn::Run(token)),
            None => Held::ClaimAgain,
        });
    }
    Ok(Held::Running)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_fingerprint_is_the_route_and_the_body() {
        let body = json!({ "contactId": "a" });
        let same = fingerprint("POST /api/calls", &body).unwrap();
        assert_eq!(
            same,
            fingerprint("POST /api/calls", &json!({ "contactId": "a" })).unwrap()
        );
        assert_eq!(same.len(), 64);
        assert_ne!(
            same,
            fingerprint("POST /api/calls", &json!({ "contactId": "b" })).unwrap()
        );
        assert_ne!(
            same,
            fingerprint("POST /api/scheduled-calls", &body).unwrap()
        );
    }

    #[test]
    fn a_replayed_answer_says_so() {
        let answer = Answer {
            status: StatusCode::ACCEPTED,
            body: "{\"id\":\"x\"}".into(),
            replayed: true,
        };
        let response = answer.into_response();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(response.headers()[REPLAYED_HEADER], "true");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }
}
