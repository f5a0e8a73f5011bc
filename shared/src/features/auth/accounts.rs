//! Accounts: who signs up, who signs in.

use mongodb::bson::{doc, oid::ObjectId};

use super::password;
use super::repo;
use crate::error::{Error, Result};
use crate::http::input::parse_timezone;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::phone;
use crate::model::User;

/// What registration asks for.
#[derive(Debug)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: String,
    pub timezone: String,
}

/// Creates an account. The email is stored lowercased; one that exists in
/// any case is a 409.
pub async fn register(db: &Db, input: Registration) -> Result<User> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::validation(
            "name",
            "name must have 1 to 100 characters",
        ));
    }
    let email = normalize_email(&input.email)?;
    password::validate(&input.password)?;
    let timezone = parse_timezone("timezone", &input.timezone)?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(Error::Conflict {
            field: Some("email".into()),
            message: "an account with this email exists".into(),
        });
    }
    let hash = password::hash(&input.password).await?;
    let user: User = mongodb::bson::from_document(doc! {
        "_id": ObjectId::new(),
        "name": name,
        "email": &email,
        "password": hash,
        "timezone": timezone.name(),
        "preferredCallerID": "",
        "hasActiveSubscription": false,
        "freeMinutes": 0,
    })
    .map_err(|e| Error::Internal(format!("building a user: {e}")))?;
    store::insert(db, &user).await
}

/// The account for `email` and `password`; one `Unauthorized` for both a
/// wrong password and an unknown email.
pub async fn login(db: &Db, email: &str, password: &str) -> Result<User> {
    let email = email.trim();
    let user = if email.is_empty() {
        None
    } else {
        find_by_email(db, email).await?
    };
    let hash = user.as_ref().and_then(|u| u.password.as_deref());
    if password::verify(password, hash).await? {
        user.ok_or(Error::Unauthorized)
    } else {
        Err(Error::Unauthorized)
    }
}

/// The account whose verified phone is `e164`, created on first sign-in.
pub async fn sign_in_by_phone(db: &Db, e164: &str) -> Result<User> {
    let forms = phone::stored_forms(e164);
    if let Some(user) = repo::users::with_phone(db, &forms).await? {
        if user.is_phone_verified != Some(true) {
            repo::users::mark_phone_verified(db, user.id).await?;
        }
        return Ok(user);
    }
    let user: User = mongodb::bson::from_document(doc! {
        "_id": ObjectId::new(),
        "phoneNumber": e164,
        "isPhoneVerified": true,
        "freeMinutes": 0,
    })
    .map_err(|e| Error::Internal(format!("building a user: {e}")))?;
    store::insert(db, &user).await
}

/// The account with `email`, compared case-insensitively: production holds
/// emails in the case they were typed (`DANA@EXAMPLE.TEST`).
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    repo::users::with_email(db, email).await
}

pub async fn find_by_id(db: &Db, id: ObjectId) -> Result<User> {
    store::find_by_id(db, id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

/// Trims and lowercases an email, refusing what cannot be one.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(Error::validation("email", "not a valid email address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::input::parse_timezone;

    #[test]
    fn emails_normalize_or_fail() {
        assert_eq!(
            normalize_email("  Dana@Example.TEST ").unwrap(),
            "dana@example.test"
        );
        for bad in [
            "",
            "dana",
            "dana@",
            "@example.test",
            "da na@example.test",
            "dana@example",
            "a@b@c.test",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        assert!(parse_timezone("timezone", "America/New_York").is_ok());
        assert!(parse_timezone("timezone", "Mars/Olympus").is_err());
    }
}
