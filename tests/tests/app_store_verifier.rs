//! Our App Store signed-data verifier against Apple's: the official
//! Python `app-store-server-library`'s `SignedDataVerifier`, given the
//! sandbox's root, must reach the same verdict on valid payloads and on
//! tampered ones (a changed payload, a wrong chain, an expired leaf, a
//! leaf without Apple's marker, a wrong bundle id, the wrong environment,
//! another algorithm). And Apple's real chain (from Apple's own npm
//! package) passes our chain checks under the real Apple root.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use heyway::infra::config::apple::APPLE_ROOT_CA_G3;
use heyway::infra::config::AppleEnvironment;
use heyway::integrations::app_store::{SignedDataVerifier, VerifyError};
use heyway_dev::sandbox::app_store::store::{self, App, Store};
use heyway_dev::sandbox::app_store::{sign_with, Chain, Leaf};
use heyway_tests::app_store::{apple_library_verdicts, SignedCase};
use serde_json::{json, Value};

const BUNDLE: &str = "com.example.heyway.test";

fn app(environment: &str, bundle: &str) -> App {
    App {
        bundle_id: bundle.to_string(),
        app_apple_id: None,
        environment: environment.to_string(),
    }
}

/// Our verdict on `case`.
fn ours(verifier: &SignedDataVerifier, case: &SignedCase) -> Result<(), VerifyError> {
    let now = Utc::now();
    match case.kind {
        "transaction" => verifier.verify_transaction(&case.jws, now).map(drop),
        "renewal" => verifier.verify_renewal_info(&case.jws, now).map(drop),
        _ => verifier.verify_notification(&case.jws, now).map(drop),
    }
}

fn case(name: &str, kind: &'static str, jws: String) -> SignedCase {
    SignedCase {
        name: name.to_string(),
        kind,
        jws,
    }
}

/// `jws` with its payload swapped for `payload`, the signature kept.
fn with_payload(jws: &str, payload: &Value) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    )
}

/// `jws` with its header's `alg` changed (the chain kept).
fn with_alg(jws: &str, alg: &str) -> String {
    let parts: Vec<&str> = jws.split('.').collect();
    let mut header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    header["alg"] = json!(alg);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        parts[1],
        parts[2]
    )
}

