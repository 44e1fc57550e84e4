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

/// Why the lookup answered as it did: the `Lookups` metric's `Outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupOutcome {
    /// The flow prefers the agent.
    Preferred,
    /// No remembered agent, or no caller number.
    NotFound,
    /// The remembered agent is offline or no longer a user.
    AgentLoggedOut,
    /// Logged in, but not in a status that takes a call now, or no free voice slot.
    AgentBusy,
    /// Ready, but their routing profile does not serve the flow's queue on voice.
    NotServingQueue,
    /// The table, Connect or the time budget failed.
    Error,
}

impl LookupOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LookupOutcome::Preferred => "preferred",
            LookupOutcome::NotFound => "not_found",
            LookupOutcome::AgentLoggedOut => "agent_logged_out",
            LookupOutcome::AgentBusy => "agent_busy",
            LookupOutcome::NotServingQueue => "not_serving_queue",
            LookupOutcome::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupResponse {
    /// `true` when the caller's last agent is known.
    pub found: String,
    /// `true` when the flow should set routing criteria preferring `agentId`: the agent can take
    /// a voice contact of the flow's queue now (a status of `PREFER_AGENT_STATUSES`, a free voice
    /// slot, and with `QUEUE_ID` a routing profile serving that queue on voice). When the check
    /// fails, `PREFER_ON_ERROR` decides (no by default).
    #[serde(rename = "preferAgent")]
    pub prefer_agent: String,
    /// The agent's status name as Connect reports it (`Available`, `Lunch`, `Offline`...);
    /// empty when not checked or unknown.
    #[serde(rename = "agentState")]
    pub agent_state: String,
    #[serde(flatten)]
    pub answer: AgentAnswer,
    #[serde(skip)]
    pub outcome: LookupOutcome,
}

impl LookupResponse {
    fn new(found: bool, prefer: bool, agent_state: &str, answer: AgentAnswer, outcome: LookupOutcome) -> Self {
        LookupResponse {
            found: flag(found),
            prefer_agent: flag(prefer),
            agent_state: agent_state.to_owned(),
            answer,
            outcome,
        }
    }

    /// No remembered agent (or the lookup failed): straight to the queue, Connect chooses.
    fn not_found(answer: AgentAnswer) -> Self {
        let outcome = if answer.status == ERROR { LookupOutcome::Error } else { LookupOutcome::NotFound };
        LookupResponse::new(false, false, "", answer, outcome)
    }

