//! The layers of the core crate and which may use which.

use std::fmt;

/// The base modules, lowest first: each may use itself and those before it.
pub const BASE_MODULES: [&str; 5] = ["error", "model", "schedule", "infra", "integrations"];

/// Where a module sits in the layout, from its path in the crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `lib.rs` and anything it declares itself (a re-export nobody can
    /// follow, a `#[macro_export]` macro): usable from every layer.
    Root,
    /// `error`, `model`, `schedule`, `infra` or `integrations`.
    Base { module: &'static str, rank: usize },
    /// `http/`: the toolkit every route uses.
    Http,
    /// `features/mod.rs` (no feature) or one feature's files.
    Features { feature: Option<String> },
    /// `app.rs` or `app/`: the composition root.
    App,
    /// A top module the layout does not know (`contacts/` before its move).
    Unknown { top: String },
}

impl Place {
    /// The place of a module path from the crate root, e.g.
    /// `["features", "calls", "repo"]`.
    pub fn of(module: &[String]) -> Place {
        let Some(top) = module.first() else {
            return Place::Root;
        };
        if let Some(rank) = BASE_MODULES.iter().position(|base| base == top) {
            return Place::Base {
                module: BASE_MODULES[rank],
                rank,
            };
        }
        match top.as_str() {
            "http" => Place::Http,
            "features" => Place::Features {
                feature: module.get(1).cloned(),
            },
            "app" => Place::App,
            _ => Place::Unknown { top: top.clone() },
        }
    }

    /// Whether code placed here may use something placed at `target`.
    /// Unknown places are reported on their own, not through what they use.
    pub fn may_use(&self, target: &Place) -> bool {
        match (self, target) {
            (Place::Root | Place::Unknown { .. }, _) | (_, Place::Root) => true,
            (Place::Base { rank: here, .. }, Place::Base { rank: there, .. }) => there <= here,
            _ => match (self.height(), target.height()) {
                (Some(here), Some(there)) => there <= here,
                _ => false,
            },
        }
    }

    /// The layer's height: base 0, http 1, features 2, app 3.
    fn height(&self) -> Option<usize> {
        match self {
            Place::Base { .. } => Some(0),
            Place::Http => Some(1),
            Place::Features { .. } => Some(2),
            Place::App => Some(3),
            Place::Root | Place::Unknown { .. } => None,
        }
    }

    /// The feature this is in, if it is in one.
    pub fn feature(&self) -> Option<&str> {
        match self {
            Place::Features { feature } => feature.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Root => write!(f, "the crate root"),
            Place::Base { module, rank } => write!(f, "base `{module}` (rank {rank})"),
            Place::Http => write!(f, "http"),
            Place::Features { feature: None } => write!(f, "features"),
            Place::Features {
                feature: Some(name),
            } => write!(f, "feature `{name}`"),
            Place::App => write!(f, "app"),
            Place::Unknown { top } => write!(f, "`{top}`, which is not in a known layer"),
        }
    }
}
