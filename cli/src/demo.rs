//! `heyway demo`: a business owner's first calls, against the sandbox,
//! through the API alone.
//!
//! Against a running `heyway serve` (`--api`) or a server of its own, it
//! does what a new user of the API would: signs up a demo owner, lets
//! calls through at any hour (`PATCH /api/me`, `preferences.quietHours`),
//! verifies a caller ID (`POST /api/caller-ids`: the telephony sandbox
//! plays Twilio's validation call and posts its signed callback) and
//! chooses it, subscribes through the Stripe sandbox's Checkout page,
//! adds eight contacts on the sandbox's outcome numbers and one
//! automation due at the start of the next minute, then checks with
//! `GET /api/automations/{id}/preview` that every recipient's call is due
//! then (saying which waits, and why, if one does). The evaluator records
//! the calls on its next one-minute tick and the dialer places them
//! through the sandbox; the demo watches `GET /api/scheduled-calls`,
//! `GET /api/calls` and the sandbox's own log (with the sandbox's per-run
//! key: its own server's, or the one `heyway serve` wrote), printing each
//! call as it ends: number, outcome, transcript and analysis.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use heyway::Config;
use heyway_dev::sandbox::AccessKey;
use serde_json::{json, Value};

const INSTRUCTIONS: &str = "Let them know their car has passed inspection and is ready for pickup at Park Motors, open until 6 pm today. Offer to arrange a later pickup.";

/// Made-up people on fictional 555-01NN numbers (docs/sandbox.md): name,
/// number, what the sandbox plays, and how the scheduled call ends.
const CONTACTS: [(&str, &str, &str, &str); 8] = [
    (
        "Ada Park",
        "+12125550100",
        "answers, asks for a call back",
        "completed",
    ),
    ("Ben Ortiz", "+12125550101", "busy", "failed"),
    ("Cleo Nguyen", "+12125550102", "no answer", "failed"),
    ("Dev Shah", "+12125550103", "voicemail", "failed"),
    ("Eli Brooks", "+12125550104", "call fails", "failed"),
    (
        "Fay Moreno",
        "+12125550105",
        "asks not to be called again",
        "completed",
    ),
    (
        "Gus Lee",
        "+15005550001",
        "invalid number (Twilio 21217)",
        "failed",
    ),
    (
        "Hal Kim",
        "+12125550106",
        "answers; callbacks out of order",
        "completed",
    ),
];

/// One demo contact: name, number, outcome in words, expected end.
type Contact = (&'static str, &'static str, &'static str, &'static str);

const FINAL: [&str; 5] = ["completed", "failed", "cancelled", "canceled", "missed"];

/// Area codes for the demo's caller ID, a fictional 555-01NN number: each
/// run verifies a new one, since a number verified by an earlier demo
/// owner on the same server belongs to that account.
const CALLER_ID_AREAS: [&str; 6] = ["212", "312", "415", "617", "702", "808"];

