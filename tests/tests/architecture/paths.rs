//! Paths as written in the source: the leaves of `use` trees, and the
//! `crate::a::b` sequences inside macro bodies, which syn leaves as tokens.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::UseTree;

/// One path a `use` item brings in: `use crate::{a::b, c as d}` has two.
pub struct UseLeaf {
    /// The segments, `self` leaves folded into their prefix: `crate::a::b`.
    pub segments: Vec<String>,
    /// The name it is known by here: `b`, `d`, or `*` for a glob.
    pub name: String,
    /// Where the leaf is written, for multi-line groups.
    pub line: usize,
}

/// Every leaf of a `use` tree.
pub fn use_leaves(tree: &UseTree) -> Vec<UseLeaf> {
    let mut leaves = Vec::new();
    collect_use_leaves(tree, Vec::new(), &mut leaves);
    leaves
}

fn collect_use_leaves(tree: &UseTree, mut prefix: Vec<String>, leaves: &mut Vec<UseLeaf>) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            collect_use_leaves(&path.tree, prefix, leaves);
        }
        UseTree::Group(group) => {
            for item in &group.items {
                collect_use_leaves(item, prefix.clone(), leaves);
            }
        }
        UseTree::Glob(glob) => leaves.push(UseLeaf {
            segments: prefix,
            name: "*".to_string(),
            line: line_of(glob.star_token.span),
        }),
        UseTree::Name(leaf) => leaves.push(named_leaf(prefix, &leaf.ident, &leaf.ident)),
        UseTree::Rename(leaf) => leaves.push(named_leaf(prefix, &leaf.ident, &leaf.rename)),
    }
}

/// A leaf naming one item: `b` in `a::b`, or `a` itself in `a::{self}`.
fn named_leaf(mut prefix: Vec<String>, ident: &Ident, name: &Ident) -> UseLeaf {
    if ident != "self" {
        prefix.push(ident.to_string());
    }
    let name = if name == "self" {
        prefix.last().cloned().unwrap_or_default()
    } else {
        name.to_string()
    };
    let line = line_of(ident.span());
    UseLeaf {
        segments: prefix,
        name,
        line,
    }
}

/// A `crate::…` or `super::…` path found among a macro's tokens.
pub struct TokenPath {
    pub segments: Vec<String>,
    pub line: usize,
}

/// The paths starting with `crate` (`$crate` too) or `super` in a token
/// stream, groups included.
pub fn paths_in_tokens(tokens: TokenStream) -> Vec<TokenPath> {
    let mut paths = Vec::new();
    collect_token_paths(tokens, &mut paths);
    paths
}

fn collect_token_paths(tokens: TokenStream, paths: &mut Vec<TokenPath>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut at = 0;
    while at < trees.len() {
        match &trees[at] {
            TokenTree::Group(group) => collect_token_paths(group.stream(), paths),
            TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                let (segments, next) = path_at(&trees, at);
                let line = line_of(ident.span());
                paths.push(TokenPath { segments, line });
                at = next;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
}

/// The `a :: b :: c` path starting at `trees[start]`, and the index after it.
fn path_at(trees: &[TokenTree], start: usize) -> (Vec<String>, usize) {
    let mut segments = vec![trees[start].to_string()];
    let mut at = start + 1;
    while let (Some(first), Some(second), Some(TokenTree::Ident(next))) =
        (trees.get(at), trees.get(at + 1), trees.get(at + 2))
    {
        if !is_colon(first) || !is_colon(second) {
            break;
        }
        segments.push(next.to_string());
        at += 3;
    }
    (segments, at)
}

fn is_colon(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Punct(punct) if punct.as_char() == ':')
}

/// The 1-based line a span starts on.
pub fn line_of(span: Span) -> usize {
    span.start().line
}
