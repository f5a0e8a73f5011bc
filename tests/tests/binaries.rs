//! Every function binary, run as Lambda runs it: built with `cargo build`
//! (debug), started in a clean environment against the in-repo Runtime API
//! emulator, with the settings `template.yaml` gives it, on the harness's
//! SecantusDB and moto. Each answers its sample events from `events/` with
//! the status its routes give (a real token for the token placeholder, real
//! signatures on the webhooks), and refuses the same events as they are
//! (placeholder token or signature). The deploy test routes the events
//! through the routers; this one goes through the binaries' `main`s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use futures_util::{stream, StreamExt};
use heyway_tests::lambda_emulator::process::cold_start;
use heyway_tests::lambda_emulator::Outcome;
use heyway_tests::lambdas::env::FunctionEnv;
use heyway_tests::lambdas::events::{sample_events, SampleEvent};
use heyway_tests::lambdas::fixture::{sample_owner, CONTACT_NAME, OWNER_NAME};
use heyway_tests::lambdas::{build, function_packages, HELLO};
use heyway_tests::{server_uri, TestApp};
use serde_json::{json, Value};

/// Every function binary and the hello-world one, built once per run.
fn binaries() -> &'static BTreeMap<String, PathBuf> {
    static BUILT: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut packages = function_packages();
        packages.push(HELLO.to_string());
        build::build("dev", &packages).unwrap_or_else(|error| panic!("{error}"))
    })
}

