//! Every MongoDB read and write of auth, one file per collection:
//!
//! - `users`, in [`users`]: finding an account by email or phone;
//! - `refreshtokens`, in [`refresh_tokens`]: issued refresh tokens, hashed;
//! - `ratelimits`, in [`rate_limits`]: attempt counters per window.

pub mod rate_limits;
pub mod refresh_tokens;
pub mod users;
