//! The dial queue on SQS: `SendMessageBatch` in tens, several in flight at
//! once, failed entries retried with backoff.

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use futures_util::{stream, StreamExt};

use super::{DialJob, QueueError, SendReport};

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
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// A client from the environment's AWS configuration (region,
    /// credentials, `AWS_ENDPOINT_URL`), on rustls with ring.
    pub async fn from_env(queue_url: impl Into<String>) -> Self {
        Self::new(
            Client::new(&crate::infra::aws::sdk_config().await),
            queue_url,
        )
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn send(&self, jobs: &[DialJob]) -> SendReport {
        // The futures are built first: a stream mapping chunks to futures
        // trips the compiler's `Send` check in the handlers that await it.
        let batches: Vec<_> = jobs
            .chunks(BATCH)
            .map(|chunk| self.send_batch(chunk))
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

    async fn send_batch(&self, chunk: &[DialJob]) -> SendReport {
        let mut report = SendReport::default();
        self.send_chunk(chunk, &mut report).await;
        report
    }

    async fn send_chunk(&self, chunk: &[DialJob], report: &mut SendReport) {
        let mut pending: Vec<&DialJob> = chunk.iter().collect();
        let mut last_error: Vec<(usize, String)> = Vec::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100 * 2_u64.pow(attempt))).await;
            }
            let entries: Vec<SendMessageBatchRequestEntry> = pending
                .iter()
                .enumerate()
                .filter_map(|(index, job)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(job.to_body())
                        .build()
                        .ok()
                })
                .collect();
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            let output = match output {
                Ok(output) => output,
                Err(error) => {
                    let reason = QueueError::Unreachable(
                        aws_sdk_sqs::error::DisplayErrorContext(&error).to_string(),
                    )
                    .to_string();
                    last_error = (0..pending.len()).map(|i| (i, reason.clone())).collect();
                    continue;
                }
            };
            for ok in output.successful() {
                if let Some(job) = ok.id().parse::<usize>().ok().and_then(|i| pending.get(i)) {
                    report.sent.push(job.scheduled_call_id);
                }
            }
            last_error = output
                .failed()
                .iter()
                .filter_map(|failed| {
                    let index = failed.id().parse::<usize>().ok()?;
                    Some((
                        index,
                        format!(
                            "{}: {}",
                            failed.code(),
                            failed.message().unwrap_or_default()
                        ),
                    ))
                })
                .collect();
            if last_error.is_empty() {
                return;
            }
            pending = last_error
                .iter()
                .filter_map(|(i, _)| pending.get(*i).copied())
                .collect();
            last_error = last_error
                .into_iter()
                .enumerate()
                .map(|(new_index, (_, reason))| (new_index, reason))
                .collect();
        }
        for (index, reason) in last_error {
            if let Some(job) = pending.get(index) {
                tracing::warn!(scheduled_call = %job.scheduled_call_id, %reason, "dial job not enqueued");
                report.failed.push((job.scheduled_call_id, reason));
            }
        }
    }

    /// Makes a received message visible again after `after` (at most SQS's
    /// 12 hours): the backoff of a failed delivery.
    pub async fn retry_later(
        &self,
        receipt_handle: &str,
        after: Duration,
    ) -> Result<(), QueueError> {
        let secs = i32::try_from(after.as_secs().min(12 * 3600)).unwrap_or(900);
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(secs)
            .send()
            .await
            .map_err(|e| {
                QueueError::Unreachable(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
            })?;
        Ok(())
    }

    /// Sends `job` as a new message delivered after `after` (at most SQS's
    /// 15 minutes).
    pub async fn send_delayed(&self, job: &DialJob, after: Duration) -> Result<(), QueueError> {
        let secs = i32::try_from(after.as_secs().min(900)).unwrap_or(900);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(job.to_body())
            .delay_seconds(secs)
            .send()
            .await
            .map_err(|e| {
                QueueError::Unreachable(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
            })?;
        Ok(())
    }
}
