//! One AWS JSON-protocol call: `POST /` with `X-Amz-Target`, signed with
//! SigV4.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value;

use super::credentials::{Credentials, CredentialsError};

/// An AWS service the backend calls, with what its JSON protocol needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Sqs,
    EventBridge,
    SecretsManager,
}

impl Service {
    /// The endpoint's host prefix, which is also the signing name.
    fn endpoint_prefix(self) -> &'static str {
        match self {
            Self::Sqs => "sqs",
            Self::EventBridge => "events",
            Self::SecretsManager => "secretsmanager",
        }
    }

    /// The `X-Amz-Target` prefix before `.Operation`.
    fn target_prefix(self) -> &'static str {
        match self {
            Self::Sqs => "AmazonSQS",
            Self::EventBridge => "AWSEvents",
            Self::SecretsManager => "secretsmanager",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Sqs => "application/x-amz-json-1.0",
            Self::EventBridge | Self::SecretsManager => "application/x-amz-json-1.1",
        }
    }

    /// The service's part of `AWS_ENDPOINT_URL_<SERVICE>`, as the SDKs
    /// name it.
    fn endpoint_env(self) -> &'static str {
        match self {
            Self::Sqs => "AWS_ENDPOINT_URL_SQS",
            Self::EventBridge => "AWS_ENDPOINT_URL_EVENTBRIDGE",
            Self::SecretsManager => "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        }
    }
}

/// Why an AWS call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("could not sign the request: {0}")]
    Sign(String),
    #[error("{service:?} is unreachable: {reason}")]
    Transport { service: Service, reason: String },
    /// The service answered with an error (`__type` and `message`).
    #[error("{service:?} refused {operation}: {code}: {message}")]
    Refused {
        service: Service,
        operation: &'static str,
        code: String,
        message: String,
    },
    #[error("{service:?} answered {operation} with an unreadable body: {reason}")]
    Unreadable {
        service: Service,
        operation: &'static str,
        reason: String,
    },
}

/// A signed JSON-protocol client for one service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AwsJson {
    service: Service,
    /// Fixed endpoint and credentials (tests against moto); `None`: the
    /// environment's, read on each call.
    fixed: Option<Arc<(String, Credentials)>>,
}

impl AwsJson {
    /// `service` at the environment's endpoint, with its credentials.
    pub fn new(service: Service) -> Self {
        Self {
            service,
            fixed: None,
        }
    }

    /// `service` at `endpoint`, signed with `credentials`.
    pub fn at(service: Service, endpoint: &str, credentials: Credentials) -> Self {
        let endpoint = format!("{}/", endpoint.trim().trim_end_matches('/'));
        Self {
            service,
            fixed: Some(Arc::new((endpoint, credentials))),
        }
    }

    /// Calls `operation` with `input`, answering the response's JSON.
    pub async fn call(&self, operation: &'static str, input: &Value) -> Result<Value, AwsError> {
        let (url, credentials) = match self.fixed.as_deref() {
            Some((endpoint, credentials)) => (endpoint.clone(), credentials.clone()),
            None => {
                let credentials = Credentials::from_env()?;
                (self.endpoint(&credentials.region), credentials)
            }
        };
        let body = input.to_string().into_bytes();
        let target = format!("{}.{operation}", self.service.target_prefix());
        let mut headers = vec![
            ("content-type", self.service.content_type().to_string()),
            ("x-amz-target", target),
        ];
        headers.extend(self.signature(&credentials, &url, &headers, &body)?);
        let mut request = http_client()?.post(&url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.transport(e))?;
        let value = match serde_json::from_str::<Value>(&text) {
            Ok(value) => value,
            Err(_) if text.trim().is_empty() => Value::Object(Default::default()),
            // A proxy's or a load balancer's page: the status says enough.
            Err(_) if !status.is_success() => Value::Null,
            Err(e) => {
                return Err(AwsError::Unreadable {
                    service: self.service,
                    operation,
                    reason: e.to_string(),
                })
            }
        };
        if status.is_success() {
            return Ok(value);
        }
        Err(self.refusal(operation, status, &value))
    }

    /// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (moto in
    /// tests), else the service's regional endpoint.
    fn endpoint(&self, region: &str) -> String {
        let configured = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        configured(self.service.endpoint_env())
            .or_else(|| configured("AWS_ENDPOINT_URL"))
            .map(|url| format!("{}/", url.trim().trim_end_matches('/')))
            .unwrap_or_else(|| {
                format!(
                    "https://{}.{region}.amazonaws.com/",
                    self.service.endpoint_prefix()
                )
            })
    }

    /// The SigV4 headers (`authorization`, `x-amz-date`, and the session
    /// token's) for this request.
    fn signature(
        &self,
        credentials: &Credentials,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, AwsError> {
        let sign_error = |e: &dyn std::fmt::Display| AwsError::Sign(e.to_string());
        let identity: Identity = aws_credential_types::Credentials::new(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.clone(),
            None,
            "environment",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&credentials.region)
            .name(self.service.endpoint_prefix())
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| sign_error(&e))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.iter().map(|(name, value)| (*name, value.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| sign_error(&e))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| sign_error(&e))?
            .into_parts();
        Ok(instructions
            .headers()
            .filter_map(|(name, value)| Some((signed_header(name)?, value.to_string())))
            .collect())
    }

    fn transport(&self, error: reqwest::Error) -> AwsError {
        AwsError::Transport {
            service: self.service,
            reason: error.to_string(),
        }
    }

    /// The error AWS answered: `__type` is `prefix#Code` (or the code
    /// alone), the message is `message` or `Message`.
    fn refusal(
        &self,
        operation: &'static str,
        status: reqwest::StatusCode,
        body: &Value,
    ) -> AwsError {
        let code = body["__type"]
            .as_str()
            .map(|kind| kind.rsplit('#').next().unwrap_or(kind).to_string())
            .unwrap_or_else(|| status.to_string());
        let message = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        AwsError::Refused {
            service: self.service,
            operation,
            code,
            message,
        }
    }
}

/// The static name of a header the signer adds (reqwest wants names it
/// can keep without copying).
fn signed_header(name: &str) -> Option<&'static str> {
    [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ]
    .into_iter()
    .find(|known| known.eq_ignore_ascii_case(name))
}

/// The process's client for AWS, built on the first call.
fn http_client() -> Result<&'static reqwest::Client, AwsError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| AwsError::Transport {
            service: Service::Sqs,
            reason: e.to_string(),
        })?;
    Ok(CLIENT.get_or_init(|| client))
}
