//! `ENGINE=campaigns-v2`: due rows, checked and claimed exactly as the direct engine does (calling
//! hours, holidays, the customer's own hours, opt-outs, attempts), are handed to an Outbound
//! Campaigns v2 campaign with PutOutboundRequestBatch, which dials them at its own pace. Each
//! request carries the attempt's token as its client token (a repeated batch adds nothing: "This
//! API is idempotent", API Reference) and the same contact attributes as a direct call, so the
//! outbound flow's ivr-choice-recorder records the answer on the row. A request expires after
//! `REQUEST_EXPIRY_MINUTES`, or sooner when the calling hours end first (the center's, an early
//! close, the customer's own); its row stays claimed a while after (the call may still be in
//! progress), and a row whose answer never came is unanswered, retried after the wait.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use connect_core::campaign::{CampaignRow, CampaignState, DialFailure, HandOver, StopReason};
use connect_core::holidays::HolidayIndex;
use connect_core::phone::{mask, mask_numbers};
use connect_core::ports::{
    AttemptTokens, CallRequest, CampaignRequests, CampaignTable, Clock, DoNotCallList, HolidayStore, OutboundCalls,
    error_chain,
};
use tokio::time::timeout_at;

use crate::handler::{CampaignDialer, Claim, Deadlines, Dialed, DialerError, Run};

/// The most requests one PutOutboundRequestBatch takes (the model's `OutboundRequestList`).
const BATCH_LIMIT: usize = 25;
/// How long after its request expires a row stays claimed: a call the campaign started just
/// before the expiry may still be talking to the customer.
const AFTER_EXPIRY: TimeDelta = TimeDelta::minutes(30);

/// A claimed row in the batch being handed over.
struct Handed {
    row: CampaignRow,
    claimed: CampaignState,
    call: CallRequest,
}

