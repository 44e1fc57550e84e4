//! What every API family shares: errors as Connect sends them, paging, ARNs, times, and readers
//! for the checked input (one JSON object keyed by member name, see [`super::model`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{ACCOUNT_ID, INSTANCE_ID, REGION};

/// An error as Connect sends it: a status, `x-amzn-errortype` and `{"message": ...}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The error shape's other members (e.g. `state` of `InvalidCampaignStateException`).
    pub members: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.to_owned(), message: message.into(), members: Vec::new() }
    }

    pub fn with_member(mut self, name: &str, value: &str) -> Self {
        self.members.push((name.to_owned(), value.to_owned()));
        self
    }
}

pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", message)
}

pub fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidRequestException", message)
}

pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(404, "ResourceNotFoundException", message)
}

const TOKEN_PREFIX: &str = "emulator-offset-";

pub struct Page {
    pub start: usize,
    pub end: usize,
    pub next_token: Option<String>,
}

impl Page {
    /// Offset paging over `total` items with opaque-looking tokens: `MaxResults` (range-checked
    /// by the model) or `default_size` per page; a token the emulator did not hand out gets 400.
    pub fn of(input: &Value, default_size: usize, total: usize) -> Result<Page, ApiError> {
        let size = input["MaxResults"].as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(default_size);
        let start = match input["NextToken"].as_str() {
            None => 0,
            Some(token) => token
                .strip_prefix(TOKEN_PREFIX)
                .and_then(|offset| offset.parse::<usize>().ok())
                .ok_or_else(|| invalid_parameter("the NextToken is not valid"))?,
        }
        .min(total);
        let end = start.saturating_add(size.max(1)).min(total);
        let next_token = (end < total).then(|| format!("{TOKEN_PREFIX}{end}"));
        Ok(Page { start, end, next_token })
    }

    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        items.get(self.start..self.end).unwrap_or_default()
    }

    /// `answer` with `NextToken` added when there is a next page.
    pub fn answer(&self, mut answer: Value) -> Value {
        if let (Some(token), Some(object)) = (&self.next_token, answer.as_object_mut()) {
            object.insert("NextToken".to_owned(), Value::String(token.clone()));
        }
        answer
    }
}

/// A JSON array of strings (non-strings skipped); `None` when absent or not an array.
pub fn string_list(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// The IDs of a list of IDs or ARNs of `kind`.
pub fn id_list(value: &Value, kind: &str) -> Option<Vec<String>> {
    string_list(value).map(|list| list.iter().map(|item| resource_id(item, kind)).collect())
}

pub fn non_empty(list: &Option<Vec<String>>) -> bool {
    list.as_ref().is_some_and(|items| !items.is_empty())
}

pub fn string_map(value: &Value) -> HashMap<String, String> {
    value
        .as_object()
        .map(|object| object.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
        .unwrap_or_default()
}

/// The emulated instance's ARN, as Connect puts it in contact-flow events (`InstanceARN`).
pub fn instance_arn() -> String {
    format!("arn:aws:connect:{REGION}:{ACCOUNT_ID}:instance/{INSTANCE_ID}")
}

/// `<instance ARN>/<kind>/<id>`: `agent`, `queue`, `routing-profile`, `contact`, ...
pub fn arn(kind: &str, id: &str) -> String {
    format!("{}/{kind}/{id}", instance_arn())
}

/// A request for an instance other than the emulated one: Connect answers 404
/// `ResourceNotFoundException` (every emulated operation models it).
pub fn unknown_instance(input: &Value) -> Option<ApiError> {
    let instance = input.get("InstanceId").and_then(Value::as_str)?;
    (instance != super::INSTANCE_ID)
        .then(|| ApiError::new(404, "ResourceNotFoundException", format!("Instance not found: {instance}")))
}

/// The ID in an ID or an ARN `.../<kind>/<id>`; an ARN of something else gives "".
pub fn resource_id(reference: &str, kind: &str) -> String {
    let reference = reference.trim();
    if !reference.starts_with("arn:") {
        return reference.to_owned();
    }
    reference.rsplit_once(&format!("/{kind}/")).map(|(_, id)| id.to_owned()).unwrap_or_default()
}

/// Epoch seconds with milliseconds, as Connect's REST-JSON timestamps are.
pub fn epoch(time: &DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

/// An object of the pairs whose value is present (absent members are left out, as Connect does).
pub fn object(pairs: impl IntoIterator<Item = (&'static str, Option<Value>)>) -> Value {
    let fields: Map<String, Value> =
        pairs.into_iter().filter_map(|(key, value)| value.map(|v| (key.to_owned(), v))).collect();
    Value::Object(fields)
}

pub fn some(value: impl Into<Value>) -> Option<Value> {
    Some(value.into())
}

pub fn time(at: Option<&DateTime<Utc>>) -> Option<Value> {
    at.map(|t| json!(epoch(t)))
}
