//! Contact lists (`contactlists`): named sets of a user's contacts.
//!
//! - `view`: what the API shows;
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id (automations call [`mark_used`]);
//! - `handlers`: the thin HTTP layer.

mod handlers;
mod service;
mod view;

use utoipa_axum::routes;

use crate::http::ApiRouter;

pub use handlers::ListQuery;
pub use service::{
    add_contacts, create, delete, find, list, mark_used, remove_contacts, update, ContactIds,
    ContactListPatch, ListFilter, NewContactList,
};
pub use view::ContactListView;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(handlers::list_lists, handlers::create_list))
        .routes(routes!(
            handlers::get_list,
            handlers::update_list,
            handlers::delete_list
        ))
        .routes(routes!(handlers::add_contacts, handlers::remove_contacts))
}
