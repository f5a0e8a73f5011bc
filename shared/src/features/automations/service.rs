//! Create, read, update, delete, pause and activate one automation, always
//! within one user's automations: another user's id is simply not found.
//! Bodies go through [`validate`] first; every read and write is a
//! [`repo`] call.

use chrono_tz::Tz;
use mongodb::bson::{oid::ObjectId, DateTime};

use super::input::AutomationInput;
use super::repo;
use super::validate::validate;
use super::view::AutomationView;
use crate::error::Result;
use crate::http::page::{PageRequest, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Automation, User};

/// The zone of a new automation that names none: the user's, else New
/// York (where production's users are).
async fn user_zone(db: &Db, user_id: ObjectId) -> Result<Tz> {
    let user: Option<User> = store::find_by_id(db, user_id).await?;
    Ok(user
        .as_ref()
        .and_then(User::time_zone)
        .unwrap_or(chrono_tz::America::New_York))
}

/// The user's automations, newest first; `active` filters on `isActive`.
pub async fn list(
    db: &Db,
    user_id: ObjectId,
    active: Option<bool>,
    page: PageRequest,
) -> Result<Paged<AutomationView>> {
    let found = repo::page(db, user_id, active, page.skip(), page.limit).await?;
    Ok(page.paged(found, |a: Automation| AutomationView::from(a)))
}

/// The user's automation `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    repo::find(db, user_id, id).await
}

/// Creates an automation in the second-generation shape. `nextRun` and
/// `lastRun` are now: the evaluator looks at it on its next pass and calls
/// only occurrences from now on.
pub async fn create(db: &Db, user_id: ObjectId, body: AutomationInput) -> Result<Automation> {
    let zone = user_zone(db, user_id).await?;
    let changes = validate(db, user_id, body, None, zone).await?;
    repo::insert(db, user_id, &changes, DateTime::now()).await
}

/// Applies `body` with one targeted update: the given fields are written,
/// nothing else is touched, so legacy and unknown fields survive. A first
/// generation document whose timing changes gets the complete second
/// generation timing and loses `triggerType` (see
/// [`TimingChange::Migration`](super::changes::TimingChange::Migration)).
///
/// A change of when, whom or from which date it calls sets `nextRun` to
/// now so the next evaluator pass looks at it. `lastRun` is kept: the pass
/// covers `(lastRun, now]`, so an occurrence the change moves into that
/// window (a time of day a few minutes ago, a contact whose date was
/// yesterday) is still placed if it is not older than the evaluator's
/// lateness limit.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    body: AutomationInput,
) -> Result<Automation> {
    let existing = get(db, user_id, id).await?;
    let zone = user_zone(db, user_id).await?;
    let changes = validate(db, user_id, body, Some(&existing), zone).await?;
    if changes.is_empty() {
        return Ok(existing);
    }
    repo::update(db, &existing, &changes, DateTime::now()).await?;
    get(db, user_id, id).await
}

/// Deletes the automation and cancels its calls that have not started.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    repo::delete(db, user_id, id).await?;
    repo::cancel_not_started(db, user_id, id).await?;
    Ok(())
}

/// Stops calling: `isActive: false`, and the calls not yet started are
/// cancelled (a call already with a dialer finishes), so `pendingCount`
/// is counted again.
pub async fn pause(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    repo::pause(db, user_id, id).await?;
    repo::cancel_not_started(db, user_id, id).await?;
    let open = repo::count_open_calls(db, user_id, id).await?;
    repo::set_pending_count(db, user_id, id, open).await?;
    get(db, user_id, id).await
}

/// Starts calling again from now: occurrences that passed while it was
/// paused are not made up.
pub async fn activate(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    repo::activate(db, user_id, id, DateTime::now()).await?;
    get(db, user_id, id).await
}
