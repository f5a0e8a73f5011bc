//! Lambda adapter for /api/billing/*, /api/usage and
//! /api/subscriptions/apple: state built once per process, the core's
//! router for every invocation.

use heyway::app;
use heyway::features::{apple_subscriptions, billing};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| {
        app::single(
            billing::routes().merge(apple_subscriptions::routes()),
            state,
        )
    })
    .await
}
