//! A function binary started the way Lambda starts it: a clean environment
//! (nothing of the host's leaks in) with the variables Lambda sets, plus the
//! function's own; its output kept for failure messages; killed when done.
//! [`cold_start`] is one cold environment: events queued, binary started,
//! init timed to its first `next`, each event answered.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::{Emulator, Invocation, Outcome};

/// How long a binary may take to reach its first `next`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one event may take.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(120);
/// The most output kept per process.
const OUTPUT_CAP: usize = 256 * 1024;

/// Why a run did not get its answers.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot serve the Runtime API: {0}")]
    Serve(std::io::Error),
    #[error("cannot start {binary}: {source}")]
    Spawn {
        binary: String,
        source: std::io::Error,
    },
    #[error("the function exited ({status}) before {stage}; its output:\n{output}")]
    Exited {
        status: ExitStatus,
        stage: &'static str,
        output: String,
    },
    #[error("the function posted an init error {error}; its output:\n{output}")]
    Init { error: Value, output: String },
    #[error("no {stage} within {timeout:?}; its output:\n{output}")]
    Timeout {
        stage: &'static str,
        timeout: Duration,
        output: String,
    },
}

/// How waiting on the binary ended.
enum Waited<T> {
    Done(T),
    InitError(Value),
    Exited(std::io::Result<ExitStatus>),
    TimedOut,
}

/// A running function binary.
pub struct LambdaProcess {
    child: Child,
    spawned: Instant,
    output: Arc<Mutex<Vec<u8>>>,
    /// The tasks copying stdout and stderr into `output`.
    readers: Vec<JoinHandle<()>>,
}

/// One cold environment's figures and answers.
#[derive(Debug)]
pub struct ColdStart {
    /// From starting the binary to its first `next`.
    pub init: Duration,
    /// The events' outcomes, in the order they were queued.
    pub outcomes: Vec<Outcome>,
    /// Everything the binary wrote (its logs).
    pub output: String,
}

/// Starts `binary` as Lambda function `name` with `env` and `events`
/// already queued, times its init, collects every answer, then kills it.
pub async fn cold_start(
    binary: &Path,
    name: &str,
    env: &[(String, String)],
    events: &[Value],
) -> Result<ColdStart, EmulatorError> {
    let emulator = Emulator::start().await.map_err(EmulatorError::Serve)?;
    let invocations: Vec<Invocation> = events.iter().map(|e| emulator.invoke(e)).collect();
    let mut process = LambdaProcess::spawn(&emulator, binary, name, env)?;
    let result = async {
        let init = process.init(&emulator, INIT_TIMEOUT).await?;
        let mut outcomes = Vec::with_capacity(invocations.len());
        for invocation in invocations {
            outcomes.push(process.answer(invocation, INVOKE_TIMEOUT).await?);
        }
        Ok::<_, EmulatorError>((init, outcomes))
    }
    .await;
    let output = process.stop().await;
    let (init, outcomes) = result?;
    Ok(ColdStart {
        init,
        outcomes,
        output,
    })
}

