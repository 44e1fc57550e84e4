//! Records who served a caller, with one conditional write.

use std::convert::Infallible;
use std::time::Duration;

use connect_aws::ANSWER_WITHIN;
use connect_core::agents::{agent_arn, agent_id};
use connect_core::assignments::{Assignment, RecordOutcome};
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::ports::{AssignmentStore, Clock, error_chain};
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
}

pub struct AssignmentRecorder<S, K> {
    store: S,
    clock: K,
    keep_for_days: u32,
    greeting: String,
    answer_within: Duration,
}

impl<S: AssignmentStore, K: Clock> AssignmentRecorder<S, K> {
    pub fn new(config: &Config, store: S, clock: K) -> Self {
        AssignmentRecorder {
            store,
            clock,
            keep_for_days: config.assignments.keep_for_days,
            greeting: config.greeting.clone(),
            answer_within: ANSWER_WITHIN,
        }
    }

    fn answer(&self, recorded: bool, error: Option<&str>) -> RecorderResponse {
        RecorderResponse { recorded: flag(recorded), message: self.greeting.clone(), error: error.map(str::to_owned) }
    }

    /// Always answers the flow with the greeting; nothing here fails the contact.
    pub async fn handle(&self, event: serde_json::Value) -> Result<RecorderResponse, Infallible> {
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event; nothing recorded");
                return Ok(self.answer(false, Some("malformed event")));
            }
        };
        let contact_id = event.contact_id();
        let Some(caller) = event.caller() else {
            tracing::info!(contact_id, "unknown caller (withheld, not E.164, or no phone); nothing recorded");
            return Ok(self.answer(false, None));
        };
        let reference = event.parameter("agentId").unwrap_or_default();
        let Some(agent) = agent_id(&reference) else {
            tracing::warn!(contact_id, agent = reference, "no agent ID or agent ARN in agentId; nothing recorded");
            return Ok(self.answer(false, None));
        };
        if contact_id.is_empty() {
            tracing::warn!(%caller, "event without ContactId; nothing recorded");
            return Ok(self.answer(false, Some("malformed event")));
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
                Ok(self.answer(true, None))
            }
            Ok(Ok(RecordOutcome::Superseded)) => {
                tracing::info!(contact_id, %caller, agent_id = assignment.agent_id, "a newer assignment exists; kept it");
                Ok(self.answer(false, None))
            }
            Ok(Err(e)) => {
                tracing::error!(contact_id, %caller, error = %error_chain(&e), "assignment not recorded");
                Ok(self.answer(false, Some("assignment not recorded")))
            }
            Err(_) => {
                tracing::error!(contact_id, %caller, within_ms = self.answer_within.as_millis(), "assignment write timed out");
                Ok(self.answer(false, Some("timed out")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use connect_aws::Env;
    use connect_core::fakes::{FakeAssignments, FakeClock, sample_event};
    use serde_json::{Value, json};

    const CALLER: &str = "+81312345678";
    const INSTANCE: &str = "arn:aws:connect:ap-northeast-1:123456789012:instance/b5c1a1b3-2a3c-4b5d-8e9f-0a1b2c3d4e5f";

    type Recorder = AssignmentRecorder<FakeAssignments, FakeClock>;

    fn recorder() -> Recorder {
        let config = Config::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t")])).unwrap();
        AssignmentRecorder::new(&config, FakeAssignments::default(), FakeClock::at("2026-11-21T09:00:00Z"))
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
        r.handle(event).await.unwrap()
    }

    #[tokio::test]
    async fn records_the_agent_with_its_arn_and_expiry() {
        let r = recorder();
        let answer = record(&r, event("voice")).await;
        assert_eq!(
            answer,
            RecorderResponse { recorded: "true".into(), message: crate::config::DEFAULT_GREETING.into(), error: None }
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
        let full = RecorderResponse { recorded: "false".into(), message: "m".into(), error: Some("x".into()) };
        connect_core::fakes::assert_contract("assignment-recorder", include_str!("handler.rs"), &full);
    }
}
