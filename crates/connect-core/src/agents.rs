//! Agents as the routing functions see them: references given as IDs or ARNs, the list of
//! agents a flow has already tried, availability, and the choice of the next agent to try.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ports::AgentDirectory;

/// The agent ID from an ID or an agent ARN
/// (`arn:aws:connect:<region>:<account>:instance/<instance>/agent/<id>`); `None` when blank
/// or an ARN of something else.
pub fn agent_id(reference: &str) -> Option<String> {
    resource_id(reference, "agent")
}

/// The ID of a Connect resource of `kind` (`agent`, `queue`, `contact-flow`, `operating-hours`,
/// `routing-profile`, ...) given as its ID or as its ARN
/// (`arn:aws:connect:<region>:<account>:instance/<instance>/<kind>/<id>`); `None` for a blank
/// value, an ARN of another kind, or an ID with `/` or `:` in it. The one place the suite reads
/// Connect ARNs.
pub fn resource_id(reference: &str, kind: &str) -> Option<String> {
    let reference = reference.trim();
    let id = match reference.strip_prefix("arn:") {
        None => reference,
        Some(arn) => arn.rsplit_once(&format!("/{kind}/"))?.1,
    };
    (!id.is_empty() && !id.contains('/') && !id.contains(':')).then(|| id.to_owned())
}

/// Which agents may be offered a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentScope {
    /// Every user of the instance (ListUsers, then their state 100 at a time).
    Instance,
    /// Agents on these routing profiles (IDs or ARNs).
    RoutingProfiles(Vec<String>),
    /// Agents whose routing profiles serve these queues (IDs or ARNs).
    Queues(Vec<String>),
}

/// The instance ID from an ID or an instance ARN (`arn:aws:connect:<region>:<account>:instance/<id>`).
pub fn instance_id(reference: &str) -> Option<String> {
    let reference = reference.trim();
    let id = match reference.strip_prefix("arn:") {
        None => reference,
        Some(arn) => arn.split_once(":instance/")?.1,
    };
    (!id.is_empty() && !id.contains('/') && !id.contains(':')).then(|| id.to_owned())
}

/// An agent's ARN from its instance's ARN.
pub fn agent_arn(instance_arn: &str, agent_id: &str) -> String {
    format!("{}/agent/{agent_id}", instance_arn.trim_end_matches('/'))
}

/// A `;`-separated list of IDs or ARNs, as a flow accumulates it: spaces, empty entries and
/// repeats are tolerated; the result is IDs in first-seen order, each once.
pub fn normalize_tried(list: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in list.split(';').filter_map(agent_id) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The `tried` value a flow stores back: IDs joined with `;`.
pub fn join_tried(ids: &[String]) -> String {
    ids.join(";")
}

/// An agent and what Connect says about it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentState {
    pub id: String,
    pub arn: String,
    pub username: Option<String>,
    /// The agent status name (`Available`, `Offline`, a custom one...); `None` when logged out.
    pub status_name: Option<String>,
    pub status_since: Option<DateTime<Utc>>,
    /// Free voice slots when Connect reports slot data (`Some(0)` also when the slot data has no
    /// voice at all: a routing profile without voice concurrency).
    pub free_voice_slots: Option<u32>,
    /// The agent's routing profile (ID) when Connect reported it.
    pub routing_profile_id: Option<String>,
}

impl AgentState {
    /// An agent Connect reports no state for: logged out (or deleted), never available.
    pub fn logged_out(id: String, arn: String, username: Option<String>) -> Self {
        AgentState {
            id,
            arn,
            username,
            status_name: None,
            status_since: None,
            free_voice_slots: None,
            routing_profile_id: None,
        }
    }

    /// Available: the status is `available_status` and, where slot data is present, a voice
    /// slot is free (an agent in After Contact Work or on a call has none).
    pub fn is_available(&self, available_status: &str) -> bool {
        self.status_name.as_deref() == Some(available_status) && self.free_voice_slots.is_none_or(|n| n > 0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickOrder {
    /// The agent whose Available status started earliest: spreads new callers fairly.
    LongestAvailable,
    Random,
}

impl std::str::FromStr for PickOrder {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "longest-available" => Ok(PickOrder::LongestAvailable),
            "random" => Ok(PickOrder::Random),
            _ => Err("expected longest-available or random"),
        }
    }
}

/// The next agent to try: available and not yet tried. `random` picks an index below its
/// argument (injected, so the choice is testable).
pub fn pick<'a>(
    agents: &'a [AgentState],
    tried: &[String],
    available_status: &str,
    order: PickOrder,
    random: impl FnOnce(usize) -> usize,
) -> Option<&'a AgentState> {
    let mut candidates: Vec<&AgentState> =
        agents.iter().filter(|a| a.is_available(available_status) && !tried.contains(&a.id)).collect();
    match order {
        PickOrder::LongestAvailable => {
            // Earliest status start first; unknown start last; ID breaks ties so the choice is stable.
            candidates.sort_by(|a, b| {
                (a.status_since.is_none(), a.status_since, &a.id).cmp(&(
                    b.status_since.is_none(),
                    b.status_since,
                    &b.id,
                ))
            });
            candidates.first().copied()
        }
        PickOrder::Random if candidates.is_empty() => None,
        PickOrder::Random => candidates.get(random(candidates.len()) % candidates.len()).copied(),
    }
}

