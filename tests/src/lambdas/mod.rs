//! The Lambda function binaries as the Runtime API emulator
//! ([`crate::lambda_emulator`]) runs them: which packages there are
//! ([`function_packages`]), building them ([`build`]), the settings each
//! gets as on AWS ([`env`]), the sample events of `events/`, made
//! answerable with a real token and real signatures ([`events`]), and the
//! data they expect ([`fixture`]). Shared
//! by the binary test (`tests/tests/binaries.rs`) and the cold-start bench.

pub mod build;
pub mod env;
pub mod events;
pub mod fixture;

use std::path::PathBuf;

/// The hello-world `lambda_http` function the bench compares with.
pub const HELLO: &str = "hello-lambda";

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Every function package (each `functions/<name>` builds binary `<name>`),
/// sorted.
pub fn function_packages() -> Vec<String> {
    let dir = workspace_root().join("functions");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
