//! `GET /api/me`, `PATCH /api/me`: the signed-in user's profile and
//! settings.
//!
//! - `routes.rs`: the handlers, thin over `service.rs`;
//! - `service.rs`: checks a profile patch (name, timezone, a verified
//!   caller ID) and merges preferences and AI settings key by key;
//! - `disclosure.rs`: `aiDisclosure`, the AI calls' opening words and
//!   the recorded way to turn them off;
//! - `repo.rs`: the one update of the profile fields;
//! - `view.rs`: the user as the frontend sees it (also what a sign-in
//!   answers).

pub mod disclosure;
pub mod repo;
mod routes;
pub mod service;
pub mod view;

pub use routes::routes;
pub use service::{update_profile, ProfilePatch};
pub use view::UserView;
