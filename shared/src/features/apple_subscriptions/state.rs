//! What an App Store subscription's signed data means for the user's
//! plan: pure rules from Apple's status (or a notification's type and
//! subtype), the latest transaction and the renewal info to the legacy
//! fields of a `subscriptions` document.
//!
//! | Apple | `status` | the user may call |
//! | --- | --- | --- |
//! | 1 active, `SUBSCRIBED`, `DID_RENEW` | `active` | yes |
//! | 4 billing grace period, `DID_FAIL_TO_RENEW`/`GRACE_PERIOD` | `grace_period` | yes, until `endDate` (the grace period's end) |
//! | 3 billing retry, `DID_FAIL_TO_RENEW`, `GRACE_PERIOD_EXPIRED` | `past_due` | no |
//! | 2 expired, `EXPIRED` | `expired` | no |
//! | `REFUND` | `refunded` | no |
//! | 5 revoked, `REVOKE` | `revoked` | no |
//!
//! `renewalDate` is the next renewal while auto-renew is on, `endDate`
//! when access ends (or ended) otherwise; `validationStatus` is `valid`
//! unless Apple took the purchase back (refund, revocation): `invalid`.

use crate::integrations::app_store::payloads::status;
use crate::integrations::app_store::{RenewalInfoPayload, TransactionPayload};
use crate::model::Subscription;

/// The type of transaction subscriptions are made of.
pub const AUTO_RENEWABLE: &str = "Auto-Renewable Subscription";

/// A subscription's state, as the legacy fields hold it (dates in Unix
/// milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppleState {
    pub original_transaction_id: String,
    pub transaction_id: Option<String>,
    pub product_id: Option<String>,
    pub status: &'static str,
    pub start_date: Option<i64>,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub renewal_date: Option<i64>,
    pub end_date: Option<i64>,
    pub environment: Option<String>,
}

impl AppleState {
    /// Whether the status lets the user place calls.
    pub fn entitled(&self) -> bool {
        Subscription::ACTIVE_STATUSES.contains(&self.status)
    }

    /// The legacy `plan`: `paid` while entitled, else `free`.
    pub fn plan(&self) -> &'static str {
        if self.entitled() {
            "paid"
        } else {
            "free"
        }
    }

    /// The legacy `validationStatus`.
    pub fn validation_status(&self) -> &'static str {
        if matches!(self.status, "refunded" | "revoked") {
            "invalid"
        } else {
            "valid"
        }
    }
}

/// The state Apple's subscription `status` (1–5) describes, with the
/// latest transaction and its renewal info; `None` for an unknown status
/// or a transaction without an original id.
pub fn from_status(
    apple_status: i64,
    transaction: &TransactionPayload,
    renewal: Option<&RenewalInfoPayload>,
) -> Option<AppleState> {
    let status = match apple_status {
        status::ACTIVE => "active",
        status::EXPIRED => "expired",
        status::BILLING_RETRY => "past_due",
        status::BILLING_GRACE_PERIOD => "grace_period",
        status::REVOKED => "revoked",
        _ => return None,
    };
    with_status(status, transaction, renewal)
}

/// The state a notification of `kind` (and `subtype`) describes; `None`
/// for the types that do not change a subscription (`TEST`,
/// `CONSUMPTION_REQUEST`, `REFUND_DECLINED`, …). `data_status` is the
/// subscription status Apple puts in the notification's `data`, used
/// where the type alone does not say it; `signed_date` decides it when
/// Apple left it out.
pub fn from_notification(
    kind: &str,
    subtype: Option<&str>,
    data_status: Option<i64>,
    signed_date: Option<i64>,
    transaction: &TransactionPayload,
    renewal: Option<&RenewalInfoPayload>,
) -> Option<AppleState> {
    let current = || {
        data_status.unwrap_or_else(|| {
            let lapsed = matches!(
                (transaction.expires_date, signed_date),
                (Some(end), Some(at)) if end <= at
            );
            if lapsed {
                status::EXPIRED
            } else {
                status::ACTIVE
            }
        })
    };
    let apple_status = match kind {
        "SUBSCRIBED"
        | "DID_RENEW"
        | "DID_CHANGE_RENEWAL_STATUS"
        | "DID_CHANGE_RENEWAL_PREF"
        | "OFFER_REDEEMED"
        | "RENEWAL_EXTENDED"
        | "REFUND_REVERSED"
        | "PRICE_INCREASE" => current(),
        "DID_FAIL_TO_RENEW" if subtype == Some("GRACE_PERIOD") => status::BILLING_GRACE_PERIOD,
        "DID_FAIL_TO_RENEW" | "GRACE_PERIOD_EXPIRED" => status::BILLING_RETRY,
        "EXPIRED" => status::EXPIRED,
        "REVOKE" => status::REVOKED,
        "REFUND" => return with_status("refunded", transaction, renewal),
        _ => return None,
    };
    from_status(apple_status, transaction, renewal)
}

