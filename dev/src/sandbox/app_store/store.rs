//! The sandbox's App Store account: its customers' subscriptions and how
//! each event moves them, as the App Store would, with the payloads Apple
//! signs for them (`JWSTransactionDecodedPayload`,
//! `JWSRenewalInfoDecodedPayload`, `responseBodyV2DecodedPayload`), field
//! by field as Apple names them.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{json, Value};

/// A billing period: a month, as the App Store's monthly plans have.
pub const PERIOD_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// The billing grace period the sandbox gives (Apple's 16 days).
pub const GRACE_MS: i64 = 16 * 24 * 60 * 60 * 1000;

/// Apple's `status` of a subscription.
pub mod status {
    pub const ACTIVE: i64 = 1;
    pub const EXPIRED: i64 = 2;
    pub const BILLING_RETRY: i64 = 3;
    pub const GRACE_PERIOD: i64 = 4;
    pub const REVOKED: i64 = 5;
}

/// One transaction (a purchase or a renewal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub id: String,
    pub purchase_ms: i64,
    pub expires_ms: i64,
    pub revocation_ms: Option<i64>,
}

/// One customer's subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub original_transaction_id: String,
    pub product_id: String,
    pub app_account_token: Option<String>,
    pub transactions: Vec<Transaction>,
    pub status: i64,
    pub auto_renew: bool,
    pub grace_expires_ms: Option<i64>,
    pub expiration_intent: Option<i64>,
}

impl Subscription {
    pub fn latest(&self) -> &Transaction {
        self.transactions
            .last()
            .expect("a subscription has a transaction")
    }

    fn latest_mut(&mut self) -> &mut Transaction {
        self.transactions
            .last_mut()
            .expect("a subscription has a transaction")
    }
}

/// What the App Store signs, for one app in one environment.
#[derive(Clone, Debug)]
pub struct App {
    pub bundle_id: String,
    pub app_apple_id: Option<i64>,
    pub environment: String,
}

/// Every subscription of the sandbox's account.
#[derive(Debug, Default)]
pub struct Store {
    subscriptions: HashMap<String, Subscription>,
    /// Ids are 16 digits from 2000…, as the App Store sandbox's; this
    /// run's start at a random point, so two runs' ids differ.
    base_id: u64,
    next_id: u64,
}

/// An event that moves a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A renewal charged: a new transaction and period.
    Renew,
    /// A renewal's charge failed; `grace` keeps service on meanwhile.
    FailRenewal { grace: bool },
    /// The grace period ended with the charge still failing.
    GracePeriodExpired,
    /// The subscription ended (turned off, or the retries gave up).
    Expire,
    /// Apple refunded the latest transaction.
    Refund,
    /// Family Sharing access withdrawn.
    Revoke,
    /// The customer turned auto-renew on or off.
    AutoRenew { on: bool },
}

impl Event {
    /// Apple's `notificationType` and `subtype` for it.
    pub fn notification(self, subscription: &Subscription) -> (&'static str, Option<&'static str>) {
        match self {
            Self::Renew => ("DID_RENEW", None),
            Self::FailRenewal { grace: true } => ("DID_FAIL_TO_RENEW", Some("GRACE_PERIOD")),
            Self::FailRenewal { grace: false } => ("DID_FAIL_TO_RENEW", None),
            Self::GracePeriodExpired => ("GRACE_PERIOD_EXPIRED", None),
            Self::Expire if subscription.auto_renew => ("EXPIRED", Some("BILLING_RETRY")),
            Self::Expire => ("EXPIRED", Some("VOLUNTARY")),
            Self::Refund => ("REFUND", None),
            Self::Revoke => ("REVOKE", None),
            Self::AutoRenew { on: true } => {
                ("DID_CHANGE_RENEWAL_STATUS", Some("AUTO_RENEW_ENABLED"))
            }
            Self::AutoRenew { on: false } => {
                ("DID_CHANGE_RENEWAL_STATUS", Some("AUTO_RENEW_DISABLED"))
            }
        }
    }

    /// Parses a route's action (`renew`, `fail-renewal`, …).
    pub fn from_action(action: &str) -> Option<Self> {
        Some(match action {
            "renew" => Self::Renew,
            "fail-renewal" => Self::FailRenewal { grace: false },
            "fail-renewal-grace" => Self::FailRenewal { grace: true },
            "grace-period-expired" => Self::GracePeriodExpired,
            "expire" => Self::Expire,
            "refund" => Self::Refund,
            "revoke" => Self::Revoke,
            "auto-renew-on" => Self::AutoRenew { on: true },
            "auto-renew-off" => Self::AutoRenew { on: false },
            _ => return None,
        })
    }
}

impl Store {
    /// An empty account whose ids start at a random point.
    pub fn new() -> Self {
        Self {
            base_id: rand::random::<u64>() % 100_000_000_000,
            ..Self::default()
        }
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        (2_000_000_000_000_000 + self.base_id * 1000 + self.next_id).to_string()
    }

    /// A new subscription to `product_id`, bought now.
    pub fn purchase(&mut self, product_id: &str, app_account_token: Option<&str>) -> Subscription {
        let id = self.new_id();
        let now = Utc::now().timestamp_millis();
        let subscription = Subscription {
            original_transaction_id: id.clone(),
            product_id: product_id.to_string(),
            app_account_token: app_account_token.map(str::to_string),
            transactions: vec![Transaction {
                id,
                purchase_ms: now,
                expires_ms: now + PERIOD_MS,
                revocation_ms: None,
            }],
            status: status::ACTIVE,
            auto_renew: true,
            grace_expires_ms: None,
            expiration_intent: None,
        };
        self.subscriptions.insert(
            subscription.original_transaction_id.clone(),
            subscription.clone(),
        );
        subscription
    }

