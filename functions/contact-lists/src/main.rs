//! Lambda adapter for /api/contact-lists and /api/contact-lists/*:
//! state built on the first event, the core's
//! router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| app::single(heyway::features::contact_lists::routes(), state)).await
}
