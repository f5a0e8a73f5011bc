//! A user's documents that hold ids of other documents of theirs: a
//! contact list holds contacts, a group holds calls. Both features add and
//! remove members the same way, written once here:
//!
//! - `service`: the [`Holder`] trait and the checks made before anything
//!   is written ([`to_add`], [`to_remove`], [`ensure_owned`]);
//! - `routes`: the one handler of a holder's `POST` (add) and `DELETE`
//!   (remove) member routes ([`Members`], [`change`]) and
//!   [`member_routes!`], which gives them each holder's path and OpenAPI
//!   annotations.
//!
//! Membership has no collection of its own, hence no repo: each holder's
//! feature writes its members.

mod routes;
mod service;

pub(crate) use routes::member_routes;
pub use routes::{change, Change, Members};
pub use service::{ensure_owned, to_add, to_remove, Holder};