    /// Applies `event` to subscription `original`; answers it as it is now.
    pub fn apply(&mut self, original: &str, event: Event) -> Option<Subscription> {
        let id = self.new_id();
        let now = Utc::now().timestamp_millis();
        let sub = self.subscriptions.get_mut(original)?;
        match event {
            Event::Renew => {
                let start = sub.latest().expires_ms.max(now);
                sub.transactions.push(Transaction {
                    id,
                    purchase_ms: start,
                    expires_ms: start + PERIOD_MS,
                    revocation_ms: None,
                });
                sub.status = status::ACTIVE;
                sub.grace_expires_ms = None;
                sub.expiration_intent = None;
            }
            Event::FailRenewal { grace } => {
                sub.status = if grace {
                    status::GRACE_PERIOD
                } else {
                    status::BILLING_RETRY
                };
                sub.grace_expires_ms = grace.then(|| sub.latest().expires_ms + GRACE_MS);
                sub.expiration_intent = Some(2);
            }
            Event::GracePeriodExpired => sub.status = status::BILLING_RETRY,
            Event::Expire => {
                sub.status = status::EXPIRED;
                sub.expiration_intent = Some(if sub.auto_renew { 2 } else { 1 });
                sub.auto_renew = false;
            }
            Event::Refund | Event::Revoke => {
                sub.status = status::REVOKED;
                sub.latest_mut().revocation_ms = Some(now);
                sub.auto_renew = false;
            }
            Event::AutoRenew { on } => sub.auto_renew = on,
        }
        Some(sub.clone())
    }

    /// The subscription any of whose transactions is `transaction_id`.
    pub fn find(&self, transaction_id: &str) -> Option<&Subscription> {
        self.subscriptions.values().find(|sub| {
            sub.original_transaction_id == transaction_id
                || sub.transactions.iter().any(|t| t.id == transaction_id)
        })
    }
}

/// `JWSTransactionDecodedPayload` of the subscription's latest
/// transaction, signed at `signed_ms`.
pub fn transaction_payload(app: &App, sub: &Subscription, signed_ms: i64) -> Value {
    let tx = sub.latest();
    let first = &sub.transactions[0];
    let mut payload = json!({
        "transactionId": tx.id,
        "originalTransactionId": sub.original_transaction_id,
        "webOrderLineItemId": format!("{}1", tx.id),
        "bundleId": app.bundle_id,
        "productId": sub.product_id,
        "subscriptionGroupIdentifier": "21000001",
        "purchaseDate": tx.purchase_ms,
        "originalPurchaseDate": first.purchase_ms,
        "expiresDate": tx.expires_ms,
        "quantity": 1,
        "type": "Auto-Renewable Subscription",
        "inAppOwnershipType": "PURCHASED",
        "signedDate": signed_ms,
        "environment": app.environment,
        "transactionReason": if sub.transactions.len() == 1 { "PURCHASE" } else { "RENEWAL" },
        "storefront": "USA",
        "storefrontId": "143441",
        "price": 9990,
        "currency": "USD",
    });
    if let Some(token) = &sub.app_account_token {
        payload["appAccountToken"] = json!(token);
    }
    if let Some(revoked) = tx.revocation_ms {
        payload["revocationDate"] = json!(revoked);
        payload["revocationReason"] = json!(0);
    }
    payload
}

/// `JWSRenewalInfoDecodedPayload` of the subscription, signed at
/// `signed_ms`.
pub fn renewal_payload(app: &App, sub: &Subscription, signed_ms: i64) -> Value {
    let tx = sub.latest();
    let mut payload = json!({
        "originalTransactionId": sub.original_transaction_id,
        "autoRenewProductId": sub.product_id,
        "productId": sub.product_id,
        "autoRenewStatus": i64::from(sub.auto_renew),
        "isInBillingRetryPeriod": matches!(sub.status, status::BILLING_RETRY | status::GRACE_PERIOD),
        "signedDate": signed_ms,
        "environment": app.environment,
        "recentSubscriptionStartDate": sub.transactions[0].purchase_ms,
        "renewalDate": tx.expires_ms,
    });
    if let Some(grace) = sub.grace_expires_ms {
        payload["gracePeriodExpiresDate"] = json!(grace);
    }
    if let Some(intent) = sub.expiration_intent {
        payload["expirationIntent"] = json!(intent);
    }
    if let Some(token) = &sub.app_account_token {
        payload["appAccountToken"] = json!(token);
    }
    payload
}

/// A notification's own fields: its type, subtype, id and when it was
/// signed.
#[derive(Clone, Copy, Debug)]
pub struct Notice<'a> {
    pub kind: &'a str,
    pub subtype: Option<&'a str>,
    pub uuid: &'a str,
    pub signed_ms: i64,
}

/// `responseBodyV2DecodedPayload` around the signed transaction and
/// renewal info.
pub fn notification_payload(
    app: &App,
    notice: Notice<'_>,
    sub: &Subscription,
    signed_transaction: String,
    signed_renewal: String,
) -> Value {
    let mut data = json!({
        "bundleId": app.bundle_id,
        "bundleVersion": "1",
        "environment": app.environment,
        "signedTransactionInfo": signed_transaction,
        "signedRenewalInfo": signed_renewal,
        "status": sub.status,
    });
    if let Some(id) = app.app_apple_id {
        data["appAppleId"] = json!(id);
    }
    let mut payload = json!({
        "notificationType": notice.kind,
        "notificationUUID": notice.uuid,
        "data": data,
        "version": "2.0",
        "signedDate": notice.signed_ms,
    });
    if let Some(subtype) = notice.subtype {
        payload["subtype"] = json!(subtype);
    }
    payload
}
