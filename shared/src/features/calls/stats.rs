//! `GET /api/calls/stats`: the dashboard's numbers, counted by the
//! database in one aggregation ([`repo::stats_facet`]) and read here into
//! [`CallStats`]. Both test servers (secantusd-rs and secantusd-py) run
//! every stage and operator used, so there is no client-side fallback to
//! keep in step.

use std::collections::BTreeMap;

use mongodb::bson::{oid::ObjectId, Bson, Document};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::{boolean, DateRange};
use super::repo::{self, CallFilter};
use super::transcript::number;
use crate::error::Result;
use crate::http::extract::object_id;
use crate::infra::db::Db;

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
    /// The filter for `user_id`'s calls in these parameters' range.
    async fn filter(&self, db: &Db, user_id: ObjectId) -> Result<CallFilter> {
        let range =
            DateRange::for_user(db, user_id, self.from.as_deref(), self.to.as_deref()).await?;
        let mut filter = CallFilter {
            created: range.resolve()?,
            ..CallFilter::default()
        };
        if let Some(id) = &self.automation_id {
            filter.automation_id = Some(object_id("automationId", id.trim())?);
        }
        if let Some(text) = &self.inbound {
            filter.inbound = Some(boolean("inbound", text)?);
        }
        Ok(filter)
    }
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
    let mut stats = CallStats::default();
    let Some(facet) = repo::stats_facet(db, user_id, &filter).await? else {
        return Ok(stats);
    };
    for (status, n) in groups(&facet, "byStatus") {
        let key = match status {
            Bson::String(text) => text,
            _ => "unknown".to_string(),
        };
        *stats.by_status.entry(key).or_default() += n;
    }
    for (category, n) in groups(&facet, "byCategory") {
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
