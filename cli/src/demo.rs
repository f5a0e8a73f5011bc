//! `heyway demo`: a business owner's first calls, against the sandbox.
//!
//! Signs up a demo owner through the API, verifies a caller ID (there is
//! no API for that yet: straight into `verifiedNumbers`), gives the
//! account free minutes, creates contacts whose numbers choose the
//! sandbox outcomes, schedules an AI call to each a few seconds from now,
//! then watches `GET /api/scheduled-calls`, `GET /api/calls` (when the
//! server has it) and the sandbox's own log (with the sandbox's per-run
//! key: its own server's, or the one `heyway serve` wrote), printing each
//! call as it ends: number, outcome, transcript and analysis.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{bail, Context};
use heyway::{Config, Db};
use heyway_dev::sandbox::AccessKey;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use serde_json::{json, Value};

/// The caller ID the demo owner "verifies" (Twilio's test sender).
const CALLER_ID: &str = "+15005550006";

const INSTRUCTIONS: &str = "Let them know their car has passed inspection and is ready for pickup at Park Motors, open until 6 pm today. Offer to arrange a later pickup.";

/// Made-up people on fictional 555-01NN numbers (docs/sandbox.md).
const CONTACTS: [(&str, &str, &str); 8] = [
    ("Ada Park", "+12125550100", "answers, asks for a call back"),
    ("Ben Ortiz", "+12125550101", "busy"),
    ("Cleo Nguyen", "+12125550102", "no answer"),
    ("Dev Shah", "+12125550103", "voicemail"),
    ("Eli Brooks", "+12125550104", "call fails"),
    ("Fay Moreno", "+12125550105", "asks not to be called again"),
    ("Gus Lee", "+15005550001", "invalid number (Twilio 21217)"),
    ("Hal Kim", "+12125550106", "answers; callbacks out of order"),
];

const FINAL: [&str; 5] = ["completed", "failed", "cancelled", "canceled", "missed"];

/// An HTTP client for the API, signed in once a token is set.
struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// Reads `GET /sandbox/calls`.
    sandbox_key: Option<String>,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {path}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, json))
    }

    async fn get(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<(u16, Value)> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// The sandbox's log of played calls; empty without the key.
    async fn sandbox_calls(&self) -> anyhow::Result<Vec<Value>> {
        let Some(key) = &self.sandbox_key else {
            return Ok(Vec::new());
        };
        let response = self
            .http
            .get(format!("{}/sandbox/calls", self.base))
            .bearer_auth(key)
            .send()
            .await
            .context("calling /sandbox/calls")?;
        if !response.status().is_success() {
            return Ok(Vec::new());
        }
        match response.json().await {
            Ok(Value::Array(log)) => Ok(log),
            _ => Ok(Vec::new()),
        }
    }
}

