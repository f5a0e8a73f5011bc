//! The dial queue: one job per scheduled call, from the evaluator to the
//! dialer. SQS on AWS; an in-process channel in `heyway serve`.
//!
//! A job only names the scheduled call: the dialer claims the document
//! atomically before dialing, so a job delivered twice, or a call that was
//! cancelled meanwhile, dials nothing.

mod in_process;
mod sqs;

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

pub use in_process::{InProcessQueue, InProcessReceiver};
pub use sqs::SqsQueue;

/// Ask the dialer to place one scheduled call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialJob {
    pub scheduled_call_id: ObjectId,
    pub user_id: ObjectId,
    pub scheduled_time: DateTime<Utc>,
}

impl DialJob {
    /// The message body: plain JSON with hex ids.
    pub fn to_body(&self) -> String {
        serde_json::json!({
            "scheduledCallId": self.scheduled_call_id.to_hex(),
            "userId": self.user_id.to_hex(),
            "scheduledTime": self.scheduled_time.to_rfc3339(),
        })
        .to_string()
    }

    pub fn from_body(body: &str) -> Result<Self, QueueError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            scheduled_call_id: String,
            user_id: String,
            scheduled_time: DateTime<Utc>,
        }
        let body: Body =
            serde_json::from_str(body).map_err(|e| QueueError::BadMessage(e.to_string()))?;
        let id = |text: &str| {
            text.parse::<ObjectId>()
                .map_err(|e| QueueError::BadMessage(format!("{text:?}: {e}")))
        };
        Ok(Self {
            scheduled_call_id: id(&body.scheduled_call_id)?,
            user_id: id(&body.user_id)?,
            scheduled_time: body.scheduled_time,
        })
    }
}

/// What a send did, per job.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: Vec<ObjectId>,
    /// Jobs not accepted after retries, with the reason; the evaluator's
    /// sweep sends them again on its next tick.
    pub failed: Vec<(ObjectId, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue is unreachable: {0}")]
    Unreachable(String),
    #[error("unreadable dial job: {0}")]
    BadMessage(String),
    #[error("the in-process dialer has stopped")]
    Closed,
}

/// Where dial jobs go.
#[derive(Clone, Debug)]
pub enum DialQueue {
    Sqs(SqsQueue),
    InProcess(InProcessQueue),
}

impl DialQueue {
    /// Sends `jobs`; never fails as a whole, so the caller can record which
    /// jobs went.
    pub async fn send(&self, jobs: &[DialJob]) -> SendReport {
        match self {
            Self::Sqs(queue) => queue.send(jobs).await,
            Self::InProcess(queue) => queue.send(jobs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        let job = DialJob {
            scheduled_call_id: ObjectId::new(),
            user_id: ObjectId::new(),
            scheduled_time: "2026-11-29T23:00:00Z".parse().unwrap(),
        };
        assert_eq!(DialJob::from_body(&job.to_body()).unwrap(), job);
        assert!(DialJob::from_body("{}").is_err());
        assert!(DialJob::from_body(
            r#"{"scheduledCallId":"x","userId":"y","scheduledTime":"2026-11-29T23:00:00Z"}"#
        )
        .is_err());
    }
}
