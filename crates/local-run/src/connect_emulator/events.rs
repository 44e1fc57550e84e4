//! The life of a contact that a test drives (initiated, queued, connected to an agent,
//! disconnected, transferred), with the EventBridge contact events Connect publishes for each step.
//!
//! Event shape: "Amazon Connect contact events" (adminguide/contact-events.html): source
//! `aws.connect`, detail-type `Amazon Connect Contact Event`, a camelCase `detail` with
//! `eventType`, `contactId`, `initialContactId`, `previousContactId` (transfers), `channel`,
//! `instanceArn`, `initiationMethod`, `queueInfo {queueArn, queueType, enqueueTimestamp}`,
//! `agentInfo {agentArn, connectedToAgentTimestamp}` and timestamps as
//! `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`. No phone number and no attributes are in an event; "events are
//! not ordered" and "emitted on a best effort basis", and EventBridge delivers to a target at least
//! once, so a consumer must expect duplicates and any order ([`ConnectEmulator::contact_events`]
//! gives them in the order they happened; a test shuffles and repeats them).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::common::{arn, instance_arn, object, some};
use super::contacts::{Contacts, EmulatedContact, SYSTEM_NUMBER};
use super::{ACCOUNT_ID, ConnectEmulator, REGION, lock};

impl Contacts {
    /// Records the contact event Connect would publish now for `contact_id`.
    pub(super) fn publish(&mut self, contact_id: &str, event_type: &str, now: DateTime<Utc>) {
        let Some(contact) = self.list.iter().find(|c| c.id == contact_id) else {
            return;
        };
        let detail = event_detail(contact, event_type);
        self.next_event += 1;
        let event = json!({
            "version": "0",
            "id": format!("e0e0e0e0-0000-4000-8000-{:012x}", self.next_event),
            "detail-type": "Amazon Connect Contact Event",
            "source": "aws.connect",
            "account": ACCOUNT_ID,
            "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            "region": REGION,
            "resources": [arn("contact", &contact.id), instance_arn()],
            "detail": detail,
        });
        self.events.push(event);
    }
}

fn event_time(at: Option<&DateTime<Utc>>) -> Option<Value> {
    at.map(|t| json!(t.to_rfc3339_opts(SecondsFormat::Millis, true)))
}

fn event_detail(contact: &EmulatedContact, event_type: &str) -> Value {
    let queue = contact.queue_id.as_ref().map(|queue_id| {
        let queue_type = if queue_id.starts_with("agent/") { "AGENT" } else { "STANDARD" };
        object([
            ("queueArn", some(arn("queue", queue_id))),
            ("queueType", some(queue_type)),
            ("enqueueTimestamp", event_time(contact.enqueued_at.as_ref())),
        ])
    });
    let agent = contact.agent_id.as_ref().map(|agent_id| {
        object([
            ("agentArn", some(arn("agent", agent_id))),
            ("connectedToAgentTimestamp", event_time(contact.connected_to_agent_at.as_ref())),
        ])
    });
    object([
        ("eventType", some(event_type)),
        ("contactId", some(contact.id.as_str())),
        ("initialContactId", some(contact.initial_contact_id.as_deref().unwrap_or(&contact.id))),
        ("previousContactId", contact.previous_contact_id.as_deref().map(Value::from)),
        ("channel", some(contact.channel.as_str())),
        ("instanceArn", some(instance_arn())),
        ("initiationMethod", some(contact.initiation_method.as_str())),
        ("initiationTimestamp", event_time(Some(&contact.initiated_at))),
        ("queueInfo", queue),
        ("agentInfo", agent),
        ("disconnectTimestamp", event_time(contact.disconnected_at.as_ref())),
    ])
}

impl ConnectEmulator {
    /// Adds a contact (for SearchContacts and DescribeContact), or replaces the one with its ID.
    /// Publishes no event: it is history, not something that happens now.
    pub fn add_contact(&self, contact: EmulatedContact) {
        lock(&self.state).contacts.put(contact);
    }

    /// A contact as the emulator holds it now.
    pub fn contact(&self, contact_id: &str) -> Option<EmulatedContact> {
        lock(&self.state).contacts.list.iter().find(|c| c.id == contact_id).cloned()
    }

    /// A customer calls in now (`from` `None`: a withheld number); answers the new contact's ID.
    /// Publishes `INITIATED`.
    pub fn start_inbound_call(&self, from: Option<&str>) -> String {
        self.start_contact("VOICE", from)
    }

