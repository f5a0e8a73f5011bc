//! `/api/openapi.json` documents every route, with schemas and errors.

use axum::http::{Method, StatusCode};
use heyway_tests::TestApp;
use serde_json::Value;

const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/health"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/phone/start"),
    ("post", "/api/auth/phone/verify"),
    ("get", "/api/me"),
    ("patch", "/api/me"),
    ("get", "/api/contacts"),
    ("post", "/api/contacts"),
    ("get", "/api/contacts/{id}"),
    ("patch", "/api/contacts/{id}"),
    ("delete", "/api/contacts/{id}"),
    ("post", "/api/contacts/import"),
    ("get", "/api/contact-lists"),
    ("post", "/api/contact-lists"),
    ("get", "/api/contact-lists/{id}"),
    ("patch", "/api/contact-lists/{id}"),
    ("delete", "/api/contact-lists/{id}"),
    ("post", "/api/contact-lists/{id}/contacts"),
    ("delete", "/api/contact-lists/{id}/contacts"),
    ("get", "/api/groups"),
    ("post", "/api/groups"),
    ("get", "/api/groups/{id}"),
    ("patch", "/api/groups/{id}"),
    ("delete", "/api/groups/{id}"),
    ("post", "/api/groups/{id}/calls"),
    ("delete", "/api/groups/{id}/calls"),
    ("post", "/api/feedback"),
    ("get", "/api/automations"),
    ("post", "/api/automations"),
    ("get", "/api/automations/{id}"),
    ("patch", "/api/automations/{id}"),
    ("delete", "/api/automations/{id}"),
    ("post", "/api/automations/{id}/activate"),
    ("post", "/api/automations/{id}/pause"),
    ("get", "/api/automations/{id}/preview"),
    ("get", "/api/scheduled-calls"),
    ("post", "/api/scheduled-calls"),
    ("delete", "/api/scheduled-calls/{id}"),
    ("get", "/api/calls"),
    ("get", "/api/caller-ids"),
    ("post", "/api/caller-ids"),
    ("delete", "/api/caller-ids/{phone}"),
    ("post", "/api/caller-ids/{phone}/refresh"),
    ("post", "/api/calls"),
    ("get", "/api/calls/stats"),
    ("get", "/api/calls/{id}"),
    ("patch", "/api/calls/{id}"),
    ("get", "/api/recordings"),
    ("post", "/api/recordings"),
    ("post", "/api/recordings/upload-url"),
    ("post", "/api/recordings/tts"),
    ("get", "/api/recordings/{id}"),
    ("delete", "/api/recordings/{id}"),
    ("get", "/api/billing/subscription"),
    ("post", "/api/billing/checkout"),
    ("post", "/api/billing/portal"),
    ("get", "/api/usage"),
    ("post", "/api/subscriptions/apple"),
    ("get", "/api/do-not-call"),
    ("post", "/api/do-not-call"),
    ("delete", "/api/do-not-call/{phoneNumber}"),
];

#[tokio::test]
async fn the_document_covers_every_route_with_schemas_and_errors() {
    let app = TestApp::new().await;
    let (status, doc) = app.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    for (method, path) in OPERATIONS {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|code| code.starts_with('2')),
            "{method} {path}: no success response"
        );
        if *path != "/api/health" {
            let error = responses
                .iter()
                .find(|(code, _)| code.starts_with('4'))
                .unwrap_or_else(|| panic!("{method} {path}: no error response"));
            let schema = &error.1["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path}");
        }
        let public = path.starts_with("/api/auth") || *path == "/api/health";
        assert_eq!(
            operation["security"].is_array(),
            !public,
            "{method} {path}: security"
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        OPERATIONS.len(),
        "undocumented or unexpected operations"
    );
}

/// Every `$ref` in the document names a schema it defines.
#[tokio::test]
async fn every_reference_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let app = TestApp::new().await;
    let (_, doc) = app.send(Method::GET, "/api/openapi.json", None, None).await;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} is not defined"
        );
    }
}

/// The health function serves the committed document (so it need not link
/// every feature to generate it): it must be what the code generates.
#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = serde_json::to_string_pretty(&heyway::app::openapi()).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    assert!(
        heyway::app::OPENAPI_JSON == generated,
        "shared/openapi.json is stale: UPDATE_OPENAPI=1 cargo test -p heyway-tests --test e2e openapi::the_committed"
    );
}
