//! The do-not-call registry: one per business, checked before every call.
//!
//! - `routes.rs`: `GET/POST /api/do-not-call` and
//!   `DELETE /api/do-not-call/{phoneNumber}`, thin over `service.rs`;
//! - `service.rs`: registering a number (the owner, the agent's opt-out
//!   detection, an import column), recording a removal, and the check the
//!   evaluator and the dialer make;
//! - `repo.rs`: every read and write of `donotcall`;
//! - `view.rs`: an entry as the API answers it.
//!
//! Uses no other feature: the evaluator, the dialer, the webhooks and the
//! contacts import use it.

mod repo;
mod routes;
pub mod service;
pub mod view;

pub use routes::routes;
pub use service::{
    is_registered, register, registered_among, Registration, Source, UNAVAILABLE_MESSAGE,
};
pub use view::DoNotCallView;
