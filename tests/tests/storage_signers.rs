//! Our S3 and GCS URL signers against `object_store`'s, which the core used
//! before: for the same object, credentials and instant, the URLs must be
//! the same, byte for byte (SigV4 and RSA PKCS #1 v1.5 are deterministic).
//! The instant is read back from object_store's URL, so the check does not
//! depend on both signing within one second.

use std::time::{Duration, SystemTime};

use chrono::{NaiveDateTime, TimeZone, Utc};
use heyway::infra::storage::{GcsSigner, S3Signer};
use object_store::aws::AmazonS3Builder;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpService,
};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::signer::Signer;

const GCS_KEY: &str = include_str!("../fixtures/gcs-test-service-account.json");

/// object_store's stores need a transport even to sign; this one refuses
/// every request (signing with static keys sends none).
#[derive(Clone, Copy, Debug)]
struct NoTransport;

impl HttpConnector for NoTransport {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(NoTransport))
    }
}

#[async_trait::async_trait]
impl HttpService for NoTransport {
    async fn call(&self, _request: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::new(
            HttpErrorKind::Connect,
            std::io::Error::other("sign only"),
        ))
    }
}

fn signed_at(url: &str, param: &str) -> chrono::DateTime<Utc> {
    let value = url
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix(param))
        .unwrap_or_else(|| panic!("no {param} in {url}"));
    let naive = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").unwrap();
    Utc.from_utc_datetime(&naive)
}

fn s3_signer(endpoint: Option<&str>, virtual_hosted: bool, token: Option<&str>) -> S3Signer {
    S3Signer {
        access_key_id: "AKIDEXAMPLE5550100".into(),
        secret_access_key: "made-up-secret-key-for-tests/555".into(),
        session_token: token.map(Into::into),
        region: "us-west-2".into(),
        endpoint: endpoint.map(Into::into),
        virtual_hosted,
    }
}

async fn object_store_s3(
    signer: &S3Signer,
    bucket: &str,
    method: &str,
    key: &str,
    ttl: Duration,
) -> String {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&signer.region)
        .with_access_key_id(&signer.access_key_id)
        .with_secret_access_key(&signer.secret_access_key)
        .with_virtual_hosted_style_request(signer.virtual_hosted)
        .with_allow_http(true)
        .with_http_connector(NoTransport);
    if let Some(token) = &signer.session_token {
        builder = builder.with_token(token);
    }
    if let Some(endpoint) = &signer.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    let store = builder.build().unwrap();
    let method = method.parse().unwrap();
    store
        .signed_url(method, &Path::from(key), ttl)
        .await
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn s3_urls_match_object_stores() {
    let cases = [
        (None, false, None, "GET", "recordings/u1/greeting.mp3"),
        (None, true, None, "PUT", "recordings/u1/new-message.mp3"),
        (
            None,
            false,
            Some("FwoGZXIvYXdzE/session+token=="),
            "GET",
            "recordings/u2/a b.mp3",
        ),
        (
            Some("http://127.0.0.1:5000"),
            false,
            None,
            "PUT",
            "recordings/u3/tts_1.mp3",
        ),
    ];
    for (endpoint, virtual_hosted, token, method, key) in cases {
        let bucket = "made-up-recordings";
        let ours = s3_signer(endpoint, virtual_hosted, token);
        let ttl = Duration::from_secs(900);
        let theirs = object_store_s3(&ours, bucket, method, key, ttl).await;
        let at: SystemTime = signed_at(&theirs, "X-Amz-Date=").into();
        let mine = ours.presign(method, bucket, key, at, ttl).unwrap();
        assert_eq!(
            mine, theirs,
            "{method} {key} endpoint={endpoint:?} virtual={virtual_hosted}"
        );
    }
}

#[tokio::test]
async fn gcs_urls_match_object_stores() {
    let ours = GcsSigner::from_json(GCS_KEY).unwrap();
    let store = GoogleCloudStorageBuilder::new()
        .with_bucket_name("legacy-node-bucket")
        .with_service_account_key(GCS_KEY)
        .with_http_connector(NoTransport)
        .build()
        .unwrap();
    for (method, key) in [
        ("GET", "recordings/u1/greeting.mp3"),
        ("PUT", "audio/old take 2.mp3"),
    ] {
        let ttl = Duration::from_secs(3600);
        let theirs = store
            .signed_url(method.parse().unwrap(), &Path::from(key), ttl)
            .await
            .unwrap()
            .to_string();
        let at = signed_at(&theirs, "X-Goog-Date=");
        let mine = ours
            .sign(method, "legacy-node-bucket", key, at, ttl)
            .unwrap();
        assert_eq!(mine, theirs, "{method} {key}");
    }
}
