//! Functions longer than a screen, and whether their doc comment says why.

use syn::visit::{self, Visit};

use super::paths::line_of;

/// The most lines a function may span, from its `fn` line to its closing
/// brace, without a `/// Long: <reason>` line in its doc comment.
pub const MAX_LINES: usize = 80;

/// A function over [`MAX_LINES`] that does not say why.
pub struct LongFunction {
    pub name: String,
    pub line: usize,
    pub lines: usize,
}

/// Every function, method and default trait method in a parsed file, nested
/// ones included, that is long without a reason.
pub fn unexplained_long_functions(file: &syn::File) -> Vec<LongFunction> {
    let mut finder = LongFunctionFinder::default();
    finder.visit_file(file);
    finder.found
}

#[derive(Default)]
struct LongFunctionFinder {
    found: Vec<LongFunction>,
}

impl LongFunctionFinder {
    fn measure(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, body: &syn::Block) {
        let line = line_of(sig.fn_token.span);
        let lines = line_of(body.brace_token.span.close()) + 1 - line;
        if lines > MAX_LINES && !says_why_it_is_long(attrs) {
            let name = sig.ident.to_string();
            self.found.push(LongFunction { name, line, lines });
        }
    }
}

impl<'ast> Visit<'ast> for LongFunctionFinder {
    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        self.measure(&function.attrs, &function.sig, &function.block);
        visit::visit_item_fn(self, function);
    }

    fn visit_impl_item_fn(&mut self, method: &'ast syn::ImplItemFn) {
        self.measure(&method.attrs, &method.sig, &method.block);
        visit::visit_impl_item_fn(self, method);
    }

    fn visit_trait_item_fn(&mut self, method: &'ast syn::TraitItemFn) {
        if let Some(body) = &method.default {
            self.measure(&method.attrs, &method.sig, body);
        }
        visit::visit_trait_item_fn(self, method);
    }
}

/// Whether a doc comment has the word `Long` followed by a reason, as in
/// `/// Long: one match over every Twilio status.`
fn says_why_it_is_long(attrs: &[syn::Attribute]) -> bool {
    doc_lines(attrs).iter().any(|line| gives_a_reason(line))
}

/// The lines of a doc comment (`///` and `#[doc = "…"]`).
fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    let text_of = |attr: &syn::Attribute| match &attr.meta {
        syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => match &doc.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    };
    attrs.iter().filter_map(text_of).collect()
}

/// Whether `line` has the word `Long` (not `Longest`) with text after it.
fn gives_a_reason(line: &str) -> bool {
    line.match_indices("Long").any(|(at, word)| {
        let before = line[..at].chars().next_back();
        let after = &line[at + word.len()..];
        let is_word =
            !before.is_some_and(char::is_alphanumeric) && !after.starts_with(char::is_alphanumeric);
        let reason = after.trim_start_matches(|c: char| ":-—,".contains(c) || c.is_whitespace());
        is_word && !reason.is_empty()
    })
}
