//! The Stripe objects the sandbox answers and sends, shaped as API
//! version `2025-03-31.basil` shows them (the version our client pins):
//! the subscription's period on its items, the invoice's subscription
//! under `parent.subscription_details`. Fields the sandbox has no use
//! for are still there with Stripe's empty values, so code reading the
//! objects meets what it would meet in test mode.

use serde_json::{json, Map, Value};

use super::settings::PLAN_CENTS;
use heyway::integrations::stripe::client::API_VERSION;

/// The one product the account sells.
pub(super) const PRODUCT_ID: &str = "prod_SandboxPlan01";
const PLAN_NAME: &str = "HeyWay sandbox plan";

/// `prefix` and `len` random letters and digits, as Stripe's ids look
/// (`cus_…`, `sub_…`): uniform over the 62 characters, from the thread's
/// CSPRNG (session ids are the hosted pages' only credential).
pub(super) fn new_id(prefix: &str, len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    id.extend((0..len).map(|_| char::from(rng.sample(rand::distr::Alphanumeric))));
    id
}

/// `price_…`: the plan, monthly, licensed (one seat).
pub(super) fn price(id: &str) -> Value {
    json!({
        "id": id, "object": "price", "active": true, "billing_scheme": "per_unit",
        "created": 1_735_689_600, "currency": "usd", "custom_unit_amount": null,
        "livemode": false, "lookup_key": null, "metadata": {}, "nickname": PLAN_NAME,
        "product": PRODUCT_ID,
        "recurring": { "interval": "month", "interval_count": 1, "meter": null, "usage_type": "licensed" },
        "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": null,
        "type": "recurring", "unit_amount": PLAN_CENTS, "unit_amount_decimal": PLAN_CENTS.to_string(),
    })
}

/// A customer as created.
pub(super) struct NewCustomer<'a> {
    pub id: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub metadata: Map<String, Value>,
    pub created: i64,
}

pub(super) fn customer(new: NewCustomer<'_>) -> Value {
    json!({
        "id": new.id, "object": "customer", "address": null, "balance": 0,
        "created": new.created, "currency": null, "default_source": null, "delinquent": false,
        "description": null, "discount": null, "email": new.email,
        "invoice_prefix": new.id.trim_start_matches("cus_").chars().take(8).collect::<String>().to_uppercase(),
        "invoice_settings": { "custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null },
        "livemode": false, "metadata": new.metadata, "name": new.name, "next_invoice_sequence": 1,
        "phone": null, "preferred_locales": [], "shipping": null, "tax_exempt": "none", "test_clock": null,
    })
}

/// An open Checkout Session in subscription mode.
pub(super) struct NewSession<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub customer: Option<&'a str>,
    pub customer_email: Option<&'a str>,
    pub client_reference_id: Option<&'a str>,
    pub metadata: Map<String, Value>,
    pub success_url: &'a str,
    pub cancel_url: Option<&'a str>,
    pub created: i64,
}

pub(super) fn checkout_session(new: NewSession<'_>) -> Value {
    let mut session = json!({
        "id": new.id, "object": "checkout.session", "adaptive_pricing": null,
        "after_expiration": null, "allow_promotion_codes": null,
        "amount_subtotal": PLAN_CENTS, "amount_total": PLAN_CENTS,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null, "cancel_url": new.cancel_url,
        "client_reference_id": new.client_reference_id, "client_secret": null,
        "collected_information": null, "consent": null, "consent_collection": null,
        "created": new.created, "currency": "usd", "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": new.customer, "customer_creation": null, "customer_details": null,
        "customer_email": new.customer_email, "discounts": [],
    });
    // Two halves: one `json!` this size overflows the macro recursion limit.
    let rest = json!({
        "expires_at": new.created + 24 * 3600, "invoice": null, "invoice_creation": null,
        "livemode": false, "locale": null, "metadata": new.metadata, "mode": "subscription",
        "payment_intent": null, "payment_link": null, "payment_method_collection": "always",
        "payment_method_types": ["card"], "payment_status": "unpaid",
        "recovered_from": null, "setup_intent": null, "shipping_address_collection": null,
        "shipping_cost": null, "shipping_options": [], "status": "open", "submit_type": null,
        "subscription": null, "success_url": new.success_url,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted", "url": new.url,
    });
    if let (Some(session), Value::Object(rest)) = (session.as_object_mut(), rest) {
        session.extend(rest);
    }
    session
}

