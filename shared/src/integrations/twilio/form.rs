//! Reading the form fields of Twilio's webhook requests.

/// The value of `name` in a Twilio form, trimmed; `None` when it is
/// missing or blank (Twilio sends empty fields it has no value for).
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_missing() {
        let form = vec![
            ("CallSid".to_string(), " CA1 ".to_string()),
            ("AnsweredBy".to_string(), "  ".to_string()),
        ];
        assert_eq!(field(&form, "CallSid"), Some("CA1"));
        assert_eq!(field(&form, "AnsweredBy"), None);
        assert_eq!(field(&form, "To"), None);
    }
}
