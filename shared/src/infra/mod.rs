//! Infrastructure: the process's configuration and the systems it talks
//! to that are not a carrier, each behind a small type.
//!
//! - [`config`]: the environment, read once;
//! - [`db`], [`store`], [`owned`]: the MongoDB handle, the Node-shaped
//!   inserts and updates every repo builds on, and tenant-scoped lookups;
//! - [`indexes`]: the migrations (collections and indexes);
//! - [`mongo_uri`]: SRV connection strings, which the Lambdas do not resolve;
//! - [`queue`], [`events`], [`aws`]: SQS dial jobs, EventBridge domain
//!   events and the AWS SDK's configuration;
//! - [`storage`]: object storage for recordings' audio (S3, GCS, local);
//! - [`outbound`]: the one HTTP client for the carriers' APIs;
//! - [`jwt`]: the only JWT algorithms we sign and check (HS256, ES256);
//! - [`logging`]: JSON lines on stderr.
//!
//! Nothing here knows about a feature; features build on it.

pub mod aws;
pub mod config;
pub mod db;
pub mod events;
pub mod indexes;
pub mod jwt;
pub mod logging;
pub mod mongo_uri;
pub mod outbound;

pub mod queue;
pub mod regex_escape;
pub mod storage;
pub mod store;
