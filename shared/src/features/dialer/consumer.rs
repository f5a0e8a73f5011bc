//! Feeding dial jobs to the [`Dialer`]: an SQS batch (the Lambda, with
//! partial batch failures) or the in-process channel of `heyway serve`.

use std::time::Duration;

use futures_util::{stream, StreamExt};

use super::dial::{Dialer, Disposition};
use crate::infra::queue::{DialJob, InProcessReceiver, SqsQueue};

/// Jobs of one batch dialed at once (SQS hands up to 10).
pub const CONCURRENCY: usize = 10;

/// One received SQS message.
#[derive(Clone, Debug)]
pub struct QueuedJob {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
}

/// Dials every message of an SQS batch and answers the ids of the messages
/// to deliver again (the Lambda's `batchItemFailures`). A retried message
/// is made visible after its backoff; a paced one is sent again with a
/// delay and acknowledged. Unreadable messages fail, so they end in the
/// dead-letter queue for a look rather than vanish.
pub async fn sqs_batch(dialer: &Dialer, queue: &SqsQueue, messages: Vec<QueuedJob>) -> Vec<String> {
    stream::iter(messages)
        .map(|message| async move {
            let failed = !handle_sqs_message(dialer, queue, &message).await;
            failed.then_some(message.message_id)
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|failed| async move { failed })
        .collect()
        .await
}

/// `true` when the message is done with.
async fn handle_sqs_message(dialer: &Dialer, queue: &SqsQueue, message: &QueuedJob) -> bool {
    let job = match DialJob::from_body(&message.body) {
        Ok(job) => job,
        Err(error) => {
            tracing::error!(message_id = %message.message_id, %error, "unreadable dial job");
            return false;
        }
    };
    match dialer.dial(&job, message.receive_count.max(1)).await {
        Ok(Disposition::Done) => true,
        Ok(Disposition::Retry { after }) => {
            if let Err(error) = queue.retry_later(&message.receipt_handle, after).await {
                tracing::warn!(%error, "could not delay the retry; the queue's timeout applies");
            }
            false
        }
        Ok(Disposition::Requeue { after }) => match queue.send_delayed(&job, after).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "could not requeue a paced job; it is retried instead");
                false
            }
        },
        Err(error) => {
            tracing::error!(scheduled_call = %job.scheduled_call_id, %error, "dial job failed");
            false
        }
    }
}

/// The dialer of `heyway serve`: each job from the in-process queue dialed
/// in its own task, retried with the same backoff and attempt limit as on
/// SQS. Runs until the queue's senders are gone.
pub async fn run_in_process(dialer: Dialer, mut jobs: InProcessReceiver) {
    while let Some(job) = jobs.recv().await {
        let dialer = dialer.clone();
        tokio::spawn(async move { dial_until_done(&dialer, &job).await });
    }
}

/// Dials `job`, retrying and requeueing in place.
pub async fn dial_until_done(dialer: &Dialer, job: &DialJob) {
    let mut attempt = 1;
    while attempt <= dialer.max_attempts {
        match dialer.dial(job, attempt).await {
            Ok(Disposition::Done) => return,
            Ok(Disposition::Retry { after }) => {
                tokio::time::sleep(after).await;
                attempt += 1;
            }
            Ok(Disposition::Requeue { after }) => tokio::time::sleep(after).await,
            Err(error) => {
                tracing::error!(scheduled_call = %job.scheduled_call_id, %error, "dial job failed");
                tokio::time::sleep(Duration::from_secs(30)).await;
                attempt += 1;
            }
        }
    }
}
