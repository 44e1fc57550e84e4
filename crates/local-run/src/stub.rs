//! A programmable HTTP server: canned responses by path, and a count of requests per path.
//! Serves calendar files to holiday-fetcher, and their broken variants.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::server::{LoopbackServer, response};

#[derive(Debug, Clone)]
pub struct StubResponse {
    pub status: u16,
    pub body: Bytes,
    pub delay: Duration,
    /// A `Location` header (redirects).
    pub location: Option<String>,
}

impl StubResponse {
    pub fn ok(body: impl Into<Bytes>) -> Self {
        StubResponse::status(200, body)
    }
    pub fn status(status: u16, body: impl Into<Bytes>) -> Self {
        StubResponse { status, body: body.into(), delay: Duration::ZERO, location: None }
    }
    pub fn redirect(status: u16, location: &str) -> Self {
        StubResponse { location: Some(location.to_owned()), ..StubResponse::status(status, "") }
    }
}

#[derive(Default)]
struct Routes {
    responses: HashMap<String, StubResponse>,
    hits: HashMap<String, usize>,
}

pub struct StubServer {
    server: LoopbackServer,
    routes: Arc<Mutex<Routes>>,
}

impl StubServer {
    pub async fn start() -> std::io::Result<Self> {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let shared = routes.clone();
        let server = LoopbackServer::start(move |request| {
            let path = request.uri().path().to_owned();
            let found = shared.lock().ok().and_then(|mut r| {
                *r.hits.entry(path.clone()).or_default() += 1;
                r.responses.get(&path).cloned()
            });
            async move {
                match found {
                    Some(stub) => {
                        tokio::time::sleep(stub.delay).await;
                        let mut answer = response(stub.status, stub.body);
                        if let Some(value) = stub.location.and_then(|l| hyper::header::HeaderValue::from_str(&l).ok()) {
                            answer.headers_mut().insert(hyper::header::LOCATION, value);
                        }
                        answer
                    }
                    None => response(404, "no stub for this path"),
                }
            }
        })
        .await?;
        Ok(StubServer { server, routes })
    }

    pub fn set(&self, path: &str, stub: StubResponse) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.responses.insert(path.to_owned(), stub);
        }
    }

    /// Connections clients opened so far.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.routes.lock().map(|r| r.hits.get(path).copied().unwrap_or(0)).unwrap_or(0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }
}

/// A loopback endpoint that accepts connections and never answers: an AWS service that hangs.
/// The connections are held (not closed) until the server is dropped.
pub struct SilentServer {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Ok(SilentServer { url, task })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
