//! Escaping user text so it matches literally inside a `$regex`.

/// `text` with every regex metacharacter escaped, so it matches literally.
///
/// Only the characters both PCRE (MongoDB) and Rust's regex (SecantusDB)
/// treat as escapable are escaped: the set of `regex::escape`.
pub fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '#'
                | '&'
                | '-'
                | '~'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_metacharacters() {
        assert_eq!(escape_regex("a.b*(c)"), r"a\.b\*\(c\)");
        assert_eq!(escape_regex("o'brien@x"), "o'brien@x");
        assert_eq!(escape_regex("Shop list"), "Shop list");
        assert_eq!(escape_regex("a.b+c@d.test"), "a\\.b\\+c@d\\.test");
    }
}
