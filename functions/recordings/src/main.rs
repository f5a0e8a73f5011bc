//! Lambda adapter for /api/recordings and /api/recordings/*:
//! state built on the first event, the core's
//! router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| app::single(heyway::features::recordings::routes(), state)).await
}
