//! App Store subscriptions bought in the iOS app: StoreKit 2 signed
//! transactions, the App Store Server API and App Store Server
//! Notifications V2, kept on the user's `subscriptions` document in the
//! legacy fields the Node app wrote, and on the user's plan flags the
//! dialer checks.
//!
//! - `routes.rs`: `POST /api/subscriptions/apple` (a purchase's
//!   `jwsRepresentation`), thin over `service.rs`;
//! - `service.rs`: verify, ask the App Store Server API for the
//!   subscription's state, record it, move the user's flags;
//! - `notifications.rs`: `POST /webhooks/apple`'s notifications, each
//!   applied once and never over a later-signed state (the route itself
//!   is a webhook route, in [`crate::features::webhooks`]);
//! - `state.rs`: the pure rules from Apple's status or notification type
//!   to the legacy fields;
//! - `account_token.rs`: the `appAccountToken` the app sets for a user;
//! - `repo.rs`: every read and write (`subscriptions`, `users`,
//!   `applenotifications`);
//! - `view.rs`: the answer.
//!
//! Verifying Apple's signed data and calling the API are
//! [`crate::integrations::app_store`]. Legacy rows holding a
//! `receiptData` are not re-validated (Apple retired `verifyReceipt`):
//! they keep their state until a signed transaction or notification for
//! their `originalTransactionId` arrives (docs/billing.md).

pub mod account_token;
pub mod notifications;
pub mod repo;
pub mod routes;
pub mod service;
pub mod state;
pub mod view;

pub use notifications::{handle as handle_notification, Handled};
pub use routes::routes;
