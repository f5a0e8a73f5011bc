//! `heyway demo` both ways, as a new user runs it: against a running
//! `heyway serve` (`--api`, the API alone: caller ID verified through the
//! sandbox's validation callback, minutes bought through the Stripe
//! sandbox, every call due at the next minute), and with a server of its
//! own, whose logs go to a file rather than into the demo's output. Each
//! takes a minute or two: the evaluator ticks once a minute.

mod common;

use std::process::Output;

use common::{free_port, heyway, serve};

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every contact's call was printed as it ended, with the end its number
/// makes the sandbox play, and the answered ones with their transcript.
fn assert_every_call_reported(stdout: &str) {
    assert!(stdout.contains("All 8 calls are done."), "{stdout}");
    for (name, end) in [
        ("Ada Park +12125550100", "completed"),
        ("Ben Ortiz +12125550101", "failed"),
        ("Cleo Nguyen +12125550102", "failed"),
        ("Dev Shah +12125550103", "failed"),
        ("Eli Brooks +12125550104", "failed"),
        ("Fay Moreno +12125550105", "completed"),
        ("Gus Lee +15005550001", "failed"),
        ("Hal Kim +12125550106", "completed"),
    ] {
        let block = stdout
            .split(&format!("=== {name} ===\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} not reported:\n{stdout}"));
        let block = block.split("\n===").next().unwrap_or(block);
        assert!(
            block.starts_with(&format!("  scheduled call: {end}\n")),
            "{name}: {block}"
        );
        if name.starts_with("Ada Park") {
            assert!(block.contains("  transcript:\n"), "{block}");
            assert!(block.contains("user: "), "{block}");
            assert!(block.contains("category     \"positive\""), "{block}");
        }
    }
    assert!(
        !stdout.contains("waits until"),
        "every call is due at the next minute:\n{stdout}"
    );
}

#[test]
fn demo_against_a_running_server_uses_the_api_alone() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = serve(data.path(), port, "heyway_demo_api_test");
    let output = heyway(&[
        "demo",
        "--api",
        &format!("http://localhost:{port}"),
        "--timeout",
        "200",
        "--sandbox-key-file",
    ])
    .arg(data.path().join("sandbox-key"))
    .output()
    .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("verified through the sandbox's validation call, and chosen"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Subscribed through the Stripe sandbox's checkout"),
        "{stdout}"
    );
    assert!(!stdout.contains("No database access"), "{stdout}");
    assert_every_call_reported(&stdout);
}

#[test]
fn demo_with_its_own_server_keeps_the_server_logs_in_a_file() {
    let data = tempfile::tempdir().unwrap();
    let output = heyway(&["demo", "--timeout", "200", "--data-dir"])
        .arg(data.path())
        .env("MONGODB_DB", "heyway_demo_own_test")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_every_call_reported(&stdout);
    let log_path = data.path().join("server.log");
    assert!(
        stdout.contains(&format!("logs to {}", log_path.display())),
        "{stdout}"
    );
    for (name, out) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !out.lines().any(|line| line.starts_with('{')),
            "no JSON log line on {name}:\n{out}"
        );
    }
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 10, "{log}");
    assert!(
        log.lines()
            .all(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
        "{log}"
    );
    assert!(log.contains("TELEPHONY SANDBOX ON"), "{log}");
}

#[test]
fn a_failing_demo_says_why_in_one_line() {
    let port = free_port();
    let output = heyway(&[
        "demo",
        "--api",
        &format!("http://127.0.0.1:{port}"),
        "--sandbox-key",
        "unused",
    ])
    .env("RUST_BACKTRACE", "1")
    .output()
    .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("heyway: no HeyWay API answers at http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("backtrace") && !stderr.contains("Caused by"),
        "{stderr}"
    );
}