/// Runs the demo against the API at `base`; `db` (the server's database)
/// verifies the caller ID and grants free minutes; `sandbox_key` reads
/// the sandbox's log.
pub async fn run(
    base: &str,
    db: Option<&Db>,
    timeout: Duration,
    sandbox_key: Option<String>,
) -> anyhow::Result<()> {
    if sandbox_key.is_none() {
        println!(
            "No sandbox key (--sandbox-key, HEYWAY_SANDBOX_KEY or the server's <data dir>/sandbox-key): \
             the sandbox's own log of the calls is not shown."
        );
    }
    let mut api = Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()?,
        base: base.trim_end_matches('/').to_string(),
        token: None,
        sandbox_key,
    };
    let (status, health) = api.get("/api/health").await?;
    if status != 200 {
        bail!("the API at {base} is not healthy ({status}): {health}");
    }

    let suffix: u32 = rand::random::<u32>() % 1_000_000;
    let email = format!("demo-{suffix}@example.test");
    let (status, session) = api
        .post(
            "/api/auth/register",
            json!({"name": "Dana Demo", "email": email, "password": "demo-password-2026", "timezone": "America/New_York"}),
        )
        .await?;
    if !(200..300).contains(&status) {
        bail!("registering the demo owner failed ({status}): {session}");
    }
    api.token = session["token"].as_str().map(str::to_string);
    let user_id = session["user"]["id"]
        .as_str()
        .context("registration answered no user id")?
        .to_string();
    println!("Signed up {email} (user {user_id}).");

    match db {
        Some(db) => {
            let id: ObjectId = user_id.parse().context("user id")?;
            let now = DateTime::now();
            db.raw("verifiedNumbers")
                .insert_one(doc! {
                    "_id": ObjectId::new(), "userId": id, "phoneNumber": CALLER_ID,
                    "verified": true, "createdAt": now, "updatedAt": now, "__v": 0,
                })
                .await?;
            db.raw("users")
                .update_one(
                    doc! {"_id": id},
                    doc! {"$set": {
                        "freeMinutes": 60, "freeCalls": 20, "isPhoneVerified": true,
                        // The demo runs at any hour: calling hours all day.
                        "preferences.quietHours": {"start": "00:00", "end": "23:59"},
                    }},
                )
                .await?;
            let (status, me) = api
                .send(
                    reqwest::Method::PATCH,
                    "/api/me",
                    Some(json!({"preferredCallerID": CALLER_ID})),
                )
                .await?;
            if status == 200 {
                println!("Caller ID {CALLER_ID} verified and chosen; 60 free minutes granted.");
            } else {
                println!("Could not choose the caller ID ({status}): {me}");
            }
        }
        None => println!(
            "No database access (set MONGODB_URI to the server's): the caller ID is not verified, so the dialer will refuse the calls."
        ),
    }

    // One automation for everyone, due at the start of the next minute
    // (UTC), which the evaluator's next tick records and hands to the
    // dialer.
    let due = next_minute(chrono::Utc::now());
    let mut contacts: HashMap<String, (&str, &str, &str)> = HashMap::new();
    for contact @ (name, number, outcome) in CONTACTS {
        let (status, created) = api
            .post(
                "/api/contacts",
                json!({"name": name, "phoneNumber": number}),
            )
            .await?;
        match created["id"].as_str().filter(|_| status < 300) {
            Some(id) => {
                println!("  {name:<12} {number}  ({outcome})");
                contacts.insert(id.to_string(), contact);
            }
            None => println!("  {name:<12} {number}  contact refused ({status}): {created}"),
        }
    }
    if contacts.is_empty() {
        bail!("no contact could be created");
    }
    let (status, automation) = api
        .post(
            "/api/automations",
            json!({
                "name": "Demo: car ready for pickup",
                "timingMode": "on_date",
                "fixedDate": due.format("%Y-%m-%d").to_string(),
                "timeOfDay": due.format("%H:%M").to_string(),
                "timezone": "UTC",
                "contacts": contacts.keys().collect::<Vec<_>>(),
                "aiInstructions": INSTRUCTIONS,
            }),
        )
        .await?;
    let automation_id = automation["id"]
        .as_str()
        .filter(|_| status < 300)
        .with_context(|| format!("creating the automation failed ({status}): {automation}"))?
        .to_string();
    println!(
        "\nAutomation {automation_id} calls {} contacts at {due} (the evaluator runs once a minute). Waiting up to {}s...\n",
        contacts.len(),
        timeout.as_secs()
    );
    let expected = recorded_calls(&api, &automation_id, &contacts, timeout).await?;
    watch(&api, &expected, timeout).await
}

/// The start of the minute after `now`, at least 20 s away so the
/// automation is saved before it is due.
fn next_minute(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    (now + TimeDelta::seconds(80))
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or(now)
}

