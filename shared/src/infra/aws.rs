//! AWS SDK configuration shared by every client.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;

/// The environment's AWS configuration (region, credentials,
/// `AWS_ENDPOINT_URL` for local stand-ins such as moto), with an HTTPS
/// client on rustls and ring: no aws-lc, so no C toolchain at build time.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// The SDK's HTTPS client on rustls and ring.
pub fn http_client() -> aws_sdk_sqs::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}
