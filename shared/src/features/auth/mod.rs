//! Accounts: passwords, access and refresh tokens, sign-in routes, and the
//! rate limits that protect them.
//!
//! - `routes.rs`: `/api/auth/*` (register, login, refresh, phone sign-in);
//! - `session.rs`: the token pair a sign-in answers, and its renewal;
//! - `accounts.rs`: who signs up and who signs in (email or phone);
//! - `password.rs`: bcrypt, as production hashes;
//! - `refresh_token.rs`: rotating refresh tokens, a reused one ending its
//!   family;
//! - `rate_limit.rs`: fixed-window limits per account, number and IP,
//!   the IP read by `client_ip.rs` (the peer, or behind `TRUSTED_PROXIES`
//!   the hop they forwarded);
//! - `repo/`: every MongoDB read and write of auth, one file per
//!   collection.

pub mod accounts;
mod client_ip;
pub mod password;
pub mod rate_limit;
pub mod refresh_token;
pub mod repo;
mod routes;
pub mod session;

pub use client_ip::{client_ip, ClientIp, PeerAddr};
pub use routes::routes;
pub use session::{start_session, Session};