/// Which agents may be offered a caller, and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The agent status name that means "ready for a call" (`Available` unless renamed).
    pub available_status: String,
    pub order: PickOrder,
}

impl Routing {
    /// The next agent to try among the directory's candidates as the flow's answer, or nobody
    /// when no untried agent is available. One directory read, so a flow needs one call, not a loop.
    pub async fn next_answer<D: AgentDirectory>(
        &self,
        directory: &D,
        tried: &[String],
        random: impl FnOnce(usize) -> usize,
    ) -> Result<AgentAnswer, D::Error> {
        let agents = directory.candidates().await?;
        Ok(match pick(&agents, tried, &self.available_status, self.order, random) {
            Some(agent) => AgentAnswer::agent(agent, true, tried),
            None => AgentAnswer::nobody(tried),
        })
    }
}

pub const AVAILABLE: &str = "available";
pub const UNAVAILABLE: &str = "unavailable";
/// The function could not decide (a store or Connect failed); the flow falls back as for
/// `unavailable`, and `error` says why.
pub const ERROR: &str = "error";

/// What agent-picker (and last-agent-lookup, with `found`) answer: flat strings, every key
/// always present (empty when unknown) so a flow can read any of them without a missing-key branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentAnswer {
    pub status: String,
    pub agent_id: String,
    pub agent_arn: String,
    pub agent_username: String,
    /// The agents tried so far (IDs, `;`-separated), including the one answered.
    pub tried: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AgentAnswer {
    /// `agent` to try next (available or not, per `available`); it joins `tried`.
    pub fn agent(agent: &AgentState, available: bool, tried: &[String]) -> Self {
        let mut tried = tried.to_vec();
        if !tried.contains(&agent.id) {
            tried.push(agent.id.clone());
        }
        AgentAnswer {
            status: if available { AVAILABLE } else { UNAVAILABLE }.to_owned(),
            agent_id: agent.id.clone(),
            agent_arn: agent.arn.clone(),
            agent_username: agent.username.clone().unwrap_or_default(),
            tried: join_tried(&tried),
            error: None,
        }
    }

    /// Nobody to try: the flow falls back to a queue or a message.
    pub fn nobody(tried: &[String]) -> Self {
        AgentAnswer {
            status: UNAVAILABLE.to_owned(),
            agent_id: String::new(),
            agent_arn: String::new(),
            agent_username: String::new(),
            tried: join_tried(tried),
            error: None,
        }
    }

    /// Could not decide; `reason` is short and safe to show in a flow log.
    pub fn failed(tried: &[String], reason: &str) -> Self {
        AgentAnswer { status: ERROR.to_owned(), error: Some(reason.to_owned()), ..AgentAnswer::nobody(tried) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:connect:ap-northeast-1:123456789012:instance/inst-1/agent/";

    fn agent(id: &str, status: Option<&str>, since: Option<&str>, slots: Option<u32>) -> AgentState {
        AgentState {
            id: id.into(),
            arn: format!("{ARN}{id}"),
            username: Some(format!("user-{id}")),
            status_name: status.map(str::to_owned),
            status_since: since.map(|s| s.parse().unwrap()),
            free_voice_slots: slots,
            routing_profile_id: None,
        }
    }

    #[test]
    fn agent_ids_from_ids_and_arns() {
        let cases = [
            ("a-1", Some("a-1")),
            (" a-1 ", Some("a-1")),
            (&*format!("{ARN}a-2"), Some("a-2")),
            ("arn:aws:connect:ap-northeast-1:1:instance/i/queue/q-1", None),
            ("", None),
            ("  ", None),
        ];
        for (reference, expected) in cases {
            assert_eq!(agent_id(reference).as_deref(), expected, "{reference}");
        }
    }

    #[test]
    fn resource_ids_of_every_kind_from_ids_and_arns() {
        let base = "arn:aws:connect:ap-northeast-1:123456789012:instance/i-1";
        let cases = [
            ("q-1", "queue", Some("q-1")),
            (&*format!("{base}/queue/q-1"), "queue", Some("q-1")),
            (&*format!("{base}/operating-hours/h-2"), "operating-hours", Some("h-2")),
            (&*format!("{base}/contact-flow/f-1"), "contact-flow", Some("f-1")),
            (&*format!("{base}/contact-flow/f-1"), "queue", None),
            (&*format!("{base}/queue/"), "queue", None),
            ("arn:aws:s3:::bucket", "queue", None),
            ("q:1", "queue", None),
        ];
        for (reference, kind, expected) in cases {
            assert_eq!(resource_id(reference, kind).as_deref(), expected, "{reference} as {kind}");
        }
    }

    #[test]
    fn instance_ids_from_ids_and_arns() {
        let cases = [
            ("inst-1", Some("inst-1")),
            ("arn:aws:connect:ap-northeast-1:123456789012:instance/inst-1", Some("inst-1")),
            ("arn:aws:connect:ap-northeast-1:123456789012:instance/inst-1/agent/a", None),
            ("arn:aws:s3:::bucket", None),
            (" ", None),
        ];
        for (reference, expected) in cases {
            assert_eq!(instance_id(reference).as_deref(), expected, "{reference}");
        }
        assert_eq!(agent_arn("arn:aws:connect:r:1:instance/i", "a-1"), "arn:aws:connect:r:1:instance/i/agent/a-1");
    }

    #[test]
    fn answers_add_the_agent_to_tried_once_and_keep_every_key() {
        let a = agent("a", Some("Available"), None, None);
        let answer = AgentAnswer::agent(&a, true, &["x".to_owned()]);
        assert_eq!((answer.status.as_str(), answer.tried.as_str()), ("available", "x;a"));
        assert_eq!(AgentAnswer::agent(&a, false, &["a".to_owned()]).tried, "a");
        let json = serde_json::to_value(AgentAnswer::nobody(&[])).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "unavailable", "agentId": "", "agentArn": "", "agentUsername": "", "tried": ""})
        );
        assert_eq!(AgentAnswer::failed(&[], "agents unavailable").error.as_deref(), Some("agents unavailable"));
    }

    #[test]
    fn tried_lists_are_normalized() {
        let list = format!(" a-1 ;; {ARN}a-2;a-1; ;{ARN}a-2 ;a-3");
        assert_eq!(normalize_tried(&list), ["a-1", "a-2", "a-3"]);
        assert!(normalize_tried("").is_empty());
        assert_eq!(join_tried(&normalize_tried("b;a;b")), "b;a");
    }

    #[test]
    fn availability_needs_the_status_and_a_free_voice_slot_when_reported() {
        assert!(agent("a", Some("Available"), None, None).is_available("Available"));
        assert!(agent("a", Some("Available"), None, Some(1)).is_available("Available"));
        assert!(!agent("a", Some("Available"), None, Some(0)).is_available("Available"));
        assert!(!agent("a", Some("Lunch"), None, Some(1)).is_available("Available"));
        assert!(!agent("a", None, None, None).is_available("Available"));
        assert!(agent("a", Some("Ready"), None, None).is_available("Ready"));
    }

    #[test]
    fn longest_available_untried_agent_is_picked() {
        let agents = [
            agent("a", Some("Available"), Some("2026-11-21T09:00:00Z"), Some(1)),
            agent("b", Some("Available"), Some("2026-11-21T08:00:00Z"), Some(1)),
            agent("c", Some("Available"), Some("2026-11-21T07:00:00Z"), Some(0)), // on a call
            agent("d", Some("Offline"), Some("2026-11-21T06:00:00Z"), None),
            agent("e", Some("Available"), None, None),
        ];
        let pick_with = |tried: &[&str]| {
            let tried: Vec<String> = tried.iter().map(|s| s.to_string()).collect();
            pick(&agents, &tried, "Available", PickOrder::LongestAvailable, |_| 0).map(|a| a.id.clone())
        };
        assert_eq!(pick_with(&[]).as_deref(), Some("b"));
        assert_eq!(pick_with(&["b"]).as_deref(), Some("a"));
        assert_eq!(pick_with(&["b", "a"]).as_deref(), Some("e"));
        assert_eq!(pick_with(&["b", "a", "e"]), None);
    }

    #[test]
    fn random_order_uses_the_injected_choice_among_candidates() {
        let agents = [
            agent("a", Some("Available"), None, None),
            agent("b", Some("Offline"), None, None),
            agent("c", Some("Available"), None, None),
        ];
        let picked = pick(&agents, &[], "Available", PickOrder::Random, |n| {
            assert_eq!(n, 2);
            1
        });
        assert_eq!(picked.map(|a| a.id.as_str()), Some("c"));
        assert_eq!(pick(&agents[1..2], &[], "Available", PickOrder::Random, |_| 0), None);
    }

    #[test]
    fn pick_orders_parse() {
        assert_eq!("longest-available".parse(), Ok(PickOrder::LongestAvailable));
        assert_eq!(" Random ".parse(), Ok(PickOrder::Random));
        assert!("first".parse::<PickOrder>().is_err());
    }
}
