//! Routing and checking against botocore's model, without HTTP.

use serde_json::{Value, json};

use crate::connect_emulator::model::{RawRequest, ServiceModel, Violation};

fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn check(
    model: &ServiceModel,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Value,
) -> Result<Value, Violation> {
    let segments = segments(path);
    let (op, labels) = model.route(method, &segments).expect("routed");
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let headers = hyper::HeaderMap::new();
    model.check(op, &labels, &RawRequest { method, segments: &segments, query: &query, headers: &headers, body: &body })
}

#[test]
fn requests_are_routed_and_checked_against_botocores_model() {
    let model = ServiceModel::shared().unwrap();
    let (op, labels) = model.route("GET", &segments("/users/inst/u-1")).unwrap();
    assert_eq!(op.name, "DescribeUser");
    assert_eq!(labels["UserId"], "u-1");
    assert_eq!(model.route("GET", &segments("/contact/outbound-voice")).map(|(op, _)| op.name.as_str()), None);
    assert_eq!(
        model.route("PUT", &segments("/contact/outbound-voice")).map(|(op, _)| op.name.as_str()),
        Some("StartOutboundVoiceContact")
    );
    let start = model.operation_named("StartOutboundVoiceContact").unwrap();
    assert_eq!(model.idempotency_member(start), Some("ClientToken"));
    assert_eq!(start.throttling_error(), "LimitExceededException");
    assert_eq!(model.operation_named("ListUsers").unwrap().throttling_error(), "ThrottlingException");

    // query parameters become typed members
    let input = check(&model, "GET", "/users-summary/inst", &[("maxResults", "7")], Value::Null).unwrap();
    assert_eq!(input, json!({"InstanceId": "inst", "MaxResults": 7}));
    let too_big = check(&model, "GET", "/users-summary/inst", &[("maxResults", "1001")], Value::Null).unwrap_err();
    assert_eq!(too_big.member, "MaxResults");
    let unknown_query = check(&model, "GET", "/users-summary/inst", &[("limit", "7")], Value::Null).unwrap_err();
    assert_eq!(unknown_query.member, "limit");

    let agents: Vec<String> = (0..101).map(|i| format!("agent-{i}")).collect();
    let body = json!({"Filters": {"Agents": agents}});
    let refused = check(&model, "POST", "/metrics/userdata/inst", &[], body).unwrap_err();
    assert_eq!(refused.member, "Filters.Agents");
    assert!(refused.problem.contains("less than or equal to 100"), "{refused}");

    let missing = check(&model, "PUT", "/contact/outbound-voice", &[], json!({"InstanceId": "i"})).unwrap_err();
    assert_eq!(missing.problem, "Member must not be null");
    let unknown = check(
        &model,
        "PUT",
        "/contact/outbound-voice",
        &[],
        json!({"InstanceId": "i", "ContactFlowId": "f", "DestinationPhoneNumber": "+81312345678", "Colour": "red"}),
    )
    .unwrap_err();
    assert_eq!(unknown.member, "Colour");
    let wrong_enum = check(
        &model,
        "POST",
        "/metrics/current/inst",
        &[],
        json!({"Filters": {"Channels": ["PIGEON"]}, "CurrentMetrics": [{"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"}]}),
    )
    .unwrap_err();
    assert_eq!(wrong_enum.member, "Filters.Channels[0]");
    let wrong_type =
        check(&model, "POST", "/metrics/userdata/inst", &[], json!({"Filters": {}, "MaxResults": "ten"})).unwrap_err();
    assert_eq!(wrong_type.member, "MaxResults");
    let long_name = "x".repeat(128);
    let body = json!({"Name": long_name, "Config": [], "EffectiveFrom": "2026-12-01", "EffectiveTill": "2026-12-01"});
    let named = check(&model, "PUT", "/hours-of-operations/i/h/overrides", &[], body).unwrap_err();
    assert_eq!(named.member, "Name");
    assert!(named.problem.contains("127"), "{named}");
}
