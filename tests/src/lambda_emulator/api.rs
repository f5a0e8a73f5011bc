//! The Runtime API's routes, answered as Lambda answers them
//! (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): `next` blocks
//! until an event is queued and hands it out with the invocation headers
//! `lambda_runtime` reads (it refuses an event without a deadline or a
//! function ARN); answers and errors are accepted with 202, and one for a
//! request id that is not out gets 400 `InvalidRequestID`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{InvocationError, Outcome, Queued, Shared};

/// The ARN every event says it invoked.
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:emulated";
/// Lambda's longest timeout: no event here should come near it.
const TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Lambda's limit on a synchronous response.
const BODY_LIMIT: usize = 6 * 1024 * 1024;
const ERROR_TYPE: &str = "lambda-runtime-function-error-type";

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// Records the first poll (init is over), then waits for an event.
async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let arrived = Instant::now();
    shared.first_next.send_if_modified(|first| {
        let unset = first.is_none();
        if unset {
            *first = Some(arrived);
        }
        unset
    });
    let queued = shared.next.lock().await.recv().await;
    let Some(Queued { id, event }) = queued else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the emulator is stopping",
        )
            .into_response();
    };
    if let Some(open) = shared.open_events().get_mut(&id) {
        open.handed_out = Some(Instant::now());
    }
    let deadline = (SystemTime::now() + TIMEOUT)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let trace = format!(
        "Root=1-00000000-{:0>24};Parent=0000000000000001;Sampled=0",
        id.replace('-', "").get(8..).unwrap_or_default()
    );
    let headers = [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            FUNCTION_ARN.to_string(),
        ),
        ("lambda-runtime-trace-id", trace),
        ("content-type", "application/json".to_string()),
    ];
    (headers, event).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    finish(&shared, &id, Ok(body))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let error_type = headers
        .get(ERROR_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    finish(&shared, &id, Err(InvocationError { error_type, body }))
}

/// Hands the answer to whoever waits for event `id`.
fn finish(
    shared: &Shared,
    id: &str,
    result: Result<Bytes, InvocationError>,
) -> (StatusCode, Json<Value>) {
    let answered = Instant::now();
    let open = {
        let mut open = shared.open_events();
        match open.get(id).and_then(|event| event.handed_out) {
            Some(handed_out) => open.remove(id).map(|event| (handed_out, event.answer)),
            None => None,
        }
    };
    let Some((handed_out, answer)) = open else {
        let body =
            json!({ "errorMessage": format!("{id} is not out"), "errorType": "InvalidRequestID" });
        return (StatusCode::BAD_REQUEST, Json(body));
    };
    let _ = answer.send(Outcome {
        handed_out,
        answered,
        result,
    });
    (StatusCode::ACCEPTED, Json(json!({ "status": "OK" })))
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let error_type = headers.get(ERROR_TYPE).and_then(|v| v.to_str().ok());
    shared
        .init_error
        .send_replace(Some(json!({ "errorType": error_type, "body": body })));
    (StatusCode::ACCEPTED, Json(json!({ "status": "OK" })))
}
