//! Billing: Stripe subscriptions and their webhook, minutes metering.
//!
//! - `Stripe-Signature`, in [`stripe_signature`];
//! - Stripe's events onto `subscriptions` and `users`, in [`webhook`];
//! - `POST /webhooks/stripe`, in [`webhook_route`], merged into the
//!   webhook routes ([`crate::features::webhooks::routes`]);
//! - Stripe's REST API (customers, Checkout, Billing Portal, meter
//!   events), in [`stripe_client`];
//! - `/api/billing/*` and `/api/usage`, in [`routes`] over [`service`];
//! - a completed call's minutes, counted once, in [`metering`] (run by
//!   the Twilio status webhook).

pub mod metering;
pub mod routes;
pub mod service;
pub mod webhook;

pub use routes::routes;
