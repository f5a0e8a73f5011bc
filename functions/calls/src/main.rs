//! Lambda adapter for /api/calls and /api/calls/*: state built once per
//! process (with the SQS dial queue from `DIAL_QUEUE_URL`, so a call placed
//! now is sent at once), the core's router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = app::lambda_state().await?;
    app::run_lambda(app::single(heyway::features::calls::routes(), state)).await
}
