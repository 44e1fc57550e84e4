//! Contacts and search: the contact as the emulator holds it, SearchContacts, DescribeContact and
//! UpdateContactRoutingData. The life of a contact a test drives, and the contact events Connect
//! publishes for it, are in [`super::events`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::State;
use super::common::{
    ApiError, Page, arn, epoch, id_list, invalid_parameter, not_found, object, resource_id, some, string_list, time,
};

/// SearchContacts: the default page.
const SEARCH_DEFAULT_PAGE: usize = 100;
/// The number callers dial: the instance's claimed number, `SystemEndpoint` of inbound calls.
pub const SYSTEM_NUMBER: &str = "+81500000000";

/// A contact: a past one for SearchContacts, or one a test moves through its life.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatedContact {
    pub id: String,
    pub agent_id: Option<String>,
    pub initiated_at: DateTime<Utc>,
    /// `VOICE`, `CHAT`, `TASK`, `EMAIL`.
    pub channel: String,
    /// The contact's attributes (SearchContacts matches `SearchableContactAttributes` on them).
    pub attributes: HashMap<String, String>,
    /// `INBOUND`, `OUTBOUND`, `API`, `TRANSFER`, `CALLBACK`, ...
    pub initiation_method: String,
    pub queue_id: Option<String>,
    pub enqueued_at: Option<DateTime<Utc>>,
    pub connected_to_agent_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    /// `CUSTOMER_DISCONNECT`, `AGENT_DISCONNECT`, `THIRD_PARTY_DISCONNECT`, `TELECOM_PROBLEM`,
    /// `CONTACT_FLOW_DISCONNECT`, `OTHER`, ... (DescribeContact's `DisconnectReason`).
    pub disconnect_reason: Option<String>,
    /// The customer's number (`CustomerEndpoint`); `None` for a withheld number or a chat.
    pub customer_number: Option<String>,
    /// The number the customer called or was called from (`SystemEndpoint`).
    pub system_number: Option<String>,
    pub initial_contact_id: Option<String>,
    pub previous_contact_id: Option<String>,
    /// What UpdateContactRoutingData set (`RoutingCriteria` as sent).
    pub routing_criteria: Option<Value>,
    pub routing_criteria_at: Option<DateTime<Utc>>,
}

impl EmulatedContact {
    /// An inbound voice contact with no agent, queue, number or attributes.
    pub fn new(id: impl Into<String>, initiated_at: DateTime<Utc>) -> Self {
        EmulatedContact {
            id: id.into(),
            agent_id: None,
            initiated_at,
            channel: "VOICE".to_owned(),
            attributes: HashMap::new(),
            initiation_method: "INBOUND".to_owned(),
            queue_id: None,
            enqueued_at: None,
            connected_to_agent_at: None,
            disconnected_at: None,
            disconnect_reason: None,
            customer_number: None,
            system_number: None,
            initial_contact_id: None,
            previous_contact_id: None,
            routing_criteria: None,
            routing_criteria_at: None,
        }
    }

    pub fn with_agent(mut self, agent_id: impl Into<String>) -> Self {
        self.agent_id = Some(agent_id.into());
        self
    }

    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    pub fn with_queue(mut self, queue_id: impl Into<String>) -> Self {
        self.queue_id = Some(queue_id.into());
        self
    }

    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Queued, and neither with an agent nor ended: the only state in which routing data can change.
    pub fn is_queued(&self) -> bool {
        self.enqueued_at.is_some() && self.connected_to_agent_at.is_none() && self.disconnected_at.is_none()
    }
}

#[derive(Debug, Default)]
pub(super) struct Contacts {
    pub(super) list: Vec<EmulatedContact>,
    pub(super) events: Vec<Value>,
    next_id: u64,
    pub(super) next_event: u64,
}

