//! Lambda adapter for /api/contacts, /api/contacts/* and the do-not-call
//! registry (/api/do-not-call, /api/do-not-call/*): state built on the
//! first event, the core's router for every invocation.

use heyway::app;
use heyway::features::{contacts, do_not_call};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(|state| app::single(contacts::routes().merge(do_not_call::routes()), state))
        .await
}
