//! Groups (`groups`): named sets of a user's calls.
//!
//! - `view`: what the API shows;
//! - `service`: the logic, plain async functions taking `&Db` and the
//!   owner's id;
//! - `handlers`: the thin HTTP layer.

mod handlers;
mod service;
mod view;

use utoipa_axum::routes;

use crate::http::ApiRouter;

pub use service::{
    add_calls, color, create, delete, find, list, remove_calls, update, CallIds, GroupPatch,
    NewGroup, DEFAULT_COLOR,
};
pub use view::GroupView;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(handlers::list_groups, handlers::create_group))
        .routes(routes!(
            handlers::get_group,
            handlers::update_group,
            handlers::delete_group
        ))
        .routes(routes!(handlers::add_calls, handlers::remove_calls))
}
