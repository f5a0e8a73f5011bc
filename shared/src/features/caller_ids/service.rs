//! What the caller ID routes and Twilio's validation callback do, over
//! both places the old app kept caller IDs (see `entry`).

use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::Deserialize;
use utoipa::ToSchema;

use super::entry::{self, Entry};
use super::repo;
use super::twilio_config;
use super::view::{view, CallerIdList, CallerIdView, ValidationStarted};
use crate::error::{Error, Result};
use crate::http::input::short_text;
use crate::infra::db::Db;
use crate::integrations::twilio::caller_ids::{
    CallerIdError, CallerIdsClient, ValidationRequest, ALREADY_VERIFIED,
};
use crate::model::{phone, User};

/// Where Twilio reports a validation's outcome.
pub const CALLBACK_PATH: &str = "/webhooks/twilio/caller-id";
/// Twilio's limit on `FriendlyName`.
pub const MAX_FRIENDLY_NAME: usize = 64;
/// Seconds Twilio waits before calling, so the user can read the code.
pub const CALL_DELAY_SECS: u32 = 5;

/// `POST /api/caller-ids`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCallerId {
    /// The number to verify, any common spelling; stored in E.164.
    pub phone_number: String,
    /// A label, at most 64 characters.
    #[serde(default)]
    pub friendly_name: Option<String>,
}

/// The user's preferred caller ID in E.164 (as stored when it does not
/// parse), if they picked one.
fn preferred_of(user: &Document) -> Option<String> {
    let raw = user.get_str("preferredCallerID").ok()?.trim();
    (!raw.is_empty()).then(|| phone::to_e164(raw, None).unwrap_or_else(|_| raw.to_string()))
}

/// The user's caller IDs, from both stores.
pub async fn list(db: &Db, user_id: ObjectId) -> Result<CallerIdList> {
    let user = repo::user_document(db, user_id).await?;
    let preferred = preferred_of(&user);
    let entries = entries(db, &user, user_id).await?;
    Ok(CallerIdList {
        caller_ids: entries
            .iter()
            .map(|e| view(e, preferred.as_deref()))
            .collect(),
        preferred_caller_id: preferred,
    })
}

/// `raw` in E.164, or a 422 naming `field`.
pub fn parse_phone(field: &str, raw: &str) -> Result<String> {
    phone::to_e164(raw, None).map_err(|e| Error::validation(field, format!("{field} {e}")))
}

/// The status callback URL for `user_id`, when the public base is known.
pub fn callback_url(base_url: Option<&str>, user_id: ObjectId) -> Option<String> {
    let base = base_url?.trim().trim_end_matches('/');
    (!base.is_empty()).then(|| format!("{base}{CALLBACK_PATH}?userId={}", user_id.to_hex()))
}

/// Twilio's refusal in words for the user.
fn refusal(error: CallerIdError) -> Error {
    if error.is_transient() {
        return Error::Unavailable(
            "The phone service is busy right now. Please try verifying this number again in a minute."
                .into(),
        );
    }
    match error {
        CallerIdError::Refused { code: Some(ALREADY_VERIFIED), .. } => Error::Conflict {
            field: Some("phoneNumber".into()),
            message: "This number is already verified with the phone service. Use Refresh to check it, or contact support."
                .into(),
        },
        CallerIdError::Refused { code: Some(21211 | 21217 | 21212 | 21401 | 21214), .. } => {
            Error::validation(
                "phoneNumber",
                "The phone service cannot call this number to verify it. Please check it.",
            )
        }
        CallerIdError::Refused { status: 401 | 403, .. } => Error::Unavailable(
            "Caller ID verification is unavailable because of a problem with our phone service account. Our team has been notified."
                .into(),
        ),
        CallerIdError::Refused { message, .. } => Error::validation(
            "phoneNumber",
            if message.is_empty() {
                "The phone service refused to verify this number.".to_string()
            } else {
                format!("The phone service refused to verify this number: {message}")
            },
        ),
        CallerIdError::Unavailable(_) => Error::Unavailable(
            "The phone service is unavailable right now. Please try again in a minute.".into(),
        ),
    }
}

