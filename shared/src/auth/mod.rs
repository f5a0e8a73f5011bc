//! Accounts: passwords, access and refresh tokens, sign-in routes, and the
//! rate limits that protect them.

pub mod access_token;

pub use access_token::AccessTokens;

use crate::http::ApiRouter;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
}
