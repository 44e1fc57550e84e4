//! Records who served a caller, with one conditional write: on Amazon Connect contact events
//! (EventBridge), once an agent really answered, or when a contact flow calls it directly.

use std::time::Duration;

use connect_aws::ANSWER_WITHIN;
use connect_core::agents::{agent_arn, agent_id};
use connect_core::assignments::{Assignment, RecordOutcome};
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::contact_events::{ContactEvent, RecordRules, decide};
use connect_core::metrics::{BY_OUTCOME, MetricRecord, OUTCOME, REASON};
use connect_core::phone::CallerNumber;
use connect_core::ports::{AssignmentStore, Clock, ContactDetails, error_chain};
use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecorderResponse {
    pub recorded: String,
    /// Always the greeting: the flow plays it whether or not anything was recorded.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What happened, for the metrics (the flow reads the strings above).
    #[serde(skip)]
    pub outcome: FlowOutcome,
}

/// What a flow invocation led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowOutcome {
    Recorded,
    /// No caller number, no agent, or a newer assignment kept: the flow is not told which.
    NothingToRecord,
    Malformed,
    /// The write failed or timed out: why, as the flow's `error`.
    NotWritten(&'static str),
}

/// What a contact event led to (the function's answer to EventBridge, and its log line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventOutcome {
    pub contact_id: String,
    pub recorded: bool,
    /// Why nothing was written: a skip reason, or `newer assignment kept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The metrics' `Reason` for `skipped`.
    #[serde(skip)]
    pub reason: Option<&'static str>,
}

/// The answer to either kind of invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RecorderAnswer {
    Flow(RecorderResponse),
    Event(EventOutcome),
}

