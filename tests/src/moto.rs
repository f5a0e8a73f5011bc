//! A moto server (AWS stand-in) for the whole test binary: SQS and
//! EventBridge speak their real wire protocols to it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::{Credentials, Region};
use heyway::infra::aws::{AwsJson, Service};
use tokio::process::{Child, Command};
use tokio::sync::OnceCell;

struct Moto {
    endpoint: String,
    _watchdog: Child,
}

static MOTO: OnceCell<Moto> = OnceCell::const_new();

/// Kills moto once the test binary's end of stdin closes (see `local_db`).
const WATCHDOG: &str = r#""$0" "$@" & server=$!
cat >/dev/null
kill "$server" 2>/dev/null
wait "$server""#;

/// The endpoint of the shared moto server, started on first use.
pub async fn endpoint() -> &'static str {
    &MOTO
        .get_or_init(|| async {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let child = Command::new("sh")
                .arg("-c")
                .arg(WATCHDOG)
                .arg("moto_server")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server (pip install 'moto[server]')");
            let started = Instant::now();
            while tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
            {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "moto_server did not start"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                _watchdog: child,
            }
        })
        .await
        .endpoint
}

/// The SDKs' HTTPS client on rustls and ring (no aws-lc: no C toolchain).
fn sdk_http_client() -> aws_sdk_sqs::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The backend's own signed client for `service`, pointed at moto.
pub async fn aws(service: Service) -> AwsJson {
    let credentials = heyway::infra::aws::Credentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
        region: "us-east-1".into(),
    };
    AwsJson::at(service, endpoint().await, credentials)
}

/// An SQS client pointed at moto.
pub async fn sqs_client() -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(endpoint().await)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .http_client(sdk_http_client())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// An EventBridge client pointed at moto.
pub async fn eventbridge_client() -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .endpoint_url(endpoint().await)
        .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .http_client(sdk_http_client())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// A new bus named `name` whose `heyway.calls` events a rule sends to a
/// new SQS queue; answers the queue's URL.
pub async fn bus_to_queue(name: &str) -> String {
    let events = eventbridge_client().await;
    let sqs = sqs_client().await;
    events
        .create_event_bus()
        .name(name)
        .send()
        .await
        .expect("create bus");
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("{name}-events"))
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .expect("queue url")
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("queue arn")
        .to_string();
    events
        .put_rule()
        .name(format!("{name}-calls"))
        .event_bus_name(name)
        .event_pattern(r#"{"source":["heyway.calls"]}"#)
        .send()
        .await
        .expect("put rule");
    events
        .put_targets()
        .rule(format!("{name}-calls"))
        .event_bus_name(name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("put targets");
    queue_url
}

/// Every event the queue holds now, as EventBridge delivered them
/// (`{"detail-type", "source", "detail", …}`).
pub async fn received_events(queue_url: &str) -> Vec<serde_json::Value> {
    let sqs = sqs_client().await;
    let mut events = Vec::new();
    loop {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive");
        let messages = output.messages();
        if messages.is_empty() {
            return events;
        }
        for message in messages {
            if let Some(body) = message.body() {
                events.push(serde_json::from_str(body).expect("event JSON"));
            }
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }
}
