//! `users`, as sign-in reads them: by email, by verified phone.

use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::regex_escape::escape_regex;
use crate::infra::store;
use crate::model::User;

/// The account with `email`, compared case-insensitively: production holds
/// emails in the case they were typed (`DANA@EXAMPLE.TEST`).
pub async fn with_email(db: &Db, email: &str) -> Result<Option<User>> {
    let pattern = format!("^{}$", escape_regex(email.trim()));
    // `$regex`/`$options` rather than a BSON regex value: secantusd-py
    // answers the latter through the `email_1` index case-sensitively.
    let filter: Document = doc! { "email": { "$regex": pattern, "$options": "i" } };
    store::find_one(db, filter).await
}

/// The account whose phone number is stored as one of `forms`.
pub async fn with_phone(db: &Db, forms: &[String]) -> Result<Option<User>> {
    store::find_one::<User>(db, doc! { "phoneNumber": { "$in": forms } }).await
}

/// Marks the account's phone number verified.
pub async fn mark_phone_verified(db: &Db, id: ObjectId) -> Result<()> {
    store::set_fields::<User>(db, doc! { "_id": id }, doc! { "isPhoneVerified": true }).await
}
