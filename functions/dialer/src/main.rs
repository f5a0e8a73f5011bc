//! Lambda adapter for the dialer: SQS delivers up to ten dial jobs; the
//! ones to deliver again are answered as `batchItemFailures`
//! (`ReportBatchItemFailures`), so one slow or failing call never makes
//! the others dial twice.

#![recursion_limit = "256"]

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use heyway::app;
use heyway::features::dialer::{self, Dialer, QueuedJob};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use tokio::sync::OnceCell;

/// The dialer and its queue, built on the first event.
async fn dialer() -> Result<(&'static Dialer, &'static heyway::infra::queue::SqsQueue), Error> {
    static DIALER: OnceCell<Dialer> = OnceCell::const_new();
    let worker = app::worker().await?;
    let dialer = DIALER
        .get_or_try_init(|| async {
            let http = heyway::infra::outbound::http_client()?;
            let db = worker.db.clone();
            Ok::<_, Error>(Dialer::from_config(db, http, worker.config)?)
        })
        .await?;
    Ok((dialer, &worker.queue))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let (dialer, queue) = dialer().await?;
        let jobs = event.payload.records.into_iter().map(queued_job).collect();
        let failed = dialer::sqs_batch(dialer, queue, jobs).await;
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failed
            .into_iter()
            .map(|item_identifier| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = item_identifier;
                failure
            })
            .collect();
        Ok::<_, Error>(response)
    }))
    .await
}

fn queued_job(message: aws_lambda_events::event::sqs::SqsMessage) -> QueuedJob {
    let receive_count = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    QueuedJob {
        message_id: message.message_id.unwrap_or_default(),
        receipt_handle: message.receipt_handle.unwrap_or_default(),
        body: message.body.unwrap_or_default(),
        receive_count,
    }
}
