//! The Stripe API calls our client makes, answered against the sandbox's
//! [`Account`]: each checks its parameters as Stripe does (unknown ones
//! refused, required ones named when missing, ids that must exist looked
//! up) and answers the object created. Pure over the account, so they are
//! tested without HTTP; [`super::StripeSandbox`] adds the key, the form
//! and `Idempotency-Key`.

use serde_json::Value;

use super::account::{Account, Session, CUSTOMER_PREFIX};
use super::objects::{self, new_id, NewCustomer, NewSession};
use super::request::{ApiError, Params};
use super::settings::StripeSandboxSettings;

/// How far back and ahead a meter event's `timestamp` may be (Stripe's).
const METER_PAST_SECS: i64 = 35 * 24 * 3600;
const METER_FUTURE_SECS: i64 = 5 * 60;

/// Checkout Session ids: `cs_test_` and 58 random letters and digits
/// (about 345 bits), as long as Stripe's. The id is all it takes to pay
/// the session at `GET /checkout/{id}`, so it must be unguessable.
pub(super) const CHECKOUT_SESSION_PREFIX: &str = "cs_test_";
pub(super) const CHECKOUT_SESSION_ID_CHARS: usize = 58;
/// Portal session ids: `bps_` and 24 random letters and digits (about
/// 142 bits); the id is all it takes to cancel at `GET /portal/{id}`.
pub(super) const PORTAL_SESSION_PREFIX: &str = "bps_";
pub(super) const PORTAL_SESSION_ID_CHARS: usize = 24;

/// `Ok` when the hosted pages may send the browser to `url`
/// ([`StripeSandboxSettings::allows_return_url`]); else a 400 naming
/// `param`, so the pages never redirect where they were not configured to.
fn allowed_return(
    settings: &StripeSandboxSettings,
    param: &str,
    url: &str,
) -> Result<(), ApiError> {
    if settings.allows_return_url(url) {
        return Ok(());
    }
    Err(ApiError::invalid(
        param,
        format!(
            "Not an allowed URL: the sandbox sends the browser back only to the configured \
             STRIPE_SUCCESS_URL, STRIPE_CANCEL_URL or STRIPE_PORTAL_RETURN_URL, or to its own \
             pages under {}/pages/.",
            settings.public_url
        ),
    ))
}

/// One API operation: `(account, settings, params, now)` to the object.
pub(super) type Operation =
    fn(&mut Account, &StripeSandboxSettings, &Params, i64) -> Result<Value, ApiError>;

/// `POST /v1/customers`.
pub(super) fn create_customer(
    account: &mut Account,
    _settings: &StripeSandboxSettings,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    params.only(&["email", "name"], &["metadata"])?;
    let email = params.text("email", 512)?;
    let name = params.text("name", 256)?;
    let metadata = params.metadata("metadata")?;
    // `cus_` and 14 characters, like Stripe's, the first three the mark.
    let id = new_id(CUSTOMER_PREFIX, 11);
    let customer = objects::customer(NewCustomer {
        id: &id,
        email,
        name,
        metadata,
        created: now,
    });
    account.customers.insert(id, customer.clone());
    Ok(customer)
}

