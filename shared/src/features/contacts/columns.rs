//! Recognizing an import's columns from the headers people actually write
//! (`Phone Number`, `phone_number`, `E-mail`, `First Name` …).

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Name,
    FirstName,
    LastName,
    Phone,
    Email,
    Tags,
    /// Whether the person asked not to be called (`yes`/`no`): a yes puts
    /// the number on the do-not-call registry.
    DoNotCall,
    /// Anything else: kept in `metadata` under its header.
    Metadata,
}

/// The column a header names, ignoring case, spaces, `_`, `-` and other
/// punctuation (`Phone #`, `e-mail`, `phone_number`).
pub fn recognize(header: &str) -> Column {
    let key: String = header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        "name" | "fullname" | "contactname" | "customername" => Column::Name,
        "firstname" | "first" | "givenname" => Column::FirstName,
        "lastname" | "last" | "surname" | "familyname" => Column::LastName,
        "phone" | "phonenumber" | "phoneno" | "mobile" | "mobilenumber" | "mobilephone"
        | "cell" | "cellphone" | "cellnumber" | "telephone" | "tel" | "number"
        | "contactnumber" => Column::Phone,
        "email" | "emailaddress" => Column::Email,
        "tags" | "tag" => Column::Tags,
        "donotcall" | "dnc" | "optout" | "optedout" | "donotcontact" | "nocalls" => {
            Column::DoNotCall
        }
        _ => Column::Metadata,
    }
}

/// Splits a tags cell on `,`, `;` or `|`.
pub fn split_tags(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([',', ';', '|'])
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// A do-not-call cell: `Some(true)` for yes (`yes`, `y`, `true`, `1`,
/// `x`, `dnc`), `Some(false)` for no (`no`, `n`, `false`, `0`), `None`
/// for anything else.
pub fn yes_no(cell: &str) -> Option<bool> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "dnc" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The metadata key for a header: as written, except characters MongoDB
/// would read as a path (`.`) or an operator (leading `$`).
pub fn metadata_key(header: &str) -> Option<String> {
    let key = header.trim().replace('.', "_");
    let key = key.trim_start_matches('$');
    (!key.is_empty()).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings() {
        for (header, column) in [
            ("Name", Column::Name),
            ("Full Name", Column::Name),
            ("contact_name", Column::Name),
            ("First Name", Column::FirstName),
            ("last_name", Column::LastName),
            ("Phone", Column::Phone),
            ("Phone Number", Column::Phone),
            ("phoneNumber", Column::Phone),
            ("MOBILE", Column::Phone),
            ("Cell", Column::Phone),
            ("Telephone", Column::Phone),
            ("number", Column::Phone),
            ("E-mail", Column::Email),
            ("Email Address", Column::Email),
            ("tag", Column::Tags),
            ("Do Not Call", Column::DoNotCall),
            ("DNC", Column::DoNotCall),
            ("opted_out", Column::DoNotCall),
            ("purchaseDate", Column::Metadata),
        ] {
            assert_eq!(recognize(header), column, "{header}");
        }
    }

    #[test]
    fn tags_split_on_any_separator() {
        assert_eq!(
            split_tags("vip, sedan;new | ").collect::<Vec<_>>(),
            ["vip", "sedan", "new"]
        );
    }

    #[test]
    fn metadata_keys_are_safe() {
        assert_eq!(
            metadata_key("purchaseDate").as_deref(),
            Some("purchaseDate")
        );
        assert_eq!(metadata_key("a.b").as_deref(), Some("a_b"));
        assert_eq!(metadata_key("$x").as_deref(), Some("x"));
        assert_eq!(metadata_key(" "), None);
    }
}
