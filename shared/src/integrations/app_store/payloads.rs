//! What Apple signs, as far as subscriptions read it: the decoded
//! payloads of `JWSTransaction`, `JWSRenewalInfo` and App Store Server
//! Notifications V2 (`responseBodyV2DecodedPayload`), and the App Store
//! Server API's `StatusResponse`. Field names are Apple's; dates are Unix
//! milliseconds. Fields not listed are ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `JWSTransactionDecodedPayload`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionPayload {
    pub original_transaction_id: Option<String>,
    pub transaction_id: Option<String>,
    pub web_order_line_item_id: Option<String>,
    pub bundle_id: Option<String>,
    pub product_id: Option<String>,
    pub subscription_group_identifier: Option<String>,
    pub purchase_date: Option<i64>,
    pub original_purchase_date: Option<i64>,
    pub expires_date: Option<i64>,
    /// `Auto-Renewable Subscription`, `Non-Consumable`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The UUID the app set at purchase (ours: derived from the user id).
    pub app_account_token: Option<String>,
    pub signed_date: Option<i64>,
    pub revocation_date: Option<i64>,
    pub revocation_reason: Option<i64>,
    pub environment: Option<String>,
}

/// `JWSRenewalInfoDecodedPayload`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenewalInfoPayload {
    pub original_transaction_id: Option<String>,
    pub product_id: Option<String>,
    pub auto_renew_product_id: Option<String>,
    /// 1: renews at the end of the period; 0: the customer turned it off.
    pub auto_renew_status: Option<i64>,
    pub is_in_billing_retry_period: Option<bool>,
    pub grace_period_expires_date: Option<i64>,
    pub expiration_intent: Option<i64>,
    pub renewal_date: Option<i64>,
    pub signed_date: Option<i64>,
    pub environment: Option<String>,
}

/// `responseBodyV2DecodedPayload`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPayload {
    pub notification_type: String,
    pub subtype: Option<String>,
    #[serde(rename = "notificationUUID")]
    pub notification_uuid: String,
    pub version: Option<String>,
    pub signed_date: Option<i64>,
    pub data: Option<NotificationData>,
    /// Present instead of `data` for some types (a renewal-extension
    /// summary, an external purchase token, app data): kept raw, for the
    /// app and environment they name.
    pub summary: Option<Value>,
    pub external_purchase_token: Option<Value>,
    pub app_data: Option<Value>,
}

/// A notification's `data`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationData {
    pub app_apple_id: Option<i64>,
    pub bundle_id: Option<String>,
    pub bundle_version: Option<String>,
    pub environment: Option<String>,
    pub signed_transaction_info: Option<String>,
    pub signed_renewal_info: Option<String>,
    /// The subscription's status (as in [`LastTransaction::status`]).
    pub status: Option<i64>,
}

/// `GET /inApps/v1/subscriptions/{transactionId}`: every subscription
/// group of the customer, each with its latest transactions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub environment: Option<String>,
    pub bundle_id: Option<String>,
    pub app_apple_id: Option<i64>,
    #[serde(default)]
    pub data: Vec<SubscriptionGroup>,
}

/// `SubscriptionGroupIdentifierItem`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionGroup {
    pub subscription_group_identifier: Option<String>,
    #[serde(default)]
    pub last_transactions: Vec<LastTransaction>,
}

/// `LastTransactionsItem`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastTransaction {
    pub original_transaction_id: Option<String>,
    /// 1 active, 2 expired, 3 in billing retry, 4 in the billing grace
    /// period, 5 revoked.
    pub status: Option<i64>,
    pub signed_transaction_info: Option<String>,
    pub signed_renewal_info: Option<String>,
}

/// The App Store's subscription statuses (`status`).
pub mod status {
    pub const ACTIVE: i64 = 1;
    pub const EXPIRED: i64 = 2;
    pub const BILLING_RETRY: i64 = 3;
    pub const BILLING_GRACE_PERIOD: i64 = 4;
    pub const REVOKED: i64 = 5;
}
