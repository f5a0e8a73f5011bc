//! `GET /api/calls/stats`: the dashboard's numbers, counted by the
//! database in one aggregation (`$match` on the `userId_1_createdAt_-1`
//! index, then one `$facet` of three `$group`s). Both test servers
//! (secantusd-rs and secantusd-py) run every stage and operator used
//! here, so there is no client-side fallback to keep in step.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::{boolean, DateRange};
use super::transcript::number;
use crate::error::Result;
use crate::http::extract::object_id;
use crate::infra::db::Db;
use crate::model::{Call, Record};

/// The statuses of a call that was picked up.
const ANSWERED_STATUSES: [&str; 2] = ["in-progress", "completed"];

/// `GET /api/calls/stats`' query parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct StatsQuery {
    /// Only calls created at or after this instant: RFC 3339, or
    /// `YYYY-MM-DD` for the start of that day in the user's timezone.
    pub from: Option<String>,
    /// Only calls created at or before this instant: RFC 3339, or
    /// `YYYY-MM-DD` for the whole of that day in the user's timezone.
    pub to: Option<String>,
    /// Only calls of this automation (id).
    pub automation_id: Option<String>,
    /// `true`: only inbound calls; `false`: only outbound ones.
    pub inbound: Option<String>,
}

/// The user's calls counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    pub total_calls: u64,
    /// Picked up by a person: `completed` or `in-progress`, and not
    /// answered by a machine.
    pub answered_calls: u64,
    /// `analysis.followUpNeeded` and not yet `analysis.followUpDone`.
    pub follow_ups_open: u64,
    /// Sum of `metrics.duration` (seconds), whatever its stored number type.
    pub total_seconds: f64,
    /// `totalSeconds / 60`, not rounded.
    pub total_minutes: f64,
    /// Calls per `analysis.category`.
    pub by_category: BTreeMap<String, u64>,
    /// Calls without a category (not analysed yet, or no analysis).
    pub uncategorized: u64,
    /// Calls per `status`.
    pub by_status: BTreeMap<String, u64>,
}

impl StatsQuery {
    async fn filter(&self, db: &Db, user_id: ObjectId) -> Result<Document> {
        let mut filter = doc! { "userId": user_id };
        let range =
            DateRange::for_user(db, user_id, self.from.as_deref(), self.to.as_deref()).await?;
        if let Some(range) = range.filter()? {
            filter.insert("createdAt", range);
        }
        if let Some(id) = &self.automation_id {
            filter.insert("automationId", object_id("automationId", id.trim())?);
        }
        if let Some(text) = &self.inbound {
            let inbound = boolean("inbound", text)?;
            filter.insert(
                "isInbound",
                if inbound {
                    Bson::Boolean(true)
                } else {
                    Bson::Document(doc! { "$ne": true })
                },
            );
        }
        Ok(filter)
    }
}

fn pipeline(filter: Document) -> Vec<Document> {
    let answered = doc! { "$and": [
        { "$in": ["$status", ANSWERED_STATUSES.to_vec()] },
        { "$ne": [
            { "$substrCP": [{ "$ifNull": ["$answeredBy", ""] }, 0, 7] },
            "machine",
        ] },
    ] };
    let open = doc! { "$and": [
        { "$eq": ["$analysis.followUpNeeded", true] },
        { "$ne": ["$analysis.followUpDone", true] },
    ] };
    vec![
        doc! { "$match": filter },
        doc! { "$facet": {
            "byStatus": [{ "$group": { "_id": "$status", "count": { "$sum": 1 } } }],
            "byCategory": [{ "$group": { "_id": "$analysis.category", "count": { "$sum": 1 } } }],
            "totals": [{ "$group": {
                "_id": Bson::Null,
                "total": { "$sum": 1 },
                "answered": { "$sum": { "$cond": [answered, 1, 0] } },
                "followUpsOpen": { "$sum": { "$cond": [open, 1, 0] } },
                // `$sum` adds int32, int64 and double alike and skips
                // anything else (a duration stored as text).
                "seconds": { "$sum": "$metrics.duration" },
            } }],
        } },
    ]
}

fn count(document: &Document, key: &str) -> u64 {
    document
        .get(key)
        .and_then(number)
        .map_or(0, |n| n.max(0.0) as u64)
}

fn groups(facet: &Document, key: &str) -> Vec<(Bson, u64)> {
    facet
        .get_array(key)
        .map(|groups| {
            groups
                .iter()
                .filter_map(Bson::as_document)
                .map(|group| {
                    (
                        group.get("_id").cloned().unwrap_or(Bson::Null),
                        count(group, "count"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The user's call numbers over `query`'s range.
pub async fn stats(db: &Db, user_id: ObjectId, query: &StatsQuery) -> Result<CallStats> {
    let filter = query.filter(db, user_id).await?;
    let facets: Vec<Document> = db
        .raw(Call::COLLECTION)
        .aggregate(pipeline(filter))
        .await?
        .try_collect()
        .await?;
    let mut stats = CallStats::default();
    let Some(facet) = facets.first() else {
        return Ok(stats);
    };
    for (status, n) in groups(facet, "byStatus") {
        let key = match status {
            Bson::String(text) => text,
            _ => "unknown".to_string(),
        };
        *stats.by_status.entry(key).or_default() += n;
    }
    for (category, n) in groups(facet, "byCategory") {
        match category {
            Bson::String(text) if !text.trim().is_empty() => {
                *stats.by_category.entry(text).or_default() += n;
            }
            _ => stats.uncategorized += n,
        }
    }
    if let Some(totals) = facet
        .get_array("totals")
        .ok()
        .and_then(|totals| totals.first())
        .and_then(Bson::as_document)
    {
        stats.total_calls = count(totals, "total");
        stats.answered_calls = count(totals, "answered");
        stats.follow_ups_open = count(totals, "followUpsOpen");
        stats.total_seconds = totals.get("seconds").and_then(number).unwrap_or(0.0);
        stats.total_minutes = stats.total_seconds / 60.0;
    }
    Ok(stats)
}
