//! Our `X-Twilio-Signature` against Twilio's own Python helper library,
//! an implementation we did not write: random URLs and parameters signed
//! by `twilio.request_validator.RequestValidator` must validate with ours,
//! and ours must equal theirs. `scripts/setup` installs `twilio`; without
//! it the test says so and skips.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use heyway::integrations::twilio::signature;
use serde_json::{json, Value};

/// Signs each case with Twilio's library, with repeated names kept
/// (a MultiDict, as Flask gives it), and checks our signatures with theirs.
const SNIPPET: &str = r#"
import json, sys
from twilio.request_validator import RequestValidator

class Multi(dict):
    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs
        for k, v in pairs:
            self.setdefault(k, v)
    def getall(self, name):
        return [v for k, v in self.pairs if k == name]

out = []
for case in json.load(sys.stdin):
    v = RequestValidator(case["token"])
    params = Multi([tuple(p) for p in case["params"]])
    out.append({
        "signature": v.compute_signature(case["url"], params),
        "accepts_ours": v.validate(case["url"], params, case["ours"]),
    })
json.dump(out, sys.stdout)
"#;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn twilio_available() -> bool {
    Command::new(python())
        .args(["-c", "import twilio.request_validator"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// xorshift64*: reproducible from the printed seed, no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn text(&mut self, max: usize) -> String {
        const CHARS: &[&str] = &[
            "a", "Z", "0", "9", " ", "+", "&", "=", "%", "/", "?", "_", "-", ".", "é", "ß", "€",
            "日", "😀", "\"", "'",
        ];
        (0..self.below(max) + 1)
            .map(|_| CHARS[self.below(CHARS.len())])
            .collect()
    }
    fn name(&mut self) -> String {
        const NAMES: &[&str] = &[
            "CallSid",
            "AccountSid",
            "From",
            "To",
            "CallStatus",
            "Digits",
            "AnsweredBy",
            "StatusCallbackEvent",
            "Caller",
            "a",
            "B",
            "_x",
        ];
        NAMES[self.below(NAMES.len())].to_string()
    }
}

fn random_case(rng: &mut Rng) -> (String, String, Vec<(String, String)>) {
    let token = format!("{:032x}", rng.next() as u128 * rng.next() as u128);
    let scheme = ["https", "http"][rng.below(2)];
    let host = [
        "example.test",
        "hooks.heyway.test",
        "abc123.lambda-url.us-east-1.on.aws",
    ][rng.below(3)];
    let port = ["", ":443", ":80", ":8443"][rng.below(4)];
    let query = match rng.below(3) {
        0 => String::new(),
        1 => format!("?id={}", rng.next() % 1000),
        _ => format!("?a=1&b=%20x&c={}", rng.next() % 10),
    };
    let url = format!("{scheme}://{host}{port}/twilio/status{query}");
    let mut params: Vec<(String, String)> = Vec::new();
    for i in 0..rng.below(8) {
        let name = rng.name();
        // Twilio's library folds identical values of one name; Twilio
        // never sends those, so values are kept distinct.
        let value = format!("{}{i}", rng.text(12));
        params.push((name, value));
    }
    (token, url, params)
}

fn run_python(cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new(python())
        .args(["-c", SNIPPET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(cases).expect("json").as_bytes())
        .expect("write cases");
    let output = child.wait_with_output().expect("python output");
    assert!(output.status.success(), "python failed");
    serde_json::from_slice(&output.stdout).expect("python answered JSON")
}

#[test]
fn agrees_with_twilios_python_library() {
    if !twilio_available() {
        eprintln!(
            "SKIPPED: `{} -c 'import twilio'` failed; run scripts/setup to install Twilio's Python library",
            python()
        );
        return;
    }
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    eprintln!("seed {seed}");
    let mut rng = Rng(seed);
    let mut cases = Vec::new();
    let mut inputs = Vec::new();
    // The contracts.md vector first, then random ones.
    inputs.push((
        "12345".to_string(),
        "https://mycompany.com/myapp.php?foo=1&bar=2".to_string(),
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>(),
    ));
    for _ in 0..60 {
        inputs.push(random_case(&mut rng));
    }
    for (token, url, params) in &inputs {
        cases.push(json!({
            "token": token,
            "url": url,
            "params": params,
            "ours": signature::sign(token, url, params),
        }));
    }
    let answers = run_python(&cases);
    assert_eq!(answers.len(), inputs.len());
    for ((token, url, params), answer) in inputs.iter().zip(&answers) {
        let theirs = answer["signature"].as_str().expect("signature");
        let context = format!("seed {seed}, url {url:?}, params {params:?}");
        assert_eq!(signature::sign(token, url, params), theirs, "{context}");
        assert!(signature::validate(token, url, params, theirs), "{context}");
        assert_eq!(answer["accepts_ours"], true, "{context}");
        // Twilio may have signed the URL with or without the default port.
        let other = toggle_default_port(url);
        assert!(
            signature::validate(token, &other, params, theirs),
            "{context} as {other}"
        );
        assert!(
            !signature::validate("wrong", url, params, theirs),
            "{context}"
        );
    }
    assert_eq!(answers[0]["signature"], "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

/// `url` with its scheme's default port added, or removed if present.
fn toggle_default_port(url: &str) -> String {
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (host, tail) = rest.split_at(end);
            return match host.strip_suffix(port) {
                Some(bare) => format!("{scheme}{bare}{tail}"),
                None if !host.contains(':') => format!("{scheme}{host}{port}{tail}"),
                None => url.to_string(),
            };
        }
    }
    url.to_string()
}
