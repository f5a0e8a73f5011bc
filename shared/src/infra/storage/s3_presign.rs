//! S3 presigned URLs (SigV4 in the query string), signed by `aws-sigv4`,
//! the signer every function already links for SQS and EventBridge.
//!
//! The URL is the one `object_store`'s S3 store builds (path style
//! `{endpoint}/{bucket}/{key}`, or `https://{bucket}.s3.{region}.amazonaws.com/{key}`
//! with `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`); a test in the e2e suite
//! signs with both in the same second and compares.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use super::encode_key;

/// What an S3 URL is signed with: the store's `AWS_*` settings.
#[derive(Clone)]
pub struct S3Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT` (S3-compatible stores, moto).
    pub endpoint: Option<String>,
    pub virtual_hosted: bool,
}

/// Why an S3 URL cannot be signed.
#[derive(Debug, thiserror::Error)]
pub enum S3SignError {
    #[error("{0} is not set: S3 URLs are signed with static credentials")]
    Missing(&'static str),
    #[error("{0}")]
    Sign(String),
}

impl S3Signer {
    /// From the store's `AWS_*` settings. Like `object_store`, the region
    /// defaults to `us-east-1`.
    pub fn from_settings(settings: &[(&'static str, String)]) -> Result<Self, S3SignError> {
        let get = |key: &str| {
            settings
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(Self {
            access_key_id: get("AWS_ACCESS_KEY_ID")
                .ok_or(S3SignError::Missing("AWS_ACCESS_KEY_ID"))?,
            secret_access_key: get("AWS_SECRET_ACCESS_KEY")
                .ok_or(S3SignError::Missing("AWS_SECRET_ACCESS_KEY"))?,
            session_token: get("AWS_SESSION_TOKEN"),
            region: get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            endpoint: get("AWS_ENDPOINT_URL").or_else(|| get("AWS_ENDPOINT")),
            virtual_hosted: get("AWS_VIRTUAL_HOSTED_STYLE_REQUEST")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })
    }

    /// The object's unsigned URL.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        let key = encode_key(key);
        match (&self.endpoint, self.virtual_hosted) {
            (Some(endpoint), true) => format!("{}/{key}", endpoint.trim_end_matches('/')),
            (Some(endpoint), false) => format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/')),
            (None, true) => format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region),
            (None, false) => format!("https://s3.{}.amazonaws.com/{bucket}/{key}", self.region),
        }
    }

    /// `method` on `bucket`/`key`, valid for `ttl` from `now`.
    pub fn presign(
        &self,
        method: &str,
        bucket: &str,
        key: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<String, S3SignError> {
        self.presign_url(method, &self.object_url(bucket, key), now, ttl)
    }

    /// Presigns an object URL already built (the AWS documentation's
    /// example is one; see the tests).
    pub fn presign_url(
        &self,
        method: &str,
        url: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Result<String, S3SignError> {
        let error = |e: &dyn std::fmt::Display| S3SignError::Sign(e.to_string());
        let identity: Identity = Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            None,
            "recordings-store",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(ttl);
        // S3 signs the path as sent: no second encoding, no normalizing.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| error(&e))?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| error(&e))?;
        let (instructions, _) = sign(request, &params).map_err(|e| error(&e))?.into_parts();
        let mut signed = url::Url::parse(url).map_err(|e| error(&e))?;
        {
            let mut query = signed.query_pairs_mut();
            // The signature last, as S3's own and object_store's URLs have it.
            let (signature, rest): (Vec<_>, Vec<_>) = instructions
                .params()
                .iter()
                .partition(|(name, _)| *name == "X-Amz-Signature");
            for (name, value) in rest.into_iter().chain(signature) {
                query.append_pair(name, value);
            }
        }
        Ok(signed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_signer() -> S3Signer {
        S3Signer {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
            endpoint: None,
            virtual_hosted: true,
        }
    }

    /// The presigned-URL example of AWS's "Authenticating Requests: Using
    /// Query Parameters (AWS Signature Version 4)".
    #[test]
    fn signs_awss_documented_example() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24T00:00:00Z
        let url = example_signer()
            .presign_url(
                "GET",
                "https://examplebucket.s3.amazonaws.com/test.txt",
                at,
                Duration::from_secs(86_400),
            )
            .unwrap();
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"),
            "{url}"
        );
        assert!(
            url.contains(
                "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            ),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=86400"), "{url}");
        assert!(
            url.ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{url}"
        );
    }

    #[test]
    fn builds_object_store_shaped_urls() {
        let mut signer = example_signer();
        signer.virtual_hosted = false;
        signer.region = "eu-west-1".into();
        assert_eq!(
            signer.object_url("b", "recordings/a b.mp3"),
            "https://s3.eu-west-1.amazonaws.com/b/recordings/a%20b.mp3"
        );
        signer.endpoint = Some("http://127.0.0.1:5000/".into());
        assert_eq!(
            signer.object_url("b", "recordings/x.mp3"),
            "http://127.0.0.1:5000/b/recordings/x.mp3"
        );
    }

    #[test]
    fn a_session_token_is_signed_into_the_query() {
        let mut signer = example_signer();
        signer.session_token = Some("token+with/chars=".into());
        let url = signer
            .presign(
                "PUT",
                "bucket",
                "recordings/x.mp3",
                SystemTime::now(),
                Duration::from_secs(60),
            )
            .unwrap();
        assert!(
            url.contains("X-Amz-Security-Token=token%2Bwith%2Fchars%3D"),
            "{url}"
        );
    }

    #[test]
    fn refuses_without_credentials() {
        let settings = [("AWS_ACCESS_KEY_ID", "AKIA".to_string())];
        assert!(matches!(
            S3Signer::from_settings(&settings),
            Err(S3SignError::Missing("AWS_SECRET_ACCESS_KEY"))
        ));
    }
}
