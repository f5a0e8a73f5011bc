//! Stripe Billing: the REST calls billing makes ([`client`]) and the
//! `Stripe-Signature` check of its webhooks ([`signature`]).

pub mod client;
pub mod signature;

pub use client::{StripeClient, StripeError};
