//! A moto server (AWS stand-in) for the whole test binary: SQS and
//! EventBridge speak their real wire protocols to it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::{Credentials, Region};
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

/// An SQS client pointed at moto.
pub async fn sqs_client() -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(endpoint().await)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .http_client(heyway::aws::http_client())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}