/// How long the sandbox may take to play the validation call.
const CALLER_ID_WAIT: Duration = Duration::from_secs(60);

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
            .with_context(|| format!("calling {}{path}", self.base))?;
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

    async fn patch(&self, path: &str, body: Value) -> anyhow::Result<(u16, Value)> {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// Whether the server runs the telephony sandbox: its log answers 401
    /// without a key (200 with one), and 404 when the sandbox is off.
    async fn telephony_sandbox_on(&self) -> anyhow::Result<bool> {
        let response = self
            .http
            .get(format!("{}/sandbox/calls", self.base))
            .send()
            .await
            .context("calling /sandbox/calls")?;
        Ok(response.status() != reqwest::StatusCode::NOT_FOUND)
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

/// Runs the demo against the API at `base`, through the API only;
/// `sandbox_key` reads the sandbox's log.
pub async fn run(base: &str, timeout: Duration, sandbox_key: Option<String>) -> anyhow::Result<()> {
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
    let (status, health) = api
        .get("/api/health")
        .await
        .with_context(|| format!("no HeyWay API answers at {base}: is `heyway serve` running?"))?;
    if status != 200 {
        bail!("the API at {base} is not healthy ({status}): {health}");
    }
    if !api.telephony_sandbox_on().await? {
        bail!(
            "the server at {base} dials through real Twilio (it has Twilio or ElevenLabs keys, so no \
             telephony sandbox): the demo only runs against the sandbox"
        );
    }
    sign_up(&mut api).await?;
    allow_calls_all_day(&api).await?;
    let caller_id = verify_caller_id(&api).await?;
    println!("Caller ID {caller_id} verified through the sandbox's validation call, and chosen.");
    subscribe(&api).await?;

    let contacts = add_contacts(&api).await?;
    let due = next_minute(chrono::Utc::now());
    let automation_id = add_automation(&api, &contacts, due).await?;
    let waiting = report_waits(&api, &automation_id, &contacts, due).await?;
    let now_due: HashMap<String, Contact> = contacts
        .into_iter()
        .filter(|(id, _)| !waiting.contains(id))
        .collect();
    println!(
        "\nAutomation {automation_id} calls {} contacts at {due} (the evaluator runs once a minute). Waiting up to {}s...\n",
        now_due.len(),
        timeout.as_secs()
    );
    let expected = recorded_calls(&api, &automation_id, &now_due, timeout).await?;
    watch(&api, &expected, timeout).await
}

/// Signs up a demo owner and signs the client in.
async fn sign_up(api: &mut Api) -> anyhow::Result<()> {
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
        .context("registration answered no user id")?;
    println!("Signed up {email} (user {user_id}).");
    Ok(())
}

/// The demo runs at any hour: calling hours all day, in every zone, and
/// the federal and state calling-hours rules off (its calls are not
/// telephone solicitations; docs/compliance.md).
async fn allow_calls_all_day(api: &Api) -> anyhow::Result<()> {
    let (status, me) = api
        .patch(
            "/api/me",
            json!({"preferences": {"quietHours": {"start": "00:00", "end": "23:59"}, "callingRules": "off"}}),
        )
        .await?;
    if status != 200 {
        bail!("setting calling hours failed ({status}): {me}");
    }
    println!("Calling hours set to 00:00-23:59 in each recipient's zone, state rules off.");
    Ok(())
}

/// Verifies a fresh fictional caller ID through `POST /api/caller-ids`
/// (the sandbox plays the validation call and posts its callback), waits
/// until the API lists it verified, and chooses it with `PATCH /api/me`.
async fn verify_caller_id(api: &Api) -> anyhow::Result<String> {
    let mut tries = 0;
    let number = loop {
        tries += 1;
        let area = CALLER_ID_AREAS[rand::random::<u32>() as usize % CALLER_ID_AREAS.len()];
        // 555-0100 to 555-0199, but not 555-0102: the sandbox fails its
        // validation call (no answer).
        let line = match rand::random::<u32>() % 99 {
            2 => 99,
            n => n,
        };
        let number = format!("+1{area}55501{line:02}");
        let (status, answer) = api
            .post(
                "/api/caller-ids",
                json!({"phoneNumber": number, "friendlyName": "Park Motors (demo)"}),
            )
            .await?;
        match status {
            201 => {
                let code = answer["validationCode"].as_str().unwrap_or("?");
                println!(
                    "Verifying caller ID {number}: the sandbox calls it and types the code {code}."
                );
                break number;
            }
            // Verified by an earlier demo owner on this server: another.
            409 if tries < 5 => continue,
            _ => bail!("verifying the caller ID {number} failed ({status}): {answer}"),
        }
    };
    let deadline = tokio::time::Instant::now() + CALLER_ID_WAIT;
    loop {
        let (status, list) = api.get("/api/caller-ids").await?;
        let entry = list["callerIds"]
            .as_array()
            .filter(|_| status == 200)
            .and_then(|ids| ids.iter().find(|id| id["phoneNumber"] == number.as_str()))
            .cloned();
        match entry.as_ref().and_then(|e| e["status"].as_str()) {
            Some("verified") => break,
            Some("failed") => bail!("the sandbox's validation call to {number} failed"),
            _ if tokio::time::Instant::now() >= deadline => bail!(
                "caller ID {number} was not verified within {}s (GET /api/caller-ids: {status} {list})",
                CALLER_ID_WAIT.as_secs()
            ),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
    let (status, me) = api
        .patch("/api/me", json!({"preferredCallerID": number}))
        .await?;
    if status != 200 {
        bail!("choosing the caller ID {number} failed ({status}): {me}");
    }
    Ok(number)
}

/// Pays for calls: checkout through the Stripe sandbox's hosted page,
/// which sends the signed webhooks that activate the subscription.
async fn subscribe(api: &Api) -> anyhow::Result<()> {
    let (status, session) = api.post("/api/billing/checkout", json!({})).await?;
    let url = session["url"]
        .as_str()
        .filter(|_| status == 200)
        .with_context(|| format!("starting checkout failed ({status}): {session}"))?;
    // The sandbox's page is on the server itself (whatever host name it
    // calls itself by); real Stripe's is not.
    let sandbox_page = reqwest::Url::parse(url)
        .is_ok_and(|parsed| parsed.path().starts_with("/sandbox/stripe/checkout/"));
    if !sandbox_page {
        bail!(
            "the server bills through real Stripe (checkout is at {url}): the demo pays only \
             through the Stripe sandbox, so its calls would be refused for want of minutes"
        );
    }
    let paid = api
        .http
        .get(url)
        .send()
        .await
        .context("opening the sandbox's checkout page")?;
    if !paid.status().is_success() {
        bail!("the sandbox's checkout page answered {}", paid.status());
    }
    let (status, subscription) = api.get("/api/billing/subscription").await?;
    if status != 200 || subscription["hasActiveSubscription"] != true {
        bail!("the subscription is not active after checkout ({status}): {subscription}");
    }
    println!(
        "Subscribed through the Stripe sandbox's checkout (plan {}); minutes are metered there.",
        subscription["plan"].as_str().unwrap_or("?")
    );
    Ok(())
}

/// The demo contacts, by id.
async fn add_contacts(api: &Api) -> anyhow::Result<HashMap<String, Contact>> {
    let mut contacts = HashMap::new();
    println!("Contacts:");
    for contact @ (name, number, outcome, _) in CONTACTS {
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
    Ok(contacts)
}

/// One automation calling every contact at `due` (UTC).
async fn add_automation(
    api: &Api,
    contacts: &HashMap<String, Contact>,
    due: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
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
    automation["id"]
        .as_str()
        .filter(|_| status < 300)
        .map(str::to_string)
        .with_context(|| format!("creating the automation failed ({status}): {automation}"))
}

/// Asks the automation's preview when each contact's call is placed and
/// says which ones wait past `due` (and why) or are skipped; answers
/// their contact ids.
async fn report_waits(
    api: &Api,
    automation_id: &str,
    contacts: &HashMap<String, Contact>,
    due: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<String>> {
    let (status, preview) = api
        .get(&format!("/api/automations/{automation_id}/preview?days=2"))
        .await?;
    if status != 200 {
        bail!("previewing the automation failed ({status}): {preview}");
    }
    let mut waiting = Vec::new();
    let planned: HashMap<&str, &Value> = preview["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| Some((call["contactId"].as_str()?, call)))
        .collect();
    for (id, (name, number, _, _)) in contacts {
        let Some(call) = planned.get(id.as_str()) else {
            let reason = preview["skipped"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["contactId"] == id.as_str())
                .and_then(|s| s["reason"].as_str())
                .unwrap_or("not in the next two days");
            println!("  {name} ({number}) will not be called: {reason}.");
            waiting.push(id.clone());
            continue;
        };
        let call_at = call["callAt"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if call_at.is_some_and(|at| at > due) {
            println!(
                "  {name} ({number}) waits until {} ({} in {}): outside the calling hours there.",
                call["callAt"].as_str().unwrap_or("?"),
                call["localTime"].as_str().unwrap_or("?"),
                call["timezone"].as_str().unwrap_or("?"),
            );
            waiting.push(id.clone());
        }
    }
    if waiting.len() == contacts.len() {
        bail!("no call of the automation is due at {due}");
    }
    Ok(waiting)
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
async fn recorded_calls(
    api: &Api,
    automation_id: &str,
    contacts: &HashMap<String, Contact>,
    timeout: Duration,
) -> anyhow::Result<HashMap<String, Contact>> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let (status, page) = api
            .get(&format!(
                "/api/scheduled-calls?automationId={automation_id}&limit=100"
            ))
            .await?;
        let recorded: HashMap<String, Contact> = page["items"]
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
                "the evaluator recorded {} of {} calls within {}s: is the server's evaluator on (HEYWAY_EVALUATOR)?",
                recorded.len(),
                contacts.len(),
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Where the demo's own server writes its logs, in its data dir.
pub const SERVER_LOG: &str = "server.log";

/// The demo's own server's log file, `<data_dir>/server.log` (emptied).
pub fn server_log(data_dir: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join(SERVER_LOG);
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok((path, file))
}

/// `heyway demo`: against `--api` (`sandbox_key` reads its sandbox's
/// log), or a server of its own (always with the telephony and Stripe
/// sandboxes: the demo never dials nor charges for real) on a free port,
/// whose key it makes; its logs go to `log` (said before it starts).
pub async fn command(
    mut config: Config,
    api: Option<String>,
    timeout: u64,
    data_dir: &Path,
    sandbox_key: Option<String>,
    log: Option<&Path>,
) -> anyhow::Result<()> {
    let timeout = std::time::Duration::from_secs(timeout);
    if let Some(api) = api {
        return run(&api, timeout, sandbox_key).await;
    }
    if let Some(log) = log {
        println!("The demo's own server logs to {}.", log.display());
    }
    let (db, local) = crate::connect(&config, data_dir).await?;
    heyway::infra::indexes::migrate(&db).await?;
    config.port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // Any real telephony or Stripe key would turn its sandbox off.
    config.twilio.account_sid = None;
    config.twilio.auth_token = None;
    config.elevenlabs.api_key = None;
    config.elevenlabs.webhook_secret = None;
    config.stripe.secret_key = None;
    config.stripe.webhook_secret = None;
    config.stripe.success_url = None;
    config.stripe.cancel_url = None;
    config.stripe.portal_return_url = None;
    config.webhook_base_url = None;
    config.evaluator_enabled = true;
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
        run(&base, timeout, Some(key.expose().to_string())).await
    } else {
        Err(anyhow::anyhow!("the demo server did not start on {base}"))
    };
    server.abort();
    crate::stop(local).await;
    match (result, log) {
        (Err(error), Some(log)) => Err(anyhow::anyhow!(
            "{error:#} (the demo server's log: {})",
            log.display()
        )),
        (result, _) => result,
    }
}

/// What was last printed about one scheduled call.
#[derive(Default)]
struct Seen {
    status: String,
    printed_call: bool,
}

async fn watch(
    api: &Api,
    expected: &HashMap<String, Contact>,
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
            let Some((name, number, _, _)) = expected.get(id) else {
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
            // The whole call (transcript, analysis) from the API.
            let detail = match record.and_then(|r| r["id"].as_str()) {
                Some(call_id) => match api.get(&format!("/api/calls/{call_id}")).await? {
                    (200, detail) => Some(detail),
                    _ => None,
                },
                None => None,
            };
            // Answered AI calls: wait a little for the transcript and the
            // analysis, which the post-call webhook brings after the end.
            let waiting_for_transcript = played.is_some_and(|p| p["finished"] != true)
                || detail.as_ref().is_some_and(|d| {
                    d["answeredBy"] == "human"
                        && d["conversationId"].is_string()
                        && (d["transcript"].as_array().is_none_or(Vec::is_empty)
                            || d["analysis"].is_null())
                });
            if waiting_for_transcript && tokio::time::Instant::now() < deadline {
                done = false;
                continue;
            }
            print_call(name, number, call, detail.as_ref().or(record), played);
            entry.printed_call = true;
        }
        if done && seen.len() == expected.len() {
            println!("\nAll {} calls are done.", expected.len());
            return check_ends(expected, &seen);
        }
        if tokio::time::Instant::now() >= deadline {
            let pending: Vec<_> = seen
                .iter()
                .filter(|(_, s)| !FINAL.contains(&s.status.as_str()))
                .map(|(id, s)| {
                    let name = expected.get(id).map_or("?", |(name, ..)| *name);
                    format!("{name} ({})", s.status)
                })
                .collect();
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
            bail!(
                "timed out after {}s still waiting on {}: is the dialer running in `heyway serve`?",
                timeout.as_secs(),
                if pending.is_empty() {
                    "transcripts".to_string()
                } else {
                    pending.join(", ")
                }
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Every call ended as its number makes the sandbox play it, or an error
/// naming those that did not.
fn check_ends(
    expected: &HashMap<String, Contact>,
    seen: &BTreeMap<String, Seen>,
) -> anyhow::Result<()> {
    let mut unexpected: Vec<String> = expected
        .iter()
        .filter_map(|(id, (name, _, _, end))| {
            let status = seen.get(id).map_or("?", |s| s.status.as_str());
            (status != *end).then(|| format!("{name} {status} (expected {end})"))
        })
        .collect();
    if unexpected.is_empty() {
        return Ok(());
    }
    unexpected.sort();
    bail!("calls ended unexpectedly: {}", unexpected.join(", "))
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
        let duration = record["durationSecs"]
            .as_f64()
            .or(record["metrics"]["duration"].as_f64())
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
        .and_then(|r| r["transcript"].as_array())
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
