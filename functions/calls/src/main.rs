//! Lambda adapter for /api/calls and /api/calls/*: state built once per
//! process (with the SQS dial queue from `DIAL_QUEUE_URL`, so a call placed
//! now is sent at once), the core's router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| app::single(heyway::features::calls::routes(), state)).await
}
