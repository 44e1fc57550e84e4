//! Amazon Connect Outbound Campaigns v2: a campaign's restricted periods (holiday-fetcher keeps
//! them in step with a site's holidays) and the outbound requests campaign-dialer hands a
//! campaign with `ENGINE=campaigns-v2`.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_connectcampaignsv2::Client;
use aws_sdk_connectcampaignsv2::config::http::HttpResponse;
use aws_sdk_connectcampaignsv2::error::SdkError;
use aws_sdk_connectcampaignsv2::operation::put_outbound_request_batch::PutOutboundRequestBatchError;
use aws_sdk_connectcampaignsv2::operation::update_campaign_communication_time::UpdateCampaignCommunicationTimeError;
use aws_sdk_connectcampaignsv2::types::{
    ChannelSubtypeParameters, OutboundRequest, RestrictedPeriod as ApiPeriod, RestrictedPeriods,
    TelephonyChannelSubtypeParameters,
};
use chrono::{DateTime, NaiveDate, Utc};
use connect_core::campaign::{DialFailure, HandOver, Refusal};
use connect_core::ports::{CallRequest, CampaignCalendar, CampaignRequests};
use connect_core::restricted_periods::RestrictedPeriod;

use crate::pacing::ConnectPacer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum CampaignsError {
    #[error("Outbound Campaigns {operation} failed")]
    Api {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The campaign has no telephony calling window (`openHours`), which a restricted period needs.
    #[error("campaign {0} has no telephony open hours to hold restricted periods")]
    NoTelephonyWindow(String),
    /// "Only campaigns in the Initialized state are valid for this operation" (API Reference,
    /// UpdateCampaignCommunicationTime): a started campaign's periods are changed by hand.
    #[error(
        "campaign {campaign} is {state}: Outbound Campaigns v2 changes a campaign's communication time only before it is started (Initialized)"
    )]
    NotUpdatable { campaign: String, state: String },
    /// A restricted period the campaign holds with a date that is not `YYYY-MM-DD`.
    #[error("campaign {campaign} holds a restricted period with an unreadable date {date:?}")]
    BadDate { campaign: String, date: String },
}

fn api(operation: &'static str) -> impl FnOnce(BoxError) -> CampaignsError {
    move |source| CampaignsError::Api { operation, source }
}

/// One campaign call: what the campaign dials, and what the outbound flow reads back as contact
/// attributes (`campaign`, `attempt`, `dialedAt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignCall {
    /// Idempotency: the attempt's token; a repeat answers the request already accepted.
    pub client_token: String,
    pub destination: String,
    pub attributes: HashMap<String, String>,
    pub source_phone_number: Option<String>,
    /// After this the campaign drops the request undialed.
    pub expires_at: DateTime<Utc>,
}

/// What the campaign did with one request of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    Accepted {
        client_token: String,
        id: String,
    },
    /// `InvalidInput`, `RequestThrottled`, `UnknownError`, `BufferLimitExceeded`.
    Failed {
        client_token: String,
        code: String,
    },
}

/// The most requests one PutOutboundRequestBatch takes (the model's `OutboundRequestList`, 1 to 25).
pub const BATCH_LIMIT: usize = 25;

pub struct CampaignsV2 {
    client: Client,
    pacer: ConnectPacer,
}

impl CampaignsV2 {
    pub fn new(client: Client) -> Self {
        CampaignsV2 { client, pacer: ConnectPacer::default() }
    }

    pub fn from_conf(conf: &SdkConfig) -> Self {
        Self::new(Client::new(conf))
    }

