//! The one error type of the core, and its one mapping to HTTP.
//!
//! Every request path returns [`Error`]; [`Error::into_response`] is the only
//! place that decides a status code and writes the
//! `{"error":{"code","message","field"}}` body the frontend reads.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent something malformed: unparsable JSON, a bad id.
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    /// Well-formed input that breaks a rule: unknown timezone, invalid phone.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("authentication required")]
    Unauthorized,
    /// Sign-in refused: wrong password, wrong code, spent refresh token.
    #[error("{0}")]
    BadCredentials(&'static str),
    /// A webhook whose signature is missing, wrong or too old: it did not
    /// come from the service it claims, so nothing is done.
    #[error("{0}")]
    BadSignature(&'static str),
    /// Also what another tenant's id answers, so ids do not leak.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (Twilio, say) is not configured or not answering.
    #[error("{0}")]
    Unavailable(String),
    /// A stored document the model cannot read.
    #[error("stored {collection} document is unreadable: {source}")]
    Corrupt {
        collection: &'static str,
        #[source]
        source: mongodb::bson::de::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] mongodb::error::Error),
    #[error("could not encode a document: {0}")]
    Encode(#[from] mongodb::bson::ser::Error),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn bad_request(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized | Self::BadCredentials(_) => StatusCode::UNAUTHORIZED,
            Self::BadSignature(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Corrupt { .. } | Self::Database(_) | Self::Encode(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Stable machine-readable code for the frontend.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Validation { .. } => "validation_failed",
            Self::Unauthorized | Self::BadCredentials(_) => "unauthorized",
            Self::BadSignature(_) => "bad_signature",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Corrupt { .. } | Self::Database(_) | Self::Encode(_) | Self::Internal(_) => {
                "internal"
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::BadRequest { field, .. } | Self::Conflict { field, .. } => field.as_deref(),
            Self::Validation { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message shown to the client; server faults are not described,
    /// they are logged.
    fn public_message(&self) -> String {
        match self {
            Self::Validation { message, .. } => message.clone(),
            Self::Unavailable(message) => message.clone(),
            _ if self.status().is_server_error() => "internal server error".to_string(),
            _ => self.to_string(),
        }
    }

    /// The JSON body the client receives.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                field: self.field().map(str::to_string),
            },
        }
    }
}

/// `{"error":{"code","message","field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `validation_failed`, `unauthorized`, `bad_signature`, `not_found`,
    /// `conflict`, `rate_limited`, `unavailable` or `internal`.
    pub code: &'static str,
    pub message: String,
    /// The offending field's path, when one field is to blame.
    pub field: Option<String>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(self.body())).into_response();
        if let Self::RateLimited { retry_after_secs } = self {
            if let Ok(value) = retry_after_secs.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_body_names_the_field() {
        let body = serde_json::to_value(Error::validation("timezone", "unknown IANA zone").body())
            .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "validation_failed", "message": "unknown IANA zone", "field": "timezone"}})
        );
    }

    #[test]
    fn server_faults_do_not_leak_details() {
        let err = Error::Internal("mongo password is hunter2".into());
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.body().error.message, "internal server error");
    }

    #[test]
    fn not_found_is_404() {
        let err = Error::NotFound { what: "contact" };
        assert_eq!(err.status(), StatusCode::NOT_FOUND);
        assert_eq!(err.body().error.message, "contact not found");
    }
}
