//! Finds the caller's last agent and whether the queue should prefer them: the inbound flow sets
//! routing criteria preferring that agent for a while, then Connect offers the caller to anyone
//! of the queue. New callers make no Connect request at all: Connect chooses for them.

use std::convert::Infallible;
use std::error::Error;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use connect_aws::ANSWER_WITHIN;
use connect_core::agents::{AgentAnswer, AgentState, ERROR};
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::metrics::{MetricRecord, TOTAL};
use connect_core::phone::CallerNumber;
use connect_core::ports::{AgentDirectory, AssignmentStore, Clock, ContactHistory, error_chain};
use serde::Serialize;

/// `status` when `CHECK_AGENT_STATE=false`: the agent is preferred without asking Connect.
pub const UNCHECKED: &str = "unchecked";
/// `agentState` of an agent Connect reports no state for (logged out of the CCP).
pub const LOGGED_OUT: &str = "Offline";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupResponse {
    /// `true` when the caller's last agent is known.
    pub found: String,
    /// `true` when the flow should set routing criteria preferring `agentId`: the agent still
    /// exists, is logged in, and (with `QUEUE_ID`) has the queue in their routing profile. Also
    /// `true` when the state check failed: the routing step's expiry bounds the wait.
    #[serde(rename = "preferAgent")]
    pub prefer_agent: String,
    /// The agent's status name as Connect reports it (`Available`, `Lunch`, `Offline`...);
    /// empty when not checked or unknown.
    #[serde(rename = "agentState")]
    pub agent_state: String,
    #[serde(flatten)]
    pub answer: AgentAnswer,
}

impl LookupResponse {
    fn new(found: bool, prefer: bool, agent_state: &str, answer: AgentAnswer) -> Self {
        LookupResponse { found: flag(found), prefer_agent: flag(prefer), agent_state: agent_state.to_owned(), answer }
    }

    /// No remembered agent: straight to the queue, Connect chooses.
    fn not_found(answer: AgentAnswer) -> Self {
        LookupResponse::new(false, false, "", answer)
    }
}

impl LookupResponse {
    /// `Lookups` by outcome and the Connect requests the answer took. A preferred agent whose
    /// state could not be checked counts as an error: the flow was served, Connect was not.
    pub fn metrics(&self, connect_requests: u32) -> MetricRecord {
        let outcome = if self.answer.status == ERROR {
            "error"
        } else if self.found != "true" {
            "not_found"
        } else if self.prefer_agent == "true" {
            "preferred"
        } else if self.agent_state.is_empty() || self.agent_state == LOGGED_OUT {
            "agent_logged_out"
        } else {
            "not_serving_queue"
        };
        MetricRecord::new().outcome("Lookups", outcome).count("ConnectRequests", connect_requests, TOTAL)
    }
}

/// Where the last agent is remembered.
pub enum Remembered<A, H> {
    Table(A),
    ContactSearch { history: H, lookback: TimeDelta },
}

/// What is checked before an agent is preferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    /// Ask Connect for the agent's state (one GetCurrentUserData filtered to that agent).
    pub check_state: bool,
    /// The standard queue the flow transfers to (ID): the agent's routing profile must serve it.
    pub queue: Option<String>,
}

type BoxError = Box<dyn Error + Send + Sync>;

pub struct LastAgentLookup<A, H, D, K> {
    remembered: Remembered<A, H>,
    directory: D,
    /// The status name that means ready for a call (`AVAILABLE_STATUS`).
    available_status: String,
    preference: Preference,
    clock: K,
    answer_within: Duration,
}

