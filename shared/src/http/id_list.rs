//! Lists of ids in a request body (`contactIds`, `callIds`, `groups`):
//! parsed with the index each had, so an error names `field[i]`, and
//! checked to be the caller's documents.

use std::collections::HashSet;

use mongodb::bson::oid::ObjectId;

use crate::error::{Error, Result};
use crate::http::extract::object_id;

/// At most this many ids in one add or remove request.
pub const MAX_IDS: usize = 1000;

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
        Self::parse_unbounded(field, texts)
    }

    /// Like [`IdList::parse`], without the [`MAX_IDS`] bound (for lists a
    /// resource stores whole, such as a contact's `groups`).
    pub fn parse_unbounded(field: &'static str, texts: &[String]) -> Result<Self> {
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

    /// The ids not in `present`, in request order.
    pub fn not_in(&self, present: &HashSet<ObjectId>) -> Vec<ObjectId> {
        self.ids()
            .into_iter()
            .filter(|id| !present.contains(id))
            .collect()
    }

    /// The ids in `present`, in request order.
    pub fn within(&self, present: &HashSet<ObjectId>) -> Vec<ObjectId> {
        self.ids()
            .into_iter()
            .filter(|id| present.contains(id))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ids to look up to check ownership: all but `also_allowed`.
    pub fn to_check(&self, also_allowed: &HashSet<ObjectId>) -> Vec<ObjectId> {
        self.entries
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !also_allowed.contains(id))
            .collect()
    }

    /// 422 naming the first id, as `field[i]` with "no such {what}", that
    /// is neither `found` (the caller's) nor `also_allowed`.
    pub fn ensure_among(
        &self,
        found: &HashSet<ObjectId>,
        also_allowed: &HashSet<ObjectId>,
        what: &str,
    ) -> Result<()> {
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
    fn bad_group_id_names_its_index() {
        let err =
            IdList::parse_unbounded("groups", &["68adcc5c260379b1fd9a2614".into(), "x".into()])
                .unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("groups[1]"));
    }
}
