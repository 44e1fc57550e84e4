//! Contacts through their life, their events, and the module layout.

use chrono::TimeDelta;

use super::super::*;
use super::{agent, client};

#[tokio::test]
async fn a_contact_is_queued_preferred_answered_and_ended_with_its_events() {
    use aws_sdk_connect::types::{
        AgentsCriteria, AttributeCondition, Expression, MatchCriteria, RoutingCriteriaInput, RoutingCriteriaInputStep,
        RoutingCriteriaInputStepExpiry,
    };
    let emulator = ConnectEmulator::start().await.unwrap();
    emulator.add_agent(agent(7));
    let client = client(&emulator);
    let describe = |id: String| client.describe_contact().instance_id(emulator.instance_id()).contact_id(id).send();
    let prefer = |id: String, agent_id: &str| {
        let condition = AttributeCondition::builder()
            .match_criteria(
                MatchCriteria::builder().agents_criteria(AgentsCriteria::builder().agent_ids(agent_id).build()).build(),
            )
            .build();
        let step = RoutingCriteriaInputStep::builder()
            .expiry(RoutingCriteriaInputStepExpiry::builder().duration_in_seconds(30).build())
            .expression(Expression::builder().attribute_condition(condition).build())
            .build();
        client
            .update_contact_routing_data()
            .instance_id(INSTANCE_ID)
            .contact_id(id)
            .routing_criteria(RoutingCriteriaInput::builder().steps(step).build())
            .send()
    };

    let id = emulator.start_inbound_call(Some("+81312345678"));
    let err = prefer(id.clone(), "agent-007").await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(409), "not queued yet");
    assert!(emulator.queue_contact(&id, "q-support"));
    prefer(id.clone(), "agent-007").await.unwrap();
    let bad = prefer(id.clone(), "nobody").await.unwrap_err();
    assert!(bad.as_service_error().is_some_and(|e| e.is_invalid_parameter_exception()), "{bad:?}");

    let queued = describe(id.clone()).await.unwrap().contact.unwrap();
    assert_eq!(queued.customer_endpoint().and_then(|e| e.address()), Some("+81312345678"));
    assert_eq!(queued.system_endpoint().and_then(|e| e.address()), Some(SYSTEM_NUMBER));
    assert_eq!(queued.channel(), Some(&aws_sdk_connect::types::Channel::Voice));
    assert_eq!(queued.queue_info().and_then(|q| q.id()), Some("q-support"));
    assert!(queued.queue_info().and_then(|q| q.enqueue_timestamp()).is_some());
    let steps = queued.routing_criteria().unwrap().steps();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(steps[0].expiry().and_then(|e| e.duration_in_seconds()), Some(30));
    let preferred = steps[0].expression().and_then(|e| e.attribute_condition()).and_then(|c| c.match_criteria());
    assert_eq!(
        preferred.and_then(|m| m.agents_criteria()).map(|a| a.agent_ids().to_vec()),
        Some(vec!["agent-007".to_owned()])
    );
    emulator.advance_clock(TimeDelta::seconds(31));
    let expired = describe(id.clone()).await.unwrap().contact.unwrap();
    assert_eq!(expired.routing_criteria().unwrap().steps()[0].status().map(|s| s.as_str()), Some("EXPIRED"));

    assert!(emulator.connect_contact(&id, "agent-007"));
    let answered = describe(id.clone()).await.unwrap().contact.unwrap();
    assert_eq!(answered.agent_info().and_then(|a| a.id()), Some("agent-007"));
    assert!(answered.agent_info().and_then(|a| a.connected_to_agent_timestamp()).is_some());
    assert!(prefer(id.clone(), "agent-007").await.is_err(), "routing data is fixed once an agent answered");
    assert!(emulator.end_contact(&id));
    let ended = describe(id.clone()).await.unwrap().contact.unwrap();
    assert!(ended.disconnect_timestamp().is_some());
    assert_eq!(ended.disconnect_reason(), Some("CUSTOMER_DISCONNECT"));
    emulator.take_refused();

    let events = emulator.contact_events();
    let types: Vec<&str> = events.iter().map(|e| e["detail"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(types, ["INITIATED", "QUEUED", "CONTACT_DATA_UPDATED", "CONNECTED_TO_AGENT", "DISCONNECTED"]);
    let connected = &events[3];
    assert_eq!(connected["source"], "aws.connect");
    assert_eq!(connected["detail-type"], "Amazon Connect Contact Event");
    assert_eq!(connected["account"], ACCOUNT_ID);
    let detail = &connected["detail"];
    assert_eq!(detail["contactId"], id.as_str());
    assert_eq!(detail["instanceArn"], emulator.instance_arn());
    assert_eq!(detail["channel"], "VOICE");
    assert_eq!(detail["initiationMethod"], "INBOUND");
    assert_eq!(detail["agentInfo"]["agentArn"], emulator.agent_arn("agent-007"));
    assert_eq!(detail["queueInfo"]["queueArn"], emulator.queue_arn("q-support"));
    assert_eq!(detail["queueInfo"]["queueType"], "STANDARD");
    let stamp = detail["agentInfo"]["connectedToAgentTimestamp"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(stamp).is_ok() && stamp.ends_with('Z') && stamp.len() == 24,
        "{stamp}"
    );
    assert!(!connected.to_string().contains("+81312345678"), "no phone number in an event");
    assert!(events[4]["detail"]["disconnectTimestamp"].is_string());
}

#[tokio::test]
async fn transferred_chat_and_withheld_contacts_are_described_as_connect_describes_them() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let client = client(&emulator);
    let describe = |id: String| client.describe_contact().instance_id(INSTANCE_ID).contact_id(id).send();

    let first = emulator.start_inbound_call(Some("+81312345678"));
    emulator.queue_contact(&first, "q-1");
    emulator.connect_contact(&first, "agent-1");
    let second = emulator.transfer_contact(&first, "q-2").unwrap();
    let transferred = describe(second.clone()).await.unwrap().contact.unwrap();
    assert_eq!(transferred.initiation_method(), Some(&aws_sdk_connect::types::ContactInitiationMethod::Transfer));
    assert_eq!(transferred.previous_contact_id(), Some(first.as_str()));
    assert_eq!(transferred.initial_contact_id(), Some(first.as_str()));
    assert_eq!(transferred.customer_endpoint().and_then(|e| e.address()), Some("+81312345678"));
    assert!(transferred.agent_info().is_none());
    assert_eq!(describe(first.clone()).await.unwrap().contact.unwrap().disconnect_reason(), Some("AGENT_DISCONNECT"));

    let chat = emulator.start_chat();
    let described = describe(chat).await.unwrap().contact.unwrap();
    assert_eq!(described.channel(), Some(&aws_sdk_connect::types::Channel::Chat));
    assert!(described.customer_endpoint().is_none() && described.system_endpoint().is_none());
    let withheld = emulator.start_inbound_call(None);
    assert!(describe(withheld).await.unwrap().contact.unwrap().customer_endpoint().is_none());

    let types: Vec<String> = emulator
        .contact_events()
        .iter()
        .filter(|e| e["detail"]["contactId"] == second.as_str())
        .map(|e| {
            format!(
                "{} {}",
                e["detail"]["eventType"].as_str().unwrap(),
                e["detail"]["previousContactId"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(types, [format!("INITIATED {first}"), format!("QUEUED {first}")]);
}

#[test]
fn each_api_family_is_a_module_of_at_most_500_lines() {
    let dir = crate::workspace_root().join("crates/local-run/src/connect_emulator");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("tests")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let lines = std::fs::read_to_string(&path).unwrap().lines().count();
                let name = path.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
                assert!(lines <= 500, "{name} has {lines} lines");
                files.push(name);
            }
        }
    }
    files.sort();
    let expected = [
        "common.rs",
        "contacts.rs",
        "events.rs",
        "hours.rs",
        "metrics.rs",
        "mod.rs",
        "model.rs",
        "outbound.rs",
        "quotas.rs",
        "tests/lifecycle.rs",
        "tests/mod.rs",
        "tests/model.rs",
        "tests/operations.rs",
        "tests/strictness.rs",
        "users.rs",
        "wire.rs",
    ];
    assert_eq!(files, expected);
}