    /// A chat starts now (no phone number at all). Publishes `INITIATED`.
    pub fn start_chat(&self) -> String {
        self.start_contact("CHAT", None)
    }

    fn start_contact(&self, channel: &str, from: Option<&str>) -> String {
        let mut state = lock(&self.state);
        let now = state.now();
        let id = state.contacts.new_id();
        let mut contact = EmulatedContact::new(id.clone(), now).with_channel(channel);
        contact.customer_number = from.map(str::to_owned);
        contact.system_number = (channel == "VOICE").then(|| SYSTEM_NUMBER.to_owned());
        state.contacts.put(contact);
        state.contacts.publish(&id, "INITIATED", now);
        id
    }

    /// The contact enters a queue now (an ID, or `agent/<agent ID>` for an agent's queue).
    /// Publishes `QUEUED`. `false` when there is no such contact.
    pub fn queue_contact(&self, contact_id: &str, queue_id: &str) -> bool {
        self.change_contact(contact_id, "QUEUED", |c, now| {
            c.queue_id = Some(queue_id.to_owned());
            c.enqueued_at = Some(now);
        })
    }

    /// The contact reaches an agent now: DescribeContact reports the agent, and
    /// `CONNECTED_TO_AGENT` is published. `false` when there is no such contact.
    pub fn connect_contact(&self, contact_id: &str, agent_id: &str) -> bool {
        self.change_contact(contact_id, "CONNECTED_TO_AGENT", |c, now| {
            c.agent_id = Some(agent_id.to_owned());
            c.connected_to_agent_at = Some(now);
        })
    }

    /// The customer hangs up (or never answered) now: [`disconnect_contact`](Self::disconnect_contact)
    /// with `CUSTOMER_DISCONNECT`.
    pub fn end_contact(&self, contact_id: &str) -> bool {
        self.disconnect_contact(contact_id, "CUSTOMER_DISCONNECT")
    }

    /// The contact ends now for `reason`. Publishes `DISCONNECTED`. `false` when there is no such
    /// contact.
    pub fn disconnect_contact(&self, contact_id: &str, reason: &str) -> bool {
        self.change_contact(contact_id, "DISCONNECTED", |c, now| {
            c.disconnected_at = Some(now);
            c.disconnect_reason = Some(reason.to_owned());
        })
    }

    /// The agent transfers the contact to `queue_id` now: this contact ends (`DISCONNECTED`,
    /// `AGENT_DISCONNECT`), and a new contact with `InitiationMethod` `TRANSFER`, the same customer,
    /// `PreviousContactId` the old one and the same `InitialContactId` starts and is queued
    /// (`INITIATED`, `QUEUED`). Answers its ID; `None` when there is no such contact.
    pub fn transfer_contact(&self, contact_id: &str, queue_id: &str) -> Option<String> {
        let mut state = lock(&self.state);
        let now = state.now();
        let old = state.contacts.get_mut(contact_id)?;
        old.disconnected_at = Some(now);
        old.disconnect_reason = Some("AGENT_DISCONNECT".to_owned());
        let mut next = EmulatedContact::new(String::new(), now).with_channel(old.channel.clone());
        next.initiation_method = "TRANSFER".to_owned();
        next.customer_number = old.customer_number.clone();
        next.system_number = old.system_number.clone();
        next.attributes = old.attributes.clone();
        next.initial_contact_id = Some(old.initial_contact_id.clone().unwrap_or_else(|| old.id.clone()));
        next.previous_contact_id = Some(old.id.clone());
        next.queue_id = Some(queue_id.to_owned());
        next.enqueued_at = Some(now);
        state.contacts.publish(contact_id, "DISCONNECTED", now);
        next.id = state.contacts.new_id();
        let id = next.id.clone();
        state.contacts.put(next);
        state.contacts.publish(&id, "INITIATED", now);
        state.contacts.publish(&id, "QUEUED", now);
        Some(id)
    }

    fn change_contact(
        &self,
        contact_id: &str,
        event_type: &str,
        change: impl FnOnce(&mut EmulatedContact, DateTime<Utc>),
    ) -> bool {
        let mut state = lock(&self.state);
        let now = state.now();
        let Some(contact) = state.contacts.get_mut(contact_id) else {
            return false;
        };
        change(contact, now);
        state.contacts.publish(contact_id, event_type, now);
        true
    }

    /// Every contact event published so far, in the order the steps happened.
    pub fn contact_events(&self) -> Vec<Value> {
        lock(&self.state).contacts.events.clone()
    }
}
