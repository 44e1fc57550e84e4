//! The narrow capabilities the functions need from the outside world, one trait each.
//! `connect-aws` implements them over the AWS SDK and HTTP; tests implement them in memory.
//!
//! Futures are declared `Send` so handlers generic over these traits can run on any runtime.

use std::error::Error;
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::agents::AgentState;
use crate::assignments::{Assignment, RecordOutcome};
use crate::campaign::{
    CallState, Campaign, CampaignRow, CampaignState, Choice, ChoiceWrite, DialFailure, HandOver, QueueNow,
};
use crate::holidays::Holiday;
use crate::overrides::ExistingOverride;
use crate::phone::CallerNumber;
use crate::restricted_periods::RestrictedPeriod;

/// The current instant. Handlers never read the system clock directly.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Downloads one calendar body.
pub trait CalendarSource: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    fn fetch(&self, url: &str) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send;
}

/// What a conditional read of the stored holiday list found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Missing,
    /// The entity tag given to the read still matches.
    NotModified,
    Current {
        body: Vec<u8>,
        etag: Option<String>,
    },
}

/// The stored holiday list (one object).
pub trait HolidayStore: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// Reads the list; with `if_none_match`, an unchanged list answers [`Stored::NotModified`].
    fn load(&self, if_none_match: Option<&str>) -> impl Future<Output = Result<Stored, Self::Error>> + Send;
    fn save(&self, body: Vec<u8>) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Notices to the people who run the center (SNS in production).
pub trait Notifier: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    fn notify(&self, subject: &str, message: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Callers' last agents (a DynamoDB table in production).
pub trait AssignmentStore: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The stored assignment, expired or not (the caller decides what expiry means).
    fn find(&self, caller: &CallerNumber) -> impl Future<Output = Result<Option<Assignment>, Self::Error>> + Send;
    /// One conditional write: a newer assignment or a retry of the same contact is written; an
    /// assignment older than the stored one from another contact is not.
    fn record(&self, assignment: &Assignment) -> impl Future<Output = Result<RecordOutcome, Self::Error>> + Send;
}

/// Agents and what Connect says about them now.
pub trait AgentDirectory: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The given agents (IDs) with their current state. An agent Connect does not know is left
    /// out; a logged-out one has no status.
    fn agents(&self, ids: &[String]) -> impl Future<Output = Result<Vec<AgentState>, Self::Error>> + Send;
    /// Every agent that may be offered a caller (the instance, or the configured routing
    /// profiles or queues) with its current state. Logged-out agents may be left out.
    fn candidates(&self) -> impl Future<Output = Result<Vec<AgentState>, Self::Error>> + Send;
    /// The queues (IDs) a routing profile (ID) serves on voice: routing criteria prefer only an
    /// agent who can be offered the queue's calls. Production caches them; they change rarely.
    fn profile_queues(&self, routing_profile_id: &str)
    -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;
}

/// Past contacts (Connect's contact search in production).
pub trait ContactHistory: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The agent (ID) of the newest contact from `caller` initiated in `since..=until` that
    /// reached an agent.
    fn last_agent(
        &self,
        caller: &CallerNumber,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send;
}

/// A contact's details (Connect's DescribeContact in production): contact events carry no
/// phone number.
pub trait ContactDetails: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The customer's address (`CustomerEndpoint.Address`) of a contact of the instance
    /// `instance_id` (its ID: DescribeContact documents an ID, not an ARN); `None` when Connect
    /// has none (a withheld number).
    fn customer_address(
        &self,
        instance_id: &str,
        contact_id: &str,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send;
}

/// One page of the to-call index, and where the next one starts (`None`: the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowPage {
    pub rows: Vec<CampaignRow>,
    pub next: Option<String>,
}

/// The customers table as campaigns use it (DynamoDB in production). Every write is one
/// conditional request, so concurrent dialer runs and recorders never lose each other's work.
pub trait CampaignTable: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// A page of the campaign's rows due by `due_by` in the to-call index, earliest due first;
    /// `after` is the previous page's `next`.
    fn due_rows(
        &self,
        campaign: &Campaign,
        due_by: DateTime<Utc>,
        after: Option<&str>,
    ) -> impl Future<Output = Result<RowPage, Self::Error>> + Send;
    /// How many of the campaign's rows are in the to-call index (due now or later).
    fn pending_count(&self, campaign: &Campaign) -> impl Future<Output = Result<u64, Self::Error>> + Send;
    /// Writes `new` on the row only if the row is still as `seen` (status, attempt token and
    /// contact ID); `false` when someone else changed it first.
    fn update(
        &self,
        campaign: &Campaign,
        phone_number: &str,
        seen: &CampaignState,
        new: &CampaignState,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    /// A keypad answer: written on an existing row unless a later contact changed it.
    fn record_choice(
        &self,
        campaign: &Campaign,
        choice: &Choice,
    ) -> impl Future<Output = Result<ChoiceWrite, Self::Error>> + Send;
}