impl Contacts {
    pub(super) fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("0c0c0c0c-0000-4000-8000-{:012x}", self.next_id)
    }

    pub(super) fn get_mut(&mut self, contact_id: &str) -> Option<&mut EmulatedContact> {
        self.list.iter_mut().find(|c| c.id == contact_id)
    }

    /// Adds a contact, or replaces the one with the same ID.
    pub(super) fn put(&mut self, contact: EmulatedContact) {
        match self.get_mut(&contact.id) {
            Some(existing) => *existing = contact,
            None => self.list.push(contact),
        }
    }
}

fn contact_time(contact: &EmulatedContact, kind: &str) -> Option<DateTime<Utc>> {
    match kind {
        "INITIATION_TIMESTAMP" => Some(contact.initiated_at),
        "ENQUEUE_TIMESTAMP" => contact.enqueued_at,
        "CONNECTED_TO_AGENT_TIMESTAMP" => contact.connected_to_agent_at,
        "DISCONNECT_TIMESTAMP" => contact.disconnected_at,
        _ => None,
    }
}

/// `SearchableContactAttributes`: a criterion matches when the contact's attribute `Key` equals
/// one of `Values` exactly; `MatchType` MATCH_ALL (the default) needs every criterion, MATCH_ANY
/// one, MATCH_NONE none.
fn attributes_match(contact: &EmulatedContact, searchable: &Value) -> bool {
    let Some(criteria) = searchable["Criteria"].as_array().filter(|c| !c.is_empty()) else {
        return true;
    };
    let mut results = criteria.iter().map(|criterion| {
        let values = string_list(&criterion["Values"]).unwrap_or_default();
        criterion["Key"]
            .as_str()
            .and_then(|key| contact.attributes.get(key))
            .is_some_and(|value| values.iter().any(|v| v == value))
    });
    match searchable["MatchType"].as_str().unwrap_or("MATCH_ALL") {
        "MATCH_ANY" => results.any(|hit| hit),
        "MATCH_NONE" => !results.any(|hit| hit),
        _ => results.all(|hit| hit),
    }
}

fn in_list(list: &Option<Vec<String>>, value: Option<&String>) -> bool {
    list.as_ref().is_none_or(|items| items.is_empty() || value.is_some_and(|v| items.contains(v)))
}