/// Long: one table of cases, each built next to its name.
#[test]
fn apples_library_and_ours_agree_on_valid_and_tampered_payloads() {
    let chain = Chain::new();
    let sandbox_app = app("Sandbox", BUNDLE);
    let mut account = Store::new();
    let sub = account.purchase("com.example.pro.monthly", None);
    let now = Utc::now().timestamp_millis();
    let tx = store::transaction_payload(&sandbox_app, &sub, now);
    let renewal = store::renewal_payload(&sandbox_app, &sub, now);
    let signed_tx = sign_with(&chain, &tx);
    let notice = store::Notice {
        kind: "SUBSCRIBED",
        subtype: Some("INITIAL_BUY"),
        uuid: "0b6e4a3c-8f0e-4a55-9f37-3f0c7a1f5d11",
        signed_ms: now,
    };
    let notification = store::notification_payload(
        &sandbox_app,
        notice,
        &sub,
        signed_tx.clone(),
        sign_with(&chain, &renewal),
    );
    let signed_notification = sign_with(&chain, &notification);

    let mut changed = tx.clone();
    changed["expiresDate"] = json!(tx["expiresDate"].as_i64().unwrap() + 365 * 86_400_000);
    let other_chain = Chain::new();
    let expired = chain.with_leaf(Leaf::Expired);
    let unmarked = chain.with_leaf(Leaf::Unmarked);
    let other_bundle = store::transaction_payload(&app("Sandbox", "com.example.other"), &sub, now);
    let production = store::transaction_payload(&app("Production", BUNDLE), &sub, now);
    let production_renewal = store::renewal_payload(&app("Production", BUNDLE), &sub, now);
    let mut other_app_notification = notification.clone();
    other_app_notification["data"]["bundleId"] = json!("com.example.other");

    // (case, whether it must verify)
    let cases = [
        (
            case("valid transaction", "transaction", signed_tx.clone()),
            true,
        ),
        (
            case("valid renewal info", "renewal", sign_with(&chain, &renewal)),
            true,
        ),
        (
            case(
                "valid notification",
                "notification",
                signed_notification.clone(),
            ),
            true,
        ),
        (
            case(
                "changed payload",
                "transaction",
                with_payload(&signed_tx, &changed),
            ),
            false,
        ),
        (
            case(
                "changed notification",
                "notification",
                with_payload(&signed_notification, &other_app_notification),
            ),
            false,
        ),
        (
            case("wrong chain", "transaction", sign_with(&other_chain, &tx)),
            false,
        ),
        (
            case(
                "wrong chain notification",
                "notification",
                sign_with(&other_chain, &notification),
            ),
            false,
        ),
        (
            case("expired leaf", "transaction", sign_with(&expired, &tx)),
            false,
        ),
        (
            case(
                "leaf without marker",
                "transaction",
                sign_with(&unmarked, &tx),
            ),
            false,
        ),
        (
            case(
                "wrong bundle id",
                "transaction",
                sign_with(&chain, &other_bundle),
            ),
            false,
        ),
        (
            case(
                "wrong bundle id notification",
                "notification",
                sign_with(&chain, &other_app_notification),
            ),
            false,
        ),
        (
            case(
                "wrong environment",
                "transaction",
                sign_with(&chain, &production),
            ),
            false,
        ),
        (
            case(
                "wrong environment renewal",
                "renewal",
                sign_with(&chain, &production_renewal),
            ),
            false,
        ),
        (
            case("not ES256", "transaction", with_alg(&signed_tx, "ES384")),
            false,
        ),
        (case("not a JWS", "transaction", "a.b".to_string()), false),
    ];
    let verifier = SignedDataVerifier::new(
        &[chain.root_der().to_vec()],
        BUNDLE.to_string(),
        AppleEnvironment::Sandbox,
        None,
    );
    let signed: Vec<SignedCase> = cases.iter().map(|(c, _)| c.clone()).collect();
    let apple = apple_library_verdicts(&[chain.root_der()], "Sandbox", BUNDLE, &signed);
    for ((case, valid), apple) in cases.iter().zip(apple) {
        let ours = ours(&verifier, case);
        assert_eq!(ours.is_ok(), *valid, "{}: ours said {ours:?}", case.name);
        assert_eq!(
            apple.is_ok(),
            ours.is_ok(),
            "{}: Apple's library said {apple:?}, ours {ours:?}",
            case.name
        );
    }

    // Trusting Apple's real root instead, nothing of the sandbox's holds.
    let real = SignedDataVerifier::new(
        &[APPLE_ROOT_CA_G3.to_vec()],
        BUNDLE.to_string(),
        AppleEnvironment::Sandbox,
        None,
    );
    let valid: Vec<SignedCase> = signed[..3].to_vec();
    let apple = apple_library_verdicts(&[APPLE_ROOT_CA_G3], "Sandbox", BUNDLE, &valid);
    for (case, apple) in valid.iter().zip(apple) {
        assert!(
            matches!(ours(&real, case), Err(VerifyError::Chain(_))),
            "{}",
            case.name
        );
        assert!(apple.is_err(), "{}: Apple's library accepted it", case.name);
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/apple/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JWS over `payload` with Apple's real chain in `x5c` and a signature
/// nobody made: only the signature can fail once the chain holds.
fn on_apples_chain(payload: &Value) -> String {
    let x5c: Vec<String> = [
        fixture("real-leaf-receipt-signing.der"),
        fixture("real-intermediate-wwdr-g6.der"),
        APPLE_ROOT_CA_G3.to_vec(),
    ]
    .iter()
    .map(|der| STANDARD.encode(der))
    .collect();
    let header = json!({ "alg": "ES256", "x5c": x5c });
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode([7u8; 64])
    )
}

#[test]
fn apples_real_chain_passes_our_chain_checks_while_its_leaf_is_valid() {
    let verifier = SignedDataVerifier::new(
        &[APPLE_ROOT_CA_G3.to_vec()],
        BUNDLE.to_string(),
        AppleEnvironment::Production,
        Some(1234),
    );
    // October 2025, as Apple's own test of this chain: the chain and both
    // markers hold, so only the (made-up) signature is refused.
    let signed_then = json!({ "bundleId": BUNDLE, "environment": "Production", "signedDate": 1_761_962_975_000_i64 });
    assert_eq!(
        verifier.verify_transaction(&on_apples_chain(&signed_then), Utc::now()),
        Err(VerifyError::Signature)
    );
    // After the leaf expired (October 2027), the chain itself is refused.
    let signed_later = json!({ "bundleId": BUNDLE, "environment": "Production", "signedDate": 1_830_000_000_000_i64 });
    assert!(matches!(
        verifier.verify_transaction(&on_apples_chain(&signed_later), Utc::now()),
        Err(VerifyError::Chain(_))
    ));
    // The intermediate is not a leaf: swapped, the markers do not match.
    let mut swapped = on_apples_chain(&signed_then);
    let header = json!({ "alg": "ES256", "x5c": [
        STANDARD.encode(fixture("real-intermediate-wwdr-g6.der")),
        STANDARD.encode(fixture("real-intermediate-wwdr-g6.der")),
        STANDARD.encode(APPLE_ROOT_CA_G3),
    ] });
    let rest = swapped.split_once('.').unwrap().1.to_string();
    swapped = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()));
    assert!(verifier.verify_transaction(&swapped, Utc::now()).is_err());
}
