//! What each operation answers.

use super::super::wire::percent_decode;
use super::super::*;
use super::{agent, client, unthrottled};
use aws_sdk_connect::primitives::DateTime as SdkDateTime;
use aws_sdk_connect::types::{
    Channel, CurrentMetric, CurrentMetricName, Filters, Grouping, SearchContactsMatchType, SearchContactsTimeRange,
    SearchContactsTimeRangeType, SearchCriteria, SearchableContactAttributes, SearchableContactAttributesCriteria,
    Sort, SortOrder, SortableFieldName, Unit, UserDataFilters,
};

#[test]
fn paths_are_split_then_decoded() {
    let arn = "arn%3Aaws%3Aconnect%3Aap-northeast-1%3A123456789012%3Ainstance%2Fabc";
    assert_eq!(
        path_segments(&format!("/users-summary/{arn}")),
        ["users-summary", "arn:aws:connect:ap-northeast-1:123456789012:instance/abc"]
    );
    assert_eq!(percent_decode("a%3Ab%2fc%zz%4"), "a:b/c%zz%4");
    assert!(outbound::is_e164("+81312345678"));
    assert!(!outbound::is_e164("0312345678"));
    assert!(!outbound::is_e164("+81-3-1234"));
}

#[tokio::test]
async fn list_users_pages_through_250_agents() {
    let emulator = unthrottled().await;
    for i in 0..250 {
        emulator.add_agent(agent(i));
    }
    let client = client(&emulator);
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out =
            client.list_users().instance_id(emulator.instance_id()).set_next_token(token.clone()).send().await.unwrap();
        pages += 1;
        ids.extend(out.user_summary_list().iter().filter_map(|u| u.id().map(str::to_owned)));
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.first().map(String::as_str), Some("agent-000"));
    assert_eq!(ids.last().map(String::as_str), Some("agent-249"));
    assert_eq!(emulator.requests(LIST_USERS), 3);

    let small = client.list_users().instance_id(emulator.instance_id()).max_results(7).send().await.unwrap();
    assert_eq!(small.user_summary_list().len(), 7);
    let summary = &small.user_summary_list()[0];
    assert_eq!(summary.arn(), Some(emulator.agent_arn("agent-000").as_str()));
    assert_eq!(summary.username(), Some("user0"));

    emulator.fail_next(LIST_USERS, 400, "InvalidRequestException", 1);
    let err = client.list_users().instance_id(emulator.instance_id()).send().await.unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_invalid_request_exception()), "{err:?}");
    assert!(client.list_users().instance_id(emulator.instance_id()).send().await.is_ok());
    assert_eq!(emulator.requests(LIST_USERS), 6);
}

#[tokio::test]
async fn describe_user_and_missing_user() {
    let emulator = unthrottled().await;
    emulator.add_agent(agent(1));
    let client = client(&emulator);
    let user = client.describe_user().instance_id(emulator.instance_id()).user_id("agent-001").send().await.unwrap();
    assert_eq!(user.user().and_then(|u| u.routing_profile_id()), Some("rp-1"));
    let err = client.describe_user().instance_id(emulator.instance_id()).user_id("nobody").send().await.unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{err:?}");
}

#[tokio::test]
async fn current_user_data_filters_and_rejects_101_agents() {
    let emulator = unthrottled().await;
    for i in 0..3 {
        emulator.add_agent(agent(i));
    }
    emulator.set_status("agent-001", "Lunch", 1_700_000_100.0, None);
    let client = client(&emulator);

    let too_many: Vec<String> = (0..101).map(|i| format!("agent-{i:03}")).collect();
    let err = client
        .get_current_user_data()
        .instance_id(emulator.instance_id())
        .filters(UserDataFilters::builder().set_agents(Some(too_many)).build())
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_invalid_parameter_exception()), "{err:?}");
    let refused = emulator.take_refused();
    assert_eq!(refused.len(), 1);
    assert!(refused[0].message.contains("'Filters.Agents'"), "{refused:?}");

    let out = client
        .get_current_user_data()
        .instance_id(emulator.instance_id())
        .filters(UserDataFilters::builder().agents("agent-000").agents(emulator.agent_arn("agent-001")).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.approximate_total_count(), Some(2));
    let list = out.user_data_list();
    assert_eq!(list.len(), 2);
    let first = &list[0];
    assert_eq!(first.user().and_then(|u| u.id()), Some("agent-000"));
    assert_eq!(first.status().and_then(|s| s.status_name()), Some("Available"));
    assert_eq!(first.status().and_then(|s| s.status_start_timestamp()).map(|t| t.secs()), Some(1_700_000_000));
    assert_eq!(first.available_slots_by_channel().and_then(|m| m.get(&Channel::Voice)), Some(&1));
    let second = &list[1];
    assert_eq!(second.status().and_then(|s| s.status_name()), Some("Lunch"));
    assert!(second.available_slots_by_channel().is_none());
}

