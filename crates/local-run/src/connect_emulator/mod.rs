//! An in-process emulator of the Amazon Connect operations the functions call, speaking the
//! REST-JSON wire protocol of the real service, so that the real `aws-sdk-connect` client works
//! against it over HTTP on 127.0.0.1 (set the client's endpoint URL to [`ConnectEmulator::endpoint`]).
//! It refuses what Connect refuses:
//!
//! - **The service model.** Every request is routed by HTTP method and `requestUri` template of
//!   botocore's Connect model and checked against the operation's input shape ([`model`]): a
//!   request that fails is answered 400 with the operation's validation error
//!   (`InvalidParameterException`, else `InvalidRequestException`) and a message naming the
//!   member, and recorded: dropping the emulator with an unexpected refusal fails the test (take
//!   the expected ones with [`ConnectEmulator::take_refused`]).
//! - **Quotas** ([`quotas`]): a token bucket per operation at Connect's default rates; over the
//!   rate, 429 with the operation's throttling error.
//! - **Client tokens** are kept for 7 days on the emulator's clock ([`ConnectEmulator::advance_clock`]):
//!   a repeated token answers the first request's result and does nothing again, except that a
//!   repeated StartOutboundVoiceContact token whose contact has ended starts a new call (the
//!   reference promises the contact only while it is started: the cautious reading).
//! - **Contacts** have a life a test drives, with the contact events Connect publishes ([`contacts`]).
//!
//! The API families: [`users`] (ListUsers, DescribeUser, GetCurrentUserData,
//! ListRoutingProfileQueues), [`contacts`]
//! (SearchContacts, DescribeContact, UpdateContactRoutingData), [`outbound`]
//! (StartOutboundVoiceContact), [`hours`] (List/Create/DeleteHoursOfOperationOverride) and
//! [`metrics`] (GetCurrentMetricData). A modeled operation the emulator does not serve is 404
//! `UnknownOperationException`, and recorded as refused. Errors are sent the way Connect sends them:
//! a 4xx/5xx status, the code in `x-amzn-errortype` and `{"message": ...}`; timestamps are epoch
//! seconds. The one instance is [`INSTANCE_ID`] (an ARN or another ID is refused: [`model`],
//! [`common::unknown_instance`]); every ARN returned is built on [`ConnectEmulator::instance_arn`].
//!
//! Tests can also make an operation fail ([`ConnectEmulator::fail_next`]), slow it down
//! ([`ConnectEmulator::set_delay`]) and count the requests it received ([`ConnectEmulator::requests`]).

pub(crate) mod common;
pub mod contacts;
pub mod events;
pub mod hours;
pub mod metrics;
pub mod model;
pub mod outbound;
pub mod quotas;
pub mod users;
pub(crate) mod wire;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use serde_json::Value;

use crate::server::{HttpResponse, LoopbackServer};
use common::{ApiError, arn};
use model::{RawRequest, ServiceModel};
use wire::{error_response, json_response, parse_query, path_segments};

pub use common::instance_arn;
pub use contacts::{EmulatedContact, SYSTEM_NUMBER};
pub use hours::{HoursOverride, MAX_HOURS_OVERRIDES};
pub use metrics::{AGENTS_AVAILABLE, CONTACTS_IN_QUEUE, SLOTS_AVAILABLE};
pub use outbound::OutboundCall;
pub use quotas::Quota;
pub use users::{Agent, AgentStatus};

pub const INSTANCE_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = crate::aws::REGION;

