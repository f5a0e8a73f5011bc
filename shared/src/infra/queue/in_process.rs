//! The dial queue of `heyway serve`: a channel to the in-process dialer.

use tokio::sync::mpsc;

use super::{DialJob, SendReport};

#[derive(Clone, Debug)]
pub struct InProcessQueue {
    sender: mpsc::UnboundedSender<DialJob>,
}

/// The dialer's end.
pub type InProcessReceiver = mpsc::UnboundedReceiver<DialJob>;

impl InProcessQueue {
    pub fn new() -> (Self, InProcessReceiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }

    pub fn send(&self, jobs: &[DialJob]) -> SendReport {
        let mut report = SendReport::default();
        for job in jobs {
            match self.sender.send(job.clone()) {
                Ok(()) => report.sent.push(job.scheduled_call_id),
                Err(_) => report
                    .failed
                    .push((job.scheduled_call_id, super::QueueError::Closed.to_string())),
            }
        }
        report
    }
}
