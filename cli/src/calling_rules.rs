//! `heyway calling-rules`: the calling-hours table the evaluator, the
//! preview and the dialer apply (`shared/data/calling_hours.txt`), and,
//! for a number, the state its area code places it in.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{bail, Context};
use heyway::schedule::calling_hours::{self, StateRule};
use heyway::schedule::recipient_state;

/// Prints the table (or one state's row with the federal floor) as text
/// or JSON; with `number`, first the state the number's area code names.
pub fn command(state: Option<String>, number: Option<String>, json: bool) -> anyhow::Result<()> {
    let all = calling_hours::rules();
    if all.is_empty() {
        bail!("the calling-hours table did not parse (shared/data/calling_hours.txt)");
    }
    let number_state = match &number {
        Some(number) => {
            let e164 = heyway::model::phone::to_e164(number, None)
                .ok()
                .with_context(|| format!("not a phone number: {number}"))?;
            Some((e164.clone(), recipient_state::state_for_number(&e164)))
        }
        None => None,
    };
    let wanted = match (&state, &number_state) {
        (Some(state), _) => Some(
            recipient_state::parse_state(state)
                .with_context(|| format!("not a US state: {state}"))?,
        ),
        (None, Some((_, found))) => *found,
        (None, None) => None,
    };
    let rows: Vec<&StateRule> = all
        .iter()
        .filter(|rule| {
            (state.is_none() && number.is_none())
                || rule.state == calling_hours::FEDERAL
                || Some(rule.state) == wanted
        })
        .collect();
    if json {
        let rows: Vec<serde_json::Value> = rows.iter().map(|rule| as_json(rule)).collect();
        let mut out = serde_json::json!({ "rules": rows });
        if let Some((e164, found)) = &number_state {
            out["number"] = serde_json::json!({ "e164": e164, "state": found });
        }
        return emit(&(serde_json::to_string_pretty(&out)? + "\n"));
    }
    let mut out = String::new();
    if let Some((e164, found)) = &number_state {
        match found {
            Some(code) => writeln!(out, "{e164}: area code in {code}")?,
            None => writeln!(out, "{e164}: no US state (the federal floor applies)")?,
        }
    }
    if let (Some(code), true) = (wanted, rows.len() == 1) {
        writeln!(out, "{code}: no state rule (the federal floor applies)")?;
    }
    writeln!(
        out,
        "{:<5} {:<11} {:<11} {:<11} {:<22} {:<9} {:<10} source / note",
        "state", "mon-fri", "saturday", "sunday", "holidays", "status", "checked"
    )?;
    for rule in rows {
        writeln!(
            out,
            "{:<5} {:<11} {:<11} {:<11} {:<22} {:<9} {:<10} {}",
            rule.state,
            rule.weekdays.display(),
            rule.saturday.display(),
            rule.sunday.display(),
            rule.holidays_text,
            rule.certainty.as_str(),
            rule.checked,
            rule.source,
        )?;
        writeln!(out, "{:<5} {}", "", rule.note)?;
    }
    emit(&out)
}

/// Writes `text` to stdout; a reader that went away (`| head`) is fine.
fn emit(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

fn as_json(rule: &StateRule) -> serde_json::Value {
    serde_json::json!({
        "state": rule.state,
        "monFri": rule.weekdays.display(),
        "saturday": rule.saturday.display(),
        "sunday": rule.sunday.display(),
        "holidays": rule.holidays_text,
        "status": rule.certainty.as_str(),
        "source": rule.source,
        "checked": rule.checked.to_string(),
        "note": rule.note,
    })
}
