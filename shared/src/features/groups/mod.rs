//! Groups (`groups`): named sets of a user's calls.
//!
//! - `routes`: the thin HTTP layer, with the OpenAPI annotations; adding
//!   and removing calls are the member routes of
//!   [`membership`](crate::features::membership);
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id;
//! - `repo`: every MongoDB read and write of the groups;
//! - `view`: what the API shows.

mod repo;
mod routes;
mod service;
mod view;

pub use routes::routes;
pub use service::{
    add_calls, color, create, delete, find, list, remove_calls, update, CallIds, GroupPatch,
    NewGroup, DEFAULT_COLOR,
};
pub use view::GroupView;
