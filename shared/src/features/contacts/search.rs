//! `GET /api/contacts`: query parameters to a filter, a sort and a page.
//!
//! Search uses case-insensitive regexes on escaped input, not `$text`:
//! SecantusDB has no text index, and a regex also finds partial numbers.

use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::view::ContactView;
use crate::error::Result;
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::regex_escape::escape_regex;
use crate::infra::store;
use crate::model::phone;
use crate::model::Contact;

/// Fewest digits a search needs before it is also matched against numbers,
/// so a short query like `2` does not match every contact.
const MIN_PHONE_DIGITS: usize = 3;

/// The list's query parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ContactQuery {
    /// Part of a name or email (any case), or of a number in any common
    /// spelling (`(215) 555-01`).
    pub search: Option<String>,
    /// Only contacts in this group (id).
    pub group: Option<String>,
    /// Only contacts with this tag.
    pub tag: Option<String>,
    /// Only active (`true`) or inactive (`false`) contacts.
    pub active: Option<bool>,
    /// Sort key (default `name`).
    #[param(inline)]
    pub sort: Option<SortField>,
    /// Sort direction (default `asc`).
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SortField {
    #[default]
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// One page of the user's contacts matching `query`, with the total.
pub async fn list(db: &Db, user_id: ObjectId, query: &ContactQuery) -> Result<Paged<ContactView>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let filter = filter(user_id, query)?;
    let found =
        store::find_page::<Contact>(db, filter, sort(query), page.skip(), page.limit).await?;
    Ok(page.paged(found, ContactView::from))
}

/// The filter for `query`, always within `user_id`'s contacts.
pub fn filter(user_id: ObjectId, query: &ContactQuery) -> Result<Document> {
    let mut filter = doc! { "userId": user_id };
    if let Some(text) = non_blank(&query.search) {
        filter.insert("$or", search(text));
    }
    if let Some(group) = non_blank(&query.group) {
        let id = object_id("group", group)?;
        // The old app sometimes stored references as hex text.
        filter.insert(
            "groups",
            doc! { "$in": [Bson::ObjectId(id), Bson::String(id.to_hex())] },
        );
    }
    if let Some(tag) = non_blank(&query.tag) {
        filter.insert("tags", tag);
    }
    match query.active {
        // A contact nobody deactivated is active.
        Some(true) => filter.insert("isActive", doc! { "$ne": false }),
        Some(false) => filter.insert("isActive", false),
        None => None,
    };
    Ok(filter)
}

/// Alternatives matching `text` in a name, an email or a number.
fn search(text: &str) -> Vec<Document> {
    let escaped = escape_regex(text);
    let mut any = vec![
        doc! { "name": { "$regex": escaped.clone(), "$options": "i" } },
        doc! { "email": { "$regex": escaped, "$options": "i" } },
    ];
    if let Some(pattern) = digits_pattern(text) {
        any.push(doc! { "phoneNumber": { "$regex": pattern } });
    }
    // A whole number given with its country code (`+1 215 555 0123`) also
    // finds legacy `2155550123`, whose digits lack the leading 1.
    if let Ok(e164) = phone::to_e164(text, None) {
        any.push(doc! { "phoneNumber": { "$in": phone::stored_forms(&e164) } });
    }
    any
}

/// For phone-like text (digits and `+ ( ) - .` or spaces, at least
/// [`MIN_PHONE_DIGITS`] digits), a regex finding its digits in order with
/// any separators between them, so `(215) 555-01` finds `+12155550123`,
/// `2155550123` and a stored `215-555-0123` alike.
fn digits_pattern(text: &str) -> Option<String> {
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | ' '));
    let digits: Vec<char> = text.chars().filter(char::is_ascii_digit).collect();
    if !phone_like || digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    let parts: Vec<String> = digits.iter().map(char::to_string).collect();
    Some(parts.join(r"\D*"))
}

/// The sort for `query`, with `_id` breaking ties so pages are stable.
fn sort(query: &ContactQuery) -> Document {
    let direction = match query.order.unwrap_or_default() {
        SortOrder::Asc => 1,
        SortOrder::Desc => -1,
    };
    let key = match query.sort.unwrap_or_default() {
        SortField::Name => "name",
        SortField::CreatedAt => "createdAt",
        SortField::UpdatedAt => "updatedAt",
    };
    doc! { key: direction, "_id": direction }
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_text_matches_digits_with_any_separators() {
        assert_eq!(
            digits_pattern("(215) 555").as_deref(),
            Some(r"2\D*1\D*5\D*5\D*5\D*5")
        );
        assert_eq!(digits_pattern("Adam 2"), None);
        assert_eq!(digits_pattern("21"), None);
    }

    #[test]
    fn filter_is_scoped_to_the_user() {
        let user = ObjectId::new();
        let f = filter(
            user,
            &ContactQuery {
                active: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.get_object_id("userId").unwrap(), user);
        assert!(filter(
            user,
            &ContactQuery {
                group: Some("nope".into()),
                ..Default::default()
            }
        )
        .is_err());
    }
}
