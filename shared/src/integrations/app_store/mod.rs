//! The App Store: StoreKit 2 signed transactions, App Store Server
//! Notifications V2 and the App Store Server API.
//!
//! - `signed_data.rs`: verifying what Apple signs (the `x5c` chain to the
//!   configured root, Apple's marker OIDs, the ES256 signature, the app
//!   and environment), by the rules of Apple's own
//!   `app-store-server-library`;
//! - `der.rs`: reading a certificate's extensions and P-256 key;
//! - `payloads.rs`: the decoded payloads and the API's status response;
//! - `client.rs`: Get All Subscription Statuses, with its ES256 token.
//!
//! The root of trust is Apple Root CA - G3
//! ([`crate::infra::config::apple::APPLE_ROOT_CA_G3`]) unless
//! `APPLE_ROOT_CERTIFICATES` replaces it (the App Store sandbox's root).

pub mod client;
pub mod der;
pub mod payloads;
pub mod signed_data;

pub use client::{AppStoreClient, AppStoreError};
pub use payloads::{
    LastTransaction, NotificationData, NotificationPayload, RenewalInfoPayload, StatusResponse,
    SubscriptionGroup, TransactionPayload,
};
pub use signed_data::{SignedDataVerifier, VerifyError};

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use crate::infra::config::apple::APPLE_ROOT_CA_G3;

    /// Apple Root CA - G3's SHA-256 fingerprint as Apple publishes it on
    /// its certificate authority page (apple.com/certificateauthority,
    /// "Apple Root CA - G3 Root").
    const PUBLISHED_SHA256: &str =
        "63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79";

    #[test]
    fn the_embedded_root_is_apples_root_ca_g3() {
        let digest = Sha256::digest(APPLE_ROOT_CA_G3);
        let fingerprint: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(fingerprint.join(":"), PUBLISHED_SHA256);
    }
}