#[tokio::test]
async fn outbound_voice_contact_is_idempotent_per_client_token() {
    let emulator = unthrottled().await;
    let client = client(&emulator);
    let call = || {
        client
            .start_outbound_voice_contact()
            .instance_id(emulator.instance_id())
            .contact_flow_id("flow-1")
            .queue_id("queue-1")
            .destination_phone_number("+81312345678")
            .client_token("token-1")
            .attributes("reason", "callback")
    };
    let first = call().send().await.unwrap();
    let second = call().send().await.unwrap();
    assert!(first.contact_id().is_some());
    assert_eq!(first.contact_id(), second.contact_id());
    let calls = emulator.outbound_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].destination, "+81312345678");
    assert_eq!(calls[0].queue_id.as_deref(), Some("queue-1"));
    assert_eq!(calls[0].attributes.get("reason").map(String::as_str), Some("callback"));
    assert_eq!(emulator.requests(START_OUTBOUND_VOICE_CONTACT), 2);

    // the cautious reading: once the contact has ended, the same token starts a new call
    emulator.end_contact(first.contact_id().unwrap());
    let third = call().send().await.unwrap();
    assert_ne!(third.contact_id(), first.contact_id());
    assert_eq!(emulator.outbound_calls().len(), 2);
    let fourth = call().send().await.unwrap();
    assert_eq!(fourth.contact_id(), third.contact_id(), "while the new one is started, the same token is it");

    let err = client
        .start_outbound_voice_contact()
        .instance_id(emulator.instance_id())
        .contact_flow_id("flow-1")
        .destination_phone_number("03-1234-5678")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_invalid_parameter_exception()), "{err:?}");
    assert_eq!(emulator.outbound_calls().len(), 2);
}

