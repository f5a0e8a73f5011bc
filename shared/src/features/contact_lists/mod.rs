//! Contact lists (`contactlists`): named sets of a user's contacts.
//!
//! - `routes`: the thin HTTP layer, with the OpenAPI annotations; adding
//!   and removing contacts are the member routes of
//!   [`membership`](crate::features::membership);
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id (automations call [`mark_used`]);
//! - `repo`: every MongoDB read and write of the lists;
//! - `view`: what the API shows.

mod repo;
mod routes;
mod service;
mod view;

pub use routes::{routes, ListQuery};
pub use service::{
    add_contacts, create, delete, find, list, mark_used, remove_contacts, update, ContactIds,
    ContactListPatch, ListFilter, NewContactList,
};
pub use view::ContactListView;
