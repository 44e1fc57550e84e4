//! Picks the next agent in one invocation: the flow does not loop to find someone available.

use std::convert::Infallible;
use std::time::Duration;

use connect_aws::ANSWER_WITHIN;
use connect_core::agents::{AVAILABLE, AgentAnswer, ERROR, Routing, normalize_tried};
use connect_core::connect::ContactFlowEvent;
use connect_core::metrics::{MetricRecord, TOTAL};
use connect_core::ports::{AgentDirectory, error_chain};

pub struct AgentPicker<D, R> {
    directory: D,
    routing: Routing,
    random: R,
    answer_within: Duration,
}

impl<D: AgentDirectory, R: Fn(usize) -> usize + Send + Sync> AgentPicker<D, R> {
    pub fn new(directory: D, routing: Routing, random: R) -> Self {
        AgentPicker { directory, routing, random, answer_within: ANSWER_WITHIN }
    }

    /// Always answers the flow; a failure or a slow Connect becomes `status=error`.
    pub async fn handle(&self, event: serde_json::Value) -> Result<AgentAnswer, Infallible> {
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event");
                return Ok(AgentAnswer::failed(&[], "malformed event"));
            }
        };
        let contact_id = event.contact_id();
        // `users` is what older flows built on the samples pass.
        let tried = normalize_tried(&event.parameter("tried").or_else(|| event.parameter("users")).unwrap_or_default());
        let next = self.routing.next_answer(&self.directory, &tried, |n| (self.random)(n));
        let answer = match tokio::time::timeout(self.answer_within, next).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                tracing::error!(contact_id, error = %error_chain(&e), "agents unavailable");
                AgentAnswer::failed(&tried, "agents unavailable")
            }
            Err(_) => {
                tracing::error!(contact_id, within_ms = self.answer_within.as_millis(), "agent choice timed out");
                AgentAnswer::failed(&tried, "timed out")
            }
        };
        tracing::info!(contact_id, status = answer.status, agent_id = answer.agent_id, tried = answer.tried, "picked");
        Ok(answer)
    }
}

