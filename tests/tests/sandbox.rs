//! The telephony sandbox driven by the real clients: `CallsClient` and
//! `ElevenLabsClient` place calls against it, and a local receiver plays
//! the application, checking every callback's signature with heyway's
//! validators (and once with Twilio's own Python library).

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use heyway::infra::config::{ElevenLabsConfig, TwilioConfig};
use heyway::integrations::elevenlabs::{
    signature as el_signature, AgentOverride, ClientData, ConfigOverride, ElevenLabsClient,
    OutboundCall, PromptOverride, RegisterCall,
};
use heyway::integrations::twilio::calls::{CallScript, Refusal};
use heyway::integrations::twilio::{signature, CallError, CallsClient, PlaceCall};
use heyway_dev::sandbox::{AccessKey, Sandbox, SandboxSettings, Timing};
use serde_json::{json, Value};

const SID: &str = "AC11111111111111111111111111111111";
const TOKEN: &str = "sandbox-test-token";
const XI_KEY: &str = "sandbox-test-xi";
const AGENT: &str = "agent_sandbox_test";
const SECRET: &str = "sandbox-test-whsec";
const LOG_KEY: &str = "sandbox-test-log-key";
const FROM: &str = "+15005550006";
const INSTRUCTIONS: &str = "Tell them their car is ready for pickup at Park Motors. Keep it short.";

/// One request the application received.
#[derive(Clone, Debug)]
struct Received {
    method: Method,
    /// Path and query, as called.
    path: String,
    signature: Option<String>,
    el_signature: Option<String>,
    params: Vec<(String, String)>,
    body: Bytes,
}

