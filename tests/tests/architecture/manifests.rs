//! Cargo manifests, read as far as this test needs: a package's name, its
//! normal dependencies (`[dependencies]`, `[target.….dependencies]`; not
//! dev- or build-dependencies) and the root's `[workspace.dependencies]`.
//!
//! The lock file has no `toml` crate, so this reads lines, in the simple
//! TOML these manifests use: `name = "…"`, `dep = "1.0"`,
//! `dep = { path = "…", package = "…" }`, `dep.workspace = true` and
//! `[dependencies.dep]` tables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::sources::{read, workspace_root};

/// One `Cargo.toml`.
#[derive(Default)]
pub struct Manifest {
    /// The folder it is in.
    pub dir: PathBuf,
    /// The package name; empty for a virtual manifest.
    pub name: String,
    /// Normal dependencies, by key.
    pub dependencies: BTreeMap<String, Dependency>,
    /// `[workspace.dependencies]`, by key (the root manifest only).
    pub workspace_dependencies: BTreeMap<String, Dependency>,
}

/// One dependency entry, as far as finding its package goes.
#[derive(Default, Clone)]
pub struct Dependency {
    /// `package = "…"`, when it differs from the key.
    pub package: Option<String>,
    pub path: Option<String>,
    /// `workspace = true`: the rest is in `[workspace.dependencies]`.
    pub workspace: bool,
}

/// Which table the lines being read belong to.
enum Section {
    Package,
    Dependencies,
    Dependency(String),
    WorkspaceDependencies,
    WorkspaceDependency(String),
    Other,
}

impl Section {
    fn of(header: &str) -> Section {
        let parts = split_outside_quotes(header, '.');
        let parts: Vec<&str> = parts.iter().map(|part| part.trim()).collect();
        match parts.as_slice() {
            ["package"] => Section::Package,
            ["dependencies"] | ["target", _, "dependencies"] => Section::Dependencies,
            ["dependencies", name] | ["target", _, "dependencies", name] => {
                Section::Dependency(name.to_string())
            }
            ["workspace", "dependencies"] => Section::WorkspaceDependencies,
            ["workspace", "dependencies", name] => Section::WorkspaceDependency(name.to_string()),
            _ => Section::Other,
        }
    }
}

impl Manifest {
    /// Reads `dir/Cargo.toml`.
    pub fn read(dir: &Path) -> Manifest {
        let text = read(&dir.join("Cargo.toml"));
        let mut manifest = Manifest {
            dir: dir.to_path_buf(),
            ..Manifest::default()
        };
        let mut section = Section::Other;
        for line in text.lines().map(without_comment) {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = Section::of(header);
            } else if let Some((key, value)) = line.split_once('=') {
                manifest.read_entry(&section, key.trim(), value.trim());
            }
        }
        manifest
    }

    fn read_entry(&mut self, section: &Section, key: &str, value: &str) {
        match section {
            Section::Package if key == "name" => self.name = unquote(value),
            Section::Dependencies => read_dependency(&mut self.dependencies, key, value),
            Section::WorkspaceDependencies => {
                read_dependency(&mut self.workspace_dependencies, key, value)
            }
            Section::Dependency(name) => set_field(
                self.dependencies.entry(name.clone()).or_default(),
                key,
                value,
            ),
            Section::WorkspaceDependency(name) => set_field(
                self.workspace_dependencies.entry(name.clone()).or_default(),
                key,
                value,
            ),
            _ => {}
        }
    }
}

/// One line of a dependency table: `dep = "1"`, `dep = { … }` or
/// `dep.field = …`.
fn read_dependency(table: &mut BTreeMap<String, Dependency>, key: &str, value: &str) {
    if let Some((name, field)) = key.split_once('.') {
        return set_field(
            table.entry(name.trim().to_string()).or_default(),
            field.trim(),
            value,
        );
    }
    let dependency = table.entry(key.to_string()).or_default();
    let Some(fields) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
        return;
    };
    for field in split_outside_quotes(fields, ',') {
        if let Some((name, value)) = field.split_once('=') {
            set_field(dependency, name.trim(), value.trim());
        }
    }
}

fn set_field(dependency: &mut Dependency, field: &str, value: &str) {
    match field {
        "path" => dependency.path = Some(unquote(value)),
        "package" => dependency.package = Some(unquote(value)),
        "workspace" => dependency.workspace = value == "true",
        _ => {}
    }
}

/// `text` split at `separator`s outside quotes and brackets.
fn split_outside_quotes(text: &str, separator: char) -> Vec<String> {
    let (mut parts, mut current) = (Vec::new(), String::new());
    let (mut quote, mut depth) = (None, 0);
    for c in text.chars() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, _) if c == separator && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// A line without its `# comment`.
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..at],
            _ => {}
        }
    }
    line
}

fn unquote(value: &str) -> String {
    value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string()
}

/// The workspace's root manifest, to follow `workspace = true` entries.
pub struct Workspace {
    root: Manifest,
}

impl Workspace {
    pub fn read() -> Workspace {
        Workspace {
            root: Manifest::read(&workspace_root()),
        }
    }

    /// The chain of package names from `manifest` to the package named
    /// `target` through normal dependencies, following those with a path
    /// (workspace members); None if it does not reach it.
    pub fn chain_to(&self, manifest: &Manifest, target: &str) -> Option<Vec<String>> {
        self.chain_from(manifest, target, &mut BTreeSet::new())
    }

    fn chain_from(
        &self,
        manifest: &Manifest,
        target: &str,
        seen: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<String>> {
        for (key, dependency) in &manifest.dependencies {
            let (package, dir) = self.locate(manifest, key, dependency);
            let next = dir
                .filter(|dir| seen.insert(dir.clone()))
                .map(|d| Manifest::read(&d));
            let rest = match next {
                _ if package == target => Some(vec![package]),
                Some(next) if next.name == target => Some(vec![next.name]),
                Some(next) => self.chain_from(&next, target, seen),
                None => None,
            };
            if let Some(rest) = rest {
                return Some([vec![manifest.name.clone()], rest].concat());
            }
        }
        None
    }

    /// A dependency's package name, and its folder if it is a path
    /// dependency whose manifest exists.
    fn locate(
        &self,
        manifest: &Manifest,
        key: &str,
        dependency: &Dependency,
    ) -> (String, Option<PathBuf>) {
        // A `workspace = true` entry's path is the root's, from the root.
        let (entry, base) = if dependency.workspace {
            (self.root.workspace_dependencies.get(key), &self.root.dir)
        } else {
            (Some(dependency), &manifest.dir)
        };
        let package = (dependency.package.clone())
            .or_else(|| entry.and_then(|entry| entry.package.clone()))
            .unwrap_or_else(|| key.to_string());
        let dir = (entry.and_then(|entry| entry.path.as_ref()))
            .map(|path| base.join(path))
            .filter(|dir| dir.join("Cargo.toml").is_file())
            .and_then(|dir| dir.canonicalize().ok());
        (package, dir)
    }
}
