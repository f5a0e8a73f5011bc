//! Routes of the `contact_lists` resource (to be built).

use crate::http::ApiRouter;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
}
