//! A loopback proxy in front of moto that counts requests by AWS service and operation, so the
//! benchmark can say what one warm invocation costs (`dynamodb:GetItem`, `s3:GET`, ...).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HOST};

use crate::server::{HttpResponse, LoopbackServer, response};

pub struct CountingProxy {
    server: LoopbackServer,
    counts: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl CountingProxy {
    /// Forwards everything to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let client = reqwest::Client::new();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let shared = counts.clone();
        let server =
            LoopbackServer::start(move |request| forward(client.clone(), upstream.clone(), shared.clone(), request))
                .await?;
        Ok(CountingProxy { server, counts })
    }

    /// The endpoint to give functions and clients instead of moto's.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// Connections clients opened to the proxy so far.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    /// Requests so far by `service:operation`.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// `dynamodb:GetItem` (from `X-Amz-Target`), else `<service>:<METHOD>`; the service comes from
/// the SigV4 credential scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
fn operation_of(request: &Request<Incoming>) -> String {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unsigned");
    match header("x-amz-target").rsplit_once('.') {
        Some((_, operation)) => format!("{service}:{operation}"),
        None => format!("{service}:{}", request.method()),
    }
}

async fn forward(
    client: reqwest::Client,
    upstream: String,
    counts: Arc<Mutex<BTreeMap<String, usize>>>,
    request: Request<Incoming>,
) -> HttpResponse {
    *counts.lock().unwrap_or_else(PoisonError::into_inner).entry(operation_of(&request)).or_default() += 1;
    let method = request.method().clone();
    let path = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let mut headers = request.headers().clone();
    headers.remove(HOST);
    headers.remove(CONTENT_LENGTH);
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return response(502, format!("proxy could not read the request: {e}")),
    };
    let sent = client.request(method, format!("{upstream}{path}")).headers(headers).body(body).send().await;
    let upstream_response = match sent {
        Ok(answer) => answer,
        Err(e) => return response(502, format!("proxy could not reach {upstream}: {e}")),
    };
    let status = upstream_response.status().as_u16();
    let headers = upstream_response.headers().clone();
    let body = match upstream_response.bytes().await {
        Ok(body) => body,
        Err(e) => return response(502, format!("proxy could not read the answer: {e}")),
    };
    let mut answer = response(status, body);
    for (name, value) in &headers {
        // The proxy keeps the client's connection as an AWS endpoint does, whatever moto says.
        if name != CONTENT_LENGTH && name != hyper::header::TRANSFER_ENCODING && name != hyper::header::CONNECTION {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}
