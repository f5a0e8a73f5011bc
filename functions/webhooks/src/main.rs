//! Lambda adapter for the webhooks Twilio and ElevenLabs call, behind a
//! function URL: state built on the first event, the core's webhook app for
//! every invocation. `app::run_lambda` hands the request context's domain
//! name to the core as the public origin, for signatures when
//! `WEBHOOK_BASE_URL` is not set.

use heyway::app;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    app::run_lambda(app::webhooks).await
}
