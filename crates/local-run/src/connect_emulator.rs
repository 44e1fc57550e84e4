//! An in-process emulator of the few Amazon Connect operations the functions call, speaking the
//! REST-JSON wire protocol of the real service, so that the real `aws-sdk-connect` client works
//! against it over HTTP on 127.0.0.1 (set the client's endpoint URL to [`ConnectEmulator::endpoint`]).
//!
//! Emulated operations (method, path and field names as the SDK 1.220 serializers and
//! deserializers use them):
//!
//! | Operation                  | Request                                   |
//! |----------------------------|-------------------------------------------|
//! | `ListUsers`                | `GET /users-summary/{InstanceId}?nextToken=&maxResults=` |
//! | `DescribeUser`             | `GET /users/{InstanceId}/{UserId}`        |
//! | `GetCurrentUserData`       | `POST /metrics/userdata/{InstanceId}`     |
//! | `SearchContacts`           | `POST /search-contacts`                   |
//! | `StartOutboundVoiceContact`| `PUT /contact/outbound-voice`             |
//! | `GetCurrentMetricData`     | `POST /metrics/current/{InstanceId}`      |
//! | `DescribeContact`          | `GET /contacts/{InstanceId}/{ContactId}`  |
//! | `ListHoursOfOperationOverrides` | `GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides` |
//! | `CreateHoursOfOperationOverride` | `PUT /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides` |
//! | `DeleteHoursOfOperationOverride` | `DELETE /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides/{OverrideId}` |
//!
//! Anything else gets 404 `UnknownOperationException`. Errors are sent the way Connect sends
//! them: a 4xx/5xx status, the code in the `x-amzn-errortype` header and `{"message": ...}`.
//! Timestamps are epoch seconds (JSON numbers, possibly fractional).
//!
//! Any instance ID (or instance ARN) in a request is accepted; the data belongs to the emulator,
//! and every ARN it returns is built on [`ConnectEmulator::instance_arn`].
//!
//! Tests can make an operation fail ([`ConnectEmulator::fail_next`]), slow it down
//! ([`ConnectEmulator::set_delay`]) and count the requests it received
//! ([`ConnectEmulator::requests`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use crate::server::{HttpResponse, LoopbackServer, response};

pub const INSTANCE_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = crate::aws::REGION;

/// Operation names, as [`ConnectEmulator::fail_next`] and [`ConnectEmulator::requests`] take them.
pub const LIST_USERS: &str = "ListUsers";
pub const DESCRIBE_USER: &str = "DescribeUser";
pub const GET_CURRENT_USER_DATA: &str = "GetCurrentUserData";
pub const SEARCH_CONTACTS: &str = "SearchContacts";
pub const START_OUTBOUND_VOICE_CONTACT: &str = "StartOutboundVoiceContact";
pub const GET_CURRENT_METRIC_DATA: &str = "GetCurrentMetricData";
pub const DESCRIBE_CONTACT: &str = "DescribeContact";
pub const LIST_HOURS_OVERRIDES: &str = "ListHoursOfOperationOverrides";
pub const CREATE_HOURS_OVERRIDE: &str = "CreateHoursOfOperationOverride";
pub const DELETE_HOURS_OVERRIDE: &str = "DeleteHoursOfOperationOverride";
/// Connect's limit of overrides per hours of operation.
pub const MAX_HOURS_OVERRIDES: usize = 50;
/// Every operation the emulator answers.
pub const OPERATIONS: [&str; 10] = [
    LIST_USERS,
    DESCRIBE_USER,
    GET_CURRENT_USER_DATA,
    SEARCH_CONTACTS,
    START_OUTBOUND_VOICE_CONTACT,
    GET_CURRENT_METRIC_DATA,
    DESCRIBE_CONTACT,
    LIST_HOURS_OVERRIDES,
    CREATE_HOURS_OVERRIDE,
    DELETE_HOURS_OVERRIDE,
];

/// The metric [`ConnectEmulator::set_agents_available`] sets.
pub const AGENTS_AVAILABLE: &str = "AGENTS_AVAILABLE";

/// ListUsers: "The default MaxResult size is 100" (SDK docs); the API accepts 1..=1000.
const LIST_USERS_DEFAULT_PAGE: usize = 100;
const LIST_USERS_MAX_PAGE: usize = 1000;
/// GetCurrentUserData, SearchContacts and GetCurrentMetricData accept MaxResults 1..=100.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 100;
/// GetCurrentUserData: at most 100 agents, queues or routing profiles in a filter.
const FILTER_LIMIT: usize = 100;
/// GetCurrentMetricData: at most 100 queues in the filter.
const METRIC_QUEUE_LIMIT: usize = 100;

const TOKEN_PREFIX: &str = "emulator-offset-";

/// What Connect says about an agent now (GetCurrentUserData's `Status` and voice slots).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStatus {
    /// `Available`, `Offline`, or a custom status name.
    pub name: String,
    /// When the agent entered the status (`StatusStartTimestamp`), epoch seconds.
    pub since_epoch_secs: f64,
    /// Free voice slots: `Some(n)` reports `AvailableSlotsByChannel {"VOICE": n}`,
    /// `MaxSlotsByChannel {"VOICE": max(n, 1)}` and the difference as active slots;
    /// `None` reports no slot data at all (the three maps are left out).
    pub voice_slots_free: Option<u32>,
}

impl AgentStatus {
    pub fn new(name: impl Into<String>, since_epoch_secs: f64, voice_slots_free: Option<u32>) -> Self {
        AgentStatus { name: name.into(), since_epoch_secs, voice_slots_free }
    }

    /// `Available` with its one voice slot free.
    pub fn available(since_epoch_secs: f64) -> Self {
        AgentStatus::new("Available", since_epoch_secs, Some(1))
    }
}

/// A user of the instance (an agent), with its current status.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: String,
    pub username: String,
    pub routing_profile_id: String,
    pub status: AgentStatus,
}

impl Agent {
    pub fn new(
        id: impl Into<String>,
        username: impl Into<String>,
        routing_profile_id: impl Into<String>,
        status: AgentStatus,
    ) -> Self {
        Agent { id: id.into(), username: username.into(), routing_profile_id: routing_profile_id.into(), status }
    }
}

/// A past or current contact, for SearchContacts.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatedContact {
    pub id: String,
    pub agent_id: Option<String>,
    pub initiated_at: DateTime<Utc>,
    /// `VOICE`, `CHAT`, `TASK`, `EMAIL`.
    pub channel: String,
    /// The contact's searchable attributes (matched exactly by `SearchableContactAttributes`).
    pub attributes: HashMap<String, String>,
    /// `INBOUND`, `OUTBOUND`, `API`, `TRANSFER`, ...
    pub initiation_method: String,
    pub queue_id: Option<String>,
    pub enqueued_at: Option<DateTime<Utc>>,
    pub connected_to_agent_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
}

impl EmulatedContact {
    /// An inbound voice contact with no agent, queue or attributes.
    pub fn new(id: impl Into<String>, initiated_at: DateTime<Utc>) -> Self {
        EmulatedContact {
            id: id.into(),
            agent_id: None,
            initiated_at,
            channel: "VOICE".to_owned(),
            attributes: HashMap::new(),
            initiation_method: "INBOUND".to_owned(),
            queue_id: None,
            enqueued_at: None,
            connected_to_agent_at: None,
            disconnected_at: None,
        }
    }

    pub fn with_agent(mut self, agent_id: impl Into<String>) -> Self {
        self.agent_id = Some(agent_id.into());
        self
    }

    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    pub fn with_queue(mut self, queue_id: impl Into<String>) -> Self {
        self.queue_id = Some(queue_id.into());
        self
    }

    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }
}

/// An hours-of-operation override as the emulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursOverride {
    pub id: String,
    pub name: String,
    pub effective_from: String,
    pub effective_till: String,
    /// `CLOSED`, `OPEN` or `STANDARD`.
    pub override_type: String,
    pub config: Value,
}

/// A StartOutboundVoiceContact call the emulator accepted (recorded once per client token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundCall {
    pub contact_id: String,
    pub instance_id: String,
    pub destination: String,
    pub contact_flow_id: String,
    pub queue_id: Option<String>,
    pub source_phone_number: Option<String>,
    pub client_token: Option<String>,
    pub attributes: HashMap<String, String>,
}

#[derive(Debug, Clone)]
struct Fault {
    status: u16,
    error_type: String,
}