    /// Hands `calls` (at most [`BATCH_LIMIT`]) to the campaign: what it accepted and refused, one
    /// outcome per call. A request of the batch refused is not an error of the batch.
    pub async fn put_requests(
        &self,
        campaign_id: &str,
        calls: &[CampaignCall],
    ) -> Result<Vec<RequestOutcome>, CampaignsError> {
        let requests = calls
            .iter()
            .map(|call| {
                let telephony = TelephonyChannelSubtypeParameters::builder()
                    .destination_phone_number(&call.destination)
                    .set_attributes(Some(call.attributes.clone()))
                    .set_connect_source_phone_number(call.source_phone_number.clone())
                    .build()
                    .map_err(|e| api("PutOutboundRequestBatch")(e.into()))?;
                OutboundRequest::builder()
                    .client_token(&call.client_token)
                    .expiration_time(aws_smithy_types::DateTime::from_millis(call.expires_at.timestamp_millis()))
                    .channel_subtype_parameters(ChannelSubtypeParameters::Telephony(telephony))
                    .build()
                    .map_err(|e| api("PutOutboundRequestBatch")(e.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.pacer.pace("PutOutboundRequestBatch").await;
        let output = self
            .client
            .put_outbound_request_batch()
            .id(campaign_id)
            .set_outbound_requests(Some(requests))
            .send()
            .await
            .map_err(|e| api("PutOutboundRequestBatch")(e.into()))?;
        let accepted = output.successful_requests().iter().map(|r| RequestOutcome::Accepted {
            client_token: r.client_token().unwrap_or_default().to_owned(),
            id: r.id().unwrap_or_default().to_owned(),
        });
        let failed = output.failed_requests().iter().map(|r| RequestOutcome::Failed {
            client_token: r.client_token().unwrap_or_default().to_owned(),
            code: r.failure_code().map(|c| c.as_str().to_owned()).unwrap_or_else(|| "UnknownError".to_owned()),
        });
        Ok(accepted.chain(failed).collect())
    }

    async fn communication_time(
        &self,
        campaign_id: &str,
    ) -> Result<aws_sdk_connectcampaignsv2::types::CommunicationTimeConfig, CampaignsError> {
        self.pacer.pace("DescribeCampaign").await;
        let described = self
            .client
            .describe_campaign()
            .id(campaign_id)
            .send()
            .await
            .map_err(|e| api("DescribeCampaign")(e.into()))?;
        described
            .campaign
            .and_then(|c| c.communication_time_config)
            .ok_or_else(|| CampaignsError::NoTelephonyWindow(campaign_id.to_owned()))
    }
}

fn date(campaign: &str, text: &str) -> Result<NaiveDate, CampaignsError> {
    text.parse().map_err(|_| CampaignsError::BadDate { campaign: campaign.to_owned(), date: text.to_owned() })
}

/// One campaign campaign-dialer feeds (`OUTBOUND_CAMPAIGN_ID`).
pub struct CampaignFeed {
    campaigns: CampaignsV2,
    campaign_id: String,
}

impl CampaignFeed {
    pub fn new(campaigns: CampaignsV2, campaign_id: &str) -> Self {
        CampaignFeed { campaigns, campaign_id: campaign_id.to_owned() }
    }
}

impl CampaignRequests for CampaignFeed {
    type Error = CampaignsError;

    /// The calls as requests of the campaign (`PutOutboundRequestBatch`), their attributes as
    /// contact attributes the campaign's flow reads. A refusal of the whole batch is the
    /// campaign's setup (`Misconfigured`: not Running, unknown, invalid), the role's
    /// (`NotAllowed`), or the quota (`QuotaExceeded`); anything else may have been taken.
    async fn hand_over(
        &self,
        calls: &[CallRequest],
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<HandOver>, (DialFailure, CampaignsError)> {
        let requests: Vec<CampaignCall> = calls
            .iter()
            .map(|call| CampaignCall {
                client_token: call.client_token.clone(),
                destination: call.destination.as_e164().to_owned(),
                attributes: call.attributes.iter().cloned().collect(),
                source_phone_number: None,
                expires_at,
            })
            .collect();
        let outcomes =
            self.campaigns.put_requests(&self.campaign_id, &requests).await.map_err(|e| (batch_failure(&e), e))?;
        Ok(calls
            .iter()
            .map(|call| {
                let outcome = outcomes.iter().find(|o| match o {
                    RequestOutcome::Accepted { client_token, .. } | RequestOutcome::Failed { client_token, .. } => {
                        *client_token == call.client_token
                    }
                });
                match outcome {
                    Some(RequestOutcome::Accepted { .. }) => HandOver::Accepted,
                    Some(RequestOutcome::Failed { code, .. }) => HandOver::from_failure_code(code),
                    // not in the answer: not taken, and safe to hand over again
                    None => HandOver::NotTaken("missing from the answer".to_owned()),
                }
            })
            .collect())
    }
}

/// How sure a failed batch is to have been refused as a whole.
fn batch_failure(error: &CampaignsError) -> DialFailure {
    let CampaignsError::Api { source, .. } = error else { return DialFailure::Refused(Refusal::Misconfigured) };
    let Some(service) = source.downcast_ref::<SdkError<PutOutboundRequestBatchError, HttpResponse>>() else {
        return DialFailure::Uncertain;
    };
    match service.as_service_error() {
        Some(PutOutboundRequestBatchError::AccessDeniedException(_)) => DialFailure::Refused(Refusal::NotAllowed),
        Some(PutOutboundRequestBatchError::ThrottlingException(_)) => DialFailure::Refused(Refusal::QuotaExceeded),
        Some(PutOutboundRequestBatchError::InternalServerException(_)) | None => DialFailure::Uncertain,
        Some(_) => DialFailure::Refused(Refusal::Misconfigured),
    }
}

impl CampaignCalendar for CampaignsV2 {
    type Error = CampaignsError;

    async fn restricted_periods(&self, campaign_id: &str) -> Result<Vec<RestrictedPeriod>, CampaignsError> {
        let config = self.communication_time(campaign_id).await?;
        let periods = config.telephony.and_then(|t| t.restricted_periods);
        let Some(RestrictedPeriods::RestrictedPeriodList(list)) = periods else {
            return Ok(Vec::new());
        };
        list.iter()
            .map(|p| {
                Ok(RestrictedPeriod {
                    name: p.name().unwrap_or_default().to_owned(),
                    start: date(campaign_id, p.start_date())?,
                    end: date(campaign_id, p.end_date())?,
                })
            })
            .collect()
    }

    /// DescribeCampaign, then UpdateCampaignCommunicationTime with the configuration as read and
    /// only the telephony restricted periods replaced (the update takes the whole configuration).
    async fn set_restricted_periods(
        &self,
        campaign_id: &str,
        periods: &[RestrictedPeriod],
    ) -> Result<(), CampaignsError> {
        let mut config = self.communication_time(campaign_id).await?;
        let Some(mut telephony) = config.telephony.take().filter(|t| t.open_hours().is_some()) else {
            return Err(CampaignsError::NoTelephonyWindow(campaign_id.to_owned()));
        };
        let list = periods
            .iter()
            .map(|p| {
                ApiPeriod::builder()
                    .name(&p.name)
                    .start_date(p.start.to_string())
                    .end_date(p.end.to_string())
                    .build()
                    .map_err(|e| api("UpdateCampaignCommunicationTime")(e.into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        telephony.restricted_periods = Some(RestrictedPeriods::RestrictedPeriodList(list));
        config.telephony = Some(telephony);
        self.pacer.pace("UpdateCampaignCommunicationTime").await;
        self.client
            .update_campaign_communication_time()
            .id(campaign_id)
            .communication_time_config(config)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(UpdateCampaignCommunicationTimeError::InvalidCampaignStateException(refused)) => {
                    CampaignsError::NotUpdatable {
                        campaign: campaign_id.to_owned(),
                        state: refused.state().as_str().to_owned(),
                    }
                }
                _ => api("UpdateCampaignCommunicationTime")(e.into()),
            })?;
        Ok(())
    }
}
