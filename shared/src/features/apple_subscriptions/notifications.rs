//! App Store Server Notifications V2 (`POST /webhooks/apple`, whose route
//! is in [`crate::features::webhooks`]): `{"signedPayload": "<JWS>"}`.
//!
//! 1. The payload, and the transaction and renewal info inside it, are
//!    verified like a purchase ([`SignedDataVerifier`]); any failure is a
//!    [`Error::BadSignature`] (403) before anything is read or written.
//! 2. Its `notificationUUID` is claimed in `applenotifications` (unique
//!    index): a redelivery, or a delivery racing this one, is a
//!    duplicate and changes nothing. A claim whose application fails is
//!    released, so Apple's retry applies it.
//! 3. The type and subtype move the subscription ([`super::state`]) unless
//!    a state Apple signed later was already applied (`signedDate`).
//! 4. A transaction of no user of ours (not linked, no `appAccountToken`
//!    of ours) is recorded as `unmatched` and answered 200, so Apple stops
//!    retrying; the purchase's own `POST /api/subscriptions/apple` links
//!    it later.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;

use super::repo::{self, NotificationClaim, Written};
use super::service;
use super::state;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::integrations::app_store::{
    NotificationPayload, RenewalInfoPayload, SignedDataVerifier, TransactionPayload,
};

/// What became of a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    Applied {
        user_id: ObjectId,
        original_transaction_id: String,
        status: String,
    },
    /// Already applied, or being applied by another delivery.
    Duplicate,
    /// Older than the state already recorded.
    Stale { original_transaction_id: String },
    /// No user of ours holds the transaction: recorded.
    Unmatched {
        original_transaction_id: Option<String>,
    },
    /// A type that does not move a subscription (`TEST`, …): recorded.
    Ignored { kind: String },
}

impl Handled {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Applied { .. } => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale { .. } => "stale",
            Self::Unmatched { .. } => "unmatched",
            Self::Ignored { .. } => "ignored",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    signed_payload: String,
}

/// A notification whose every signature holds.
struct Verified {
    payload: NotificationPayload,
    transaction: Option<TransactionPayload>,
    renewal: Option<RenewalInfoPayload>,
}

fn verify(verifier: &SignedDataVerifier, signed: &str, now: DateTime<Utc>) -> Result<Verified> {
    let refused = |error: crate::integrations::app_store::VerifyError| {
        tracing::warn!(%error, "App Store notification refused");
        Error::BadSignature("the signedPayload is not signed by the App Store for this app")
    };
    let payload = verifier.verify_notification(signed, now).map_err(refused)?;
    let data = payload.data.as_ref();
    let transaction = data
        .and_then(|d| d.signed_transaction_info.as_deref())
        .map(|jws| verifier.verify_transaction(jws, now))
        .transpose()
        .map_err(refused)?;
    let renewal = data
        .and_then(|d| d.signed_renewal_info.as_deref())
        .map(|jws| verifier.verify_renewal_info(jws, now))
        .transpose()
        .map_err(refused)?;
    Ok(Verified {
        payload,
        transaction,
        renewal,
    })
}

/// Verifies and applies a notification body; `verifier` is `None` when
/// the App Store is not configured (every notification is refused).
pub async fn handle(
    db: &Db,
    verifier: Option<&SignedDataVerifier>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Handled> {
    let Some(verifier) = verifier else {
        tracing::error!("APPLE_BUNDLE_ID is not set: App Store notifications are refused");
        return Err(Error::BadSignature(
            "App Store notifications are not configured",
        ));
    };
    let body: Body = serde_json::from_slice(body).map_err(|e| {
        Error::bad_request(
            Some("signedPayload"),
            format!("not an App Store notification: {e}"),
        )
    })?;
    let verified = verify(verifier, &body.signed_payload, now)?;
    let payload = &verified.payload;
    let transaction = verified.transaction.as_ref();
    let claim = NotificationClaim {
        uuid: &payload.notification_uuid,
        kind: &payload.notification_type,
        subtype: payload.subtype.as_deref(),
        signed_ms: payload.signed_date,
        original_transaction_id: transaction.and_then(|t| t.original_transaction_id.as_deref()),
        transaction_id: transaction.and_then(|t| t.transaction_id.as_deref()),
    };
    if !repo::claim_notification(db, &claim, now).await? {
        return Ok(Handled::Duplicate);
    }
    let outcome = apply(db, &verified, now).await;
    match &outcome {
        Ok(handled) => {
            let user = match handled {
                Handled::Applied { user_id, .. } => Some(*user_id),
                _ => None,
            };
            repo::notification_outcome(db, &payload.notification_uuid, handled.label(), user)
                .await?;
        }
        Err(_) => repo::release_notification(db, &payload.notification_uuid).await?,
    }
    outcome
}

async fn apply(db: &Db, verified: &Verified, now: DateTime<Utc>) -> Result<Handled> {
    let payload = &verified.payload;
    let ignored = || Handled::Ignored {
        kind: payload.notification_type.clone(),
    };
    let Some(transaction) = &verified.transaction else {
        return Ok(ignored());
    };
    let Some(next) = state::from_notification(
        &payload.notification_type,
        payload.subtype.as_deref(),
        payload.data.as_ref().and_then(|d| d.status),
        payload.signed_date,
        transaction,
        verified.renewal.as_ref(),
    ) else {
        return Ok(ignored());
    };
    let original = next.original_transaction_id.clone();
    let linked = repo::owner_of(db, &original).await?;
    let Some(user_id) = service::owner_by_token(db, transaction, None)
        .await?
        .filter(|_| linked.is_none())
        .or(linked)
    else {
        tracing::info!(
            original,
            "App Store notification for a transaction of no user"
        );
        return Ok(Handled::Unmatched {
            original_transaction_id: Some(original),
        });
    };
    let signed_ms = payload
        .signed_date
        .or(transaction.signed_date)
        .unwrap_or_else(|| now.timestamp_millis());
    if repo::write_if_newer(db, user_id, &next, signed_ms, now).await? == Written::Stale {
        return Ok(Handled::Stale {
            original_transaction_id: original,
        });
    }
    // What is stored now: another notification may have landed since.
    let status = repo::subscription(db, &original)
        .await?
        .map_or_else(|| next.status.to_string(), |s| s.status);
    service::apply_to_user(db, user_id, &original, &status, now).await?;
    Ok(Handled::Applied {
        user_id,
        original_transaction_id: original,
        status,
    })
}
