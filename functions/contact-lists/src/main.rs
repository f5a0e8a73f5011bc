//! Lambda adapter for /api/contact-lists and /api/contact-lists/*:
//! state built once per process, the core's
//! router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = app::lambda_state().await?;
    app::run_lambda(app::single(
        heyway::features::contact_lists::routes(),
        state,
    ))
    .await
}