#[tokio::test]
async fn a_placed_call_is_described_from_ringing_to_agent_to_ended() {
    let emulator = unthrottled().await;
    let client = client(&emulator);
    let placed = client
        .start_outbound_voice_contact()
        .instance_id(emulator.instance_id())
        .contact_flow_id("flow-1")
        .queue_id(emulator.queue_arn("queue-1"))
        .destination_phone_number("+81312345678")
        .attributes("campaign", "spring")
        .send()
        .await
        .unwrap();
    let contact_id = placed.contact_id().unwrap().to_owned();
    let describe = || client.describe_contact().instance_id(emulator.instance_id()).contact_id(&contact_id).send();

    let ringing = describe().await.unwrap().contact.unwrap();
    assert_eq!(ringing.initiation_method(), Some(&aws_sdk_connect::types::ContactInitiationMethod::Api));
    assert_eq!(ringing.queue_info().and_then(|q| q.id()), Some("queue-1"));
    assert_eq!(ringing.attributes().and_then(|a| a.get("campaign")).map(String::as_str), Some("spring"));
    assert!(ringing.agent_info().is_none() && ringing.disconnect_timestamp().is_none());

    assert!(emulator.connect_contact(&contact_id, "agent-7"));
    let with_agent = describe().await.unwrap().contact.unwrap();
    let agent = with_agent.agent_info().unwrap();
    assert_eq!(agent.id(), Some("agent-7"));
    assert!(agent.connected_to_agent_timestamp().is_some());

    assert!(emulator.end_contact(&contact_id));
    assert!(describe().await.unwrap().contact.unwrap().disconnect_timestamp().is_some());

    let missing =
        client.describe_contact().instance_id(emulator.instance_id()).contact_id("nope").send().await.unwrap_err();
    assert!(missing.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{missing:?}");
    assert!(!emulator.end_contact("nope"));
    assert_eq!(emulator.requests(DESCRIBE_CONTACT), 4);
}

#[tokio::test]
async fn hours_overrides_are_created_listed_limited_and_deleted() {
    use aws_sdk_connect::types::{HoursOfOperationOverrideConfig, OverrideDays, OverrideTimeSlice, OverrideType};
    let emulator = unthrottled().await;
    let client = client(&emulator);
    let slice = |h| OverrideTimeSlice::builder().hours(h).minutes(0).build().unwrap();
    let create = |name: String, date: &str| {
        client
            .create_hours_of_operation_override()
            .instance_id(emulator.instance_id())
            .hours_of_operation_id("h-1")
            .name(name)
            .override_type(OverrideType::Closed)
            .config(
                HoursOfOperationOverrideConfig::builder()
                    .day(OverrideDays::Monday)
                    .start_time(slice(0))
                    .end_time(slice(23))
                    .build(),
            )
            .effective_from(date)
            .effective_till(date)
            .send()
    };
    emulator.add_hours_override("h-1", "Company anniversary", "2026-12-01");
    let id = create("holiday 2026-11-23 勤労感謝の日".into(), "2026-11-23")
        .await
        .unwrap()
        .hours_of_operation_override_id
        .unwrap();
    let duplicate = create("holiday 2026-11-23 勤労感謝の日".into(), "2026-11-23").await.unwrap_err();
    assert_eq!(duplicate.raw_response().map(|r| r.status().as_u16()), Some(409));
    assert!(create("bad dates".into(), "23/11/2026").await.is_err());
    let refused = emulator.take_refused();
    assert!(refused.len() == 1 && refused[0].message.contains("'EffectiveFrom'"), "{refused:?}");
    let listed = client
        .list_hours_of_operation_overrides()
        .instance_id(emulator.instance_id())
        .hours_of_operation_id("h-1")
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|o| o.name()).collect();
    assert_eq!(names, ["Company anniversary", "holiday 2026-11-23 勤労感謝の日"]);
    assert_eq!(emulator.hours_overrides("h-1")[1].override_type, "CLOSED");

    for i in 0..48 {
        create(format!("holiday extra {i}"), "2027-01-01").await.unwrap();
    }
    let full = create("one too many".into(), "2027-01-02").await.unwrap_err();
    assert!(format!("{full:?}").contains("ServiceQuotaExceeded"), "{full:?}");

    client
        .delete_hours_of_operation_override()
        .instance_id(emulator.instance_id())
        .hours_of_operation_id("h-1")
        .hours_of_operation_override_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(emulator.hours_overrides("h-1").len(), 49);
    let gone = client
        .delete_hours_of_operation_override()
        .instance_id(emulator.instance_id())
        .hours_of_operation_id("h-1")
        .hours_of_operation_override_id(&id)
        .send()
        .await
        .unwrap_err();
    assert!(gone.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{gone:?}");
}

#[tokio::test]
async fn search_contacts_filters_sorts_and_pages() {
    let emulator = unthrottled().await;
    let base: DateTime<Utc> = "2026-11-21T09:00:00Z".parse().unwrap();
    for i in 0..5u32 {
        let caller = if i.is_multiple_of(2) { "A" } else { "B" };
        emulator.add_contact(
            EmulatedContact::new(format!("c{i}"), base + chrono::TimeDelta::minutes(i64::from(i)))
                .with_agent("agent-1")
                .with_attribute("caller", caller),
        );
    }
    let client = client(&emulator);
    let range = SearchContactsTimeRange::builder()
        .r#type(SearchContactsTimeRangeType::InitiationTimestamp)
        .start_time(SdkDateTime::from_secs(base.timestamp() - 60))
        .end_time(SdkDateTime::from_secs(base.timestamp() + 3600))
        .build()
        .unwrap();
    let criteria = SearchCriteria::builder()
        .searchable_contact_attributes(
            SearchableContactAttributes::builder()
                .criteria(SearchableContactAttributesCriteria::builder().key("caller").values("A").build().unwrap())
                .match_type(SearchContactsMatchType::MatchAll)
                .build()
                .unwrap(),
        )
        .build();
    let sort =
        Sort::builder().field_name(SortableFieldName::InitiationTimestamp).order(SortOrder::Ascending).build().unwrap();
    let search = |token: Option<String>| {
        client
            .search_contacts()
            .instance_id(emulator.instance_id())
            .time_range(range.clone())
            .search_criteria(criteria.clone())
            .sort(sort.clone())
            .max_results(2)
            .set_next_token(token)
            .send()
    };
    let first = search(None).await.unwrap();
    assert_eq!(first.total_count(), Some(3));
    let ids: Vec<&str> = first.contacts().iter().filter_map(|c| c.id()).collect();
    assert_eq!(ids, ["c0", "c2"]);
    assert_eq!(first.contacts()[0].initiation_timestamp().map(|t| t.secs()), Some(base.timestamp()));
    let second = search(first.next_token().map(str::to_owned)).await.unwrap();
    let ids: Vec<&str> = second.contacts().iter().filter_map(|c| c.id()).collect();
    assert_eq!(ids, ["c4"]);
    assert!(second.next_token().is_none());
}

#[tokio::test]
async fn current_metric_data_has_no_row_for_a_queue_without_value() {
    let emulator = unthrottled().await;
    emulator.set_agents_available("q-1", Some(3));
    emulator.set_agents_available("q-2", Some(1));
    emulator.set_agents_available("q-2", None);
    let client = client(&emulator);
    let out = client
        .get_current_metric_data()
        .instance_id(emulator.instance_id())
        .filters(Filters::builder().queues("q-1").queues(emulator.queue_arn("q-2")).channels(Channel::Voice).build())
        .groupings(Grouping::Queue)
        .current_metrics(CurrentMetric::builder().name(CurrentMetricName::AgentsAvailable).unit(Unit::Count).build())
        .send()
        .await
        .unwrap();
    let results = out.metric_results();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].dimensions().and_then(|d| d.queue()).and_then(|q| q.id()), Some("q-1"));
    assert_eq!(results[0].collections().first().and_then(|c| c.value()), Some(3.0));
    assert!(out.data_snapshot_time().is_some());
}