fn with_status(
    status: &'static str,
    transaction: &TransactionPayload,
    renewal: Option<&RenewalInfoPayload>,
) -> Option<AppleState> {
    let original = transaction.original_transaction_id.clone()?;
    let expires = transaction.expires_date;
    // Without renewal info, an active subscription is taken to renew.
    let renews = renewal.is_none_or(|r| r.auto_renew_status != Some(0));
    let (renewal_date, end_date) = match status {
        "active" if renews => (renewal.and_then(|r| r.renewal_date).or(expires), None),
        "active" | "expired" | "past_due" => (None, expires),
        "grace_period" => (
            None,
            renewal
                .and_then(|r| r.grace_period_expires_date)
                .or(expires),
        ),
        _ => (None, transaction.revocation_date.or(expires)),
    };
    Some(AppleState {
        original_transaction_id: original,
        transaction_id: transaction.transaction_id.clone(),
        product_id: transaction.product_id.clone(),
        status,
        start_date: transaction.original_purchase_date,
        current_period_start: transaction.purchase_date,
        current_period_end: expires,
        renewal_date,
        end_date,
        environment: transaction.environment.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transaction() -> TransactionPayload {
        TransactionPayload {
            original_transaction_id: Some("2000000000000001".into()),
            transaction_id: Some("2000000000000002".into()),
            product_id: Some("com.example.pro.monthly".into()),
            original_purchase_date: Some(1_000),
            purchase_date: Some(2_000),
            expires_date: Some(3_000),
            revocation_date: None,
            ..TransactionPayload::default()
        }
    }

    fn renewal(auto: i64, grace: Option<i64>) -> RenewalInfoPayload {
        RenewalInfoPayload {
            auto_renew_status: Some(auto),
            renewal_date: Some(3_000),
            grace_period_expires_date: grace,
            ..RenewalInfoPayload::default()
        }
    }

    #[test]
    fn each_notification_moves_the_plan_as_a_user_expects() {
        let tx = transaction();
        let on = renewal(1, None);
        let case = |kind: &str, subtype: Option<&str>, r: &RenewalInfoPayload| {
            from_notification(kind, subtype, None, Some(2_500), &tx, Some(r)).unwrap()
        };
        let bought = case("SUBSCRIBED", Some("INITIAL_BUY"), &on);
        assert_eq!((bought.status, bought.plan()), ("active", "paid"));
        assert_eq!((bought.renewal_date, bought.end_date), (Some(3_000), None));
        let off = case(
            "DID_CHANGE_RENEWAL_STATUS",
            Some("AUTO_RENEW_DISABLED"),
            &renewal(0, None),
        );
        assert_eq!(off.status, "active");
        assert_eq!((off.renewal_date, off.end_date), (None, Some(3_000)));
        let grace = case(
            "DID_FAIL_TO_RENEW",
            Some("GRACE_PERIOD"),
            &renewal(1, Some(4_000)),
        );
        assert_eq!((grace.status, grace.entitled()), ("grace_period", true));
        assert_eq!(grace.end_date, Some(4_000));
        let retry = case("DID_FAIL_TO_RENEW", None, &on);
        assert_eq!((retry.status, retry.entitled()), ("past_due", false));
        let lapsed = case("GRACE_PERIOD_EXPIRED", None, &on);
        assert_eq!(lapsed.status, "past_due");
        let expired = case("EXPIRED", Some("VOLUNTARY"), &on);
        assert_eq!((expired.status, expired.plan()), ("expired", "free"));
        assert_eq!(expired.validation_status(), "valid");
        let refunded = TransactionPayload {
            revocation_date: Some(2_600),
            ..tx.clone()
        };
        let refund = from_notification("REFUND", None, None, None, &refunded, Some(&on)).unwrap();
        assert_eq!((refund.status, refund.end_date), ("refunded", Some(2_600)));
        assert_eq!(refund.validation_status(), "invalid");
        assert_eq!(case("REVOKE", None, &on).status, "revoked");
        assert!(from_notification("TEST", None, None, None, &tx, None).is_none());
        assert!(from_notification("REFUND_DECLINED", None, None, None, &tx, None).is_none());
    }

    #[test]
    fn a_renewal_signed_after_the_period_ended_reads_expired_without_a_status() {
        let tx = transaction();
        let late = from_notification("DID_RENEW", None, None, Some(3_500), &tx, None).unwrap();
        assert_eq!(late.status, "expired");
        let told = from_notification("DID_RENEW", None, Some(1), Some(3_500), &tx, None).unwrap();
        assert_eq!(told.status, "active");
        assert_eq!(from_status(9, &tx, None), None);
    }
}
