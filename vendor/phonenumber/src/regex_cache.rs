//! Stands in for the `regex-cache` crate upstream uses (HeyWay fork).
//!
//! Upstream checks every metadata pattern's syntax when the database loads
//! (thousands of parses on the first phone number) and then compiles them
//! through one LRU cache behind a global mutex. Here a pattern is compiled
//! with `regex-lite` the first time it is used and kept with its metadata,
//! so only the patterns of the regions actually parsed are ever compiled.
//! The names and methods are upstream's, so the rest of the crate is
//! unchanged. Every pattern in the bundled metadata is compiled by a test
//! (`metadata::database::test::every_pattern_compiles`); one that failed
//! would match nothing rather than panic.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use regex_lite::{Captures, Match, Regex, RegexBuilder, Replacer};

/// Kept for the signature of `Database::cache` and `CachedRegex::new`.
#[derive(Clone, Debug, Default)]
pub struct RegexCache;

impl RegexCache {
    pub fn new(_capacity: usize) -> Self {
        RegexCache
    }
}

#[derive(Clone)]
pub struct CachedRegex {
    source: String,
    ignore_whitespace: bool,
    compiled: OnceLock<Option<Regex>>,
}

impl CachedRegex {
    pub fn new<C>(_cache: C, source: &str) -> Result<CachedRegex, regex_lite::Error> {
        Ok(CachedRegex::lazy(source, false))
    }

    fn lazy(source: &str, ignore_whitespace: bool) -> CachedRegex {
        CachedRegex {
            source: source.to_owned(),
            ignore_whitespace,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled pattern, or `None` when it does not compile.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.source)
                    .ignore_whitespace(self.ignore_whitespace)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    pub fn find<'t>(&self, text: &'t str) -> Option<Match<'t>> {
        self.regex()?.find(text)
    }

    pub fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        self.regex()?.captures(text)
    }

    pub fn replace<'t, R: Replacer>(&self, text: &'t str, rep: R) -> Cow<'t, str> {
        match self.regex() {
            Some(re) => re.replace(text, rep),
            None => Cow::Borrowed(text),
        }
    }

    pub fn replace_all<'t, R: Replacer>(&self, text: &'t str, rep: R) -> Cow<'t, str> {
        match self.regex() {
            Some(re) => re.replace_all(text, rep),
            None => Cow::Borrowed(text),
        }
    }

    pub fn shortest_match(&self, text: &str) -> Option<usize> {
        self.regex()?.shortest_match(text)
    }

    pub fn captures_len(&self) -> usize {
        self.regex().map_or(0, Regex::captures_len)
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for CachedRegex {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Debug::fmt(&self.source, f)
    }
}

impl fmt::Display for CachedRegex {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

pub struct CachedRegexBuilder {
    source: String,
    ignore_whitespace: bool,
}

impl CachedRegexBuilder {
    pub fn new<C>(_cache: C, source: &str) -> CachedRegexBuilder {
        CachedRegexBuilder {
            source: source.to_owned(),
            ignore_whitespace: false,
        }
    }

    pub fn ignore_whitespace(&mut self, yes: bool) -> &mut CachedRegexBuilder {
        self.ignore_whitespace = yes;
        self
    }

    pub fn build(&self) -> Result<CachedRegex, regex_lite::Error> {
        Ok(CachedRegex::lazy(&self.source, self.ignore_whitespace))
    }
}
