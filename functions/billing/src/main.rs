//! Lambda adapter for /api/billing/* and /api/usage: state built once per
//! process, the core's router for every invocation.

use heyway::http;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = http::lambda_state().await?;
    lambda_http::run(http::single(heyway::billing::routes(), state)).await
}