/// The session once paid: complete, tied to its subscription and first
/// invoice; Stripe drops the URL of a session that can no longer be paid.
pub(super) fn complete_session(
    session: &mut Value,
    subscription: &str,
    invoice: &str,
    customer: &Value,
) {
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["subscription"] = json!(subscription);
    session["invoice"] = json!(invoice);
    session["url"] = Value::Null;
    session["customer_details"] = json!({
        "address": null, "email": customer["email"], "name": customer["name"],
        "phone": null, "tax_exempt": "none", "tax_ids": [],
    });
}

/// A subscription just paid for, with its one item.
pub(super) struct NewSubscription<'a> {
    pub id: &'a str,
    pub item_id: &'a str,
    pub customer: &'a str,
    pub price: Value,
    pub metadata: Map<String, Value>,
    pub latest_invoice: &'a str,
    pub start: i64,
    pub period_end: i64,
}

pub(super) fn subscription(new: NewSubscription<'_>) -> Value {
    let item = json!({
        "id": new.item_id, "object": "subscription_item", "created": new.start,
        "current_period_start": new.start, "current_period_end": new.period_end,
        "discounts": [], "metadata": {}, "price": new.price, "quantity": 1,
        "subscription": new.id, "tax_rates": [],
    });
    json!({
        "id": new.id, "object": "subscription", "application": null,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
        "billing_cycle_anchor": new.start, "billing_thresholds": null,
        "cancel_at": null, "cancel_at_period_end": false, "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically", "created": new.start, "currency": "usd",
        "customer": new.customer, "days_until_due": null, "default_payment_method": null,
        "description": null, "discounts": [], "ended_at": null,
        "items": {
            "object": "list", "data": [item], "has_more": false, "total_count": 1,
            "url": format!("/v1/subscription_items?subscription={}", new.id),
        },
        "latest_invoice": new.latest_invoice, "livemode": false, "metadata": new.metadata,
        "pending_setup_intent": null, "pending_update": null, "schedule": null,
        "start_date": new.start, "status": "active", "test_clock": null,
        "trial_end": null, "trial_start": null,
    })
}

/// The subscription's first invoice, paid. Its own period is the
/// creation instant (Stripe's for a `subscription_create` invoice); the
/// line covers the first month.
pub(super) struct NewInvoice<'a> {
    pub id: &'a str,
    pub customer: &'a Value,
    pub subscription: &'a Value,
    pub paid_at: i64,
}

