//! `CallsClient` against a local Twilio that checks the wire format.

use std::time::Duration;

use heyway::integrations::twilio::calls::{CallScript, Refusal};
use heyway::integrations::twilio::{CallError, CallsClient, PlaceCall};
use heyway_tests::test_config;
use heyway_tests::twilio_api::{self, FakeTwilioApi, VALID_FROM};

fn client(fake: &FakeTwilioApi, http: reqwest::Client) -> CallsClient {
    let overrides = fake.config();
    let pairs: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    CallsClient::from_config(http, &test_config(&pairs).twilio).expect("configured")
}

fn call(to: &str) -> PlaceCall {
    PlaceCall {
        to: to.to_string(),
        from: VALID_FROM.to_string(),
        script: CallScript::Url("https://hooks.example.test/twiml/abc".into()),
        status_callback: Some("https://hooks.example.test/twilio/status".into()),
        amd_status_callback: Some("https://hooks.example.test/twilio/amd".into()),
        timeout_secs: Some(25),
        wait_for_beep: false,
    }
}

#[tokio::test]
async fn places_a_call_with_the_exact_form() {
    let fake = FakeTwilioApi::start().await;
    let placed = client(&fake, Default::default())
        .place_call(&call("+15005550006"))
        .await
        .expect("placed");
    assert_eq!(placed.sid, "CA00000000000000000000000000000001");
    assert_eq!(placed.status, "queued");

    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    let form: Vec<(&str, &str)> = calls[0]
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        form,
        [
            ("To", "+15005550006"),
            ("From", VALID_FROM),
            ("Url", "https://hooks.example.test/twiml/abc"),
            ("StatusCallback", "https://hooks.example.test/twilio/status"),
            ("StatusCallbackMethod", "POST"),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "ringing"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
            ("MachineDetection", "Enable"),
            ("AsyncAmd", "true"),
            (
                "AsyncAmdStatusCallback",
                "https://hooks.example.test/twilio/amd"
            ),
            ("AsyncAmdStatusCallbackMethod", "POST"),
            ("Timeout", "25"),
        ]
    );
}

#[tokio::test]
async fn places_a_call_with_inline_twiml() {
    let fake = FakeTwilioApi::start().await;
    let mut request = call("+15005550006");
    request.script =
        CallScript::Twiml("<Response><Say>Hello &amp; welcome</Say></Response>".into());
    request.amd_status_callback = None;
    client(&fake, Default::default())
        .place_call(&request)
        .await
        .expect("placed");
    let form = &fake.calls()[0];
    assert!(form.contains(&(
        "Twiml".into(),
        "<Response><Say>Hello &amp; welcome</Say></Response>".into()
    )));
    assert!(!form
        .iter()
        .any(|(k, _)| k == "Url" || k == "MachineDetection"));
}

#[tokio::test]
async fn magic_numbers_are_refused_for_good() {
    let fake = FakeTwilioApi::start().await;
    let client = client(&fake, Default::default());
    for (to, code, refusal) in [
        ("+15005550001", 21217, Refusal::InvalidNumber),
        ("+15005550002", 21214, Refusal::Unreachable),
        ("+15005550003", 21215, Refusal::NoGeoPermission),
        ("+15005550004", 21216, Refusal::Blocked),
    ] {
        let err = client.place_call(&call(to)).await.expect_err(to);
        assert!(!err.is_transient(), "{to}: {err}");
        assert_eq!(err.code(), Some(code), "{to}");
        assert!(
            matches!(&err, CallError::Refused { refusal: r, status: 400, .. } if *r == refusal),
            "{to}: {err:?}"
        );
        assert!(!err.owner_message().is_empty());
    }
}

#[tokio::test]
async fn an_unverified_caller_id_is_explained_to_the_owner() {
    let fake = FakeTwilioApi::start().await;
    let mut request = call("+15005550006");
    request.from = "+15551230000".into();
    let err = client(&fake, Default::default())
        .place_call(&request)
        .await
        .expect_err("unverified");
    assert_eq!(err.code(), Some(21210));
    assert_eq!(
        err.owner_message(),
        "Your caller ID is not verified with Twilio. Please verify it again before making calls."
    );
}

#[tokio::test]
async fn busy_and_rate_limited_twilio_is_transient() {
    let fake = FakeTwilioApi::start().await;
    let client = client(&fake, Default::default());
    let err = client
        .place_call(&call(twilio_api::TO_UNAVAILABLE))
        .await
        .expect_err("503");
    assert!(
        matches!(
            err,
            CallError::Transient {
                status: Some(503),
                ..
            }
        ),
        "{err:?}"
    );
    let err = client
        .place_call(&call(twilio_api::TO_RATE_LIMITED))
        .await
        .expect_err("429");
    assert!(
        matches!(
            err,
            CallError::Transient {
                status: Some(429),
                code: Some(20429),
                retry_after_secs: Some(7),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
/// A timeout waiting for Twilio's answer may hide a placed call, so it is
/// not retried (a retry could ring the person twice); a refused connection
/// never reached Twilio and is.
async fn timeouts_are_unconfirmed_and_connect_errors_transient() {
    let fake = FakeTwilioApi::start().await;
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = client(&fake, quick)
        .place_call(&call(twilio_api::TO_SLOW))
        .await
        .expect_err("timeout");
    assert!(matches!(err, CallError::Unconfirmed(_)), "{err:?}");

    // A port nobody listens on: bind one, then drop the listener.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let config = test_config(&[
        ("TWILIO_ACCOUNT_SID", twilio_api::ACCOUNT_SID),
        ("TWILIO_AUTH_TOKEN", twilio_api::AUTH_TOKEN),
        ("TWILIO_API_BASE_URL", &closed),
    ]);
    let err = CallsClient::from_config(Default::default(), &config.twilio)
        .expect("configured")
        .place_call(&call("+15005550006"))
        .await
        .expect_err("connect");
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn wrong_credentials_and_garbled_answers_are_not_retried() {
    let fake = FakeTwilioApi::start().await;
    let config = test_config(&[
        ("TWILIO_ACCOUNT_SID", twilio_api::ACCOUNT_SID),
        ("TWILIO_AUTH_TOKEN", "wrong"),
        ("TWILIO_API_BASE_URL", &fake.base_url),
    ]);
    let err = CallsClient::from_config(Default::default(), &config.twilio)
        .expect("configured")
        .place_call(&call("+15005550006"))
        .await
        .expect_err("401");
    assert!(
        matches!(
            err,
            CallError::Refused {
                refusal: Refusal::Account,
                status: 401,
                ..
            }
        ),
        "{err:?}"
    );

    let err = client(&fake, Default::default())
        .place_call(&call(twilio_api::TO_GARBLED))
        .await
        .expect_err("garbled");
    assert!(matches!(err, CallError::Unconfirmed(_)), "{err:?}");
    assert!(!err.is_transient());
}

#[test]
fn unconfigured_account_gives_no_client() {
    assert!(CallsClient::from_config(Default::default(), &test_config(&[]).twilio).is_none());
}
