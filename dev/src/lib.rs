//! Development conveniences, kept out of the production crate so that no
//! Lambda links them:
//!
//! - [`sandbox`]: stand-ins for Twilio, ElevenLabs, Stripe and the App
//!   Store that answer their APIs on `heyway serve`'s port and play calls
//!   and payments out with signed callbacks, with keys, secrets and
//!   certificates made for each run;
//! - [`local_db`]: starts a local SecantusDB when `MONGODB_URI` is unset;
//! - [`api_docs`]: the `/api/docs` page and its vendored Redoc build.
//!
//! Used by the `heyway` command (`cli/`) and the tests only. The
//! architecture test fails if a function's crate depends on this one.

pub mod api_docs;
pub mod local_db;
pub mod sandbox;
