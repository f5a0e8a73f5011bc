//! `ElevenLabsClient` against a local ElevenLabs that checks headers and
//! JSON shape, and the webhook signature round trip.

use heyway::integrations::elevenlabs::signature::{self, DEFAULT_TOLERANCE_SECS};
use heyway::integrations::elevenlabs::{
    AgentOverride, CallDirection, ClientData, ConfigOverride, ElevenLabsClient, ElevenLabsError,
    OutboundCall, PromptOverride, RegisterCall, TtsOverride,
};
use heyway_tests::elevenlabs_api::{self, FakeElevenLabs, AGENT_ID, PHONE_NUMBER_ID, TWIML};
use heyway_tests::test_config;
use serde_json::json;

fn client_with(fake: &FakeElevenLabs, extra: &[(&str, &str)]) -> ElevenLabsClient {
    let overrides = fake.config();
    // `test_config` takes the first value of a key: extras win.
    let mut pairs: Vec<(&str, &str)> = extra.to_vec();
    pairs.extend(overrides.iter().map(|(k, v)| (*k, v.as_str())));
    ElevenLabsClient::from_config(reqwest::Client::new(), &test_config(&pairs).elevenlabs)
        .expect("configured")
}

fn client(fake: &FakeElevenLabs) -> ElevenLabsClient {
    client_with(fake, &[])
}

fn client_data() -> ClientData {
    let mut data = ClientData::default();
    data.dynamic_variables
        .insert("customer_name".into(), json!("Jordan"));
    data.dynamic_variables
        .insert("business_name".into(), json!("Maple Motors"));
    data.conversation_config_override = Some(ConfigOverride {
        agent: Some(AgentOverride {
            first_message: Some("Hi {{customer_name}}, this is Maple Motors.".into()),
            prompt: Some(PromptOverride {
                prompt: "Ask how the new car is going.".into(),
            }),
            language: Some("en".into()),
        }),
        tts: Some(TtsOverride {
            voice_id: "voice_test".into(),
        }),
    });
    data
}

#[tokio::test]
async fn register_call_sends_the_documented_body_and_returns_twiml() {
    let fake = FakeElevenLabs::start().await;
    let twiml = client(&fake)
        .register_call(&RegisterCall {
            from_number: "+15005550006".into(),
            to_number: "+15557654321".into(),
            direction: CallDirection::Outbound,
            client_data: client_data(),
        })
        .await
        .expect("registered");
    assert_eq!(twiml, TWIML);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, "register-call");
    assert_eq!(
        requests[0].1,
        json!({
            "agent_id": AGENT_ID,
            "from_number": "+15005550006",
            "to_number": "+15557654321",
            "direction": "outbound",
            "conversation_initiation_client_data": {
                "dynamic_variables": {"business_name": "Maple Motors", "customer_name": "Jordan"},
                "conversation_config_override": {
                    "agent": {
                        "first_message": "Hi {{customer_name}}, this is Maple Motors.",
                        "prompt": {"prompt": "Ask how the new car is going."},
                        "language": "en"
                    },
                    "tts": {"voice_id": "voice_test"}
                }
            }
        })
    );
}

#[tokio::test]
async fn outbound_call_sends_the_documented_body_and_reads_call_sid() {
    let fake = FakeElevenLabs::start().await;
    let placed = client(&fake)
        .outbound_call(&OutboundCall {
            agent_phone_number_id: PHONE_NUMBER_ID.into(),
            to_number: "+15557654321".into(),
            client_data: ClientData::default(),
            call_recording_enabled: Some(true),
            ringing_timeout_secs: Some(30),
        })
        .await
        .expect("placed");
    assert_eq!(
        placed.call_sid.as_deref(),
        Some("CA00000000000000000000000000000002")
    );
    assert_eq!(placed.conversation_id.as_deref(), Some("conv_test_0001"));
    assert_eq!(
        fake.requests()[0].1,
        json!({
            "agent_id": AGENT_ID,
            "agent_phone_number_id": PHONE_NUMBER_ID,
            "to_number": "+15557654321",
            "conversation_initiation_client_data": {"dynamic_variables": {}},
            "call_recording_enabled": true,
            "telephony_call_config": {"ringing_timeout_secs": 30}
        })
    );
}

#[tokio::test]
async fn refusals_and_outages_are_told_apart() {
    let fake = FakeElevenLabs::start().await;
    let outbound = |to: &str| OutboundCall {
        agent_phone_number_id: PHONE_NUMBER_ID.into(),
        to_number: to.into(),
        client_data: ClientData::default(),
        call_recording_enabled: None,
        ringing_timeout_secs: None,
    };
    let client = client(&fake);
    let err = client
        .outbound_call(&outbound(elevenlabs_api::TO_FAILS))
        .await
        .expect_err("success false");
    assert!(
        matches!(err, ElevenLabsError::Refused { status: 200, .. }),
        "{err:?}"
    );
    let err = client
        .outbound_call(&outbound(elevenlabs_api::TO_UNAVAILABLE))
        .await
        .expect_err("503");
    assert!(err.is_transient(), "{err:?}");
    // 422: the fake's validation error, as ElevenLabs answers it.
    let err = client
        .outbound_call(&outbound("5557654321"))
        .await
        .expect_err("422");
    assert!(
        matches!(err, ElevenLabsError::Refused { status: 422, .. }),
        "{err:?}"
    );
    // A wrong key is refused, not retried.
    let wrong = client_with(&fake, &[("ELEVENLABS_API_KEY", "wrong")]);
    let err = wrong
        .register_call(&RegisterCall {
            from_number: "+15005550006".into(),
            to_number: "+15557654321".into(),
            direction: CallDirection::Outbound,
            client_data: ClientData::default(),
        })
        .await
        .expect_err("401");
    assert!(
        matches!(err, ElevenLabsError::Refused { status: 401, .. }),
        "{err:?}"
    );
}

#[test]
fn unconfigured_elevenlabs_gives_no_client() {
    let config = test_config(&[("ELEVENLABS_API_KEY", "key")]);
    assert!(ElevenLabsClient::from_config(reqwest::Client::new(), &config.elevenlabs).is_none());
}

#[test]
fn webhook_signatures_round_trip() {
    let body = br#"{"type":"post_call_transcription","event_timestamp":1700000100,"data":{}}"#;
    let header = signature::sign("whsec_local", 1_700_000_100, body);
    assert_eq!(
        signature::verify(
            "whsec_local",
            &header,
            body,
            1_700_000_200,
            DEFAULT_TOLERANCE_SECS
        ),
        Ok(())
    );
    assert!(signature::verify(
        "whsec_other",
        &header,
        body,
        1_700_000_200,
        DEFAULT_TOLERANCE_SECS
    )
    .is_err());
}