impl<T, C, S, D, R, K, H> CampaignDialer<T, C, S, D, R, K, H>
where
    T: CampaignTable,
    C: OutboundCalls,
    S: HolidayStore,
    D: DoNotCallList,
    R: AttemptTokens,
    K: Clock,
    H: CampaignRequests,
{
    /// Hands due rows to the campaign, a batch at a time, until `MAX_CALLS_PER_RUN` are handed,
    /// nothing is due, the center closes, the deadline, or the campaign takes no more.
    pub(crate) async fn hand_over_due(
        &self,
        run: &mut Run,
        holidays: &HolidayIndex,
        request_expiry: TimeDelta,
        deadlines: Deadlines,
    ) -> (StopReason, Option<DialerError>) {
        loop {
            if let Some(stop) = self.more_rows(run, holidays, deadlines).await {
                return stop;
            }
            let now = self.clock.now();
            let (batch, stop) = self.claim_batch(run, now + request_expiry + AFTER_EXPIRY, deadlines).await;
            if !batch.is_empty() {
                let expires_at = self.expiry(now, request_expiry, holidays, &batch);
                if let Some(stopped) = self.hand_over(run, batch, expires_at, deadlines).await {
                    return stopped;
                }
            }
            if let Some(stop) = stop {
                return stop;
            }
        }
    }

    /// When the batch's requests expire: `REQUEST_EXPIRY_MINUTES` from now, but never after the
    /// center's calling hours end, the site's early close of today starts, or any of the batch's
    /// customers' own calling hours end. The campaign dials on its own clock: a request it still
    /// held then could ring someone at a time the dialer itself would not.
    fn expiry(
        &self,
        now: DateTime<Utc>,
        request_expiry: TimeDelta,
        holidays: &HolidayIndex,
        batch: &[Handed],
    ) -> DateTime<Utc> {
        let mut until = now + request_expiry;
        let mut end_at = |end: Option<DateTime<Utc>>| {
            if let Some(end) = end.filter(|end| *end > now) {
                until = until.min(end);
            }
        };
        end_at(self.hours.open_until(now, self.time_zone));
        let site_zone = holidays.time_zone().unwrap_or(self.time_zone);
        let today = now.with_timezone(&site_zone).date_naive();
        let early_close = holidays.on(today).and_then(|h| h.closed).and_then(|w| w.instants(today, site_zone));
        end_at(early_close.map(|(from, _)| from));
        for handed in batch {
            if let Some(zone) = handed.row.time_zone.as_deref().and_then(|z| z.parse::<Tz>().ok()) {
                end_at(self.hours.open_until(now, zone));
            }
        }
        until
    }

    /// Claims due rows for one batch; with why claiming stopped early, if it did.
    async fn claim_batch(
        &self,
        run: &mut Run,
        hold_until: DateTime<Utc>,
        deadlines: Deadlines,
    ) -> (Vec<Handed>, Option<(StopReason, Option<DialerError>)>) {
        let mut batch = Vec::new();
        let room = usize::try_from(self.max_calls.saturating_sub(run.summary.dialed)).unwrap_or(BATCH_LIMIT);
        while batch.len() < BATCH_LIMIT.min(room) {
            let Some(row) = run.queue.pop_front() else { break };
            run.taken_up += 1;
            match self.claim(row, hold_until, deadlines, &mut run.summary).await {
                Claim::Ready { row, claimed, call } => batch.push(Handed { row, claimed, call }),
                Claim::Not(Dialed::InvalidNumber) => run.summary.invalid_numbers += 1,
                Claim::Not(Dialed::Stop(stop, error)) => return (batch, Some((stop, error))),
                Claim::Not(Dialed::Skipped | Dialed::Placed(_)) => {}
            }
        }
        (batch, None)
    }

    /// One PutOutboundRequestBatch and what it means for each row; `Some` when the run must stop.
    async fn hand_over(
        &self,
        run: &mut Run,
        batch: Vec<Handed>,
        expires_at: DateTime<Utc>,
        deadlines: Deadlines,
    ) -> Option<(StopReason, Option<DialerError>)> {
        let calls: Vec<CallRequest> = batch.iter().map(|h| h.call.clone()).collect();
        let campaign = self.campaign.to_string();
        match timeout_at(deadlines.calls, self.campaign_requests.hand_over(&calls, expires_at)).await {
            Ok(Ok(outcomes)) => {
                let mut not_taken = None;
                for (handed, outcome) in batch.into_iter().zip(outcomes) {
                    let number = mask(&handed.row.phone_number);
                    match outcome {
                        HandOver::Accepted => {
                            run.summary.dialed += 1;
                            tracing::info!(number, attempt = handed.claimed.attempts, "handed to the campaign");
                        }
                        HandOver::Invalid(code) => {
                            tracing::warn!(
                                number,
                                code,
                                "the campaign will not dial this request; set to failed to dial"
                            );
                            let now = self.clock.now();
                            let failed =
                                handed.claimed.failed(&format!("the campaign refused the request ({code})"), now);
                            self.write(&handed.row.phone_number, &handed.claimed, &failed, deadlines).await;
                            run.summary.invalid_numbers += 1;
                        }
                        HandOver::NotTaken(code) => {
                            // nothing was taken: the row goes back as it was, due again
                            self.write(&handed.row.phone_number, &handed.claimed, &handed.row.state, deadlines).await;
                            not_taken = Some(code);
                        }
                    }
                }
                not_taken.map(|code| {
                    run.summary.detail = Some(format!("the campaign took no more requests ({code})"));
                    (StopReason::CampaignBusy, None)
                })
            }
            Ok(Err((DialFailure::Refused(refusal), e))) => {
                for handed in &batch {
                    self.write(&handed.row.phone_number, &handed.claimed, &handed.row.state, deadlines).await;
                }
                let message = mask_numbers(&error_chain(&e));
                run.summary.detail = Some(message.clone());
                Some((StopReason::CallRefused, Some(DialerError::Refused { campaign, refusal, message })))
            }
            Ok(Err((DialFailure::Uncertain | DialFailure::DestinationRefused, e))) => {
                // The campaign may hold them: the rows stay claimed until their requests expired.
                let n = u32::try_from(batch.len()).unwrap_or(u32::MAX);
                run.summary.uncertain += n;
                let message = mask_numbers(&error_chain(&e));
                run.summary.detail = Some(message.clone());
                Some((StopReason::CallUncertain, Some(DialerError::Uncertain { campaign, message })))
            }
            Err(_) => {
                run.summary.uncertain += u32::try_from(batch.len()).unwrap_or(u32::MAX);
                Some((StopReason::Deadline, None))
            }
        }
    }
}
