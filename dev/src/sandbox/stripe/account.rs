//! The sandbox's Stripe account: the objects its API created, kept in
//! memory as Stripe shows them, so a restart of `heyway serve` forgets
//! them. Customers are the exception: their ids carry the sandbox's mark
//! ([`CUSTOMER_PREFIX`]), and one the sandbox made before a restart is
//! recognised again (users keep their `stripeCustomerId` in the
//! database), so checkout and the portal keep working for them.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::objects::{self, NewCustomer};
use super::request::Params;

/// How the sandbox's customer ids start (`cus_sbx…`).
pub(super) const CUSTOMER_PREFIX: &str = "cus_sbx";
/// Meter events kept; the oldest go first.
const METER_EVENTS_KEPT: usize = 10_000;

/// A Checkout Session and what it will put on the subscription it
/// creates (`subscription_data[metadata]`, not part of the session
/// object).
#[derive(Clone, Debug)]
pub(super) struct Session {
    pub object: Value,
    pub subscription_metadata: Map<String, Value>,
}

/// A successful answer kept under its `Idempotency-Key`.
#[derive(Clone, Debug)]
pub(super) struct Replay {
    pub path: String,
    pub params: Params,
    pub answer: Value,
}

#[derive(Debug, Default)]
pub(super) struct Account {
    pub customers: HashMap<String, Value>,
    pub sessions: HashMap<String, Session>,
    /// In creation order.
    pub subscriptions: Vec<Value>,
    pub portal_sessions: HashMap<String, Value>,
    /// In arrival order, one per identifier.
    pub meter_events: Vec<Value>,
    pub idempotent: HashMap<String, Replay>,
}

impl Account {
    /// The customer `id`, recreated (without email or name) when it is
    /// one of the sandbox's from before a restart.
    pub fn customer(&mut self, id: &str, now: i64) -> Option<&Value> {
        if !self.customers.contains_key(id) {
            let ours = id.strip_prefix(CUSTOMER_PREFIX).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !ours {
                return None;
            }
            let recreated = objects::customer(NewCustomer {
                id,
                email: None,
                name: None,
                metadata: Map::new(),
                created: now,
            });
            self.customers.insert(id.to_string(), recreated);
        }
        self.customers.get(id)
    }

    /// The customer's subscription that still renews or runs: the latest
    /// one not canceled.
    pub fn live_subscription(&mut self, customer: &str) -> Option<&mut Value> {
        self.subscriptions
            .iter_mut()
            .rev()
            .find(|s| s["customer"] == json!(customer) && s["status"] != json!("canceled"))
    }

    /// Remembers a meter event unless one with its identifier is known;
    /// answers the one kept.
    pub fn meter_event(&mut self, event: Value) -> Value {
        if let Some(known) = self
            .meter_events
            .iter()
            .find(|e| e["identifier"] == event["identifier"])
        {
            return known.clone();
        }
        if self.meter_events.len() >= METER_EVENTS_KEPT {
            self.meter_events.remove(0);
        }
        self.meter_events.push(event.clone());
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_its_own_customers_after_a_restart_only() {
        let mut account = Account::default();
        assert!(account.customer("cus_sbxA1b2C3d4E5f6G", 5).is_some());
        assert_eq!(account.customers.len(), 1);
        assert!(account.customer("cus_T5VS2a8giGV1As", 5).is_none());
        assert!(account.customer("cus_sbx", 5).is_none());
        assert!(account.customer("cus_sbx'; drop", 5).is_none());
    }

    #[test]
    fn a_repeated_meter_identifier_keeps_the_first_event() {
        let mut account = Account::default();
        let first = objects::meter_event("call_minutes", "call-1", "cus_sbx1", "3", 10, 10);
        let again = objects::meter_event("call_minutes", "call-1", "cus_sbx1", "9", 11, 11);
        account.meter_event(first.clone());
        assert_eq!(account.meter_event(again), first);
        assert_eq!(account.meter_events.len(), 1);
    }
}
