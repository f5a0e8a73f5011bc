//! Claiming a scheduled call exactly once: the claim and its lease are
//! written by [`super::repo::claims`], which also ends, defers and hands
//! back claimed calls.

use chrono::{DateTime, Duration, Utc};

use super::repo::claims;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::model::ScheduledCall;

/// What [`claim`] found.
///
/// One value per dial job, returned and matched at once, never stored in
/// bulk: the unboxed call costs nothing worth an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// This dialer now holds the call (status `processing`, leased).
    Claimed(ScheduledCall),
    /// The call exists but is not ours to dial: another dialer holds a live
    /// lease, or it is completed, failed, cancelled or missed.
    AlreadyTaken,
    /// No such call for the job's user.
    NotFound,
}

/// Claims the job's call for `lease`: one atomic update that only matches
/// a call not yet started (`pending`, `enqueuing`, `queued`) or one whose
/// dialer's lease ran out before `now` ([`claims::take`]). When it does
/// not match, tells a call that is not ours from one that is not there.
pub async fn claim(db: &Db, job: &DialJob, now: DateTime<Utc>, lease: Duration) -> Result<Claim> {
    if let Some(call) = claims::take(db, job, now, lease).await? {
        return Ok(Claim::Claimed(call));
    }
    Ok(if claims::exists(db, job).await? {
        Claim::AlreadyTaken
    } else {
        Claim::NotFound
    })
}