/// Operation names, as [`ConnectEmulator::fail_next`] and [`ConnectEmulator::requests`] take them.
pub const LIST_USERS: &str = "ListUsers";
pub const DESCRIBE_USER: &str = "DescribeUser";
pub const LIST_ROUTING_PROFILE_QUEUES: &str = "ListRoutingProfileQueues";
pub const GET_CURRENT_USER_DATA: &str = "GetCurrentUserData";
pub const SEARCH_CONTACTS: &str = "SearchContacts";
pub const START_OUTBOUND_VOICE_CONTACT: &str = "StartOutboundVoiceContact";
pub const GET_CURRENT_METRIC_DATA: &str = "GetCurrentMetricData";
pub const DESCRIBE_CONTACT: &str = "DescribeContact";
pub const UPDATE_CONTACT_ROUTING_DATA: &str = "UpdateContactRoutingData";
pub const LIST_HOURS_OVERRIDES: &str = "ListHoursOfOperationOverrides";
pub const CREATE_HOURS_OVERRIDE: &str = "CreateHoursOfOperationOverride";
pub const DELETE_HOURS_OVERRIDE: &str = "DeleteHoursOfOperationOverride";
pub const ASSOCIATE_HOURS: &str = "AssociateHoursOfOperations";
pub const LIST_CHILD_HOURS: &str = "ListChildHoursOfOperations";
/// Every operation the emulator answers.
pub const OPERATIONS: [&str; 14] = [
    LIST_USERS,
    DESCRIBE_USER,
    LIST_ROUTING_PROFILE_QUEUES,
    GET_CURRENT_USER_DATA,
    SEARCH_CONTACTS,
    START_OUTBOUND_VOICE_CONTACT,
    GET_CURRENT_METRIC_DATA,
    DESCRIBE_CONTACT,
    UPDATE_CONTACT_ROUTING_DATA,
    LIST_HOURS_OVERRIDES,
    CREATE_HOURS_OVERRIDE,
    DELETE_HOURS_OVERRIDE,
    ASSOCIATE_HOURS,
    LIST_CHILD_HOURS,
];

/// "The token is valid for 7 days after creation. If a contact is already started, the contact
/// ID is returned." (API reference, StartOutboundVoiceContact `ClientToken`.)
pub const CLIENT_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(7);

/// A request the emulator refused as Connect would (the model check, an unknown operation, a body
/// that is not JSON): not throttling, and not an answer of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The operation, or `METHOD /path` when no operation matched.
    pub operation: String,
    pub status: u16,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone)]
struct Fault {
    status: u16,
    error_type: String,
    /// The request is served first, then answered with the error: an answer lost on the way back.
    served: bool,
}

/// The answer to a client token, kept from its first request.
#[derive(Debug, Clone)]
struct Remembered {
    answer: Value,
    at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct State {
    users: users::Users,
    contacts: contacts::Contacts,
    outbound: outbound::Outbound,
    hours: hours::Hours,
    metrics: metrics::Metrics,
    /// How far the emulator's clock runs ahead of the real one.
    clock_offset: TimeDelta,
    /// (operation, client token) -> the first answer.
    tokens: HashMap<(String, String), Remembered>,
    quotas: quotas::Quotas,
    faults: HashMap<String, VecDeque<Fault>>,
    delays: HashMap<String, Duration>,
    requests: HashMap<String, usize>,
    throttled: HashMap<String, usize>,
    refused: Vec<Refusal>,
}

impl State {
    /// The emulator's clock: real time plus what tests moved it by.
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The emulator; stops serving when dropped, and then fails the test if a request was refused
/// that the test did not take with [`take_refused`](Self::take_refused).
pub struct ConnectEmulator {
    server: LoopbackServer,
    state: Arc<Mutex<State>>,
}

impl ConnectEmulator {
    /// Starts on a free loopback port; loads botocore's Connect model (once per process).
    pub async fn start() -> anyhow::Result<Self> {
        let model = ServiceModel::shared()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = LoopbackServer::start(move |request| handle(model.clone(), shared.clone(), request)).await?;
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
        arn("agent", agent_id)
    }

    pub fn queue_arn(&self, queue_id: &str) -> String {
        arn("queue", queue_id)
    }

    pub fn routing_profile_arn(&self, routing_profile_id: &str) -> String {
        arn("routing-profile", routing_profile_id)
    }

    pub fn contact_arn(&self, contact_id: &str) -> String {
        arn("contact", contact_id)
    }

    /// The emulator's clock (contact timestamps, client token ages).
    pub fn now(&self) -> DateTime<Utc> {
        lock(&self.state).now()
    }

    /// Moves the emulator's clock forward (or back) by `by`.
    pub fn advance_clock(&self, by: TimeDelta) {
        lock(&self.state).clock_offset += by;
    }

    /// The next `times` requests of `operation` (e.g. [`LIST_USERS`]) get `status` with
    /// `x-amzn-errortype: error_type`. Faults queue up behind ones already set. Note that the SDK
    /// retries 5xx, 429 and throttling errors by itself: each attempt uses up one fault.
    pub fn fail_next(&self, operation: &str, status: u16, error_type: &str, times: usize) {
        let mut state = lock(&self.state);
        let queue = state.faults.entry(operation.to_owned()).or_default();
        for _ in 0..times {
            queue.push_back(Fault { status, error_type: error_type.to_owned(), served: false });
        }
    }