#[derive(Debug, Clone)]
struct AgentRecord {
    agent: Agent,
    /// Logged-out agents are not in GetCurrentUserData (they stay in ListUsers/DescribeUser).
    logged_in: bool,
    modified_at: f64,
}

#[derive(Debug, Default)]
struct State {
    agents: Vec<AgentRecord>,
    routing_profile_queues: HashMap<String, Vec<String>>,
    contacts: Vec<EmulatedContact>,
    /// queue ID -> metric name -> value.
    queue_metrics: BTreeMap<String, BTreeMap<String, f64>>,
    outbound: Vec<OutboundCall>,
    contact_ids_by_token: HashMap<String, String>,
    denied_prefixes: Vec<String>,
    next_contact: u64,
    /// hours of operation ID -> its overrides, in creation order.
    hours_overrides: BTreeMap<String, Vec<HoursOverride>>,
    next_override: u64,
    faults: HashMap<String, VecDeque<Fault>>,
    delays: HashMap<String, Duration>,
    requests: HashMap<String, usize>,
}

impl State {
    fn new_override_id(&mut self) -> String {
        self.next_override += 1;
        format!("ho-{:06}", self.next_override)
    }

    fn queues_of(&self, routing_profile_id: &str) -> &[String] {
        self.routing_profile_queues.get(routing_profile_id).map(Vec::as_slice).unwrap_or_default()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The emulator; stops serving when dropped.
pub struct ConnectEmulator {
    server: LoopbackServer,
    state: Arc<Mutex<State>>,
}

impl ConnectEmulator {
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = LoopbackServer::start(move |request| handle(shared.clone(), request)).await?;
        Ok(ConnectEmulator { server, state })
    }

    /// A function's environment for emulated AWS at `aws_endpoint` (moto) with Connect served
    /// here: `AWS_ENDPOINT_URL_CONNECT` and `CONNECT_INSTANCE_ID` on top of [`crate::emulator_env`].
    pub fn function_env(&self, aws_endpoint: &str) -> Vec<(String, String)> {
        let mut env = crate::emulator_env(aws_endpoint);
        env.push(("AWS_ENDPOINT_URL_CONNECT".to_owned(), self.endpoint()));
        env.push(("CONNECT_INSTANCE_ID".to_owned(), self.instance_arn()));
        env
    }

    /// `http://127.0.0.1:PORT`, for the SDK's `endpoint_url` / `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    pub fn instance_id(&self) -> &str {
        INSTANCE_ID
    }

    /// `arn:aws:connect:ap-northeast-1:123456789012:instance/<id>`
    pub fn instance_arn(&self) -> String {
        instance_arn()
    }

    pub fn agent_arn(&self, agent_id: &str) -> String {
        agent_arn(agent_id)
    }

    pub fn queue_arn(&self, queue_id: &str) -> String {
        queue_arn(queue_id)
    }

    pub fn routing_profile_arn(&self, routing_profile_id: &str) -> String {
        routing_profile_arn(routing_profile_id)
    }

    pub fn contact_arn(&self, contact_id: &str) -> String {
        contact_arn(contact_id)
    }

    /// Adds a logged-in agent, or replaces the agent with the same ID (keeping its place in
    /// ListUsers).
    pub fn add_agent(&self, agent: Agent) {
        let record = AgentRecord { agent, logged_in: true, modified_at: now_epoch() };
        let mut state = lock(&self.state);
        match state.agents.iter_mut().find(|r| r.agent.id == record.agent.id) {
            Some(existing) => *existing = record,
            None => state.agents.push(record),
        }
    }

    /// Sets an agent's status (and logs it in); unknown agents are ignored.
    pub fn set_status(&self, agent_id: &str, status_name: &str, since_epoch_secs: f64, voice_slots_free: Option<u32>) {
        let mut state = lock(&self.state);
        if let Some(record) = state.agents.iter_mut().find(|r| r.agent.id == agent_id) {
            record.agent.status = AgentStatus::new(status_name, since_epoch_secs, voice_slots_free);
            record.logged_in = true;
        }
    }

    /// Logs an agent out of the CCP: GetCurrentUserData leaves it out until the next
    /// [`set_status`](Self::set_status) or [`add_agent`](Self::add_agent).
    pub fn log_out(&self, agent_id: &str) {
        let mut state = lock(&self.state);
        if let Some(record) = state.agents.iter_mut().find(|r| r.agent.id == agent_id) {
            record.logged_in = false;
        }
    }

    /// The queues of a routing profile: a user's queues, for GetCurrentUserData's `Queues` filter.
    pub fn set_routing_profile_queues(&self, routing_profile_id: &str, queue_ids: &[&str]) {
        let queues: Vec<String> = queue_ids.iter().map(|q| (*q).to_owned()).collect();
        lock(&self.state).routing_profile_queues.insert(routing_profile_id.to_owned(), queues);
    }

    /// Adds a contact for SearchContacts, or replaces the contact with the same ID.
    pub fn add_contact(&self, contact: EmulatedContact) {
        let mut state = lock(&self.state);
        match state.contacts.iter_mut().find(|c| c.id == contact.id) {
            Some(existing) => *existing = contact,
            None => state.contacts.push(contact),
        }
    }

    /// AGENTS_AVAILABLE of a queue in GetCurrentMetricData. `None` makes the queue have no
    /// result row at all, as Connect does when a queue has nothing to report.
    pub fn set_agents_available(&self, queue_id: &str, value: Option<u32>) {
        self.set_queue_metric(queue_id, AGENTS_AVAILABLE, value.map(f64::from));
    }

    /// Any current metric of a queue (`CONTACTS_IN_QUEUE`, `AGENTS_ONLINE`, ...); `None` removes it.
    /// A queue has a GetCurrentMetricData row when at least one requested metric has a value;
    /// requested metrics without one are reported as 0 in that row.
    pub fn set_queue_metric(&self, queue_id: &str, metric_name: &str, value: Option<f64>) {
        let mut state = lock(&self.state);
        match value {
            Some(value) => {
                state.queue_metrics.entry(queue_id.to_owned()).or_default().insert(metric_name.to_owned(), value);
            }
            None => {
                if let Some(metrics) = state.queue_metrics.get_mut(queue_id) {
                    metrics.remove(metric_name);
                    if metrics.is_empty() {
                        state.queue_metrics.remove(queue_id);
                    }
                }
            }
        }
    }

    /// A contact (an outbound call placed through the emulator, say) reaches an agent now:
    /// DescribeContact then reports the agent. `false` when there is no such contact.
    pub fn connect_contact(&self, contact_id: &str, agent_id: &str) -> bool {
        self.update_contact(contact_id, |c| {
            c.agent_id = Some(agent_id.to_owned());
            c.connected_to_agent_at = Some(Utc::now());
        })
    }

    /// A contact ends now (hung up, or never answered). `false` when there is no such contact.
    pub fn end_contact(&self, contact_id: &str) -> bool {
        self.update_contact(contact_id, |c| c.disconnected_at = Some(Utc::now()))
    }

    fn update_contact(&self, contact_id: &str, change: impl FnOnce(&mut EmulatedContact)) -> bool {
        let mut state = lock(&self.state);
        state.contacts.iter_mut().find(|c| c.id == contact_id).map(change).is_some()
    }

    /// The overrides of an hours of operation, in creation order.
    pub fn hours_overrides(&self, hours_id: &str) -> Vec<HoursOverride> {
        lock(&self.state).hours_overrides.get(hours_id).cloned().unwrap_or_default()
    }

    /// An override made by a person in the console (standard hours on `date`).
    pub fn add_hours_override(&self, hours_id: &str, name: &str, date: &str) {
        let mut state = lock(&self.state);
        let id = state.new_override_id();
        state.hours_overrides.entry(hours_id.to_owned()).or_default().push(HoursOverride {
            id,
            name: name.to_owned(),
            effective_from: date.to_owned(),
            effective_till: date.to_owned(),
            override_type: "STANDARD".to_owned(),
            config: json!([]),
        });
    }

    /// Every StartOutboundVoiceContact call accepted so far, in order (a retried client token once).
    pub fn outbound_calls(&self) -> Vec<OutboundCall> {
        lock(&self.state).outbound.clone()
    }

    /// Destinations starting with `prefix` (e.g. `+1900`) get 403 `DestinationNotAllowedException`.
    pub fn deny_destination_prefix(&self, prefix: &str) {
        lock(&self.state).denied_prefixes.push(prefix.to_owned());
    }

