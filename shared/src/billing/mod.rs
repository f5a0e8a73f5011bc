//! Billing: Stripe subscriptions and their webhook, minutes metering.

pub mod stripe_signature;
