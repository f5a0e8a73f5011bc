//! The `contacts` resource: the people a user's automations call.
//!
//! - `routes`: the thin HTTP layer, with the OpenAPI annotations;
//! - `service`: create, read, update, delete and list, plain async
//!   functions taking a [`Db`](crate::Db) and the user's id, so
//!   automations can call them too;
//! - `input`: what a client may send, and the rules every write (API or
//!   import) checks;
//! - `search`: the list's query parameters and the search they ask for;
//! - `import`: many contacts at once, from the rows `import_body` reads
//!   out of CSV or JSON (bounded in rows and columns, on a blocking
//!   thread), each read by `import_row` with the headers `columns`
//!   recognizes;
//! - `repo`: every MongoDB read and write, each scoped by `userId`, and
//!   the `phoneKey` that keeps one contact per number atomically;
//! - `view`: what the API shows.

pub mod columns;
pub mod import;
pub mod import_body;
mod import_row;
pub mod input;
mod repo;
mod routes;
pub mod search;
pub mod service;
pub mod view;

pub use import::{ImportReport, RowError};
pub use input::{ContactPatch, NewContact};
pub use routes::{routes, IMPORT_BODY_LIMIT};
pub use search::ContactQuery;
pub use view::ContactView;