    /// Like [`ConnectEmulator::fail_next`], but each request is served (a call placed, a token
    /// remembered) before the error goes back: the answer is lost, not the work.
    pub fn lose_answers(&self, operation: &str, status: u16, error_type: &str, times: usize) {
        let mut state = lock(&self.state);
        let queue = state.faults.entry(operation.to_owned()).or_default();
        for _ in 0..times {
            queue.push_back(Fault { status, error_type: error_type.to_owned(), served: true });
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

    /// Another rate for `operation` (for a scene that needs one); `None` restores Connect's default.
    pub fn set_quota(&self, operation: &str, quota: Option<Quota>) {
        lock(&self.state).quotas.set(operation, quota);
    }

    /// Quotas on (the default) or off (the benchmark, which measures speed, not the account's
    /// rate: it reports the quota figures beside its own).
    pub fn set_quotas_enabled(&self, enabled: bool) {
        lock(&self.state).quotas.set_enabled(enabled);
    }

    /// The rate quota in force for `operation`.
    pub fn quota(&self, operation: &str) -> Quota {
        lock(&self.state).quotas.quota(operation)
    }

    /// Requests of `operation` received so far, refused, throttled and failed ones included.
    pub fn requests(&self, operation: &str) -> usize {
        lock(&self.state).requests.get(operation).copied().unwrap_or(0)
    }

    /// Requests of `operation` answered 429 by the quota so far.
    pub fn throttled(&self, operation: &str) -> usize {
        lock(&self.state).throttled.get(operation).copied().unwrap_or(0)
    }

    /// The refusals so far (taken: they no longer fail the test on drop).
    pub fn take_refused(&self) -> Vec<Refusal> {
        std::mem::take(&mut lock(&self.state).refused)
    }
}

impl Drop for ConnectEmulator {
    /// A request Connect would refuse is a bug of the code under test, even where that code
    /// recovered from the 400: fail the test that made it, unless the test took it.
    #[allow(clippy::panic, reason = "test support: an unexpected refusal must fail the test")]
    fn drop(&mut self) {
        let refused = std::mem::take(&mut lock(&self.state).refused);
        if !refused.is_empty() && !std::thread::panicking() {
            let lines: Vec<String> =
                refused.iter().map(|r| format!("{} -> {} {}: {}", r.operation, r.status, r.code, r.message)).collect();
            panic!("the Connect emulator refused requests that Amazon Connect would refuse:\n{}", lines.join("\n"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The router

/// Answers a refusal and records it.
fn refuse(state: &Mutex<State>, operation: String, error: ApiError) -> HttpResponse {
    let answer = error_response(&error);
    lock(state).refused.push(Refusal { operation, status: error.status, code: error.code, message: error.message });
    answer
}

/// What the router decided for one admitted request before serving it.
struct Admission {
    delay: Option<Duration>,
    fault: Option<Fault>,
    throttled: bool,
}

/// Counts the request, takes a quota token, and picks its delay and the fault it uses up.
fn admit(state: &Mutex<State>, operation: &str) -> Admission {
    let mut state = lock(state);
    *state.requests.entry(operation.to_owned()).or_default() += 1;
    if !state.quotas.admit(operation, Instant::now()) {
        *state.throttled.entry(operation.to_owned()).or_default() += 1;
        return Admission { delay: None, fault: None, throttled: true };
    }
    let delay = state.delays.get(operation).copied();
    let fault = state.faults.get_mut(operation).and_then(VecDeque::pop_front);
    Admission { delay, fault, throttled: false }
}

async fn handle(model: Arc<ServiceModel>, state: Arc<Mutex<State>>, request: Request<Incoming>) -> HttpResponse {
    let method = request.method().as_str().to_owned();
    let raw_path = request.uri().path().to_owned();
    let query = parse_query(request.uri().query().unwrap_or_default());
    let headers = request.headers().clone();
    let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let segments = path_segments(&raw_path);

    let Some((operation, labels)) = model.route(&method, &segments) else {
        let message = format!("Amazon Connect has no operation for {method} {raw_path}");
        return refuse(
            &state,
            format!("{method} {raw_path}"),
            ApiError::new(404, "UnknownOperationException", message),
        );
    };
    let name = operation.name.clone();
    if !OPERATIONS.contains(&name.as_str()) {
        let message = format!("{name} is a Connect operation the emulator does not serve");
        return refuse(&state, name, ApiError::new(404, "UnknownOperationException", message));
    }
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => return refuse(&state, name, ApiError::new(400, "SerializationException", e.to_string())),
        }
    };
    let raw = RawRequest { method: &method, segments: &segments, query: &query, headers: &headers, body: &body };
    let input = match model.check(operation, &labels, &raw) {
        Ok(input) => input,
        Err(violation) => {
            let code = operation.validation_error();
            return refuse(&state, name, ApiError::new(400, code, format!("1 validation error detected: {violation}")));
        }
    };

    if let Some(error) = common::unknown_instance(&input) {
        return refuse(&state, name, error);
    }
    let admission = admit(&state, &name);
    if admission.throttled {
        let code = operation.throttling_error();
        return error_response(&ApiError::new(429, code, format!("Rate exceeded for {name}")));
    }
    if let Some(delay) = admission.delay {
        tokio::time::sleep(delay).await;
    }
    let token = model
        .idempotency_member(operation)
        .and_then(|member| input[member].as_str())
        .map(|token| (name.clone(), token.to_owned()));
    if let Some(fault) = admission.fault {
        if fault.served {
            let _ = serve(&state, &name, &input, token);
        }
        return error_response(&ApiError::new(fault.status, &fault.error_type, format!("injected failure of {name}")));
    }
    match serve(&state, &name, &input, token) {
        Ok(answer) => json_response(200, &answer),
        Err(error) => error_response(&error),
    }
}

/// Serves one checked request: a client token still within its 7 days answers what its first
/// request answered; otherwise the operation runs, and a success is kept under its token.
fn serve(
    state: &Mutex<State>,
    operation: &str,
    input: &Value,
    token: Option<(String, String)>,
) -> Result<Value, ApiError> {
    let mut state = lock(state);
    let now = state.now();
    if let Some(key) = &token
        && let Some(remembered) = state.tokens.get(key)
        && now - remembered.at < CLIENT_TOKEN_LIFETIME
        && !(operation == START_OUTBOUND_VOICE_CONTACT && ended(&state, &remembered.answer))
    {
        return Ok(remembered.answer.clone());
    }
    let answer = dispatch(&mut state, operation, input)?;
    if let Some(key) = token {
        state.tokens.insert(key, Remembered { answer: answer.clone(), at: now });
    }
    Ok(answer)
}

/// Whether the contact a StartOutboundVoiceContact answer named has ended. The reference
/// promises that a repeated token returns the contact "if a contact is already started"; it
/// promises nothing for one that has ended, so the emulator takes the cautious reading: a
/// repeated token of a disconnected contact starts a new call (a dialer must not re-send one).
fn ended(state: &State, answer: &Value) -> bool {
    let id = answer["ContactId"].as_str().unwrap_or_default();
    state.contacts.list.iter().any(|c| c.id == id && c.disconnected_at.is_some())
}

fn dispatch(state: &mut State, operation: &str, input: &Value) -> Result<Value, ApiError> {
    match operation {
        LIST_USERS => users::list_users(state, input),
        DESCRIBE_USER => users::describe_user(state, input),
        LIST_ROUTING_PROFILE_QUEUES => users::list_routing_profile_queues(state, input),
        GET_CURRENT_USER_DATA => users::get_current_user_data(state, input),
        SEARCH_CONTACTS => contacts::search_contacts(state, input),
        DESCRIBE_CONTACT => contacts::describe_contact(state, input),
        UPDATE_CONTACT_ROUTING_DATA => contacts::update_contact_routing_data(state, input),
        START_OUTBOUND_VOICE_CONTACT => outbound::start_outbound_voice_contact(state, input),
        GET_CURRENT_METRIC_DATA => metrics::get_current_metric_data(state, input),
        LIST_HOURS_OVERRIDES => hours::list_hours_overrides(state, input),
        CREATE_HOURS_OVERRIDE => hours::create_hours_override(state, input),
        DELETE_HOURS_OVERRIDE => hours::delete_hours_override(state, input),
        ASSOCIATE_HOURS => hours::associate_hours(state, input),
        LIST_CHILD_HOURS => hours::list_child_hours(state, input),
        other => Err(ApiError::new(404, "UnknownOperationException", format!("{other} is not served"))),
    }
}