impl Received {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

#[derive(Clone)]
struct App {
    received: Arc<Mutex<Vec<Received>>>,
    elevenlabs: ElevenLabsClient,
}

/// The application's side: records everything; the voice webhook asks
/// ElevenLabs (the sandbox) to register AI calls, as the real one does.
async fn receive(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let params: Vec<(String, String)> = if method == Method::GET {
        form_pairs(uri.query().unwrap_or_default().as_bytes())
    } else if header("content-type").is_some_and(|t| t.starts_with("application/x-www-form")) {
        form_pairs(&body)
    } else {
        Vec::new()
    };
    let received = Received {
        method,
        path: path.clone(),
        signature: header("x-twilio-signature"),
        el_signature: header("elevenlabs-signature"),
        params,
        body,
    };
    app.received.lock().unwrap().push(received.clone());
    if received.route() != "/webhooks/twilio/voice" {
        return "ok".into_response();
    }
    if path.contains("mode=say") {
        return "<Response><Say>Your order is ready.</Say><Hangup/></Response>".into_response();
    }
    let mut client_data = ClientData::default();
    client_data
        .dynamic_variables
        .insert("customer_name".into(), json!("Ada Park"));
    client_data
        .dynamic_variables
        .insert("business_name".into(), json!("Park Motors"));
    client_data.conversation_config_override = Some(ConfigOverride {
        agent: Some(AgentOverride {
            prompt: Some(PromptOverride {
                prompt: INSTRUCTIONS.into(),
            }),
            ..Default::default()
        }),
        tts: None,
    });
    let call = RegisterCall {
        from_number: received.param("From").unwrap_or_default().to_string(),
        to_number: received.param("To").unwrap_or_default().to_string(),
        direction: Default::default(),
        client_data,
    };
    match app.elevenlabs.register_call(&call).await {
        Ok(twiml) => ([("content-type", "text/xml")], twiml).into_response(),
        Err(error) => (axum::http::StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

struct Harness {
    sandbox: Sandbox,
    app_base: String,
    received: Arc<Mutex<Vec<Received>>>,
    calls: CallsClient,
    elevenlabs: ElevenLabsClient,
    twilio_base: String,
    elevenlabs_base: String,
}

impl Harness {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app_base = format!("http://{}", listener.local_addr().unwrap());
        let http = reqwest::Client::new();
        let sandbox = Sandbox::new(SandboxSettings {
            account_sid: SID.into(),
            auth_token: TOKEN.into(),
            elevenlabs_api_key: XI_KEY.into(),
            agent_id: AGENT.into(),
            elevenlabs_webhook_secret: SECRET.into(),
            access_key: AccessKey::from(LOG_KEY.to_string()),
            elevenlabs_webhook_url: Some(format!("{app_base}/webhooks/elevenlabs")),
            http: http.clone(),
            timing: Timing::instant(),
        });
        let sandbox_base = heyway_tests::fake_server::serve(sandbox.router()).await;
        let twilio_base = format!("{sandbox_base}/twilio");
        let elevenlabs_base = format!("{sandbox_base}/elevenlabs");
        let calls = CallsClient::from_config(
            http.clone(),
            &TwilioConfig {
                account_sid: Some(SID.into()),
                auth_token: Some(TOKEN.into()),
                api_base_url: twilio_base.clone(),
                ..Default::default()
            },
        )
        .unwrap();
        let elevenlabs = ElevenLabsClient::from_config(
            http,
            &ElevenLabsConfig {
                api_key: Some(XI_KEY.into()),
                agent_id: Some(AGENT.into()),
                base_url: elevenlabs_base.clone(),
                webhook_secret: Some(SECRET.into()),
            },
        )
        .unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(receive).with_state(App {
            received: received.clone(),
            elevenlabs: elevenlabs.clone(),
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            sandbox,
            app_base,
            received,
            calls,
            elevenlabs,
            twilio_base,
            elevenlabs_base,
        }
    }

    fn place(&self, to: &str, mode: &str) -> PlaceCall {
        let base = &self.app_base;
        PlaceCall {
            to: to.into(),
            from: FROM.into(),
            script: CallScript::Url(format!(
                "{base}/webhooks/twilio/voice?callId=c1&mode={mode}"
            )),
            status_callback: Some(format!("{base}/webhooks/twilio/status?callId=c1")),
            amd_status_callback: Some(format!("{base}/webhooks/twilio/status?callId=c1&amd=1")),
            timeout_secs: Some(30),
            wait_for_beep: false,
        }
    }

    /// Places a call and waits for the sandbox to finish it; answers the
    /// requests the application got for it, every Twilio signature checked.
    async fn play(&self, to: &str, mode: &str) -> (String, Vec<Received>) {
        let placed = self.calls.place_call(&self.place(to, mode)).await.unwrap();
        assert_eq!(placed.status, "queued");
        let call = self
            .sandbox
            .finished(&placed.sid, Duration::from_secs(10))
            .await
            .unwrap();
        assert!(call.finished, "{call:?}");
        let received: Vec<Received> = self
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| {
                r.param("CallSid") == Some(&placed.sid)
                    || (r.route() == "/webhooks/elevenlabs"
                        && serde_json::from_slice::<Value>(&r.body).unwrap()["data"]["metadata"]
                            ["phone_call"]["call_sid"]
                            == placed.sid.as_str())
            })
            .cloned()
            .collect();
        for r in &received {
            self.check_signature(r);
        }
        (placed.sid, received)
    }

    fn check_signature(&self, r: &Received) {
        let url = format!("{}{}", self.app_base, r.path);
        if r.route() == "/webhooks/elevenlabs" {
            let header = r.el_signature.as_deref().expect("ElevenLabs-Signature");
            let now = chrono::Utc::now().timestamp();
            assert_eq!(
                el_signature::verify(SECRET, header, &r.body, now, 60),
                Ok(()),
                "{header}"
            );
            assert!(el_signature::verify("wrong", header, &r.body, now, 60).is_err());
        } else {
            let sig = r.signature.as_deref().expect("X-Twilio-Signature");
            let params = if r.method == Method::GET {
                Vec::new()
            } else {
                r.params.clone()
            };
            assert!(signature::validate(TOKEN, &url, &params, sig), "{r:?}");
            assert!(!signature::validate("wrong", &url, &params, sig));
        }
    }
}

/// `(kind, CallStatus)` of each request, for order checks.
fn kinds(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| match r.route() {
            "/webhooks/twilio/voice" => "twiml".to_string(),
            "/webhooks/elevenlabs" => "elevenlabs".to_string(),
            _ if r.path.contains("amd=1") => format!("amd:{}", r.param("AnsweredBy").unwrap()),
            _ => format!("status:{}", r.param("CallStatus").unwrap()),
        })
        .collect()
}

fn status_of<'a>(received: &'a [Received], status: &str) -> &'a Received {
    received
        .iter()
        .find(|r| r.route() == "/webhooks/twilio/status" && r.param("CallStatus") == Some(status))
        .unwrap_or_else(|| panic!("no {status} callback"))
}

