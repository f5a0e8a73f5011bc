//! Updates the Node app's way: every write that changes a document stamps
//! its `updatedAt`, as Mongoose's timestamps did, and only here.

use mongodb::bson::{Bson, DateTime, Document};

/// The field every update stamps.
const UPDATED_AT: &str = "updatedAt";

/// One update document, built field by field: `$set`, `$unset` and any
/// other operator (`$inc`, `$push`, `$pull`, `$addToSet`, …). [`build`]
/// adds `updatedAt` to the `$set`: the time of building unless
/// [`stamped_at`] gave one (a pass that runs at a given instant).
///
/// [`build`]: Update::build
/// [`stamped_at`]: Update::stamped_at
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    set: Document,
    unset: Document,
    others: Document,
    stamp: Option<DateTime>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    /// `$set`s `key` to `value`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<Bson>) -> Self {
        self.set.insert(key, value);
        self
    }

    /// `$set`s every field of `fields`.
    pub fn set_all(mut self, fields: Document) -> Self {
        self.set.extend(fields);
        self
    }

    /// `$unset`s `key`.
    pub fn unset(mut self, key: impl Into<String>) -> Self {
        self.unset.insert(key, "");
        self
    }

    /// `$inc`s `key` by `by`.
    pub fn inc(self, key: impl Into<String>, by: impl Into<Bson>) -> Self {
        self.operator("$inc", key, by)
    }

    /// `$push`es `value` (or `{ "$each": …, "$slice": … }`) onto `key`.
    pub fn push(self, key: impl Into<String>, value: impl Into<Bson>) -> Self {
        self.operator("$push", key, value)
    }

    /// `$pull`s what matches `condition` from `key`.
    pub fn pull(self, key: impl Into<String>, condition: impl Into<Bson>) -> Self {
        self.operator("$pull", key, condition)
    }

    /// `$addToSet`s `value` (or `{ "$each": … }`) to `key`.
    pub fn add_to_set(self, key: impl Into<String>, value: impl Into<Bson>) -> Self {
        self.operator("$addToSet", key, value)
    }

    /// Any other update operator on `key`.
    pub fn operator(
        mut self,
        operator: &str,
        key: impl Into<String>,
        value: impl Into<Bson>,
    ) -> Self {
        let entry = self
            .others
            .entry(operator.to_string())
            .or_insert_with(|| Bson::Document(Document::new()));
        match entry {
            Bson::Document(fields) => {
                fields.insert(key, value);
            }
            // Only this type writes `others`, always documents.
            other => *other = Bson::Document(Document::from_iter([(key.into(), value.into())])),
        }
        self
    }

    /// Stamps `updatedAt` with `at` rather than the time of building.
    pub fn stamped_at(mut self, at: impl Into<DateTime>) -> Self {
        self.stamp = Some(at.into());
        self
    }

    /// The fields `$set` so far (without the stamp).
    pub fn fields(&self) -> &Document {
        &self.set
    }

    /// The update document, `updatedAt` stamped.
    pub fn build(self) -> Document {
        let mut set = self.set;
        set.insert(UPDATED_AT, self.stamp.unwrap_or_else(DateTime::now));
        let mut update = Document::new();
        update.insert("$set", set);
        if !self.unset.is_empty() {
            update.insert("$unset", self.unset);
        }
        update.extend(self.others);
        update
    }
}

/// `document` as a new document is stored: `createdAt` (unless it has one)
/// and `updatedAt` at `at`, and `__v: 0`.
pub fn stamp_new(document: &mut Document, at: DateTime) {
    if !matches!(document.get("createdAt"), Some(Bson::DateTime(_))) {
        document.insert("createdAt", at);
    }
    document.insert(UPDATED_AT, at);
    document.insert("__v", 0_i32);
}

/// A filter on `updatedAt`, for repos that look for what has not changed
/// since an instant (`{ "updatedAt": condition }`).
pub fn updated_at(condition: impl Into<Bson>) -> Document {
    let mut filter = Document::new();
    filter.insert(UPDATED_AT, condition);
    filter
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    #[test]
    fn stamps_updated_at_and_groups_operators() {
        let at = DateTime::from_millis(1_700_000_000_000);
        let update = Update::new()
            .set("status", "queued")
            .unset("enqueueToken")
            .inc("freeCalls", -1)
            .push("history", doc! { "$each": [1], "$slice": -5 })
            .inc("count", 2)
            .stamped_at(at)
            .build();
        assert_eq!(
            update,
            doc! {
                "$set": { "status": "queued", "updatedAt": at },
                "$unset": { "enqueueToken": "" },
                "$inc": { "freeCalls": -1, "count": 2 },
                "$push": { "history": { "$each": [1], "$slice": -5 } },
            }
        );
    }

    #[test]
    fn stamps_now_by_default_and_keeps_a_given_created_at() {
        let before = DateTime::now();
        let update = Update::new().build();
        let stamp = update
            .get_document("$set")
            .unwrap()
            .get_datetime("updatedAt")
            .unwrap();
        assert!(*stamp >= before);

        let created = DateTime::from_millis(1);
        let at = DateTime::from_millis(2);
        let mut document = doc! { "createdAt": created };
        stamp_new(&mut document, at);
        assert_eq!(
            document,
            doc! { "createdAt": created, "updatedAt": at, "__v": 0 }
        );
    }
}
