//! How the evaluator behaves: lateness, history length, recheck and lease
//! times, from the environment in production.

use chrono::Duration;

/// How the evaluator behaves; from the environment in production.
#[derive(Clone, Copy, Debug)]
pub struct EvaluatorSettings {
    /// A call found later than this is recorded as missed, not placed.
    pub max_lateness: Duration,
    /// Entries kept in `executionHistory`.
    pub history_cap: i32,
    /// An automation with nothing upcoming is looked at again after this,
    /// so edits made by other writers are picked up.
    pub recheck_after: Duration,
    /// How long a claimed automation stays out of other passes.
    pub lease: Duration,
}

impl Default for EvaluatorSettings {
    fn default() -> Self {
        Self {
            max_lateness: Duration::hours(3),
            history_cap: 50,
            recheck_after: Duration::hours(24),
            lease: Duration::minutes(5),
        }
    }
}

impl EvaluatorSettings {
    pub fn from_config(config: &crate::Config) -> Self {
        Self {
            max_lateness: Duration::minutes(
                i64::try_from(config.max_call_lateness_minutes).unwrap_or(i64::MAX / 60_000),
            ),
            ..Self::default()
        }
    }
}