/// `POST /v1/checkout/sessions`, subscription mode with one line item:
/// what our checkout asks for.
pub(super) fn create_checkout_session(
    account: &mut Account,
    settings: &StripeSandboxSettings,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    params.only(
        &[
            "mode",
            "customer",
            "customer_email",
            "client_reference_id",
            "success_url",
            "cancel_url",
            "line_items[0][price]",
            "line_items[0][quantity]",
        ],
        &["metadata", "subscription_data[metadata]"],
    )?;
    let mode = params.required("mode")?;
    if mode != "subscription" {
        return Err(ApiError::invalid(
            "mode",
            format!(
                "The sandbox only sells subscriptions: mode must be `subscription`, not `{mode}`."
            ),
        ));
    }
    let success_url = params
        .url("success_url")?
        .ok_or_else(|| ApiError::missing("success_url"))?;
    allowed_return(settings, "success_url", success_url)?;
    let cancel_url = params.url("cancel_url")?;
    if let Some(cancel_url) = cancel_url {
        allowed_return(settings, "cancel_url", cancel_url)?;
    }
    if params.get("line_items[0][price]").is_none()
        && params.get("line_items[0][quantity]").is_none()
    {
        return Err(ApiError::missing("line_items"));
    }
    let price = params.required("line_items[0][price]")?;
    let quantity = params
        .integer("line_items[0][quantity]")?
        .ok_or_else(|| ApiError::missing("line_items[0][quantity]"))?;
    if quantity < 1 {
        return Err(ApiError::invalid(
            "line_items[0][quantity]",
            "This value must be greater than or equal to 1.",
        ));
    }
    if price != settings.price_id {
        return Err(ApiError::no_such("price", "line_items[0][price]", price));
    }
    let customer = params.get("customer");
    let customer_email = params.text("customer_email", 800)?;
    if customer.is_some() && customer_email.is_some() {
        return Err(ApiError::invalid(
            "customer_email",
            "You may only specify one of these parameters: customer, customer_email.",
        ));
    }
    if let Some(customer) = customer {
        if account.customer(customer, now).is_none() {
            return Err(ApiError::no_such("customer", "customer", customer));
        }
    }
    let client_reference_id = params.text("client_reference_id", 200)?;
    let metadata = params.metadata("metadata")?;
    let subscription_metadata = params.metadata("subscription_data[metadata]")?;
    let id = new_id(CHECKOUT_SESSION_PREFIX, CHECKOUT_SESSION_ID_CHARS);
    let url = format!("{}/checkout/{id}", settings.public_url);
    let object = objects::checkout_session(NewSession {
        id: &id,
        url: &url,
        customer,
        customer_email,
        client_reference_id,
        metadata,
        success_url,
        cancel_url,
        created: now,
    });
    account.sessions.insert(
        id,
        Session {
            object: object.clone(),
            subscription_metadata,
        },
    );
    Ok(object)
}

/// `POST /v1/billing_portal/sessions`. The sandbox has no portal
/// configuration with a default return URL, so `return_url` is required.
pub(super) fn create_portal_session(
    account: &mut Account,
    settings: &StripeSandboxSettings,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    params.only(&["customer", "return_url"], &[])?;
    let customer = params.required("customer")?;
    if account.customer(customer, now).is_none() {
        return Err(ApiError::no_such("customer", "customer", customer));
    }
    let return_url = params
        .url("return_url")?
        .ok_or_else(|| ApiError::missing("return_url"))?;
    allowed_return(settings, "return_url", return_url)?;
    let id = new_id(PORTAL_SESSION_PREFIX, PORTAL_SESSION_ID_CHARS);
    let url = format!("{}/portal/{id}", settings.public_url);
    let session = objects::portal_session(&id, customer, return_url, &url, now);
    account.portal_sessions.insert(id, session.clone());
    Ok(session)
}

