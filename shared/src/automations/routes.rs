//! `/api/automations` (to be built).

use crate::http::ApiRouter;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
}
