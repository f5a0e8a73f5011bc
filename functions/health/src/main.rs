//! Lambda adapter for GET /api/health and /api/openapi.json (the
//! `/api/docs` page is `heyway serve`'s only): state built on the first
//! event, the core's router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(app::meta).await
}