/// Numbers no campaign may call (the customer pressed 9), kept apart from the customer rows so a
/// reloaded list (PutItem replaces the whole row) cannot bring a number back.
pub trait DoNotCallList: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    fn contains(&self, phone_number: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    fn add(
        &self,
        customer: &CallerNumber,
        campaign: &Campaign,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// `None`: no list configured, only the rows' `DO_NOT_CALL` attribute counts.
impl<L: DoNotCallList> DoNotCallList for Option<L> {
    type Error = L::Error;
    async fn contains(&self, phone_number: &str) -> Result<bool, Self::Error> {
        match self {
            Some(list) => list.contains(phone_number).await,
            None => Ok(false),
        }
    }
    async fn add(&self, customer: &CallerNumber, campaign: &Campaign, at: DateTime<Utc>) -> Result<(), Self::Error> {
        match self {
            Some(list) => list.add(customer, campaign, at).await,
            None => Ok(()),
        }
    }
}

/// A new attempt's token (random in production: a token must never repeat within Connect's
/// 7 days, and carries no personal data).
pub trait AttemptTokens: Send + Sync {
    fn new_token(&self) -> String;
}

/// A call for StartOutboundVoiceContact (flow, queue and source number are the adapter's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    pub destination: CallerNumber,
    pub client_token: String,
    pub attributes: Vec<(String, String)>,
}

/// Outbound calling through one queue (Amazon Connect in production).
pub trait OutboundCalls: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The queue right now (voice): available agents and slots, contacts waiting; no data
    /// means none.
    fn queue_now(&self) -> impl Future<Output = Result<QueueNow, Self::Error>> + Send;
    /// Places a call: its contact ID, or why there is none. The same token within 7 days
    /// answers the call it placed first and places no other.
    fn place(&self, call: &CallRequest) -> impl Future<Output = Result<String, (DialFailure, Self::Error)>> + Send;
    /// How a placed call is doing; a contact Connect no longer knows counts as ended.
    fn call_state(&self, contact_id: &str) -> impl Future<Output = Result<CallState, Self::Error>> + Send;
}

/// An Outbound Campaigns v2 campaign fed with our own list (campaign-dialer, `ENGINE=campaigns-v2`).
pub trait CampaignRequests: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// Hands `calls` (at most 25) to the campaign, each expiring at `expires_at`: one outcome per
    /// call, in order; or why the batch as a whole was not taken (`Uncertain` when it may have been).
    fn hand_over(
        &self,
        calls: &[CallRequest],
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<HandOver>, (DialFailure, Self::Error)>> + Send;
}

/// The overrides of Connect hours of operation (holiday-fetcher's sync).
pub trait HoursOverrides: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// Every override of one hours of operation, all pages.
    fn list(&self, hours_id: &str) -> impl Future<Output = Result<Vec<ExistingOverride>, Self::Error>> + Send;
    /// A closed-all-day override for the holiday, named `name`; its ID.
    fn create_closed(
        &self,
        hours_id: &str,
        name: &str,
        holiday: &Holiday,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;
    fn delete(&self, hours_id: &str, override_id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
    /// The hours of operation linked as children of `parent_id` (they inherit its overrides).
    fn children(&self, parent_id: &str) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;
    /// Links `child_id` as a child of `parent_id`.
    fn link_child(&self, parent_id: &str, child_id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// The restricted periods of Outbound Campaigns v2 campaigns (holiday-fetcher's sync).
pub trait CampaignCalendar: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// The telephony restricted periods a campaign holds now.
    fn restricted_periods(
        &self,
        campaign_id: &str,
    ) -> impl Future<Output = Result<Vec<RestrictedPeriod>, Self::Error>> + Send;
    /// Replaces the campaign's telephony restricted periods with `periods`, leaving the rest of
    /// its communication time (open hours, time zone, other channels) as it is.
    fn set_restricted_periods(
        &self,
        campaign_id: &str,
        periods: &[RestrictedPeriod],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// No campaign to keep in step (the sync is not configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCampaigns;

impl CampaignCalendar for NoCampaigns {
    type Error = std::convert::Infallible;
    async fn restricted_periods(&self, _campaign_id: &str) -> Result<Vec<RestrictedPeriod>, Self::Error> {
        Ok(Vec::new())
    }
    async fn set_restricted_periods(
        &self,
        _campaign_id: &str,
        _periods: &[RestrictedPeriod],
    ) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// No hours of operation to keep in step (the sync is not configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOverrides;

impl HoursOverrides for NoOverrides {
    type Error = std::convert::Infallible;
    async fn list(&self, _hours_id: &str) -> Result<Vec<ExistingOverride>, Self::Error> {
        Ok(Vec::new())
    }
    async fn create_closed(&self, _hours_id: &str, _name: &str, _holiday: &Holiday) -> Result<String, Self::Error> {
        Ok(String::new())
    }
    async fn delete(&self, _hours_id: &str, _override_id: &str) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn children(&self, _parent_id: &str) -> Result<Vec<String>, Self::Error> {
        Ok(Vec::new())
    }
    async fn link_child(&self, _parent_id: &str, _child_id: &str) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Formats an error with its chain of sources, for notices and logs.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
