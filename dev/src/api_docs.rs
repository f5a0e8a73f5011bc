//! `/api/docs`: the API reference in a browser, from this binary alone.
//!
//! The page renders `/api/openapi.json` with Redoc's standalone build,
//! vendored in `dev/assets/redoc/` (npm package `redoc`, pinned; MIT, its
//! licence and the notices of what it bundles beside it; refreshed by
//! `scripts/update-redoc`, which also points the one image Redoc took
//! from its CDN, the sidebar's logo, at an empty `data:` URL). Nothing
//! is fetched from another origin, so the page works offline, and its
//! `Content-Security-Policy` lets the browser load nothing from
//! elsewhere.
//!
//! Only `heyway serve` serves it: the bundle is 1.1 MB, too much for the
//! health Lambda's size budget, and the deployed API answers
//! `/api/openapi.json` for any OpenAPI viewer.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// Where the page is served.
pub const PAGE_PATH: &str = "/api/docs";
/// Where the vendored script is served.
pub const SCRIPT_PATH: &str = "/api/docs/redoc.standalone.js";
/// Where the notices of what the script bundles are served (the script's
/// first line points there).
pub const NOTICES_PATH: &str = "/api/docs/redoc.standalone.js.LICENSE.txt";
/// Where Redoc's own licence is served.
pub const LICENSE_PATH: &str = "/api/docs/LICENSE";

/// Redoc's standalone build, as vendored.
pub const REDOC_JS: &str = include_str!("../assets/redoc/redoc.standalone.js");
/// The vendored Redoc version.
pub const REDOC_VERSION: &str = include_str!("../assets/redoc/VERSION");
const REDOC_NOTICES: &str = include_str!("../assets/redoc/redoc.standalone.js.LICENSE.txt");
const REDOC_LICENSE: &str = include_str!("../assets/redoc/LICENSE");

/// What the page may load: this origin only. Redoc compiles schemas with
/// `new Function` (`'unsafe-eval'`), styles itself with inline `<style>`
/// (`'unsafe-inline'`) and runs its search index in a worker.
pub const CONTENT_SECURITY: &str = "default-src 'none'; script-src 'self' 'unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <title>HeyWay API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <redoc spec-url="/api/openapi.json"></redoc>
    <script src="/api/docs/redoc.standalone.js"></script>
    <noscript>The raw document is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
  </body>
</html>
"#;

/// The page and its assets, for merging into `heyway serve`'s app.
pub fn router() -> Router {
    Router::new()
        .route(
            PAGE_PATH,
            get(|| async {
                (
                    [
                        (CONTENT_TYPE, "text/html; charset=utf-8"),
                        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY),
                    ],
                    PAGE,
                )
            }),
        )
        .route(
            SCRIPT_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", REDOC_JS) }),
        )
        .route(
            NOTICES_PATH,
            get(|| async { asset("text/plain; charset=utf-8", REDOC_NOTICES) }),
        )
        .route(
            LICENSE_PATH,
            get(|| async { asset("text/plain; charset=utf-8", REDOC_LICENSE) }),
        )
}

/// A vendored file; it changes only with the binary, so browsers may keep
/// it a day.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, String) {
        let response = router()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_page_loads_the_vendored_script_from_this_server() {
        let (status, page) = get(PAGE_PATH).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!(r#"<script src="{SCRIPT_PATH}">"#)),
            "{page}"
        );
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
        let (status, script) = get(SCRIPT_PATH).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(script, REDOC_JS);
    }

    #[test]
    fn the_vendored_files_are_the_ones_recorded() {
        use sha2::{Digest, Sha256};
        // `scripts/update-redoc` wrote SHA256SUMS from npm's tarball; the
        // licence files travel with the script.
        let sums = include_str!("../assets/redoc/SHA256SUMS");
        for (name, body) in [
            ("redoc.standalone.js", REDOC_JS),
            ("redoc.standalone.js.LICENSE.txt", REDOC_NOTICES),
            ("LICENSE", REDOC_LICENSE),
        ] {
            let line = format!("{}  {name}", hex::encode(Sha256::digest(body)));
            assert!(
                sums.lines().any(|l| l == line),
                "{name} differs from SHA256SUMS"
            );
        }
        assert!(REDOC_LICENSE.contains("MIT License"));
        assert!(REDOC_JS.starts_with(
            "/*! For license information please see redoc.standalone.js.LICENSE.txt */"
        ));
        assert_eq!(
            REDOC_VERSION.trim().split('.').count(),
            3,
            "{REDOC_VERSION}"
        );
    }

    #[test]
    fn the_script_loads_nothing_from_another_origin() {
        // The bundle names many URLs (XML namespaces, JSON Schema ids,
        // links in error messages); none may be something it loads.
        for load in [
            "src:\"http",
            "src=\"http",
            "src='http",
            "url(http",
            "url(\"http",
            "url('http",
            "@import \"http",
            "@import url(",
            "fetch(\"http",
            "importScripts(\"http",
        ] {
            assert!(!REDOC_JS.contains(load), "the script loads {load}…");
        }
        assert!(!REDOC_JS.contains("cdn.redoc.ly"));
    }
}