/// What an answer must be.
#[derive(Clone, Debug)]
enum Expect {
    /// An API Gateway response with this status (and, when given, this
    /// string somewhere in its body).
    Http(u16, Option<&'static str>),
    /// An API Gateway response with a 5xx status and a JSON body.
    ServerError,
    /// The dialer's batch response failing exactly these message ids.
    BatchFailures(Vec<String>),
    /// The evaluator's pass report.
    PassReport,
    /// The batch refused, not crashed on: an invocation error, or a batch
    /// response failing all of these message ids.
    Failed(Vec<String>),
    /// An invocation error (the function reported it; it did not crash).
    InvocationError,
}

/// One event for a binary and what it must answer.
struct Case {
    label: String,
    event: Value,
    expect: Expect,
}

/// The status each sample event gets once it carries a real token or
/// signature, and a string its body must hold.
fn expected(name: &str) -> (u16, Option<&'static str>) {
    match name {
        "auth-login" => (200, Some("\"token\"")),
        "feedback-post" => (201, None),
        "contacts-list" => (200, Some(CONTACT_NAME)),
        "me-get" => (200, Some(OWNER_NAME)),
        "health" => (200, Some("\"up\"")),
        // Ids no fresh database has: signature checked, then looked up.
        "webhooks-elevenlabs" | "webhooks-twilio-status" | "webhooks-twilio-voice" => {
            (404, Some("call not found"))
        }
        "webhooks-twilio-caller-id" => (404, Some("user not found")),
        // A number no business has: Twilio is told to hang up, politely.
        "webhooks-twilio-inbound" => (200, Some("<Hangup")),
        "webhooks-stripe" => (200, None),
        _ => (200, None),
    }
}

/// The cases of one function: each of its sample events answerable, and
/// as it is when it has a placeholder (refused).
fn cases(events: &[&SampleEvent], token: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    for sample in events {
        let name = &sample.name;
        match sample.function {
            "dialer" => cases.push(dialer_case(sample)),
            "automation-evaluator" => cases.push(Case {
                label: name.clone(),
                event: sample.event.clone(),
                expect: Expect::PassReport,
            }),
            _ => {
                let (status, holds) = expected(name);
                cases.push(Case {
                    label: name.clone(),
                    event: sample.answerable(token),
                    expect: Expect::Http(status, holds),
                });
                let refused = if sample.needs_token() {
                    Some(401)
                } else if sample.function == "webhooks" {
                    Some(403)
                } else {
                    None
                };
                if let Some(status) = refused {
                    cases.push(Case {
                        label: format!("{name} as it is"),
                        event: sample.event.clone(),
                        expect: Expect::Http(status, Some("\"error\"")),
                    });
                }
            }
        }
    }
    cases
}

/// The dialer's sample batch plus an unreadable message: the sample job
/// (no such scheduled call) is done with, the unreadable one is failed
/// back to the queue.
fn dialer_case(sample: &SampleEvent) -> Case {
    let mut event = sample.event.clone();
    let mut unreadable = event["Records"][0].clone();
    unreadable["messageId"] = json!("0f5a3b1e-5c57-4b1e-9d4e-0000000000ff");
    unreadable["body"] = json!("not a dial job");
    if let Some(records) = event["Records"].as_array_mut() {
        records.push(unreadable);
    }
    Case {
        label: sample.name.clone(),
        event,
        expect: Expect::BatchFailures(vec!["0f5a3b1e-5c57-4b1e-9d4e-0000000000ff".into()]),
    }
}

/// Why `outcome` is not what `expect` asks, if it is not.
fn mismatch(expect: &Expect, outcome: &Outcome) -> Option<String> {
    let answer = outcome.json();
    let status = answer["statusCode"].as_u64().unwrap_or_default();
    let body = answer["body"].as_str().unwrap_or_default();
    let wrong = match (expect, &outcome.result) {
        (Expect::Failed(_) | Expect::InvocationError, Err(_)) => None,
        (Expect::InvocationError, Ok(_)) => Some("want an invocation error".to_string()),
        (_, Err(error)) => Some(format!("an error {error:?}")),
        (Expect::Http(want, holds), Ok(_)) => (status != u64::from(*want)
            || holds.is_some_and(|h| !body.contains(h)))
        .then(|| format!("want {want} holding {holds:?}")),
        (Expect::ServerError, Ok(_)) => {
            let json = serde_json::from_str::<Value>(body).is_ok_and(|b| b.is_object());
            (!(500..600).contains(&status) || !json).then(|| "want a JSON 5xx".to_string())
        }
        (Expect::BatchFailures(ids) | Expect::Failed(ids), Ok(_)) => {
            let failed: Vec<&str> = (answer["batchItemFailures"].as_array().into_iter())
                .flatten()
                .filter_map(|f| f["itemIdentifier"].as_str())
                .collect();
            (failed != *ids).then(|| format!("want failures {ids:?}"))
        }
        (Expect::PassReport, Ok(_)) => (!answer["automations"].is_u64()
            || !answer["recorded"].is_u64())
        .then(|| "want a pass report".to_string()),
    };
    wrong.map(|why| format!("{why}, got {answer}"))
}

/// Runs `function` cold with `cases` queued; answers what went wrong.
async fn run(function: &str, cases: Vec<Case>, env: &FunctionEnv) -> Vec<String> {
    let events: Vec<Value> = cases.iter().map(|case| case.event.clone()).collect();
    let binary = &binaries()[function];
    let run = match cold_start(binary, function, &env.for_function(function), &events).await {
        Ok(run) => run,
        Err(error) => return vec![format!("{function}: {error}")],
    };
    let wrong: Vec<String> = cases
        .iter()
        .zip(&run.outcomes)
        .filter_map(|(case, outcome)| {
            let why = mismatch(&case.expect, outcome)?;
            Some(format!("{function} / {}: {why}", case.label))
        })
        .collect();
    if wrong.is_empty() {
        return wrong;
    }
    vec![format!(
        "{}\n{function}'s output:\n{}",
        wrong.join("\n"),
        run.output
    )]
}

#[tokio::test]
async fn hello_world_answers_through_the_emulator() {
    let event = json!({"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": {},
        "requestContext": {"http": {"method": "GET", "path": "/"}}, "isBase64Encoded": false});
    let run = cold_start(&binaries()[HELLO], HELLO, &[], &[event.clone(), event])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(run.init.as_nanos() > 0);
    assert_eq!(run.outcomes.len(), 2, "a warm second event too");
    for outcome in &run.outcomes {
        let answer = outcome.json();
        assert_eq!(answer["statusCode"], 200, "{answer}");
        assert_eq!(answer["body"], "hello", "{answer}");
        assert!(outcome.answered >= outcome.handed_out);
    }
}

#[tokio::test]
async fn every_function_binary_answers_its_sample_events() {
    binaries();
    let app = TestApp::new().await;
    let token = sample_owner(&app).await;
    let env = FunctionEnv::new(server_uri().await, app.db.database().name()).await;
    let wrong = run_every_function(&env, |function, events| {
        assert!(
            !events.is_empty(),
            "functions/{function} has no sample event in events/"
        );
        cases(events, &token)
    })
    .await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Runs each function binary with the cases `cases` makes of its sample
/// events, four functions at once; answers every mismatch.
async fn run_every_function(
    env: &FunctionEnv,
    cases: impl Fn(&str, &[&SampleEvent]) -> Vec<Case>,
) -> Vec<String> {
    let samples = sample_events();
    let functions = function_packages();
    let runs = functions.iter().map(|function| {
        let events: Vec<&SampleEvent> =
            samples.iter().filter(|s| s.function == *function).collect();
        run(function, cases(function, &events), env)
    });
    stream::iter(runs)
        .buffer_unordered(4)
        .flat_map(stream::iter)
        .collect()
        .await
}

/// Where no database answers: the SRV lookup of a name that cannot exist.
const UNREACHABLE: &str = "mongodb+srv://nobody.invalid/x";

/// The cases of one function whose database is unreachable: every sample
/// event made answerable, so each needs the database.
fn unreachable_cases(events: &[&SampleEvent], token: &str) -> Vec<Case> {
    events
        .iter()
        .map(|sample| {
            let expect = match sample.function {
                "dialer" => Expect::Failed(message_ids(&sample.event)),
                "automation-evaluator" => Expect::InvocationError,
                _ => Expect::ServerError,
            };
            Case {
                label: sample.name.clone(),
                event: sample.answerable(token),
                expect,
            }
        })
        .collect()
}

fn message_ids(batch: &Value) -> Vec<String> {
    (batch["Records"].as_array().into_iter())
        .flatten()
        .filter_map(|record| record["messageId"].as_str().map(str::to_string))
        .collect()
}

/// Issue 13's lazy init: nothing before the first event but reading the
/// configuration. So a function whose database cannot even be resolved
/// still reaches its first `next` and answers each event with a JSON 5xx
/// (the workers: an invocation error, or their whole batch failed back)
/// instead of exiting at init. Fails while init builds the database
/// client (and the SQS clients) eagerly.
#[tokio::test]
async fn a_function_whose_database_is_unreachable_starts_and_answers_5xx() {
    binaries();
    let app = TestApp::new().await;
    let token = app.user("Dana Example").await.token;
    let env = FunctionEnv::new(UNREACHABLE, "heyway").await;
    let wrong = run_every_function(&env, |_, events| unreachable_cases(events, &token)).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
