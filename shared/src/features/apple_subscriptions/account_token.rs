//! `appAccountToken`: the UUID the app gives StoreKit at purchase
//! (`Product.PurchaseOption.appAccountToken`), which Apple then carries in
//! every signed transaction and notification of that purchase. Ours is the
//! user's id in UUID form: `00000000-` followed by the id's 24 hex digits
//! split 4-4-4-12 (user `68adcc5c260379b1fd9a2614` sets
//! `00000000-68ad-cc5c-2603-79b1fd9a2614`), so the app computes it from
//! the id it already has and the server reads the user back from it.

use mongodb::bson::oid::ObjectId;

/// The token the app sets for user `id`.
pub fn for_user(id: ObjectId) -> String {
    let hex = id.to_hex();
    format!(
        "00000000-{}-{}-{}-{}",
        &hex[0..4],
        &hex[4..8],
        &hex[8..12],
        &hex[12..24]
    )
}

/// The user a token names, if it is one of ours.
pub fn user_of(token: &str) -> Option<ObjectId> {
    let hex: String = token.trim().chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.starts_with("00000000") {
        return None;
    }
    ObjectId::parse_str(hex[8..].to_ascii_lowercase()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_names_its_user_and_nothing_else() {
        let id = ObjectId::parse_str("68adcc5c260379b1fd9a2614").unwrap();
        assert_eq!(for_user(id), "00000000-68ad-cc5c-2603-79b1fd9a2614");
        assert_eq!(user_of(&for_user(id)), Some(id));
        assert_eq!(user_of("00000000-68AD-CC5C-2603-79B1FD9A2614"), Some(id));
        assert_eq!(user_of("7e3fb20b-4cdb-47cc-936d-99d65f608138"), None);
        assert_eq!(user_of("not a uuid"), None);
    }
}
