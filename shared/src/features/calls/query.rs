//! The list's and the stats' query parameters, read into a typed
//! [`CallFilter`] the repo turns into one MongoDB filter scoped by
//! `userId`. Nothing is guessed: a value that is not acceptable (unknown
//! status, bad date or flag, unknown contact) is a 422 naming the
//! parameter, like every other route's rule breaks; only a malformed id is
//! a 400, as it is everywhere in the API.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mongodb::bson::{self, oid::ObjectId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::repo::{self, CallFilter, ContactMatch, CreatedRange, Search, Until};
use crate::error::{Error, Result};
use crate::http::extract::object_id;
use crate::http::input::short_text;
use crate::infra::db::Db;
use crate::infra::store::owned;
use crate::model::phone;
use crate::model::{CallStatus, Contact};

const MAX_CATEGORY_CHARS: usize = 100;
const MAX_SEARCH_CHARS: usize = 100;

/// `GET /api/calls`' query parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct CallQuery {
    /// Only calls with this status; several comma-separated
    /// (`busy,no-answer`).
    pub status: Option<String>,
    /// Only calls the AI put in this `analysis.category`; several
    /// comma-separated.
    pub category: Option<String>,
    /// `true`: only calls whose analysis asks for a follow-up; `false`:
    /// only the others (no analysis counts as `false`).
    pub follow_up_needed: Option<String>,
    /// `true`: only calls whose follow-up was marked done; `false`: the
    /// others. With `followUpNeeded=true`, `false` lists the open
    /// follow-ups.
    pub follow_up_done: Option<String>,
    /// Only calls of this automation (id).
    pub automation_id: Option<String>,
    /// `true`: only inbound calls; `false`: only outbound ones.
    pub inbound: Option<String>,
    /// Only calls created at or after this instant: RFC 3339, or
    /// `YYYY-MM-DD` for the start of that day in the user's timezone.
    pub from: Option<String>,
    /// Only calls created at or before this instant: RFC 3339, or
    /// `YYYY-MM-DD` for the whole of that day in the user's timezone.
    pub to: Option<String>,
    /// Only calls with this contact (id): by the call's contact, or by
    /// the contact's number among the participants (older calls).
    pub contact_id: Option<String>,
    /// Part of a participant's phone number or name.
    pub search: Option<String>,
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// The date range parameters, shared with the stats.
///
/// A bare `YYYY-MM-DD` is a day on the owner's calendar: "calls on the
/// 16th" for a business in Los Angeles runs from 07:00Z on the 16th to
/// 07:00Z on the 17th, not midnight to midnight UTC.
#[derive(Clone, Debug)]
pub struct DateRange<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// The zone bare days are read in: the user's, else UTC.
    pub zone: Tz,
}

impl<'a> DateRange<'a> {
    /// The range for `user_id`: the user's timezone is read only when a
    /// bound is a bare day.
    pub async fn for_user(
        db: &Db,
        user_id: ObjectId,
        from: Option<&'a str>,
        to: Option<&'a str>,
    ) -> Result<DateRange<'a>> {
        let needs_zone = from.into_iter().chain(to).any(|text| day(text).is_some());
        let zone = if needs_zone {
            user_zone(db, user_id).await?
        } else {
            Tz::UTC
        };
        Ok(DateRange { from, to, zone })
    }

    /// The bounds on `createdAt`; `from` after `to` is refused.
    pub fn resolve(&self) -> Result<CreatedRange> {
        let from = self
            .from
            .map(|from| bound("from", from, false, self.zone))
            .transpose()?;
        let to = match self.to {
            None => None,
            // The whole day: before the next one begins.
            Some(to) if day(to).is_some() => Some(Until::Before(bound("to", to, true, self.zone)?)),
            Some(to) => Some(Until::AtOrBefore(bound("to", to, false, self.zone)?)),
        };
        if let (Some(from), Some(to)) = (from, to) {
            if from > to.instant() {
                return Err(Error::validation("from", "from must not be after to"));
            }
        }
        Ok(CreatedRange { from, to })
    }
}

/// The user's IANA zone (`users.timezone`), UTC when unset or unknown.
async fn user_zone(db: &Db, user_id: ObjectId) -> Result<Tz> {
    let zone = repo::user_timezone(db, user_id).await?;
    Ok(zone
        .and_then(|zone| zone.trim().parse::<Tz>().ok())
        .unwrap_or(Tz::UTC))
}