/// Time range on the timestamp `TimeRange.Type` names (inclusive; contacts without that
/// timestamp are left out); `AgentIds`, `Channels`, `QueueIds`, `InitiationMethods` and
/// `SearchableContactAttributes` criteria; sort on `Sort` (default: initiation timestamp,
/// newest first).
pub(super) fn search_contacts(state: &State, input: &Value) -> Result<Value, ApiError> {
    let range = &input["TimeRange"];
    let kind = range["Type"].as_str().unwrap_or_default();
    let start = range["StartTime"].as_f64().unwrap_or_default();
    let end = range["EndTime"].as_f64().unwrap_or_default();
    if start > end {
        return Err(invalid_parameter("TimeRange.StartTime is after EndTime"));
    }
    let criteria = &input["SearchCriteria"];
    let agent_ids = id_list(&criteria["AgentIds"], "agent");
    let queue_ids = id_list(&criteria["QueueIds"], "queue");
    let channels = string_list(&criteria["Channels"]);
    let methods = string_list(&criteria["InitiationMethods"]);
    let searchable = &criteria["SearchableContactAttributes"];

    let mut matched: Vec<&EmulatedContact> = state
        .contacts
        .list
        .iter()
        .filter(|c| contact_time(c, kind).is_some_and(|t| (start..=end).contains(&epoch(&t))))
        .filter(|c| in_list(&agent_ids, c.agent_id.as_ref()))
        .filter(|c| in_list(&queue_ids, c.queue_id.as_ref()))
        .filter(|c| in_list(&channels, Some(&c.channel)))
        .filter(|c| in_list(&methods, Some(&c.initiation_method)))
        .filter(|c| attributes_match(c, searchable))
        .collect();

    let field = input["Sort"]["FieldName"].as_str().unwrap_or("INITIATION_TIMESTAMP").to_owned();
    let descending = input["Sort"]["Order"].as_str().unwrap_or("DESCENDING") != "ASCENDING";
    matched.sort_by(|a, b| {
        let order = match field.as_str() {
            "CHANNEL" => a.channel.cmp(&b.channel),
            "INITIATION_METHOD" => a.initiation_method.cmp(&b.initiation_method),
            "CONNECTED_TO_AGENT_TIMESTAMP" => a.connected_to_agent_at.cmp(&b.connected_to_agent_at),
            "DISCONNECT_TIMESTAMP" => a.disconnected_at.cmp(&b.disconnected_at),
            _ => a.initiated_at.cmp(&b.initiated_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if descending { order.reverse() } else { order }
    });
    let page = Page::of(input, SEARCH_DEFAULT_PAGE, matched.len())?;
    let contacts: Vec<Value> = page.slice(&matched).iter().map(|c| contact_summary(c)).collect();
    Ok(page.answer(json!({ "Contacts": contacts, "TotalCount": matched.len() })))
}

fn queue_info(contact: &EmulatedContact) -> Option<Value> {
    let queue_id = contact.queue_id.as_ref()?;
    Some(object([("Id", some(queue_id.as_str())), ("EnqueueTimestamp", time(contact.enqueued_at.as_ref()))]))
}

fn agent_info(contact: &EmulatedContact) -> Option<Value> {
    let agent_id = contact.agent_id.as_ref()?;
    let connected = time(contact.connected_to_agent_at.as_ref());
    Some(object([("Id", some(agent_id.as_str())), ("ConnectedToAgentTimestamp", connected)]))
}

fn contact_summary(contact: &EmulatedContact) -> Value {
    object([
        ("Id", some(contact.id.as_str())),
        ("Arn", some(arn("contact", &contact.id))),
        ("InitialContactId", contact.initial_contact_id.as_deref().map(Value::from)),
        ("PreviousContactId", contact.previous_contact_id.as_deref().map(Value::from)),
        ("InitiationMethod", some(contact.initiation_method.as_str())),
        ("Channel", some(contact.channel.as_str())),
        ("QueueInfo", queue_info(contact)),
        ("AgentInfo", agent_info(contact)),
        ("InitiationTimestamp", time(Some(&contact.initiated_at))),
        ("DisconnectTimestamp", time(contact.disconnected_at.as_ref())),
    ])
}

fn endpoint(number: Option<&String>) -> Option<Value> {
    number.map(|address| json!({ "Type": "TELEPHONE_NUMBER", "Address": address }))
}

/// Routing criteria as DescribeContact reports them: the steps as sent, each with its
/// `ExpiryTimestamp` (activation + the durations so far) and a `Status` (`ACTIVE` for the step in
/// force at the emulator's time, `EXPIRED` before it, `INACTIVE` after).
fn routing_criteria(contact: &EmulatedContact, now: DateTime<Utc>) -> Option<Value> {
    let criteria = contact.routing_criteria.as_ref()?;
    let activated = contact.routing_criteria_at?;
    let mut expiry = activated;
    let mut active_seen = false;
    let steps: Vec<Value> = criteria["Steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|step| {
            let duration = step["Expiry"]["DurationInSeconds"].as_i64();
            if let Some(seconds) = duration {
                expiry += chrono::TimeDelta::seconds(seconds);
            }
            let expired = duration.is_some() && expiry <= now;
            let status = if expired {
                "EXPIRED"
            } else if active_seen {
                "INACTIVE"
            } else {
                active_seen = true;
                "ACTIVE"
            };
            let expiry_value =
                duration.map(|seconds| json!({ "DurationInSeconds": seconds, "ExpiryTimestamp": epoch(&expiry) }));
            object([
                ("Expiry", expiry_value),
                ("Expression", Some(step["Expression"].clone())),
                ("Status", some(status)),
            ])
        })
        .collect();
    Some(json!({ "Steps": steps, "ActivationTimestamp": epoch(&activated), "Index": 0 }))
}

/// A contact as DescribeContact returns it (`CustomerEndpoint` only when the number was given,
/// none for chats); 404 `ResourceNotFoundException` when unknown. Connect keeps contacts for 24
/// months, so ended contacts are described too.
pub(super) fn describe_contact(state: &State, input: &Value) -> Result<Value, ApiError> {
    let contact_id = input["ContactId"].as_str().unwrap_or_default();
    let contact = state
        .contacts
        .list
        .iter()
        .find(|c| c.id == contact_id)
        .ok_or_else(|| not_found(format!("Contact {contact_id} not found")))?;
    let mut described = contact_summary(contact);
    if let Value::Object(fields) = &mut described {
        let last_update =
            [Some(contact.initiated_at), contact.enqueued_at, contact.connected_to_agent_at, contact.disconnected_at]
                .into_iter()
                .flatten()
                .max();
        let extra = [
            ("CustomerEndpoint", endpoint(contact.customer_number.as_ref())),
            ("SystemEndpoint", endpoint(contact.system_number.as_ref())),
            ("LastUpdateTimestamp", time(last_update.as_ref())),
            ("DisconnectReason", contact.disconnect_reason.as_deref().map(Value::from)),
            ("RoutingCriteria", routing_criteria(contact, state.now())),
            ("Attributes", some(json!(contact.attributes))),
        ];
        fields.extend(extra.into_iter().filter_map(|(key, value)| value.map(|v| (key.to_owned(), v))));
    }
    Ok(json!({ "Contact": described }))
}

/// Routing data can change only while the contact waits in a queue: an unknown contact is 404,
/// one that is not queued (with an agent, ended, or never queued) 409 `ResourceConflictException`
/// (the operation's modeled error for a contact in the wrong state). `QueuePriority` and
/// `QueueTimeAdjustmentSeconds` are exclusive ("not both", API reference). Each preferred agent of
/// an `AgentsCriteria` must be a user of the instance.
pub(super) fn update_contact_routing_data(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let contact_id = input["ContactId"].as_str().unwrap_or_default();
    if !input["QueuePriority"].is_null() && !input["QueueTimeAdjustmentSeconds"].is_null() {
        return Err(invalid_parameter("QueuePriority and QueueTimeAdjustmentSeconds cannot both be set"));
    }
    let criteria = input.get("RoutingCriteria").cloned();
    if let Some(criteria) = &criteria {
        for agent in preferred_agents(criteria) {
            if !state.users.has_agent(&resource_id(&agent, "agent")) {
                return Err(invalid_parameter(format!("AgentIds: {agent} is not a user of this instance")));
            }
        }
    }
    let now = state.now();
    let contact =
        state.contacts.get_mut(contact_id).ok_or_else(|| not_found(format!("Contact {contact_id} not found")))?;
    if !contact.is_queued() {
        return Err(ApiError::new(409, "ResourceConflictException", format!("Contact {contact_id} is not in queue")));
    }
    if criteria.is_some() {
        contact.routing_criteria = criteria;
        contact.routing_criteria_at = Some(now);
    }
    state.contacts.publish(contact_id, "CONTACT_DATA_UPDATED", now);
    Ok(json!({}))
}

/// Every agent ID named in `MatchCriteria.AgentsCriteria.AgentIds` anywhere in the criteria.
fn preferred_agents(criteria: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_agents(criteria, &mut found);
    found
}

fn collect_agents(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(ids) = string_list(&value["MatchCriteria"]["AgentsCriteria"]["AgentIds"]) {
                found.extend(ids);
            }
            fields.values().for_each(|v| collect_agents(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_agents(v, found)),
        _ => {}
    }
}
