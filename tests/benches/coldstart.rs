//! Cold starts of the function binaries, as Lambda starts them: each
//! binary is built by itself with `cargo build --profile <P> -p <name>` (as
//! `sam build` builds each function: its own features, not the union of
//! all the functions'), then started
//! `COLDSTART_RUNS` times (default 15) against the in-repo Runtime API
//! emulator with its first sample event from `events/` already queued
//! (made answerable: a real token, real signatures), in a clean environment
//! with the settings `template.yaml` gives it, on SecantusDB and moto.
//!
//! Init is the spawn to the first `GET /runtime/invocation/next`; the first
//! invocation is the event handed out to its answer. Prints the medians
//! next to a hello-world `lambda_http` binary built with the same profile
//! and started in the same rounds, and the ratio of the inits. Runs go
//! round-robin over the binaries, so a change in the machine's load falls
//! on all of them alike, and the sign-in rate limits are cleared before each
//! (the sample login would be refused after ten). The answer column lists
//! every distinct answer the runs got. No assertions: figures only.
//!
//! `cargo bench -p heyway-tests --bench coldstart`. `COLDSTART_PROFILE`
//! picks the profile (default `release`), `COLDSTART_ONLY=health,contacts`
//! some functions; `CARGO_TARGET_DIR` is honoured.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use heyway_tests::bench::percentile;
use heyway_tests::lambda_emulator::process::cold_start;
use heyway_tests::lambda_emulator::Outcome;
use heyway_tests::lambdas::env::FunctionEnv;
use heyway_tests::lambdas::events::sample_events;
use heyway_tests::lambdas::fixture::sample_owner;
use heyway_tests::lambdas::{build, function_packages, HELLO};
use heyway_tests::{server_uri, TestApp};
use mongodb::bson::doc;
use serde_json::Value;

/// One binary's event and what its runs measured.
struct Subject {
    name: String,
    binary: PathBuf,
    event: Value,
    env: Vec<(String, String)>,
    inits: Vec<Duration>,
    invocations: Vec<Duration>,
    /// Every distinct answer of the runs.
    answers: BTreeSet<String>,
}

#[tokio::main]
async fn main() {
    let profile = std::env::var("COLDSTART_PROFILE").unwrap_or_else(|_| "release".to_string());
    let runs: usize = std::env::var("COLDSTART_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let functions = chosen_functions();
    let mut packages = functions.clone();
    packages.push(HELLO.to_string());
    let build_profile = profile.clone();
    let built = tokio::task::spawn_blocking(move || build::build_each(&build_profile, &packages))
        .await
        .expect("the build task")
        .unwrap_or_else(|error| panic!("{error}"));

    let app = TestApp::new().await;
    let mut subjects = subjects(&app, &functions, &built).await;
    for _ in 0..runs {
        for subject in &mut subjects {
            // Every run signs in afresh, as the first did: no login limit.
            let limits = app.db.raw(heyway::model::RATE_LIMITS);
            limits
                .delete_many(doc! {})
                .await
                .expect("clear the rate limits");
            measure(subject).await;
        }
    }
    print_table(&profile, runs, &subjects);
}

/// The function packages, or those `COLDSTART_ONLY` names.
fn chosen_functions() -> Vec<String> {
    let all = function_packages();
    let Some(only) = std::env::var("COLDSTART_ONLY")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return all;
    };
    let chosen: Vec<String> = only
        .split(',')
        .map(|name| name.trim().to_string())
        .collect();
    for name in &chosen {
        assert!(
            all.contains(name),
            "COLDSTART_ONLY: no function {name}; there are {all:?}"
        );
    }
    chosen
}

/// Hello-world first, then each function with its first sample event, on
/// `app`'s database, given what the events expect.
async fn subjects(
    app: &TestApp,
    functions: &[String],
    built: &BTreeMap<String, PathBuf>,
) -> Vec<Subject> {
    let token = sample_owner(app).await;
    let env = FunctionEnv::new(server_uri().await, app.db.database().name()).await;
    let samples = sample_events();
    let event_for = |function: &str| {
        let sample = samples.iter().find(|s| s.function == function);
        sample.unwrap_or_else(|| panic!("no sample event for {function}"))
    };
    let hello = Subject::new(
        HELLO,
        &built[HELLO],
        event_for("health").answerable(&token),
        env.for_function(HELLO),
    );
    let mut subjects = vec![hello];
    for function in functions {
        let event = event_for(function).answerable(&token);
        subjects.push(Subject::new(
            function,
            &built[function],
            event,
            env.for_function(function),
        ));
    }
    subjects
}

impl Subject {
    fn new(name: &str, binary: &Path, event: Value, env: Vec<(String, String)>) -> Self {
        Self {
            name: name.to_string(),
            binary: binary.to_path_buf(),
            event,
            env,
            inits: Vec::new(),
            invocations: Vec::new(),
            answers: BTreeSet::new(),
        }
    }
}

/// One cold start of `subject`.
async fn measure(subject: &mut Subject) {
    let event = std::slice::from_ref(&subject.event);
    let run = cold_start(&subject.binary, &subject.name, &subject.env, event)
        .await
        .unwrap_or_else(|error| panic!("{}: {error}", subject.name));
    let Some(outcome) = run.outcomes.first() else {
        panic!("{}: no answer", subject.name);
    };
    subject.inits.push(run.init);
    subject.invocations.push(outcome.duration());
    subject.answers.insert(describe(outcome));
}

/// The answer in a word: the HTTP status, or how a worker ended.
fn describe(outcome: &Outcome) -> String {
    let answer = outcome.json();
    match (&outcome.result, answer["statusCode"].as_u64()) {
        (Err(_), _) => "error".to_string(),
        (Ok(_), Some(status)) => status.to_string(),
        (Ok(_), None) if answer["batchItemFailures"].is_array() => {
            let failed = answer["batchItemFailures"].as_array().map_or(0, Vec::len);
            format!("{failed} failed")
        }
        (Ok(_), None) => "ok".to_string(),
    }
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    percentile(&sorted, 50.0)
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}

fn print_table(profile: &str, runs: usize, subjects: &[Subject]) {
    let hello_init = subjects.first().map(|hello| median(&hello.inits));
    println!("cold starts, profile {profile}, medians of {runs} runs\n");
    println!("| binary | stripped size | init | first invocation | init vs hello-world | answer |");
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for subject in subjects {
        let init = median(&subject.inits);
        let ratio = hello_init
            .filter(|hello| !hello.is_zero())
            .map_or(f64::NAN, |hello| init.as_secs_f64() / hello.as_secs_f64());
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {ratio:.1}× | {} |",
            subject.name,
            stripped_size(&subject.binary),
            millis(init),
            millis(median(&subject.invocations)),
            subject
                .answers
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

/// The binary's size without symbols (`strip` on a copy), in MB; the file
/// size marked `*` when `strip` is not at hand.
fn stripped_size(binary: &Path) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let copy = std::env::temp_dir().join(format!("coldstart-strip-{}", std::process::id()));
    let stripped = std::process::Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(binary)
        .status()
        .is_ok_and(|status| status.success());
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    #[allow(clippy::cast_precision_loss)]
    let text = if stripped {
        format!("{:.1} MB", size(&copy) as f64 / MB)
    } else {
        format!("{:.1} MB*", size(binary) as f64 / MB)
    };
    let _ = std::fs::remove_file(&copy);
    text
}
