//! An emulator of the Amazon Connect Outbound Campaigns v2 operations the suite calls
//! (`connectcampaignsv2`, REST-JSON), so the real `aws-sdk-connectcampaignsv2` client works
//! against it on 127.0.0.1. Like the Connect emulator ([`crate::connect_emulator`]) it refuses what
//! the service refuses:
//!
//! - **The service model**: every request is routed and checked against botocore's
//!   `connectcampaignsv2` model (required members, lengths, patterns, list sizes, the tagged
//!   unions, ISO 8601 timestamps); a refusal is 400 `ValidationException` and fails the test when
//!   the emulator is dropped unless taken ([`CampaignsEmulator::take_refused`]).
//! - **Campaign state**: `PutOutboundRequestBatch` on a campaign that is not `Running` is 409
//!   `InvalidCampaignStateException` ("Before using PutDialRequestBatch, always use the
//!   StartCampaign API to start the outbound campaign": API Reference, "Best practices for using
//!   PutDialRequestBatch for outbound campaign calling"); `UpdateCampaignCommunicationTime` on
//!   one that is not `Initialized` is the same refusal ("Only campaigns in the Initialized state
//!   are valid for this operation": API Reference, UpdateCampaignCommunicationTime), the error
//!   carrying the campaign's `state`; an unknown campaign is 404.
//! - **Per-request failures**, in `failedRequests` with the documented codes: `InvalidInput`
//!   (not an E.164 number, an expiration time already past), `RequestThrottled` (more requests
//!   pending than the campaign's capacity: "There aren't enough agents or telecom capacity
//!   available ... a signal for you to stop sending more records": same page).
//! - **Idempotency**: "This API is idempotent" (API Reference, PutOutboundRequestBatch): a client
//!   token already accepted for the campaign answers the same request id and adds nothing.
//! - **Quotas**: no per-API rate for Outbound Campaigns v2 was found in the sources available, so
//!   Connect's default (2 requests per second, burst 5) is applied to each operation: the
//!   stricter guess.
//!
//! Requests accepted are kept for the test ([`CampaignsEmulator::requests`]), which plays the
//! campaign's dialer: it places them as calls on the Connect emulator and answers them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use crate::connect_emulator::Refusal;
use crate::connect_emulator::common::ApiError;
use crate::connect_emulator::model::{RawRequest, ServiceModel};
use crate::connect_emulator::quotas::Quotas;
use crate::connect_emulator::wire::{error_response, json_response, parse_query, path_segments};
use crate::server::{HttpResponse, LoopbackServer};

pub const DESCRIBE_CAMPAIGN: &str = "DescribeCampaign";
pub const GET_CAMPAIGN_STATE: &str = "GetCampaignState";
pub const UPDATE_COMMUNICATION_TIME: &str = "UpdateCampaignCommunicationTime";
pub const PUT_OUTBOUND_REQUEST_BATCH: &str = "PutOutboundRequestBatch";
const OPERATIONS: [&str; 4] =
    [DESCRIBE_CAMPAIGN, GET_CAMPAIGN_STATE, UPDATE_COMMUNICATION_TIME, PUT_OUTBOUND_REQUEST_BATCH];

/// One campaign of the emulated account.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    /// `Initialized`, `Running`, `Paused`, `Stopped`, `Failed`, `Completed`.
    pub state: String,
    /// The whole `communicationTimeConfig`, as the last update wrote it.
    pub communication_time: Value,
}

/// A telephony request the campaign accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub campaign_id: String,
    pub id: String,
    pub client_token: String,
    pub destination: String,
    pub attributes: HashMap<String, String>,
    pub expiration: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    campaigns: HashMap<String, Campaign>,
    requests: Vec<OutboundRequest>,
    /// Requests the campaign may hold before it answers `RequestThrottled`; unlimited when unset.
    capacity: Option<usize>,
    received: HashMap<String, usize>,
    refused: Vec<Refusal>,
    quotas: Quotas,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct CampaignsEmulator {
    server: LoopbackServer,
    state: Arc<Mutex<State>>,
}

