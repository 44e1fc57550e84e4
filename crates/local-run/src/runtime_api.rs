//! A Lambda Runtime API of our own on loopback, to run a function binary as Lambda does:
//! the binary long-polls `GET /2018-06-01/runtime/invocation/next`, answers with
//! `POST .../invocation/{id}/response` or `.../error`, and reports init failures with
//! `POST /2018-06-01/runtime/init/error`.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use crate::server::{HttpResponse, LoopbackServer, response};

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    Error { error_type: String, error_message: String },
}

impl Outcome {
    pub fn response(self) -> anyhow::Result<Value> {
        match self {
            Outcome::Response(value) => Ok(value),
            Outcome::Error { error_type, error_message } => bail!("function error {error_type}: {error_message}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FunctionOptions {
    pub name: String,
    pub env: Vec<(String, String)>,
    /// The function timeout: sets the deadline each invocation carries.
    pub timeout: Duration,
    /// Copy the function's log lines to stderr as they come (the demo hides them).
    pub echo_logs: bool,
}

impl FunctionOptions {
    pub fn new(name: &str, env: Vec<(String, String)>) -> Self {
        FunctionOptions { name: name.to_owned(), env, timeout: Duration::from_secs(3), echo_logs: false }
    }
}

struct Invocation {
    request_id: String,
    event: Bytes,
    deadline_ms: u128,
}

#[derive(Default)]
struct Shared {
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<Outcome>,
    first_next: Option<Instant>,
    /// Woken at the first `/next`, so `ready` waits without polling (which would steal CPU
    /// from the init being timed).
    asked: Arc<tokio::sync::Notify>,
    logs: Vec<String>,
}

/// One execution environment: a running function binary and its Runtime API.
pub struct LambdaProcess {
    child: Child,
    _server: LoopbackServer,
    queue: mpsc::UnboundedSender<Invocation>,
    shared: Arc<Mutex<Shared>>,
    options: FunctionOptions,
    spawned_at: Instant,
    next_id: u64,
}

impl LambdaProcess {
    pub async fn spawn(binary: &Path, options: FunctionOptions) -> anyhow::Result<Self> {
        let (queue, receiver) = mpsc::unbounded_channel::<Invocation>();
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let function_arn = format!("arn:aws:lambda:{}:000000000000:function:{}", crate::aws::REGION, options.name);
        let server = {
            let shared = shared.clone();
            LoopbackServer::start(move |request| route(request, receiver.clone(), shared.clone(), function_arn.clone()))
                .await?
        };
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", server.addr().to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &options.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", options.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let spawned_at = Instant::now();
        let mut child = command.spawn().with_context(|| format!("starting {}", binary.display()))?;
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(collect_lines(stdout, shared.clone(), options.echo_logs));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(collect_lines(stderr, shared.clone(), options.echo_logs));
        }
        Ok(LambdaProcess { child, _server: server, queue, shared, options, spawned_at, next_id: 0 })
    }

    /// Sends one event and waits for the function's answer (or its death).
    pub async fn invoke(&mut self, event: &Value) -> anyhow::Result<Outcome> {
        self.next_id += 1;
        let request_id = format!("{}-{:08}", self.options.name, self.next_id);
        let (sender, answer) = oneshot::channel();
        if let Ok(mut s) = self.shared.lock() {
            s.waiting.insert(request_id.clone(), sender);
        }
        let deadline = SystemTime::now() + self.options.timeout;
        let deadline_ms = deadline.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default();
        self.queue
            .send(Invocation { request_id, event: Bytes::from(serde_json::to_vec(event)?), deadline_ms })
            .map_err(|_| anyhow!("runtime API queue closed"))?;
        let limit = self.options.timeout + Duration::from_secs(2);
        tokio::select! {
            outcome = answer => Ok(outcome?),
            status = self.child.wait() => {
                let init = self.shared.lock().ok().and_then(|s| s.init_error.clone());
                match init {
                    Some(outcome) => Ok(outcome),
                    None => bail!("{} exited ({}) without answering; logs:\n{}", self.options.name, status?, self.logs().join("\n")),
                }
            }
            _ = tokio::time::sleep(limit) => bail!("{} did not answer within {limit:?}", self.options.name),
        }
    }

    /// Waits until the function asks for its first event (the end of init), or fails.
    pub async fn ready(&mut self) -> anyhow::Result<Duration> {
        let asked = self.shared.lock().map(|s| s.asked.clone()).map_err(|_| anyhow!("runtime API state poisoned"))?;
        let limit = tokio::time::sleep(Duration::from_secs(20));
        tokio::pin!(limit);
        loop {
            if let Some(first) = self.shared.lock().ok().and_then(|s| s.first_next) {
                return Ok(first - self.spawned_at);
            }
            tokio::select! {
                _ = asked.notified() => {}
                status = self.child.wait() => {
                    let init = self.shared.lock().ok().and_then(|s| s.init_error.clone());
                    bail!("{} exited during init ({}): {init:?}", self.options.name, status?);
                }
                _ = &mut limit => bail!("{} did not finish init within 20 s", self.options.name),
            }
        }
    }

    /// The init error the function reported, once it has exited.
    pub async fn init_error(&mut self) -> anyhow::Result<Outcome> {
        tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.context("function did not exit")??;
        self.shared.lock().ok().and_then(|s| s.init_error.clone()).context("no init error was reported")
    }

    /// Every line the function wrote to stdout and stderr so far.
    pub fn logs(&self) -> Vec<String> {
        self.shared.lock().map(|s| s.logs.clone()).unwrap_or_default()
    }

    /// Events sent so far.
    pub fn invocations(&self) -> usize {
        usize::try_from(self.next_id).unwrap_or(usize::MAX)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

async fn collect_lines(stream: impl AsyncRead + Unpin, shared: Arc<Mutex<Shared>>, echo: bool) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if echo {
            eprintln!("{line}");
        }
        if let Ok(mut s) = shared.lock() {
            s.logs.push(line);
        }
    }
}

async fn route(
    request: Request<Incoming>,
    queue: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>>,
    shared: Arc<Mutex<Shared>>,
    function_arn: String,
) -> HttpResponse {
    let path = request.uri().path().strip_prefix(PREFIX).unwrap_or_default().to_owned();
    let method = request.method().clone();
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    match (method, path.as_str()) {
        (Method::GET, "/invocation/next") => {
            if let Ok(mut s) = shared.lock()
                && s.first_next.is_none()
            {
                s.first_next = Some(Instant::now());
                s.asked.notify_one();
            }
            let Some(invocation) = queue.lock().await.recv().await else {
                return response(410, "shutting down");
            };
            let mut answer = response(200, invocation.event);
            let headers = answer.headers_mut();
            for (name, value) in [
                ("lambda-runtime-aws-request-id", invocation.request_id),
                ("lambda-runtime-deadline-ms", invocation.deadline_ms.to_string()),
                ("lambda-runtime-invoked-function-arn", function_arn),
                ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned()),
                ("content-type", "application/json".to_owned()),
            ] {
                if let Ok(value) = value.parse() {
                    headers.insert(name, value);
                }
            }
            answer
        }
        (Method::POST, "/init/error") => {
            if let Ok(mut s) = shared.lock() {
                s.init_error = Some(error_outcome(&body));
            }
            response(202, r#"{"status":"OK"}"#)
        }
        (Method::POST, path) => {
            let Some((request_id, kind)) = path.strip_prefix("/invocation/").and_then(|rest| rest.rsplit_once('/'))
            else {
                return response(404, "unknown path");
            };
            let outcome = match kind {
                "response" => Outcome::Response(serde_json::from_slice(&body).unwrap_or(Value::Null)),
                "error" => error_outcome(&body),
                _ => return response(404, "unknown path"),
            };
            let sender = shared.lock().ok().and_then(|mut s| s.waiting.remove(request_id));
            match sender {
                Some(sender) => {
                    let _ = sender.send(outcome);
                    response(202, r#"{"status":"OK"}"#)
                }
                None => response(400, "unknown request id"),
            }
        }
        _ => response(404, "unknown path"),
    }
}

fn error_outcome(body: &[u8]) -> Outcome {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    Outcome::Error {
        error_type: value["errorType"].as_str().unwrap_or_default().to_owned(),
        error_message: value["errorMessage"].as_str().unwrap_or_default().to_owned(),
    }
}
