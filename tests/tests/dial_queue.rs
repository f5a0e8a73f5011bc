//! The SQS dial queue against moto: batches of ten, every job delivered
//! once with its body intact, and failures reported per job.

use heyway::infra::aws::Service;
use std::collections::HashSet;

use heyway::infra::queue::{DialJob, DialQueue, SqsQueue};
use heyway_tests::moto;
use mongodb::bson::oid::ObjectId;

fn jobs(n: usize) -> Vec<DialJob> {
    (0..n)
        .map(|i| DialJob {
            scheduled_call_id: ObjectId::new(),
            user_id: ObjectId::new(),
            scheduled_time: chrono::DateTime::from_timestamp(1_800_000_000 + i as i64 * 60, 0)
                .unwrap(),
        })
        .collect()
}

async fn new_queue(name: &str) -> (aws_sdk_sqs::Client, String) {
    let client = moto::sqs_client().await;
    let url = client
        .create_queue()
        .queue_name(format!("{name}-{}", ObjectId::new()))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    (client, url)
}

#[tokio::test]
async fn every_job_arrives_once_with_its_body() {
    let (client, url) = new_queue("dial").await;
    let queue = DialQueue::Sqs(SqsQueue::with_client(moto::aws(Service::Sqs).await, &url));
    let sent = jobs(25);
    let report = queue.send(&sent).await;
    assert_eq!(report.sent.len(), 25, "{:?}", report.failed);
    assert!(report.failed.is_empty());

    let mut received = Vec::new();
    for _ in 0..20 {
        let output = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for message in output.messages() {
            received.push(DialJob::from_body(message.body().unwrap()).unwrap());
            client
                .delete_message()
                .queue_url(&url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        if received.len() >= sent.len() {
            break;
        }
    }
    assert_eq!(received.len(), sent.len());
    let got: HashSet<_> = received.iter().map(|j| j.scheduled_call_id).collect();
    assert_eq!(got, sent.iter().map(|j| j.scheduled_call_id).collect());
    assert!(
        received.iter().all(|job| sent.contains(job)),
        "bodies intact"
    );
}

#[tokio::test]
async fn a_missing_queue_reports_every_job_failed() {
    let queue = DialQueue::Sqs(SqsQueue::with_client(
        moto::aws(Service::Sqs).await,
        format!("{}/123456789012/no-such-queue", moto::endpoint().await),
    ));
    let sent = jobs(12);
    let report = queue.send(&sent).await;
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 12);
}
