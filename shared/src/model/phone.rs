//! Phone numbers: E.164 on write, every stored form found on read.

use phonenumber::country;
use phonenumber::Mode;

/// Region for numbers written without a country code when the user has
/// none set: the production users are in North America.
pub const DEFAULT_REGION: country::Id = country::Id::US;

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("is not a phone number")]
    Unparsable,
    #[error("is not a valid number for its region")]
    Invalid,
}

/// Normalizes any common spelling (`(215) 555-0100`, `215.555.0100`,
/// `+1 215 555 0100`, `2155550100`) to E.164, reading a number without a
/// country code as one of `region` (default [`DEFAULT_REGION`]).
pub fn to_e164(raw: &str, region: Option<country::Id>) -> Result<String, PhoneError> {
    let region = region.unwrap_or(DEFAULT_REGION);
    let number =
        phonenumber::parse(Some(region), raw.trim()).map_err(|_| PhoneError::Unparsable)?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid);
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Every form in which production may hold `e164`: itself and, for North
/// American numbers, the ten digits without `+1` and the eleven with `1`.
/// Lookups match any of them so legacy contacts are found and still count
/// as duplicates.
pub fn stored_forms(e164: &str) -> Vec<String> {
    let mut forms = vec![e164.to_string()];
    if let Some(national) = e164.strip_prefix("+1") {
        if national.len() == 10 {
            forms.push(national.to_string());
            forms.push(format!("1{national}"));
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_normalize_to_e164() {
        for raw in [
            "(215) 555-0100",
            "215.555.0100",
            "+1 215 555 0100",
            "2155550100",
            "12155550100",
            "+12155550100",
        ] {
            assert_eq!(to_e164(raw, None).as_deref(), Ok("+12155550100"), "{raw}");
        }
    }

    #[test]
    fn region_applies_to_national_numbers() {
        assert_eq!(
            to_e164("020 7946 0018", Some(country::Id::GB)).as_deref(),
            Ok("+442079460018")
        );
    }

    #[test]
    fn junk_is_refused() {
        assert_eq!(to_e164("call me", None), Err(PhoneError::Unparsable));
        assert_eq!(to_e164("123", None), Err(PhoneError::Invalid));
    }

    #[test]
    fn stored_forms_cover_legacy_north_american_numbers() {
        assert_eq!(
            stored_forms("+12155550100"),
            ["+12155550100", "2155550100", "12155550100"]
        );
        assert_eq!(stored_forms("+442079460018"), ["+442079460018"]);
    }
}
