//! `heyway evaluate --at` runs one pass at the given instant and prints its
//! report.

use std::process::Command;

#[test]
fn evaluate_at_an_instant_prints_the_pass_report() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_heyway"))
        .args(["evaluate", "--at", "2026-11-29T23:00:00Z", "--data-dir"])
        .arg(data.path())
        .env_remove("MONGODB_URI")
        .env_remove("DIAL_QUEUE_URL")
        .env("MONGODB_DB", "heyway_evaluate_test")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["automations"], 0);
    assert_eq!(report["recorded"], 0);

    let bad = Command::new(env!("CARGO_BIN_EXE_heyway"))
        .args(["evaluate", "--at", "yesterday"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