/// A contact event that could not be recorded for now: a function error. EventBridge invokes the
/// function asynchronously, so Lambda retries the event twice, then the function's dead-letter
/// queue keeps it (the stack sets one, and alarms on it).
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error("DescribeContact of {contact_id} failed")]
    ContactUnavailable {
        contact_id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the assignment of {contact_id} was not written")]
    NotRecorded {
        contact_id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl RecorderError {
    pub fn error_type(&self) -> &'static str {
        match self {
            RecorderError::ContactUnavailable { .. } => "ContactUnavailable",
            RecorderError::NotRecorded { .. } => "AssignmentNotRecorded",
        }
    }
}

impl From<RecorderError> for Diagnostic {
    fn from(error: RecorderError) -> Diagnostic {
        Diagnostic { error_type: error.error_type().to_owned(), error_message: error_chain(&error) }
    }
}

/// `Assignments` by outcome (`recorded`, `skipped`, `failed`) and, when not recorded, why.
pub fn metrics(result: &Result<RecorderAnswer, RecorderError>) -> MetricRecord {
    let (outcome, reason) = match result {
        Ok(RecorderAnswer::Event(e)) if e.recorded => ("recorded", None),
        Ok(RecorderAnswer::Event(e)) => ("skipped", e.reason),
        Ok(RecorderAnswer::Flow(f)) => match f.outcome {
            FlowOutcome::Recorded => ("recorded", None),
            FlowOutcome::NothingToRecord => ("skipped", Some("nothing_to_record")),
            FlowOutcome::Malformed => ("skipped", Some("malformed")),
            FlowOutcome::NotWritten(_) => ("failed", Some("not_written")),
        },
        Err(e) => ("failed", Some(e.error_type())),
    };
    let record = MetricRecord::new().field(OUTCOME, outcome);
    match reason {
        Some(reason) => record.field(REASON, reason).count("Assignments", 1, &[&[], &[OUTCOME], &[OUTCOME, REASON]]),
        None => record.count("Assignments", 1, BY_OUTCOME),
    }
}

pub struct AssignmentRecorder<S, C, K> {
    store: S,
    contacts: C,
    clock: K,
    keep_for_days: u32,
    greeting: String,
    rules: RecordRules,
    answer_within: Duration,
}

impl<S: AssignmentStore, C: ContactDetails, K: Clock> AssignmentRecorder<S, C, K> {
    pub fn new(config: &Config, store: S, contacts: C, clock: K) -> Self {
        AssignmentRecorder {
            store,
            contacts,
            clock,
            keep_for_days: config.assignments.keep_for_days,
            greeting: config.greeting.clone(),
            rules: config.rules.clone(),
            answer_within: ANSWER_WITHIN,
        }
    }

    /// A contact event (from EventBridge) or a contact-flow invocation.
    pub async fn handle(&self, event: serde_json::Value) -> Result<RecorderAnswer, RecorderError> {
        if ContactEvent::is_contact_event(&event) {
            let event = ContactEvent::from_value(event).unwrap_or_default();
            return self.handle_contact_event(&event).await.map(RecorderAnswer::Event);
        }
        Ok(RecorderAnswer::Flow(self.handle_flow(event).await))
    }

    /// Records the caller of an answered contact: the decision from the event alone, the number
    /// from DescribeContact, the connection time as the assignment's time, so the newer
    /// connection wins whatever order the events arrive in, and a repeated event rewrites the
    /// same assignment.
    pub async fn handle_contact_event(&self, event: &ContactEvent) -> Result<EventOutcome, RecorderError> {
        let contact_id = event.detail.contact_id.clone().unwrap_or_default();
        let event_type = event.detail.event_type.as_deref().unwrap_or_default();
        let outcome = |recorded: bool, skipped: Option<(&str, &'static str)>| EventOutcome {
            contact_id: contact_id.clone(),
            recorded,
            skipped: skipped.map(|(text, _)| text.to_owned()),
            reason: skipped.map(|(_, reason)| reason),
        };
        let connection = match decide(event, &self.rules) {
            Ok(connection) => connection,
            Err(reason) => {
                tracing::info!(contact_id, event_type, reason = reason.as_str(), "contact event skipped");
                return Ok(outcome(false, Some((reason.as_str(), reason.metric_name()))));
            }
        };
        let address =
            self.contacts.customer_address(&connection.instance_id, &connection.contact_id).await.map_err(|e| {
                RecorderError::ContactUnavailable { contact_id: contact_id.clone(), source: Box::new(e) }
            })?;
        let Some(caller) = address.as_deref().and_then(CallerNumber::parse) else {
            tracing::info!(contact_id, event_type, "no E.164 caller number (withheld or not a phone); skipped");
            return Ok(outcome(false, Some(("no caller number", "no_caller_number"))));
        };
        let assignment = Assignment::new(
            caller,
            connection.agent_id,
            connection.agent_arn,
            connection.contact_id,
            connection.connected_at,
            self.keep_for_days,
        );
        let caller = &assignment.caller;
        match self.store.record(&assignment).await {
            Ok(RecordOutcome::Written) => {
                tracing::info!(contact_id, event_type, %caller, agent_id = assignment.agent_id, "assignment recorded");
                Ok(outcome(true, None))
            }
            Ok(RecordOutcome::Superseded) => {
                tracing::info!(contact_id, event_type, %caller, agent_id = assignment.agent_id, "a newer assignment exists; kept it");
                Ok(outcome(false, Some(("newer assignment kept", "newer_kept"))))
            }
            Err(e) => {
                tracing::error!(contact_id, %caller, error = %error_chain(&e), "assignment not recorded");
                Err(RecorderError::NotRecorded { contact_id: contact_id.clone(), source: Box::new(e) })
            }
        }
    }

    fn answer(&self, outcome: FlowOutcome) -> RecorderResponse {
        let error = match outcome {
            FlowOutcome::Recorded | FlowOutcome::NothingToRecord => None,
            FlowOutcome::Malformed => Some("malformed event".to_owned()),
            FlowOutcome::NotWritten(why) => Some(why.to_owned()),
        };
        RecorderResponse {
            recorded: flag(outcome == FlowOutcome::Recorded),
            message: self.greeting.clone(),
            error,
            outcome,
        }
    }

    /// Always answers the flow with the greeting; nothing here fails the contact.
    pub async fn handle_flow(&self, event: serde_json::Value) -> RecorderResponse {
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event; nothing recorded");
                return self.answer(FlowOutcome::Malformed);
            }
        };
        let contact_id = event.contact_id();
        let Some(caller) = event.caller() else {
            tracing::info!(contact_id, "unknown caller (withheld, not E.164, or no phone); nothing recorded");
            return self.answer(FlowOutcome::NothingToRecord);
        };
        let reference = event.parameter("agentId").unwrap_or_default();
        let Some(agent) = agent_id(&reference) else {
            tracing::warn!(contact_id, agent = reference, "no agent ID or agent ARN in agentId; nothing recorded");
            return self.answer(FlowOutcome::NothingToRecord);
        };
        if contact_id.is_empty() {
            tracing::warn!(%caller, "event without ContactId; nothing recorded");
            return self.answer(FlowOutcome::Malformed);
        }
        let arn = if reference.starts_with("arn:") {
            reference
        } else {
            event.details.contact_data.instance_arn.as_deref().map(|i| agent_arn(i, &agent)).unwrap_or_default()
        };
        let assignment =
            Assignment::new(caller, agent, arn, contact_id.to_owned(), self.clock.now(), self.keep_for_days);
        let caller = &assignment.caller;
        match tokio::time::timeout(self.answer_within, self.store.record(&assignment)).await {
            Ok(Ok(RecordOutcome::Written)) => {
                tracing::info!(contact_id, %caller, agent_id = assignment.agent_id, "assignment recorded");
                self.answer(FlowOutcome::Recorded)
            }
            Ok(Ok(RecordOutcome::Superseded)) => {
                tracing::info!(contact_id, %caller, agent_id = assignment.agent_id, "a newer assignment exists; kept it");
                self.answer(FlowOutcome::NothingToRecord)
            }
            Ok(Err(e)) => {
                tracing::error!(contact_id, %caller, error = %error_chain(&e), "assignment not recorded");
                self.answer(FlowOutcome::NotWritten("assignment not recorded"))
            }
            Err(_) => {
                tracing::error!(contact_id, %caller, within_ms = self.answer_within.as_millis(), "assignment write timed out");
                self.answer(FlowOutcome::NotWritten("timed out"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use connect_aws::Env;
    use connect_fakes::{FakeAssignments, FakeClock, FakeContacts, sample_event};
    use serde_json::{Value, json};

    const CALLER: &str = "+81312345678";
    const INSTANCE: &str = "arn:aws:connect:ap-northeast-1:123456789012:instance/b5c1a1b3-2a3c-4b5d-8e9f-0a1b2c3d4e5f";

    type Recorder = AssignmentRecorder<FakeAssignments, FakeContacts, FakeClock>;

    fn recorder_with(env: &[(&str, &str)], contacts: FakeContacts) -> Recorder {
        let pairs = [("ASSIGNMENTS_TABLE", "t")].into_iter().chain(env.iter().copied());
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        AssignmentRecorder::new(&config, FakeAssignments::default(), contacts, FakeClock::at("2026-11-21T09:00:00Z"))
    }

    fn recorder() -> Recorder {
        recorder_with(&[], FakeContacts::default())
    }

    fn event(name: &str) -> Value {
        sample_event("assignment-recorder", name)
    }

    fn from_contact(contact_id: &str, agent: &str) -> Value {
        let mut e = event("voice");
        e["Details"]["ContactData"]["ContactId"] = json!(contact_id);
        e["Details"]["Parameters"]["agentId"] = json!(agent);
        e
    }

    async fn record(r: &Recorder, event: Value) -> RecorderResponse {
        match r.handle(event).await.unwrap() {
            RecorderAnswer::Flow(answer) => answer,
            other => panic!("a flow invocation answered {other:?}"),
        }
    }

    /// A contact event from `events/assignment-recorder/`, for `contact_id`, of `event_type`,
    /// with the agent connected at `connected_at`.
    fn contact_event(name: &str, contact_id: &str, event_type: &str, connected_at: &str) -> Value {
        let mut e = event(name);
        e["detail"]["contactId"] = json!(contact_id);
        e["detail"]["eventType"] = json!(event_type);
        e["detail"]["agentInfo"]["connectedToAgentTimestamp"] = json!(connected_at);
        e
    }

    async fn on_event(r: &Recorder, event: Value) -> Result<EventOutcome, RecorderError> {
        match r.handle(event).await? {
            RecorderAnswer::Event(outcome) => Ok(outcome),
            other => panic!("a contact event answered {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_answered_call_is_recorded_once_and_the_newer_connection_wins_in_any_order() {
        let contacts = FakeContacts::default().with("c-1", Some(CALLER)).with("c-2", Some(CALLER));
        let r = recorder_with(&[], contacts);
        let older = contact_event("connected-to-agent", "c-1", "CONNECTED_TO_AGENT", "2026-11-20T09:00:00.000Z");
        let mut newer = contact_event("connected-to-agent", "c-2", "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        newer["detail"]["agentInfo"]["agentArn"] = json!(format!("{INSTANCE}/agent/ito"));
        // the newer connection arrives first, then the older one, then the newer one again
        assert!(on_event(&r, newer.clone()).await.unwrap().recorded);
        let late = on_event(&r, older).await.unwrap();
        assert_eq!((late.recorded, late.skipped.as_deref()), (false, Some("newer assignment kept")));
        assert!(on_event(&r, newer).await.unwrap().recorded, "a repeated event rewrites the same assignment");
        let stored = r.store.get(CALLER).unwrap();
        assert_eq!((stored.agent_id.as_str(), stored.contact_id.as_str()), ("ito", "c-2"));
        assert_eq!(stored.agent_arn, format!("{INSTANCE}/agent/ito"));
        assert_eq!(stored.updated_at, "2026-11-21T09:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
        assert_eq!(r.contacts.asked(), 3, "one DescribeContact per recorded event");
    }

    #[tokio::test]
    async fn chats_withheld_numbers_other_events_and_short_calls_are_skipped_without_a_write() {
        let contacts = FakeContacts::default().with("c-1", None).with("c-2", Some("anonymous"));
        let r = recorder_with(&[], contacts);
        let skipped = |o: EventOutcome| (o.recorded, o.skipped.unwrap_or_default());
        let withheld = contact_event("connected-to-agent", "c-1", "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        assert_eq!(skipped(on_event(&r, withheld).await.unwrap()), (false, "no caller number".into()));
        let odd = contact_event("connected-to-agent", "c-2", "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        assert_eq!(skipped(on_event(&r, odd).await.unwrap()), (false, "no caller number".into()));
        let mut chat = event("connected-to-agent");
        chat["detail"]["channel"] = json!("CHAT");
        assert_eq!(skipped(on_event(&r, chat).await.unwrap()), (false, "not a voice contact".into()));
        let queued = contact_event("connected-to-agent", "c-3", "QUEUED", "2026-11-21T09:00:00.000Z");
        assert_eq!(skipped(on_event(&r, queued).await.unwrap()).1, "event type not recorded");
        let mut outbound = event("connected-to-agent");
        outbound["detail"]["initiationMethod"] = json!("OUTBOUND");
        assert_eq!(skipped(on_event(&r, outbound).await.unwrap()).1, "initiation method not recorded");
        assert_eq!(r.store.writes(), 0);
        assert_eq!(r.contacts.asked(), 2, "Connect is asked only about events worth recording");

        // MIN_CONNECTED_SECONDS: the disconnect decides
        let contacts = FakeContacts::default().with("c-9", Some(CALLER));
        let r = recorder_with(&[("MIN_CONNECTED_SECONDS", "30")], contacts);
        let connected = contact_event("connected-to-agent", "c-9", "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        assert_eq!(skipped(on_event(&r, connected).await.unwrap()).1, "event type not recorded");
        let mut short = contact_event("disconnected", "c-9", "DISCONNECTED", "2026-11-21T09:00:00.000Z");
        short["detail"]["disconnectTimestamp"] = json!("2026-11-21T09:00:12.000Z");
        assert_eq!(skipped(on_event(&r, short).await.unwrap()).1, "shorter than MIN_CONNECTED_SECONDS");
        let long = contact_event("disconnected", "c-9", "DISCONNECTED", "2026-11-21T09:00:00.000Z");
        assert!(on_event(&r, long).await.unwrap().recorded);
    }

    #[tokio::test]
    async fn a_failure_is_a_function_error_so_the_event_is_retried() {
        let contacts = FakeContacts::default().with("c-1", Some(CALLER));
        let r = recorder_with(&[], contacts);
        let answered = contact_event("connected-to-agent", "c-1", "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        r.contacts.fail_with(Some("ThrottlingException"));
        let err = on_event(&r, answered.clone()).await.unwrap_err();
        assert_eq!(Diagnostic::from(err).error_type, "ContactUnavailable");
        r.contacts.fail_with(None);
        r.store.fail_with(Some("ProvisionedThroughputExceededException"));
        let err = on_event(&r, answered.clone()).await.unwrap_err();
        let diagnostic = Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, "AssignmentNotRecorded");
        assert!(diagnostic.error_message.contains("ProvisionedThroughputExceeded"), "{}", diagnostic.error_message);
        assert!(!diagnostic.error_message.contains(CALLER), "no number in the error");
        r.store.fail_with(None);
        assert!(on_event(&r, answered).await.unwrap().recorded, "the retry records it");
    }

    #[tokio::test]
    async fn each_event_is_counted_as_recorded_skipped_with_its_reason_or_failed() {
        let contacts = FakeContacts::default().with("c-1", Some(CALLER)).with("c-2", None);
        let r = recorder_with(&[], contacts);
        let answered =
            |id: &str| contact_event("connected-to-agent", id, "CONNECTED_TO_AGENT", "2026-11-21T09:00:00.000Z");
        let mut chat = event("connected-to-agent");
        chat["detail"]["channel"] = json!("CHAT");
        let of = |result: Result<RecorderAnswer, RecorderError>| {
            let record = metrics(&result);
            assert_eq!(record.value("Assignments"), Some(1.0));
            let sets = record.measure("Assignments").unwrap().dimension_sets.len();
            (record.get("Outcome").unwrap_or_default().to_owned(), record.get("Reason").map(str::to_owned), sets)
        };
        assert_eq!(of(r.handle(answered("c-1")).await), ("recorded".into(), None, 2));
        assert_eq!(of(r.handle(answered("c-2")).await), ("skipped".into(), Some("no_caller_number".into()), 3));
        assert_eq!(of(r.handle(chat).await), ("skipped".into(), Some("not_voice".into()), 3));
        r.store.fail_with(Some("ProvisionedThroughputExceededException"));
        assert_eq!(of(r.handle(answered("c-1")).await), ("failed".into(), Some("AssignmentNotRecorded".into()), 3));
        assert_eq!(of(r.handle(event("voice")).await), ("failed".into(), Some("not_written".into()), 3));
        assert_eq!(of(recorder().handle(event("voice")).await), ("recorded".into(), None, 2));
    }

    #[tokio::test]
    async fn records_the_agent_with_its_arn_and_expiry() {
        let r = recorder();
        let answer = record(&r, event("voice")).await;
        assert_eq!(
            answer,
            RecorderResponse {
                recorded: "true".into(),
                message: crate::config::DEFAULT_GREETING.into(),
                error: None,
                outcome: FlowOutcome::Recorded
            }
        );
        let stored = r.store.get(CALLER).unwrap();
        assert_eq!(
            (stored.agent_id.as_str(), stored.agent_arn.clone()),
            ("suzuki", format!("{INSTANCE}/agent/suzuki"))
        );
        assert_eq!(stored.contact_id, "5ca32fbd-8f92-46af-92a5-6b0f970f0efe");
        assert_eq!(stored.expires_at, "2027-02-19T09:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());

        let r = recorder();
        record(&r, event("agent-arn")).await;
        assert_eq!(r.store.get(CALLER).unwrap().agent_id, "suzuki", "an ARN is stored as its ID");
    }

    #[tokio::test]
    async fn unknown_callers_and_missing_agents_write_nothing_but_still_get_the_message() {
        for name in ["withheld", "chat", "no-agent"] {
            let r = recorder();
            let answer = record(&r, event(name)).await;
            assert_eq!((answer.recorded.as_str(), answer.error.as_deref()), ("false", None), "{name}");
            assert_eq!(answer.message, crate::config::DEFAULT_GREETING);
            assert_eq!(r.store.writes(), 0, "{name}");
        }
        let r = recorder();
        let queue_arn = format!("{INSTANCE}/queue/q-1");
        assert_eq!(record(&r, from_contact("c-1", &queue_arn)).await.recorded, "false");
        assert_eq!(record(&r, json!([])).await.error.as_deref(), Some("malformed event"));
        assert_eq!(r.store.writes(), 0);
    }

    #[tokio::test]
    async fn a_retry_is_harmless_and_an_older_contact_never_overwrites_a_newer_one() {
        let r = recorder();
        assert_eq!(record(&r, from_contact("c-1", "sato")).await.recorded, "true");
        assert_eq!(record(&r, from_contact("c-1", "sato")).await.recorded, "true", "retry of the same contact");
        r.clock.advance(TimeDelta::minutes(5));
        assert_eq!(record(&r, from_contact("c-2", "ito")).await.recorded, "true", "a newer contact wins");
        assert_eq!(r.store.get(CALLER).unwrap().agent_id, "ito");

        // another contact stamped before the stored one (a retry that arrives late) loses
        r.clock.advance(TimeDelta::minutes(-1));
        assert_eq!(record(&r, from_contact("c-3", "sato")).await.recorded, "false");
        assert_eq!(r.store.get(CALLER).unwrap().agent_id, "ito");
    }

    #[tokio::test]
    async fn a_failing_table_is_answered_with_the_message_and_an_error() {
        let r = recorder();
        r.store.fail_with(Some("ProvisionedThroughputExceededException"));
        let answer = record(&r, event("voice")).await;
        assert_eq!((answer.recorded.as_str(), answer.error.as_deref()), ("false", Some("assignment not recorded")));
        assert_eq!(answer.message, crate::config::DEFAULT_GREETING);
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = RecorderResponse {
            recorded: "false".into(),
            message: "m".into(),
            error: Some("x".into()),
            outcome: FlowOutcome::NotWritten("x"),
        };
        connect_fakes::assert_contract("assignment-recorder", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        /// A contact event or flow event in any shape: recorded, skipped, or refused with a named
        /// error (so EventBridge retries it), never a panic.
        #[test]
        fn any_event_gets_an_answer_or_a_clear_refusal(
            event in connect_fakes::arbitrary::events(
                ["connected-to-agent", "disconnected", "voice", "withheld", "chat", "agent-arn"].map(event).to_vec()
            )
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            match runtime.block_on(recorder().handle(event)) {
                Ok(answer) => proptest::prop_assert!(serde_json::to_value(&answer).is_ok()),
                Err(e) => {
                    let diagnostic = lambda_runtime::Diagnostic::from(e);
                    proptest::prop_assert!(!diagnostic.error_type.is_empty() && !diagnostic.error_message.is_empty());
                }
            }
        }
    }
}