fn webhook(received: &[Received]) -> Value {
    let r = received
        .iter()
        .find(|r| r.route() == "/webhooks/elevenlabs")
        .expect("post-call webhook");
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn an_answered_ai_call_plays_out_like_twilio_and_elevenlabs() {
    let h = Harness::start().await;
    let to = "+12125550100";
    let (sid, received) = h.play(to, "ai").await;
    assert!(sid.starts_with("CA") && sid.len() == 34);
    assert_eq!(
        kinds(&received),
        [
            "status:initiated",
            "status:ringing",
            "status:in-progress",
            "twiml",
            "amd:human",
            "status:completed",
            "elevenlabs"
        ]
    );
    let statuses: Vec<&Received> = received
        .iter()
        .filter(|r| r.route() == "/webhooks/twilio/status" && !r.path.contains("amd=1"))
        .collect();
    let sequence: Vec<&str> = statuses
        .iter()
        .map(|r| r.param("SequenceNumber").unwrap())
        .collect();
    assert_eq!(sequence, ["0", "1", "2", "3"]);
    for r in &statuses {
        assert_eq!(r.param("AccountSid"), Some(SID));
        assert_eq!(r.param("From"), Some(FROM));
        assert_eq!(r.param("To"), Some(to));
        assert_eq!(r.param("Direction"), Some("outbound-api"));
        assert_eq!(r.param("ApiVersion"), Some("2010-04-01"));
        assert_eq!(r.param("CallbackSource"), Some("call-progress-events"));
        let timestamp = r.param("Timestamp").unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc2822(timestamp).is_ok(),
            "{timestamp}"
        );
    }
    let twiml = received
        .iter()
        .find(|r| r.route() == "/webhooks/twilio/voice")
        .unwrap();
    assert_eq!(twiml.method, Method::POST);
    assert_eq!(twiml.param("CallStatus"), Some("in-progress"));
    assert_eq!(twiml.param("CallSid"), Some(sid.as_str()));
    let completed = status_of(&received, "completed");
    assert_eq!(completed.param("AnsweredBy"), Some("human"));
    let duration: u64 = completed.param("CallDuration").unwrap().parse().unwrap();
    assert!(duration >= 20, "{duration}");

    let body = webhook(&received);
    assert_eq!(body["type"], "post_call_transcription");
    let data = &body["data"];
    assert_eq!(data["agent_id"], AGENT);
    assert_eq!(data["status"], "done");
    assert!(data["conversation_id"]
        .as_str()
        .unwrap()
        .starts_with("conv_"));
    let transcript = data["transcript"].as_array().unwrap();
    assert!(transcript[0]["message"]
        .as_str()
        .unwrap()
        .contains("Ada Park"));
    assert!(transcript.iter().any(|t| t["message"]
        .as_str()
        .unwrap()
        .contains("their car is ready for pickup")));
    assert!(transcript.iter().any(|t| t["role"] == "user"));
    assert!(transcript.iter().all(|t| t["time_in_call_secs"].is_u64()));
    let metadata = &data["metadata"];
    assert_eq!(metadata["phone_call"]["call_sid"], sid.as_str());
    assert_eq!(metadata["phone_call"]["external_number"], to);
    assert_eq!(metadata["phone_call"]["agent_number"], FROM);
    assert_eq!(metadata["phone_call"]["direction"], "outbound");
    assert_eq!(metadata["call_duration_secs"].as_u64(), Some(28));
    assert!(metadata["start_time_unix_secs"].is_i64());
    assert!(metadata["cost"].is_u64());
    assert!(metadata["termination_reason"].is_string());
    let analysis = &data["analysis"];
    assert_eq!(analysis["call_successful"], "success");
    assert!(analysis["transcript_summary"]
        .as_str()
        .unwrap()
        .contains("Ada Park"));
    assert!(analysis["evaluation_criteria_results"].is_object());
    let collected = &analysis["data_collection_results"];
    for id in ["category", "follow_up_needed", "sentiment", "opt_out"] {
        assert_eq!(collected[id]["data_collection_id"], id);
    }
    assert_eq!(collected["follow_up_needed"]["value"], true);
    assert_eq!(collected["opt_out"]["value"], false);
    assert_eq!(
        data["conversation_initiation_client_data"]["dynamic_variables"]["customer_name"],
        "Ada Park"
    );

    // The sandbox's log says the same.
    let logged = h.sandbox.calls();
    let call = logged.iter().find(|c| c.sid == sid).unwrap();
    assert_eq!(call.status, "completed");
    assert_eq!(call.duration_secs, Some(duration));
    assert_eq!(
        call.conversation_id.as_deref(),
        data["conversation_id"].as_str()
    );
    assert_eq!(call.transcript.len(), transcript.len());
    assert!(
        call.deliveries.iter().all(|d| d.status == Some(200)),
        "{call:?}"
    );
}

