//! `PATCH /api/calls/{id}`: the owner's follow-up on a call. Only these
//! fields of `analysis` are ever written ([`super::repo::set_follow_up`]),
//! so the rest of the analysis and any field this backend does not know
//! survive.
//!
//! The body is read as JSON first (malformed JSON is the extractor's 400);
//! everything this module refuses is well-formed JSON with values a patch
//! does not take, so it is a 422 naming the field, as on every route.

use mongodb::bson::{self, Bson, Document};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::http::input::short_text;

/// Longest follow-up note.
pub const MAX_NOTE_CHARS: usize = 2000;

/// What a call's follow-up may be changed to; at least one field. Any
/// other field is refused (422 naming it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpPatch {
    /// `true` marks the follow-up done (`analysis.followUpDone`, stamped
    /// `analysis.followUpDoneAt` the first time); `false` reopens it.
    pub follow_up_done: Option<bool>,
    /// Overrides the AI's flag: `false` dismisses a follow-up the AI asked
    /// for by mistake, `true` asks for one. Marking it done keeps the
    /// flag, so the dashboard can still tell which calls needed one.
    pub follow_up_needed: Option<bool>,
    /// What was done, at most 2000 characters; `""` or `null` clears it.
    pub follow_up_note: Option<String>,
}

const FIELDS: &str = "followUpDone, followUpNeeded and followUpNote";

fn flag(field: &str, value: &Value) -> Result<bool> {
    value
        .as_bool()
        .ok_or_else(|| Error::validation(field, format!("{field} must be true or false")))
}

impl FollowUpPatch {
    /// Reads a parsed request body, refusing unknown fields, wrong types
    /// and an empty patch with a 422 naming the field.
    pub fn parse(body: &Value) -> Result<Self> {
        let Value::Object(fields) = body else {
            return Err(Error::validation(
                "body",
                format!("expected a JSON object with {FIELDS}"),
            ));
        };
        let mut patch = Self::default();
        for (key, value) in fields {
            match key.as_str() {
                "followUpDone" => patch.follow_up_done = Some(flag(key, value)?),
                "followUpNeeded" => patch.follow_up_needed = Some(flag(key, value)?),
                "followUpNote" => {
                    let note = match value {
                        Value::Null => String::new(),
                        Value::String(text) => short_text(key, text, MAX_NOTE_CHARS)?,
                        _ => return Err(Error::validation(key, "followUpNote must be text")),
                    };
                    patch.follow_up_note = Some(note);
                }
                other => {
                    return Err(Error::validation(
                        other,
                        format!("unknown field {other:?}; a call's patch takes {FIELDS}"),
                    ))
                }
            }
        }
        if patch == Self::default() {
            return Err(Error::validation(
                "body",
                format!("nothing to change: send {FIELDS}"),
            ));
        }
        Ok(patch)
    }

    /// The analysis fields to `$set`, without the `analysis.` prefix.
    /// `already_done` keeps the first `followUpDoneAt` when a done
    /// follow-up is marked done again.
    pub fn analysis_fields(&self, already_done: bool, now: bson::DateTime) -> Document {
        let mut fields = Document::new();
        if let Some(done) = self.follow_up_done {
            fields.insert("followUpDone", done);
            if !done {
                fields.insert("followUpDoneAt", Bson::Null);
            } else if !already_done {
                fields.insert("followUpDoneAt", now);
            }
        }
        if let Some(needed) = self.follow_up_needed {
            fields.insert("followUpNeeded", needed);
        }
        if let Some(note) = &self.follow_up_note {
            fields.insert("followUpNote", note.as_str());
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::super::repo::dotted;
    use super::*;
    use mongodb::bson::doc;
    use serde_json::json;

    /// The field a refusal names; every refusal here is a 422.
    fn field(error: Error) -> String {
        assert_eq!(error.status(), 422, "{error}");
        error.body().error.field.unwrap_or_default()
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_named() {
        assert_eq!(
            field(FollowUpPatch::parse(&json!({ "status": "completed" })).unwrap_err()),
            "status"
        );
        assert_eq!(
            field(FollowUpPatch::parse(&json!({ "followUpDone": "yes" })).unwrap_err()),
            "followUpDone"
        );
        assert_eq!(
            field(FollowUpPatch::parse(&json!({ "followUpNeeded": "no" })).unwrap_err()),
            "followUpNeeded"
        );
        assert_eq!(
            field(FollowUpPatch::parse(&json!({ "followUpNote": 5 })).unwrap_err()),
            "followUpNote"
        );
        assert_eq!(field(FollowUpPatch::parse(&json!({})).unwrap_err()), "body");
        assert_eq!(
            field(FollowUpPatch::parse(&json!([1])).unwrap_err()),
            "body"
        );
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            field(FollowUpPatch::parse(&json!({ "followUpNote": long })).unwrap_err()),
            "followUpNote"
        );
    }

    #[test]
    fn done_is_stamped_once_and_reopening_clears_the_stamp() {
        let now = bson::DateTime::from_millis(1_000);
        let done =
            FollowUpPatch::parse(&json!({ "followUpDone": true, "followUpNote": " called back " }))
                .unwrap();
        assert_eq!(
            done.analysis_fields(false, now),
            doc! { "followUpDone": true, "followUpDoneAt": now, "followUpNote": "called back" }
        );
        assert_eq!(
            done.analysis_fields(true, now),
            doc! { "followUpDone": true, "followUpNote": "called back" }
        );
        let reopen = FollowUpPatch::parse(&json!({ "followUpDone": false })).unwrap();
        assert_eq!(
            dotted(reopen.analysis_fields(true, now)),
            doc! { "analysis.followUpDone": false, "analysis.followUpDoneAt": Bson::Null }
        );
    }
}
