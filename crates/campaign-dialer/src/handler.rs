//! Dials a campaign's pending customers, never more at once than the queue has free agents,
//! and stops in time to answer before the Lambda deadline.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::TimeDelta;
use connect_core::assignments::stored_time;
use connect_core::campaign::{
    CAMPAIGN_ATTRIBUTE, CallState, Campaign, CampaignRow, DIALED_AT_ATTRIBUTE, DialFailure, RowStatus, StopReason,
    calls_allowed, safety_margin,
};
use connect_core::phone::{CallerNumber, mask};
use connect_core::ports::{CallRequest, CampaignTable, Clock, OutboundCalls, error_chain};
use futures_util::StreamExt;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::config::Config;

/// A claim this old without a contact ID belongs to a run that stopped between claiming and
/// dialing: the row is pending again. If that run's call was placed after all, the same client
/// token finds it instead of ringing the customer twice.
const STALE_CLAIM: TimeDelta = TimeDelta::minutes(10);
/// Failed calls in a row after which the run stops: beyond that it is not one number's fault.
const MAX_FAILURES_IN_A_ROW: u32 = 3;
/// DescribeContact requests at once when checking placed calls.
const CHECKS_AT_ONCE: usize = 5;

/// What a run did; the invocation's answer and its last log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DialSummary {
    pub campaign: String,
    pub dialed: u32,
    /// Rows left pending (including ones released after a failed call).
    pub still_pending: usize,
    /// `nothing_pending`, `max_calls`, `deadline` or `dial_failures`.
    pub stopped: &'static str,
    /// Placed calls (this run's and earlier runs') still waiting for an agent at the end.
    pub waiting_for_agents: usize,
    /// Calls that failed; their rows are pending again.
    pub failed: u32,
    /// Rows set to -4: not an E.164 number, or refused by Connect.
    pub invalid_numbers: u32,
    /// Placed calls that ended without an answer; their rows are set to -2.
    pub no_answer: u32,
    /// Pending rows another run claimed first.
    pub claimed_elsewhere: u32,
    pub stale_claims_released: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DialerError {
    #[error("could not read campaign {campaign}'s rows")]
    Rows {
        campaign: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl From<DialerError> for Diagnostic {
    fn from(error: DialerError) -> Diagnostic {
        Diagnostic { error_type: "CampaignRowsUnavailable".to_owned(), error_message: error_chain(&error) }
    }
}

/// A call this or an earlier run placed, until it reaches an agent or ends.
struct PlacedCall {
    contact_id: String,
    phone_number: String,
}

enum Dialed {
    Placed(PlacedCall),
    ClaimedElsewhere,
    /// Set to -4; `by_connect` when Connect refused it (which a broken setup can also cause).
    InvalidNumber {
        by_connect: bool,
    },
    /// `pending_again` unless the row is left claimed (a release that failed too); a later
    /// run releases such a claim once it is stale.
    Failed {
        pending_again: bool,
    },
    OutOfTime,
}

/// When a run stops starting work, stops waiting for Connect, and stops writing.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    new_work: Instant,
    calls: Instant,
    writes: Instant,
}

impl Deadlines {
    /// A quarter of the invocation (at most 10 s) is kept back: new calls start only before
    /// it, calls in progress may use half of it, writes that release rows the rest but a bit.
    fn for_invocation(time_left: Duration) -> Deadlines {
        let start = Instant::now();
        let margin = safety_margin(time_left);
        Deadlines {
            new_work: start + time_left.saturating_sub(margin),
            calls: start + time_left.saturating_sub(margin / 2),
            writes: start + time_left.saturating_sub(margin / 8),
        }
    }
}

pub struct CampaignDialer<T, C, K> {
    table: T,
    calls: C,
    clock: K,
    campaign: Campaign,
    max_calls: u32,
    poll: Duration,
}

impl<T: CampaignTable, C: OutboundCalls, K: Clock> CampaignDialer<T, C, K> {
    pub fn new(config: &Config, table: T, calls: C, clock: K) -> Self {
        CampaignDialer {
            table,
            calls,
            clock,
            campaign: config.campaign.clone(),
            max_calls: config.max_calls,
            poll: config.poll,
        }
    }

    /// One run: read the open rows, settle earlier runs' calls, then dial while agents are free.
    pub async fn run(&self, time_left: Duration) -> Result<DialSummary, DialerError> {
        let deadlines = Deadlines::for_invocation(time_left);
        let mut summary = DialSummary { campaign: self.campaign.to_string(), ..DialSummary::default() };
        let rows = match timeout_at(deadlines.calls, self.table.open_rows(&self.campaign)).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(e)) => {
                return Err(DialerError::Rows { campaign: self.campaign.to_string(), source: Box::new(e) });
            }
            Err(_) => return Ok(self.finish(summary, StopReason::Deadline, 0, 0)),
        };
        let (mut pending, mut waiting) = self.sort_rows(rows, &mut summary, deadlines).await;
        self.check_placed(&mut waiting, &mut summary, deadlines).await;

        let mut released = 0usize;
        let mut failures_in_a_row = 0u32;
        let stopped = 'run: loop {
            if pending.is_empty() {
                break StopReason::NothingPending;
            }
            if summary.dialed >= self.max_calls {
                break StopReason::MaxCalls;
            }
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW {
                break StopReason::DialFailures;
            }
            if Instant::now() >= deadlines.new_work {
                break StopReason::Deadline;
            }
            let available = match timeout_at(deadlines.calls, self.calls.agents_available()).await {
                Ok(Ok(available)) => available,
                Ok(Err(e)) => {
                    // Dialing blind could ring customers with nobody to take them: wait instead.
                    tracing::warn!(error = %error_chain(&e), "available agents unknown; waiting");
                    0
                }
                Err(_) => break StopReason::Deadline,
            };
            let mut allowed = calls_allowed(available, waiting.len());
            if allowed == 0 && !waiting.is_empty() {
                self.check_placed(&mut waiting, &mut summary, deadlines).await;
                allowed = calls_allowed(available, waiting.len());
            }
            tracing::debug!(available, waiting = waiting.len(), allowed, "pacing");
            let mut failed = false;
            while allowed > 0 && summary.dialed < self.max_calls && Instant::now() < deadlines.new_work {
                let Some(row) = pending.pop_front() else { break };
                match self.dial(&row, deadlines).await {
                    Dialed::Placed(call) => {
                        summary.dialed += 1;
                        waiting.push(call);
                        allowed -= 1;
                        failures_in_a_row = 0;
                    }
                    Dialed::ClaimedElsewhere => summary.claimed_elsewhere += 1,
                    Dialed::InvalidNumber { by_connect } => {
                        summary.invalid_numbers += 1;
                        failures_in_a_row += u32::from(by_connect);
                    }
                    Dialed::Failed { pending_again } => {
                        summary.failed += 1;
                        released += usize::from(pending_again);
                        failures_in_a_row += 1;
                        failed = true;
                        break;
                    }
                    Dialed::OutOfTime => break 'run StopReason::Deadline,
                }
                if failures_in_a_row >= MAX_FAILURES_IN_A_ROW {
                    break;
                }
            }
            if allowed == 0 || failed {
                sleep_until((Instant::now() + self.poll).min(deadlines.new_work)).await;
            }
        };
        Ok(self.finish(summary, stopped, pending.len() + released, waiting.len()))
    }

    fn finish(
        &self,
        mut summary: DialSummary,
        stopped: StopReason,
        still_pending: usize,
        waiting: usize,
    ) -> DialSummary {
        summary.stopped = stopped.name();
        summary.still_pending = still_pending;
        summary.waiting_for_agents = waiting;
        tracing::info!(
            campaign = summary.campaign,
            dialed = summary.dialed,
            still_pending,
            stopped = summary.stopped,
            waiting_for_agents = waiting,
            failed = summary.failed,
            invalid_numbers = summary.invalid_numbers,
            no_answer = summary.no_answer,
            claimed_elsewhere = summary.claimed_elsewhere,
            "run finished"
        );
        summary
    }

    /// Pending rows to dial, and calls earlier runs placed that may still need an agent. Stale
    /// claims are released and dialed again; fresh ones belong to a run dialing right now.
    async fn sort_rows(
        &self,
        rows: Vec<CampaignRow>,
        summary: &mut DialSummary,
        deadlines: Deadlines,
    ) -> (VecDeque<CampaignRow>, Vec<PlacedCall>) {
        let now = self.clock.now();
        let mut pending = VecDeque::new();
        let mut waiting = Vec::new();
        for row in rows {
            match (row.status, row.contact_id.clone()) {
                (RowStatus::Pending, _) => pending.push_back(row),
                (RowStatus::Dialing, Some(contact_id)) => {
                    waiting.push(PlacedCall { contact_id, phone_number: row.phone_number });
                }
                (RowStatus::Dialing, None) if row.updated_at.is_none_or(|at| now - at > STALE_CLAIM) => {
                    let released = self.settle(&row.phone_number, RowStatus::Pending, None, deadlines).await;
                    if released {
                        summary.stale_claims_released += 1;
                        pending.push_back(CampaignRow { status: RowStatus::Pending, ..row });
                    }
                }
                _ => {}
            }
        }
        (pending, waiting)
    }

    /// Claims a row, places its call and records the contact; a failed call releases the row.
    async fn dial(&self, row: &CampaignRow, deadlines: Deadlines) -> Dialed {
        let number = mask(&row.phone_number);
        let at = self.clock.now();
        match timeout_at(deadlines.calls, self.table.claim(&self.campaign, &row.phone_number, at)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Dialed::ClaimedElsewhere,
            Ok(Err(e)) => {
                tracing::error!(number, error = %error_chain(&e), "could not claim the row; not dialed");
                return Dialed::Failed { pending_again: true };
            }
            Err(_) => return Dialed::OutOfTime,
        }
        let Some(customer) = CallerNumber::parse(&row.phone_number) else {
            tracing::warn!(number, "not an E.164 number; set to failed to dial");
            self.settle(&row.phone_number, RowStatus::FailedToDial, None, deadlines).await;
            return Dialed::InvalidNumber { by_connect: false };
        };
        let call = CallRequest {
            client_token: self.campaign.client_token(&customer, row.calls_placed),
            destination: customer,
            attributes: vec![
                (CAMPAIGN_ATTRIBUTE.to_owned(), self.campaign.to_string()),
                // The claim's own time: the recorder keeps this call's answer over older ones.
                (DIALED_AT_ATTRIBUTE.to_owned(), stored_time(at)),
            ],
        };
        match timeout_at(deadlines.calls, self.calls.place(&call)).await {
            Ok(Ok(contact_id)) => {
                tracing::info!(number, contact_id, "call placed");
                let recorded = timeout_at(
                    deadlines.writes,
                    self.table.dialed(&self.campaign, &row.phone_number, &contact_id, self.clock.now()),
                )
                .await;
                if !matches!(recorded, Ok(Ok(()))) {
                    tracing::error!(number, contact_id, "placed call's contact ID not recorded");
                }
                Dialed::Placed(PlacedCall { contact_id, phone_number: row.phone_number.clone() })
            }
            Ok(Err((DialFailure::InvalidNumber, e))) => {
                tracing::warn!(number, error = %error_chain(&e), "Connect refused the number; set to failed to dial");
                self.settle(&row.phone_number, RowStatus::FailedToDial, None, deadlines).await;
                Dialed::InvalidNumber { by_connect: true }
            }
            Ok(Err((DialFailure::Failed, e))) => {
                tracing::error!(number, error = %error_chain(&e), "call failed; row pending again");
                let pending_again = self.settle(&row.phone_number, RowStatus::Pending, None, deadlines).await;
                Dialed::Failed { pending_again }
            }
            Err(_) => {
                tracing::warn!(number, "no answer from Connect before the deadline; row pending again");
                self.settle(&row.phone_number, RowStatus::Pending, None, deadlines).await;
                Dialed::OutOfTime
            }
        }
    }

    /// Asks Connect how placed calls are doing: calls with an agent are done, calls that ended
    /// without an answer set their row to -2, the rest (and any Connect could not tell) still wait.
    async fn check_placed(&self, waiting: &mut Vec<PlacedCall>, summary: &mut DialSummary, deadlines: Deadlines) {
        let checked: Vec<(PlacedCall, Option<CallState>)> = futures_util::stream::iter(std::mem::take(waiting))
            .map(|call| async move {
                let state = match timeout_at(deadlines.calls, self.calls.call_state(&call.contact_id)).await {
                    Ok(Ok(state)) => Some(state),
                    Ok(Err(e)) => {
                        tracing::warn!(contact_id = call.contact_id, error = %error_chain(&e), "call state unknown; still waiting");
                        None
                    }
                    Err(_) => None,
                };
                (call, state)
            })
            .buffer_unordered(CHECKS_AT_ONCE)
            .collect()
            .await;
        for (call, state) in checked {
            match state {
                Some(CallState::WithAgent) => {}
                Some(CallState::Ended) => {
                    // Only a row still dialing for this contact: an answer recorded in the flow stays.
                    let marked =
                        self.settle(&call.phone_number, RowStatus::NoAnswer, Some(&call.contact_id), deadlines).await;
                    summary.no_answer += u32::from(marked);
                }
                Some(CallState::Waiting) | None => waiting.push(call),
            }
        }
    }

    /// Dialing -> `status`; `true` when written. Failures are logged: a row left claimed is
    /// released by a later run once the claim is stale.
    async fn settle(
        &self,
        phone_number: &str,
        status: RowStatus,
        contact_id: Option<&str>,
        deadlines: Deadlines,
    ) -> bool {
        let write = self.table.settle(&self.campaign, phone_number, status, contact_id, self.clock.now());
        match timeout_at(deadlines.writes, write).await {
            Ok(Ok(written)) => written,
            Ok(Err(e)) => {
                tracing::error!(number = mask(phone_number), status = status.code(), error = %error_chain(&e), "row not updated");
                false
            }
            Err(_) => {
                tracing::error!(number = mask(phone_number), status = status.code(), "row update timed out");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_aws::Env;
    use connect_core::fakes::{FakeCampaignTable, FakeClock, FakeOutbound, FakeRow};

    const A: &str = "+819011110001";
    const B: &str = "+819011110002";
    const C: &str = "+819011110003";
    const MINUTE: Duration = Duration::from_secs(60);

    type Dialer = CampaignDialer<FakeCampaignTable, FakeOutbound, FakeClock>;

    fn dialer(rows: FakeCampaignTable, calls: FakeOutbound, extra: &[(&'static str, &'static str)]) -> Dialer {
        let pairs = [
            ("CUSTOMERS_TABLE", "customers"),
            ("CAMPAIGN", "spring"),
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("CONTACT_FLOW_ID", "flow-1"),
            ("QUEUE_ID", "q-1"),
        ]
        .into_iter()
        .chain(extra.iter().copied());
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        CampaignDialer::new(&config, rows, calls, FakeClock::at("2026-11-21T10:00:00Z"))
    }

    fn pending(numbers: &[&'static str]) -> FakeCampaignTable {
        FakeCampaignTable::with(numbers.iter().map(|n| (*n, Some(RowStatus::Pending))))
    }

    fn destinations(d: &Dialer) -> Vec<String> {
        d.calls.placed().iter().map(|c| c.destination.as_e164().to_owned()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn dials_every_pending_customer_when_agents_are_free() {
        let rows = pending(&[A, B]);
        rows.put(C, FakeRow { code: Some(RowStatus::TalkNow.code()), ..FakeRow::default() });
        rows.put("+819011110009", FakeRow::default());
        let d = dialer(rows, FakeOutbound::with_available(5), &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.dialed, summary.still_pending, summary.stopped), (2, 0, "nothing_pending"));
        assert_eq!(summary.waiting_for_agents, 2);
        assert_eq!(destinations(&d), [A, B], "answered and unlisted rows are not dialed");
        let call = &d.calls.placed()[0];
        assert_eq!(call.client_token, format!("spring:{A}:1"));
        assert_eq!(
            call.attributes,
            [
                ("campaign".to_owned(), "spring".to_owned()),
                ("dialedAt".to_owned(), "2026-11-21T10:00:00.000Z".to_owned())
            ]
        );
        let row = d.table.row(A).unwrap();
        assert_eq!(
            (d.table.status(A), row.contact_id.as_deref(), row.calls),
            (Some(RowStatus::Dialing), Some("contact-1"), 1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn with_one_free_agent_the_second_call_waits_until_the_metric_allows() {
        let d = dialer(pending(&[A, B, C]), FakeOutbound::with_available(1), &[("POLL_SECONDS", "5")]);
        let started = Instant::now();
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            assert_eq!(destinations(&d), [A], "one call while one agent is free and the call waits");
            d.calls.set_available(Some(2));
            tokio::time::sleep(Duration::from_secs(6)).await;
            assert_eq!(destinations(&d), [A, B], "a second agent frees one more call");
        });
        let summary = summary.unwrap();
        assert_eq!(summary.dialed, 2);
        assert_eq!((summary.stopped, summary.still_pending, summary.waiting_for_agents), ("deadline", 1, 2));
        assert!(started.elapsed() <= Duration::from_secs(50), "stopped 10 s before the deadline");
        assert!(d.calls.metric_reads() >= 10, "polled every 5 s: {}", d.calls.metric_reads());
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_call_frees_its_agent_and_marks_the_row() {
        let d = dialer(pending(&[A, B]), FakeOutbound::with_available(1), &[]);
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(12)).await;
            assert_eq!(destinations(&d), [A]);
            d.calls.set_state(&FakeOutbound::contact_id(0), CallState::Ended);
        });
        let summary = summary.unwrap();
        assert_eq!(destinations(&d), [A, B]);
        assert_eq!(d.table.status(A), Some(RowStatus::NoAnswer));
        assert_eq!((summary.no_answer, summary.stopped), (1, "nothing_pending"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answered_call_keeps_its_choice() {
        let d = dialer(pending(&[A, B]), FakeOutbound::with_available(1), &[]);
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(7)).await;
            // the customer pressed 1, was put through, and the call is over
            let mut row = d.table.row(A).unwrap();
            row.code = Some(RowStatus::TalkNow.code());
            d.table.put(A, row);
            d.calls.set_state(&FakeOutbound::contact_id(0), CallState::Ended);
        });
        assert_eq!(d.table.status(A), Some(RowStatus::TalkNow));
        assert_eq!(destinations(&d), [A, B]);
        assert_eq!(summary.unwrap().no_answer, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_deadline_with_nobody_free() {
        let d = dialer(pending(&[A, B]), FakeOutbound::with_available(0), &[]);
        let started = Instant::now();
        let summary = d.run(Duration::from_secs(20)).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed, summary.still_pending), ("deadline", 0, 2));
        assert_eq!(started.elapsed(), Duration::from_secs(15), "a quarter of 20 s kept back");
        assert_eq!(d.calls.metric_reads(), 3, "at 0, 5 and 10 s");

        let d = dialer(pending(&[A]), FakeOutbound::default(), &[]);
        let summary = d.run(Duration::from_secs(20)).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed), ("deadline", 0), "an unknown metric dials nobody");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_max_calls() {
        let d = dialer(pending(&[A, B, C]), FakeOutbound::with_available(10), &[("MAX_CALLS_PER_RUN", "2")]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed, summary.still_pending), ("max_calls", 2, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn invalid_numbers_are_marked_and_failed_calls_released() {
        let d = dialer(pending(&["0311112222", A, B, C]), FakeOutbound::with_available(10), &[]);
        d.calls.fail_next_place(DialFailure::InvalidNumber);
        d.calls.fail_next_place(DialFailure::Failed);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(d.table.status("0311112222"), Some(RowStatus::FailedToDial), "never sent to Connect");
        assert_eq!(d.table.status(A), Some(RowStatus::FailedToDial), "refused by Connect");
        assert_eq!(d.table.status(B), Some(RowStatus::Pending), "released after a failed call");
        assert_eq!(destinations(&d), [C]);
        assert_eq!((summary.invalid_numbers, summary.failed, summary.dialed), (2, 1, 1));
        assert_eq!((summary.still_pending, summary.stopped), (1, "nothing_pending"));
    }

    #[tokio::test(start_paused = true)]
    async fn three_failures_in_a_row_stop_the_run() {
        let d = dialer(pending(&[A, B, C, "+819011110004"]), FakeOutbound::with_available(10), &[]);
        for _ in 0..3 {
            d.calls.fail_next_place(DialFailure::Failed);
        }
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(
            (summary.stopped, summary.failed, summary.dialed, summary.still_pending),
            ("dial_failures", 3, 0, 4)
        );
        assert!(d.calls.placed().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn two_runs_over_one_list_never_call_a_customer_twice() {
        let numbers = ["+819011110001", "+819011110002", "+819011110003", "+819011110004", "+819011110005"];
        // Nobody free at first, so both runs read the same pending rows before either dials.
        let d = dialer(pending(&numbers), FakeOutbound::with_available(0), &[]);
        let (one, two, ()) = tokio::join!(d.run(MINUTE), d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            d.calls.set_available(Some(10));
        });
        let (one, two) = (one.unwrap(), two.unwrap());
        let mut called = destinations(&d);
        called.sort();
        assert_eq!(called, numbers);
        assert_eq!(one.dialed + two.dialed, 5);
        assert_eq!(one.claimed_elsewhere + two.claimed_elsewhere, 5, "each row lost once by one of the runs");
    }

    #[tokio::test(start_paused = true)]
    async fn earlier_runs_calls_are_settled_and_stale_claims_dialed_again() {
        let table = pending(&[A]);
        let ten_to = "2026-11-21T09:50:00Z".parse().ok();
        let placed = |id: &str| FakeRow {
            code: Some(RowStatus::Dialing.code()),
            contact_id: Some(id.to_owned()),
            updated_at: ten_to,
            calls: 1,
        };
        table.put(B, placed("old-ended"));
        table.put(C, placed("old-ringing"));
        let stale = FakeRow {
            code: Some(RowStatus::Dialing.code()),
            updated_at: "2026-11-21T09:40:00Z".parse().ok(),
            ..FakeRow::default()
        };
        table.put("+819011110004", stale);
        let fresh = FakeRow {
            code: Some(RowStatus::Dialing.code()),
            updated_at: "2026-11-21T09:59:00Z".parse().ok(),
            ..FakeRow::default()
        };
        table.put("+819011110005", fresh);
        let calls = FakeOutbound::with_available(2);
        calls.set_state("old-ended", CallState::Ended);
        let d = dialer(table, calls, &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(d.table.status(B), Some(RowStatus::NoAnswer));
        assert_eq!(summary.no_answer, 1);
        assert_eq!(summary.stale_claims_released, 1);
        // 2 agents, 1 earlier call still ringing: one call at a time for A and the stale row
        assert_eq!(destinations(&d), [A]);
        assert_eq!((summary.stopped, summary.still_pending), ("deadline", 1));
        assert_eq!(d.table.status("+819011110005"), Some(RowStatus::Dialing), "a fresh claim is another run's");
    }

    #[tokio::test(start_paused = true)]
    async fn unreadable_rows_fail_the_run_with_a_named_error() {
        let d = dialer(pending(&[A]), FakeOutbound::with_available(1), &[]);
        d.table.fail_with(Some("AccessDeniedException"));
        let err = d.run(MINUTE).await.unwrap_err();
        let diagnostic = Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, "CampaignRowsUnavailable");
        assert!(diagnostic.error_message.contains("spring") && diagnostic.error_message.contains("AccessDenied"));
    }

    #[test]
    fn the_summary_names_its_fields_in_camel_case() {
        let json = serde_json::to_value(DialSummary { stopped: "max_calls", ..DialSummary::default() }).unwrap();
        for key in
            ["dialed", "stillPending", "stopped", "waitingForAgents", "invalidNumbers", "noAnswer", "claimedElsewhere"]
        {
            assert!(json.get(key).is_some(), "{key}");
        }
    }
}