/// `POST /v1/billing/meter_events`: accepted and remembered; a repeated
/// `identifier` answers the first event and counts nothing more (Stripe
/// enforces identifiers' uniqueness for at least 24 hours).
pub(super) fn create_meter_event(
    account: &mut Account,
    settings: &StripeSandboxSettings,
    params: &Params,
    now: i64,
) -> Result<Value, ApiError> {
    params.only(&["event_name", "identifier", "timestamp"], &["payload"])?;
    let event_name = params.required("event_name")?;
    let event_name = params.text("event_name", 100)?.unwrap_or(event_name);
    let customer = params.required("payload[stripe_customer_id]")?;
    let value = params.required("payload[value]")?;
    if value.trim().parse::<i64>().is_err() {
        return Err(ApiError::invalid(
            "payload[value]",
            format!("Invalid value {value}: the meter's value must be a whole number"),
        ));
    }
    if event_name != settings.meter_event_name {
        return Err(ApiError::invalid(
            "event_name",
            format!(
                "No active meter found for event_name '{event_name}' (the sandbox's meter is '{}').",
                settings.meter_event_name
            ),
        ));
    }
    let timestamp = params.integer("timestamp")?.unwrap_or(now);
    if timestamp < now - METER_PAST_SECS || timestamp > now + METER_FUTURE_SECS {
        return Err(ApiError::invalid(
            "timestamp",
            "Timestamp must be within the past 35 calendar days and not more than 5 minutes in the future.",
        ));
    }
    let identifier = match params.text("identifier", 100)? {
        Some(identifier) => identifier.to_string(),
        None => new_id("idmp_", 24),
    };
    let event = objects::meter_event(
        event_name,
        &identifier,
        customer,
        value.trim(),
        timestamp,
        now,
    );
    Ok(account.meter_event(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_780_000_000;

    fn settings() -> StripeSandboxSettings {
        StripeSandboxSettings::for_tests()
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        Params::parse(body.as_bytes())
    }

    fn refusal(
        op: Operation,
        account: &mut Account,
        pairs: &[(&str, &str)],
    ) -> (Option<String>, String) {
        let error = op(account, &settings(), &params(pairs), NOW).unwrap_err();
        assert_eq!(error.status, 400, "{error:?}");
        (error.param, error.message)
    }

    fn customer(account: &mut Account) -> String {
        let made = create_customer(
            account,
            &settings(),
            &params(&[("email", "dana@example.test"), ("metadata[userId]", "u1")]),
            NOW,
        )
        .unwrap();
        assert_eq!(made["metadata"]["userId"], "u1");
        made["id"].as_str().unwrap().to_string()
    }

    fn checkout(customer: &str) -> Vec<(&'static str, &str)> {
        vec![
            ("mode", "subscription"),
            ("customer", customer),
            ("client_reference_id", "u1"),
            ("line_items[0][price]", "price_plan"),
            ("line_items[0][quantity]", "1"),
            (
                "success_url",
                "https://app.heyway.test/ok?s={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://app.heyway.test/back"),
            ("metadata[userId]", "u1"),
            ("subscription_data[metadata][userId]", "u1"),
        ]
    }

    #[test]
    fn customers_take_email_name_and_metadata_only() {
        let mut account = Account::default();
        let id = customer(&mut account);
        assert!(id.starts_with("cus_sbx") && id.len() == 18, "{id}");
        let (param, _) = refusal(create_customer, &mut account, &[("coupon", "X")]);
        assert_eq!(param.as_deref(), Some("coupon"));
        let long = "n".repeat(257);
        let (param, _) = refusal(create_customer, &mut account, &[("name", &long)]);
        assert_eq!(param.as_deref(), Some("name"));
    }

    #[test]
    fn a_checkout_session_is_open_with_a_sandbox_url() {
        let mut account = Account::default();
        let customer = customer(&mut account);
        let session = create_checkout_session(
            &mut account,
            &settings(),
            &params(&checkout(&customer)),
            NOW,
        )
        .unwrap();
        let id = session["id"].as_str().unwrap();
        assert!(id.starts_with("cs_test_"));
        assert_eq!(
            session["url"],
            json!(format!("http://127.0.0.1:9/sandbox/stripe/checkout/{id}"))
        );
        assert_eq!(session["status"], "open");
        assert_eq!(session["payment_status"], "unpaid");
        assert_eq!(session["customer"], json!(customer));
        assert_eq!(session["client_reference_id"], "u1");
        assert_eq!(session["metadata"]["userId"], "u1");
        assert_eq!(account.sessions[id].subscription_metadata["userId"], "u1");
    }

    #[test]
    fn checkout_names_each_missing_or_wrong_parameter() {
        let mut account = Account::default();
        let customer = customer(&mut account);
        let full = checkout(&customer);
        let without = |name: &str| {
            full.iter()
                .copied()
                .filter(|(k, _)| *k != name)
                .collect::<Vec<_>>()
        };
        let with = |name: &'static str, value: &'static str| {
            let mut pairs = without(name);
            pairs.push((name, value));
            pairs
        };
        for name in [
            "mode",
            "success_url",
            "line_items[0][price]",
            "line_items[0][quantity]",
        ] {
            let (param, message) = refusal(create_checkout_session, &mut account, &without(name));
            assert_eq!(param.as_deref(), Some(name));
            assert_eq!(message, format!("Missing required param: {name}."));
        }
        let no_items: Vec<_> = without("line_items[0][price]")
            .into_iter()
            .filter(|(k, _)| *k != "line_items[0][quantity]")
            .collect();
        assert_eq!(
            refusal(create_checkout_session, &mut account, &no_items)
                .0
                .as_deref(),
            Some("line_items")
        );
        let cases: [(&str, &str, &str); 7] = [
            ("mode", "payment", "mode"),
            ("success_url", "not a url", "success_url"),
            ("line_items[0][quantity]", "0", "line_items[0][quantity]"),
            ("line_items[0][quantity]", "one", "line_items[0][quantity]"),
            (
                "line_items[0][price]",
                "price_other",
                "line_items[0][price]",
            ),
            ("customer", "cus_T5VS2a8giGV1As", "customer"),
            ("line_items[1][price]", "price_plan", "line_items[1][price]"),
        ];
        for (name, value, expected) in cases {
            let (param, message) =
                refusal(create_checkout_session, &mut account, &with(name, value));
            assert_eq!(
                param.as_deref(),
                Some(expected),
                "{name}={value}: {message}"
            );
        }
        let (_, message) = refusal(
            create_checkout_session,
            &mut account,
            &with("line_items[0][price]", "price_other"),
        );
        assert_eq!(message, "No such price: 'price_other'");
        let mut both = full.clone();
        both.push(("customer_email", "dana@example.test"));
        assert_eq!(
            refusal(create_checkout_session, &mut account, &both)
                .0
                .as_deref(),
            Some("customer_email")
        );
        assert!(account.sessions.is_empty());
    }

    #[test]
    fn return_urls_elsewhere_are_refused_so_the_pages_redirect_nowhere_else() {
        let mut account = Account::default();
        let customer = customer(&mut account);
        let full = checkout(&customer);
        let evil = "https://evil.example/phish";
        for name in ["success_url", "cancel_url"] {
            let mut pairs: Vec<_> = full.iter().copied().filter(|(k, _)| *k != name).collect();
            pairs.push((name, evil));
            let (param, message) = refusal(create_checkout_session, &mut account, &pairs);
            assert_eq!(param.as_deref(), Some(name), "{message}");
            assert!(message.starts_with("Not an allowed URL"), "{message}");
        }
        assert!(account.sessions.is_empty());
        let (param, _) = refusal(
            create_portal_session,
            &mut account,
            &[("customer", customer.as_str()), ("return_url", evil)],
        );
        assert_eq!(param.as_deref(), Some("return_url"));
        assert!(account.portal_sessions.is_empty());
        // The sandbox's own pages are allowed.
        let own = format!("{}/pages/returned", settings().public_url);
        create_portal_session(
            &mut account,
            &settings(),
            &params(&[("customer", customer.as_str()), ("return_url", &own)]),
            NOW,
        )
        .unwrap();
    }

    #[test]
    fn session_ids_are_long_random_and_unguessable() {
        let mut account = Account::default();
        let customer = customer(&mut account);
        let mut ids = std::collections::HashSet::new();
        for _ in 0..200 {
            let session = create_checkout_session(
                &mut account,
                &settings(),
                &params(&checkout(&customer)),
                NOW,
            )
            .unwrap();
            let id = session["id"].as_str().unwrap().to_string();
            let random = id.strip_prefix("cs_test_").unwrap();
            assert_eq!(random.len(), 58, "{id}");
            assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(ids.insert(id));
            let portal = create_portal_session(
                &mut account,
                &settings(),
                &params(&[
                    ("customer", customer.as_str()),
                    ("return_url", "https://app.heyway.test/settings"),
                ]),
                NOW,
            )
            .unwrap();
            let id = portal["id"].as_str().unwrap().to_string();
            assert_eq!(id.strip_prefix("bps_").unwrap().len(), 24, "{id}");
            assert!(ids.insert(id));
        }
        // Every one of the 62 characters shows up: not a narrow alphabet.
        let seen: std::collections::HashSet<char> = ids
            .iter()
            .flat_map(|id| id.split('_').next_back().unwrap().chars())
            .collect();
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn portal_sessions_need_a_known_customer_and_a_return_url() {
        let mut account = Account::default();
        let customer = customer(&mut account);
        let good = [
            ("customer", customer.as_str()),
            ("return_url", "https://app.heyway.test/settings"),
        ];
        let session =
            create_portal_session(&mut account, &settings(), &params(&good), NOW).unwrap();
        assert_eq!(session["object"], "billing_portal.session");
        let id = session["id"].as_str().unwrap();
        assert_eq!(
            session["url"],
            json!(format!("http://127.0.0.1:9/sandbox/stripe/portal/{id}"))
        );
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("return_url", "https://x.test")], "customer"),
            (&[("customer", customer.as_str())], "return_url"),
            (
                &[
                    ("customer", "cus_missing"),
                    ("return_url", "https://x.test"),
                ],
                "customer",
            ),
            (
                &[("customer", customer.as_str()), ("return_url", "x.test")],
                "return_url",
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                refusal(create_portal_session, &mut account, pairs)
                    .0
                    .as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn meter_events_are_checked_and_deduplicated_by_identifier() {
        let mut account = Account::default();
        let now = NOW.to_string();
        let event = [
            ("event_name", "call_minutes"),
            ("payload[stripe_customer_id]", "cus_sbx1"),
            ("payload[value]", "3"),
            ("identifier", "665f00000000000000000001"),
            ("timestamp", now.as_str()),
        ];
        let first = create_meter_event(&mut account, &settings(), &params(&event), NOW).unwrap();
        assert_eq!(first["payload"]["value"], "3");
        assert_eq!(first["identifier"], "665f00000000000000000001");
        let again =
            create_meter_event(&mut account, &settings(), &params(&event), NOW + 60).unwrap();
        assert_eq!(again, first);
        assert_eq!(account.meter_events.len(), 1);

        let old = (NOW - 36 * 24 * 3600).to_string();
        let cases: [(&str, &str); 5] = [
            ("event_name", "sms_sent"),
            ("payload[value]", "2.5"),
            ("timestamp", old.as_str()),
            ("timestamp", "soon"),
            ("identifier", &"i".repeat(101)),
        ];
        for (name, value) in cases {
            let mut pairs: Vec<_> = event.iter().copied().filter(|(k, _)| *k != name).collect();
            pairs.push((name, value));
            let (param, message) = refusal(create_meter_event, &mut account, &pairs);
            assert_eq!(param.as_deref(), Some(name), "{name}={value}: {message}");
        }
        for name in [
            "event_name",
            "payload[stripe_customer_id]",
            "payload[value]",
        ] {
            let pairs: Vec<_> = event.iter().copied().filter(|(k, _)| *k != name).collect();
            assert_eq!(
                refusal(create_meter_event, &mut account, &pairs)
                    .0
                    .as_deref(),
                Some(name)
            );
        }
        assert_eq!(account.meter_events.len(), 1);
    }
}
