//! A typed model of every collection in the production database.
//!
//! Field names, BSON types and collection names are those of the Node app
//! (`docs/data-model.md` describes them). The rules that keep its
//! documents intact:
//!
//! - Optional and nullable fields are `Option`s skipped when `None`, and
//!   the store writes with targeted `$set`s, so a `null` or a field this
//!   model does not know survives a read-modify-write.
//! - Numbers are [`Number`]s, which write back the BSON type they were read
//!   as; text that holds a date or an id stays text ([`LooseDate`],
//!   [`IdRef`]).
//! - Sub-documents whose inner shape production never pinned down
//!   (`profile`, `metadata`, `analysis`, …) are kept as whole BSON
//!   documents, with typed accessors for the parts the backend reads.

pub mod ai_disclosure;
mod automation;
mod call;
mod contact;
mod contact_list;
mod do_not_call;
mod feedback;
mod group;
mod id_ref;
mod loose_date;
pub mod node_json;
mod number;
pub mod phone;
mod recording;
pub mod scheduled_call;
pub mod status;
mod subscription;
mod usage;
mod user;
mod verified_number;

pub use ai_disclosure::AiDisclosure;
pub use automation::{
    parse_clock, parse_delay_minutes, Automation, CallbackPolicy, Timing, TimingError, Trigger,
    CALLBACK_OUTCOMES,
};
pub use call::Call;
pub use contact::Contact;
pub use contact_list::ContactList;
pub use do_not_call::DoNotCall;
pub use feedback::Feedback;
pub use group::Group;
pub use id_ref::IdRef;
pub use loose_date::LooseDate;
pub use number::Number;
pub use recording::Recording;
pub use scheduled_call::{NewScheduledCall, ScheduledCall};
pub use status::{CallStatus, ScheduledCallStatus};
pub use subscription::Subscription;
pub use usage::Usage;
pub use user::User;
pub use verified_number::VerifiedNumber;

use mongodb::bson::oid::ObjectId;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A document type stored in one collection.
pub trait Record: Serialize + DeserializeOwned + Send + Sync + Unpin {
    /// The collection's name in production.
    const COLLECTION: &'static str;

    fn id(&self) -> ObjectId;
}

macro_rules! record {
    ($type:ty, $collection:literal) => {
        impl $crate::model::Record for $type {
            const COLLECTION: &'static str = $collection;

            fn id(&self) -> ::mongodb::bson::oid::ObjectId {
                self.id
            }
        }
    };
}
pub(crate) use record;

/// The text if it holds more than whitespace. Production stores "no value"
/// as absent, `null` or `""` (`preferredCallerID: ""`, `email: ""`).
pub(crate) fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Sign-in refresh tokens (hashed): only this backend uses it.
pub const REFRESH_TOKENS: &str = "refreshtokens";
/// Sign-in rate-limit windows: only this backend uses it.
pub const RATE_LIMITS: &str = "ratelimits";
/// Stripe events already applied, by `eventId`: only this backend uses it.
pub const STRIPE_EVENTS: &str = "stripeevents";
/// App Store Server Notifications applied (or being applied), by
/// `notificationUUID`, with what became of each: only this backend uses
/// it.
pub const APPLE_NOTIFICATIONS: &str = "applenotifications";
/// `Idempotency-Key`s of the last 24 hours and what their request
/// answered, per user: only this backend uses it.
pub const IDEMPOTENCY_KEYS: &str = "idempotencykeys";
/// The evaluator's open hand-offs: batches of due calls recorded `queued`
/// whose jobs may not all be on the dial queue yet, one document each
/// while it sends them (`features::scheduled_calls::handoff`): only this
/// backend uses it.
pub const DIAL_HANDOFFS: &str = "dialhandoffs";
/// The do-not-call registry ([`DoNotCall`]): only this backend uses it.
pub const DO_NOT_CALL: &str = DoNotCall::COLLECTION;

/// Every collection name the Node app's documents live in.
pub const COLLECTIONS: [&str; 12] = [
    User::COLLECTION,
    VerifiedNumber::COLLECTION,
    Contact::COLLECTION,
    ContactList::COLLECTION,
    Group::COLLECTION,
    Recording::COLLECTION,
    Automation::COLLECTION,
    ScheduledCall::COLLECTION,
    Call::COLLECTION,
    Feedback::COLLECTION,
    Subscription::COLLECTION,
    Usage::COLLECTION,
];