/// `Picks` by outcome (`picked`, `none_available`, `error`) and the Connect requests it took.
pub fn metrics(answer: &AgentAnswer, connect_requests: u32) -> MetricRecord {
    let outcome = match answer.status.as_str() {
        AVAILABLE => "picked",
        ERROR => "error",
        _ => "none_available",
    };
    MetricRecord::new().outcome("Picks", outcome).count("ConnectRequests", connect_requests, TOTAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::agents::{AgentState, PickOrder};
    use connect_fakes::{FakeDirectory, SAMPLE_AGENT_ARN as ARN, sample_agent as agent, sample_event};
    use serde_json::{Value, json};

    fn team() -> FakeDirectory {
        FakeDirectory::with([
            agent("sato", "Available", "2026-11-21T09:05:00Z"),
            agent("suzuki", "Available", "2026-11-21T09:01:00Z"),
            agent("tanaka", "Lunch", "2026-11-21T08:00:00Z"),
            agent("ito", "Available", "2026-11-21T09:03:00Z"),
        ])
    }

    fn picker(directory: FakeDirectory, order: PickOrder) -> AgentPicker<FakeDirectory, fn(usize) -> usize> {
        let routing = Routing { available_status: "Available".into(), order };
        AgentPicker::new(directory, routing, |n| n - 1)
    }

    fn with_tried(name: &str, value: &str) -> Value {
        let mut event = sample_event("agent-picker", "first-try");
        event["Details"]["Parameters"] = json!({ name: value });
        event
    }

    async fn pick(picker: &AgentPicker<FakeDirectory, fn(usize) -> usize>, event: Value) -> AgentAnswer {
        picker.handle(event).await.unwrap()
    }

    #[tokio::test]
    async fn the_longest_available_agent_comes_first_with_id_arn_and_username() {
        let p = picker(team(), PickOrder::LongestAvailable);
        let answer = pick(&p, sample_event("agent-picker", "first-try")).await;
        assert_eq!(
            answer,
            AgentAnswer {
                status: "available".into(),
                agent_id: "suzuki".into(),
                agent_arn: format!("{ARN}suzuki"),
                agent_username: "suzuki@example.com".into(),
                tried: "suzuki".into(),
                error: None,
            }
        );
        assert_eq!(p.directory.reads(), 1, "one directory read per call");
    }

    #[tokio::test]
    async fn tried_lists_with_spaces_duplicates_and_arns_are_skipped_and_normalized() {
        let p = picker(team(), PickOrder::LongestAvailable);
        let answer = pick(&p, sample_event("agent-picker", "tried-list")).await;
        assert_eq!((answer.agent_id.as_str(), answer.tried.as_str()), ("sato", "suzuki;ito;sato"));
        let answer = pick(&p, with_tried("users", "suzuki")).await;
        assert_eq!((answer.agent_id.as_str(), answer.tried.as_str()), ("ito", "suzuki;ito"), "older `users` name");
    }

    #[tokio::test]
    async fn nobody_untried_and_available_is_unavailable_with_the_tried_list_kept() {
        let p = picker(team(), PickOrder::LongestAvailable);
        let answer = pick(&p, with_tried("tried", &format!("suzuki; {ARN}ito ;sato"))).await;
        assert_eq!(answer, AgentAnswer { tried: "suzuki;ito;sato".into(), ..AgentAnswer::nobody(&[]) });

        let all_busy = FakeDirectory::with([agent("a", "Lunch", "2026-11-21T09:00:00Z")]);
        let answer =
            pick(&picker(all_busy, PickOrder::LongestAvailable), sample_event("agent-picker", "first-try")).await;
        assert_eq!(answer, AgentAnswer::nobody(&[]));
    }

    #[tokio::test]
    async fn random_order_uses_the_injected_source() {
        // the fake source picks the last candidate; available, in directory order: sato, suzuki, ito
        let answer = pick(&picker(team(), PickOrder::Random), sample_event("agent-picker", "first-try")).await;
        assert_eq!(answer.agent_id, "ito");
    }

    #[tokio::test]
    async fn connect_failures_and_malformed_events_are_answered_not_raised() {
        let p = picker(team(), PickOrder::LongestAvailable);
        p.directory.fail_with(Some("ThrottlingException"));
        let answer = pick(&p, with_tried("tried", "x")).await;
        assert_eq!(answer, AgentAnswer::failed(&["x".into()], "agents unavailable"));
        for malformed in [json!("hello"), json!({"Details": {"Parameters": []}})] {
            assert_eq!(pick(&p, malformed).await, AgentAnswer::failed(&[], "malformed event"));
        }
    }

    #[tokio::test]
    async fn a_slow_directory_is_cut_off_at_the_answer_budget() {
        struct Stalled;
        impl AgentDirectory for Stalled {
            type Error = std::io::Error;
            async fn agents(&self, _: &[String]) -> Result<Vec<AgentState>, std::io::Error> {
                std::future::pending().await
            }
            async fn candidates(&self) -> Result<Vec<AgentState>, std::io::Error> {
                std::future::pending().await
            }
            async fn profile_queues(&self, _: &str) -> Result<Vec<String>, std::io::Error> {
                std::future::pending().await
            }
        }
        let routing = Routing { available_status: "Available".into(), order: PickOrder::LongestAvailable };
        let mut p = AgentPicker::new(Stalled, routing, |_| 0);
        p.answer_within = Duration::from_millis(20);
        let answer = p.handle(sample_event("agent-picker", "first-try")).await.unwrap();
        assert_eq!(answer, AgentAnswer::failed(&[], "timed out"));
    }

    #[tokio::test]
    async fn each_pick_is_counted_by_outcome_with_its_connect_requests() {
        let p = picker(team(), PickOrder::LongestAvailable);
        let picked = pick(&p, sample_event("agent-picker", "first-try")).await;
        let nobody = pick(&p, with_tried("tried", "suzuki;ito;sato")).await;
        p.directory.fail_with(Some("ThrottlingException"));
        let failed = pick(&p, sample_event("agent-picker", "first-try")).await;
        for (answer, outcome) in [(picked, "picked"), (nobody, "none_available"), (failed, "error")] {
            let record = metrics(&answer, 2);
            assert_eq!((record.get("Outcome"), record.value("Picks")), (Some(outcome), Some(1.0)));
            assert_eq!(record.value("ConnectRequests"), Some(2.0));
        }
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = AgentAnswer::failed(&[], "x");
        connect_fakes::assert_contract("agent-picker", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_event_gets_an_answer_and_never_a_panic(
            event in connect_fakes::arbitrary::events(
                ["first-try", "tried-list", "legacy-users"].map(|name| sample_event("agent-picker", name)).to_vec()
            )
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let answer = runtime.block_on(picker(team(), PickOrder::LongestAvailable).handle(event)).unwrap();
            let json = serde_json::to_value(&answer).unwrap();
            proptest::prop_assert!(json.as_object().is_some_and(|o| o.values().all(serde_json::Value::is_string)), "{json}");
        }
    }
}
