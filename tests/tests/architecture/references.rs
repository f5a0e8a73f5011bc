//! Every use of another module: the `crate::…` and `super::…` paths in
//! `use` items, expressions, types, patterns and macro bodies, resolved to
//! the place they point to. Attributes (doc comments included) and
//! visibilities (`pub(crate)`) are not uses.

use syn::visit::{self, Visit};

use super::crate_root::CrateRoot;
use super::layers::Place;
use super::paths::{line_of, paths_in_tokens, use_leaves};
use super::sources::SourceFile;

/// One path from a file to a module of the crate.
pub struct Reference {
    /// The file, from the workspace root.
    pub file: String,
    pub line: usize,
    /// The path as written: `crate::Config`, `super::super::calls::repo`.
    pub written: String,
    /// Where the file sits.
    pub from: Place,
    /// Where the path points, re-exports followed.
    pub to: Place,
}

/// Every reference in the core crate's files but `lib.rs`, which only
/// declares modules and re-exports.
pub fn all_references(files: &[SourceFile], root: &CrateRoot) -> Vec<Reference> {
    files
        .iter()
        .filter(|file| !file.module.is_empty())
        .flat_map(|file| references_in(file, root))
        .collect()
}

fn references_in(file: &SourceFile, root: &CrateRoot) -> Vec<Reference> {
    let mut finder = PathFinder {
        scope: file.module.clone(),
        found: Vec::new(),
    };
    finder.visit_file(&file.syntax);
    let from = Place::of(&file.module);
    let into_reference = |path: WrittenPath| Reference {
        file: file.display(),
        line: path.line,
        to: root.place_of(&root.resolve(path.from_root)),
        written: path.text,
        from: from.clone(),
    };
    finder.found.into_iter().map(into_reference).collect()
}

/// A path as written, and the same path from the crate root.
struct WrittenPath {
    line: usize,
    text: String,
    from_root: Vec<String>,
}

/// Collects one file's `crate::` and `super::` paths, following inline
/// `mod` blocks so that `super` climbs from the right module.
struct PathFinder {
    scope: Vec<String>,
    found: Vec<WrittenPath>,
}

impl PathFinder {
    fn record(&mut self, segments: Vec<String>, line: usize) {
        if let Some(from_root) = from_crate_root(&self.scope, &segments) {
            let text = segments.join("::");
            self.found.push(WrittenPath {
                line,
                text,
                from_root,
            });
        }
    }
}

/// `crate::a::b` is `a::b`; `super::c` written in module `x::y` is `x::c`.
/// None for other paths (`self::`, external crates), for `crate` alone and
/// for a `super` above the crate root.
fn from_crate_root(scope: &[String], segments: &[String]) -> Option<Vec<String>> {
    match segments.first()?.as_str() {
        "crate" if segments.len() > 1 => Some(segments[1..].to_vec()),
        "super" => {
            let climbs = segments.iter().take_while(|s| *s == "super").count();
            let kept = scope.len().checked_sub(climbs)?;
            Some(
                scope[..kept]
                    .iter()
                    .chain(&segments[climbs..])
                    .cloned()
                    .collect(),
            )
        }
        _ => None,
    }
}

impl<'ast> Visit<'ast> for PathFinder {
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        self.scope.push(module.ident.to_string());
        visit::visit_item_mod(self, module);
        self.scope.pop();
    }

    fn visit_item_use(&mut self, import: &'ast syn::ItemUse) {
        for leaf in use_leaves(&import.tree) {
            self.record(leaf.segments, leaf.line);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if let Some(first) = path.segments.first() {
            let segments = path.segments.iter().map(|s| s.ident.to_string());
            self.record(segments.collect(), line_of(first.ident.span()));
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        for path in paths_in_tokens(mac.tokens.clone()) {
            self.record(path.segments, path.line);
        }
    }
}
