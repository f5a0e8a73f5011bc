//! The pages Stripe hosts, played by the sandbox: visiting a Checkout
//! Session's URL pays it, and the Billing Portal's URL can cancel the
//! customer's subscription. Each change is sent as Stripe's signed
//! webhooks before the browser is sent on (303), so the application
//! has the new state when the user lands on its page.
//!
//! - `GET /checkout/{id}`: pays. Creates the subscription (one item, the
//!   plan's price, a month's period) and its paid first invoice, completes
//!   the session, sends `checkout.session.completed`,
//!   `customer.subscription.created` and `invoice.paid`, then redirects to
//!   `success_url` (`{CHECKOUT_SESSION_ID}` replaced, as Stripe does). A
//!   session already paid just redirects. `?action=cancel` leaves checkout
//!   for `cancel_url`, sending nothing.
//! - `GET /portal/{id}`: the customer's subscription and two links;
//!   `?action=cancel` cancels it now (`customer.subscription.deleted`),
//!   `?action=cancel_at_period_end` at the period's end
//!   (`customer.subscription.updated`); both then redirect to `return_url`.
//!
//! The pages redirect only to a session's `success_url`, `cancel_url` or
//! `return_url`, which the API accepted only when they were the configured
//! ones or the sandbox's own pages ([`super::api`]): never an open
//! redirect. A session's id, random and unguessable, is all that drives
//! its page, and only our server (the holder of the run's secret key)
//! creates sessions, with the signed-in user's id.
//!
//! The landing pages and the HTML frame are in [`super::pages`].

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Months, TimeZone, Utc};
use serde_json::{json, Value};

use super::account::Account;
use super::delivery::{self, Delivery};
use super::objects::{self, new_id, NewCustomer, NewInvoice, NewSubscription};
use super::pages::{render, see_other, PageQuery};
use super::settings::{StripeSandboxSettings, PLAN_CENTS};
use super::StripeSandbox;
use heyway::integrations::twilio::twiml::escape;

/// What a page does once the account is changed (and unlocked).
#[derive(Debug, PartialEq)]
pub(super) enum Next {
    /// 303 to the URL.
    Redirect(String),
    /// Send the events in order, then 303 to the URL.
    Send { events: Vec<Value>, then: String },
    /// Show a page.
    Page {
        status: StatusCode,
        title: &'static str,
        body: String,
    },
}

fn page(status: StatusCode, title: &'static str, body: String) -> Next {
    Next::Page {
        status,
        title,
        body,
    }
}

async fn carry_out(sandbox: &StripeSandbox, next: Next) -> Response {
    match next {
        Next::Redirect(url) => see_other(&url),
        Next::Page {
            status,
            title,
            body,
        } => render(status, title, &body),
        Next::Send { events, then } => {
            let sent =
                delivery::send_all(sandbox.settings(), &sandbox.inner.deliveries, &events).await;
            if sent.len() == events.len() && sent.iter().all(Delivery::delivered) {
                return see_other(&then);
            }
            render(
                StatusCode::BAD_GATEWAY,
                "A webhook was refused",
                &refused(&sent, &then),
            )
        }
    }
}

fn refused(sent: &[Delivery], then: &str) -> String {
    let rows: String = sent
        .iter()
        .map(|d| {
            let status = d
                .status
                .map_or_else(|| "not reached".to_string(), |s| s.to_string());
            format!(
                "<li><code>{}</code> <code>{}</code> to <code>{}</code>: {} <pre>{}</pre></li>\n",
                escape(&d.kind),
                escape(&d.event_id),
                escape(&d.url),
                escape(&status),
                escape(&d.answer)
            )
        })
        .collect();
    format!(
        "<p>The change is made in the sandbox's account, but the application did not take every \
         event (Stripe would retry; the sandbox does not). Check <code>STRIPE_WEBHOOK_SECRET</code> \
         and <code>WEBHOOK_BASE_URL</code>.</p>\n<ul>\n{rows}</ul>\n<p><a href=\"{0}\">Continue to {0}</a></p>",
        escape(then)
    )
}

