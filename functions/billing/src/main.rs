//! Lambda adapter for /api/billing/* and /api/usage: state built once per
//! process, the core's router for every invocation.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| app::single(heyway::features::billing::routes(), state)).await
}
