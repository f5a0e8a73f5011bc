//! Lambda adapter for /api/contacts and /api/contacts/*:
//! state built once per process, the core's
//! router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = app::lambda_state().await?;
    app::run_lambda(app::single(heyway::features::contacts::routes(), state)).await
}