#[tokio::test]
async fn destination_numbers_choose_the_outcome() {
    let h = Harness::start().await;
    // Not answered: no TwiML fetch, no AMD, no webhook, CallDuration 0.
    for (to, status, ringing) in [
        ("+12125550101", "busy", true),
        ("+12125550102", "no-answer", true),
        ("+12125550104", "failed", false),
    ] {
        let (_, received) = h.play(to, "ai").await;
        let mut expected = vec!["status:initiated".to_string()];
        if ringing {
            expected.push("status:ringing".into());
        }
        expected.push(format!("status:{status}"));
        assert_eq!(kinds(&received), expected, "{to}");
        assert_eq!(
            status_of(&received, status).param("CallDuration"),
            Some("0")
        );
    }

    // Voicemail: answered by a machine, no conversation reported.
    let (_, received) = h.play("+14155550103", "ai").await;
    assert_eq!(
        kinds(&received),
        [
            "status:initiated",
            "status:ringing",
            "status:in-progress",
            "twiml",
            "amd:machine_end_beep",
            "status:completed"
        ]
    );
    assert_eq!(
        status_of(&received, "completed").param("AnsweredBy"),
        Some("machine_end_beep")
    );

    // Opt-out: the person asks not to be called again.
    let (_, received) = h.play("+14155550105", "ai").await;
    let body = webhook(&received);
    let collected = &body["data"]["analysis"]["data_collection_results"];
    assert_eq!(collected["opt_out"]["value"], true);
    assert_eq!(collected["category"]["value"], "opt-out");
    assert_eq!(collected["follow_up_needed"]["value"], false);
    assert!(body["data"]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["role"] == "user"
            && t["message"]
                .as_str()
                .unwrap()
                .contains("don't call me again")));

    // Out of order and repeated, as Twilio may deliver them.
    let (_, received) = h.play("+14155550106", "ai").await;
    assert_eq!(
        kinds(&received),
        [
            "status:initiated",
            "twiml",
            "amd:human",
            "status:completed",
            "status:ringing",
            "status:in-progress",
            "status:completed",
            "elevenlabs"
        ]
    );
    let sequence: Vec<_> = received
        .iter()
        .filter_map(|r| r.param("SequenceNumber"))
        .collect();
    assert_eq!(sequence, ["0", "3", "1", "2", "3"]);

    // A recorded message (no agent): answered, no webhook.
    let (_, received) = h.play("+12125550100", "say").await;
    assert_eq!(kinds(&received).last().unwrap(), "status:completed");
    assert!(!kinds(&received).contains(&"elevenlabs".to_string()));
    let duration: u64 = status_of(&received, "completed")
        .param("CallDuration")
        .unwrap()
        .parse()
        .unwrap();
    assert!(duration >= 1);
}

