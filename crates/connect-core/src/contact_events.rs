//! Amazon Connect contact events as EventBridge delivers them (`source` `aws.connect`,
//! `detail-type` `Amazon Connect Contact Event`), parsed tolerantly, and what assignment-recorder
//! makes of one: record who answered, or skip with a reason.
//!
//! An event carries the agent (`agentInfo.agentArn`, `connectedToAgentTimestamp`) but no phone
//! number and no attributes: the caller comes from DescribeContact. Events are "not ordered" and
//! "emitted on a best effort basis" (Administrator Guide, "Amazon Connect contact events"), and
//! EventBridge delivers at least once: a decision depends on the event alone, and the store's
//! condition (newer connection wins) makes duplicates and reordering harmless.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::agents::{agent_id, instance_id};

pub const SOURCE: &str = "aws.connect";
pub const DETAIL_TYPE: &str = "Amazon Connect Contact Event";
pub const CONNECTED_TO_AGENT: &str = "CONNECTED_TO_AGENT";
pub const DISCONNECTED: &str = "DISCONNECTED";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContactEvent {
    pub id: Option<String>,
    #[serde(rename = "detail-type")]
    pub detail_type: Option<String>,
    pub source: Option<String>,
    /// When EventBridge received the event: the connection time of an event whose `agentInfo`
    /// has none (the documentation's oldest samples).
    pub time: Option<String>,
    pub detail: ContactEventDetail,
}

/// The documentation's samples spell the same fields three ways (Administrator Guide, "Amazon
/// Connect contact events", and its earlier versions in `awsdocs/amazon-connect-admin-guide`,
/// `doc_source/contact-events.md`): camelCase with `instanceArn` (the EventBridge schema, and what
/// Connect sends), camelCase with `instanceARN`, and PascalCase (`EventType`, `InstanceARN`,
/// `AgentInfo.AgentArn`); `channel` is `VOICE` or `Voice`. All are read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactEventDetail {
    #[serde(alias = "EventType")]
    pub event_type: Option<String>,
    #[serde(alias = "ContactId")]
    pub contact_id: Option<String>,
    #[serde(alias = "Channel")]
    pub channel: Option<String>,
    #[serde(alias = "instanceARN", alias = "InstanceARN", alias = "InstanceArn")]
    pub instance_arn: Option<String>,
    #[serde(alias = "InitiationMethod")]
    pub initiation_method: Option<String>,
    #[serde(alias = "AgentInfo")]
    pub agent_info: Option<EventAgentInfo>,
    #[serde(alias = "DisconnectTimestamp")]
    pub disconnect_timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventAgentInfo {
    #[serde(rename = "agentArn", alias = "AgentArn", alias = "AgentARN")]
    pub agent_arn: Option<String>,
    #[serde(rename = "connectedToAgentTimestamp", alias = "ConnectedToAgentTimestamp")]
    pub connected_to_agent_timestamp: Option<String>,
}

impl ContactEvent {
    /// Whether `value` is a contact event (and not a contact-flow invocation).
    pub fn is_contact_event(value: &Value) -> bool {
        value["source"] == SOURCE && value["detail-type"] == DETAIL_TYPE
    }

    /// `None` when the event is not an object of the right types.
    pub fn from_value(value: Value) -> Option<Self> {
        value.is_object().then(|| serde_json::from_value(value).ok()).flatten()
    }
}

/// What the recorder records, and on which events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRules {
    /// Zero: record on `CONNECTED_TO_AGENT`. More: record on `DISCONNECTED`, and only when the
    /// agent was connected at least this long.
    pub min_connected: TimeDelta,
    /// `InitiationMethod`s whose contacts are recorded (`INBOUND` by default).
    pub initiation_methods: Vec<String>,
}

/// A voice contact an agent answered: what is remembered, once the caller's number is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub contact_id: String,
    /// The instance's ID, read from the event's instance ARN: DescribeContact documents an ID.
    pub instance_id: String,
    pub agent_id: String,
    pub agent_arn: String,
    pub connected_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a usable contact event (no contact, instance or event type).
    Malformed,
    /// Chat, task, email: no caller number to remember.
    NotVoice,
    /// An initiation method not in `RECORD_INITIATION_METHODS`.
    InitiationMethod,
    /// An event type the rules do not record on (`QUEUED`, or `CONNECTED_TO_AGENT` when only
    /// `DISCONNECTED` counts).
    EventType,
    /// No agent, or no time the agent was connected.
    NoAgent,
    /// Shorter than `MIN_CONNECTED_SECONDS`.
    ShortCall,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Malformed => "malformed event",
            SkipReason::NotVoice => "not a voice contact",
            SkipReason::InitiationMethod => "initiation method not recorded",
            SkipReason::EventType => "event type not recorded",
            SkipReason::NoAgent => "no agent connected",
            SkipReason::ShortCall => "shorter than MIN_CONNECTED_SECONDS",
        }
    }

    /// The metrics' `Reason`.
    pub fn metric_name(self) -> &'static str {
        match self {
            SkipReason::Malformed => "malformed",
            SkipReason::NotVoice => "not_voice",
            SkipReason::InitiationMethod => "initiation_method",
            SkipReason::EventType => "event_type",
            SkipReason::NoAgent => "no_agent",
            SkipReason::ShortCall => "short_call",
        }
    }
}

