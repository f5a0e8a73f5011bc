//! The old app's second store of caller IDs, inside the user's document:
//! `users.twilioConfig.verifiedCallerIds`, `[{phoneNumber, verified}]`
//! (plus `sid` and `verifiedAt` from this backend).
//!
//! It is read here and rewritten entry by entry in memory, so every other
//! field of `twilioConfig` (and of each entry) stays as it was; the repo
//! writes the result. Numbers may be stored in any of
//! [`phone::stored_forms`]; they are written in E.164.

use mongodb::bson::{doc, Bson, DateTime, Document};

use crate::model::phone;

/// The entries of a raw user document.
pub fn entries(user: &Document) -> Vec<Document> {
    user.get_document("twilioConfig")
        .ok()
        .and_then(|c| c.get_array("verifiedCallerIds").ok())
        .map(|ids| ids.iter().filter_map(Bson::as_document).cloned().collect())
        .unwrap_or_default()
}

/// Whether `config` (a user's `twilioConfig`) holds `e164` verified.
pub fn holds_verified(config: Option<&Document>, e164: &str) -> bool {
    let forms = phone::stored_forms(e164);
    config
        .and_then(|config| config.get_array("verifiedCallerIds").ok())
        .is_some_and(|ids| {
            ids.iter()
                .filter_map(Bson::as_document)
                .any(|entry| entry.get_bool("verified").unwrap_or(false) && names(entry, &forms))
        })
}

/// The user's `twilioConfig` with `e164` verified: its entries for the
/// number marked (with Twilio's `sid` when given), or a new entry.
pub fn with_verified(
    user: &Document,
    e164: &str,
    twilio_sid: Option<&str>,
    now: DateTime,
) -> Document {
    let forms = phone::stored_forms(e164);
    let mut config = match user.get("twilioConfig") {
        Some(Bson::Document(config)) => config.clone(),
        _ => Document::new(),
    };
    let mut ids: Vec<Bson> = match config.get("verifiedCallerIds") {
        Some(Bson::Array(ids)) => ids.clone(),
        _ => Vec::new(),
    };
    let mut found = false;
    for entry in ids.iter_mut().filter_map(Bson::as_document_mut) {
        if names(entry, &forms) {
            entry.insert("verified", true);
            if let Some(sid) = twilio_sid {
                entry.insert("sid", sid);
            }
            found = true;
        }
    }
    if !found {
        let mut entry = doc! { "phoneNumber": e164, "verified": true, "verifiedAt": now };
        if let Some(sid) = twilio_sid {
            entry.insert("sid", sid);
        }
        ids.push(Bson::Document(entry));
    }
    config.insert("verifiedCallerIds", ids);
    config
}

/// The user's entries without those for `e164`, when there were any.
pub fn without(user: &Document, e164: &str) -> Option<Vec<Bson>> {
    let forms = phone::stored_forms(e164);
    let ids = user
        .get_document("twilioConfig")
        .ok()?
        .get_array("verifiedCallerIds")
        .ok()?;
    let kept: Vec<Bson> = ids
        .iter()
        .filter(|id| !id.as_document().is_some_and(|entry| names(entry, &forms)))
        .cloned()
        .collect();
    (kept.len() != ids.len()).then_some(kept)
}

/// Whether `entry` is for the number stored as one of `forms`.
fn names(entry: &Document, forms: &[String]) -> bool {
    entry
        .get_str("phoneNumber")
        .is_ok_and(|number| forms.iter().any(|form| form == number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_keeps_other_fields_and_entries() {
        let user = doc! { "twilioConfig": {
            "accountSid": "AC1",
            "verifiedCallerIds": [
                { "phoneNumber": "2125550100", "verified": false, "label": "desk" },
                { "phoneNumber": "+13125550100", "verified": true },
            ],
        } };
        let at = DateTime::from_millis(1);
        let config = with_verified(&user, "+12125550100", Some("PN1"), at);
        assert_eq!(
            config,
            doc! {
                "accountSid": "AC1",
                "verifiedCallerIds": [
                    { "phoneNumber": "2125550100", "verified": true, "label": "desk", "sid": "PN1" },
                    { "phoneNumber": "+13125550100", "verified": true },
                ],
            }
        );
        assert!(holds_verified(Some(&config), "+12125550100"));
        let added = with_verified(&Document::new(), "+12125550100", None, at);
        assert_eq!(
            added,
            doc! { "verifiedCallerIds": [
                { "phoneNumber": "+12125550100", "verified": true, "verifiedAt": at },
            ] }
        );
    }

    #[test]
    fn removing_answers_only_when_the_number_was_there() {
        let user = doc! { "twilioConfig": { "verifiedCallerIds": [
            { "phoneNumber": "+12125550100", "verified": true },
            { "phoneNumber": "+13125550100", "verified": true },
        ] } };
        assert_eq!(
            without(&user, "+12125550100"),
            Some(vec![Bson::Document(
                doc! { "phoneNumber": "+13125550100", "verified": true }
            )])
        );
        assert_eq!(without(&user, "+14155550100"), None);
        assert_eq!(without(&Document::new(), "+12125550100"), None);
    }
}
