//! Agents as the routing functions see them: references given as IDs or ARNs, the list of
//! agents a flow has already tried, availability, and the choice of the next agent to try.

use chrono::{DateTime, Utc};

/// The agent ID from an ID or an agent ARN
/// (`arn:aws:connect:<region>:<account>:instance/<instance>/agent/<id>`); `None` when blank
/// or an ARN of something else.
pub fn agent_id(reference: &str) -> Option<String> {
    let reference = reference.trim();
    if reference.is_empty() {
        return None;
    }
    if !reference.starts_with("arn:") {
        return Some(reference.to_owned());
    }
    let (_, resource) = reference.rsplit_once("/agent/")?;
    (!resource.is_empty() && !resource.contains('/')).then(|| resource.to_owned())
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
    /// Free voice slots when Connect reports slot data.
    pub free_voice_slots: Option<u32>,
}

impl AgentState {
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
