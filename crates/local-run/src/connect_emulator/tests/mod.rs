//! The emulator's own tests, through the real `aws-sdk-connect` client (and raw HTTP where the
//! SDK cannot send what is tested), one file per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lifecycle;
mod model;
mod operations;
mod strictness;

use serde_json::Value;

use super::*;
use aws_sdk_connect::config::{BehaviorVersion, Credentials, Region};

pub(super) fn client(emulator: &ConnectEmulator) -> aws_sdk_connect::Client {
    let config = aws_sdk_connect::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-northeast-1"))
        .credentials_provider(Credentials::new("t", "t", None, None, "t"))
        .endpoint_url(emulator.endpoint())
        .build();
    aws_sdk_connect::Client::from_conf(config)
}

/// An emulator with quotas off, for tests of what operations answer (quotas have their own tests).
pub(super) async fn unthrottled() -> ConnectEmulator {
    let emulator = ConnectEmulator::start().await.unwrap();
    emulator.set_quotas_enabled(false);
    emulator
}

pub(super) fn agent(i: u32) -> Agent {
    Agent::new(format!("agent-{i:03}"), format!("user{i}"), "rp-1", AgentStatus::available(1_700_000_000.5))
}

pub(super) fn unretried_client(emulator: &ConnectEmulator) -> aws_sdk_connect::Client {
    let config = client(emulator)
        .config()
        .to_builder()
        .retry_config(aws_sdk_connect::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_connect::Client::from_conf(config)
}

/// A raw REST-JSON request, for what the SDK cannot send.
pub(super) async fn raw(
    emulator: &ConnectEmulator,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, String, Value) {
    let answer = reqwest::Client::new()
        .request(method, format!("{}{path}", emulator.endpoint()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let code = answer.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap_or(Value::Null);
    (status, code, body)
}