/// A present, non-blank text field.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
}

/// Whether `event` is one to record under `rules`, and what it says.
pub fn decide(event: &ContactEvent, rules: &RecordRules) -> Result<Connection, SkipReason> {
    let detail = &event.detail;
    let (Some(contact_id), Some(instance_arn), Some(event_type)) =
        (text(&detail.contact_id), text(&detail.instance_arn), text(&detail.event_type))
    else {
        return Err(SkipReason::Malformed);
    };
    if !text(&detail.channel).is_some_and(|c| c.eq_ignore_ascii_case("VOICE")) {
        return Err(SkipReason::NotVoice);
    }
    let method = text(&detail.initiation_method).unwrap_or_default();
    if !rules.initiation_methods.iter().any(|m| m.eq_ignore_ascii_case(method)) {
        return Err(SkipReason::InitiationMethod);
    }
    let wanted = if rules.min_connected > TimeDelta::zero() { DISCONNECTED } else { CONNECTED_TO_AGENT };
    if event_type != wanted {
        return Err(SkipReason::EventType);
    }
    let instance_id = instance_id(instance_arn).ok_or(SkipReason::Malformed)?;
    let agent = detail.agent_info.as_ref();
    let agent_arn = agent.and_then(|a| text(&a.agent_arn)).ok_or(SkipReason::NoAgent)?;
    let connected = agent.and_then(|a| text(&a.connected_to_agent_timestamp)).or(text(&event.time));
    let connected_at = time(connected).ok_or(SkipReason::NoAgent)?;
    let id = agent_id(agent_arn).ok_or(SkipReason::NoAgent)?;
    if wanted == DISCONNECTED {
        let ended = time(detail.disconnect_timestamp.as_deref()).ok_or(SkipReason::Malformed)?;
        if ended - connected_at < rules.min_connected {
            return Err(SkipReason::ShortCall);
        }
    }
    Ok(Connection {
        contact_id: contact_id.to_owned(),
        instance_id,
        agent_id: id,
        agent_arn: agent_arn.to_owned(),
        connected_at,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const INSTANCE: &str = "arn:aws:connect:ap-northeast-1:123456789012:instance/11111111-2222-3333-4444-555555555555";

    fn event(event_type: &str, channel: &str, method: &str) -> Value {
        json!({
            "version": "0",
            "id": "e-1",
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "detail": {
                "eventType": event_type,
                "contactId": "c-1",
                "channel": channel,
                "instanceArn": INSTANCE,
                "initiationMethod": method,
                "agentInfo": {"agentArn": format!("{INSTANCE}/agent/suzuki"), "connectedToAgentTimestamp": "2026-11-21T09:00:00.000Z"},
                "disconnectTimestamp": "2026-11-21T09:00:40.000Z"
            }
        })
    }

    fn rules(min_seconds: i64, methods: &[&str]) -> RecordRules {
        RecordRules {
            min_connected: TimeDelta::seconds(min_seconds),
            initiation_methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    fn decision(value: Value, rules: &RecordRules) -> Result<Connection, SkipReason> {
        assert!(ContactEvent::is_contact_event(&value));
        decide(&ContactEvent::from_value(value).unwrap(), rules)
    }

    #[test]
    fn an_answered_inbound_voice_call_is_recorded_with_its_connection_time() {
        let recorded = decision(event(CONNECTED_TO_AGENT, "VOICE", "INBOUND"), &rules(0, &["INBOUND"])).unwrap();
        assert_eq!((recorded.contact_id.as_str(), recorded.agent_id.as_str()), ("c-1", "suzuki"));
        assert_eq!(recorded.instance_id, "11111111-2222-3333-4444-555555555555", "the ID DescribeContact takes");
        assert_eq!(recorded.connected_at, "2026-11-21T09:00:00Z".parse::<DateTime<Utc>>().unwrap());
        // the documentation's other spelling
        let mut other = event(CONNECTED_TO_AGENT, "Voice", "INBOUND");
        let detail = other["detail"].as_object_mut().unwrap();
        let mut agent = detail.remove("agentInfo").unwrap();
        let agent_arn = agent.as_object_mut().unwrap().remove("agentArn").unwrap();
        agent["AgentArn"] = agent_arn;
        detail.insert("AgentInfo".to_owned(), agent);
        assert_eq!(decision(other, &rules(0, &["INBOUND"])).unwrap().agent_id, "suzuki");
    }

    /// The sample events the documentation published, with their spellings (`instanceARN`,
    /// PascalCase, `Voice`, `AgentInfo.AgentArn`) and the instance ID DescribeContact takes.
    #[test]
    fn every_documented_sample_event_is_read() {
        let samples = [
            include_str!("../../../events/assignment-recorder/documented-connected-to-agent.json"),
            include_str!("../../../events/assignment-recorder/documented-pascal-case.json"),
        ];
        for text in samples {
            let value: Value = serde_json::from_str(text).unwrap();
            let recorded = decision(value, &rules(0, &["INBOUND"])).map_err(|e| format!("{e:?}: {text}")).unwrap();
            assert_eq!(recorded.instance_id, "12345678-1234-1234-1234-123456789012", "{text}");
            assert_eq!(
                (recorded.contact_id.as_str(), recorded.agent_id.as_str()),
                ("11111111-1111-1111-1111-111111111111", "arn")
            );
            // No connectedToAgentTimestamp: the time EventBridge received the event.
            assert_eq!(recorded.connected_at, "2021-05-01T18:43:48Z".parse::<DateTime<Utc>>().unwrap());
        }
        // The published disconnect sample ends (17:18:37) before its agent connected (17:29:09):
        // read in full, and never a call long enough to record.
        let disconnected = include_str!("../../../events/assignment-recorder/documented-disconnected.json");
        let value: Value = serde_json::from_str(disconnected).unwrap();
        assert_eq!(decision(value.clone(), &rules(30, &["OUTBOUND"])), Err(SkipReason::ShortCall));
        assert_eq!(decision(value, &rules(30, &["INBOUND"])), Err(SkipReason::InitiationMethod));
    }

    #[test]
    fn what_is_skipped_and_why() {
        let inbound = rules(0, &["INBOUND"]);
        let cases = [
            (event(CONNECTED_TO_AGENT, "CHAT", "INBOUND"), &inbound, SkipReason::NotVoice),
            (event(CONNECTED_TO_AGENT, "VOICE", "TRANSFER"), &inbound, SkipReason::InitiationMethod),
            (event("QUEUED", "VOICE", "INBOUND"), &inbound, SkipReason::EventType),
            (event(DISCONNECTED, "VOICE", "INBOUND"), &inbound, SkipReason::EventType),
        ];
        for (value, rules, reason) in cases {
            assert_eq!(decision(value.clone(), rules), Err(reason), "{value}");
        }
        let mut no_agent = event(CONNECTED_TO_AGENT, "VOICE", "INBOUND");
        no_agent["detail"]["agentInfo"] = Value::Null;
        assert_eq!(decision(no_agent, &inbound), Err(SkipReason::NoAgent));
        let mut no_contact = event(CONNECTED_TO_AGENT, "VOICE", "INBOUND");
        no_contact["detail"]["contactId"] = json!("");
        assert_eq!(decision(no_contact, &inbound), Err(SkipReason::Malformed));
        assert!(ContactEvent::from_value(json!([])).is_none());
        assert!(!ContactEvent::is_contact_event(&json!({"Name": "ContactFlowEvent", "Details": {}})));
        assert!(decision(event(CONNECTED_TO_AGENT, "VOICE", "TRANSFER"), &rules(0, &["INBOUND", "TRANSFER"])).is_ok());
    }

    #[test]
    fn with_a_minimum_only_long_enough_calls_are_recorded_at_their_end() {
        let at_least_30 = rules(30, &["INBOUND"]);
        assert_eq!(decision(event(CONNECTED_TO_AGENT, "VOICE", "INBOUND"), &at_least_30), Err(SkipReason::EventType));
        assert!(decision(event(DISCONNECTED, "VOICE", "INBOUND"), &at_least_30).is_ok(), "40 s >= 30 s");
        assert_eq!(
            decision(event(DISCONNECTED, "VOICE", "INBOUND"), &rules(60, &["INBOUND"])),
            Err(SkipReason::ShortCall)
        );
    }
}
