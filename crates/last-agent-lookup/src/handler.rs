//! Finds the caller's last agent and whether they are available now; when there is none, makes
//! the choice agent-picker would make, so the flow needs no second call for a new caller.

use std::convert::Infallible;
use std::error::Error;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use connect_aws::ANSWER_WITHIN;
use connect_core::agents::{AgentAnswer, AgentState, Routing};
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::phone::CallerNumber;
use connect_core::ports::{AgentDirectory, AssignmentStore, Clock, ContactHistory, error_chain};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupResponse {
    /// `true` when the caller's last agent is known (available or not).
    pub found: String,
    #[serde(flatten)]
    pub answer: AgentAnswer,
}

/// Where the last agent is remembered.
pub enum Remembered<A, H> {
    Table(A),
    ContactSearch { history: H, lookback: TimeDelta },
}

type BoxError = Box<dyn Error + Send + Sync>;

pub struct LastAgentLookup<A, H, D, K, R> {
    remembered: Remembered<A, H>,
    directory: D,
    routing: Routing,
    clock: K,
    random: R,
    answer_within: Duration,
}

impl<A, H, D, K, R> LastAgentLookup<A, H, D, K, R>
where
    A: AssignmentStore,
    H: ContactHistory,
    D: AgentDirectory,
    K: Clock,
    R: Fn(usize) -> usize + Send + Sync,
{
    pub fn new(remembered: Remembered<A, H>, directory: D, routing: Routing, clock: K, random: R) -> Self {
        LastAgentLookup { remembered, directory, routing, clock, random, answer_within: ANSWER_WITHIN }
    }

    /// Always answers the flow; failures become `status=error` (or a fresh choice when only
    /// the memory failed), never a function error.
    pub async fn handle(&self, event: serde_json::Value) -> Result<LookupResponse, Infallible> {
        let not_found = |answer| LookupResponse { found: flag(false), answer };
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event");
                return Ok(not_found(AgentAnswer::failed(&[], "malformed event")));
            }
        };
        let contact_id = event.contact_id();
        let caller = event.caller();
        let response = match tokio::time::timeout(self.answer_within, self.answer(contact_id, caller.as_ref())).await {
            Ok(response) => response,
            Err(_) => {
                tracing::error!(contact_id, within_ms = self.answer_within.as_millis(), "lookup timed out");
                not_found(AgentAnswer::failed(&[], "timed out"))
            }
        };
        let answer = &response.answer;
        tracing::info!(
            contact_id,
            caller = caller.as_ref().map(|c| c.to_string()),
            found = response.found,
            status = answer.status,
            agent_id = answer.agent_id,
            "looked up"
        );
        Ok(response)
    }

    async fn answer(&self, contact_id: &str, caller: Option<&CallerNumber>) -> LookupResponse {
        let now = self.clock.now();
        let (remembered, memory_error) = match caller {
            None => (None, None),
            Some(caller) => match self.remembered_agent(caller, now).await {
                Ok(remembered) => (remembered, None),
                Err(e) => {
                    tracing::error!(contact_id, %caller, error = %error_chain(&*e), "last agent unavailable; choosing afresh");
                    (None, Some("last agent unavailable"))
                }
            },
        };
        if let Some((id, arn)) = remembered {
            return LookupResponse { found: flag(true), answer: self.remembered_answer(contact_id, id, arn).await };
        }
        let mut answer = match self.routing.next_answer(&self.directory, &[], |n| (self.random)(n)).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::error!(contact_id, error = %error_chain(&e), "agents unavailable");
                AgentAnswer::failed(&[], "agents unavailable")
            }
        };
        answer.error = answer.error.or(memory_error.map(str::to_owned));
        LookupResponse { found: flag(false), answer }
    }

    /// The remembered agent (ID, ARN if known), ignoring an expired assignment.
    async fn remembered_agent(
        &self,
        caller: &CallerNumber,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, BoxError> {
        match &self.remembered {
            Remembered::Table(store) => {
                let assignment = store.find(caller).await?;
                Ok(assignment.filter(|a| !a.is_expired(now)).map(|a| (a.agent_id, a.agent_arn)))
            }
            Remembered::ContactSearch { history, lookback } => {
                Ok(history.last_agent(caller, now - *lookback, now).await?.map(|id| (id, String::new())))
            }
        }
    }

    /// The remembered agent and whether they can take the call now.
    async fn remembered_answer(&self, contact_id: &str, id: String, arn: String) -> AgentAnswer {
        let tried = [id.clone()];
        match self.directory.agents(&tried).await {
            Ok(states) => {
                // Not in the directory any more (deleted): still the answer, never available.
                let state =
                    states.into_iter().find(|s| s.id == id).unwrap_or_else(|| AgentState::logged_out(id, arn, None));
                AgentAnswer::agent(&state, state.is_available(&self.routing.available_status), &[])
            }
            Err(e) => {
                tracing::error!(contact_id, agent_id = id, error = %error_chain(&e), "agent state unavailable");
                AgentAnswer { agent_id: id, agent_arn: arn, ..AgentAnswer::failed(&tried, "agent state unavailable") }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::agents::PickOrder;
    use connect_core::assignments::Assignment;
    use connect_core::fakes::{
        FakeAssignments, FakeClock, FakeDirectory, FakeHistory, SAMPLE_AGENT_ARN as ARN, sample_agent as agent,
        sample_event,
    };
    use serde_json::{Value, json};

    const CALLER: &str = "+81312345678";
    const NOW: &str = "2026-11-21T09:30:00Z";

    type Lookup = LastAgentLookup<FakeAssignments, FakeHistory, FakeDirectory, FakeClock, fn(usize) -> usize>;

    fn team() -> FakeDirectory {
        FakeDirectory::with([
            agent("sato", "Available", "2026-11-21T09:05:00Z"),
            agent("suzuki", "Available", "2026-11-21T09:01:00Z"),
            agent("tanaka", "Lunch", "2026-11-21T08:00:00Z"),
        ])
    }

    fn assigned(agent: &str, days_ago: i64, keep_days: u32) -> Assignment {
        let at = NOW.parse::<DateTime<Utc>>().unwrap() - TimeDelta::days(days_ago);
        let caller = CallerNumber::parse(CALLER).unwrap();
        Assignment::new(caller, agent.into(), format!("{ARN}{agent}"), "c-0".into(), at, keep_days)
    }

    fn routing() -> Routing {
        Routing { available_status: "Available".into(), order: PickOrder::LongestAvailable }
    }

    fn from_table(store: FakeAssignments) -> Lookup {
        LastAgentLookup::new(Remembered::Table(store), team(), routing(), FakeClock::at(NOW), |_| 0)
    }

    fn from_search(history: FakeHistory) -> Lookup {
        let remembered = Remembered::ContactSearch { history, lookback: TimeDelta::days(7) };
        LastAgentLookup::new(remembered, team(), routing(), FakeClock::at(NOW), |_| 0)
    }

    fn event(name: &str) -> Value {
        sample_event("last-agent-lookup", name)
    }

    async fn look(lookup: &Lookup, event: Value) -> LookupResponse {
        lookup.handle(event).await.unwrap()
    }

    fn found(agent: &AgentState, available: bool) -> LookupResponse {
        LookupResponse { found: "true".into(), answer: AgentAnswer::agent(agent, available, &[]) }
    }

    fn fresh_choice(agent: &AgentState) -> LookupResponse {
        LookupResponse { found: "false".into(), answer: AgentAnswer::agent(agent, true, &[]) }
    }

    #[tokio::test]
    async fn the_remembered_agent_is_found_with_availability() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(response, found(&agent("tanaka", "Lunch", "2026-11-21T08:00:00Z"), false));
        assert_eq!(response.answer.status, "unavailable");
        assert_eq!(response.answer.tried, "tanaka");
        assert_eq!((lookup.directory.reads(), lookup.remembered_reads()), (1, 1), "one read of each");

        lookup.directory.set_status("tanaka", Some("Available"));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(response.answer.status, "available");
    }

    #[tokio::test]
    async fn a_new_or_unknown_caller_gets_the_pickers_choice() {
        let lookup = from_table(FakeAssignments::default());
        let suzuki = agent("suzuki", "Available", "2026-11-21T09:01:00Z");
        assert_eq!(look(&lookup, event("voice")).await, fresh_choice(&suzuki));
        for name in ["withheld", "chat"] {
            assert_eq!(look(&lookup, event(name)).await, fresh_choice(&suzuki), "{name}");
        }
        assert_eq!(lookup.remembered_reads(), 1, "unknown callers are not looked up");
    }

    #[tokio::test]
    async fn the_phone_number_parameter_wins_over_the_endpoint() {
        let mut a = assigned("sato", 1, 90);
        a.caller = CallerNumber::parse("+819012345678").unwrap();
        let lookup = from_table(FakeAssignments::holding([a]));
        assert_eq!(look(&lookup, event("phone-parameter")).await.answer.agent_id, "sato");
    }

    #[tokio::test]
    async fn an_expired_assignment_is_ignored() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 91, 90)]));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(response, fresh_choice(&agent("suzuki", "Available", "2026-11-21T09:01:00Z")));
    }

    #[tokio::test]
    async fn a_deleted_agent_is_found_but_unavailable() {
        let lookup = from_table(FakeAssignments::holding([assigned("gone", 1, 90)]));
        let answer = look(&lookup, event("voice")).await.answer;
        assert_eq!((answer.status.as_str(), answer.agent_id.as_str()), ("unavailable", "gone"));
        assert_eq!(answer.agent_arn, format!("{ARN}gone"));
    }

    #[tokio::test]
    async fn contact_search_finds_the_newest_agent_within_the_lookback() {
        let history = FakeHistory::default()
            .with(CALLER, "2026-11-10T09:00:00Z", Some("tanaka")) // 11 days ago: outside 7
            .with(CALLER, "2026-11-19T09:00:00Z", Some("sato"))
            .with(CALLER, "2026-11-20T09:00:00Z", None) // abandoned in queue
            .with("+819099999999", "2026-11-21T09:00:00Z", Some("suzuki"));
        let response = look(&from_search(history), event("voice")).await;
        assert_eq!(response, found(&agent("sato", "Available", "2026-11-21T09:05:00Z"), true));
    }

    #[tokio::test]
    async fn a_failing_table_still_routes_the_caller() {
        let store = FakeAssignments::default();
        store.fail_with(Some("ProvisionedThroughputExceededException"));
        let response = look(&from_table(store), event("voice")).await;
        assert_eq!(response.found, "false");
        assert_eq!(response.answer.status, "available");
        assert_eq!(response.answer.error.as_deref(), Some("last agent unavailable"));
    }

    #[tokio::test]
    async fn a_failing_directory_is_status_error() {
        let lookup = from_table(FakeAssignments::holding([assigned("sato", 1, 90)]));
        lookup.directory.fail_with(Some("AccessDeniedException"));
        let answer = look(&lookup, event("voice")).await.answer;
        assert_eq!(
            (answer.status.as_str(), answer.agent_id.as_str(), answer.tried.as_str()),
            ("error", "sato", "sato")
        );
        let answer = look(&from_table(FakeAssignments::default()), json!({"Details": {"Parameters": 1}})).await.answer;
        assert_eq!(answer, AgentAnswer::failed(&[], "malformed event"));
    }

    impl Lookup {
        fn remembered_reads(&self) -> usize {
            match &self.remembered {
                Remembered::Table(store) => store.reads(),
                Remembered::ContactSearch { .. } => 0,
            }
        }
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = LookupResponse { found: "false".into(), answer: AgentAnswer::failed(&[], "x") };
        connect_core::fakes::assert_contract("last-agent-lookup", include_str!("handler.rs"), &full);
    }
}
