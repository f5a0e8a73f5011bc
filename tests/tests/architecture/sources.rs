//! Reading the workspace: where it is, and the core crate's Rust files,
//! parsed.

use std::fs;
use std::path::{Path, PathBuf};

/// The core crate's source folder, from the workspace root.
pub const CORE_SRC: &str = "shared/src";

/// The workspace root: this checkout, or the one `ARCHITECTURE_ROOT` names
/// (to check another checkout, e.g. an old commit, with the same rules).
pub fn workspace_root() -> PathBuf {
    match std::env::var_os("ARCHITECTURE_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    }
}

/// One Rust file of the core crate, parsed.
pub struct SourceFile {
    /// From `shared/src`, with `/`: `features/calls/repo.rs`.
    pub relative: String,
    /// Its module path from the crate root: `["features", "calls", "repo"]`.
    pub module: Vec<String>,
    pub syntax: syn::File,
}

impl SourceFile {
    /// The path to print, from the workspace root.
    pub fn display(&self) -> String {
        format!("{CORE_SRC}/{}", self.relative)
    }
}

/// Every Rust file under `shared/src`, parsed, sorted by path.
pub fn core_files() -> Vec<SourceFile> {
    let src = workspace_root().join(CORE_SRC);
    rust_files_under(&src)
        .into_iter()
        .map(|relative| parse(&src, relative))
        .collect()
}

/// `shared/src/lib.rs`, parsed.
pub fn crate_root_file(files: &[SourceFile]) -> &SourceFile {
    files
        .iter()
        .find(|file| file.relative == "lib.rs")
        .unwrap_or_else(|| panic!("{CORE_SRC}/lib.rs is missing"))
}

fn parse(src: &Path, relative: String) -> SourceFile {
    let text = read(&src.join(&relative));
    let syntax = syn::parse_file(&text).unwrap_or_else(|error| {
        let line = error.span().start().line;
        panic!("{CORE_SRC}/{relative}:{line}: does not parse: {error}")
    });
    SourceFile {
        module: module_path(&relative),
        relative,
        syntax,
    }
}

/// The module a file holds: `a/b.rs` and `a/b/mod.rs` are `a::b`, `lib.rs`
/// is the crate root.
pub fn module_path(relative: &str) -> Vec<String> {
    let mut module: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    let last = module.last().map(String::as_str);
    if last == Some("mod") || module == ["lib"] {
        module.pop();
    }
    module
}

/// The `.rs` files under `dir`, relative to it with `/`, sorted; none if
/// `dir` does not exist.
pub fn rust_files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect_rust_files(dir, "", &mut files);
    files.sort();
    files
}

fn collect_rust_files(dir: &Path, prefix: &str, files: &mut Vec<String>) {
    for (name, is_dir) in entries(dir) {
        let relative = format!("{prefix}{name}");
        if is_dir {
            collect_rust_files(&dir.join(&name), &format!("{relative}/"), files);
        } else if name.ends_with(".rs") {
            files.push(relative);
        }
    }
}

/// The names in `dir` and whether each is a folder, sorted; none if `dir`
/// does not exist.
pub fn entries(dir: &Path) -> Vec<(String, bool)> {
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut entries: Vec<(String, bool)> = listing
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
        .map(|entry| {
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            (entry.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    entries.sort();
    entries
}

/// A file's text; panics with its path if it cannot be read.
pub fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
