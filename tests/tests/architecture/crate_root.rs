//! What `lib.rs` declares: the top modules, and the names it re-exports,
//! so a use of `crate::Config` counts as a use of where `Config` lives.

use std::collections::{BTreeMap, BTreeSet};

use super::layers::Place;
use super::paths::use_leaves;

/// The top modules and crate-root re-exports of the core crate.
#[derive(Default)]
pub struct CrateRoot {
    modules: BTreeSet<String>,
    /// Re-exported name to its path from the crate root:
    /// `Config` to `["infra", "config", "Config"]`.
    reexports: BTreeMap<String, Vec<String>>,
}

impl CrateRoot {
    /// Reads the `mod` and `use` items of `lib.rs`.
    pub fn read(lib: &syn::File) -> CrateRoot {
        let mut root = CrateRoot::default();
        for item in &lib.items {
            match item {
                syn::Item::Mod(module) => {
                    root.modules.insert(module.ident.to_string());
                }
                syn::Item::Use(import) => root.add_reexports(&import.tree),
                _ => {}
            }
        }
        root
    }

    fn add_reexports(&mut self, tree: &syn::UseTree) {
        for leaf in use_leaves(tree) {
            let mut path = leaf.segments;
            if matches!(path.first().map(String::as_str), Some("crate" | "self")) {
                path.remove(0);
            }
            if leaf.name != "*" && !path.is_empty() {
                self.reexports.insert(leaf.name, path);
            }
        }
    }

    /// A path from the crate root with its re-exports followed:
    /// `["Config"]` becomes `["infra", "config", "Config"]`.
    pub fn resolve(&self, mut path: Vec<String>) -> Vec<String> {
        // Bounded: a re-export of a re-export is followed, a loop is not.
        for _ in 0..8 {
            let Some(first) = path.first() else { break };
            if self.modules.contains(first) {
                break;
            }
            let Some(real) = self.reexports.get(first) else {
                break;
            };
            path = real.iter().chain(&path[1..]).cloned().collect();
        }
        path
    }

    /// Where a resolved path points: its top module's place, or the crate
    /// root for a name `lib.rs` does not re-export from a module (an
    /// exported macro, a re-exported external crate).
    pub fn place_of(&self, path: &[String]) -> Place {
        match path.first() {
            Some(top) if self.modules.contains(top) => Place::of(path),
            _ => Place::Root,
        }
    }
}