    /// The next `times` requests of `operation` (e.g. [`LIST_USERS`]) get `status` with
    /// `x-amzn-errortype: error_type`. Faults queue up behind ones already set. Note that the SDK
    /// retries 5xx, 429 and throttling errors by itself: each attempt uses up one fault.
    pub fn fail_next(&self, operation: &str, status: u16, error_type: &str, times: usize) {
        let mut state = lock(&self.state);
        let queue = state.faults.entry(operation.to_owned()).or_default();
        for _ in 0..times {
            queue.push_back(Fault { status, error_type: error_type.to_owned() });
        }
    }

    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Every request of `operation` waits `delay` before it is answered; `None` removes the delay.
    pub fn set_delay(&self, operation: &str, delay: Option<Duration>) {
        let mut state = lock(&self.state);
        match delay {
            Some(delay) => state.delays.insert(operation.to_owned(), delay),
            None => state.delays.remove(operation),
        };
    }

    /// Requests of `operation` received so far, failed ones included.
    pub fn requests(&self, operation: &str) -> usize {
        lock(&self.state).requests.get(operation).copied().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// ARNs, times

/// The emulated instance's ARN, as Connect puts it in contact-flow events (`InstanceARN`).
pub fn instance_arn() -> String {
    format!("arn:aws:connect:{REGION}:{ACCOUNT_ID}:instance/{INSTANCE_ID}")
}

fn agent_arn(id: &str) -> String {
    format!("{}/agent/{id}", instance_arn())
}

fn queue_arn(id: &str) -> String {
    format!("{}/queue/{id}", instance_arn())
}

fn routing_profile_arn(id: &str) -> String {
    format!("{}/routing-profile/{id}", instance_arn())
}

fn contact_arn(id: &str) -> String {
    format!("{}/contact/{id}", instance_arn())
}

fn status_arn(name: &str) -> String {
    let slug: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    format!("{}/agent-state/{slug}", instance_arn())
}

/// The ID in an ID or an ARN `.../<kind>/<id>`; an ARN of something else gives "".
fn resource_id(reference: &str, kind: &str) -> String {
    let reference = reference.trim();
    if !reference.starts_with("arn:") {
        return reference.to_owned();
    }
    reference.rsplit_once(&format!("/{kind}/")).map(|(_, id)| id.to_owned()).unwrap_or_default()
}

fn epoch(time: &DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

fn now_epoch() -> f64 {
    epoch(&Utc::now())
}

// ---------------------------------------------------------------------------------------------
// HTTP

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    ListUsers,
    DescribeUser { user_id: String },
    GetCurrentUserData,
    SearchContacts,
    StartOutboundVoiceContact,
    GetCurrentMetricData,
    DescribeContact { contact_id: String },
    ListHoursOverrides { hours_id: String },
    CreateHoursOverride { hours_id: String },
    DeleteHoursOverride { hours_id: String, override_id: String },
}

impl Route {
    fn operation(&self) -> &'static str {
        match self {
            Route::ListUsers => LIST_USERS,
            Route::DescribeUser { .. } => DESCRIBE_USER,
            Route::GetCurrentUserData => GET_CURRENT_USER_DATA,
            Route::SearchContacts => SEARCH_CONTACTS,
            Route::StartOutboundVoiceContact => START_OUTBOUND_VOICE_CONTACT,
            Route::GetCurrentMetricData => GET_CURRENT_METRIC_DATA,
            Route::DescribeContact { .. } => DESCRIBE_CONTACT,
            Route::ListHoursOverrides { .. } => LIST_HOURS_OVERRIDES,
            Route::CreateHoursOverride { .. } => CREATE_HOURS_OVERRIDE,
            Route::DeleteHoursOverride { .. } => DELETE_HOURS_OVERRIDE,
        }
    }
}

/// Splits the raw path on `/` first, then percent-decodes each segment (labels such as an
/// instance ARN arrive with `:` and `/` encoded).
fn route(method: &str, raw_path: &str) -> Option<Route> {
    let segments: Vec<String> = raw_path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let route = match (method, parts.as_slice()) {
        ("GET", ["users-summary", _instance]) => Route::ListUsers,
        ("GET", ["users", _instance, user_id]) => Route::DescribeUser { user_id: (*user_id).to_owned() },
        ("POST", ["metrics", "userdata", _instance]) => Route::GetCurrentUserData,
        ("POST", ["search-contacts"]) => Route::SearchContacts,
        ("PUT", ["contact", "outbound-voice"]) => Route::StartOutboundVoiceContact,
        ("POST", ["metrics", "current", _instance]) => Route::GetCurrentMetricData,
        ("GET", ["contacts", _instance, contact_id]) => Route::DescribeContact { contact_id: (*contact_id).to_owned() },
        ("GET", ["hours-of-operations", _instance, hours_id, "overrides"]) => {
            Route::ListHoursOverrides { hours_id: (*hours_id).to_owned() }
        }
        ("PUT", ["hours-of-operations", _instance, hours_id, "overrides"]) => {
            Route::CreateHoursOverride { hours_id: (*hours_id).to_owned() }
        }
        ("DELETE", ["hours-of-operations", _instance, hours_id, "overrides", override_id]) => {
            Route::DeleteHoursOverride { hours_id: (*hours_id).to_owned(), override_id: (*override_id).to_owned() }
        }
        _ => return None,
    };
    Some(route)
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn percent_decode(input: &str) -> String {
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

fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The `maxResults` query parameter of the paginated GET operations.
fn max_results_of(query: &[(String, String)]) -> Result<Option<i64>, ApiError> {
    query_value(query, "maxResults")
        .map(|text| text.parse::<i64>().map_err(|_| invalid_parameter(format!("maxResults {text:?}"))))
        .transpose()
}

fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// An error as Connect sends it.
#[derive(Debug, Clone)]
struct ApiError {
    status: u16,
    code: String,
    message: String,
}

impl ApiError {
    fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.to_owned(), message: message.into() }
    }
}

fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidParameterException", message)
}

fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "InvalidRequestException", message)
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    let mut answer = response(status, body.to_string());
    answer.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

fn error_response(error: &ApiError) -> HttpResponse {
    let mut answer = json_response(error.status, &json!({ "message": error.message }));
    if let Ok(code) = HeaderValue::from_str(&error.code) {
        answer.headers_mut().insert(HeaderName::from_static("x-amzn-errortype"), code);
    }
    answer
}

async fn handle(state: Arc<Mutex<State>>, request: Request<Incoming>) -> HttpResponse {
    let method = request.method().as_str().to_owned();
    let raw_path = request.uri().path().to_owned();
    let query = parse_query(request.uri().query().unwrap_or_default());
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let Some(route) = route(&method, &raw_path) else {
        return error_response(&ApiError::new(
            404,
            "UnknownOperationException",
            format!("the Connect emulator has no operation for {method} {raw_path}"),
        ));
    };
    let (delay, fault) = begin(&state, route.operation());
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(fault) = fault {
        return error_response(&ApiError::new(
            fault.status,
            &fault.error_type,
            format!("injected failure of {}", route.operation()),
        ));
    }
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => return error_response(&ApiError::new(400, "SerializationException", e.to_string())),
        }
    };
    match dispatch(&state, &route, &query, &body) {
        Ok(answer) => json_response(200, &answer),
        Err(error) => error_response(&error),
    }
}

/// Counts the request; its delay and the fault it uses up, if any.
fn begin(state: &Mutex<State>, operation: &str) -> (Option<Duration>, Option<Fault>) {
    let mut state = lock(state);
    *state.requests.entry(operation.to_owned()).or_default() += 1;
    let delay = state.delays.get(operation).copied();
    let fault = state.faults.get_mut(operation).and_then(VecDeque::pop_front);
    (delay, fault)
}

