//! Builds binaries with `cargo build`, as a test or bench that runs them
//! must: function packages are not dependencies of this crate, so its own
//! build never makes them. The paths come from cargo's JSON messages, so
//! `CARGO_TARGET_DIR`, `.cargo/config` and the profile's folder name are
//! all honoured without guessing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::workspace_root;

/// Why the binaries could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot run {cargo}: {source}")]
    Cargo {
        cargo: String,
        source: std::io::Error,
    },
    #[error("cargo build --profile {profile} failed ({status}); see its messages above")]
    Failed {
        profile: String,
        status: std::process::ExitStatus,
    },
    #[error("cargo build did not report a binary for {0}")]
    Missing(String),
}

/// Builds the binaries of `packages` (named as their packages) with
/// `cargo build --profile <profile>`, all in one invocation: one feature
/// resolution (the union) and one compilation of what they share; answers
/// each binary's path by name. `CARGO`
/// (set by cargo for tests and benches) picks the cargo to run.
pub fn build(profile: &str, packages: &[String]) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .args([
            "--profile",
            profile,
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for package in packages {
        command.args(["-p", package]);
    }
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(set_by_cargo_for_us) {
            command.env_remove(key);
        }
    }
    let output = command.output().map_err(|source| BuildError::Cargo {
        cargo: cargo.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(BuildError::Failed {
            profile: profile.to_string(),
            status: output.status,
        });
    }
    let built = executables(&output.stdout);
    packages
        .iter()
        .map(|name| {
            built
                .get(name)
                .map(|path| (name.clone(), path.clone()))
                .ok_or_else(|| BuildError::Missing(name.clone()))
        })
        .collect()
}

/// Whether `key` is one of the variables cargo sets for the test or bench
/// running us (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, …), not cargo
/// configuration. Build scripts such as ring's ask to be rerun when those
/// change, so passing them on would rebuild ring and everything above it
/// here, and again in the next plain `cargo build`.
fn set_by_cargo_for_us(key: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_BIN_",
        "CARGO_CFG_",
        "CARGO_TARGET_TMPDIR",
    ];
    const NAMES: [&str; 4] = [
        "CARGO_CRATE_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    PREFIXES.iter().any(|prefix| key.starts_with(prefix)) || NAMES.contains(&key)
}

/// Builds each package by itself, as `sam build` (cargo-lambda) builds
/// each function: a package gets only the features it asks for, not the
/// union of all the packages', so its size and init are its own. Slower
/// than [`build`] when the packages' feature sets differ.
pub fn build_each(
    profile: &str,
    packages: &[String],
) -> Result<BTreeMap<String, PathBuf>, BuildError> {
    let mut built = BTreeMap::new();
    for package in packages {
        built.extend(build(profile, std::slice::from_ref(package))?);
    }
    Ok(built)
}

/// The executables in cargo's JSON messages, by target name.
fn executables(messages: &[u8]) -> BTreeMap<String, PathBuf> {
    String::from_utf8_lossy(messages)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter_map(|message| {
            let name = message["target"]["name"].as_str()?.to_string();
            let path = message["executable"].as_str()?;
            Some((name, PathBuf::from(path)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_executables_from_cargo_messages() {
        let messages = br#"{"reason":"compiler-artifact","target":{"name":"health","kind":["bin"]},"executable":"/t/release/health"}
{"reason":"compiler-artifact","target":{"name":"heyway","kind":["lib"]},"executable":null}
{"reason":"build-finished","success":true}"#;
        let built = executables(messages);
        assert_eq!(built.len(), 1);
        assert_eq!(built["health"], PathBuf::from("/t/release/health"));
    }

    #[test]
    fn keeps_cargo_configuration_drops_what_cargo_set_for_the_test() {
        assert!(set_by_cargo_for_us("CARGO_PKG_NAME"));
        assert!(set_by_cargo_for_us("CARGO_MANIFEST_DIR"));
        assert!(set_by_cargo_for_us("CARGO_BIN_EXE_heyway"));
        assert!(!set_by_cargo_for_us("CARGO_TARGET_DIR"));
        assert!(!set_by_cargo_for_us("CARGO_HOME"));
        assert!(!set_by_cargo_for_us("CARGO_INCREMENTAL"));
        assert!(!set_by_cargo_for_us("CARGO"));
    }
}