    /// `Lookups` by outcome and the Connect requests the answer took. A remembered agent whose
    /// state could not be checked counts as an error: the flow was served, Connect was not.
    pub fn metrics(&self, connect_requests: u32) -> MetricRecord {
        MetricRecord::new().outcome("Lookups", self.outcome.as_str()).count("ConnectRequests", connect_requests, TOTAL)
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
    /// The standard queue the flow transfers to (ID): the agent's routing profile must serve it
    /// on voice.
    pub queue: Option<String>,
    /// The status names of an agent who can take a call now (`PREFER_AGENT_STATUSES`; the
    /// available status by default). An agent on Lunch or Break is not preferred: the caller would
    /// wait for nobody until the routing step expires.
    pub statuses: Vec<String>,
    /// Prefer the remembered agent when their state or queues cannot be read (`PREFER_ON_ERROR`,
    /// false by default: an unknown agent is not worth a wait).
    pub on_error: bool,
}

impl Preference {
    /// In a status that takes calls, with a free voice slot where Connect reports slots.
    fn can_take_a_call_now(&self, state: &AgentState) -> bool {
        self.statuses.iter().any(|status| state.is_available(status))
    }
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
            return LookupResponse::new(true, true, "", answer, LookupOutcome::Preferred);
        }
        let states = match self.directory.agents(&tried).await {
            Ok(states) => states,
            Err(e) => {
                let prefer = self.preference.on_error;
                tracing::warn!(contact_id, agent_id = id, prefer, error = %error_chain(&e), "agent state unavailable");
                let answer = AgentAnswer {
                    agent_id: id,
                    agent_arn: arn,
                    ..AgentAnswer::failed(&tried, "agent state unavailable")
                };
                return LookupResponse::new(true, prefer, "", answer, LookupOutcome::Error);
            }
        };
        let Some(state) = states.into_iter().find(|s| s.id == id) else {
            // Not a user any more (deleted): remembered, never preferred.
            let gone = AgentState::logged_out(id, arn, None);
            let answer = AgentAnswer::agent(&gone, false, &[]);
            return LookupResponse::new(true, false, "", answer, LookupOutcome::AgentLoggedOut);
        };
        let agent_state = state.status_name.clone().unwrap_or_else(|| LOGGED_OUT.to_owned());
        let available = state.is_available(&self.available_status);
        let answer = AgentAnswer::agent(&state, available, &[]);
        let outcome = if state.status_name.as_deref().is_none_or(|s| s == LOGGED_OUT) {
            LookupOutcome::AgentLoggedOut
        } else if !self.preference.can_take_a_call_now(&state) {
            LookupOutcome::AgentBusy
        } else {
            match self.serves_queue(contact_id, &state).await {
                Ok(true) => LookupOutcome::Preferred,
                Ok(false) => LookupOutcome::NotServingQueue,
                Err(()) => {
                    let prefer = self.preference.on_error;
                    let failed = AgentAnswer { error: Some("agent queues unavailable".to_owned()), ..answer };
                    return LookupResponse::new(true, prefer, &agent_state, failed, LookupOutcome::Error);
                }
            }
        };
        LookupResponse::new(true, outcome == LookupOutcome::Preferred, &agent_state, answer, outcome)
    }

    /// Whether the agent's routing profile serves the flow's queue on voice; `true` when no queue
    /// is configured or Connect did not say which routing profile the agent has. `Err` when the
    /// profile's queues cannot be read.
    async fn serves_queue(&self, contact_id: &str, state: &AgentState) -> Result<bool, ()> {
        let (Some(queue), Some(profile)) = (&self.preference.queue, &state.routing_profile_id) else {
            return Ok(true);
        };
        match self.directory.profile_queues(profile).await {
            Ok(queues) => Ok(queues.contains(queue)),
            Err(e) => {
                tracing::warn!(contact_id, routing_profile = profile, error = %error_chain(&e), "routing profile queues unavailable");
                Err(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::assignments::Assignment;
    use connect_fakes::{
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
        Preference { check_state: true, queue: Some(QUEUE.to_owned()), statuses: vec![available()], on_error: false }
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
    async fn a_remembered_agent_is_preferred_only_when_they_can_take_the_call_now() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        let response = look(&lookup, event("voice")).await;
        // on Lunch: logged in, but the caller would wait for nobody until the step expires
        assert_eq!(summary(&response), ["true", "false", "Lunch", "unavailable", "tanaka"]);
        assert_eq!(response.outcome, LookupOutcome::AgentBusy);
        assert_eq!(response.answer.agent_arn, format!("{ARN}tanaka"));
        assert_eq!((lookup.directory.reads(), lookup.remembered_reads()), (1, 1), "one read of each");

        lookup.directory.set_status("tanaka", Some("Available"));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "true", "Available", "available", "tanaka"]);
        assert_eq!(response.outcome, LookupOutcome::Preferred);

        // Available but on a call or in After Contact Work: no free voice slot.
        lookup.directory.set_free_voice_slots("tanaka", Some(0));
        let response = look(&lookup, event("voice")).await;
        assert_eq!((response.prefer_agent.as_str(), response.outcome), ("false", LookupOutcome::AgentBusy));
    }

    #[tokio::test]
    async fn the_operator_may_list_more_statuses_that_take_calls() {
        let preference = Preference { statuses: vec![available(), "Outbound ready".into()], ..checked() };
        let lookup = from_table_with(FakeAssignments::holding([assigned("tanaka", 3, 90)]), preference);
        lookup.directory.set_status("tanaka", Some("Outbound ready"));
        assert_eq!(
            summary(&look(&lookup, event("voice")).await),
            ["true", "true", "Outbound ready", "unavailable", "tanaka"]
        );
        lookup.directory.set_status("tanaka", Some("Break"));
        assert_eq!(look(&lookup, event("voice")).await.prefer_agent, "false");
    }

    #[tokio::test]
    async fn a_logged_out_deleted_or_other_queue_agent_is_not_preferred() {
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        lookup.directory.set_status("tanaka", None);
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "false", "Offline", "unavailable", "tanaka"]);
        assert_eq!(response.outcome, LookupOutcome::AgentLoggedOut);
        lookup.directory.set_status("tanaka", Some("Offline"));
        assert_eq!(look(&lookup, event("voice")).await.prefer_agent, "false", "the Offline status too");

        let gone = from_table(FakeAssignments::holding([assigned("gone", 1, 90)]));
        let response = look(&gone, event("voice")).await;
        assert_eq!(summary(&response), ["true", "false", "", "unavailable", "gone"]);
        assert_eq!(response.answer.agent_arn, format!("{ARN}gone"));

        let other_queue = Preference { queue: Some("q-sales".into()), ..checked() };
        let lookup = from_table_with(FakeAssignments::holding([assigned("sato", 1, 90)]), other_queue);
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "false", "Available", "available", "sato"]);
        assert_eq!(response.outcome, LookupOutcome::NotServingQueue);

        // A routing profile that has the queue for chat only: its voice queues do not list it.
        let lookup = from_table(FakeAssignments::holding([assigned("sato", 1, 90)]));
        lookup.directory.set_routing_profile("sato", "rp-chat");
        lookup.directory.set_profile_queues("rp-chat", &[]);
        assert_eq!(look(&lookup, event("voice")).await.outcome, LookupOutcome::NotServingQueue);
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
        let unchecked = Preference { check_state: false, ..checked() };
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
    async fn a_failing_table_or_state_check_sends_the_caller_to_the_queue_unless_the_operator_opts_in() {
        let store = FakeAssignments::default();
        store.fail_with(Some("ProvisionedThroughputExceededException"));
        let response = look(&from_table(store), event("voice")).await;
        assert_eq!(summary(&response), ["false", "false", "", "error", ""]);
        assert_eq!(response.answer.error.as_deref(), Some("last agent unavailable"));

        let lookup = from_table(FakeAssignments::holding([assigned("sato", 1, 90)]));
        lookup.directory.fail_with(Some("ThrottlingException"));
        let response = look(&lookup, event("voice")).await;
        assert_eq!(summary(&response), ["true", "false", "", "error", "sato"]);
        assert_eq!(response.answer.error.as_deref(), Some("agent state unavailable"));

        let opted_in = Preference { on_error: true, ..checked() };
        let lookup = from_table_with(FakeAssignments::holding([assigned("sato", 1, 90)]), opted_in);
        lookup.directory.fail_with(Some("ThrottlingException"));
        assert_eq!(summary(&look(&lookup, event("voice")).await), ["true", "true", "", "error", "sato"]);

        let answer = look(&from_table(FakeAssignments::default()), json!({"Details": {"Parameters": 1}})).await.answer;
        assert_eq!(answer, AgentAnswer::failed(&[], "malformed event"));
    }

    #[tokio::test]
    async fn each_lookup_is_counted_by_outcome() {
        let outcome = |r: LookupResponse| r.metrics(1).get("Outcome").map(str::to_owned).unwrap_or_default();
        let lookup = from_table(FakeAssignments::holding([assigned("tanaka", 3, 90)]));
        assert_eq!(outcome(look(&lookup, event("voice")).await), "agent_busy");
        lookup.directory.set_status("tanaka", Some("Available"));
        assert_eq!(outcome(look(&lookup, event("voice")).await), "preferred");
        lookup.directory.set_status("tanaka", Some("Offline"));
        assert_eq!(outcome(look(&lookup, event("voice")).await), "agent_logged_out");
        assert_eq!(outcome(look(&lookup, event("withheld")).await), "not_found");
        let other_queue = Preference { queue: Some("q-sales".into()), ..checked() };
        let lookup = from_table_with(FakeAssignments::holding([assigned("sato", 1, 90)]), other_queue);
        assert_eq!(outcome(look(&lookup, event("voice")).await), "not_serving_queue");
        lookup.directory.fail_with(Some("ThrottlingException"));
        let failed_check = look(&lookup, event("voice")).await;
        assert_eq!(failed_check.prefer_agent, "false");
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
        let full = LookupResponse::new(false, false, "x", AgentAnswer::failed(&[], "x"), LookupOutcome::Error);
        connect_fakes::assert_contract("last-agent-lookup", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_event_gets_an_answer_and_never_a_panic(
            event in connect_fakes::arbitrary::events(
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