impl<A, H, D, K> LastAgentLookup<A, H, D, K>
where
    A: AssignmentStore,
    H: ContactHistory,
    D: AgentDirectory,
    K: Clock,
{
    pub fn new(
        remembered: Remembered<A, H>,
        directory: D,
        available_status: String,
        preference: Preference,
        clock: K,
    ) -> Self {
        LastAgentLookup { remembered, directory, available_status, preference, clock, answer_within: ANSWER_WITHIN }
    }

    /// Always answers the flow; failures become `status=error` with `preferAgent=false` (or
    /// `true` when only the state check failed), never a function error.
    pub async fn handle(&self, event: serde_json::Value) -> Result<LookupResponse, Infallible> {
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event");
                return Ok(LookupResponse::not_found(AgentAnswer::failed(&[], "malformed event")));
            }
        };
        let contact_id = event.contact_id();
        let caller = event.caller();
        let response = match tokio::time::timeout(self.answer_within, self.answer(contact_id, caller.as_ref())).await {
            Ok(response) => response,
            Err(_) => {
                tracing::error!(contact_id, within_ms = self.answer_within.as_millis(), "lookup timed out");
                LookupResponse::not_found(AgentAnswer::failed(&[], "timed out"))
            }
        };
        let answer = &response.answer;
        tracing::info!(
            contact_id,
            caller = caller.as_ref().map(|c| c.to_string()),
            found = response.found,
            prefer_agent = response.prefer_agent,
            agent_state = response.agent_state,
            status = answer.status,
            agent_id = answer.agent_id,
            "looked up"
        );
        Ok(response)
    }

    async fn answer(&self, contact_id: &str, caller: Option<&CallerNumber>) -> LookupResponse {
        let Some(caller) = caller else {
            return LookupResponse::not_found(AgentAnswer::nobody(&[]));
        };
        match self.remembered_agent(caller, self.clock.now()).await {
            Ok(Some((id, arn))) => self.remembered_answer(contact_id, id, arn).await,
            Ok(None) => LookupResponse::not_found(AgentAnswer::nobody(&[])),
            Err(e) => {
                tracing::error!(contact_id, %caller, error = %error_chain(&*e), "last agent unavailable");
                LookupResponse::not_found(AgentAnswer::failed(&[], "last agent unavailable"))
            }
        }
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

    /// The remembered agent, whether they are available now, and whether to prefer them.
    async fn remembered_answer(&self, contact_id: &str, id: String, arn: String) -> LookupResponse {
        let tried = [id.clone()];
        if !self.preference.check_state {
            let answer = AgentAnswer {
                status: UNCHECKED.to_owned(),
                agent_id: id,
                agent_arn: arn,
                ..AgentAnswer::nobody(&tried)
            };
            return LookupResponse::new(true, true, "", answer);
        }
        let states = match self.directory.agents(&tried).await {
            Ok(states) => states,
            Err(e) => {
                tracing::warn!(contact_id, agent_id = id, error = %error_chain(&e), "agent state unavailable; preferring the agent anyway");
                let answer = AgentAnswer {
                    agent_id: id,
                    agent_arn: arn,
                    ..AgentAnswer::failed(&tried, "agent state unavailable")
                };
                return LookupResponse::new(true, true, "", answer);
            }
        };
        let Some(state) = states.into_iter().find(|s| s.id == id) else {
            // Not a user any more (deleted): remembered, never preferred.
            let gone = AgentState::logged_out(id, arn, None);
            return LookupResponse::new(true, false, "", AgentAnswer::agent(&gone, false, &[]));
        };
        let logged_in = state.status_name.as_deref().is_some_and(|s| s != LOGGED_OUT);
        let prefer = logged_in && self.serves_queue(contact_id, &state).await;
        let agent_state = state.status_name.clone().unwrap_or_else(|| LOGGED_OUT.to_owned());
        let available = state.is_available(&self.available_status);
        LookupResponse::new(true, prefer, &agent_state, AgentAnswer::agent(&state, available, &[]))
    }

    /// Whether the agent's routing profile serves the flow's queue; `true` when no queue is
    /// configured or it cannot be told (the routing step's expiry bounds a wrong guess).
    async fn serves_queue(&self, contact_id: &str, state: &AgentState) -> bool {
        let (Some(queue), Some(profile)) = (&self.preference.queue, &state.routing_profile_id) else {
            return true;
        };
        match self.directory.profile_queues(profile).await {
            Ok(queues) => queues.contains(queue),
            Err(e) => {
                tracing::warn!(contact_id, routing_profile = profile, error = %error_chain(&e), "routing profile queues unavailable");
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::assignments::Assignment;
    use connect_core::fakes::{
        FakeAssignments, FakeClock, FakeDirectory, FakeHistory, SAMPLE_AGENT_ARN as ARN, SAMPLE_ROUTING_PROFILE,
        sample_agent as agent, sample_event,
    };
    use serde_json::{Value, json};

    const CALLER: &str = "+81312345678";
    const NOW: &str = "2026-11-21T09:30:00Z";
    const QUEUE: &str = "q-support";

    type Lookup = LastAgentLookup<FakeAssignments, FakeHistory, FakeDirectory, FakeClock>;

    fn team() -> FakeDirectory {
        let directory = FakeDirectory::with([
            agent("sato", "Available", "2026-11-21T09:05:00Z"),
            agent("suzuki", "Available", "2026-11-21T09:01:00Z"),
            agent("tanaka", "Lunch", "2026-11-21T08:00:00Z"),
        ]);
        directory.set_profile_queues(SAMPLE_ROUTING_PROFILE, &[QUEUE, "q-billing"]);
        directory
    }

    fn assigned(agent: &str, days_ago: i64, keep_days: u32) -> Assignment {
        let at = NOW.parse::<DateTime<Utc>>().unwrap() - TimeDelta::days(days_ago);
        let caller = CallerNumber::parse(CALLER).unwrap();
        Assignment::new(caller, agent.into(), format!("{ARN}{agent}"), "c-0".into(), at, keep_days)
    }

    fn available() -> String {
        "Available".into()
    }

    fn checked() -> Preference {
        Preference { check_state: true, queue: Some(QUEUE.to_owned()) }
    }

    fn from_table_with(store: FakeAssignments, preference: Preference) -> Lookup {
        LastAgentLookup::new(Remembered::Table(store), team(), available(), preference, FakeClock::at(NOW))
    }

    fn from_table(store: FakeAssignments) -> Lookup {
        from_table_with(store, checked())
    }

    fn from_search(history: FakeHistory) -> Lookup {
        let remembered = Remembered::ContactSearch { history, lookback: TimeDelta::days(7) };
        LastAgentLookup::new(remembered, team(), available(), checked(), FakeClock::at(NOW))
    }

    fn event(name: &str) -> Value {
        sample_event("last-agent-lookup", name)
    }

    async fn look(lookup: &Lookup, event: Value) -> LookupResponse {
        lookup.handle(event).await.unwrap()
    }

    /// found, preferAgent, agentState, status, agentId
    fn summary(r: &LookupResponse) -> [&str; 5] {
        [&r.found, &r.prefer_agent, &r.agent_state, &r.answer.status, &r.answer.agent_id].map(String::as_str)
    }

    #[tokio::test]
    async fn a_logged_in_remembered_agent_is_preferred_with_one_state_read() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        let response = look(&lookup, event("voice")).await;
        // on Lunch: not available now, but logged in: the queue prefers them for a while
        assert_eq!(summary(&response), ["true", "true", "Lunch", "unavailable", "tanaka"]);
        assert_eq!(response.answer.agent_arn, format!("{ARN}tanaka"));
        assert_eq!((lookup.directory.reads(), lookup.remembered_reads()), (1, 1), "one read of each");

        lookup.directory.set_status("tanaka", Some("Available"));
        assert_eq!(summary(&look(&lookup, event("voice")).await), ["true", "true", "Available", "available", "tanaka"]);
    }

    #[tokio::test]
    async fn a_logged_out_deleted_or_other_queue_agent_is_not_preferred() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        lookup.directory.set_status("tanaka", None);
        assert_eq!(
            summary(&look(&lookup, event("voice")).await),
            ["true", "false", "Offline", "unavailable", "tanaka"]
        );
        lookup.directory.set_status("tanaka", Some("Offline"));
        assert_eq!(look(&lookup, event("voice")).await.prefer_agent, "false", "the Offline status too");

        let gone = from_table(FakeAssignments::holding([assigned("gone", 1, 90)]));
        let response = look(&gone, event("voice")).await;
        assert_eq!(summary(&response), ["true", "false", "", "unavailable", "gone"]);
        assert_eq!(response.answer.agent_arn, format!("{ARN}gone"));

        let other_queue = Preference { check_state: true, queue: Some("q-sales".into()) };
        let lookup = from_table_with(FakeAssignments::holding([assigned("sato", 1, 90)]), other_queue);
        assert_eq!(summary(&look(&lookup, event("voice")).await), ["true", "false", "Available", "available", "sato"]);
    }

    #[tokio::test]
    async fn new_and_unknown_callers_go_to_the_queue_with_no_connect_request() {
        let lookup = from_table(FakeAssignments::default());
        for name in ["voice", "withheld", "chat"] {
            assert_eq!(summary(&look(&lookup, event(name)).await), ["false", "false", "", "unavailable", ""], "{name}");
        }
        assert_eq!(lookup.remembered_reads(), 1, "unknown callers are not looked up");
        assert_eq!(lookup.directory.reads(), 0, "Connect chooses for new callers");
        let expired = from_table(FakeAssignments::holding([assigned("tanaka", 91, 90)]));
        assert_eq!(look(&expired, event("voice")).await.found, "false", "an expired assignment is ignored");
    }

    #[tokio::test]
    async fn without_the_state_check_a_remembered_agent_is_preferred_with_no_connect_request() {
        let unchecked = Preference { check_state: false, queue: Some(QUEUE.into()) };
        let lookup = from_table_with(FakeAssignments::holding([assigned("tanaka", 3, 90)]), unchecked);
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "true", "", UNCHECKED, "tanaka"]);
        assert_eq!(response.answer.agent_arn, format!("{ARN}tanaka"));
        assert_eq!(lookup.directory.reads(), 0);
    }

    #[tokio::test]
    async fn the_phone_number_parameter_wins_over_the_endpoint() {
        let mut a = assigned("sato", 1, 90);
        a.caller = CallerNumber::parse("+819012345678").unwrap();
        let lookup = from_table(FakeAssignments::holding([a]));
        assert_eq!(look(&lookup, event("phone-parameter")).await.answer.agent_id, "sato");
    }

    #[tokio::test]
    async fn contact_search_finds_the_newest_agent_within_the_lookback() {
        let history = FakeHistory::default()
            .with(CALLER, "2026-11-10T09:00:00Z", Some("tanaka")) // 11 days ago: outside 7
            .with(CALLER, "2026-11-19T09:00:00Z", Some("sato"))
            .with(CALLER, "2026-11-20T09:00:00Z", None) // abandoned in queue
            .with("+819099999999", "2026-11-21T09:00:00Z", Some("suzuki"));
        let response = look(&from_search(history), event("voice")).await;
        assert_eq!(summary(&response), ["true", "true", "Available", "available", "sato"]);
    }

    #[tokio::test]
    async fn a_failing_table_sends_the_caller_to_the_queue_and_a_failing_state_check_still_prefers() {
        let store = FakeAssignments::default();
        store.fail_with(Some("ProvisionedThroughputExceededException"));
        let response = look(&from_table(store), event("voice")).await;
        assert_eq!(summary(&response), ["false", "false", "", "error", ""]);
        assert_eq!(response.answer.error.as_deref(), Some("last agent unavailable"));

        let lookup = from_table(FakeAssignments::holding([assigned("sato", 1, 90)]));
        lookup.directory.fail_with(Some("ThrottlingException"));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "true", "", "error", "sato"]);
        assert_eq!(response.answer.error.as_deref(), Some("agent state unavailable"));
        let answer = look(&from_table(FakeAssignments::default()), json!({"Details": {"Parameters": 1}})).await.answer;
        assert_eq!(answer, AgentAnswer::failed(&[], "malformed event"));
    }

    #[tokio::test]
    async fn each_lookup_is_counted_by_outcome() {
        let outcome = |r: LookupResponse| r.metrics(1).get("Outcome").map(str::to_owned).unwrap_or_default();
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        assert_eq!(outcome(look(&lookup, event("voice")).await), "preferred");
        lookup.directory.set_status("tanaka", Some("Offline"));
        assert_eq!(outcome(look(&lookup, event("voice")).await), "agent_logged_out");
        assert_eq!(outcome(look(&lookup, event("withheld")).await), "not_found");
        let other_queue = Preference { check_state: true, queue: Some("q-sales".into()) };
        let lookup = from_table_with(FakeAssignments::holding([assigned("sato", 1, 90)]), other_queue);
        assert_eq!(outcome(look(&lookup, event("voice")).await), "not_serving_queue");
        lookup.directory.fail_with(Some("ThrottlingException"));
        let failed_check = look(&lookup, event("voice")).await;
        assert_eq!(failed_check.prefer_agent, "true");
        let record = failed_check.metrics(3);
        assert_eq!((record.get("Outcome"), record.value("Lookups")), (Some("error"), Some(1.0)));
        assert_eq!(record.value("ConnectRequests"), Some(3.0));
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
        let full = LookupResponse::new(false, false, "x", AgentAnswer::failed(&[], "x"));
        connect_core::fakes::assert_contract("last-agent-lookup", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_event_gets_an_answer_and_never_a_panic(
            event in connect_core::fakes::arbitrary::events(
                ["voice", "withheld", "chat", "phone-parameter"].map(|name| sample_event("last-agent-lookup", name)).to_vec()
            )
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let lookup = from_table(FakeAssignments::holding([assigned("sato", 1, 90)]));
            let answer = runtime.block_on(lookup.handle(event)).unwrap();
            let json = serde_json::to_value(&answer).unwrap();
            proptest::prop_assert!(json.as_object().is_some_and(|o| o.values().all(serde_json::Value::is_string)), "{json}");
            proptest::prop_assert!(["true", "false"].contains(&json["found"].as_str().unwrap_or_default()));
        }
    }
}
