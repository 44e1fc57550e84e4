//! moto as a child process on a free loopback port, through `moto_serial.py` (beside this
//! crate's `Cargo.toml`): moto's own server lets concurrent conditional writes to one item
//! both succeed, which real DynamoDB never does.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::paths::{venv_python, workspace_root};

pub struct Moto {
    child: Child,
    endpoint: String,
    http: reqwest::Client,
}

impl Moto {
    /// `MOTO_PYTHON` names the Python that has moto; by default the project's
    /// `.venv/bin/python` (installed by `make venv`).
    pub async fn start() -> anyhow::Result<Moto> {
        let program = venv_python();
        if !program.is_file() {
            bail!("{} not found: run `make venv` (or set MOTO_PYTHON)", program.display());
        }
        let script = workspace_root().join("crates/local-run/moto_serial.py");
        let http = reqwest::Client::new();
        // A port can be taken between choosing and binding it; try a few.
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            let mut child = Command::new(&program)
                .arg(&script)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("starting {}", program.display()))?;
            let endpoint = format!("http://127.0.0.1:{port}");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = Some(format!("moto exited with {status}"));
                    break;
                }
                if http.get(format!("{endpoint}/moto-api/")).send().await.is_ok_and(|r| r.status().is_success()) {
                    return Ok(Moto { child, endpoint, http });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = child.kill().await;
            last_error.get_or_insert_with(|| "moto did not answer within 30 s".to_owned());
        }
        bail!(last_error.unwrap_or_default())
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Forgets every resource, for a clean slate between scenes.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.http.post(format!("{}/moto-api/reset", self.endpoint)).send().await?.error_for_status()?;
        Ok(())
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free loopback port")?;
    Ok(listener.local_addr()?.port())
}
