//! What the `heyway` binary's tests share: the binary with no provider
//! key from the environment, a free port, and `heyway serve` as
//! `scripts/run` starts it.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Variables that would point `heyway` at real providers or elsewhere.
const PROVIDER_ENV: [&str; 13] = [
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE_URL",
    "STRIPE_PRICE_ID",
    "STRIPE_SUCCESS_URL",
    "STRIPE_CANCEL_URL",
    "STRIPE_PORTAL_RETURN_URL",
    "WEBHOOK_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "ELEVENLABS_API_KEY",
    "ELEVENLABS_WEBHOOK_SECRET",
    "HEYWAY_SANDBOX_KEY",
];

pub fn heyway(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heyway"));
    command
        .args(args)
        .env_remove("MONGODB_URI")
        .env_remove("HOST");
    for key in PROVIDER_ENV {
        command.env_remove(key);
    }
    command
}

/// `heyway serve` as `scripts/run` starts it, on `port` with its data in
/// `data` and database `db_name`, once it listens.
pub fn serve(data: &Path, port: u16, db_name: &str) -> Server {
    let mut command = heyway(&["serve", "--data-dir"]);
    command
        .arg(data)
        .env("MONGODB_DB", db_name)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Server(command.spawn().unwrap());
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "heyway serve did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}
