//! The error responses many routes share, for their OpenAPI annotations:
//! `responses((status = 200, …), Unauthorized, MalformedId)`. Each is
//! the API's JSON error ([`ErrorBody`]).

use utoipa::IntoResponses;

use crate::error::ErrorBody;

/// 401: the route needs `Authorization: Bearer <token>` and got none, or
/// one that is expired or not ours.
#[derive(IntoResponses)]
#[response(status = 401, description = "No valid token")]
pub struct Unauthorized(#[allow(dead_code)] ErrorBody);

/// 400: an id in the path is not 24 hex digits.
#[derive(IntoResponses)]
#[response(status = 400, description = "Malformed id")]
pub struct MalformedId(#[allow(dead_code)] ErrorBody);

/// 400: the body is not JSON, or not of the expected shape.
#[derive(IntoResponses)]
#[response(status = 400, description = "Malformed JSON")]
pub struct MalformedJson(#[allow(dead_code)] ErrorBody);
