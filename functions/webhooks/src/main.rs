//! Lambda adapter for the webhooks Twilio and ElevenLabs call, behind a
//! function URL: state built once per process, the core's webhook app for
//! every invocation. The request context's domain name is handed to the
//! core as the public origin, for signatures when `WEBHOOK_BASE_URL` is
//! not set.

use heyway::app;
use heyway::features::webhooks::PublicOrigin;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use tower::ServiceExt;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let state = app::lambda_state().await?;
    let app = app::webhooks(state).map_request(with_public_origin);
    lambda_http::run(app).await
}

/// Inserts the [`PublicOrigin`] the request context names, if any.
fn with_public_origin(mut request: Request) -> Request {
    let domain = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.domain_name.clone(),
        _ => None,
    };
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        request
            .extensions_mut()
            .insert(PublicOrigin::https(&domain));
    }
    request
}