/// Starts Twilio's validation of `input.phone_number` for the user and
/// records it pending.
pub async fn add(
    db: &Db,
    twilio: Option<&CallerIdsClient>,
    base_url: Option<&str>,
    user_id: ObjectId,
    input: NewCallerId,
) -> Result<ValidationStarted> {
    let e164 = parse_phone("phoneNumber", &input.phone_number)?;
    let friendly_name = match input.friendly_name.as_deref() {
        Some(name) => {
            Some(short_text("friendlyName", name, MAX_FRIENDLY_NAME)?).filter(|n| !n.is_empty())
        }
        None => None,
    };
    let user: User = crate::infra::store::find_by_id(db, user_id)
        .await?
        .ok_or(Error::NotFound { what: "user" })?;
    if is_verified(db, &user, &e164).await? {
        return Err(Error::Conflict {
            field: Some("phoneNumber".into()),
            message: "This number is already one of your verified caller IDs.".into(),
        });
    }
    if repo::verified_by_another(db, user_id, &e164).await? {
        return Err(Error::Conflict {
            field: Some("phoneNumber".into()),
            message: "This number is already verified by another account.".into(),
        });
    }
    let twilio = twilio.ok_or_else(|| {
        Error::Unavailable("Caller ID verification is not configured on this server.".into())
    })?;
    let status_callback = callback_url(base_url, user_id);
    if status_callback.is_none() {
        tracing::warn!("WEBHOOK_BASE_URL is not set: no validation callback; use refresh");
    }
    // Pending before Twilio is asked: its callback can come back before
    // its answer does, and must find the record.
    let before = repo::find_number(db, user_id, &e164).await?;
    repo::record_pending(db, user_id, &e164, friendly_name.as_deref()).await?;
    let requested = twilio
        .request_validation(&ValidationRequest {
            phone_number: e164.clone(),
            friendly_name: friendly_name.clone(),
            call_delay_secs: Some(CALL_DELAY_SECS),
            status_callback,
        })
        .await;
    let validation = match requested {
        Ok(validation) => validation,
        Err(error) => {
            repo::undo_pending(db, user_id, &e164, before.as_ref()).await?;
            return Err(refusal(error));
        }
    };
    if let Some(sid) = validation.call_sid.as_deref() {
        repo::note_validation_call(db, user_id, &e164, sid).await?;
    }
    Ok(ValidationStarted {
        phone_number: e164,
        friendly_name,
        validation_code: validation.validation_code,
        status: "pending".into(),
        verified: false,
    })
}

/// The user's entry for `e164`, or `NotFound`.
async fn entry(db: &Db, user_id: ObjectId, e164: &str) -> Result<(Entry, Option<String>)> {
    let user = repo::user_document(db, user_id).await?;
    let preferred = preferred_of(&user);
    entries(db, &user, user_id)
        .await?
        .into_iter()
        .find(|e| e.phone_number == e164)
        .map(|e| (e, preferred))
        .ok_or(Error::NotFound { what: "caller ID" })
}

/// Removes the caller ID from both stores and from Twilio (when Twilio
/// has it and no other user holds it).
pub async fn delete(
    db: &Db,
    twilio: Option<&CallerIdsClient>,
    user_id: ObjectId,
    raw: &str,
) -> Result<()> {
    let e164 = parse_phone("phone", raw)?;
    let (entry, _) = entry(db, user_id, &e164).await?;
    if let Some(twilio) = twilio {
        if !repo::verified_by_another(db, user_id, &e164).await? {
            let sids = match entry.twilio_sid.clone() {
                Some(sid) => vec![sid],
                None => match twilio.list(&e164).await {
                    Ok(ids) => ids.into_iter().map(|id| id.sid).collect(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot look the caller ID up on Twilio");
                        Vec::new()
                    }
                },
            };
            for sid in sids {
                if let Err(error) = twilio.delete(&sid).await {
                    // Removed here regardless: the user asked, and an
                    // extra verified ID on the account harms nobody.
                    tracing::warn!(%error, %sid, "could not remove the caller ID from Twilio");
                }
            }
        }
    }
    remove(db, user_id, &e164).await?;
    Ok(())
}

/// Asks Twilio's list whether the user's pending `raw` is verified now,
/// and records it when it is.
pub async fn refresh(
    db: &Db,
    twilio: Option<&CallerIdsClient>,
    user_id: ObjectId,
    raw: &str,
) -> Result<CallerIdView> {
    let e164 = parse_phone("phone", raw)?;
    let (found, preferred) = entry(db, user_id, &e164).await?;
    if found.verified {
        return Ok(view(&found, preferred.as_deref()));
    }
    // Only a validation this user started counts: Twilio's list is the
    // whole account's.
    if repo::find_number(db, user_id, &e164).await?.is_none() {
        return Ok(view(&found, preferred.as_deref()));
    }
    let twilio = twilio.ok_or_else(|| {
        Error::Unavailable("Caller ID verification is not configured on this server.".into())
    })?;
    let listed = twilio.list(&e164).await.map_err(refusal)?;
    if let Some(id) = listed.into_iter().find(|id| id.phone_number == e164) {
        if repo::verified_by_another(db, user_id, &e164).await? {
            return Err(Error::Conflict {
                field: Some("phone".into()),
                message: "This number is already verified by another account.".into(),
            });
        }
        mark_verified(db, user_id, &e164, Some(&id.sid)).await?;
    }
    let (found, preferred) = entry(db, user_id, &e164).await?;
    Ok(view(&found, preferred.as_deref()))
}

