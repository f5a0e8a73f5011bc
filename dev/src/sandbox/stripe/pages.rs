//! The sandbox's HTML: a plain frame (no script or style, every value
//! escaped) that says nothing is charged, the 303 that sends the browser
//! on, and the landing pages `heyway serve` returns the browser to when no
//! `STRIPE_SUCCESS_URL`, `STRIPE_CANCEL_URL` or `STRIPE_PORTAL_RETURN_URL`
//! is configured: `GET /pages/{success|canceled|returned}`.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use heyway::integrations::twilio::twiml::escape;

/// The query of the sandbox's pages.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
}

/// A page: `title`, the sandbox's notice, then `body` (HTML whose values
/// the caller escaped).
pub(super) fn render(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title} · Stripe sandbox</title></head>\n\
         <body><p><strong>Stripe sandbox</strong>: nothing here is charged.</p>\n<h1>{title}</h1>\n{body}\n</body></html>\n"
    );
    (status, Html(html)).into_response()
}

/// 303 to `url`; a link page when it cannot be a header.
pub(super) fn see_other(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => render(
            StatusCode::OK,
            "Continue",
            &format!("<p><a href=\"{0}\">{0}</a></p>", escape(url)),
        ),
    }
}

pub(super) async fn landing(Path(name): Path<String>, Query(query): Query<PageQuery>) -> Response {
    let api = "<p>The application has the change already: \
               <code>GET /api/billing/subscription</code> shows the plan.</p>";
    match name.as_str() {
        "success" => {
            let session = query
                .session_id
                .map(|id| {
                    format!(
                        "<p>Checkout Session <code>{}</code> is paid.</p>",
                        escape(&id)
                    )
                })
                .unwrap_or_default();
            render(StatusCode::OK, "Subscribed", &format!("{session}{api}"))
        }
        "canceled" => render(
            StatusCode::OK,
            "Checkout canceled",
            "<p>You left checkout; nothing was paid.</p>",
        ),
        "returned" => render(StatusCode::OK, "Back from the billing portal", api),
        _ => render(
            StatusCode::NOT_FOUND,
            "No such page",
            "<p>The sandbox's pages are success, canceled and returned.</p>",
        ),
    }
}
