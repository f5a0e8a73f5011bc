//! `POST /api/feedback`: what a user tells us.
//!
//! - `routes.rs`: the handler, thin over `service.rs`;
//! - `service.rs`: checks the category and text and stores them, with
//!   the store's generic insert (so there is no repo);
//! - `view.rs`: feedback as the API answers it.

mod routes;
pub mod service;
pub mod view;

pub use routes::routes;
pub use service::{submit, NewFeedback, CATEGORIES, MAX_TEXT};
pub use view::FeedbackView;