/// Every caller ID of the user (whose raw document is `user`), verified
/// or not, oldest first.
async fn entries(db: &Db, user: &Document, user_id: ObjectId) -> Result<Vec<Entry>> {
    let numbers = repo::numbers(db, user_id).await?;
    Ok(entry::merged(&numbers, user))
}

/// Whether `e164` is verified for `user` in either store; what
/// `PATCH /api/me` and the dialer accept as a caller ID.
pub async fn is_verified(db: &Db, user: &User, e164: &str) -> Result<bool> {
    if twilio_config::holds_verified(user.twilio_config.as_ref(), e164) {
        return Ok(true);
    }
    repo::is_verified_number(db, user.id, e164).await
}

/// Marks `e164` verified for the user in both stores, and makes it the
/// preferred caller ID when the user has none.
pub async fn mark_verified(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    twilio_sid: Option<&str>,
) -> Result<()> {
    let user = repo::user_document(db, user_id).await?;
    let now = DateTime::now();
    repo::mark_number_verified(db, user_id, e164, twilio_sid, now).await?;
    let config = twilio_config::with_verified(&user, e164, twilio_sid, now);
    let preferred = preferred_of(&user).is_none().then_some(e164);
    repo::set_twilio_config(db, user_id, config, preferred, now).await
}

/// Removes `e164` from both of the user's stores and clears
/// `preferredCallerID` when it was that number. Answers whether anything
/// was there.
pub async fn remove(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let user = repo::user_document(db, user_id).await?;
    let deleted = repo::delete_numbers(db, user_id, e164).await?;
    let kept = twilio_config::without(&user, e164);
    let in_config = kept.is_some();
    let forms = phone::stored_forms(e164);
    let preferred = user.get_str("preferredCallerID").unwrap_or_default().trim();
    let was_preferred = !preferred.is_empty()
        && (forms.iter().any(|f| f == preferred) || entry::normalized(preferred) == e164);
    repo::forget_on_user(db, user_id, kept, was_preferred).await?;
    Ok(deleted > 0 || in_config)
}

/// What a validation callback did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    Verified,
    Failed,
    /// Not about a validation this user started.
    Ignored,
}

/// Applies Twilio's validation callback for `user_id`: `form` carries
/// `To` (the number), `VerificationStatus` and `OutgoingCallerIdSid`.
pub async fn apply_callback(
    db: &Db,
    user_id: ObjectId,
    form: &[(String, String)],
) -> Result<CallbackOutcome> {
    let field = |name: &str| crate::integrations::twilio::form::field(form, name);
    let raw = field("To")
        .or_else(|| field("Called"))
        .or_else(|| field("PhoneNumber"))
        .ok_or_else(|| Error::bad_request(Some("To"), "To is missing"))?;
    let e164 =
        phone::to_e164(raw, None).map_err(|e| Error::bad_request(Some("To"), format!("To {e}")))?;
    repo::user_document(db, user_id).await?;
    let status = field("VerificationStatus").unwrap_or_default();
    match status {
        "success" => {
            if repo::verified_by_another(db, user_id, &e164).await? {
                tracing::warn!(user = %user_id, "validated a number another user holds; ignored");
                return Ok(CallbackOutcome::Ignored);
            }
            let sid = field("OutgoingCallerIdSid");
            mark_verified(db, user_id, &e164, sid).await?;
            Ok(CallbackOutcome::Verified)
        }
        "failed" => Ok(if repo::record_failed(db, user_id, &e164).await? {
            CallbackOutcome::Failed
        } else {
            CallbackOutcome::Ignored
        }),
        other => Err(Error::bad_request(
            Some("VerificationStatus"),
            format!("unknown VerificationStatus {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_url_carries_the_user() {
        let id = ObjectId::parse_str("6a0000000000000000000001").unwrap();
        assert_eq!(
            callback_url(Some("https://h.test/"), id).unwrap(),
            "https://h.test/webhooks/twilio/caller-id?userId=6a0000000000000000000001"
        );
        assert_eq!(callback_url(Some(" "), id), None);
        assert_eq!(callback_url(None, id), None);
    }

    #[test]
    fn refusals_are_sorted() {
        let refused = |status, code| CallerIdError::Refused {
            status,
            code,
            message: "m".into(),
        };
        assert_eq!(refusal(refused(400, Some(21450))).status().as_u16(), 409);
        assert_eq!(refusal(refused(400, Some(21211))).status().as_u16(), 422);
        assert_eq!(refusal(refused(401, Some(20003))).status().as_u16(), 503);
        assert_eq!(refusal(refused(503, None)).status().as_u16(), 503);
        assert_eq!(refusal(refused(400, Some(21999))).status().as_u16(), 422);
    }
}
