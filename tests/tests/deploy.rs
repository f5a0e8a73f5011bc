//! The deployment pieces agree with the code: every documented route is
//! wired to a function in `template.yaml`, every function has a crate, and
//! every sample event reaches its function's router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use heyway::app;
use heyway::http::{ApiRouter, AppState};
use heyway_tests::TestApp;
use tower::ServiceExt;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn template() -> String {
    std::fs::read_to_string(format!("{ROOT}/template.yaml")).unwrap()
}

fn values_of(key: &str) -> Vec<String> {
    template()
        .lines()
        .filter_map(|line| line.trim().strip_prefix(key).map(|v| v.trim().to_string()))
        .collect()
}

#[test]
fn every_documented_route_has_a_function_event() {
    let event_paths = values_of("Path:");
    let api = app::openapi();
    for path in api.paths.paths.keys() {
        let covered = event_paths.iter().any(|event| {
            event == path
                || event
                    .strip_suffix("/{proxy+}")
                    .is_some_and(|prefix| path.starts_with(&format!("{prefix}/")))
        });
        assert!(covered, "{path} has no HttpApi event in template.yaml");
    }
}

#[test]
fn every_function_in_the_template_has_a_crate() {
    let binaries = values_of("Binary:");
    assert!(binaries.len() >= 7, "{binaries:?}");
    for binary in binaries {
        let main = format!("{ROOT}/functions/{binary}/src/main.rs");
        assert!(std::path::Path::new(&main).exists(), "{main} missing");
    }
}

/// The router each sample event is for, by file name prefix.
fn function_for(event: &str, state: AppState) -> axum::Router {
    let routes: fn() -> ApiRouter = match event.split('-').next().unwrap() {
        "health" => return app::meta(state),
        "webhooks" => return heyway::app::webhooks(state),
        "auth" => heyway::features::auth::routes,
        "me" => heyway::features::me::routes,
        // The contacts function also serves the do-not-call registry.
        "contacts" => {
            || heyway::features::contacts::routes().merge(heyway::features::do_not_call::routes())
        }
        "contact" => heyway::features::contact_lists::routes,
        "groups" => heyway::features::groups::routes,
        "feedback" => heyway::features::feedback::routes,
        "automations" => heyway::features::automations::routes,
        "scheduled" => heyway::features::scheduled_calls::routes,
        "calls" => heyway::features::calls::routes,
        "caller" => heyway::features::caller_ids::routes,
        "recordings" => heyway::features::recordings::routes,
        "billing" => heyway::features::billing::routes,
        other => panic!("no function for events/{other}"),
    };
    app::single(routes(), state)
}

#[tokio::test]
async fn every_sample_event_reaches_its_function() {
    let app = TestApp::new().await;
    let mut seen = 0;
    for entry in std::fs::read_dir(format!("{ROOT}/events")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let event = std::fs::read_to_string(&path).unwrap();
        if !event.contains("requestContext") {
            continue; // Not an HTTP event: the scheduled evaluator's input.
        }
        let request =
            lambda_http::request::from_str(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Body::from(body.to_vec()));
        let response = function_for(&name, app.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        // The sample tokens are placeholders: 401 proves the route matched.
        assert_ne!(
            response.status(),
            StatusCode::NOT_FOUND,
            "events/{name}.json matched no route"
        );
        assert!(
            !response.status().is_server_error(),
            "events/{name}.json: {}",
            response.status()
        );
        seen += 1;
    }
    assert!(seen >= 7);
}

#[test]
fn the_dialer_sample_event_is_an_sqs_batch_of_dial_jobs() {
    let text = std::fs::read_to_string(format!("{ROOT}/events/dialer.json")).unwrap();
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
    assert!(!event.records.is_empty());
    for record in event.records {
        let body = record.body.unwrap();
        heyway::infra::queue::DialJob::from_body(&body).unwrap();
        assert!(record.attributes.contains_key("ApproximateReceiveCount"));
    }
    assert!(
        template().contains("FunctionResponseTypes: [ReportBatchItemFailures]"),
        "the dialer reports partial batch failures"
    );
}

/// The settings that are secrets: they live in the Secrets Manager secret
/// named by `HEYWAY_SECRETS_ID`, never in the template.
const SECRET_SETTINGS: [&str; 10] = [
    "MONGODB_URI",
    "JWT_SECRET",
    "TWILIO_AUTH_TOKEN",
    "ELEVENLABS_API_KEY",
    "ELEVENLABS_WEBHOOK_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "APPLE_ISSUER_ID",
    "APPLE_KEY_ID",
    "APPLE_PRIVATE_KEY",
];

/// No secret reaches the template as a parameter rendered into an
/// environment variable; every function may read the one secret, and logs
/// to a group of its own (whose retention the template sets).
#[test]
fn secrets_stay_out_of_the_template_and_every_function_can_read_them() {
    let template = template();
    assert!(
        !template.contains("NoEcho"),
        "a secret is a template parameter again"
    );
    for setting in SECRET_SETTINGS {
        let key = format!("{setting}:");
        assert!(
            !template.lines().any(|line| line.trim().starts_with(&key)),
            "{setting} is an environment variable in template.yaml"
        );
    }
    assert!(template.contains("HEYWAY_SECRETS_ID: !Ref SecretsName"));
    let functions = values_of("Binary:").len();
    let count = |needle: &str| template.matches(needle).count();
    assert_eq!(
        count("- AWSSecretsManagerGetSecretValuePolicy:"),
        functions,
        "a function cannot read the secret"
    );
    assert_eq!(
        count("LoggingConfig:"),
        functions,
        "a function logs to a group the template does not make"
    );
}
