//! Outbound calling through one Connect queue: how many agents are free, placing a call, and
//! how a placed call is doing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_config::SdkConfig;
use aws_sdk_connect::Client;
use aws_sdk_connect::config::http::HttpResponse;
use aws_sdk_connect::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_connect::operation::start_outbound_voice_contact::StartOutboundVoiceContactError;
use aws_sdk_connect::types::{Channel, CurrentMetric, CurrentMetricName, Filters, Grouping, Unit};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use connect_core::campaign::{CallState, DialFailure, QueueNow, Refusal};
use connect_core::ports::{AttemptTokens, CallRequest, OutboundCalls};

use crate::connect::{ConnectError, connect_error};
use crate::pacing::ConnectPacer;

/// What the dialer paces by, in one GetCurrentMetricData request: agents available, their free
/// voice slots, and contacts already waiting in the queue (API Reference, "CurrentMetric":
/// `AGENTS_AVAILABLE`, `SLOTS_AVAILABLE`, `CONTACTS_IN_QUEUE`, each in `COUNT`).
const QUEUE_METRICS: [CurrentMetricName; 3] =
    [CurrentMetricName::AgentsAvailable, CurrentMetricName::SlotsAvailable, CurrentMetricName::ContactsInQueue];

/// Where the dialer's calls go: the flow that runs when the customer answers, the queue whose
/// agents pace the calls, and the caller ID (the queue's outbound caller ID when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundTarget {
    pub instance_id: String,
    pub contact_flow_id: String,
    pub queue_id: String,
    pub source_phone_number: Option<String>,
}

pub struct ConnectOutbound {
    client: Client,
    target: OutboundTarget,
    /// The dialer polls and dials for minutes: within Connect's rates (metrics 5/s, others 2/s).
    pacer: ConnectPacer,
}

impl ConnectOutbound {
    pub fn new(client: Client, target: OutboundTarget) -> Self {
        ConnectOutbound { client, target, pacer: ConnectPacer::default() }
    }

    pub fn from_conf(conf: &SdkConfig, target: OutboundTarget) -> Self {
        Self::new(Client::new(conf), target)
    }
}

/// Random (version 4) UUIDs as attempt tokens: unique without coordination between runs, and
/// free of personal data, since Connect and CloudTrail keep the `ClientToken`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomTokens;