fn dispatch(state: &Mutex<State>, route: &Route, query: &[(String, String)], body: &Value) -> Result<Value, ApiError> {
    let mut state = lock(state);
    match route {
        Route::ListUsers => list_users(&state, query),
        Route::DescribeUser { user_id } => describe_user(&state, user_id),
        Route::GetCurrentUserData => get_current_user_data(&state, body),
        Route::SearchContacts => search_contacts(&state, body),
        Route::StartOutboundVoiceContact => start_outbound_voice_contact(&mut state, body),
        Route::GetCurrentMetricData => get_current_metric_data(&state, body),
        Route::DescribeContact { contact_id } => describe_contact(&state, contact_id),
        Route::ListHoursOverrides { hours_id } => list_hours_overrides(&state, hours_id, query),
        Route::CreateHoursOverride { hours_id } => create_hours_override(&mut state, hours_id, body),
        Route::DeleteHoursOverride { hours_id, override_id } => {
            delete_hours_override(&mut state, hours_id, override_id)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pagination and request helpers

struct Page {
    start: usize,
    end: usize,
    next_token: Option<String>,
}

impl Page {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Offset pagination with opaque-looking tokens. MaxResults outside `1..=max_size` and tokens
/// the emulator did not hand out get 400 `InvalidParameterException`.
fn paginate(
    next_token: Option<&str>,
    max_results: Option<i64>,
    default_size: usize,
    max_size: usize,
    total: usize,
) -> Result<Page, ApiError> {
    let size = match max_results {
        None => default_size,
        Some(n) => match usize::try_from(n) {
            Ok(size) if (1..=max_size).contains(&size) => size,
            _ => return Err(invalid_parameter(format!("MaxResults must be between 1 and {max_size}, got {n}"))),
        },
    };
    let start = match next_token {
        None => 0,
        Some(token) => token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|offset| offset.parse::<usize>().ok())
            .ok_or_else(|| invalid_parameter("the NextToken is not valid"))?,
    }
    .min(total);
    let end = start.saturating_add(size).min(total);
    let next_token = (end < total).then(|| format!("{TOKEN_PREFIX}{end}"));
    Ok(Page { start, end, next_token })
}

/// Adds `NextToken` to a response object when there is one.
fn with_next_token(mut answer: Value, next_token: Option<String>) -> Value {
    if let (Some(token), Some(object)) = (next_token, answer.as_object_mut()) {
        object.insert("NextToken".to_owned(), Value::String(token));
    }
    answer
}

/// A JSON array of strings (non-strings skipped); `None` when absent or not an array.
fn string_list(value: &Value) -> Option<Vec<String>> {
    value.as_array().map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

fn non_empty(list: &Option<Vec<String>>) -> bool {
    list.as_ref().is_some_and(|items| !items.is_empty())
}

fn string_map(value: &Value) -> HashMap<String, String> {
    value
        .as_object()
        .map(|object| object.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Operations

fn list_users(state: &State, query: &[(String, String)]) -> Result<Value, ApiError> {
    let max_results = max_results_of(query)?;
    let page = paginate(
        query_value(query, "nextToken"),
        max_results,
        LIST_USERS_DEFAULT_PAGE,
        LIST_USERS_MAX_PAGE,
        state.agents.len(),
    )?;
    let users: Vec<Value> = state
        .agents
        .iter()
        .skip(page.start)
        .take(page.len())
        .map(|record| {
            let agent = &record.agent;
            json!({
                "Id": agent.id,
                "Arn": agent_arn(&agent.id),
                "Username": agent.username,
                "LastModifiedTime": record.modified_at,
                "LastModifiedRegion": REGION,
            })
        })
        .collect();
    Ok(with_next_token(json!({ "UserSummaryList": users }), page.next_token))
}

fn describe_user(state: &State, user_id: &str) -> Result<Value, ApiError> {
    let id = resource_id(user_id, "agent");
    let record = state.agents.iter().find(|r| r.agent.id == id).ok_or_else(|| {
        ApiError::new(404, "ResourceNotFoundException", format!("User not found for UserId: {user_id}"))
    })?;
    let agent = &record.agent;
    Ok(json!({
        "User": {
            "Id": agent.id,
            "Arn": agent_arn(&agent.id),
            "Username": agent.username,
            "IdentityInfo": { "FirstName": agent.username, "LastName": "" },
            "PhoneConfig": { "PhoneType": "SOFT_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 0 },
            "SecurityProfileIds": ["security-profile-agent"],
            "RoutingProfileId": agent.routing_profile_id,
            "Tags": {},
            "LastModifiedTime": record.modified_at,
            "LastModifiedRegion": REGION,
        }
    }))
}

/// Real Connect: at most 100 agents, queues or routing profiles, at least one agent when the
/// `Agents` filter is there, and "a maximum of one filter can be passed from queues, routing
/// profiles, agents, and user hierarchy groups"; violations get 400 `InvalidRequestException`.
/// Hierarchy groups are not modelled (such a filter matches nobody); agents never have contacts,
/// so a `ContactFilter` with states matches nobody either.
fn get_current_user_data(state: &State, body: &Value) -> Result<Value, ApiError> {
    let filters = &body["Filters"];
    let agents = string_list(&filters["Agents"]);
    let queues = string_list(&filters["Queues"]);
    let profiles = string_list(&filters["RoutingProfiles"]);
    let groups = string_list(&filters["UserHierarchyGroups"]);
    for (name, list) in [("Agents", &agents), ("Queues", &queues), ("RoutingProfiles", &profiles)] {
        if let Some(list) = list
            && list.len() > FILTER_LIMIT
        {
            return Err(invalid_request(format!(
                "Filters.{name} has {} members; at most {FILTER_LIMIT} are allowed",
                list.len()
            )));
        }
    }
    if agents.as_ref().is_some_and(Vec::is_empty) {
        return Err(invalid_request("Filters.Agents must have at least 1 member"));
    }
    let passed = [&agents, &queues, &profiles, &groups].into_iter().filter(|list| non_empty(list)).count();
    if passed > 1 {
        return Err(invalid_request(
            "A maximum of one filter can be passed from queues, routing profiles, agents, and user hierarchy groups",
        ));
    }
    let has_contact_states = non_empty(&string_list(&filters["ContactFilter"]["ContactStates"]));

    let agent_ids: Option<Vec<String>> = agents.map(|l| l.iter().map(|a| resource_id(a, "agent")).collect());
    let queue_ids: Option<Vec<String>> = queues.map(|l| l.iter().map(|q| resource_id(q, "queue")).collect());
    let profile_ids: Option<Vec<String>> =
        profiles.map(|l| l.iter().map(|p| resource_id(p, "routing-profile")).collect());
    let by_group = non_empty(&groups);

    let matched: Vec<&AgentRecord> = state
        .agents
        .iter()
        .filter(|r| r.logged_in && !by_group && !has_contact_states)
        .filter(|r| agent_ids.as_ref().is_none_or(|ids| ids.contains(&r.agent.id)))
        .filter(|r| profile_ids.as_ref().is_none_or(|ids| ids.contains(&r.agent.routing_profile_id)))
        .filter(|r| {
            queue_ids
                .as_ref()
                .is_none_or(|ids| state.queues_of(&r.agent.routing_profile_id).iter().any(|q| ids.contains(q)))
        })
        .collect();

    let page =
        paginate(body["NextToken"].as_str(), body["MaxResults"].as_i64(), DEFAULT_PAGE, MAX_PAGE, matched.len())?;
    let list: Vec<Value> = matched.iter().skip(page.start).take(page.len()).map(|r| user_data(&r.agent)).collect();
    Ok(with_next_token(json!({ "UserDataList": list, "ApproximateTotalCount": matched.len() }), page.next_token))
}

fn user_data(agent: &Agent) -> Value {
    let status = &agent.status;
    let mut data = Map::new();
    data.insert("User".to_owned(), json!({ "Id": agent.id, "Arn": agent_arn(&agent.id) }));
    data.insert(
        "RoutingProfile".to_owned(),
        json!({ "Id": agent.routing_profile_id, "Arn": routing_profile_arn(&agent.routing_profile_id) }),
    );
    data.insert(
        "Status".to_owned(),
        json!({
            "StatusStartTimestamp": status.since_epoch_secs,
            "StatusArn": status_arn(&status.name),
            "StatusName": status.name,
        }),
    );
    if let Some(free) = status.voice_slots_free {
        let max = free.max(1);
        data.insert("AvailableSlotsByChannel".to_owned(), json!({ "VOICE": free }));
        data.insert("MaxSlotsByChannel".to_owned(), json!({ "VOICE": max }));
        data.insert("ActiveSlotsByChannel".to_owned(), json!({ "VOICE": max - free }));
    }
    data.insert("Contacts".to_owned(), json!([]));
    Value::Object(data)
}

fn contact_time(contact: &EmulatedContact, kind: &str) -> Option<DateTime<Utc>> {
    match kind {
        "INITIATION_TIMESTAMP" => Some(contact.initiated_at),
        "ENQUEUE_TIMESTAMP" => contact.enqueued_at,
        "CONNECTED_TO_AGENT_TIMESTAMP" => contact.connected_to_agent_at,
        "DISCONNECT_TIMESTAMP" => contact.disconnected_at,
        _ => None,
    }
}

/// `SearchableContactAttributes`: a criterion matches when the contact's attribute `Key` equals
/// one of `Values` exactly; `MatchType` MATCH_ALL (the default, and MATCH_EXACT) needs every
/// criterion, MATCH_ANY one, MATCH_NONE none.
fn attributes_match(contact: &EmulatedContact, searchable: &Value) -> bool {
    let Some(criteria) = searchable["Criteria"].as_array() else {
        return true;
    };
    if criteria.is_empty() {
        return true;
    }
    let mut results = criteria.iter().map(|criterion| {
        let values = string_list(&criterion["Values"]).unwrap_or_default();
        criterion["Key"]
            .as_str()
            .and_then(|key| contact.attributes.get(key))
            .is_some_and(|value| values.iter().any(|v| v == value))
    });
    match searchable["MatchType"].as_str().unwrap_or("MATCH_ALL") {
        "MATCH_ANY" => results.any(|hit| hit),
        "MATCH_NONE" => !results.any(|hit| hit),
        _ => results.all(|hit| hit),
    }
}

/// Time range on the timestamp `TimeRange.Type` names (inclusive; contacts without that
/// timestamp are left out); `AgentIds`, `Channels`, `QueueIds`, `InitiationMethods` and
/// `SearchableContactAttributes` criteria; sort on `Sort` (default: initiation timestamp,
/// newest first); pagination with MaxResults 1..=100.
fn search_contacts(state: &State, body: &Value) -> Result<Value, ApiError> {
    let time_range = &body["TimeRange"];
    let range = if time_range.is_object() {
        let kind = time_range["Type"].as_str().unwrap_or("INITIATION_TIMESTAMP");
        if !matches!(
            kind,
            "INITIATION_TIMESTAMP"
                | "SCHEDULED_TIMESTAMP"
                | "CONNECTED_TO_AGENT_TIMESTAMP"
                | "DISCONNECT_TIMESTAMP"
                | "ENQUEUE_TIMESTAMP"
        ) {
            return Err(invalid_parameter(format!("TimeRange.Type {kind} is not valid")));
        }
        let (Some(start), Some(end)) = (time_range["StartTime"].as_f64(), time_range["EndTime"].as_f64()) else {
            return Err(invalid_parameter("TimeRange needs StartTime and EndTime"));
        };
        if start > end {
            return Err(invalid_parameter("TimeRange.StartTime is after EndTime"));
        }
        Some((kind.to_owned(), start, end))
    } else {
        None
    };

    let criteria = &body["SearchCriteria"];
    let agent_ids =
        string_list(&criteria["AgentIds"]).map(|l| l.iter().map(|a| resource_id(a, "agent")).collect::<Vec<_>>());
    let queue_ids =
        string_list(&criteria["QueueIds"]).map(|l| l.iter().map(|q| resource_id(q, "queue")).collect::<Vec<_>>());
    let channels = string_list(&criteria["Channels"]);
    let methods = string_list(&criteria["InitiationMethods"]);
    let searchable = &criteria["SearchableContactAttributes"];

    let mut matched: Vec<&EmulatedContact> = state
        .contacts
        .iter()
        .filter(|c| {
            range.as_ref().is_none_or(|(kind, start, end)| {
                contact_time(c, kind).is_some_and(|t| (*start..=*end).contains(&epoch(&t)))
            })
        })
        .filter(|c| {
            agent_ids.as_ref().is_none_or(|ids| ids.is_empty() || c.agent_id.as_ref().is_some_and(|a| ids.contains(a)))
        })
        .filter(|c| {
            queue_ids.as_ref().is_none_or(|ids| ids.is_empty() || c.queue_id.as_ref().is_some_and(|q| ids.contains(q)))
        })
        .filter(|c| channels.as_ref().is_none_or(|list| list.is_empty() || list.contains(&c.channel)))
        .filter(|c| methods.as_ref().is_none_or(|list| list.is_empty() || list.contains(&c.initiation_method)))
        .filter(|c| attributes_match(c, searchable))
        .collect();

    let field = body["Sort"]["FieldName"].as_str().unwrap_or("INITIATION_TIMESTAMP").to_owned();
    let descending = body["Sort"]["Order"].as_str().unwrap_or("DESCENDING") != "ASCENDING";
    matched.sort_by(|a, b| {
        let order = match field.as_str() {
            "CHANNEL" => a.channel.cmp(&b.channel),
            "INITIATION_METHOD" => a.initiation_method.cmp(&b.initiation_method),
            "CONNECTED_TO_AGENT_TIMESTAMP" => a.connected_to_agent_at.cmp(&b.connected_to_agent_at),
            "DISCONNECT_TIMESTAMP" => a.disconnected_at.cmp(&b.disconnected_at),
            _ => a.initiated_at.cmp(&b.initiated_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if descending { order.reverse() } else { order }
    });

    let page =
        paginate(body["NextToken"].as_str(), body["MaxResults"].as_i64(), DEFAULT_PAGE, MAX_PAGE, matched.len())?;
    let contacts: Vec<Value> = matched.iter().skip(page.start).take(page.len()).map(|c| contact_summary(c)).collect();
    Ok(with_next_token(json!({ "Contacts": contacts, "TotalCount": matched.len() }), page.next_token))
}

fn contact_summary(contact: &EmulatedContact) -> Value {
    let mut summary = Map::new();
    summary.insert("Id".to_owned(), json!(contact.id));
    summary.insert("Arn".to_owned(), json!(contact_arn(&contact.id)));
    summary.insert("InitiationMethod".to_owned(), json!(contact.initiation_method));
    summary.insert("Channel".to_owned(), json!(contact.channel));
    summary.insert("InitiationTimestamp".to_owned(), json!(epoch(&contact.initiated_at)));
    if let Some(disconnected) = &contact.disconnected_at {
        summary.insert("DisconnectTimestamp".to_owned(), json!(epoch(disconnected)));
    }
    if let Some(queue_id) = &contact.queue_id {
        summary.insert("QueueInfo".to_owned(), id_and_time(queue_id, "EnqueueTimestamp", contact.enqueued_at.as_ref()));
    }
    if let Some(agent_id) = &contact.agent_id {
        let connected = contact.connected_to_agent_at.as_ref();
        summary.insert("AgentInfo".to_owned(), id_and_time(agent_id, "ConnectedToAgentTimestamp", connected));
    }
    Value::Object(summary)
}

/// `QueueInfo` / `AgentInfo`: an `Id`, and a timestamp when there is one.
fn id_and_time(id: &str, time_key: &str, at: Option<&DateTime<Utc>>) -> Value {
    let mut info = Map::new();
    info.insert("Id".to_owned(), json!(id));
    if let Some(at) = at {
        info.insert(time_key.to_owned(), json!(epoch(at)));
    }
    Value::Object(info)
}

/// E.164: `+` and 7 to 15 digits.
fn is_e164(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|digits| (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Errors the SDK models for StartOutboundVoiceContact: DestinationNotAllowedException,
/// InternalServiceException, InvalidParameterException, InvalidRequestException,
/// LimitExceededException, OutboundContactNotPermittedException, ResourceNotFoundException.
/// Here: a missing field or a destination that is not E.164 -> 400 InvalidParameterException
/// (a malformed parameter); a destination under [`ConnectEmulator::deny_destination_prefix`] ->
/// 403 DestinationNotAllowedException (a well-formed number Connect refuses to dial). The other
/// codes can be had with [`ConnectEmulator::fail_next`]. A client token seen before returns its
/// contact ID again without recording a second call (checked before validation, as a retry of an
/// accepted request must succeed).
fn start_outbound_voice_contact(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let client_token = body["ClientToken"].as_str().map(str::to_owned);
    if let Some(token) = &client_token
        && let Some(contact_id) = state.contact_ids_by_token.get(token)
    {
        return Ok(json!({ "ContactId": contact_id }));
    }
    let Some(destination) = body["DestinationPhoneNumber"].as_str() else {
        return Err(invalid_parameter("DestinationPhoneNumber is required"));
    };
    let Some(contact_flow_id) = body["ContactFlowId"].as_str() else {
        return Err(invalid_parameter("ContactFlowId is required"));
    };
    if !is_e164(destination) {
        return Err(invalid_parameter(format!("DestinationPhoneNumber {destination:?} is not in E.164 format")));
    }
    if state.denied_prefixes.iter().any(|prefix| destination.starts_with(prefix.as_str())) {
        return Err(ApiError::new(
            403,
            "DestinationNotAllowedException",
            format!("Outbound calls to {destination} are not allowed"),
        ));
    }
    state.next_contact += 1;
    let contact_id = format!("0c0c0c0c-0000-4000-8000-{:012x}", state.next_contact);
    if let Some(token) = &client_token {
        state.contact_ids_by_token.insert(token.clone(), contact_id.clone());
    }
    let queue_id = body["QueueId"].as_str().map(|q| resource_id(q, "queue"));
    let attributes = string_map(&body["Attributes"]);
    // The call is a contact from now on: ringing, then whatever the test makes of it.
    let mut contact = EmulatedContact::new(contact_id.clone(), Utc::now());
    contact.initiation_method = "API".to_owned();
    contact.queue_id = queue_id.clone();
    contact.attributes = attributes.clone();
    state.contacts.push(contact);
    state.outbound.push(OutboundCall {
        contact_id: contact_id.clone(),
        instance_id: body["InstanceId"].as_str().unwrap_or_default().to_owned(),
        destination: destination.to_owned(),
        contact_flow_id: contact_flow_id.to_owned(),
        queue_id,
        source_phone_number: body["SourcePhoneNumber"].as_str().map(str::to_owned),
        client_token,
        attributes,
    });
    Ok(json!({ "ContactId": contact_id }))
}

fn override_json(hours_id: &str, o: &HoursOverride) -> Value {
    json!({
        "HoursOfOperationOverrideId": o.id,
        "HoursOfOperationId": hours_id,
        "Name": o.name,
        "EffectiveFrom": o.effective_from,
        "EffectiveTill": o.effective_till,
        "OverrideType": o.override_type,
        "Config": o.config,
    })
}

fn list_hours_overrides(state: &State, hours_id: &str, query: &[(String, String)]) -> Result<Value, ApiError> {
    let overrides = state.hours_overrides.get(hours_id).map(Vec::as_slice).unwrap_or_default();
    let max_results = max_results_of(query)?;
    let page = paginate(query_value(query, "nextToken"), max_results, DEFAULT_PAGE, MAX_PAGE, overrides.len())?;
    let listed: Vec<Value> =
        overrides.iter().skip(page.start).take(page.len()).map(|o| override_json(hours_id, o)).collect();
    Ok(with_next_token(json!({ "HoursOfOperationOverrideList": listed }), page.next_token))
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// Checks what Connect checks: a name of 1 to 127 characters, unique in the hours of
/// operation; dates as `YYYY-MM-DD`, the end not before the start; at most 50 overrides
/// (402 `ServiceQuotaExceededException`).
fn create_hours_override(state: &mut State, hours_id: &str, body: &Value) -> Result<Value, ApiError> {
    let name = body["Name"].as_str().unwrap_or_default();
    let from = body["EffectiveFrom"].as_str().unwrap_or_default();
    let till = body["EffectiveTill"].as_str().unwrap_or_default();
    if name.is_empty() || name.chars().count() > 127 {
        return Err(invalid_parameter("Name must be 1 to 127 characters"));
    }
    if !is_date(from) || !is_date(till) || till < from {
        return Err(invalid_parameter(format!("EffectiveFrom {from:?} / EffectiveTill {till:?} are not a date range")));
    }
    let existing = state.hours_overrides.get(hours_id).map(Vec::as_slice).unwrap_or_default();
    if existing.iter().any(|o| o.name == name) {
        return Err(ApiError::new(409, "DuplicateResourceException", format!("an override named {name:?} exists")));
    }
    if existing.len() >= MAX_HOURS_OVERRIDES {
        return Err(ApiError::new(
            402,
            "ServiceQuotaExceededException",
            format!("at most {MAX_HOURS_OVERRIDES} overrides per hours of operation"),
        ));
    }
    let id = state.new_override_id();
    state.hours_overrides.entry(hours_id.to_owned()).or_default().push(HoursOverride {
        id: id.clone(),
        name: name.to_owned(),
        effective_from: from.to_owned(),
        effective_till: till.to_owned(),
        override_type: body["OverrideType"].as_str().unwrap_or("STANDARD").to_owned(),
        config: body["Config"].clone(),
    });
    Ok(json!({ "HoursOfOperationOverrideId": id }))
}

fn delete_hours_override(state: &mut State, hours_id: &str, override_id: &str) -> Result<Value, ApiError> {
    let overrides = state.hours_overrides.entry(hours_id.to_owned()).or_default();
    let before = overrides.len();
    overrides.retain(|o| o.id != override_id);
    if overrides.len() == before {
        return Err(ApiError::new(404, "ResourceNotFoundException", format!("override {override_id} not found")));
    }
    Ok(json!({}))
}

/// A contact as DescribeContact returns it; 404 `ResourceNotFoundException` when unknown.
fn describe_contact(state: &State, contact_id: &str) -> Result<Value, ApiError> {
    let contact =
        state.contacts.iter().find(|c| c.id == contact_id).ok_or_else(|| {
            ApiError::new(404, "ResourceNotFoundException", format!("Contact {contact_id} not found"))
        })?;
    let mut described = contact_summary(contact);
    if let Value::Object(fields) = &mut described {
        fields.insert("Attributes".to_owned(), json!(contact.attributes));
    }
    Ok(json!({ "Contact": described }))
}

/// Rows per queue (`Groupings` has `QUEUE`) or one row for all queues in the filter (no queue
/// grouping); a queue contributes only when one of the requested metrics has a value, so a queue
/// set to `None` gives no row. The values are voice values: a `Channels` filter without `VOICE`
/// gives no rows; a `CHANNEL` grouping adds `"Channel": "VOICE"` to the dimensions. Without a
/// `Queues` filter, every queue with a value is reported.
fn get_current_metric_data(state: &State, body: &Value) -> Result<Value, ApiError> {
    let filters = &body["Filters"];
    let queue_filter: Option<Vec<String>> =
        string_list(&filters["Queues"]).map(|l| l.iter().map(|q| resource_id(q, "queue")).collect());
    if let Some(queues) = &queue_filter
        && queues.len() > METRIC_QUEUE_LIMIT
    {
        return Err(invalid_parameter(format!(
            "Filters.Queues has {} members; at most {METRIC_QUEUE_LIMIT} are allowed",
            queues.len()
        )));
    }
    let voice = string_list(&filters["Channels"]).is_none_or(|c| c.is_empty() || c.iter().any(|c| c == "VOICE"));
    let groupings = string_list(&body["Groupings"]).unwrap_or_default();
    let by_queue = groupings.iter().any(|g| g == "QUEUE");
    let by_channel = groupings.iter().any(|g| g == "CHANNEL");
    let metrics: Vec<(String, String)> = body["CurrentMetrics"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    (
                        m["Name"].as_str().unwrap_or_default().to_owned(),
                        m["Unit"].as_str().unwrap_or("COUNT").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();

    let mut queues: Vec<String> = queue_filter.unwrap_or_else(|| state.queue_metrics.keys().cloned().collect());
    let mut seen = Vec::new();
    queues.retain(|q| {
        let first = !seen.contains(q);
        seen.push(q.clone());
        first
    });

    // Per queue with data: the value of each requested metric.
    let with_data: Vec<(&str, Vec<Option<f64>>)> = if voice {
        queues
            .iter()
            .map(|q| {
                let values = metrics
                    .iter()
                    .map(|(name, _)| state.queue_metrics.get(q).and_then(|m| m.get(name)).copied())
                    .collect::<Vec<_>>();
                (q.as_str(), values)
            })
            .filter(|(_, values)| values.iter().any(Option::is_some))
            .collect()
    } else {
        Vec::new()
    };

    let rows: Vec<Value> = if by_queue {
        with_data.iter().map(|(q, values)| metric_row(Some(*q), by_channel, &metrics, values)).collect()
    } else if with_data.is_empty() {
        Vec::new()
    } else {
        let sums: Vec<Option<f64>> = (0..metrics.len())
            .map(|i| with_data.iter().filter_map(|(_, values)| values.get(i).copied().flatten()).reduce(|a, b| a + b))
            .collect();
        vec![metric_row(None, by_channel, &metrics, &sums)]
    };

    let page = paginate(body["NextToken"].as_str(), body["MaxResults"].as_i64(), DEFAULT_PAGE, MAX_PAGE, rows.len())?;
    let total = rows.len();
    let page_rows: Vec<Value> = rows.into_iter().skip(page.start).take(page.len()).collect();
    Ok(with_next_token(
        json!({ "MetricResults": page_rows, "DataSnapshotTime": now_epoch(), "ApproximateTotalCount": total }),
        page.next_token,
    ))
}

fn metric_row(queue_id: Option<&str>, by_channel: bool, metrics: &[(String, String)], values: &[Option<f64>]) -> Value {
    let mut dimensions = Map::new();
    if let Some(queue_id) = queue_id {
        dimensions.insert("Queue".to_owned(), json!({ "Id": queue_id, "Arn": queue_arn(queue_id) }));
    }
    if by_channel {
        dimensions.insert("Channel".to_owned(), json!("VOICE"));
    }
    let collections: Vec<Value> = metrics
        .iter()
        .zip(values)
        .map(|((name, unit), value)| json!({ "Metric": { "Name": name, "Unit": unit }, "Value": value.unwrap_or(0.0) }))
        .collect();
    json!({ "Dimensions": Value::Object(dimensions), "Collections": collections })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aws_sdk_connect::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_connect::primitives::DateTime as SdkDateTime;
    use aws_sdk_connect::types::{
        Channel, CurrentMetric, CurrentMetricName, Filters, Grouping, SearchContactsMatchType, SearchContactsTimeRange,
        SearchContactsTimeRangeType, SearchCriteria, SearchableContactAttributes, SearchableContactAttributesCriteria,
        Sort, SortOrder, SortableFieldName, Unit, UserDataFilters,
    };

    fn client(emulator: &ConnectEmulator) -> aws_sdk_connect::Client {
        let config = aws_sdk_connect::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("ap-northeast-1"))
            .credentials_provider(Credentials::new("t", "t", None, None, "t"))
            .endpoint_url(emulator.endpoint())
            .build();
        aws_sdk_connect::Client::from_conf(config)
    }

    fn agent(i: u32) -> Agent {
        Agent::new(format!("agent-{i:03}"), format!("user{i}"), "rp-1", AgentStatus::available(1_700_000_000.5))
    }

    #[test]
    fn paths_are_routed_after_splitting_and_decoding() {
        let arn = "arn%3Aaws%3Aconnect%3Aap-northeast-1%3A123456789012%3Ainstance%2Fabc";
        assert_eq!(route("GET", &format!("/users-summary/{arn}")), Some(Route::ListUsers));
        assert_eq!(route("GET", "/users/i/u%2D1"), Some(Route::DescribeUser { user_id: "u-1".to_owned() }));
        assert_eq!(route("PUT", "/contact/outbound-voice"), Some(Route::StartOutboundVoiceContact));
        assert_eq!(route("GET", "/contact/outbound-voice"), None);
        assert_eq!(route("POST", "/metrics/userdata/i/extra"), None);
        assert_eq!(percent_decode("a%3Ab%2fc%zz%4"), "a:b/c%zz%4");
        assert!(is_e164("+81312345678"));
        assert!(!is_e164("0312345678"));
        assert!(!is_e164("+81-3-1234"));
    }

    #[tokio::test]
    async fn list_users_pages_through_250_agents() {
        let emulator = ConnectEmulator::start().await.unwrap();
        for i in 0..250 {
            emulator.add_agent(agent(i));
        }
        let client = client(&emulator);
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let out = client
                .list_users()
                .instance_id(emulator.instance_id())
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            pages += 1;
            ids.extend(out.user_summary_list().iter().filter_map(|u| u.id().map(str::to_owned)));
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(ids.len(), 250);
        assert_eq!(ids.first().map(String::as_str), Some("agent-000"));
        assert_eq!(ids.last().map(String::as_str), Some("agent-249"));
        assert_eq!(emulator.requests(LIST_USERS), 3);

        let small = client.list_users().instance_id(emulator.instance_id()).max_results(7).send().await.unwrap();
        assert_eq!(small.user_summary_list().len(), 7);
        let summary = &small.user_summary_list()[0];
        assert_eq!(summary.arn(), Some(emulator.agent_arn("agent-000").as_str()));
        assert_eq!(summary.username(), Some("user0"));

        emulator.fail_next(LIST_USERS, 400, "InvalidRequestException", 1);
        let err = client.list_users().instance_id(emulator.instance_id()).send().await.unwrap_err();
        assert!(err.as_service_error().is_some_and(|e| e.is_invalid_request_exception()), "{err:?}");
        assert!(client.list_users().instance_id(emulator.instance_id()).send().await.is_ok());
        assert_eq!(emulator.requests(LIST_USERS), 6);
    }

    #[tokio::test]
    async fn describe_user_and_missing_user() {
        let emulator = ConnectEmulator::start().await.unwrap();
        emulator.add_agent(agent(1));
        let client = client(&emulator);
        let user =
            client.describe_user().instance_id(emulator.instance_arn()).user_id("agent-001").send().await.unwrap();
        assert_eq!(user.user().and_then(|u| u.routing_profile_id()), Some("rp-1"));
        let err =
            client.describe_user().instance_id(emulator.instance_id()).user_id("nobody").send().await.unwrap_err();
        assert!(err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{err:?}");
    }

    #[tokio::test]
    async fn current_user_data_filters_and_rejects_101_agents() {
        let emulator = ConnectEmulator::start().await.unwrap();
        for i in 0..3 {
            emulator.add_agent(agent(i));
        }
        emulator.set_status("agent-001", "Lunch", 1_700_000_100.0, None);
        let client = client(&emulator);

        let too_many: Vec<String> = (0..101).map(|i| format!("agent-{i:03}")).collect();
        let err = client
            .get_current_user_data()
            .instance_id(emulator.instance_id())
            .filters(UserDataFilters::builder().set_agents(Some(too_many)).build())
            .send()
            .await
            .unwrap_err();
        assert!(err.as_service_error().is_some_and(|e| e.is_invalid_request_exception()), "{err:?}");

        let out = client
            .get_current_user_data()
            .instance_id(emulator.instance_id())
            .filters(UserDataFilters::builder().agents("agent-000").agents(emulator.agent_arn("agent-001")).build())
            .send()
            .await
            .unwrap();
        assert_eq!(out.approximate_total_count(), Some(2));
        let list = out.user_data_list();
        assert_eq!(list.len(), 2);
        let first = &list[0];
        assert_eq!(first.user().and_then(|u| u.id()), Some("agent-000"));
        assert_eq!(first.status().and_then(|s| s.status_name()), Some("Available"));
        assert_eq!(first.status().and_then(|s| s.status_start_timestamp()).map(|t| t.secs()), Some(1_700_000_000));
        assert_eq!(first.available_slots_by_channel().and_then(|m| m.get(&Channel::Voice)), Some(&1));
        let second = &list[1];
        assert_eq!(second.status().and_then(|s| s.status_name()), Some("Lunch"));
        assert!(second.available_slots_by_channel().is_none());
    }

    #[tokio::test]
    async fn outbound_voice_contact_is_idempotent_per_client_token() {
        let emulator = ConnectEmulator::start().await.unwrap();
        let client = client(&emulator);
        let call = || {
            client
                .start_outbound_voice_contact()
                .instance_id(emulator.instance_id())
                .contact_flow_id("flow-1")
                .queue_id("queue-1")
                .destination_phone_number("+81312345678")
                .client_token("token-1")
                .attributes("reason", "callback")
        };
        let first = call().send().await.unwrap();
        let second = call().send().await.unwrap();
        assert!(first.contact_id().is_some());
        assert_eq!(first.contact_id(), second.contact_id());
        let calls = emulator.outbound_calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].destination, "+81312345678");
        assert_eq!(calls[0].queue_id.as_deref(), Some("queue-1"));
        assert_eq!(calls[0].attributes.get("reason").map(String::as_str), Some("callback"));
        assert_eq!(emulator.requests(START_OUTBOUND_VOICE_CONTACT), 2);

        let err = client
            .start_outbound_voice_contact()
            .instance_id(emulator.instance_id())
            .contact_flow_id("flow-1")
            .destination_phone_number("03-1234-5678")
            .send()
            .await
            .unwrap_err();
        assert!(err.as_service_error().is_some_and(|e| e.is_invalid_parameter_exception()), "{err:?}");
        assert_eq!(emulator.outbound_calls().len(), 1);
    }

    #[tokio::test]
    async fn a_placed_call_is_described_from_ringing_to_agent_to_ended() {
        let emulator = ConnectEmulator::start().await.unwrap();
        let client = client(&emulator);
        let placed = client
            .start_outbound_voice_contact()
            .instance_id(emulator.instance_id())
            .contact_flow_id("flow-1")
            .queue_id(emulator.queue_arn("queue-1"))
            .destination_phone_number("+81312345678")
            .attributes("campaign", "spring")
            .send()
            .await
            .unwrap();
        let contact_id = placed.contact_id().unwrap().to_owned();
        let describe = || client.describe_contact().instance_id(emulator.instance_arn()).contact_id(&contact_id).send();

        let ringing = describe().await.unwrap().contact.unwrap();
        assert_eq!(ringing.initiation_method(), Some(&aws_sdk_connect::types::ContactInitiationMethod::Api));
        assert_eq!(ringing.queue_info().and_then(|q| q.id()), Some("queue-1"));
        assert_eq!(ringing.attributes().and_then(|a| a.get("campaign")).map(String::as_str), Some("spring"));
        assert!(ringing.agent_info().is_none() && ringing.disconnect_timestamp().is_none());

        assert!(emulator.connect_contact(&contact_id, "agent-7"));
        let with_agent = describe().await.unwrap().contact.unwrap();
        let agent = with_agent.agent_info().unwrap();
        assert_eq!(agent.id(), Some("agent-7"));
        assert!(agent.connected_to_agent_timestamp().is_some());

        assert!(emulator.end_contact(&contact_id));
        assert!(describe().await.unwrap().contact.unwrap().disconnect_timestamp().is_some());

        let missing = client.describe_contact().instance_id("i").contact_id("nope").send().await.unwrap_err();
        assert!(missing.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{missing:?}");
        assert!(!emulator.end_contact("nope"));
        assert_eq!(emulator.requests(DESCRIBE_CONTACT), 4);
    }

    #[tokio::test]
    async fn hours_overrides_are_created_listed_limited_and_deleted() {
        use aws_sdk_connect::types::{HoursOfOperationOverrideConfig, OverrideDays, OverrideTimeSlice, OverrideType};
        let emulator = ConnectEmulator::start().await.unwrap();
        let client = client(&emulator);
        let slice = |h| OverrideTimeSlice::builder().hours(h).minutes(0).build().unwrap();
        let create = |name: String, date: &str| {
            client
                .create_hours_of_operation_override()
                .instance_id(emulator.instance_arn())
                .hours_of_operation_id("h-1")
                .name(name)
                .override_type(OverrideType::Closed)
                .config(
                    HoursOfOperationOverrideConfig::builder()
                        .day(OverrideDays::Monday)
                        .start_time(slice(0))
                        .end_time(slice(23))
                        .build(),
                )
                .effective_from(date)
                .effective_till(date)
                .send()
        };
        emulator.add_hours_override("h-1", "Company anniversary", "2026-12-01");
        let id = create("holiday 2026-11-23 勤労感謝の日".into(), "2026-11-23")
            .await
            .unwrap()
            .hours_of_operation_override_id
            .unwrap();
        let duplicate = create("holiday 2026-11-23 勤労感謝の日".into(), "2026-11-23").await.unwrap_err();
        assert_eq!(duplicate.raw_response().map(|r| r.status().as_u16()), Some(409));
        assert!(create("bad dates".into(), "23/11/2026").await.is_err());
        let listed = client
            .list_hours_of_operation_overrides()
            .instance_id("i")
            .hours_of_operation_id("h-1")
            .max_results(1)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        let names: Vec<&str> = listed.iter().filter_map(|o| o.name()).collect();
        assert_eq!(names, ["Company anniversary", "holiday 2026-11-23 勤労感謝の日"]);
        assert_eq!(emulator.hours_overrides("h-1")[1].override_type, "CLOSED");

        for i in 0..48 {
            create(format!("holiday extra {i}"), "2027-01-01").await.unwrap();
        }
        let full = create("one too many".into(), "2027-01-02").await.unwrap_err();
        assert!(format!("{full:?}").contains("ServiceQuotaExceeded"), "{full:?}");

        client
            .delete_hours_of_operation_override()
            .instance_id("i")
            .hours_of_operation_id("h-1")
            .hours_of_operation_override_id(&id)
            .send()
            .await
            .unwrap();
        assert_eq!(emulator.hours_overrides("h-1").len(), 49);
        let gone = client
            .delete_hours_of_operation_override()
            .instance_id("i")
            .hours_of_operation_id("h-1")
            .hours_of_operation_override_id(&id)
            .send()
            .await
            .unwrap_err();
        assert!(gone.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{gone:?}");
    }

    #[tokio::test]
    async fn search_contacts_filters_sorts_and_pages() {
        let emulator = ConnectEmulator::start().await.unwrap();
        let base: DateTime<Utc> = "2026-11-21T09:00:00Z".parse().unwrap();
        for i in 0..5u32 {
            let caller = if i.is_multiple_of(2) { "A" } else { "B" };
            emulator.add_contact(
                EmulatedContact::new(format!("c{i}"), base + chrono::TimeDelta::minutes(i64::from(i)))
                    .with_agent("agent-1")
                    .with_attribute("caller", caller),
            );
        }
        let client = client(&emulator);
        let range = SearchContactsTimeRange::builder()
            .r#type(SearchContactsTimeRangeType::InitiationTimestamp)
            .start_time(SdkDateTime::from_secs(base.timestamp() - 60))
            .end_time(SdkDateTime::from_secs(base.timestamp() + 3600))
            .build()
            .unwrap();
        let criteria = SearchCriteria::builder()
            .searchable_contact_attributes(
                SearchableContactAttributes::builder()
                    .criteria(SearchableContactAttributesCriteria::builder().key("caller").values("A").build().unwrap())
                    .match_type(SearchContactsMatchType::MatchAll)
                    .build()
                    .unwrap(),
            )
            .build();
        let sort = Sort::builder()
            .field_name(SortableFieldName::InitiationTimestamp)
            .order(SortOrder::Ascending)
            .build()
            .unwrap();
        let search = |token: Option<String>| {
            client
                .search_contacts()
                .instance_id(emulator.instance_id())
                .time_range(range.clone())
                .search_criteria(criteria.clone())
                .sort(sort.clone())
                .max_results(2)
                .set_next_token(token)
                .send()
        };
        let first = search(None).await.unwrap();
        assert_eq!(first.total_count(), Some(3));
        let ids: Vec<&str> = first.contacts().iter().filter_map(|c| c.id()).collect();
        assert_eq!(ids, ["c0", "c2"]);
        assert_eq!(first.contacts()[0].initiation_timestamp().map(|t| t.secs()), Some(base.timestamp()));
        let second = search(first.next_token().map(str::to_owned)).await.unwrap();
        let ids: Vec<&str> = second.contacts().iter().filter_map(|c| c.id()).collect();
        assert_eq!(ids, ["c4"]);
        assert!(second.next_token().is_none());
    }

    #[tokio::test]
    async fn current_metric_data_has_no_row_for_a_queue_without_value() {
        let emulator = ConnectEmulator::start().await.unwrap();
        emulator.set_agents_available("q-1", Some(3));
        emulator.set_agents_available("q-2", Some(1));
        emulator.set_agents_available("q-2", None);
        let client = client(&emulator);
        let out = client
            .get_current_metric_data()
            .instance_id(emulator.instance_id())
            .filters(
                Filters::builder().queues("q-1").queues(emulator.queue_arn("q-2")).channels(Channel::Voice).build(),
            )
            .groupings(Grouping::Queue)
            .current_metrics(
                CurrentMetric::builder().name(CurrentMetricName::AgentsAvailable).unit(Unit::Count).build(),
            )
            .send()
            .await
            .unwrap();
        let results = out.metric_results();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].dimensions().and_then(|d| d.queue()).and_then(|q| q.id()), Some("q-1"));
        assert_eq!(results[0].collections().first().and_then(|c| c.value()), Some(3.0));
        assert!(out.data_snapshot_time().is_some());
    }
}
