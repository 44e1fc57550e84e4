//! What a run answers and is measured by: the summary (its last log line too), the errors a
//! run ends with, and the run's metric record.

use connect_core::campaign::Refusal;
use connect_core::metrics::{CAMPAIGN, MetricRecord, STOPPED, Unit};
use connect_core::phone::mask_numbers;
use connect_core::ports::error_chain;
use lambda_runtime::Diagnostic;
use serde::Serialize;

/// What a run did; the invocation's answer and its last log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DialSummary {
    pub campaign: String,
    /// `nothing_due`, `max_calls`, `max_rows`, `deadline`, `outside_calling_hours`, `holiday`,
    /// `no_holiday_list`, `campaign_busy`, `dry_run`, `call_refused`, `call_uncertain` or
    /// `table_unavailable`.
    pub stopped: &'static str,
    /// Why, in words: the holiday's name, why the list is unreadable, Connect's (masked) refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// New attempts placed.
    pub dialed: u32,
    /// Attempts of earlier runs whose contact was never learned (Connect's answer lost, or a
    /// campaign request not answered before it expired): counted as unanswered, due again after
    /// `RETRY_AFTER_MINUTES` while attempts are left; never re-sent.
    pub lost_answers: u32,
    /// Placed calls (this run's and earlier runs') still waiting for an agent at the end.
    pub waiting_for_agents: usize,
    /// Placed calls that ended without an answer.
    pub no_answer: u32,
    /// Of those, rows due again after `RETRY_AFTER_MINUTES`.
    pub retries_scheduled: u32,
    /// Rows set to -4: not an E.164 number, or `DestinationNotAllowedException`.
    pub invalid_numbers: u32,
    /// Rows with `DO_NOT_CALL` set, marked opted out (9) and never dialed.
    pub opted_out: u32,
    /// Due rows another run changed first.
    pub claimed_elsewhere: u32,
    /// Due rows not dialed because it is outside calling hours in the customer's own time zone:
    /// each is due again at the start of their next window.
    pub outside_their_hours: u32,
    /// Due rows set to -4 with a reason because their `timeZone` is not an IANA name.
    pub unknown_time_zone: u32,
    /// Rows left claimed with their token because Connect's answer was lost: the next run settles them.
    pub uncertain: u32,
    pub rows_read: u32,
    /// Due rows read but not dialed when the run stopped.
    pub still_due: usize,
    /// Rows still to call (due now or later) in the `to-call` index, counted once the run
    /// reached the table; absent when it did not, or the count failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_pending: Option<u64>,
    /// Inside calling hours and not on a holiday, the run placed no call although rows were due:
    /// rows still due when it stopped (nobody free, Connect refusing), or rows it took up while
    /// agents were free and dialed none of (skipped, refused, claimed elsewhere).
    pub stalled: bool,
    /// `{"dryRun": true}`: nothing was claimed, written or dialed; `stillDue` is what a run would
    /// take up now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

/// A run that ended in a function error, with what it had done until then.
#[derive(Debug)]
pub struct RunFailed {
    pub summary: Box<DialSummary>,
    pub error: DialerError,
}

impl From<RunFailed> for Diagnostic {
    fn from(failed: RunFailed) -> Diagnostic {
        Diagnostic::from(failed.error)
    }
}

/// The run's record: its calls and rows by campaign, why it stopped, failed, or stalled.
pub fn metrics(result: &Result<DialSummary, RunFailed>) -> MetricRecord {
    let (summary, failed) = match result {
        Ok(summary) => (summary, None),
        Err(RunFailed { summary, error }) => (&**summary, Some(error.error_type())),
    };
    let by_campaign: &[&[&str]] = &[&[CAMPAIGN]];
    let mut record = MetricRecord::new()
        .field(CAMPAIGN, summary.campaign.as_str())
        .field(STOPPED, failed.unwrap_or(summary.stopped))
        .count("CampaignRuns", 1, &[&[CAMPAIGN], &[CAMPAIGN, STOPPED]])
        .count("CampaignRunsFailed", u8::from(failed.is_some()), by_campaign)
        .count("CampaignStalled", u8::from(summary.stalled), by_campaign)
        .count("CallsPlaced", summary.dialed, by_campaign)
        .count("CallsNoAnswer", summary.no_answer, by_campaign)
        .count("CallsRefused", summary.invalid_numbers + summary.unknown_time_zone, by_campaign)
        .count("RetriesScheduled", summary.retries_scheduled, by_campaign)
        .count("OptedOutSkipped", summary.opted_out, by_campaign);
    if let Some(pending) = summary.rows_pending {
        record.add("RowsPending", Unit::Count, pending as f64, by_campaign);
    }
    record
}

#[derive(Debug, thiserror::Error)]
pub enum DialerError {
    #[error("campaign {campaign}: the customers table failed")]
    Table {
        campaign: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("campaign {campaign}: Connect refused the call ({message}); no row changed")]
    Refused { campaign: String, refusal: Refusal, message: String },
    #[error(
        "campaign {campaign}: Connect's answer to a call was lost ({message}); the row stays claimed for the next run"
    )]
    Uncertain { campaign: String, message: String },
}

impl DialerError {
    pub fn error_type(&self) -> &'static str {
        match self {
            DialerError::Table { .. } => "CampaignTableUnavailable",
            DialerError::Refused { refusal, .. } => refusal.error_type(),
            DialerError::Uncertain { .. } => "OutboundCallUncertain",
        }
    }
}

impl From<DialerError> for Diagnostic {
    fn from(error: DialerError) -> Diagnostic {
        // Connect's messages may quote the number: masked like everything the dialer logs.
        Diagnostic { error_type: error.error_type().to_owned(), error_message: mask_numbers(&error_chain(&error)) }
    }
}
