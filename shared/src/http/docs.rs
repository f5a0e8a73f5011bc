//! A page for reading the OpenAPI document in a browser.

use axum::response::Html;

const PAGE: &str = r#"<!doctype html>
<html>
  <head>
    <title>HeyWay API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <redoc spec-url="/api/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
    <noscript>The raw document is at <a href="/api/openapi.json">/api/openapi.json</a>.</noscript>
  </body>
</html>
"#;

pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}
