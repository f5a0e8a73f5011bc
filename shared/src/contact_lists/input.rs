//! Checks of client input shared by the list-like resources (contact
//! lists, groups): names, free-form objects, search text and id lists.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::{Map, Value};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::http::extract::object_id;
use crate::http::json::object_to_document;
use crate::regex_escape::escape_regex;

/// At most this many ids in one add or remove request.
pub const MAX_IDS: usize = 1000;
/// At most this many characters in a search.
pub const MAX_SEARCH: usize = 200;

/// A required, trimmed name of 1 to `max` characters.
pub fn name(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    short_text(field, text, max)
}

/// Trimmed text of at most `max` characters (may be empty).
pub fn short_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if text.contains('\0') {
        return Err(Error::validation(
            field,
            format!("{field} must not contain NUL"),
        ));
    }
    Ok(text.to_string())
}

/// A case-insensitive "contains" filter on `text`, with every regex
/// metacharacter escaped.
pub fn search_filter(text: &str) -> Result<Option<Bson>> {
    let text = short_text("search", text, MAX_SEARCH)?;
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bson::Document(
        doc! { "$regex": escape_regex(&text), "$options": "i" },
    )))
}

/// A free-form JSON object as a BSON document, refusing keys MongoDB
/// cannot store (`$`-prefixed, dotted, NUL) with a 422 naming `field`.
pub fn free_object(field: &str, value: &Map<String, Value>) -> Result<Document> {
    check_keys(field, value, 0)?;
    Ok(object_to_document(value))
}

fn check_keys(field: &str, value: &Map<String, Value>, depth: usize) -> Result<()> {
    if depth > 20 {
        return Err(Error::validation(
            field,
            format!("{field} is nested too deeply"),
        ));
    }
    for (key, inner) in value {
        if key.is_empty() || key.starts_with('$') || key.contains('.') || key.contains('\0') {
            return Err(Error::validation(
                format!("{field}.{key}"),
                "keys must be non-empty and contain no '.', leading '$' or NUL",
            ));
        }
        check_value(&format!("{field}.{key}"), inner, depth + 1)?;
    }
    Ok(())
}

fn check_value(field: &str, value: &Value, depth: usize) -> Result<()> {
    match value {
        Value::Object(map) => check_keys(field, map, depth),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_value(&format!("{field}[{i}]"), item, depth + 1)),
        _ => Ok(()),
    }
}

/// Ids named in a body list: each with the index it had in the request.
#[derive(Clone, Debug, Default)]
pub struct IdList {
    field: &'static str,
    /// Distinct ids in request order, each with its first index.
    entries: Vec<(usize, ObjectId)>,
}

impl IdList {
    /// Parses `texts`: 400 naming `field[i]` for a malformed id, 422 for
    /// more than [`MAX_IDS`]. Repeats are dropped.
    pub fn parse(field: &'static str, texts: &[String]) -> Result<Self> {
        if texts.len() > MAX_IDS {
            return Err(Error::validation(
                field,
                format!("at most {MAX_IDS} ids at a time"),
            ));
        }
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let id = object_id(&format!("{field}[{index}]"), text.trim())?;
            if seen.insert(id) {
                entries.push((index, id));
            }
        }
        Ok(Self { field, entries })
    }

    /// Like [`IdList::parse`], but an empty list is a 422.
    pub fn parse_non_empty(field: &'static str, texts: &[String]) -> Result<Self> {
        if texts.is_empty() {
            return Err(Error::validation(field, "name at least one id"));
        }
        Self::parse(field, texts)
    }

    pub fn ids(&self) -> Vec<ObjectId> {
        self.entries.iter().map(|(_, id)| *id).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks that every id is a document of `user_id` in `collection`
    /// (or is in `also_allowed`): 422 naming the first that is not, as
    /// `field[i]` with "no such {what}".
    pub async fn ensure_owned(
        &self,
        db: &Db,
        collection: &str,
        what: &str,
        user_id: ObjectId,
        also_allowed: &HashSet<ObjectId>,
    ) -> Result<()> {
        let wanted: Vec<ObjectId> = self
            .entries
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !also_allowed.contains(id))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let found: HashSet<ObjectId> = db
            .raw(collection)
            .find(doc! { "_id": { "$in": &wanted }, "userId": user_id })
            .projection(doc! { "_id": 1 })
            .await?
            .try_collect::<Vec<Document>>()
            .await?
            .iter()
            .filter_map(|document| document.get_object_id("_id").ok())
            .collect();
        match self
            .entries
            .iter()
            .find(|(_, id)| !also_allowed.contains(id) && !found.contains(id))
        {
            Some((index, _)) => Err(Error::validation(
                format!("{}[{index}]", self.field),
                format!("no such {what}"),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_bad_index() {
        let good = ObjectId::new().to_hex();
        let err = IdList::parse("contactIds", &[good.clone(), "nope".into()]).unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.body().error.field.as_deref(), Some("contactIds[1]"));
        let list = IdList::parse("contactIds", &[good.clone(), good]).unwrap();
        assert_eq!(list.ids().len(), 1);
    }

    #[test]
    fn bad_keys_are_refused() {
        let value = serde_json::json!({ "ok": { "$set": 1 } });
        let err = free_object("settings", value.as_object().unwrap()).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("settings.ok.$set"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  VIP  ", 10).unwrap(), "VIP");
        assert!(name("name", "   ", 10).is_err());
        assert!(name("name", "x".repeat(11).as_str(), 10).is_err());
    }
}
