//! Failing with every violation at once, sorted by file and line.

use std::fmt;

/// One broken rule, where it is broken.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// A file or folder from the workspace root, or what else is at fault
    /// (`FEATURE_GRAPH`).
    pub place: String,
    /// 0 when the whole place is at fault.
    pub line: usize,
    pub message: String,
}

impl Violation {
    pub fn at(place: impl Into<String>, line: usize, message: impl Into<String>) -> Violation {
        let (place, message) = (place.into(), message.into());
        Violation {
            place,
            line,
            message,
        }
    }

    pub fn of(place: impl Into<String>, message: impl Into<String>) -> Violation {
        Violation::at(place, 0, message)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.place, self.message),
            line => write!(f, "{}:{line}: {}", self.place, self.message),
        }
    }
}

/// Panics if there are violations, listing them all under a headline that
/// counts them, then how to fix them.
pub fn assert_none(mut violations: Vec<Violation>, what: &str, how_to_fix: &str) {
    if violations.is_empty() {
        return;
    }
    violations.sort();
    violations.dedup();
    let list: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
    let count = violations.len();
    panic!("{count} {what}:\n{}\n\n{how_to_fix}", list.join("\n"));
}
