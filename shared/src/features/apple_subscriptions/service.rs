//! `POST /api/subscriptions/apple`: a StoreKit 2 purchase, verified, then
//! its subscription's current state asked of the App Store Server API and
//! recorded on the user's `subscriptions` document; and what both this
//! and the notifications do after a write: the user's plan flags.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use utoipa::ToSchema;

use super::account_token;
use super::repo;
use super::state::{self, AppleState, AUTO_RENEWABLE};
use super::view::AppleSubscriptionView;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::integrations::app_store::{
    AppStoreClient, AppStoreError, SignedDataVerifier, TransactionPayload,
};

/// `POST /api/subscriptions/apple`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurchaseInput {
    /// The purchase's `Transaction.jwsRepresentation` from StoreKit 2:
    /// the transaction as the App Store signed it.
    pub jws_representation: String,
}

const FIELD: &str = "jwsRepresentation";

fn not_configured(what: &str) -> Error {
    tracing::error!("{what} is not set: App Store purchases are unavailable");
    Error::Unavailable("App Store purchases are not configured".to_string())
}

fn conflict() -> Error {
    Error::Conflict {
        field: Some(FIELD.to_string()),
        message: "this App Store purchase belongs to another account".to_string(),
    }
}

/// The user a purchase belongs to: the one its `appAccountToken` names
/// when that user exists, else `fallback`.
pub async fn owner_by_token(
    db: &Db,
    transaction: &TransactionPayload,
    fallback: Option<ObjectId>,
) -> Result<Option<ObjectId>> {
    let named = transaction
        .app_account_token
        .as_deref()
        .and_then(account_token::user_of);
    if let Some(id) = named {
        if repo::user_exists(db, id).await? {
            return Ok(Some(id));
        }
    }
    Ok(fallback)
}

/// Verifies the purchase, asks the App Store for its subscription's
/// state and records it for `user_id`.
///
/// Long: one straight line of checks (signature, kind, owner, the App
/// Store's answer and its signatures), each refusing with its own reason.
pub async fn link_purchase(
    db: &Db,
    verifier: Option<&SignedDataVerifier>,
    client: Option<&AppStoreClient>,
    user_id: ObjectId,
    input: PurchaseInput,
    now: DateTime<Utc>,
) -> Result<AppleSubscriptionView> {
    let verifier = verifier.ok_or_else(|| not_configured("APPLE_BUNDLE_ID"))?;
    let transaction = verifier
        .verify_transaction(&input.jws_representation, now)
        .map_err(|e| {
            tracing::warn!(error = %e, user = %user_id, "App Store purchase refused");
            Error::validation(
                FIELD,
                format!("is not a transaction the App Store signed for this app: {e}"),
            )
        })?;
    if transaction.kind.as_deref() != Some(AUTO_RENEWABLE) {
        return Err(Error::validation(
            FIELD,
            "is not an auto-renewable subscription",
        ));
    }
    let (Some(original), Some(transaction_id)) = (
        transaction.original_transaction_id.clone(),
        transaction.transaction_id.clone(),
    ) else {
        return Err(Error::validation(FIELD, "has no transaction ids"));
    };
    if owner_by_token(db, &transaction, Some(user_id)).await? != Some(user_id) {
        return Err(conflict());
    }
    if repo::owner_of(db, &original)
        .await?
        .is_some_and(|owner| owner != user_id)
    {
        return Err(conflict());
    }
    let client = client.ok_or_else(|| not_configured("APPLE_PRIVATE_KEY"))?;
    let (current, signed_ms) =
        current_state(verifier, client, &transaction_id, &original, now).await?;
    repo::write_if_newer(db, user_id, &current, signed_ms, now).await?;
    let stored = repo::subscription(db, &original)
        .await?
        .ok_or_else(|| Error::Internal(format!("App Store subscription {original} vanished")))?;
    let has_active = apply_to_user(db, user_id, &original, stored.status.as_str(), now).await?;
    Ok(AppleSubscriptionView::of(&stored, has_active))
}

/// The subscription's state now, as the App Store Server API signs it,
/// and when it signed it.
async fn current_state(
    verifier: &SignedDataVerifier,
    client: &AppStoreClient,
    transaction_id: &str,
    original: &str,
    now: DateTime<Utc>,
) -> Result<(AppleState, i64)> {
    let statuses = client
        .subscription_statuses(transaction_id, now)
        .await
        .map_err(|error| {
            tracing::warn!(%error, transaction_id, "App Store Server API call failed");
            match error {
                AppStoreError::Refused { status: 404, .. } => {
                    Error::validation(FIELD, "the App Store does not know this transaction")
                }
                AppStoreError::Refused { message, .. } => {
                    Error::validation(FIELD, format!("the App Store refused it: {message}"))
                }
                AppStoreError::Unavailable(_) | AppStoreError::Key(_) => Error::Unavailable(
                    "the App Store is not answering; try again shortly".to_string(),
                ),
            }
        })?;
    let item = statuses
        .data
        .iter()
        .flat_map(|group| &group.last_transactions)
        .find(|item| item.original_transaction_id.as_deref() == Some(original))
        .ok_or_else(|| Error::validation(FIELD, "the App Store lists no subscription for it"))?;
    let untrusted = |e: crate::integrations::app_store::VerifyError| {
        tracing::error!(error = %e, "the App Store Server API's signed data did not verify");
        Error::Unavailable("the App Store's answer could not be verified".to_string())
    };
    let latest = verifier
        .verify_transaction(
            item.signed_transaction_info.as_deref().unwrap_or_default(),
            now,
        )
        .map_err(untrusted)?;
    let renewal = match item.signed_renewal_info.as_deref() {
        Some(jws) => Some(verifier.verify_renewal_info(jws, now).map_err(untrusted)?),
        None => None,
    };
    let current = state::from_status(item.status.unwrap_or_default(), &latest, renewal.as_ref())
        .ok_or_else(|| Error::Unavailable("the App Store answered an unknown status".into()))?;
    let signed_ms = latest.signed_date.unwrap_or_else(|| now.timestamp_millis());
    Ok((current, signed_ms))
}

/// The user's plan flags once App Store subscription `original` is in
/// `status`: `hasActiveSubscription` while it, or another paid
/// subscription of the user, lets them call; `subscriptionStatus` is its
/// status unless another subscription is the one giving the plan.
/// Answers the flag.
pub async fn apply_to_user(
    db: &Db,
    user_id: ObjectId,
    original: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let entitled = crate::model::Subscription::ACTIVE_STATUSES.contains(&status);
    let other = repo::other_entitled(db, user_id, original).await?;
    let shown = (entitled || !other).then_some(status);
    repo::sync_user(db, user_id, entitled || other, shown, now).await?;
    Ok(entitled || other)
}
