//! Lambda adapter for the automation evaluator: EventBridge invokes it every
//! minute; each invocation runs one pass, then the sweeps (interrupted
//! meterings, missed post-call reports). The database handle and the dial
//! queue are built on the first event and kept for the process.

// The evaluator's future is deep (driver calls inside loops inside the
// Lambda service); its layout needs more than the default query depth.
#![recursion_limit = "256"]

use heyway::app;
use heyway::features::billing::metering::MeteringSweep;
use heyway::features::evaluator::{self, EvaluatorSettings};
use heyway::features::webhooks::MissedReports;
use heyway::infra::events::Events;
use heyway::infra::queue::DialQueue;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The event's content does not matter: the schedule may deliver a tick
    // twice or late, and a pass is idempotent and catches up by itself.
    run(service_fn(|_event: LambdaEvent<Value>| async move {
        let app::Worker { config, db, queue } = app::worker().await?;
        let queue = DialQueue::Sqs(queue.clone());
        let settings = EvaluatorSettings::from_config(config);
        let metering = MeteringSweep::from_config(config)?;
        let events = Events::to_bus(config.event_bus_name.clone());
        let missed_reports = MissedReports::from_config(config, events)?;
        let now = chrono::Utc::now();
        let report = evaluator::run_pass(db, &queue, now, settings).await?;
        metering.run(db, now).await;
        let fetched = missed_reports.run(db, now).await;
        let mut answer = serde_json::to_value(report)?;
        answer["missedReports"] = serde_json::to_value(fetched)?;
        Ok::<_, Error>(answer)
    }))
    .await
}
