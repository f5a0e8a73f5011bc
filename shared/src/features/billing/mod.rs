//! Billing: Stripe subscriptions and their webhook, minutes metering.
//!
//! - `routes.rs`: `/api/billing/*` and `/api/usage`, thin handlers over
//!   `service.rs` (read the plan and usage, start Checkout and the
//!   Billing Portal), answering the shapes of `view.rs`;
//! - `webhook.rs`: Stripe's events onto `subscriptions` and `users`
//!   (`POST /webhooks/stripe` itself is a webhook route, in
//!   [`crate::features::webhooks`], which also checks the signature);
//! - `metering.rs`: a completed call's minutes, counted once and reported
//!   to Stripe (run by the Twilio status webhook and swept by the
//!   evaluator);
//! - `repo/`: every MongoDB read and write of billing, one file per
//!   collection.
//!
//! Stripe's REST API (customers, Checkout, Billing Portal, meter events)
//! is [`crate::integrations::stripe`].

pub mod metering;
pub mod repo;
pub mod routes;
pub mod service;
pub mod view;
pub mod webhook;

pub use routes::routes;

/// The subscription statuses that let a user place calls.
pub const ACTIVE_STATUSES: [&str; 3] = crate::model::Subscription::ACTIVE_STATUSES;
