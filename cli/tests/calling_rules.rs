//! `heyway calling-rules` prints the calling-hours table: the federal
//! floor and the stricter states, with sources; one state; a number's
//! state; JSON.

use std::process::Command;

fn heyway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_heyway"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn prints_the_whole_table_with_sources() {
    let text = stdout(&heyway(&["calling-rules"]));
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.len() > 2 && !l.starts_with(' '))
        .collect();
    assert!(rows[0].starts_with("state"), "{text}");
    let us = rows
        .iter()
        .find(|l| l.starts_with("US "))
        .expect("the federal floor");
    assert!(
        us.contains("08:00-21:00") && us.contains("https://"),
        "{us}"
    );
    let fl = rows.iter().find(|l| l.starts_with("FL ")).expect("Florida");
    assert!(fl.contains("08:00-20:00"), "{fl}");
    let la = rows
        .iter()
        .find(|l| l.starts_with("LA "))
        .expect("Louisiana");
    assert!(la.contains("closed") && la.contains("uncertain"), "{la}");
    assert!(rows.len() > 8, "{text}");
}

#[test]
fn one_state_or_one_number_and_json() {
    let texas = stdout(&heyway(&["calling-rules", "Texas"]));
    assert!(
        texas.contains("TX ") && texas.contains("12:00-21:00"),
        "{texas}"
    );
    assert!(texas.contains("US ") && !texas.contains("FL "), "{texas}");

    let json = stdout(&heyway(&[
        "calling-rules",
        "--json",
        "--number",
        "+13055550100",
    ]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["number"]["state"], "FL", "{value}");
    let states: Vec<&str> = value["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["US", "FL"]);
    assert_eq!(value["rules"][1]["monFri"], "08:00-20:00");
    assert!(value["rules"][1]["source"]
        .as_str()
        .unwrap()
        .starts_with("https://"));

    // New York has no row: the federal floor alone.
    let new_york = stdout(&heyway(&["calling-rules", "--number", "+12125550100"]));
    assert!(new_york.contains("area code in NY"), "{new_york}");
    assert!(new_york.contains("NY: no state rule"), "{new_york}");

    // A Canadian number: no state.
    let toronto = stdout(&heyway(&["calling-rules", "--number", "+14165550100"]));
    assert!(toronto.contains("no US state"), "{toronto}");

    let bad = heyway(&["calling-rules", "Atlantis"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a US state"));
}
