//! Billing: `Stripe-Signature` against Stripe's own Python library, the
//! Stripe webhook, the billing routes against a local fake Stripe.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use heyway::billing::stripe_signature;
use serde_json::{json, Value};

/// Signs each case with `stripe.WebhookSignature._compute_signature` (what
/// Stripe's own tests do) and checks ours with `stripe.Webhook.construct_event`.
const SNIPPET: &str = r#"
import json, sys, time
import stripe

out = []
for case in json.load(sys.stdin):
    theirs = stripe.WebhookSignature._compute_signature(f"{case['t']}.{case['payload']}", case["secret"])
    try:
        stripe.Webhook.construct_event(case["payload"], case["ours"], case["secret"], tolerance=None)
        accepts = True
    except Exception:
        accepts = False
    out.append({"signature": theirs, "accepts_ours": accepts})
json.dump(out, sys.stdout)
"#;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn stripe_available() -> bool {
    Command::new(python())
        .args(["-c", "import stripe"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
fn stripe_signature_agrees_with_stripes_python_library() {
    if !stripe_available() {
        eprintln!(
            "SKIPPED: `{} -c 'import stripe'` failed; run scripts/setup to install Stripe's Python library",
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
    let mut state = seed;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut inputs = vec![(
        "whsec_test_secret".to_string(),
        1_700_000_000_i64,
        r#"{"id":"evt_test","object":"event","type":"invoice.paid"}"#.to_string(),
    )];
    const PIECES: &[&str] = &[
        "a", "\"", "{", "}", " ", "é", "日", "😀", "\\n", ".", ",", "=",
    ];
    for i in 0..40 {
        let secret = format!("whsec_{:x}", next());
        let t = 1_600_000_000 + (next() % 200_000_000) as i64;
        let text: String = (0..next() % 40)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let payload =
            json!({ "id": format!("evt_{i}"), "type": "invoice.paid", "text": text }).to_string();
        inputs.push((secret, t, payload));
    }
    let cases: Vec<Value> = inputs
        .iter()
        .map(|(secret, t, payload)| {
            json!({ "secret": secret, "t": t, "payload": payload,
                    "ours": stripe_signature::sign(secret, *t, payload.as_bytes()) })
        })
        .collect();
    let answers = run_python(&cases);
    assert_eq!(answers.len(), inputs.len());
    for ((secret, t, payload), answer) in inputs.iter().zip(&answers) {
        let context = format!("seed {seed}, t {t}, payload {payload:?}");
        let theirs = answer["signature"].as_str().expect("signature");
        assert_eq!(
            stripe_signature::compute(secret, *t, payload.as_bytes()),
            theirs,
            "{context}"
        );
        let header = format!("t={t},v1={theirs}");
        assert_eq!(
            stripe_signature::verify(secret, &header, payload.as_bytes(), *t + 1, 300),
            Ok(()),
            "{context}"
        );
        assert!(
            stripe_signature::verify("whsec_wrong", &header, payload.as_bytes(), *t, 300).is_err(),
            "{context}"
        );
        assert_eq!(answer["accepts_ours"], true, "{context}");
    }
    assert_eq!(
        answers[0]["signature"],
        "02b5890a3376a18a176fde670ba47bc920bc30c6ae0deb7adf58049a4ead9aff"
    );
}