pub(super) async fn checkout(
    State(sandbox): State<StripeSandbox>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let now = Utc::now().timestamp();
    let next = {
        let mut account = sandbox.account();
        match query.action.as_deref() {
            None | Some("pay") => pay(&mut account, sandbox.settings(), &id, now),
            Some("cancel") => leave(&account, &id),
            Some(other) => unknown_action(other, "pay, cancel"),
        }
    };
    carry_out(&sandbox, next).await
}

pub(super) async fn portal(
    State(sandbox): State<StripeSandbox>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let now = Utc::now().timestamp();
    let next = {
        let mut account = sandbox.account();
        portal_action(&mut account, &id, query.action.as_deref(), now)
    };
    carry_out(&sandbox, next).await
}

fn unknown_action(action: &str, known: &str) -> Next {
    page(
        StatusCode::BAD_REQUEST,
        "Unknown action",
        format!(
            "<p><code>{}</code> is not an action here; use one of: {known}.</p>",
            escape(action)
        ),
    )
}

fn no_such(what: &str, id: &str) -> Next {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        format!(
            "<p>No such {what}: <code>{}</code>. The sandbox keeps sessions in memory: one made \
             before <code>heyway serve</code> restarted is gone; start again from the app.</p>",
            escape(id)
        ),
    )
}

/// Pays the open session `id` (see the module's documentation).
pub(super) fn pay(
    account: &mut Account,
    settings: &StripeSandboxSettings,
    id: &str,
    now: i64,
) -> Next {
    let Some(session) = account.sessions.get(id) else {
        return no_such("Checkout Session", id);
    };
    let object = &session.object;
    let success = object["success_url"]
        .as_str()
        .unwrap_or_default()
        .replace("{CHECKOUT_SESSION_ID}", id);
    if object["status"] != json!("open") {
        return Next::Redirect(success);
    }
    let sub_metadata = session.subscription_metadata.clone();
    let customer_id = match object["customer"].as_str() {
        Some(customer) => customer.to_string(),
        // Subscription mode makes a customer when the session had none.
        None => {
            let id = new_id(super::account::CUSTOMER_PREFIX, 11);
            let customer = objects::customer(NewCustomer {
                id: &id,
                email: object["customer_email"].as_str(),
                name: None,
                metadata: Default::default(),
                created: now,
            });
            account.customers.insert(id.clone(), customer);
            id
        }
    };
    let customer = account
        .customer(&customer_id, now)
        .cloned()
        .unwrap_or(Value::Null);
    let period_end = Utc
        .timestamp_opt(now, 0)
        .single()
        .and_then(|start| start.checked_add_months(Months::new(1)))
        .map_or(now + 30 * 24 * 3600, |end| end.timestamp());
    let sub_id = new_id("sub_", 24);
    let invoice_id = new_id("in_", 24);
    let subscription = objects::subscription(NewSubscription {
        id: &sub_id,
        item_id: &new_id("si_", 14),
        customer: &customer_id,
        price: objects::price(&settings.price_id),
        metadata: sub_metadata,
        latest_invoice: &invoice_id,
        start: now,
        period_end,
    });
    let invoice = objects::paid_invoice(NewInvoice {
        id: &invoice_id,
        customer: &customer,
        subscription: &subscription,
        paid_at: now,
    });
    let Some(session) = account.sessions.get_mut(id) else {
        return no_such("Checkout Session", id);
    };
    session.object["customer"] = json!(customer_id);
    objects::complete_session(&mut session.object, &sub_id, &invoice_id, &customer);
    let events = vec![
        objects::event("checkout.session.completed", &session.object, None, now),
        objects::event("customer.subscription.created", &subscription, None, now),
        objects::event("invoice.paid", &invoice, None, now),
    ];
    account.subscriptions.push(subscription);
    Next::Send {
        events,
        then: success,
    }
}

