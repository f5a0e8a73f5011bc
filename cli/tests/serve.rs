//! `heyway serve` on a fresh machine: starts its own SecantusDB when
//! `MONGODB_URI` is unset and answers `/api/health` with the database up.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    Some(response)
}

#[tokio::test]
async fn serve_starts_its_own_database_and_answers_health() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_heyway"))
            .args(["serve", "--data-dir"])
            .arg(data.path())
            .env_remove("MONGODB_URI")
            .env("MONGODB_DB", "heyway_serve_test")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );

    let started = Instant::now();
    let response = loop {
        if let Some(response) = get(port, "/api/health").await {
            break response;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "heyway serve did not answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""database":{"status":"up""#),
        "{response}"
    );
    assert!(data.path().join("db").exists(), "data kept in the data dir");
}