/// The scheduled calls the evaluator records for the automation, by id,
/// with the contact each calls.
async fn recorded_calls<'a>(
    api: &Api,
    automation_id: &str,
    contacts: &HashMap<String, (&'a str, &'a str, &'a str)>,
    timeout: Duration,
) -> anyhow::Result<HashMap<String, (&'a str, &'a str, &'a str)>> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let (status, page) = api
            .get(&format!(
                "/api/scheduled-calls?automationId={automation_id}&limit=100"
            ))
            .await?;
        let recorded: HashMap<String, (&str, &str, &str)> = page["items"]
            .as_array()
            .filter(|_| status == 200)
            .into_iter()
            .flatten()
            .filter_map(|call| {
                let contact = contacts.get(call["contactId"].as_str()?)?;
                Some((call["id"].as_str()?.to_string(), *contact))
            })
            .collect();
        if recorded.len() == contacts.len() {
            return Ok(recorded);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the evaluator recorded {} of {} calls in time",
                recorded.len(),
                contacts.len()
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `heyway demo`: against `--api` (`sandbox_key` reads its sandbox's
/// log), or a server of its own (always with the telephony sandbox: the
/// demo never dials for real) on a free port, whose key it makes.
pub async fn command(
    mut config: Config,
    api: Option<String>,
    timeout: u64,
    data_dir: &std::path::Path,
    sandbox_key: Option<String>,
) -> anyhow::Result<()> {
    let timeout = std::time::Duration::from_secs(timeout);
    if let Some(api) = api {
        let db = match &config.mongodb_uri {
            Some(uri) => Some(Db::connect(uri, &config.mongodb_db).await?),
            None => None,
        };
        return run(&api, db.as_ref(), timeout, sandbox_key).await;
    }
    let (db, local) = crate::connect(&config, data_dir).await?;
    heyway::infra::indexes::migrate(&db).await?;
    config.port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // Any real telephony key would turn the sandbox off.
    config.twilio.account_sid = None;
    config.twilio.auth_token = None;
    config.elevenlabs.api_key = None;
    config.elevenlabs.webhook_secret = None;
    config.webhook_base_url = None;
    let base = format!("http://127.0.0.1:{}", config.port);
    let key = AccessKey::random();
    let options = crate::ServeOptions {
        host: "127.0.0.1".to_string(),
        access_key: key.clone(),
        key_file: None,
    };
    let server = tokio::spawn(crate::serve(db.clone(), config, options));
    let mut ready = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/api/health")).await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let result = if ready {
        run(&base, Some(&db), timeout, Some(key.expose().to_string())).await
    } else {
        Err(anyhow::anyhow!("the demo server did not start on {base}"))
    };
    server.abort();
    crate::stop(local).await;
    result
}

/// What was last printed about one scheduled call.
#[derive(Default)]
struct Seen {
    status: String,
    printed_call: bool,
}

async fn watch(
    api: &Api,
    expected: &HashMap<String, (&str, &str, &str)>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut calls_api = true;
    loop {
        let (_, page) = api.get("/api/scheduled-calls?limit=100").await?;
        let scheduled: Vec<Value> = page["items"].as_array().cloned().unwrap_or_default();
        let calls: Vec<Value> = if calls_api {
            match api.get("/api/calls?limit=100").await? {
                (200, page) => page["items"]
                    .as_array()
                    .or_else(|| page.as_array())
                    .cloned()
                    .unwrap_or_default(),
                _ => {
                    calls_api = false;
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let sandbox_log = api.sandbox_calls().await?;
        let mut done = true;
        for call in &scheduled {
            let Some(id) = call["id"].as_str() else {
                continue;
            };
            let Some((name, number, _)) = expected.get(id) else {
                continue;
            };
            let status = call["status"].as_str().unwrap_or("?").to_string();
            let entry = seen.entry(id.to_string()).or_default();
            if entry.status != status {
                let reason = call["errorMessage"]
                    .as_str()
                    .map(|m| format!(" - {m}"))
                    .unwrap_or_default();
                println!("[{name} {number}] {status}{reason}");
                entry.status = status.clone();
            }
            let record = calls
                .iter()
                .find(|c| c["scheduledCallId"].as_str() == Some(id));
            let sid = call["twilioCallSid"]
                .as_str()
                .or_else(|| record.and_then(|r| r["twilioCallSid"].as_str()));
            let played = sid
                .and_then(|sid| sandbox_log.iter().find(|c| c["sid"] == sid))
                .or_else(|| {
                    sandbox_log
                        .iter()
                        .rev()
                        .find(|c| c["to"].as_str() == Some(number))
                });
            if !FINAL.contains(&status.as_str()) {
                done = false;
                continue;
            }
            if entry.printed_call {
                continue;
            }
            // Answered AI calls: wait a little for the transcript.
            let waiting_for_transcript = played.is_some_and(|p| {
                p["finished"] != true
                    || (p["conversationId"].is_string()
                        && p["answeredBy"] == "human"
                        && p["transcript"].as_array().is_none_or(Vec::is_empty))
            });
            if waiting_for_transcript && tokio::time::Instant::now() < deadline {
                done = false;
                continue;
            }
            print_call(name, number, call, record, played);
            entry.printed_call = true;
        }
        if done && seen.len() == expected.len() {
            println!("All {} calls are done.", expected.len());
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            let pending: Vec<_> = seen
                .iter()
                .filter(|(_, s)| !FINAL.contains(&s.status.as_str()))
                .map(|(id, s)| {
                    let name = expected.get(id).map_or("?", |(name, _, _)| *name);
                    format!("{name} ({})", s.status)
                })
                .collect();
            println!(
                "Timed out. Still waiting on: {}. Is the dialer running in `heyway serve`?",
                if pending.is_empty() {
                    "nothing".to_string()
                } else {
                    pending.join(", ")
                }
            );
            if !sandbox_log.is_empty() {
                println!("The sandbox played {} calls:", sandbox_log.len());
                for played in &sandbox_log {
                    println!(
                        "  {} {} -> {} ({})",
                        played["sid"].as_str().unwrap_or("?"),
                        played["to"].as_str().unwrap_or("?"),
                        played["status"].as_str().unwrap_or("?"),
                        played["outcome"].as_str().unwrap_or("?"),
                    );
                }
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn print_call(
    name: &str,
    number: &str,
    scheduled: &Value,
    record: Option<&Value>,
    played: Option<&Value>,
) {
    println!("\n=== {name} {number} ===");
    println!(
        "  scheduled call: {}",
        scheduled["status"].as_str().unwrap_or("?")
    );
    if let Some(message) = scheduled["errorMessage"].as_str() {
        println!("  reason:         {message}");
    }
    if let Some(record) = record {
        let duration = record["metrics"]["duration"]
            .as_f64()
            .map_or_else(|| "-".to_string(), |secs| format!("{secs}s"));
        println!(
            "  call record:    {} (answered by {}, {duration})",
            record["status"].as_str().unwrap_or("?"),
            record["answeredBy"].as_str().unwrap_or("-"),
        );
    }
    if let Some(played) = played {
        println!(
            "  sandbox:        {} {} ({})",
            played["sid"].as_str().unwrap_or("?"),
            played["status"].as_str().unwrap_or("?"),
            played["outcome"].as_str().unwrap_or("?"),
        );
    }
    let transcript = record
        .and_then(|r| r["transcription"].as_array())
        .filter(|t| !t.is_empty())
        .or_else(|| played.and_then(|p| p["transcript"].as_array()));
    if let Some(turns) = transcript.filter(|t| !t.is_empty()) {
        println!("  transcript:");
        for turn in turns {
            let role = turn["role"]
                .as_str()
                .or(turn["speaker"].as_str())
                .unwrap_or("?");
            let text = turn["message"]
                .as_str()
                .or(turn["text"].as_str())
                .unwrap_or("");
            println!("    {role:>5}: {text}");
        }
    }
    let analysis = record
        .map(|r| &r["analysis"])
        .filter(|a| a.is_object())
        .or_else(|| played.map(|p| &p["analysis"]).filter(|a| a.is_object()));
    if let Some(analysis) = analysis {
        println!("  analysis:");
        if let Some(summary) = analysis["summary"]
            .as_str()
            .or(analysis["transcript_summary"].as_str())
        {
            println!("    summary:     {summary}");
        }
        let collected = &analysis["data_collection_results"];
        for (label, app_key, id) in [
            ("category", "category", "category"),
            ("follow-up", "followUpNeeded", "follow_up_needed"),
            ("sentiment", "sentiment", "sentiment"),
            ("opt-out", "optOut", "opt_out"),
        ] {
            let value = if analysis[app_key].is_null() {
                &collected[id]["value"]
            } else {
                &analysis[app_key]
            };
            if !value.is_null() {
                println!("    {label:<12} {value}");
            }
        }
    }
}