fn leave(account: &Account, id: &str) -> Next {
    let Some(session) = account.sessions.get(id) else {
        return no_such("Checkout Session", id);
    };
    match session.object["cancel_url"].as_str() {
        Some(url) => Next::Redirect(url.to_string()),
        None => page(
            StatusCode::OK,
            "Checkout canceled",
            "<p>You left checkout; the session has no <code>cancel_url</code> to return to.</p>"
                .to_string(),
        ),
    }
}

/// The portal page, or one of its actions (see the module's documentation).
pub(super) fn portal_action(
    account: &mut Account,
    id: &str,
    action: Option<&str>,
    now: i64,
) -> Next {
    let Some(session) = account.portal_sessions.get(id) else {
        return no_such("billing portal session", id);
    };
    let customer = session["customer"].as_str().unwrap_or_default().to_string();
    let return_url = session["return_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let subscription = account.live_subscription(&customer);
    let Some(action) = action else {
        return page(
            StatusCode::OK,
            "Billing portal",
            overview(&customer, subscription.as_deref(), &return_url),
        );
    };
    let Some(sub) = subscription else {
        return match action {
            "cancel" | "cancel_at_period_end" => page(
                StatusCode::CONFLICT,
                "Nothing to cancel",
                no_subscription(&customer, &return_url),
            ),
            other => unknown_action(other, "cancel, cancel_at_period_end"),
        };
    };
    let event = match action {
        "cancel" => {
            sub["status"] = json!("canceled");
            sub["canceled_at"] = json!(now);
            sub["ended_at"] = json!(now);
            sub["cancellation_details"]["reason"] = json!("cancellation_requested");
            objects::event("customer.subscription.deleted", sub, None, now)
        }
        "cancel_at_period_end" if sub["cancel_at_period_end"] == json!(true) => {
            return Next::Redirect(return_url);
        }
        "cancel_at_period_end" => {
            let previous = json!({
                "cancel_at": sub["cancel_at"], "cancel_at_period_end": false,
                "canceled_at": sub["canceled_at"], "cancellation_details": { "reason": null },
            });
            sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"].clone();
            sub["cancel_at_period_end"] = json!(true);
            sub["canceled_at"] = json!(now);
            sub["cancellation_details"]["reason"] = json!("cancellation_requested");
            objects::event("customer.subscription.updated", sub, Some(previous), now)
        }
        other => return unknown_action(other, "cancel, cancel_at_period_end"),
    };
    Next::Send {
        events: vec![event],
        then: return_url,
    }
}

fn no_subscription(customer: &str, return_url: &str) -> String {
    format!(
        "<p>Customer <code>{}</code> has no subscription the sandbox knows of. It keeps \
         subscriptions in memory: one paid before <code>heyway serve</code> restarted is gone \
         from here, though the application still has it.</p>\n<p><a href=\"{1}\">Return to {1}</a></p>",
        escape(customer),
        escape(return_url)
    )
}

fn overview(customer: &str, sub: Option<&Value>, return_url: &str) -> String {
    let Some(sub) = sub else {
        return no_subscription(customer, return_url);
    };
    let item = &sub["items"]["data"][0];
    let date = |field: &Value| {
        field
            .as_i64()
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .map_or_else(|| "?".to_string(), |d| d.format("%Y-%m-%d").to_string())
    };
    let ends = if sub["cancel_at_period_end"] == json!(true) {
        format!("ends on {}", date(&sub["cancel_at"]))
    } else {
        format!("renews on {}", date(&item["current_period_end"]))
    };
    format!(
        "<p>Customer <code>{customer}</code>, subscription <code>{id}</code>: <code>{price}</code>, \
         ${dollars}.{cents:02} a month, {status}, {ends}.</p>\n<ul>\n\
         <li><a href=\"?action=cancel\">Cancel now</a> (sends <code>customer.subscription.deleted</code>)</li>\n\
         <li><a href=\"?action=cancel_at_period_end\">Cancel at the end of the period</a> \
         (sends <code>customer.subscription.updated</code>)</li>\n\
         <li><a href=\"{back}\">Return to {back}</a></li>\n</ul>",
        customer = escape(customer),
        id = escape(sub["id"].as_str().unwrap_or_default()),
        price = escape(item["price"]["id"].as_str().unwrap_or_default()),
        dollars = PLAN_CENTS / 100,
        cents = PLAN_CENTS % 100,
        status = escape(sub["status"].as_str().unwrap_or_default()),
        back = escape(return_url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::stripe::api;
    use crate::sandbox::stripe::request::Params;

    const NOW: i64 = 1_780_000_000;

    fn settings() -> StripeSandboxSettings {
        StripeSandboxSettings::for_tests()
    }

    fn open_session(account: &mut Account) -> String {
        let body = serde_urlencoded::to_string([
            ("mode", "subscription"),
            ("customer_email", "nell@example.test"),
            ("line_items[0][price]", "price_plan"),
            ("line_items[0][quantity]", "1"),
            (
                "success_url",
                "https://app.heyway.test/ok/{CHECKOUT_SESSION_ID}",
            ),
            ("subscription_data[metadata][userId]", "u7"),
        ])
        .unwrap();
        let session = api::create_checkout_session(
            account,
            &settings(),
            &Params::parse(body.as_bytes()),
            NOW,
        )
        .unwrap();
        session["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn paying_sends_three_events_once_and_makes_a_customer_when_needed() {
        let mut account = Account::default();
        let id = open_session(&mut account);
        let Next::Send { events, then } = pay(&mut account, &settings(), &id, NOW) else {
            panic!("the first visit pays");
        };
        assert_eq!(then, format!("https://app.heyway.test/ok/{id}"));
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "checkout.session.completed",
                "customer.subscription.created",
                "invoice.paid"
            ]
        );
        let customer = events[0]["data"]["object"]["customer"].as_str().unwrap();
        assert!(customer.starts_with("cus_sbx"));
        assert_eq!(account.customers[customer]["email"], "nell@example.test");
        let sub = &events[1]["data"]["object"];
        assert_eq!(sub["customer"], customer);
        assert_eq!(sub["metadata"]["userId"], "u7");
        assert_eq!(events[0]["data"]["object"]["subscription"], sub["id"]);
        assert_eq!(
            events[2]["data"]["object"]["parent"]["subscription_details"]["subscription"],
            sub["id"]
        );
        assert_eq!(
            pay(&mut account, &settings(), &id, NOW + 5),
            Next::Redirect(then)
        );
        assert_eq!(account.subscriptions.len(), 1);
    }

    #[test]
    fn unknown_sessions_and_actions_are_pages_not_changes() {
        let mut account = Account::default();
        let status = |next: Next| match next {
            Next::Page { status, .. } => status,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            status(pay(&mut account, &settings(), "cs_test_gone", NOW)),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(portal_action(&mut account, "bps_gone", None, NOW)),
            StatusCode::NOT_FOUND
        );
        let customer = account.customer("cus_sbxAAAAAAAAAAA", NOW).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let session =
            objects::portal_session("bps_1", &customer, "https://app.heyway.test/back", "u", NOW);
        account.portal_sessions.insert("bps_1".into(), session);
        assert_eq!(
            status(portal_action(&mut account, "bps_1", None, NOW)),
            StatusCode::OK
        );
        assert_eq!(
            status(portal_action(&mut account, "bps_1", Some("cancel"), NOW)),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(portal_action(&mut account, "bps_1", Some("refund"), NOW)),
            StatusCode::BAD_REQUEST
        );
    }
}
