//! Users and agent state: ListUsers, DescribeUser, GetCurrentUserData, and the queues of a
//! routing profile (ListRoutingProfileQueues).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::common::{ApiError, Page, arn, id_list, invalid_request, non_empty, not_found, resource_id, string_list};
use super::{ConnectEmulator, REGION, State, lock};

/// ListUsers: "The default MaxResult size is 100" (API reference).
const LIST_USERS_DEFAULT_PAGE: usize = 100;
/// GetCurrentUserData: the default page.
const USER_DATA_DEFAULT_PAGE: usize = 100;

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
    /// `false`: a routing profile without voice concurrency; the slot maps report `CHAT` instead.
    pub voice: bool,
}

impl AgentStatus {
    pub fn new(name: impl Into<String>, since_epoch_secs: f64, voice_slots_free: Option<u32>) -> Self {
        AgentStatus { name: name.into(), since_epoch_secs, voice_slots_free, voice: true }
    }

    /// The same status on a routing profile that takes chats only.
    pub fn without_voice(self) -> Self {
        AgentStatus { voice: false, ..self }
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

#[derive(Debug, Clone)]
struct AgentRecord {
    agent: Agent,
    /// Logged-out agents are not in GetCurrentUserData (they stay in ListUsers/DescribeUser).
    logged_in: bool,
    modified_at: f64,
}

#[derive(Debug, Default)]
pub(super) struct Users {
    agents: Vec<AgentRecord>,
    /// routing profile -> its queues with the channel each is served on.
    routing_profile_queues: HashMap<String, Vec<(String, String)>>,
}

impl Users {
    fn queues_of(&self, routing_profile_id: &str) -> &[(String, String)] {
        self.routing_profile_queues.get(routing_profile_id).map(Vec::as_slice).unwrap_or_default()
    }

    pub(super) fn has_agent(&self, agent_id: &str) -> bool {
        self.agents.iter().any(|r| r.agent.id == agent_id)
    }

    fn agent_mut(&mut self, agent_id: &str) -> Option<&mut AgentRecord> {
        self.agents.iter_mut().find(|r| r.agent.id == agent_id)
    }
}

impl ConnectEmulator {
    /// Adds a logged-in agent, or replaces the agent with the same ID (keeping its place in
    /// ListUsers).
    pub fn add_agent(&self, agent: Agent) {
        let mut state = lock(&self.state);
        let record = AgentRecord { agent, logged_in: true, modified_at: super::common::epoch(&state.now()) };
        match state.users.agent_mut(&record.agent.id) {
            Some(existing) => *existing = record,
            None => state.users.agents.push(record),
        }
    }

    /// Sets an agent's status (and logs it in); unknown agents are ignored.
    pub fn set_status(&self, agent_id: &str, status_name: &str, since_epoch_secs: f64, voice_slots_free: Option<u32>) {
        if let Some(record) = lock(&self.state).users.agent_mut(agent_id) {
            record.agent.status = AgentStatus::new(status_name, since_epoch_secs, voice_slots_free);
            record.logged_in = true;
        }
    }

    /// Logs an agent out of the CCP: GetCurrentUserData leaves it out until the next
    /// [`set_status`](Self::set_status) or [`add_agent`](Self::add_agent).
    pub fn log_out(&self, agent_id: &str) {
        if let Some(record) = lock(&self.state).users.agent_mut(agent_id) {
            record.logged_in = false;
        }
    }

    /// The queues of a routing profile: a user's queues, for GetCurrentUserData's `Queues` filter.
    pub fn set_routing_profile_queues(&self, routing_profile_id: &str, queue_ids: &[&str]) {
        let queues: Vec<(&str, &str)> = queue_ids.iter().map(|q| (*q, "VOICE")).collect();
        self.set_routing_profile_queue_channels(routing_profile_id, &queues);
    }

    /// A routing profile's queues with the channel of each (`VOICE`, `CHAT`, `TASK`, `EMAIL`).
    pub fn set_routing_profile_queue_channels(&self, routing_profile_id: &str, queues: &[(&str, &str)]) {
        let queues = queues.iter().map(|(q, channel)| ((*q).to_owned(), (*channel).to_owned())).collect();
        lock(&self.state).users.routing_profile_queues.insert(routing_profile_id.to_owned(), queues);
    }
}

pub(super) fn list_users(state: &State, input: &Value) -> Result<Value, ApiError> {
    let agents = &state.users.agents;
    let page = Page::of(input, LIST_USERS_DEFAULT_PAGE, agents.len())?;
    let users: Vec<Value> = page
        .slice(agents)
        .iter()
        .map(|record| {
            let agent = &record.agent;
            json!({
                "Id": agent.id,
                "Arn": arn("agent", &agent.id),
                "Username": agent.username,
                "LastModifiedTime": record.modified_at,
                "LastModifiedRegion": REGION,
            })
        })
        .collect();
    Ok(page.answer(json!({ "UserSummaryList": users })))
}

pub(super) fn describe_user(state: &State, input: &Value) -> Result<Value, ApiError> {
    let user_id = input["UserId"].as_str().unwrap_or_default();
    let id = resource_id(user_id, "agent");
    let record = state
        .users
        .agents
        .iter()
        .find(|r| r.agent.id == id)
        .ok_or_else(|| not_found(format!("User not found for UserId: {user_id}")))?;
    let agent = &record.agent;
    Ok(json!({
        "User": {
            "Id": agent.id,
            "Arn": arn("agent", &agent.id),
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

/// The list sizes (at most 100 agents, queues or routing profiles) are the model's. Beyond the
/// model, as the API reference says: "a maximum of one filter can be passed from queues, routing
/// profiles, agents, and user hierarchy groups", and an `Agents` filter needs one agent at least;
/// both get 400 `InvalidRequestException`. Hierarchy groups are not modelled (such a filter matches
/// nobody); agents never have contacts, so a `ContactFilter` with states matches nobody either.
pub(super) fn get_current_user_data(state: &State, input: &Value) -> Result<Value, ApiError> {
    let filters = &input["Filters"];
    let agents = id_list(&filters["Agents"], "agent");
    let queues = id_list(&filters["Queues"], "queue");
    let profiles = id_list(&filters["RoutingProfiles"], "routing-profile");
    let groups = string_list(&filters["UserHierarchyGroups"]);
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
    let by_group = non_empty(&groups);
    let users = &state.users;
    let matched: Vec<&AgentRecord> = users
        .agents
        .iter()
        .filter(|r| r.logged_in && !by_group && !has_contact_states)
        .filter(|r| agents.as_ref().is_none_or(|ids| ids.contains(&r.agent.id)))
        .filter(|r| profiles.as_ref().is_none_or(|ids| ids.contains(&r.agent.routing_profile_id)))
        .filter(|r| {
            queues
                .as_ref()
                .is_none_or(|ids| users.queues_of(&r.agent.routing_profile_id).iter().any(|(q, _)| ids.contains(q)))
        })
        .collect();
    let page = Page::of(input, USER_DATA_DEFAULT_PAGE, matched.len())?;
    let list: Vec<Value> = page.slice(&matched).iter().map(|r| user_data(&r.agent)).collect();
    Ok(page.answer(json!({ "UserDataList": list, "ApproximateTotalCount": matched.len() })))
}

fn user_data(agent: &Agent) -> Value {
    let status = &agent.status;
    let mut data = Map::new();
    data.insert("User".to_owned(), json!({ "Id": agent.id, "Arn": arn("agent", &agent.id) }));
    data.insert(
        "RoutingProfile".to_owned(),
        json!({ "Id": agent.routing_profile_id, "Arn": arn("routing-profile", &agent.routing_profile_id) }),
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
        let channel = if status.voice { "VOICE" } else { "CHAT" };
        data.insert("AvailableSlotsByChannel".to_owned(), json!({ channel: free }));
        data.insert("MaxSlotsByChannel".to_owned(), json!({ channel: max }));
        data.insert("ActiveSlotsByChannel".to_owned(), json!({ channel: max - free }));
    }
    data.insert("Contacts".to_owned(), json!([]));
    Value::Object(data)
}

/// The queues of a routing profile with their channels (as
/// [`ConnectEmulator::set_routing_profile_queue_channels`] set them); 404 for a routing profile no
/// agent has and none was set for.
pub(super) fn list_routing_profile_queues(state: &State, input: &Value) -> Result<Value, ApiError> {
    let profile = resource_id(input["RoutingProfileId"].as_str().unwrap_or_default(), "routing-profile");
    let users = &state.users;
    let known = users.routing_profile_queues.contains_key(&profile)
        || users.agents.iter().any(|r| r.agent.routing_profile_id == profile);
    if !known {
        return Err(not_found(format!("RoutingProfile not found for RoutingProfileId: {profile}")));
    }
    let queues = users.queues_of(&profile);
    let page = Page::of(input, 100, queues.len())?;
    let list: Vec<Value> = page
        .slice(queues)
        .iter()
        .map(|(queue, channel)| {
            json!({
                "QueueId": queue,
                "QueueArn": arn("queue", queue),
                "QueueName": queue,
                "Priority": 1,
                "Delay": 0,
                "Channel": channel,
            })
        })
        .collect();
    Ok(page.answer(json!({ "RoutingProfileQueueConfigSummaryList": list, "LastModifiedRegion": REGION })))
}

fn status_arn(name: &str) -> String {
    let slug: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    arn("agent-state", &slug)
}
