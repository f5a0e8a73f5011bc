//! AWS, reached by one small signed client instead of one SDK per service.
//!
//! The backend calls three AWS operations families: SQS (dial jobs),
//! EventBridge (domain events) and Secrets Manager (settings). All three
//! speak the AWS JSON protocol: a signed `POST /` with an `X-Amz-Target`
//! header and a JSON body. [`AwsJson`] is that call, signed by the
//! `aws-sigv4` crate with the credentials Lambda puts in the environment,
//! over the process's rustls client. Linking the SDKs instead cost each
//! function megabytes and its cold start the SDK's configuration loading.

mod credentials;
mod json_api;
pub mod secrets_manager;

pub use credentials::{Credentials, CredentialsError};
pub use json_api::{AwsError, AwsJson, Service};
