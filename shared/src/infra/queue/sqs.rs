//! The dial queue on SQS: `SendMessageBatch` in tens, several in flight at
//! once, failed entries retried with backoff. Calls go through the signed JSON client
//! ([`crate::infra::aws`]), built on first use.

use std::time::Duration;

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

use super::{DialJob, QueueError, SendReport};
use crate::infra::aws::{AwsError, AwsJson, Service};

/// SQS takes at most ten messages per batch.
const BATCH: usize = 10;
/// Batches in flight at once. One at a time, a request's round trip
/// (tens of milliseconds) bounds a pass to a few hundred jobs a second;
/// the evaluator hands over up to a thousand calls at a time.
const BATCHES_AT_ONCE: usize = 16;
/// Attempts per entry before it is left for the next tick's sweep.
const ATTEMPTS: u32 = 3;

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: AwsJson,
    queue_url: String,
}

impl SqsQueue {
    /// The queue at `queue_url`, reached with the environment's
    /// credentials and region (`AWS_ENDPOINT_URL` for moto). Builds
    /// nothing: the first send does.
    pub fn new(queue_url: impl Into<String>) -> Self {
        Self::with_client(AwsJson::new(Service::Sqs), queue_url)
    }

    /// The queue at `queue_url`, reached through `client`.
    pub fn with_client(client: AwsJson, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.queue_url
    }

    pub async fn send(&self, jobs: &[DialJob]) -> SendReport {
        // The futures are built first: a stream mapping chunks to futures
        // trips the compiler's `Send` check in the handlers that await it.
        let batches: Vec<_> = jobs
            .chunks(BATCH)
            .map(|chunk| self.chunk_report(chunk))
            .collect();
        let reports: Vec<SendReport> = stream::iter(batches)
            .buffer_unordered(BATCHES_AT_ONCE)
            .collect()
            .await;
        let mut report = SendReport::default();
        for part in reports {
            report.sent.extend(part.sent);
            report.failed.extend(part.failed);
        }
        report
    }

    async fn chunk_report(&self, chunk: &[DialJob]) -> SendReport {
        let mut report = SendReport::default();
        self.send_chunk(chunk, &mut report).await;
        report
    }

    /// Sends one batch, retrying the entries SQS failed (or all of them
    /// when the call itself failed) with backoff.
    async fn send_chunk(&self, chunk: &[DialJob], report: &mut SendReport) {
        let mut pending: Vec<&DialJob> = chunk.iter().collect();
        let mut failed: Vec<(&DialJob, String)> = Vec::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * 2_u64.pow(attempt))).await;
            }
            failed = match self.send_batch(&pending).await {
                Ok(outcome) => outcome.apply(&pending, report),
                Err(error) => {
                    let reason = QueueError::Unreachable(error.to_string()).to_string();
                    pending.iter().map(|job| (*job, reason.clone())).collect()
                }
            };
            if failed.is_empty() {
                return;
            }
            pending = failed.iter().map(|(job, _)| *job).collect();
        }
        for (job, reason) in failed {
            tracing::warn!(scheduled_call = %job.scheduled_call_id, %reason, "dial job not enqueued");
            report.failed.push((job.scheduled_call_id, reason));
        }
    }

    /// One `SendMessageBatch`; entry ids are the jobs' positions.
    async fn send_batch(&self, jobs: &[&DialJob]) -> Result<BatchOutcome, AwsError> {
        let entries: Vec<Value> = jobs
            .iter()
            .enumerate()
            .map(|(index, job)| json!({ "Id": index.to_string(), "MessageBody": job.to_body() }))
            .collect();
        let output = self
            .client
            .call(
                "SendMessageBatch",
                &json!({ "QueueUrl": self.queue_url, "Entries": entries }),
            )
            .await?;
        Ok(BatchOutcome(output))
    }

    /// Makes a received message visible again after `after` (at most SQS's
    /// 12 hours): the backoff of a failed delivery.
    pub async fn retry_later(
        &self,
        receipt_handle: &str,
        after: Duration,
    ) -> Result<(), QueueError> {
        let secs = after.as_secs().min(12 * 3600);
        let input = json!({
            "QueueUrl": self.queue_url,
            "ReceiptHandle": receipt_handle,
            "VisibilityTimeout": secs,
        });
        self.client
            .call("ChangeMessageVisibility", &input)
            .await
            .map_err(|e| QueueError::Unreachable(e.to_string()))?;
        Ok(())
    }

    /// Sends `job` as a new message delivered after `after` (at most SQS's
    /// 15 minutes).
    pub async fn send_delayed(&self, job: &DialJob, after: Duration) -> Result<(), QueueError> {
        let input = json!({
            "QueueUrl": self.queue_url,
            "MessageBody": job.to_body(),
            "DelaySeconds": after.as_secs().min(900),
        });
        self.client
            .call("SendMessage", &input)
            .await
            .map_err(|e| QueueError::Unreachable(e.to_string()))?;
        Ok(())
    }
}

/// `SendMessageBatch`'s answer: `Successful` and `Failed` entries by id.
struct BatchOutcome(Value);

impl BatchOutcome {
    /// Records the sent jobs in `report` and answers the failed ones with
    /// SQS's reason. An entry the answer does not mention counts as failed.
    fn apply<'a>(
        &self,
        jobs: &[&'a DialJob],
        report: &mut SendReport,
    ) -> Vec<(&'a DialJob, String)> {
        let id_of = |entry: &Value| entry["Id"].as_str().and_then(|id| id.parse::<usize>().ok());
        let mut answered = vec![None; jobs.len()];
        for entry in self.0["Successful"].as_array().into_iter().flatten() {
            if let Some(slot) = id_of(entry).and_then(|i| answered.get_mut(i)) {
                *slot = Some(Ok(()));
            }
        }
        for entry in self.0["Failed"].as_array().into_iter().flatten() {
            if let Some(slot) = id_of(entry).and_then(|i| answered.get_mut(i)) {
                let code = entry["Code"].as_str().unwrap_or("unknown");
                let message = entry["Message"].as_str().unwrap_or_default();
                *slot = Some(Err(format!("{code}: {message}")));
            }
        }
        let mut failed = Vec::new();
        for (job, answer) in jobs.iter().zip(answered) {
            match answer {
                Some(Ok(())) => report.sent.push(job.scheduled_call_id),
                Some(Err(reason)) => failed.push((*job, reason)),
                None => failed.push((*job, "not in SQS's answer".to_string())),
            }
        }
        failed
    }
}