impl LambdaProcess {
    /// Starts `binary` against `emulator`, as function `name`, with only
    /// Lambda's variables and `env` (which may override them).
    pub fn spawn(
        emulator: &Emulator,
        binary: &Path,
        name: &str,
        env: &[(String, String)],
    ) -> Result<Self, EmulatorError> {
        let lambda_env = [
            ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/29/[$LATEST]00000000000000000000000000000001".to_string(),
            ),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
            ("TZ", ":UTC".to_string()),
            ("PATH", "/usr/local/bin:/usr/bin:/bin".to_string()),
        ];
        let mut command = Command::new(binary);
        command
            .env_clear()
            .envs(lambda_env)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = command.spawn().map_err(|source| EmulatorError::Spawn {
            binary: binary.display().to_string(),
            source,
        })?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(tokio::spawn(collect(stdout, output.clone())));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(tokio::spawn(collect(stderr, output.clone())));
        }
        Ok(Self {
            child,
            spawned,
            output,
            readers,
        })
    }

    /// Waits for the first `next`: answers the time since the spawn.
    pub async fn init(
        &mut self,
        emulator: &Emulator,
        timeout: Duration,
    ) -> Result<Duration, EmulatorError> {
        let mut first = emulator.shared.first_next.subscribe();
        let mut init_error = emulator.shared.init_error.subscribe();
        let waited = tokio::select! {
            at = first.wait_for(Option::is_some) => Waited::Done(at.ok().and_then(|at| *at)),
            error = init_error.wait_for(Option::is_some) => {
                Waited::InitError(error.ok().and_then(|e| e.clone()).unwrap_or_default())
            }
            status = self.child.wait() => Waited::Exited(status),
            () = tokio::time::sleep(timeout) => Waited::TimedOut,
        };
        self.drain_if_exited(&waited).await;
        match self.settle(waited, "its first next", timeout)? {
            Some(at) => Ok(at.saturating_duration_since(self.spawned)),
            None => Err(self.timeout("first next (the emulator stopped)", timeout)),
        }
    }

    /// Waits for the answer to `invocation`.
    pub async fn answer(
        &mut self,
        invocation: Invocation,
        timeout: Duration,
    ) -> Result<Outcome, EmulatorError> {
        let waited = tokio::select! {
            outcome = invocation.answer => Waited::Done(outcome.ok()),
            status = self.child.wait() => Waited::Exited(status),
            () = tokio::time::sleep(timeout) => Waited::TimedOut,
        };
        self.drain_if_exited(&waited).await;
        self.settle(waited, "answering its event", timeout)?
            .ok_or_else(|| self.timeout("answer (the emulator stopped)", timeout))
    }

    /// What a wait came to, as an error unless it got its value.
    fn settle<T>(
        &self,
        waited: Waited<T>,
        stage: &'static str,
        timeout: Duration,
    ) -> Result<T, EmulatorError> {
        match waited {
            Waited::Done(value) => Ok(value),
            Waited::InitError(error) => Err(EmulatorError::Init {
                error,
                output: self.output(),
            }),
            Waited::Exited(Ok(status)) => Err(EmulatorError::Exited {
                status,
                stage,
                output: self.output(),
            }),
            Waited::Exited(Err(source)) => Err(EmulatorError::Spawn {
                binary: format!("(waiting for it: {stage})"),
                source,
            }),
            Waited::TimedOut => Err(self.timeout(stage, timeout)),
        }
    }

    fn timeout(&self, stage: &'static str, timeout: Duration) -> EmulatorError {
        EmulatorError::Timeout {
            stage,
            timeout,
            output: self.output(),
        }
    }

    /// What the binary has written so far.
    pub fn output(&self) -> String {
        let output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&output).into_owned()
    }

    /// Kills the binary (Lambda freezes and later drops an environment);
    /// answers its output.
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        self.drain().await;
        self.output()
    }

    /// After an exit, lets the readers take in the last output, so the
    /// error shows why the binary exited.
    async fn drain_if_exited<T>(&mut self, waited: &Waited<T>) {
        if matches!(waited, Waited::Exited(_)) {
            self.drain().await;
        }
    }

    /// Waits (briefly) for the readers to reach the end of the pipes.
    async fn drain(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(1), reader).await;
        }
    }
}

/// Appends what `pipe` yields to `output`, up to [`OUTPUT_CAP`].
async fn collect(mut pipe: impl AsyncRead + Unpin, output: Arc<Mutex<Vec<u8>>>) {
    let mut buffer = [0_u8; 8192];
    while let Ok(n) = pipe.read(&mut buffer).await {
        if n == 0 {
            return;
        }
        let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
        let room = OUTPUT_CAP.saturating_sub(output.len());
        output.extend_from_slice(&buffer[..n.min(room)]);
    }
}
