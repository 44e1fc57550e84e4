//! The REST-JSON wire of the AWS services emulated here (Connect, Outbound Campaigns v2): paths
//! and query strings as sent, and answers and errors as the services send them (a status, the
//! error code in `x-amzn-errortype`, `{"message": ...}`).

use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::common::ApiError;
use crate::server::{HttpResponse, response};

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

pub(crate) fn percent_decode(input: &str) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let mut lookahead = bytes.clone();
            if let (Some(high), Some(low)) =
                (lookahead.next().and_then(hex_digit), lookahead.next().and_then(hex_digit))
            {
                out.push(high * 16 + low);
                bytes = lookahead;
                continue;
            }
        }
        out.push(byte);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path split on `/` first, then each segment percent-decoded (labels such as an instance ARN
/// arrive with `:` and `/` encoded).
pub(crate) fn path_segments(raw_path: &str) -> Vec<String> {
    raw_path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect()
}

pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(&key.replace('+', " ")), percent_decode(&value.replace('+', " ")))
        })
        .collect()
}

pub(crate) fn json_response(status: u16, body: &Value) -> HttpResponse {
    let mut answer = response(status, body.to_string());
    answer.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

pub(crate) fn error_response(error: &ApiError) -> HttpResponse {
    let mut body = json!({ "message": error.message });
    for (name, value) in &error.members {
        body[name] = json!(value);
    }
    let mut answer = json_response(error.status, &body);
    if let Ok(code) = HeaderValue::from_str(&error.code) {
        answer.headers_mut().insert(HeaderName::from_static("x-amzn-errortype"), code);
    }
    answer
}