impl AttemptTokens for RandomTokens {
    fn new_token(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// Notes whether an attempt of one request may have reached Connect and lost its answer on the
/// way back: a 5xx, or no HTTP answer at all (a timeout, a dropped connection). The SDK's error
/// is the last attempt's only; the retries before it are seen here.
#[derive(Debug, Clone, Default)]
struct LostAnswers(Arc<AtomicBool>);

impl LostAnswers {
    fn seen(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for LostAnswers {
    fn name(&self) -> &'static str {
        "LostAnswers"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let lost = match context.response() {
            Some(response) => response.status().is_server_error(),
            None => context.output_or_error().is_some_and(|result| result.is_err()),
        };
        if lost {
            self.0.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// What a failed StartOutboundVoiceContact means for the customer and the run.
/// Only `DestinationNotAllowedException` names the customer's number; Connect's other refusals
/// (its generic `InvalidParameterException` included, which a wrong source number or flow also
/// raises) say nothing about the customer. An error without a clear refusal (a timeout, a 5xx
/// after every retry, a dropped connection, an unreadable answer) may have placed the call, and
/// so may an earlier attempt of the same request whose answer was lost (`lost_before`): a
/// throttle of the retries that follow says nothing about that first attempt, so it is uncertain
/// too (the retries send the same token; a throttled request is refused before Connect looks at
/// it, so its 429 cannot tell whether the token already placed a call).
fn failure_of(error: StartError, lost_before: bool) -> (DialFailure, ConnectError) {
    let failed = connect_error("StartOutboundVoiceContact");
    match refusal_of(&error) {
        DialFailure::Refused(Refusal::QuotaExceeded) if lost_before => {
            (DialFailure::Uncertain, failed(ThrottledAfterLostAnswer { source: error }.into()))
        }
        failure => (failure, failed(error.into())),
    }
}

type StartError = SdkError<StartOutboundVoiceContactError, HttpResponse>;

/// A throttle that followed a lost answer within one request's retries, as the dialer reports it.
#[derive(Debug, thiserror::Error)]
#[error("an earlier attempt's answer was lost, so the call may have been placed, and the retries were throttled")]
struct ThrottledAfterLostAnswer {
    #[source]
    source: StartError,
}

fn refusal_of(error: &StartError) -> DialFailure {
    let Some(service) = error.as_service_error() else {
        return DialFailure::Uncertain;
    };
    let status = error.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    if service.is_destination_not_allowed_exception() {
        return DialFailure::DestinationRefused;
    }
    if service.is_invalid_parameter_exception()
        || service.is_invalid_request_exception()
        || service.is_resource_not_found_exception()
    {
        return DialFailure::Refused(Refusal::Misconfigured);
    }
    if service.is_limit_exceeded_exception() {
        return DialFailure::Refused(Refusal::QuotaExceeded);
    }
    match service.code() {
        Some("DestinationNotAllowedException") => DialFailure::DestinationRefused,
        Some("InvalidParameterException" | "InvalidRequestException" | "ResourceNotFoundException") => {
            DialFailure::Refused(Refusal::Misconfigured)
        }
        Some("LimitExceededException" | "ThrottlingException" | "TooManyRequestsException") => {
            DialFailure::Refused(Refusal::QuotaExceeded)
        }
        _ if status == 429 => DialFailure::Refused(Refusal::QuotaExceeded),
        _ if (400..500).contains(&status) => DialFailure::Refused(Refusal::NotAllowed),
        _ => DialFailure::Uncertain,
    }
}

impl OutboundCalls for ConnectOutbound {
    type Error = ConnectError;

    async fn queue_now(&self) -> Result<QueueNow, ConnectError> {
        self.pacer.pace("GetCurrentMetricData").await;
        let output = self
            .client
            .get_current_metric_data()
            .instance_id(&self.target.instance_id)
            .filters(Filters::builder().queues(&self.target.queue_id).channels(Channel::Voice).build())
            .groupings(Grouping::Queue)
            .set_current_metrics(Some(
                QUEUE_METRICS
                    .iter()
                    .map(|name| CurrentMetric::builder().name(name.clone()).unit(Unit::Count).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| connect_error("GetCurrentMetricData")(e.into()))?;
        // Connect sends no row for a queue with nothing to report: nobody is available.
        let value = |name: &CurrentMetricName| {
            let data = output.metric_results().iter().flat_map(|row| row.collections());
            let mut values = data.filter(|d| d.metric().and_then(|m| m.name()) == Some(name)).filter_map(|d| d.value());
            let first = values.next()?;
            let sum = first + values.sum::<f64>();
            // Counts arrive as floats; a negative or fractional value is not an agent.
            Some(if sum >= 1.0 { sum.min(f64::from(u32::MAX)) as u32 } else { 0 })
        };
        Ok(QueueNow {
            agents_available: value(&CurrentMetricName::AgentsAvailable).unwrap_or(0),
            slots_available: value(&CurrentMetricName::SlotsAvailable),
            contacts_in_queue: value(&CurrentMetricName::ContactsInQueue).unwrap_or(0),
        })
    }

    async fn place(&self, call: &CallRequest) -> Result<String, (DialFailure, ConnectError)> {
        let attributes: HashMap<String, String> = call.attributes.iter().cloned().collect();
        self.pacer.pace("StartOutboundVoiceContact").await;
        let lost = LostAnswers::default();
        let output = self
            .client
            .start_outbound_voice_contact()
            .instance_id(&self.target.instance_id)
            .contact_flow_id(&self.target.contact_flow_id)
            .queue_id(&self.target.queue_id)
            .set_source_phone_number(self.target.source_phone_number.clone())
            .destination_phone_number(call.destination.as_e164())
            .client_token(&call.client_token)
            .set_attributes(Some(attributes))
            .customize()
            .interceptor(lost.clone())
            .send()
            .await;
        match output {
            Ok(output) => Ok(output.contact_id.unwrap_or_default()),
            Err(e) => Err(failure_of(e, lost.seen())),
        }
    }

    async fn call_state(&self, contact_id: &str) -> Result<CallState, ConnectError> {
        self.pacer.pace("DescribeContact").await;
        let output =
            self.client.describe_contact().instance_id(&self.target.instance_id).contact_id(contact_id).send().await;
        let contact = match output {
            Ok(output) => output.contact,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => None,
            Err(e) => return Err(connect_error("DescribeContact")(e.into())),
        };
        let Some(contact) = contact else { return Ok(CallState::Ended) };
        // Reaching an agent is what counts, whether or not the call has ended since.
        Ok(if contact.agent_info().and_then(|a| a.connected_to_agent_timestamp()).is_some() {
            CallState::WithAgent
        } else if contact.disconnect_timestamp().is_some() {
            CallState::Ended
        } else {
            CallState::Waiting
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_connect::operation::describe_contact::{DescribeContactError, DescribeContactOutput};
    use aws_sdk_connect::operation::get_current_metric_data::GetCurrentMetricDataOutput;
    use aws_sdk_connect::operation::start_outbound_voice_contact::StartOutboundVoiceContactOutput;
    use aws_sdk_connect::types::error::{DestinationNotAllowedException, ResourceNotFoundException};
    use aws_sdk_connect::types::{AgentInfo, Contact, CurrentMetricData, CurrentMetricResult};
    use aws_smithy_mocks::{Rule, mock};
    use connect_core::phone::CallerNumber;
    use connect_core::ports::error_chain;

    async fn outbound(rules: &[&Rule]) -> ConnectOutbound {
        let client = mocked_client!(aws_sdk_connect, crate::CallProfile::Background, rules);
        let target = OutboundTarget {
            instance_id: "inst-1".into(),
            contact_flow_id: "flow-1".into(),
            queue_id: "q-1".into(),
            source_phone_number: None,
        };
        ConnectOutbound::new(client, target)
    }

    fn call() -> CallRequest {
        CallRequest {
            destination: CallerNumber::parse("+819012345678").unwrap(),
            client_token: "0b6f3a6e-5d2c-4c47-9f0e-3b2a1c0d9e8f".into(),
            attributes: vec![("campaign".into(), "spring".into())],
        }
    }

    fn metric(value: f64) -> CurrentMetricResult {
        CurrentMetricResult::builder()
            .collections(
                CurrentMetricData::builder()
                    .metric(CurrentMetric::builder().name(CurrentMetricName::AgentsAvailable).build())
                    .value(value)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn available_agents_are_read_for_the_queue_and_no_row_means_none() {
        let two = mock!(Client::get_current_metric_data)
            .match_requests(|r| r.filters().is_some_and(|f| f.queues() == ["q-1"] && f.channels() == [Channel::Voice]))
            .then_output(|| GetCurrentMetricDataOutput::builder().metric_results(metric(2.0)).build());
        let none = mock!(Client::get_current_metric_data).then_output(|| GetCurrentMetricDataOutput::builder().build());
        let odd = mock!(Client::get_current_metric_data)
            .then_output(|| GetCurrentMetricDataOutput::builder().metric_results(metric(-1.0)).build());
        let outbound = outbound(&[&two, &none, &odd]).await;
        let agents = |n| QueueNow { agents_available: n, ..QueueNow::default() };
        assert_eq!(outbound.queue_now().await.unwrap(), agents(2));
        assert_eq!(outbound.queue_now().await.unwrap(), agents(0));
        assert_eq!(outbound.queue_now().await.unwrap(), agents(0));
    }

    #[tokio::test]
    async fn a_call_carries_token_queue_and_attributes() {
        let start = mock!(Client::start_outbound_voice_contact)
            .match_requests(|r| {
                r.client_token() == Some("0b6f3a6e-5d2c-4c47-9f0e-3b2a1c0d9e8f")
                    && r.queue_id() == Some("q-1")
                    && r.contact_flow_id() == Some("flow-1")
                    && r.destination_phone_number() == Some("+819012345678")
                    && r.attributes().and_then(|a| a.get("campaign")).map(String::as_str) == Some("spring")
            })
            .then_output(|| StartOutboundVoiceContactOutput::builder().contact_id("c-1").build());
        assert_eq!(outbound(&[&start]).await.place(&call()).await.unwrap(), "c-1");
    }

    #[tokio::test]
    async fn only_a_refused_destination_is_the_customers_and_a_lost_answer_is_uncertain() {
        let refused = mock!(Client::start_outbound_voice_contact).then_error(|| {
            StartOutboundVoiceContactError::DestinationNotAllowedException(
                DestinationNotAllowedException::builder().message("no").build(),
            )
        });
        let (failure, _) = outbound(&[&refused]).await.place(&call()).await.unwrap_err();
        assert_eq!(failure, DialFailure::DestinationRefused);

        let attempts = crate::bootstrap::BACKGROUND_ATTEMPTS as usize;
        let cases: [(u16, &'static str, usize, DialFailure); 6] = [
            (400, "InvalidParameterException", 1, DialFailure::Refused(Refusal::Misconfigured)),
            (404, "ResourceNotFoundException", 1, DialFailure::Refused(Refusal::Misconfigured)),
            (403, "AccessDeniedException", 1, DialFailure::Refused(Refusal::NotAllowed)),
            (429, "LimitExceededException", attempts, DialFailure::Refused(Refusal::QuotaExceeded)),
            (429, "ThrottlingException", attempts, DialFailure::Refused(Refusal::QuotaExceeded)),
            (500, "InternalServiceException", attempts, DialFailure::Uncertain),
        ];
        for (status, code, requests, expected) in cases {
            let body: &'static str =
                Box::leak(format!(r#"{{"__type":"{code}","message":"refused +819012345678"}}"#).into_boxed_str());
            let rule = mock!(Client::start_outbound_voice_contact)
                .sequence()
                .http_response(move || http_response(status, body))
                .times(attempts)
                .build();
            let (failure, error) = outbound(&[&rule]).await.place(&call()).await.unwrap_err();
            assert_eq!((failure, rule.num_calls()), (expected, requests), "{code}");
            assert!(error_chain(&error).contains("StartOutboundVoiceContact"), "{}", error_chain(&error));
        }
    }

    /// GIVEN an attempt whose answer is lost (a 5xx: Connect may have placed the call) and then
    /// throttling on every retry of the same request; THEN the call is uncertain, not a quota
    /// refusal: the row must stay claimed with its token, never be written back as pending.
    /// (Paused time: the SDK's back-off and the pacing take no real time.)
    #[tokio::test(start_paused = true)]
    async fn a_throttle_after_a_lost_answer_is_uncertain() {
        let attempts = crate::bootstrap::BACKGROUND_ATTEMPTS as usize;
        const LOST: &str = r#"{"__type":"InternalServiceException","message":"lost"}"#;
        const THROTTLED: &str = r#"{"__type":"LimitExceededException","message":"Rate exceeded"}"#;
        for lost_first in [1, attempts - 1] {
            let rule = mock!(Client::start_outbound_voice_contact)
                .sequence()
                .http_response(|| http_response(500, LOST))
                .times(lost_first)
                .http_response(|| http_response(429, THROTTLED))
                .times(attempts - lost_first)
                .build();
            let (failure, error) = outbound(&[&rule]).await.place(&call()).await.unwrap_err();
            let message = error_chain(&error);
            assert_eq!((failure, rule.num_calls()), (DialFailure::Uncertain, attempts), "{message}");
            assert!(message.contains("answer was lost") && message.contains("LimitExceeded"), "{message}");
        }
        // a throttle that follows nothing lost is the quota, as before
        let rule = mock!(Client::start_outbound_voice_contact)
            .sequence()
            .http_response(|| http_response(429, THROTTLED))
            .times(attempts)
            .build();
        let (failure, _) = outbound(&[&rule]).await.place(&call()).await.unwrap_err();
        assert_eq!(failure, DialFailure::Refused(Refusal::QuotaExceeded));
        // and one request's lost answer says nothing about the next request
        let rules = [
            mock!(Client::start_outbound_voice_contact)
                .sequence()
                .http_response(|| http_response(500, LOST))
                .times(attempts)
                .build(),
            mock!(Client::start_outbound_voice_contact)
                .sequence()
                .http_response(|| http_response(429, THROTTLED))
                .times(attempts)
                .build(),
        ];
        let outbound = outbound(&rules.iter().collect::<Vec<_>>()).await;
        assert_eq!(outbound.place(&call()).await.unwrap_err().0, DialFailure::Uncertain);
        assert_eq!(outbound.place(&call()).await.unwrap_err().0, DialFailure::Refused(Refusal::QuotaExceeded));
    }

    #[tokio::test]
    async fn call_states_from_describe_contact() {
        let contact = |agent: bool, ended: bool| {
            let mut c = Contact::builder().id("c-1");
            if agent {
                c = c.agent_info(
                    AgentInfo::builder().connected_to_agent_timestamp(aws_smithy_types::DateTime::from_secs(1)).build(),
                );
            }
            if ended {
                c = c.disconnect_timestamp(aws_smithy_types::DateTime::from_secs(2));
            }
            DescribeContactOutput::builder().contact(c.build()).build()
        };
        let rules = [
            mock!(Client::describe_contact).then_output(move || contact(false, false)),
            mock!(Client::describe_contact).then_output(move || contact(true, false)),
            mock!(Client::describe_contact).then_output(move || contact(true, true)),
            mock!(Client::describe_contact).then_error(|| {
                DescribeContactError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
            }),
        ];
        let outbound = outbound(&rules.iter().collect::<Vec<_>>()).await;
        // a call that reached an agent and has ended since is still one that reached an agent
        for expected in [CallState::Waiting, CallState::WithAgent, CallState::WithAgent, CallState::Ended] {
            assert_eq!(outbound.call_state("c-1").await.unwrap(), expected);
        }
    }
}
