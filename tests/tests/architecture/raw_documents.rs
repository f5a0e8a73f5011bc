//! Touches of raw MongoDB documents: a `.raw(…)` call, or the string
//! literal `"updatedAt"` or `"$set"`, in code or inside a macro body such as
//! `doc! { "$set": … }`. Comments and attributes (`#[serde(rename = …)]`)
//! do not count, nor do unit tests (`#[cfg(test)] mod`): they write no
//! database, and may spell an operator to check that input refuses it.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::visit::{self, Visit};

use super::paths::line_of;

/// The string literals only a repo, the store or a migration may write.
const RAW_DOCUMENT_KEYS: [&str; 2] = ["updatedAt", "$set"];

/// One raw-document touch: its line and what it is.
pub struct RawTouch {
    pub line: usize,
    pub what: String,
}

/// Every raw-document touch in a parsed file.
pub fn raw_touches(file: &syn::File) -> Vec<RawTouch> {
    let mut finder = RawTouchFinder::default();
    finder.visit_file(file);
    finder.found
}

/// Whether a file (from `shared/src`) may touch raw documents: a feature's
/// repo (`features/<x>/repo.rs` or `features/<x>/repo/…`), the store
/// (`infra/store.rs` or `infra/store/…`) and the migrations
/// (`infra/indexes.rs`, `infra/migrations…`).
pub fn may_touch_raw_documents(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    match parts.as_slice() {
        ["features", _, "repo.rs"] | ["features", _, "repo", ..] => true,
        ["infra", "store.rs" | "indexes.rs"] | ["infra", "store", ..] => true,
        ["infra", module, ..] => module.starts_with("migrations"),
        _ => false,
    }
}

#[derive(Default)]
struct RawTouchFinder {
    found: Vec<RawTouch>,
}

impl RawTouchFinder {
    fn found_key(&mut self, value: &str, line: usize) {
        if RAW_DOCUMENT_KEYS.contains(&value) {
            let what = format!("the literal {value:?}");
            self.found.push(RawTouch { line, what });
        }
    }

    fn found_raw_call(&mut self, line: usize) {
        let what = "a `.raw(…)` call".to_string();
        self.found.push(RawTouch { line, what });
    }

    /// Literals and `.raw(…)` calls among a macro's tokens, groups included.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (at, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Literal(literal) => {
                    if let syn::Lit::Str(text) = syn::Lit::new(literal.clone()) {
                        self.found_key(&text.value(), line_of(literal.span()));
                    }
                }
                TokenTree::Ident(ident) if ident == "raw" && is_method_call(&trees, at) => {
                    self.found_raw_call(line_of(ident.span()));
                }
                _ => {}
            }
        }
    }
}

/// Whether the ident at `trees[at]` is called as a method: `. raw ( … )`.
fn is_method_call(trees: &[TokenTree], at: usize) -> bool {
    let after_dot = at
        .checked_sub(1)
        .and_then(|before| trees.get(before))
        .is_some_and(|tree| matches!(tree, TokenTree::Punct(p) if p.as_char() == '.'));
    let called = trees.get(at + 1).is_some_and(
        |tree| matches!(tree, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
    );
    after_dot && called
}

impl<'ast> Visit<'ast> for RawTouchFinder {
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if !is_cfg_test(&module.attrs) {
            visit::visit_item_mod(self, module);
        }
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "raw" {
            self.found_raw_call(line_of(call.method.span()));
        }
        visit::visit_expr_method_call(self, call);
    }

    fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
        self.found_key(&literal.value(), line_of(literal.span()));
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        self.scan_tokens(mac.tokens.clone());
    }
}

/// Whether `attrs` hold `#[cfg(test)]`.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}