pub(super) fn paid_invoice(new: NewInvoice<'_>) -> Value {
    let sub = new.subscription;
    let item = &sub["items"]["data"][0];
    let line = json!({
        "id": new_id("il_", 24), "object": "line_item", "amount": PLAN_CENTS, "currency": "usd",
        "description": format!("1 × {PLAN_NAME} (at ${}.{:02} / month)", PLAN_CENTS / 100, PLAN_CENTS % 100),
        "discount_amounts": [], "discountable": true, "discounts": [], "invoice": new.id,
        "livemode": false, "metadata": {},
        "parent": {
            "type": "subscription_item_details", "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": null, "proration": false, "proration_details": { "credited_items": null },
                "subscription": sub["id"], "subscription_item": item["id"],
            },
        },
        "period": { "start": item["current_period_start"], "end": item["current_period_end"] },
        "pricing": {
            "type": "price_details",
            "price_details": { "price": item["price"]["id"], "product": PRODUCT_ID },
            "unit_amount_decimal": PLAN_CENTS.to_string(),
        },
        "quantity": 1, "taxes": [],
    });
    json!({
        "id": new.id, "object": "invoice", "account_country": "US",
        "account_name": "HeyWay (sandbox)", "amount_due": PLAN_CENTS, "amount_overpaid": 0,
        "amount_paid": PLAN_CENTS, "amount_remaining": 0, "attempt_count": 1, "attempted": true,
        "auto_advance": false, "billing_reason": "subscription_create",
        "collection_method": "charge_automatically", "created": new.paid_at, "currency": "usd",
        "customer": sub["customer"], "customer_email": new.customer["email"],
        "customer_name": new.customer["name"], "description": null, "discounts": [],
        "hosted_invoice_url": null, "invoice_pdf": null,
        "lines": {
            "object": "list", "data": [line], "has_more": false, "total_count": 1,
            "url": format!("/v1/invoices/{}/lines", new.id),
        },
        "livemode": false, "metadata": {}, "number": null,
        "parent": {
            "type": "subscription_details", "quote_details": null,
            "subscription_details": { "metadata": sub["metadata"], "subscription": sub["id"] },
        },
        "period_end": new.paid_at, "period_start": new.paid_at, "status": "paid",
        "status_transitions": {
            "finalized_at": new.paid_at, "marked_uncollectible_at": null,
            "paid_at": new.paid_at, "voided_at": null,
        },
        "subtotal": PLAN_CENTS, "total": PLAN_CENTS, "total_discount_amounts": [], "total_taxes": [],
    })
}

pub(super) fn portal_session(
    id: &str,
    customer: &str,
    return_url: &str,
    url: &str,
    created: i64,
) -> Value {
    json!({
        "id": id, "object": "billing_portal.session", "configuration": "bpc_SandboxPortal01",
        "created": created, "customer": customer, "flow": null, "livemode": false,
        "locale": null, "on_behalf_of": null, "return_url": return_url, "url": url,
    })
}

/// A Billing Meter event as accepted.
pub(super) fn meter_event(
    event_name: &str,
    identifier: &str,
    customer: &str,
    value: &str,
    timestamp: i64,
    created: i64,
) -> Value {
    json!({
        "object": "billing.meter_event", "created": created, "event_name": event_name,
        "identifier": identifier, "livemode": false,
        "payload": { "stripe_customer_id": customer, "value": value },
        "timestamp": timestamp,
    })
}

/// A webhook event carrying `object` (a snapshot), and for `*.updated`
/// the fields' values before the change.
pub(super) fn event(
    kind: &str,
    object: &Value,
    previous_attributes: Option<Value>,
    created: i64,
) -> Value {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous_attributes {
        data["previous_attributes"] = previous;
    }
    json!({
        "id": new_id("evt_", 24), "object": "event", "api_version": API_VERSION,
        "created": created, "data": data, "livemode": false, "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null }, "type": kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_stripes() {
        let id = new_id("cus_", 14);
        assert_eq!(id.len(), 18);
        assert!(id[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, new_id("cus_", 14));
    }

    #[test]
    fn the_invoice_points_at_its_subscription_the_basil_way() {
        let sub = subscription(NewSubscription {
            id: "sub_1",
            item_id: "si_1",
            customer: "cus_1",
            price: price("price_1"),
            metadata: Map::new(),
            latest_invoice: "in_1",
            start: 100,
            period_end: 200,
        });
        assert_eq!(sub["items"]["data"][0]["current_period_end"], 200);
        assert_eq!(sub["items"]["data"][0]["price"]["id"], "price_1");
        let customer = json!({ "email": "a@example.test", "name": "Ada" });
        let invoice = paid_invoice(NewInvoice {
            id: "in_1",
            customer: &customer,
            subscription: &sub,
            paid_at: 100,
        });
        assert_eq!(
            invoice["parent"]["subscription_details"]["subscription"],
            "sub_1"
        );
        assert!(invoice.get("subscription").is_none());
        assert_eq!(invoice["lines"]["data"][0]["period"]["end"], 200);
        assert_eq!(invoice["customer"], "cus_1");
    }
}