#[tokio::test]
async fn a_child_hours_of_operation_inherits_its_parents_overrides() {
    use aws_sdk_connect::types::ParentHoursOfOperationConfig;
    let emulator = unthrottled().await;
    let client = client(&emulator);
    let parent = |id: &str| ParentHoursOfOperationConfig::builder().hours_of_operation_id(id).build();
    let link = |child: &'static str, parents: Vec<ParentHoursOfOperationConfig>| {
        client
            .associate_hours_of_operations()
            .instance_id(emulator.instance_id())
            .hours_of_operation_id(child)
            .set_parent_hours_of_operation_configs(Some(parents))
            .send()
    };
    link("tokyo-support", vec![parent("holidays")]).await.unwrap();
    link("tokyo-sales", vec![parent("holidays")]).await.unwrap();
    link("tokyo-sales", vec![parent("holidays")]).await.unwrap(); // again: nothing changes
    emulator.add_hours_override("holidays", "holiday 2027-01-01 元日", "2027-01-01");
    let children = client
        .list_child_hours_of_operations()
        .instance_id(emulator.instance_id())
        .hours_of_operation_id("holidays")
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = children.child_hours_of_operations_summary_list().iter().map(|c| c.id()).collect();
    assert_eq!(ids, ["tokyo-sales", "tokyo-support"]);
    assert_eq!(emulator.effective_overrides("tokyo-support").len(), 1, "inherited");
    assert!(emulator.hours_overrides("tokyo-support").is_empty(), "not its own");

    // a parent cannot be a child, a child not a parent, and no child has more than 3 parents
    for (child, parents) in [
        ("holidays", vec![parent("other")]),
        ("x", vec![parent("tokyo-sales")]),
        ("y", vec![parent("a"), parent("b"), parent("c"), parent("d")]),
    ] {
        let refused = link(child, parents).await.unwrap_err();
        let code = refused.as_service_error().and_then(|e| e.meta().code()).unwrap_or_default().to_owned();
        assert!(["InvalidRequestException", "InvalidParameterException"].contains(&code.as_str()), "{child}: {code}");
    }
    let refused = emulator.take_refused();
    assert_eq!(refused.len(), 1, "the fourth parent is refused by the model (at most 3): {refused:?}");
}
