//! Calls per second per Twilio account, shared by every dialer at once.
//!
//! Twilio places an account's calls at its CPS (1 by default) and queues
//! the rest; pacing ourselves keeps `queue_time` (and the callee's ring)
//! honest and spreads a burst of due calls. Each dialer reserves the next
//! free slot in one small document per account (`dialerpacing`), with a
//! compare-and-set, so concurrent Lambdas share one budget.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::bson;

use super::repo::pacing as repo;
use crate::error::Result;
use crate::infra::db::Db;

/// What the pacer decided for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Dial after this wait (zero: now).
    After(Duration),
    /// Every slot within the wait limit is taken: hand the job back to the
    /// queue for this long instead of holding the dialer.
    Later(Duration),
}

#[derive(Clone, Debug)]
pub struct Pacer {
    account: String,
    /// Time between two calls; `None` when pacing is off.
    interval: Option<chrono::Duration>,
    /// The longest a dialer waits for a slot.
    max_wait: chrono::Duration,
}

impl Pacer {
    /// `calls_per_second` 0 turns pacing off.
    pub fn new(account: impl Into<String>, calls_per_second: u64, max_wait: Duration) -> Self {
        let interval = (calls_per_second > 0).then(|| {
            chrono::Duration::microseconds(1_000_000 / i64::try_from(calls_per_second).unwrap_or(1))
        });
        Self {
            account: account.into(),
            interval,
            max_wait: chrono::Duration::from_std(max_wait).unwrap_or(chrono::Duration::seconds(20)),
        }
    }

    pub fn is_off(&self) -> bool {
        self.interval.is_none()
    }

    /// Reserves the next slot at or after `now`.
    pub async fn reserve(&self, db: &Db, now: DateTime<Utc>) -> Result<Pace> {
        let Some(interval) = self.interval else {
            return Ok(Pace::After(Duration::ZERO));
        };
        // A handful of rounds: each lost race means another dialer took a
        // slot, and the next read sees it.
        for _ in 0..50 {
            let current = repo::next_slot(db, &self.account).await?;
            let previous = current.map(bson::DateTime::to_chrono);
            let slot = previous.map_or(now, |p| p.max(now));
            let wait = slot - now;
            if wait > self.max_wait {
                return Ok(Pace::Later(wait.to_std().unwrap_or_default()));
            }
            let next = bson::DateTime::from_chrono(slot + interval);
            let won = match current {
                None => repo::take_first_slot(db, &self.account, next).await?,
                Some(previous) => repo::take_slot(db, &self.account, previous, next).await?,
            };
            if won {
                return Ok(Pace::After(wait.to_std().unwrap_or_default()));
            }
        }
        Ok(Pace::Later(
            interval.to_std().unwrap_or(Duration::from_secs(1)),
        ))
    }
}
