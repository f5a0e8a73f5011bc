//! `GET /api/contacts`: the query parameters, and the search they ask for
//! once checked. The repo turns a [`Search`] into a filter and a sort.

use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::Result;
use crate::http::extract::object_id;
use crate::http::input::short_text;

/// Longest search, as for calls: each character is a regex step on every
/// contact's name and email, and no name is longer than this anyway.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The list's query parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ContactQuery {
    /// Part of a name or email (any case), or of a number in any common
    /// spelling (`(215) 555-01`); at most 100 characters.
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

/// Which contacts a list request wants, in which order: blank text
/// parameters are left out, and the group id is parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Search<'a> {
    /// Found in a name, an email or a number.
    pub text: Option<&'a str>,
    pub group: Option<ObjectId>,
    pub tag: Option<&'a str>,
    pub active: Option<bool>,
    pub sort: SortField,
    pub order: SortOrder,
}

impl ContactQuery {
    /// The search these parameters ask for; 400 naming `group` when it is
    /// not an id, 422 naming `search` when it is longer than
    /// [`MAX_SEARCH_CHARS`] or holds a NUL.
    pub fn to_search(&self) -> Result<Search<'_>> {
        let group = non_blank(&self.group)
            .map(|group| object_id("group", group))
            .transpose()?;
        let text = non_blank(&self.search);
        if let Some(text) = text {
            short_text("search", text, MAX_SEARCH_CHARS)?;
        }
        Ok(Search {
            text,
            group,
            tag: non_blank(&self.tag),
            active: self.active,
            sort: self.sort.unwrap_or_default(),
            order: self.order.unwrap_or_default(),
        })
    }
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_must_be_an_id() {
        let query = |group: &str| ContactQuery {
            group: Some(group.into()),
            ..Default::default()
        };
        assert!(query("nope").to_search().is_err());
        assert_eq!(query(" ").to_search().unwrap().group, None);
    }

    #[test]
    fn a_search_is_at_most_100_characters() {
        let query = |search: String| ContactQuery {
            search: Some(search),
            ..Default::default()
        };
        let long = query("x".repeat(MAX_SEARCH_CHARS + 1));
        let err = long.to_search().unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("search"));
        let fits = query(format!(" {} ", "x".repeat(MAX_SEARCH_CHARS)));
        assert!(fits.to_search().is_ok());
    }
}
