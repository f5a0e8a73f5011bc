//! Fixed-window rate limits kept in MongoDB (the counters are
//! [`super::repo::rate_limits`]), so every Lambda environment counts
//! against the same budget.

use std::time::{SystemTime, UNIX_EPOCH};

use mongodb::bson::DateTime;

use super::repo;
use crate::error::{Error, Result};
use crate::infra::db::Db;

/// At most `max` attempts per `window_secs` for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: u32,
    pub window_secs: u64,
}

/// Password sign-in: per account (email) and per client IP.
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    name: "login-account",
    max: 10,
    window_secs: 15 * 60,
};
pub const LOGIN_PER_IP: Limit = Limit {
    name: "login-ip",
    max: 50,
    window_secs: 15 * 60,
};
/// SMS codes sent: per phone number and per client IP; each costs money.
pub const SMS_PER_NUMBER: Limit = Limit {
    name: "sms-number",
    max: 5,
    window_secs: 60 * 60,
};
pub const SMS_PER_IP: Limit = Limit {
    name: "sms-ip",
    max: 20,
    window_secs: 60 * 60,
};
/// SMS code checks per phone number: six digits must not be guessable.
pub const SMS_CHECKS_PER_NUMBER: Limit = Limit {
    name: "sms-check",
    max: 10,
    window_secs: 60 * 60,
};
/// Registrations per client IP.
pub const REGISTER_PER_IP: Limit = Limit {
    name: "register-ip",
    max: 20,
    window_secs: 60 * 60,
};

/// Counts one attempt for `key` under `limit`; `RateLimited` once the
/// window's budget is spent.
pub async fn hit(db: &Db, limit: Limit, key: &str) -> Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    hit_at(db, limit, key, now).await
}

pub async fn hit_at(db: &Db, limit: Limit, key: &str, now_secs: u64) -> Result<()> {
    let window_start = now_secs - now_secs % limit.window_secs;
    let window_end = window_start + limit.window_secs;
    let id = format!("{}:{}:{}", limit.name, key.to_lowercase(), window_start);
    let expires_at = DateTime::from_millis(i64::try_from(window_end * 1000).unwrap_or(i64::MAX));
    let count = repo::rate_limits::hit(db, &id, expires_at).await?;
    if count > i64::from(limit.max) {
        return Err(Error::RateLimited {
            retry_after_secs: window_end.saturating_sub(now_secs).max(1),
        });
    }
    Ok(())
}
