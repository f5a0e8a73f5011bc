//! One caller ID of a user as the API lists it: the two places the old app
//! kept it merged into one entry per number.
//!
//! - `verifiedNumbers`: one document per number, `{userId, phoneNumber,
//!   verified}`, plus what this backend adds (`friendlyName`, `twilioSid`,
//!   `verificationStatus`, `validationCallSid`);
//! - `users.twilioConfig.verifiedCallerIds`: see [`twilio_config`].

use mongodb::bson::{DateTime, Document};

use super::twilio_config;
use crate::model::phone;

/// One caller ID of a user, both stores merged.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// E.164 when it parses, else as stored.
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub verified: bool,
    /// `verified`, `pending` or `failed` (the last validation call failed).
    pub status: &'static str,
    /// Twilio's `PN…`, when known.
    pub twilio_sid: Option<String>,
    pub in_verified_numbers: bool,
    pub in_twilio_config: bool,
    pub created_at: Option<DateTime>,
}

impl Entry {
    /// A `verifiedNumbers` document's entry, if it has a number.
    fn of_number(document: &Document) -> Option<Self> {
        let raw = document.get_str("phoneNumber").ok()?;
        let verified = document.get_bool("verified").unwrap_or(false);
        let failed = document.get_str("verificationStatus").ok() == Some("failed");
        Some(Self {
            phone_number: normalized(raw),
            friendly_name: document.get_str("friendlyName").ok().map(str::to_string),
            verified,
            status: status(verified, failed),
            twilio_sid: document.get_str("twilioSid").ok().map(str::to_string),
            in_verified_numbers: true,
            in_twilio_config: false,
            created_at: document.get_datetime("createdAt").ok().copied(),
        })
    }

    /// A `twilioConfig.verifiedCallerIds` entry's entry, if it has a
    /// number.
    fn of_config(entry: &Document) -> Option<Self> {
        let raw = entry.get_str("phoneNumber").ok()?;
        let verified = entry.get_bool("verified").unwrap_or(false);
        Some(Self {
            phone_number: normalized(raw),
            friendly_name: entry.get_str("friendlyName").ok().map(str::to_string),
            verified,
            status: status(verified, false),
            twilio_sid: entry.get_str("sid").ok().map(str::to_string),
            in_verified_numbers: false,
            in_twilio_config: true,
            created_at: None,
        })
    }

    /// Folds `other`, an entry for the same number, into this one:
    /// verified in either store is verified.
    fn absorb(&mut self, other: Entry) {
        self.verified |= other.verified;
        if self.verified {
            self.status = "verified";
        }
        self.in_verified_numbers |= other.in_verified_numbers;
        self.in_twilio_config |= other.in_twilio_config;
        if self.friendly_name.is_none() {
            self.friendly_name = other.friendly_name;
        }
        if self.twilio_sid.is_none() {
            self.twilio_sid = other.twilio_sid;
        }
    }
}

/// Every caller ID of the user, one per number: `numbers` (their
/// `verifiedNumbers` documents, oldest first), then the entries of the raw
/// `user` document's `twilioConfig`.
pub fn merged(numbers: &[Document], user: &Document) -> Vec<Entry> {
    let from_numbers = numbers.iter().filter_map(Entry::of_number);
    let config = twilio_config::entries(user);
    let from_config = config.iter().filter_map(Entry::of_config);
    let mut out: Vec<Entry> = Vec::new();
    for entry in from_numbers.chain(from_config) {
        match out
            .iter_mut()
            .find(|e| e.phone_number == entry.phone_number)
        {
            Some(existing) => existing.absorb(entry),
            None => out.push(entry),
        }
    }
    out
}

/// A stored number in E.164, or as stored (trimmed) when it does not parse.
pub fn normalized(raw: &str) -> String {
    phone::to_e164(raw, None).unwrap_or_else(|_| raw.trim().to_string())
}

fn status(verified: bool, failed: bool) -> &'static str {
    match (verified, failed) {
        (true, _) => "verified",
        (false, true) => "failed",
        (false, false) => "pending",
    }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    #[test]
    fn one_entry_per_number_verified_in_either_store() {
        let numbers = [
            doc! { "phoneNumber": "+12125550100", "verified": false, "friendlyName": "Desk" },
            doc! { "phoneNumber": "+13125550100", "verified": false, "verificationStatus": "failed" },
        ];
        let user = doc! { "twilioConfig": { "verifiedCallerIds": [
            { "phoneNumber": "2125550100", "verified": true, "sid": "PN1" },
        ] } };
        let entries = merged(&numbers, &user);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].status, "verified");
        assert_eq!(entries[0].twilio_sid.as_deref(), Some("PN1"));
        assert!(entries[0].in_verified_numbers && entries[0].in_twilio_config);
        assert_eq!(entries[1].status, "failed");
    }
}
