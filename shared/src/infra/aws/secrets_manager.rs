//! Settings kept in AWS Secrets Manager: one secret whose value is a JSON
//! object of setting names (the environment variables' names) to values.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::json_api::{AwsError, AwsJson, Service};

/// The settings in the secret `secret_id` (a name or an ARN), read
/// through `client` (a Secrets Manager client). A value that is not a
/// string is refused rather than guessed at.
pub async fn settings(
    client: &AwsJson,
    secret_id: &str,
) -> Result<HashMap<String, String>, AwsError> {
    const OPERATION: &str = "GetSecretValue";
    let response = client
        .call(OPERATION, &json!({ "SecretId": secret_id }))
        .await?;
    let unreadable = |reason: String| AwsError::Unreadable {
        service: Service::SecretsManager,
        operation: OPERATION,
        reason,
    };
    let text = response["SecretString"]
        .as_str()
        .ok_or_else(|| unreadable("the secret has no SecretString".into()))?;
    parse(text).map_err(unreadable)
}

/// The secret's JSON object as settings.
fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let object: serde_json::Map<String, Value> = serde_json::from_str(text)
        .map_err(|_| "the secret is not a JSON object of setting names to values".to_string())?;
    object
        .into_iter()
        .map(|(key, value)| match value {
            Value::String(value) => Ok((key, value)),
            _ => Err(format!("the secret's {key} is not a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_object_of_strings() {
        let settings = parse(
            r#"{"JWT_SECRET":"0123456789abcdef0123456789abcdef","MONGODB_URI":"mongodb://db"}"#,
        )
        .unwrap();
        assert_eq!(settings["MONGODB_URI"], "mongodb://db");
        assert_eq!(settings.len(), 2);
    }

    #[test]
    fn refuses_what_is_not_an_object_of_strings() {
        assert!(parse("not json").is_err());
        assert!(parse(r#"["JWT_SECRET"]"#).is_err());
        let error = parse(r#"{"DIALER_CALLS_PER_SECOND":5}"#).unwrap_err();
        assert!(error.contains("DIALER_CALLS_PER_SECOND"), "{error}");
        // The error never echoes a value.
        let error = parse(r#"{"JWT_SECRET":{"v":"hunter2hunter2"}}"#).unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