/// The first instant of `day` in `zone`. Where the clocks skip midnight
/// (a few zones start summer time at 00:00) the day begins an hour later.
fn start_of(day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// `text` as an instant; a bare day is its first instant in `zone`, or
/// with `next_day` the first instant of the day after.
fn bound(field: &str, text: &str, next_day: bool, zone: Tz) -> Result<bson::DateTime> {
    let invalid = || {
        Error::validation(
            field,
            format!("{field} must be an RFC 3339 date-time or a YYYY-MM-DD date"),
        )
    };
    let at: DateTime<Utc> = match day(text) {
        Some(day) => {
            let day = if next_day {
                day.succ_opt().ok_or_else(invalid)?
            } else {
                day
            };
            start_of(day, zone).ok_or_else(invalid)?
        }
        None => DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| invalid())?
            .with_timezone(&Utc),
    };
    Ok(bson::DateTime::from_chrono(at))
}

/// `true` or `false`, else a 422 naming `field`.
pub(super) fn boolean(field: &str, text: &str) -> Result<bool> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::validation(
            field,
            format!("{field} must be true or false"),
        )),
    }
}

/// The comma-separated values of `text`, trimmed, none empty.
fn values<'a>(field: &str, text: &'a str) -> Result<Vec<&'a str>> {
    let values: Vec<&str> = text.split(',').map(str::trim).collect();
    if values.iter().any(|value| value.is_empty()) {
        return Err(Error::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    Ok(values)
}

impl CallQuery {
    /// The filter for `user_id`'s calls matching these parameters, in the
    /// order the parameters are checked.
    pub async fn filter(&self, db: &Db, user_id: ObjectId) -> Result<CallFilter> {
        let mut filter = CallFilter::default();
        if let Some(text) = &self.status {
            filter.statuses = statuses(text)?;
        }
        if let Some(text) = &self.category {
            filter.categories = categories(text)?;
        }
        if let Some(text) = &self.follow_up_needed {
            filter.follow_up_needed = Some(boolean("followUpNeeded", text)?);
        }
        if let Some(text) = &self.follow_up_done {
            filter.follow_up_done = Some(boolean("followUpDone", text)?);
        }
        if let Some(id) = &self.automation_id {
            filter.automation_id = Some(object_id("automationId", id.trim())?);
        }
        if let Some(text) = &self.inbound {
            filter.inbound = Some(boolean("inbound", text)?);
        }
        let range =
            DateRange::for_user(db, user_id, self.from.as_deref(), self.to.as_deref()).await?;
        filter.created = range.resolve()?;
        if let Some(id) = &self.contact_id {
            let id = object_id("contactId", id.trim())?;
            filter.contact = Some(contact_match(db, user_id, id).await?);
        }
        if let Some(text) = &self.search {
            filter.search = search(text)?;
        }
        Ok(filter)
    }
}

/// The statuses in `text`, each one a call may have.
fn statuses(text: &str) -> Result<Vec<CallStatus>> {
    values("status", text)?
        .into_iter()
        .map(|value| {
            CallStatus::parse(value).ok_or_else(|| {
                Error::validation(
                    "status",
                    format!(
                        "unknown status {value:?}; status must be one of {}",
                        CallStatus::strings(&CallStatus::ALL).join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// The categories in `text`, none too long.
fn categories(text: &str) -> Result<Vec<String>> {
    let wanted = values("category", text)?;
    for value in &wanted {
        short_text("category", value, MAX_CATEGORY_CHARS)?;
    }
    Ok(wanted.into_iter().map(str::to_string).collect())
}

/// The user's contact `id`, and every form its number may be stored in on
/// a call.
async fn contact_match(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<ContactMatch> {
    let contact: Contact = owned::find(db, user_id, id, "contact")
        .await
        .map_err(|error| match error {
            Error::NotFound { .. } => Error::validation("contactId", "no such contact"),
            other => other,
        })?;
    // The number as the contact holds it, and every form production may
    // have stored it in on a call.
    let mut numbers: Vec<String> = Vec::new();
    let stored = contact.phone_number.trim();
    if !stored.is_empty() {
        numbers.push(stored.to_string());
    }
    if let Some(e164) = contact.phone_e164(None) {
        for form in phone::stored_forms(&e164) {
            if !numbers.contains(&form) {
                numbers.push(form);
            }
        }
    }
    Ok(ContactMatch { id, numbers })
}

/// A participant whose name contains `text`, or, when `text` looks like a
/// phone number, whose number contains its digits; `None` for blank text.
fn search(text: &str) -> Result<Option<Search>> {
    let text = short_text("search", text, MAX_SEARCH_CHARS)?;
    if text.is_empty() {
        return Ok(None);
    }
    let looks_like_number = text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && text.chars().any(|c| c.is_ascii_digit());
    if looks_like_number {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        return Ok(Some(Search::Digits(digits)));
    }
    Ok(Some(Search::Text(text)))
}

#[cfg(test)]
mod tests {
    use mongodb::bson::{doc, Document};

    use super::*;

    impl DateRange<'_> {
        /// The `createdAt` filter the repo builds from this range.
        fn filter(&self) -> Result<Option<Document>> {
            Ok(repo::created_filter(&self.resolve()?))
        }
    }

    /// The participants' filter the repo builds from `text`.
    fn search_filter(text: &str) -> Result<Option<Document>> {
        Ok(search(text)?.map(|search| repo::search_filter(&search)))
    }

    #[test]
    fn days_cover_the_whole_day() {
        let range = DateRange {
            from: Some("2025-09-16"),
            to: Some("2025-09-16"),
            zone: Tz::UTC,
        }
        .filter()
        .unwrap()
        .unwrap();
        assert_eq!(
            range,
            doc! {
                "$gte": bson::DateTime::from_chrono("2025-09-16T00:00:00Z".parse::<DateTime<Utc>>().unwrap()),
                "$lt": bson::DateTime::from_chrono("2025-09-17T00:00:00Z".parse::<DateTime<Utc>>().unwrap()),
            }
        );
    }

    #[test]
    fn days_are_the_owners_days() {
        let range = DateRange {
            from: Some("2025-09-16"),
            to: Some("2025-09-16"),
            zone: chrono_tz::America::Los_Angeles,
        }
        .filter()
        .unwrap()
        .unwrap();
        assert_eq!(
            range,
            doc! {
                "$gte": bson::DateTime::from_chrono("2025-09-16T07:00:00Z".parse::<DateTime<Utc>>().unwrap()),
                "$lt": bson::DateTime::from_chrono("2025-09-17T07:00:00Z".parse::<DateTime<Utc>>().unwrap()),
            }
        );
        // The day summer time starts is 23 hours long.
        let spring = DateRange {
            from: Some("2025-03-09"),
            to: Some("2025-03-09"),
            zone: chrono_tz::America::Los_Angeles,
        }
        .filter()
        .unwrap()
        .unwrap();
        assert_eq!(
            spring,
            doc! {
                "$gte": bson::DateTime::from_chrono("2025-03-09T08:00:00Z".parse::<DateTime<Utc>>().unwrap()),
                "$lt": bson::DateTime::from_chrono("2025-03-10T07:00:00Z".parse::<DateTime<Utc>>().unwrap()),
            }
        );
        // Where midnight is skipped, the day starts at 01:00.
        let skipped = start_of(
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
            chrono_tz::America::Asuncion,
        );
        assert!(skipped.is_some());
    }

    #[test]
    fn bad_dates_and_flags_name_the_parameter() {
        let err = DateRange {
            from: Some("yesterday"),
            to: None,
            zone: Tz::UTC,
        }
        .filter()
        .unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("from"));
        let err = DateRange {
            from: Some("2025-09-17"),
            to: Some("2025-09-16T12:00:00Z"),
            zone: Tz::UTC,
        }
        .filter()
        .unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("from"));
        assert_eq!(err.status(), 422);
        let err = boolean("inbound", "yes").unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("inbound"));
    }

    #[test]
    fn numbers_are_searched_by_digits() {
        let filter = search_filter(" (215) 555-0124 ").unwrap().unwrap();
        assert_eq!(
            filter,
            doc! { "participants.phoneNumber": { "$regex": "2155550124" } }
        );
        assert!(search_filter("  ").unwrap().is_none());
    }
}