impl CampaignsEmulator {
    pub async fn start() -> anyhow::Result<Self> {
        let model = ServiceModel::campaigns_v2()?;
        let state = Arc::new(Mutex::new(State::default()));
        let served = state.clone();
        let server = LoopbackServer::start(move |request| handle(model.clone(), served.clone(), request)).await?;
        Ok(CampaignsEmulator { server, state })
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_CONNECTCAMPAIGNSV2` or a client's endpoint.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// Adds a campaign in `state` with open hours every day and no restricted period.
    pub fn add_campaign(&self, id: &str, state: &str) {
        let open_all_day = json!([{ "startTime": "T00:00", "endTime": "T23:59" }]);
        let days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
        let daily: Map<String, Value> = days.iter().map(|d| ((*d).to_owned(), open_all_day.clone())).collect();
        let communication_time = json!({
            "localTimeZoneConfig": { "defaultTimeZone": "Asia/Tokyo" },
            "telephony": { "openHours": { "dailyHours": daily } },
        });
        let campaign =
            Campaign { id: id.to_owned(), name: format!("campaign {id}"), state: state.to_owned(), communication_time };
        lock(&self.state).campaigns.insert(id.to_owned(), campaign);
    }

    pub fn campaign(&self, id: &str) -> Option<Campaign> {
        lock(&self.state).campaigns.get(id).cloned()
    }

    /// Moves a campaign to `state` (StartCampaign, PauseCampaign, ... as a person would).
    pub fn set_state(&self, id: &str, state: &str) {
        if let Some(campaign) = lock(&self.state).campaigns.get_mut(id) {
            campaign.state = state.to_owned();
        }
    }

    /// Replaces a campaign's `communicationTimeConfig` (as a person would in the console).
    pub fn set_communication_time(&self, id: &str, config: Value) {
        if let Some(campaign) = lock(&self.state).campaigns.get_mut(id) {
            campaign.communication_time = config;
        }
    }

    /// The requests accepted so far, oldest first.
    pub fn requests(&self) -> Vec<OutboundRequest> {
        lock(&self.state).requests.clone()
    }

    /// At most `capacity` requests held at once; beyond, `RequestThrottled`.
    pub fn set_capacity(&self, capacity: Option<usize>) {
        lock(&self.state).capacity = capacity;
    }

    /// The campaign dialed (or dropped) these requests: they no longer count against its capacity.
    pub fn finish_requests(&self, client_tokens: &[String]) -> Vec<OutboundRequest> {
        let mut state = lock(&self.state);
        let (done, kept) =
            std::mem::take(&mut state.requests).into_iter().partition(|r| client_tokens.contains(&r.client_token));
        state.requests = kept;
        done
    }

    /// Requests of `operation` received so far.
    pub fn received(&self, operation: &str) -> usize {
        lock(&self.state).received.get(operation).copied().unwrap_or(0)
    }

    pub fn set_quotas_enabled(&self, enabled: bool) {
        lock(&self.state).quotas.set_enabled(enabled);
    }

    pub fn take_refused(&self) -> Vec<Refusal> {
        std::mem::take(&mut lock(&self.state).refused)
    }
}

impl Drop for CampaignsEmulator {
    /// A request the service would refuse is a bug of the code under test: fail the test.
    #[allow(clippy::panic, reason = "test support: an unexpected refusal must fail the test")]
    fn drop(&mut self) {
        let refused = std::mem::take(&mut lock(&self.state).refused);
        if !refused.is_empty() && !std::thread::panicking() {
            let lines: Vec<String> =
                refused.iter().map(|r| format!("{} -> {} {}: {}", r.operation, r.status, r.code, r.message)).collect();
            panic!("the Campaigns v2 emulator refused requests the service would refuse:\n{}", lines.join("\n"));
        }
    }
}

fn refuse(state: &Mutex<State>, operation: String, error: ApiError) -> HttpResponse {
    let answer = error_response(&error);
    lock(state).refused.push(Refusal { operation, status: error.status, code: error.code, message: error.message });
    answer
}

async fn handle(model: Arc<ServiceModel>, state: Arc<Mutex<State>>, request: Request<Incoming>) -> HttpResponse {
    let method = request.method().as_str().to_owned();
    let raw_path = request.uri().path().to_owned();
    let query = parse_query(request.uri().query().unwrap_or_default());
    let headers = request.headers().clone();
    let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let segments = path_segments(&raw_path);
    let Some((operation, labels)) = model.route(&method, &segments) else {
        let message = format!("no Outbound Campaigns v2 operation for {method} {raw_path}");
        return refuse(
            &state,
            format!("{method} {raw_path}"),
            ApiError::new(404, "UnknownOperationException", message),
        );
    };
    let name = operation.name.clone();
    if !OPERATIONS.contains(&name.as_str()) {
        let message = format!("{name} is an operation the emulator does not serve");
        return refuse(&state, name, ApiError::new(404, "UnknownOperationException", message));
    }
    let body: Value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    let raw = RawRequest { method: &method, segments: &segments, query: &query, headers: &headers, body: &body };
    let input = match model.check(operation, &labels, &raw) {
        Ok(input) => input,
        Err(violation) => {
            return refuse(
                &state,
                name,
                ApiError::new(400, "ValidationException", format!("1 validation error detected: {violation}")),
            );
        }
    };
    {
        let mut state = lock(&state);
        *state.received.entry(name.clone()).or_default() += 1;
        if !state.quotas.admit(&name, Instant::now()) {
            return error_response(&ApiError::new(429, "ThrottlingException", format!("Rate exceeded for {name}")));
        }
    }
    let mut state = lock(&state);
    let answer = match name.as_str() {
        DESCRIBE_CAMPAIGN => describe(&state, &input),
        GET_CAMPAIGN_STATE => campaign_of(&state, &input).map(|c| json!({ "state": c.state })),
        UPDATE_COMMUNICATION_TIME => update_communication_time(&mut state, &input),
        _ => put_outbound_requests(&mut state, &input),
    };
    match answer {
        Ok(answer) => json_response(200, &answer),
        Err(error) => error_response(&error),
    }
}

fn campaign_of<'a>(state: &'a State, input: &Value) -> Result<&'a Campaign, ApiError> {
    let id = input["id"].as_str().unwrap_or_default();
    state
        .campaigns
        .get(id)
        .ok_or_else(|| ApiError::new(404, "ResourceNotFoundException", format!("Campaign not found: {id}")))
}

fn describe(state: &State, input: &Value) -> Result<Value, ApiError> {
    let c = campaign_of(state, input)?;
    Ok(json!({ "campaign": {
        "id": c.id,
        "arn": format!("arn:aws:connect-campaigns:{}:123456789012:campaign/{}", crate::aws::REGION, c.id),
        "name": c.name,
        "connectInstanceId": crate::connect_emulator::INSTANCE_ID,
        "channelSubtypeConfig": { "telephony": { "defaultOutboundConfig": { "connectContactFlowId": "outbound-campaign" },
            "outboundMode": { "progressive": { "bandwidthAllocation": 1.0 } } } },
        "communicationTimeConfig": c.communication_time,
    }}))
}

fn update_communication_time(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let campaign = campaign_of(state, input)?;
    if campaign.state != "Initialized" {
        let message = format!("Campaign {} is {}, not Initialized", campaign.id, campaign.state);
        let refused = ApiError::new(409, "InvalidCampaignStateException", message);
        return Err(refused.with_member("state", &campaign.state));
    }
    let id = input["id"].as_str().unwrap_or_default();
    if let Some(campaign) = state.campaigns.get_mut(id) {
        campaign.communication_time = input["communicationTimeConfig"].clone();
    }
    Ok(json!({}))
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

fn put_outbound_requests(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let campaign = campaign_of(state, input)?;
    if campaign.state != "Running" {
        let message = format!("Campaign {} is {}, not Running", campaign.id, campaign.state);
        return Err(ApiError::new(409, "InvalidCampaignStateException", message));
    }
    let campaign_id = campaign.id.clone();
    let now = Utc::now();
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for request in input["outboundRequests"].as_array().into_iter().flatten() {
        let token = request["clientToken"].as_str().unwrap_or_default().to_owned();
        if let Some(known) = state.requests.iter().find(|r| r.campaign_id == campaign_id && r.client_token == token) {
            ok.push(json!({ "clientToken": token, "id": known.id }));
            continue;
        }
        let telephony = &request["channelSubtypeParameters"]["telephony"];
        let destination = telephony["destinationPhoneNumber"].as_str().unwrap_or_default().to_owned();
        let expiration = request["expirationTime"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let failure = match expiration {
            _ if telephony.is_null() || !is_e164(&destination) => Some("InvalidInput"),
            Some(at) if at > now => None,
            _ => Some("InvalidInput"),
        };
        let failure = failure.or_else(|| {
            let pending = state.requests.iter().filter(|r| r.campaign_id == campaign_id).count();
            state.capacity.is_some_and(|cap| pending >= cap).then_some("RequestThrottled")
        });
        let id = format!("dial-{:06}", state.requests.len() + failed.len() + 1);
        if let Some(code) = failure {
            failed.push(json!({ "clientToken": token, "id": id, "failureCode": code }));
            continue;
        }
        let attributes = telephony["attributes"]
            .as_object()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        let expiration = expiration.map(|t| t.with_timezone(&Utc)).unwrap_or(now);
        state.requests.push(OutboundRequest {
            campaign_id: campaign_id.clone(),
            id: id.clone(),
            client_token: token.clone(),
            destination,
            attributes,
            expiration,
        });
        ok.push(json!({ "clientToken": token, "id": id }));
    }
    Ok(json!({ "successfulRequests": ok, "failedRequests": failed }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use connect_aws::campaigns_v2::{CampaignCall, CampaignsV2, RequestOutcome};
    use connect_core::ports::CampaignCalendar;
    use connect_core::restricted_periods::RestrictedPeriod;

    async fn adapter(emulator: &CampaignsEmulator) -> CampaignsV2 {
        CampaignsV2::from_conf(&crate::aws::sdk_config(&emulator.endpoint()).await)
    }

    fn call(token: &str, number: &str, expires_in: TimeDelta) -> CampaignCall {
        CampaignCall {
            client_token: token.into(),
            destination: number.into(),
            attributes: HashMap::from([("campaign".to_owned(), "spring".to_owned())]),
            source_phone_number: None,
            expires_at: Utc::now() + expires_in,
        }
    }

    #[tokio::test]
    async fn restricted_periods_are_replaced_and_the_rest_of_the_configuration_kept_until_the_campaign_starts() {
        let emulator = CampaignsEmulator::start().await.unwrap();
        emulator.add_campaign("c-1", "Initialized");
        let campaigns = adapter(&emulator).await;
        assert!(campaigns.restricted_periods("c-1").await.unwrap().is_empty());
        let period = |name: &str, day: &str| RestrictedPeriod {
            name: name.into(),
            start: day.parse().unwrap(),
            end: day.parse().unwrap(),
        };
        let wanted =
            [period("Company anniversary", "2026-12-01"), period("holiday 2026-11-23 勤労感謝の日", "2026-11-23")];
        campaigns.set_restricted_periods("c-1", &wanted).await.unwrap();
        assert_eq!(campaigns.restricted_periods("c-1").await.unwrap(), wanted);
        let config = emulator.campaign("c-1").unwrap().communication_time;
        assert_eq!(config["localTimeZoneConfig"]["defaultTimeZone"], "Asia/Tokyo");
        assert_eq!(config["telephony"]["openHours"]["dailyHours"]["MONDAY"][0]["startTime"], "T00:00");
        assert!(campaigns.restricted_periods("c-9").await.is_err(), "an unknown campaign");
        emulator.set_state("c-1", "Running");
        let refused = campaigns.set_restricted_periods("c-1", &wanted[..1]).await.unwrap_err();
        assert!(
            matches!(&refused, connect_aws::campaigns_v2::CampaignsError::NotUpdatable { state, .. } if state == "Running"),
            "{refused:?}"
        );
        assert_eq!(campaigns.restricted_periods("c-1").await.unwrap(), wanted, "left as it was");
        assert!(emulator.take_refused().is_empty());
    }

    #[tokio::test]
    async fn requests_are_accepted_once_per_token_and_refused_one_by_one_with_the_documented_codes() {
        let emulator = CampaignsEmulator::start().await.unwrap();
        emulator.add_campaign("c-1", "Running");
        emulator.set_capacity(Some(2));
        let campaigns = adapter(&emulator).await;
        let batch = [
            call("t-1", "+819012345678", TimeDelta::minutes(10)),
            call("t-2", "090-1234-5678", TimeDelta::minutes(10)),
            call("t-3", "+819012345679", TimeDelta::minutes(-1)),
            call("t-4", "+819012345670", TimeDelta::minutes(10)),
            call("t-5", "+819012345671", TimeDelta::minutes(10)),
        ];
        let outcomes = campaigns.put_requests("c-1", &batch).await.unwrap();
        let failed = |token: &str| {
            outcomes.iter().find_map(|o| match o {
                RequestOutcome::Failed { client_token, code } if client_token == token => Some(code.as_str()),
                _ => None,
            })
        };
        assert_eq!(
            [failed("t-2"), failed("t-3"), failed("t-5")],
            [Some("InvalidInput"), Some("InvalidInput"), Some("RequestThrottled")]
        );
        assert_eq!(emulator.requests().len(), 2);
        // the same token again: the request already accepted, nothing added
        let again = campaigns.put_requests("c-1", &batch[..1]).await.unwrap();
        assert!(matches!(&again[0], RequestOutcome::Accepted { client_token, .. } if client_token == "t-1"));
        assert_eq!(emulator.requests().len(), 2);
        assert_eq!(emulator.requests()[0].attributes["campaign"], "spring");

        emulator.add_campaign("c-2", "Paused");
        let paused = campaigns.put_requests("c-2", &batch[..1]).await.unwrap_err();
        assert!(format!("{:?}", paused).contains("InvalidCampaignStateException"), "{paused:?}");
        // 26 requests: the model's limit is 25
        let many: Vec<CampaignCall> =
            (0..26).map(|i| call(&format!("m-{i}"), "+819012345678", TimeDelta::minutes(5))).collect();
        assert!(campaigns.put_requests("c-1", &many).await.is_err());
        let refused = emulator.take_refused();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].message.contains("outboundRequests") && refused[0].code == "ValidationException",
            "{refused:?}"
        );
    }
}
