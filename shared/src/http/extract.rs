//! Request extractors whose failures are [`Error`]s naming the field, so a
//! client's mistake is a 400/422 with a reason, never a 500.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use mongodb::bson::oid::ObjectId;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// A JSON body. Malformed JSON is 400; a well-formed body with a missing
/// field or a wrong type is 422 naming the field's path (`tags[2]`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_none_or(|value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(Error::bad_request(
                None,
                "expected a JSON body (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| Error::bad_request(None, rejection.body_text()))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON into `T`, naming the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return Error::bad_request(None, format!("malformed JSON: {inner}"));
        }
        deserialize_error(&path, &inner.to_string())
    })
}

/// A query string. A value of the wrong type is 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                deserialize_error(&path, &error.into_inner().to_string())
            })
    }
}

/// Turns serde's message into a 422 whose field is the path, or the
/// missing field's name.
fn deserialize_error(path: &str, message: &str) -> Error {
    let path = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (missing, path) {
        (Some(name), "") => name.to_string(),
        (Some(name), path) => format!("{path}.{name}"),
        (None, "") => "body".to_string(),
        (None, path) => path.to_string(),
    };
    let message = message.split(" at line ").next().unwrap_or(message);
    Error::validation(field, message.to_string())
}

/// Parses an id from a path or a body: 400 naming `field` when it is not
/// a 24-hex-digit ObjectId.
pub fn object_id(field: &str, text: &str) -> Result<ObjectId, Error> {
    text.parse().map_err(|_| {
        Error::bad_request(
            Some(field),
            format!("{field} must be a 24-character hex id"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        tags: Vec<String>,
    }

    #[test]
    fn malformed_json_is_400() {
        let err = parse_json::<Body>(b"{not json").unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn wrong_type_names_the_path() {
        let err = parse_json::<Body>(br#"{"name":"a","tags":["x",2]}"#).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("tags[1]"));
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_json::<Body>(br#"{"tags":[]}"#).unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("name"));
    }

    #[test]
    fn bad_id_is_400_naming_the_field() {
        let err = object_id("contactId", "123").unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(err.body().error.field.as_deref(), Some("contactId"));
    }
}
