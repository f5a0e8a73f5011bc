//! The US state a call's recipient is in, for the state calling-hours
//! rules ([`super::calling_hours`]).
//!
//! Precedence: the state the contact's imported address names
//! (`metadata.state`, `metadata.State`, `metadata.addressState` or
//! `metadata.address.state`: a two-letter code or a state name), else the
//! state of the contact's own `timezone` when that zone lies in one state
//! (`America/Phoenix`: Arizona), else the state of the number's area code.
//! `None` outside the US (Canada, the Caribbean, territories), for
//! toll-free numbers and area codes spanning states: the federal floor
//! alone applies then.
//!
//! Area-code data: libphonenumber's geocoding data for +1
//! (`resources/geocoding/en/1.txt`, Apache-2.0), reduced by
//! `scripts/update-area-code-states` to `shared/data/area_code_states.txt`.

use std::collections::HashMap;
use std::sync::OnceLock;

use mongodb::bson::{Bson, Document};

use crate::model::Contact;

const DATA: &str = include_str!("../../data/area_code_states.txt");

/// The 50 states and DC: code and name.
pub const STATES: [(&str, &str); 51] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// IANA zones that lie in one state (prefix match for the `Indiana/…`
/// families). Zones shared by states (`America/Boise`, `America/Chicago`)
/// are not here: the area code decides.
const ZONE_STATES: [(&str, &str); 13] = [
    ("America/Phoenix", "AZ"),
    ("Pacific/Honolulu", "HI"),
    ("America/Anchorage", "AK"),
    ("America/Juneau", "AK"),
    ("America/Sitka", "AK"),
    ("America/Nome", "AK"),
    ("America/Yakutat", "AK"),
    ("America/Metlakatla", "AK"),
    ("America/Adak", "AK"),
    ("America/Detroit", "MI"),
    ("America/Indiana/", "IN"),
    ("America/Kentucky/", "KY"),
    ("America/North_Dakota/", "ND"),
];

/// The state to apply calling-hours rules for (see the module docs).
pub fn recipient_state(contact: Option<&Contact>, e164: Option<&str>) -> Option<&'static str> {
    contact
        .and_then(|contact| contact.metadata.as_ref())
        .and_then(state_in_metadata)
        .or_else(|| {
            contact
                .and_then(|contact| contact.timezone.as_deref())
                .and_then(state_of_zone)
        })
        .or_else(|| e164.and_then(state_for_number))
}

/// The state a free-form state field names: `FL`, `fl`, `Florida`.
pub fn parse_state(text: &str) -> Option<&'static str> {
    let text = text.trim();
    STATES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(text) || name.eq_ignore_ascii_case(text))
        .map(|(code, _)| *code)
}

/// The state of an IANA zone that lies in one state.
pub fn state_of_zone(zone: &str) -> Option<&'static str> {
    let zone = zone.trim();
    ZONE_STATES
        .iter()
        .find(|(name, _)| {
            if name.ends_with('/') {
                zone.starts_with(name)
            } else {
                zone == *name
            }
        })
        .map(|(_, state)| *state)
}

/// The state of a +1 number's area code (`+13055550100`: `FL`).
pub fn state_for_number(e164: &str) -> Option<&'static str> {
    let digits = e164.trim().strip_prefix("+1")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    table().get(&digits[..3]).copied()
}

fn state_in_metadata(metadata: &Document) -> Option<&'static str> {
    let text = |value: Option<&Bson>| match value {
        Some(Bson::String(text)) => parse_state(text),
        _ => None,
    };
    ["state", "State", "STATE", "addressState", "address_state"]
        .iter()
        .find_map(|key| text(metadata.get(key)))
        .or_else(|| {
            metadata
                .get_document("address")
                .ok()
                .and_then(|address| text(address.get("state")))
        })
}

fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DATA.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (prefix, state) = line.split_once('|')?;
                let area = prefix.strip_prefix('1')?;
                let state = STATES.iter().find(|(code, _)| *code == state)?.0;
                (area.len() == 3).then_some((area, state))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, oid::ObjectId};

    fn contact(fields: Document) -> Contact {
        let mut doc = doc! {
            "_id": ObjectId::new(),
            "userId": ObjectId::new(),
            "name": "Pat Example",
            "phoneNumber": "+12125550100",
        };
        doc.extend(fields);
        mongodb::bson::from_document(doc).unwrap()
    }

    #[test]
    fn area_codes_name_their_state() {
        for (number, state) in [
            ("+13055550100", Some("FL")),
            ("+12125550100", Some("NY")),
            ("+17185550100", Some("NY")),
            ("+12015550100", Some("NJ")),
            ("+14055550100", Some("OK")),
            ("+17135550100", Some("TX")),
            ("+12065550100", Some("WA")),
            ("+13105550100", Some("CA")),
            ("+12025550100", Some("DC")),
            ("+19075550100", Some("AK")),
            // Canada, Puerto Rico, toll free, not +1, not E.164.
            ("+14165550100", None),
            ("+17875550100", None),
            ("+18005550100", None),
            ("+4930123456", None),
            ("3055550100", None),
            ("+1305555010", None),
        ] {
            assert_eq!(state_for_number(number), state, "{number}");
        }
    }

    #[test]
    fn the_data_covers_every_state_and_only_states() {
        let table = table();
        assert!(table.len() > 300, "{}", table.len());
        for (code, _) in STATES {
            assert!(table.values().any(|s| *s == code), "{code}");
        }
        assert!(DATA.contains("Apache License, Version 2.0"));
    }

    #[test]
    fn precedence_address_then_zone_then_area_code() {
        // A New York number; the imported address says Florida.
        let in_florida = contact(doc! { "metadata": { "State": "Florida" } });
        assert_eq!(
            recipient_state(Some(&in_florida), Some("+12125550100")),
            Some("FL")
        );
        let nested = contact(doc! { "metadata": { "address": { "state": "ok" } } });
        assert_eq!(
            recipient_state(Some(&nested), Some("+12125550100")),
            Some("OK")
        );
        // A zone in one state.
        let phoenix = contact(doc! { "timezone": "America/Phoenix" });
        assert_eq!(
            recipient_state(Some(&phoenix), Some("+12125550100")),
            Some("AZ")
        );
        // A zone shared by states, or an unreadable state: the area code.
        let chicago =
            contact(doc! { "timezone": "America/Chicago", "metadata": { "state": "Atlantis" } });
        assert_eq!(
            recipient_state(Some(&chicago), Some("+13055550100")),
            Some("FL")
        );
        assert_eq!(recipient_state(None, Some("+13055550100")), Some("FL"));
        assert_eq!(recipient_state(None, None), None);
        assert_eq!(state_of_zone("America/Indiana/Knox"), Some("IN"));
        assert_eq!(state_of_zone("America/Boise"), None);
    }
}