#[tokio::test]
async fn magic_numbers_and_bad_requests_get_twilio_errors() {
    let h = Harness::start().await;
    for (to, code, refusal) in [
        ("+15005550001", 21217, Refusal::InvalidNumber),
        ("+15005550002", 21214, Refusal::Unreachable),
        ("+15005550003", 21215, Refusal::NoGeoPermission),
        ("+15005550004", 21216, Refusal::Blocked),
        ("2125550100", 21211, Refusal::InvalidNumber),
    ] {
        match h.calls.place_call(&h.place(to, "ai")).await {
            Err(CallError::Refused {
                refusal: got,
                status: 400,
                code: Some(got_code),
                ..
            }) => {
                assert_eq!((got, got_code), (refusal, code), "{to}");
            }
            other => panic!("{to}: {other:?}"),
        }
    }
    // Wrong credentials: Twilio's 401.
    let wrong = CallsClient::from_config(
        reqwest::Client::new(),
        &TwilioConfig {
            account_sid: Some(SID.into()),
            auth_token: Some("not-the-token".into()),
            api_base_url: h.twilio_base.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    match wrong.place_call(&h.place("+12125550100", "ai")).await {
        Err(CallError::Refused {
            refusal: Refusal::Account,
            status: 401,
            code: Some(20003),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // Nothing was played for refused calls.
    assert!(h.sandbox.calls().is_empty());
    assert!(h.received.lock().unwrap().is_empty());

    // The raw error body is Twilio's shape.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{SID}/Calls.json",
            h.twilio_base.clone()
        ))
        .basic_auth(SID, Some(TOKEN))
        .form(&[
            ("To", "+15005550002"),
            ("From", FROM),
            ("Url", "https://x.test/t"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 21214);
    assert_eq!(body["status"], 400);
    assert_eq!(
        body["more_info"],
        "https://www.twilio.com/docs/errors/21214"
    );
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn elevenlabs_outbound_call_places_and_reports_the_call() {
    let h = Harness::start().await;
    let mut client_data = ClientData::default();
    client_data
        .dynamic_variables
        .insert("customer_name".into(), json!("Bo Chen"));
    let call = |to: &str| OutboundCall {
        agent_phone_number_id: "phnum_sandbox".into(),
        to_number: to.into(),
        client_data: client_data.clone(),
        call_recording_enabled: None,
        ringing_timeout_secs: Some(30),
    };
    let placed = h
        .elevenlabs
        .outbound_call(&call("+13125550100"))
        .await
        .unwrap();
    assert!(placed.success);
    let sid = placed.call_sid.clone().unwrap();
    let conversation_id = placed.conversation_id.clone().unwrap();
    let played = h
        .sandbox
        .finished(&sid, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(played.finished);
    let received = h.received.lock().unwrap().clone();
    let webhooks: Vec<&Received> = received
        .iter()
        .filter(|r| r.route() == "/webhooks/elevenlabs")
        .collect();
    assert_eq!(webhooks.len(), 1);
    h.check_signature(webhooks[0]);
    let body: Value = serde_json::from_slice(&webhooks[0].body).unwrap();
    assert_eq!(body["data"]["conversation_id"], conversation_id.as_str());
    assert_eq!(
        body["data"]["metadata"]["phone_call"]["call_sid"],
        sid.as_str()
    );
    assert!(body["data"]["transcript"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Bo Chen"));
    // No Twilio callbacks reach us for calls ElevenLabs placed.
    assert!(received.iter().all(|r| r.route() == "/webhooks/elevenlabs"));

    // Busy: ElevenLabs reports a call initiation failure.
    let placed = h
        .elevenlabs
        .outbound_call(&call("+13125550101"))
        .await
        .unwrap();
    let sid = placed.call_sid.unwrap();
    h.sandbox
        .finished(&sid, Duration::from_secs(10))
        .await
        .unwrap();
    let received = h.received.lock().unwrap().clone();
    let last = received.last().unwrap();
    h.check_signature(last);
    let body: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(body["type"], "call_initiation_failure");
    assert_eq!(body["data"]["failure_reason"], "busy");

    // Magic numbers: not placed.
    let refused = h.elevenlabs.outbound_call(&call("+15005550001")).await;
    assert!(
        matches!(refused, Err(ref e) if !e.is_transient()),
        "{refused:?}"
    );
}

#[tokio::test]
async fn elevenlabs_checks_the_key_and_the_agent() {
    let h = Harness::start().await;
    let base = h.elevenlabs_base.clone();
    let register = |key: &str, agent: &str| {
        reqwest::Client::new()
            .post(format!("{base}/v1/convai/twilio/register-call"))
            .header("xi-api-key", key)
            .json(&json!({"agent_id": agent, "from_number": FROM, "to_number": "+12125550100"}))
            .send()
    };
    assert_eq!(
        register("nope", AGENT).await.unwrap().status().as_u16(),
        401
    );
    assert_eq!(
        register(XI_KEY, "agent_other")
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let ok = register(XI_KEY, AGENT).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.text().await.unwrap().contains("<Connect><Stream"));
    let missing = reqwest::Client::new()
        .post(format!("{base}/v1/convai/twilio/register-call"))
        .header("xi-api-key", XI_KEY)
        .json(&json!({"agent_id": AGENT, "from_number": FROM}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 422);
    let register_with_client = h
        .elevenlabs
        .register_call(&RegisterCall {
            from_number: FROM.into(),
            to_number: "+12125550100".into(),
            direction: Default::default(),
            client_data: ClientData::default(),
        })
        .await
        .unwrap();
    assert!(register_with_client.starts_with("<?xml"));
}

const PYTHON_CHECK: &str = r#"
import json, sys
from twilio.request_validator import RequestValidator
case = json.load(sys.stdin)
v = RequestValidator(case["token"])
print(json.dumps(v.validate(case["url"], dict(case["params"]), case["signature"])))
"#;

#[tokio::test]
async fn twilios_own_library_accepts_the_sandbox_signatures() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let available = Command::new(&python)
        .args(["-c", "import twilio.request_validator"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        eprintln!(
            "SKIPPED: the twilio Python library is not installed (scripts/setup installs it)"
        );
        return;
    }
    let h = Harness::start().await;
    let (_, received) = h.play("+12125550100", "say").await;
    for r in received
        .iter()
        .filter(|r| r.route() == "/webhooks/twilio/status")
    {
        let case = json!({
            "token": TOKEN,
            "url": format!("{}{}", h.app_base, r.path),
            "params": r.params,
            "signature": r.signature,
        });
        let mut child = Command::new(&python)
            .args(["-c", PYTHON_CHECK])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(case.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "true",
            "{case}"
        );
    }
}

#[tokio::test]
async fn get_callbacks_are_signed_over_the_full_url() {
    let h = Harness::start().await;
    let base = &h.app_base;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{SID}/Calls.json",
            h.twilio_base
        ))
        .basic_auth(SID, Some(TOKEN))
        .form(&[
            ("To", "+12125550100"),
            ("From", FROM),
            ("Url", &format!("{base}/webhooks/twilio/voice?mode=say")),
            ("Method", "GET"),
            (
                "StatusCallback",
                &format!("{base}/webhooks/twilio/status?callId=get"),
            ),
            ("StatusCallbackMethod", "GET"),
            ("StatusCallbackEvent", "ringing answered"),
            ("StatusCallbackEvent", "completed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let call: Value = response.json().await.unwrap();
    let sid = call["sid"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc2822(call["date_created"].as_str().unwrap()).is_ok());
    let played = h
        .sandbox
        .finished(sid, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(played.status, "completed");
    let received = h.received.lock().unwrap().clone();
    assert_eq!(
        kinds(&received),
        [
            "status:ringing",
            "status:in-progress",
            "twiml",
            "status:completed"
        ]
    );
    let sequence: Vec<_> = received
        .iter()
        .filter_map(|r| r.param("SequenceNumber"))
        .collect();
    assert_eq!(sequence, ["0", "1", "2"]);
    for r in &received {
        assert_eq!(r.method, Method::GET);
        assert!(r.body.is_empty());
        h.check_signature(r);
    }
}

#[tokio::test]
async fn mounts_beside_the_api_as_heyway_serve_does() {
    let app = heyway_tests::TestApp::new().await;
    let sandbox = Sandbox::new(SandboxSettings {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        timing: Timing::instant(),
        ..SandboxSettings::development(reqwest::Client::new())
    });
    let router = app
        .router
        .clone()
        .nest(heyway_dev::sandbox::MOUNT, sandbox.router());
    let base = heyway_tests::fake_server::serve(router).await;
    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/api/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let calls = CallsClient::from_config(
        http.clone(),
        &TwilioConfig {
            account_sid: Some(SID.into()),
            auth_token: Some(TOKEN.into()),
            api_base_url: format!("{base}/sandbox/twilio"),
            ..Default::default()
        },
    )
    .unwrap();
    let placed = calls
        .place_call(&PlaceCall {
            to: "+12125550102".into(),
            from: FROM.into(),
            script: CallScript::Twiml("<Response><Say>Hi</Say></Response>".into()),
            status_callback: None,
            amd_status_callback: None,
            timeout_secs: None,
            wait_for_beep: false,
        })
        .await
        .unwrap();
    sandbox
        .finished(&placed.sid, Duration::from_secs(10))
        .await
        .unwrap();
    let key = sandbox.settings().access_key.expose().to_string();
    let log: Value = http
        .get(format!("{base}/sandbox/calls"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["sid"], placed.sid.as_str());
    assert_eq!(log[0]["status"], "no-answer");
    assert_eq!(log[0]["outcome"], "no-answer");
    assert_eq!(log[0]["finished"], true);
    // Unknown paths under the mount still get the API's JSON 404.
    let missing = http
        .get(format!("{base}/sandbox/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

/// Issue 12: anyone reaching `heyway serve`'s port read every tenant's
/// calls at `GET /sandbox/calls`. The log needs the run's access key.
#[tokio::test]
async fn the_call_log_needs_the_access_key() {
    let h = Harness::start().await;
    let (sid, _) = h.play("+12125550100", "say").await;
    let base = h.twilio_base.trim_end_matches("/twilio").to_string();
    let http = reqwest::Client::new();
    let get = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    let url = format!("{base}/calls");
    for refused in [
        http.get(&url),
        http.get(&url).bearer_auth("sandbox-test-log-ke"),
        http.get(&url).bearer_auth(TOKEN),
        http.get(&url).bearer_auth(XI_KEY),
        http.get(format!("{url}?key=")),
        http.get(format!("{url}?key=wrong")),
    ] {
        let (status, body) = get(refused).await;
        assert_eq!(status, 401, "{body}");
        assert!(!body.contains(&sid), "{body}");
        assert!(!body.contains("+12125550100"), "{body}");
    }
    for admitted in [
        http.get(&url).bearer_auth(LOG_KEY),
        http.get(format!("{url}?key={LOG_KEY}")),
    ] {
        let (status, body) = get(admitted).await;
        assert_eq!(status, 200, "{body}");
        let log: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(log[0]["sid"], sid.as_str());
    }
}

/// Issue 12: the sandbox accepted the public `xi-api-key`
/// `sandbox-xi-api-key`, so anyone could have it post a signed post-call
/// webhook naming another tenant's call. Its keys are random per run now.
#[tokio::test]
async fn the_old_public_keys_place_nothing() {
    let settings = SandboxSettings::development(reqwest::Client::new());
    let other = SandboxSettings::development(reqwest::Client::new());
    for (key, old) in [
        (&settings.auth_token, "sandbox-twilio-auth-token"),
        (&settings.elevenlabs_api_key, "sandbox-xi-api-key"),
        (
            &settings.elevenlabs_webhook_secret,
            "sandbox-elevenlabs-webhook-secret",
        ),
    ] {
        assert_ne!(key, old);
        assert!(key.len() >= 64, "{key}");
    }
    assert_ne!(settings.auth_token, other.auth_token);
    assert_ne!(settings.elevenlabs_api_key, other.elevenlabs_api_key);
    assert_ne!(
        settings.elevenlabs_webhook_secret,
        other.elevenlabs_webhook_secret
    );
    assert_ne!(settings.access_key, other.access_key);

    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().fallback(receive).with_state(App {
        received: received.clone(),
        elevenlabs: ElevenLabsClient::from_config(
            reqwest::Client::new(),
            &ElevenLabsConfig {
                api_key: Some("unused".into()),
                agent_id: Some("unused".into()),
                base_url: "http://127.0.0.1:9".into(),
                webhook_secret: None,
            },
        )
        .unwrap(),
    });
    let app_base = heyway_tests::fake_server::serve(app).await;
    let sandbox = Sandbox::new(SandboxSettings {
        timing: Timing::instant(),
        elevenlabs_webhook_url: Some(format!("{app_base}/webhooks/elevenlabs")),
        ..settings
    });
    let base = heyway_tests::fake_server::serve(sandbox.router()).await;
    let agent = sandbox.settings().agent_id.clone();
    let http = reqwest::Client::new();
    // The attack, replayed: an outbound call naming a victim's call id.
    let attack = json!({
        "agent_id": agent,
        "agent_phone_number_id": "phnum_sandbox",
        "to_number": "+12125550105",
        "conversation_initiation_client_data": {
            "dynamic_variables": { "heyway_call_id": "665f00000000000000000001" },
            "conversation_config_override": {
                "agent": { "first_message": "ATTACKER CONTROLLED TRANSCRIPT" }
            }
        }
    });
    for key in ["sandbox-xi-api-key", "", "nope"] {
        let response = http
            .post(format!("{base}/elevenlabs/v1/convai/twilio/outbound-call"))
            .header("xi-api-key", key)
            .json(&attack)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{key:?}");
    }
    let placed = http
        .post(format!(
            "{base}/twilio/2010-04-01/Accounts/{}/Calls.json",
            heyway_dev::sandbox::settings::DEV_ACCOUNT_SID
        ))
        .basic_auth(
            heyway_dev::sandbox::settings::DEV_ACCOUNT_SID,
            Some("sandbox-twilio-auth-token"),
        )
        .form(&[
            ("To", "+12125550100"),
            ("From", FROM),
            ("Url", &format!("{app_base}/webhooks/twilio/voice")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status().as_u16(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sandbox.calls().is_empty());
    assert!(received.lock().unwrap().is_empty(), "no webhook was sent");
}
