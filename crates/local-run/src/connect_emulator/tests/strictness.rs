//! What the emulator refuses: the model check, quotas, client tokens.

use chrono::TimeDelta;
use serde_json::json;
use std::time::Duration;

use super::super::*;
use super::{client, raw, unretried_client};

#[tokio::test]
async fn requests_connect_would_refuse_are_refused_with_400_and_named() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let client = client(&emulator);

    // an override name over Connect's 127 characters
    let long_name = "休".repeat(128);
    let err = client
        .create_hours_of_operation_override()
        .instance_id(emulator.instance_id())
        .hours_of_operation_id("h-1")
        .name(long_name)
        .set_config(Some(Vec::new()))
        .effective_from("2026-12-24")
        .effective_till("2026-12-24")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_invalid_parameter_exception()), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));

    // an unknown member, a missing required one, and an operation the emulator does not serve
    let path = "/contact/outbound-voice";
    let extra = json!({"InstanceId": INSTANCE_ID, "ContactFlowId": "f", "DestinationPhoneNumber": "+81312345678", "Priority": 1});
    let (status, code, body) = raw(&emulator, reqwest::Method::PUT, path, extra).await;
    assert_eq!((status, code.as_str()), (400, "InvalidParameterException"));
    assert!(body["message"].as_str().unwrap().contains("'Priority'"), "{body}");
    let (status, _, body) = raw(&emulator, reqwest::Method::PUT, path, json!({"InstanceId": INSTANCE_ID})).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("'DestinationPhoneNumber'"), "{body}");
    let (status, code, _) =
        raw(&emulator, reqwest::Method::POST, "/contact/stop", json!({"ContactId": "c", "InstanceId": "i"})).await;
    assert_eq!((status, code.as_str()), (404, "UnknownOperationException"));

    let refused = emulator.take_refused();
    let operations: Vec<&str> = refused.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        operations,
        [CREATE_HOURS_OVERRIDE, START_OUTBOUND_VOICE_CONTACT, START_OUTBOUND_VOICE_CONTACT, "StopContact"]
    );
    assert!(refused[0].message.contains("'Name'"), "{refused:?}");
    assert!(emulator.outbound_calls().is_empty() && emulator.hours_overrides("h-1").is_empty(), "nothing was done");
}

#[tokio::test]
async fn an_instance_arn_is_refused_where_the_model_documents_an_id_and_another_instance_is_not_found() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let client = client(&emulator);
    let contact = emulator.start_inbound_call(Some("+81312345678"));

    let by_arn =
        client.describe_contact().instance_id(emulator.instance_arn()).contact_id(&contact).send().await.unwrap_err();
    assert_eq!(by_arn.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert!(
        by_arn
            .as_service_error()
            .is_some_and(|e| e.is_invalid_request_exception() || e.is_invalid_parameter_exception())
    );
    let elsewhere =
        client.describe_contact().instance_id("99999999-2222-3333-4444-555555555555").contact_id(&contact).send().await;
    let elsewhere = elsewhere.unwrap_err();
    assert!(elsewhere.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{elsewhere:?}");
    let by_id =
        client.describe_contact().instance_id(emulator.instance_id()).contact_id(&contact).send().await.unwrap();
    assert_eq!(by_id.contact.and_then(|c| c.id).as_deref(), Some(contact.as_str()));

    let refused = emulator.take_refused();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[0].message.contains("'InstanceId'") && refused[0].message.contains("not an instance ARN"),
        "{refused:?}"
    );
    assert_eq!((refused[1].status, refused[1].code.as_str()), (404, "ResourceNotFoundException"));
}

#[tokio::test]
async fn an_unexpected_refusal_fails_the_test_when_the_emulator_is_dropped() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let _ = client(&emulator).list_users().instance_id(emulator.instance_id()).max_results(1001).send().await;
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(emulator)));
    let message = dropped.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("ListUsers -> 400 InvalidParameterException") && message.contains("'MaxResults'"),
        "{message}"
    );
}

#[tokio::test]
async fn a_burst_over_the_rate_is_throttled_as_connect_throttles() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let client = unretried_client(&emulator);
    assert_eq!(emulator.quota(LIST_USERS), Quota::new(2.0, 5.0));
    assert_eq!(emulator.quota(GET_CURRENT_METRIC_DATA), Quota::new(5.0, 8.0));
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(client.list_users().instance_id(emulator.instance_id()).send().await);
    }
    assert!(answers[..5].iter().all(Result::is_ok), "the burst of 5");
    for throttled in &answers[5..] {
        let err = throttled.as_ref().unwrap_err();
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(429));
        assert!(err.as_service_error().is_some_and(|e| e.is_throttling_exception()), "{err:?}");
    }
    assert_eq!((emulator.requests(LIST_USERS), emulator.throttled(LIST_USERS)), (7, 2));
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert!(client.list_users().instance_id(emulator.instance_id()).send().await.is_ok(), "a token after 0.5 s at 2/s");

    // StartOutboundVoiceContact models no ThrottlingException: its 429 is LimitExceededException
    emulator.set_quota(START_OUTBOUND_VOICE_CONTACT, Some(Quota::new(0.001, 1.0)));
    let call = || {
        client
            .start_outbound_voice_contact()
            .instance_id(INSTANCE_ID)
            .contact_flow_id("f")
            .destination_phone_number("+81312345678")
            .send()
    };
    assert!(call().await.is_ok());
    let err = call().await.unwrap_err();
    assert!(err.as_service_error().is_some_and(|e| e.is_limit_exceeded_exception()), "{err:?}");
    assert_eq!(emulator.outbound_calls().len(), 1);
}

#[tokio::test]
async fn a_client_token_is_kept_for_seven_days() {
    let emulator = ConnectEmulator::start().await.unwrap();
    let client = client(&emulator);
    let call = || {
        client
            .start_outbound_voice_contact()
            .instance_id(INSTANCE_ID)
            .contact_flow_id("flow-1")
            .destination_phone_number("+81312345678")
            .client_token("attempt-1")
            .send()
    };
    // (still started: an ended contact's token starts a new call, see operations.rs)
    let first = call().await.unwrap().contact_id.unwrap();
    emulator.advance_clock(TimeDelta::days(6));
    assert_eq!(call().await.unwrap().contact_id.unwrap(), first, "6 days later: the old contact, no call");
    assert_eq!(emulator.outbound_calls().len(), 1);
    emulator.advance_clock(TimeDelta::days(2));
    let later = call().await.unwrap().contact_id.unwrap();
    assert_ne!(later, first, "8 days later the token is new again");
    assert_eq!(emulator.outbound_calls().len(), 2);
    assert_eq!(emulator.contact(&later).unwrap().initiated_at.date_naive(), emulator.now().date_naive());
}
