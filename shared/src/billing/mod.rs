//! Billing: Stripe subscriptions and their webhook, minutes metering.
//!
//! - `Stripe-Signature`, in [`stripe_signature`];
//! - Stripe's events onto `subscriptions` and `users`, in [`webhook`];
//! - `POST /webhooks/stripe`, in [`webhook_route`], merged into the
//!   webhook routes ([`crate::webhooks::routes`]).

pub mod stripe_signature;
pub mod webhook;
pub mod webhook_route;

pub use webhook_route::{stripe_webhook, STRIPE_PATH};
