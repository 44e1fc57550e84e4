//! Dials a campaign's due customers, never more at once than the queue has free agents, only
//! inside calling hours and never on a holiday, and stops in time to answer before the Lambda
//! deadline. Every attempt has its own random token, stored on the row when it is claimed: the
//! token makes Connect's retries of one request one call, and an attempt whose contact was never
//! learned counts as unanswered (retried after the wait), never re-sent.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use connect_core::calling_hours::CallingHours;
use connect_core::campaign::{
    CallState, Campaign, CampaignRow, CampaignState, DialFailure, QueueNow, RetryPolicy, RowStatus, StopReason,
    calls_allowed, safety_margin,
};
use connect_core::holidays::{HolidayDocument, HolidayIndex};
use connect_core::phone::{mask, mask_numbers};
use connect_core::ports::{
    AttemptTokens, CallRequest, CampaignRequests, CampaignTable, Clock, DoNotCallList, HolidayStore, OutboundCalls,
    Stored, error_chain,
};
use futures_util::StreamExt;
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::config::{Config, Engine};
pub(crate) use crate::summary::{DialSummary, DialerError, RunFailed};

/// DescribeContact requests at once when checking placed calls.
const CHECKS_AT_ONCE: usize = 5;
/// Rows a run may read per call it may place: rows outside their calling hours or not yet due
/// are read too, but a run never walks the whole list.
pub(crate) const ROWS_PER_CALL: u32 = 10;

/// A call this or an earlier run placed, until it reaches an agent or ends.
pub(crate) struct PlacedCall {
    pub(crate) contact_id: String,
    pub(crate) phone_number: String,
    pub(crate) state: CampaignState,
}

/// A due row checked and claimed for a new attempt, or what became of it.
pub(crate) enum Claim {
    Ready { row: CampaignRow, claimed: CampaignState, call: CallRequest },
    Not(Dialed),
}

pub(crate) enum Dialed {
    Placed(PlacedCall),
    /// Not dialed now (changed by another run, due later in the customer's own hours, ended).
    Skipped,
    InvalidNumber,
    /// The run must stop: why, and the error it ends with (none for the deadline).
    Stop(StopReason, Option<DialerError>),
}

/// When a run stops starting work, stops waiting for Connect, and stops writing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub(crate) new_work: Instant,
    pub(crate) calls: Instant,
    writes: Instant,
}

impl Deadlines {
    /// A quarter of the invocation (at most 10 s) is kept back: new calls start only before
    /// it, calls in progress may use half of it, writes that settle rows the rest but a bit.
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

/// One run's state.
pub(crate) struct Run {
    pub(crate) summary: DialSummary,
    pub(crate) queue: VecDeque<CampaignRow>,
    pub(crate) waiting: Vec<PlacedCall>,
    pub(crate) next_page: Option<String>,
    pub(crate) read_all: bool,
    /// Due rows taken up to dial while agents were free, dialed or not.
    pub(crate) taken_up: u32,
    /// The claim's hold: a row this run claimed is another run's to settle only after this.
    pub(crate) hold_until: DateTime<Utc>,
}

/// Whether a row may be called now in the customer's own time zone.
pub(crate) enum TheirHours {
    Open,
    /// Outside their calling hours; their next window starts then.
    Closed(Option<DateTime<Utc>>),
    /// The row's `timeZone` is not an IANA name.
    UnknownZone(String),
}

pub struct CampaignDialer<T, C, S, D, R, K, H> {
    pub(crate) table: T,
    pub(crate) calls: C,
    pub(crate) campaign_requests: H,
    pub(crate) engine: Engine,
    pub(crate) holidays: S,
    pub(crate) do_not_call: D,
    pub(crate) tokens: R,
    pub(crate) clock: K,
    pub(crate) campaign: Campaign,
    pub(crate) site: String,
    pub(crate) max_calls: u32,
    pub(crate) poll: Duration,
    pub(crate) hours: CallingHours,
    pub(crate) time_zone: Tz,
    pub(crate) retry: RetryPolicy,
}

/// The dialer's outside world, one port each (`campaign_requests` is the campaigns-v2 engine's).
pub struct Ports<T, C, S, D, R, K, H> {
    pub table: T,
    pub calls: C,
    pub campaign_requests: H,
    pub holidays: S,
    pub do_not_call: D,
    pub tokens: R,
    pub clock: K,
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
    pub fn new(config: &Config, ports: Ports<T, C, S, D, R, K, H>) -> Self {
        let Ports { table, calls, campaign_requests, holidays, do_not_call, tokens, clock } = ports;
        CampaignDialer {
            table,
            calls,
            campaign_requests,
            engine: config.engine.clone(),
            holidays,
            do_not_call,
            tokens,
            clock,
            campaign: config.campaign.clone(),
            site: config.site.clone(),
            max_calls: config.max_calls,
            poll: config.poll,
            hours: config.calling_hours.clone(),
            time_zone: config.time_zone,
            retry: config.retry,
        }
    }

    /// Any event starts a run (a schedule's, a manual `{}`); `{"dryRun": true}` only says what a
    /// run would do now: the day and the hour, and the due rows it would take up, with nothing
    /// claimed, written or dialed.
    pub async fn handle(&self, event: serde_json::Value, time_left: Duration) -> Result<DialSummary, RunFailed> {
        let dry_run = event.get("dryRun").and_then(serde_json::Value::as_bool).unwrap_or(false);
        self.run_as(time_left, dry_run).await
    }

    /// One run: check the day and the hour, settle earlier runs' calls, then dial due rows page
    /// by page while agents are free.
    #[cfg(test)]
    pub async fn run(&self, time_left: Duration) -> Result<DialSummary, RunFailed> {
        self.run_as(time_left, false).await
    }

    async fn run_as(&self, time_left: Duration, dry_run: bool) -> Result<DialSummary, RunFailed> {
        let deadlines = Deadlines::for_invocation(time_left);
        let hold = TimeDelta::from_std(time_left).unwrap_or(TimeDelta::minutes(15));
        let mut run = Run {
            summary: DialSummary { campaign: self.campaign.to_string(), ..DialSummary::default() },
            queue: VecDeque::new(),
            waiting: Vec::new(),
            next_page: None,
            read_all: false,
            taken_up: 0,
            hold_until: self.clock.now() + hold,
        };
        let holidays = match self.holiday_list(deadlines).await {
            Ok(holidays) => holidays,
            Err(why) => {
                run.summary.detail = Some(why);
                return self.finish(run, StopReason::NoHolidayList, None);
            }
        };
        run.summary.dry_run = dry_run;
        if let Some((stop, detail)) = self.closed(&holidays) {
            run.summary.detail = detail;
            return self.finish(run, stop, None);
        }
        if dry_run {
            let error = self.plan(&mut run, deadlines).await.err();
            let stopped = if error.is_some() { StopReason::TableUnavailable } else { StopReason::DryRun };
            return self.finish(run, stopped, error);
        }
        if let Err(e) = self.read_page(&mut run, deadlines).await {
            return self.finish(run, StopReason::TableUnavailable, Some(e));
        }
        run.summary.rows_pending = self.rows_pending(deadlines).await;
        // Calls placed directly (also before a switch to campaigns-v2) are settled either way.
        self.check_placed(&mut run, deadlines).await;
        if let Engine::CampaignsV2 { request_expiry, .. } = &self.engine {
            let (stopped, error) = self.hand_over_due(&mut run, &holidays, *request_expiry, deadlines).await;
            return self.finish(run, stopped, error);
        }

        let (stopped, error) = 'run: loop {
            if let Some(stop) = self.more_rows(&mut run, &holidays, deadlines).await {
                break stop;
            }
            let queue = match timeout_at(deadlines.calls, self.calls.queue_now()).await {
                Ok(Ok(queue)) => queue,
                Ok(Err(e)) => {
                    // Dialing blind could ring customers with nobody to take them: wait instead.
                    tracing::warn!(error = %mask_numbers(&error_chain(&e)), "queue metrics unknown; waiting");
                    QueueNow::default()
                }
                Err(_) => break (StopReason::Deadline, None),
            };
            let mut allowed = calls_allowed(queue, run.waiting.len());
            if allowed == 0 && !run.waiting.is_empty() {
                self.check_placed(&mut run, deadlines).await;
                allowed = calls_allowed(queue, run.waiting.len());
            }
            tracing::debug!(
                available = queue.agents_available,
                slots = queue.slots_available,
                in_queue = queue.contacts_in_queue,
                waiting = run.waiting.len(),
                allowed,
                "pacing"
            );
            while allowed > 0 && run.summary.dialed < self.max_calls && Instant::now() < deadlines.new_work {
                // No call once the hours end or the day turns into a holiday, even mid-batch.
                if let Some((stop, detail)) = self.closed(&holidays) {
                    run.summary.detail = detail;
                    break 'run (stop, None);
                }
                let Some(due) = run.queue.pop_front() else { break };
                run.taken_up += 1;
                match self.dial(due, run.hold_until, deadlines, &mut run.summary).await {
                    Dialed::Placed(call) => {
                        run.summary.dialed += 1;
                        run.waiting.push(call);
                        allowed -= 1;
                    }
                    Dialed::Skipped => {}
                    Dialed::InvalidNumber => run.summary.invalid_numbers += 1,
                    Dialed::Stop(stop, error) => break 'run (stop, error),
                }
            }
            if allowed == 0 && !run.queue.is_empty() {
                sleep_until((Instant::now() + self.poll).min(deadlines.new_work)).await;
            }
        };
        self.finish(run, stopped, error)
    }

    /// The run's answer: the summary, logged, or the error that stopped it (the summary logged too).
    fn finish(&self, run: Run, stopped: StopReason, error: Option<DialerError>) -> Result<DialSummary, RunFailed> {
        let mut summary = run.summary;
        summary.stopped = stopped.name();
        if !summary.dry_run {
            summary.still_due = run.queue.len();
        }
        summary.waiting_for_agents = run.waiting.len();
        let closed = summary.dry_run
            || matches!(stopped, StopReason::OutsideCallingHours | StopReason::Holiday | StopReason::NoHolidayList);
        summary.stalled = !closed && summary.dialed == 0 && (summary.still_due > 0 || run.taken_up > 0);
        let detail = summary.detail.clone().unwrap_or_default();
        let s = &summary;
        let fields = (s.dialed, s.lost_answers, s.no_answer, s.retries_scheduled, s.invalid_numbers, s.opted_out);
        let (dialed, lost_answers, no_answer, retries_scheduled, invalid_numbers, opted_out) = fields;
        match &error {
            None => tracing::info!(
                campaign = s.campaign,
                stopped = s.stopped,
                detail,
                dialed,
                lost_answers,
                no_answer,
                retries_scheduled,
                invalid_numbers,
                opted_out,
                waiting_for_agents = s.waiting_for_agents,
                uncertain = s.uncertain,
                claimed_elsewhere = s.claimed_elsewhere,
                outside_their_hours = s.outside_their_hours,
                unknown_time_zone = s.unknown_time_zone,
                rows_read = s.rows_read,
                still_due = s.still_due,
                stalled = s.stalled,
                "run finished"
            ),
            Some(e) => tracing::error!(
                campaign = s.campaign, stopped = s.stopped, error = %mask_numbers(&error_chain(e)), dialed, lost_answers,
                no_answer, retries_scheduled, invalid_numbers, opted_out, waiting_for_agents = s.waiting_for_agents,
                uncertain = s.uncertain, rows_read = s.rows_read, still_due = s.still_due, stalled = s.stalled,
                "run failed"
            ),
        }
        match error {
            None => Ok(summary),
            Some(error) => Err(RunFailed { summary: Box::new(summary), error }),
        }
    }

    /// How many rows are still to call, for the metrics: a failure costs the figure, not the run.
    pub(crate) async fn rows_pending(&self, deadlines: Deadlines) -> Option<u64> {
        match timeout_at(deadlines.calls, self.table.pending_count(&self.campaign)).await {
            Ok(Ok(count)) => Some(count),
            Ok(Err(e)) => {
                tracing::warn!(error = %error_chain(&e), "rows pending not counted");
                None
            }
            Err(_) => None,
        }
    }

    /// The stored holiday list, or why there is none: without it no call is safe.
    async fn holiday_list(&self, deadlines: Deadlines) -> Result<HolidayIndex, String> {
        let body = match timeout_at(deadlines.calls, self.holidays.load(None)).await {
            Ok(Ok(Stored::Current { body, .. })) => body,
            Ok(Ok(Stored::Missing | Stored::NotModified)) => return Err("the holiday list is missing".to_owned()),
            Ok(Err(e)) => return Err(format!("the holiday list is unreadable: {}", error_chain(&e))),
            Err(_) => return Err("the holiday list did not load in time".to_owned()),
        };
        let document = HolidayDocument::from_json(&body).map_err(|e| format!("the holiday list is not valid: {e}"))?;
        let site = document.site(&self.site).ok_or_else(|| format!("the holiday list has no site {:?}", self.site))?;
        Ok(HolidayIndex::new(site))
    }

    /// Claims a due row for an attempt, places its call and records the contact.
    async fn dial(
        &self,
        row: CampaignRow,
        hold_until: DateTime<Utc>,
        deadlines: Deadlines,
        summary: &mut DialSummary,
    ) -> Dialed {
        let (row, claimed, call) = match self.claim(row, hold_until, deadlines, summary).await {
            Claim::Ready { row, claimed, call } => (row, claimed, call),
            Claim::Not(dialed) => return dialed,
        };
        let number = mask(&row.phone_number);
        let now = self.clock.now();
        let placed = timeout_at(deadlines.calls, self.calls.place(&call)).await;
        match placed {
            Ok(Ok(contact_id)) => {
                tracing::info!(number, contact_id, attempt = claimed.attempts, "call placed");
                let recorded = claimed.placed(&contact_id);
                let write = self.table.update(&self.campaign, &row.phone_number, &claimed, &recorded);
                let written = timeout_at(deadlines.writes, write).await;
                let call = PlacedCall { contact_id, phone_number: row.phone_number.clone(), state: recorded };
                match written {
                    // `false`: the customer answered before the write; their answer stands.
                    Ok(Ok(_)) => Dialed::Placed(call),
                    // The row stays claimed with its token: the next run re-sends it and gets this contact.
                    Ok(Err(e)) => Dialed::Stop(StopReason::TableUnavailable, Some(self.table_error(e))),
                    Err(_) => Dialed::Stop(StopReason::Deadline, None),
                }
            }
            Ok(Err((DialFailure::DestinationRefused, e))) => {
                let message = mask_numbers(&error_chain(&e));
                tracing::warn!(number, error = message, "Connect will not dial this number; set to failed to dial");
                let failed = claimed.failed("Connect refused the destination (DestinationNotAllowedException)", now);
                self.write(&row.phone_number, &claimed, &failed, deadlines).await;
                Dialed::InvalidNumber
            }
            Ok(Err((DialFailure::Refused(refusal), e))) => {
                // Nothing was placed and nothing is the customer's fault: the row goes back as it was.
                let message = mask_numbers(&error_chain(&e));
                self.write(&row.phone_number, &claimed, &row.state, deadlines).await;
                summary.detail = Some(message.clone());
                let error = DialerError::Refused { campaign: self.campaign.to_string(), refusal, message };
                Dialed::Stop(StopReason::CallRefused, Some(error))
            }
            Ok(Err((DialFailure::Uncertain, e))) => {
                summary.uncertain += 1;
                let message = mask_numbers(&error_chain(&e));
                summary.detail = Some(message.clone());
                let error = DialerError::Uncertain { campaign: self.campaign.to_string(), message };
                Dialed::Stop(StopReason::CallUncertain, Some(error))
            }
            Err(_) => {
                tracing::warn!(number, "no answer from Connect before the deadline; left claimed for the next run");
                summary.uncertain += 1;
                Dialed::Stop(StopReason::Deadline, None)
            }
        }
    }

    /// Asks Connect how placed calls are doing: calls that reached an agent are talk now (unless
    /// the flow recorded the answer already), calls that ended without reaching one are due
    /// again later (or final), the rest (and any Connect could not tell) still wait.
    async fn check_placed(&self, run: &mut Run, deadlines: Deadlines) {
        let checked: Vec<(PlacedCall, Option<CallState>)> = futures_util::stream::iter(std::mem::take(&mut run.waiting))
            .map(|call| async move {
                let state = match timeout_at(deadlines.calls, self.calls.call_state(&call.contact_id)).await {
                    Ok(Ok(state)) => Some(state),
                    Ok(Err(e)) => {
                        tracing::warn!(contact_id = call.contact_id, error = %mask_numbers(&error_chain(&e)), "call state unknown; still waiting");
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
                // The customer talked to an agent: talk now, even where the flow's answer was not
                // written (a row still on this call); an answer the recorder wrote stays.
                Some(CallState::WithAgent) => {
                    let talked = call.state.settled(RowStatus::TalkNow, self.clock.now());
                    self.write(&call.phone_number, &call.state, &talked, deadlines).await;
                }
                Some(CallState::Ended) => {
                    // Only a row still on this call: an answer recorded in the flow stays.
                    let unanswered = call.state.unanswered(self.clock.now(), self.retry);
                    if self.write(&call.phone_number, &call.state, &unanswered, deadlines).await {
                        run.summary.no_answer += 1;
                        run.summary.retries_scheduled += u32::from(unanswered.to_call_at.is_some());
                    }
                }
                Some(CallState::Waiting) | None => run.waiting.push(call),
            }
        }
    }

    /// A bookkeeping write; `true` when written. A failure is logged and left for a later run,
    /// which finds the row as it was.
    pub(crate) async fn write(
        &self,
        phone_number: &str,
        seen: &CampaignState,
        new: &CampaignState,
        deadlines: Deadlines,
    ) -> bool {
        let write = self.table.update(&self.campaign, phone_number, seen, new);
        match timeout_at(deadlines.writes, write).await {
            Ok(Ok(written)) => written,
            Ok(Err(e)) => {
                tracing::error!(number = mask(phone_number), status = new.status.code(), error = %mask_numbers(&error_chain(&e)), "row not updated");
                false
            }
            Err(_) => {
                tracing::error!(number = mask(phone_number), status = new.status.code(), "row update timed out");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::metrics;
    use connect_aws::Env;
    use connect_core::campaign::Refusal;
    use connect_core::holidays::{Holiday, SiteHolidays};
    use connect_core::phone::CallerNumber;
    use connect_fakes::{
        FakeCampaignRequests, FakeCampaignTable, FakeClock, FakeDoNotCall, FakeOutbound, FakeRow, FakeStore,
        FakeTokens, loaded_at,
    };
    use lambda_runtime::Diagnostic;

    const A: &str = "+819011110001";
    const B: &str = "+819011110002";
    const C: &str = "+819011110003";
    const MINUTE: Duration = Duration::from_secs(60);
    /// Friday 2026-12-04, 10:00 in Tokyo.
    const FRIDAY_MORNING: &str = "2026-12-04T01:00:00Z";
    type Dialer = CampaignDialer<
        FakeCampaignTable,
        FakeOutbound,
        FakeStore,
        FakeDoNotCall,
        FakeTokens,
        FakeClock,
        FakeCampaignRequests,
    >;

    fn holiday_list(dates: &[(&str, &str)]) -> Vec<u8> {
        let mut holidays: Vec<Holiday> = dates.iter().map(|(d, n)| Holiday::new(d.parse().unwrap(), *n)).collect();
        // Friday 2026-12-04 closes early, from 17:00
        holidays.push(Holiday {
            closed: "17:00-24:00".parse().ok(),
            closure: true,
            ..Holiday::new("2026-12-04".parse().unwrap(), "早仕舞い")
        });
        holidays.sort_by_key(|h| h.date);
        let site = SiteHolidays {
            name: "default".into(),
            time_zone: Some("Asia/Tokyo".into()),
            sources: vec!["test".into()],
            holidays,
        };
        HolidayDocument::single(loaded_at(), site).to_json()
    }

    fn dialer_at(
        now: &str,
        rows: FakeCampaignTable,
        calls: FakeOutbound,
        extra: &[(&'static str, &'static str)],
    ) -> Dialer {
        let pairs = [
            ("CUSTOMERS_TABLE", "customers"),
            ("CAMPAIGN", "spring"),
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("CONTACT_FLOW_ID", "flow-1"),
            ("QUEUE_ID", "q-1"),
            ("HOLIDAY_BUCKET", "holidays"),
        ]
        .into_iter()
        .chain(extra.iter().copied());
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        let holidays = FakeStore::holding(holiday_list(&[("2026-12-31", "年末休業"), ("2027-01-01", "元日")]));
        let ports = Ports {
            table: rows,
            calls,
            campaign_requests: FakeCampaignRequests::default(),
            holidays,
            do_not_call: FakeDoNotCall::default(),
            tokens: FakeTokens::default(),
            clock: FakeClock::at(now),
        };
        CampaignDialer::new(&config, ports)
    }

    fn dialer(rows: FakeCampaignTable, calls: FakeOutbound, extra: &[(&'static str, &'static str)]) -> Dialer {
        dialer_at(FRIDAY_MORNING, rows, calls, extra)
    }

    fn destinations(d: &Dialer) -> Vec<String> {
        d.calls.placed().iter().map(|c| c.destination.as_e164().to_owned()).collect()
    }

    fn attempt(d: &Dialer, number: &str) -> Option<String> {
        d.table.state(number)?.attempt
    }

    fn failure(result: Result<DialSummary, RunFailed>) -> (String, String) {
        let diagnostic = Diagnostic::from(result.unwrap_err());
        (diagnostic.error_type, diagnostic.error_message)
    }

    #[tokio::test(start_paused = true)]
    async fn dials_every_due_customer_with_a_token_of_its_own() {
        let rows = FakeCampaignTable::pending(&[A, B]);
        let answered = CampaignState::pending(loaded_at()).settled(RowStatus::TalkNow, loaded_at());
        rows.put(C, FakeRow { state: Some(answered), ..FakeRow::default() });
        rows.put("+819011110009", FakeRow::default());
        let d = dialer(rows, FakeOutbound::with_available(5), &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.dialed, summary.still_due, summary.stopped), (2, 0, "nothing_due"));
        assert_eq!((summary.waiting_for_agents, summary.rows_read), (2, 2), "answered and unlisted rows are not read");
        assert_eq!(destinations(&d), [A, B]);
        let call = &d.calls.placed()[0];
        assert_eq!(call.client_token, "token-1");
        assert_eq!(
            call.attributes,
            [
                ("campaign".to_owned(), "spring".to_owned()),
                ("dialedAt".to_owned(), "2026-12-04T01:00:00.000Z".to_owned()),
                ("attempt".to_owned(), "token-1".to_owned()),
            ]
        );
        let state = d.table.state(A).unwrap();
        assert_eq!(
            (state.status, state.attempt.as_deref(), state.contact_id.as_deref(), state.attempts),
            (RowStatus::Dialing, Some("token-1"), Some("contact-1"), 1)
        );
        assert_eq!(state.to_call_at, Some("2026-12-04T01:01:00Z".parse().unwrap()), "held until the run is over");
        assert_eq!(attempt(&d, B).as_deref(), Some("token-2"));
    }

    #[tokio::test(start_paused = true)]
    async fn callers_already_waiting_in_the_queue_take_free_agents_first() {
        let calls = FakeOutbound::with_available(3);
        calls.set_in_queue(3);
        let d = dialer(FakeCampaignTable::pending(&[A, B, C]), calls, &[("POLL_SECONDS", "5")]);
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(12)).await;
            assert!(destinations(&d).is_empty(), "three agents, three callers waiting: nobody rung");
            d.calls.set_in_queue(2);
            tokio::time::sleep(Duration::from_secs(6)).await;
            assert_eq!(destinations(&d), [A], "one caller answered: one agent for one customer");
        });
        assert_eq!(summary.unwrap().dialed, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn with_one_free_agent_the_second_call_waits_until_the_metric_allows() {
        let d =
            dialer(FakeCampaignTable::pending(&[A, B, C]), FakeOutbound::with_available(1), &[("POLL_SECONDS", "5")]);
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
        assert_eq!((summary.stopped, summary.still_due, summary.waiting_for_agents), ("deadline", 1, 2));
        assert!(started.elapsed() <= Duration::from_secs(50), "stopped 10 s before the deadline");
        assert!(d.calls.metric_reads() >= 10, "polled every 5 s: {}", d.calls.metric_reads());
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_call_frees_its_agent_and_is_due_again_after_the_wait() {
        let d = dialer(FakeCampaignTable::pending(&[A, B]), FakeOutbound::with_available(1), &[]);
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(12)).await;
            assert_eq!(destinations(&d), [A]);
            d.calls.set_state(&FakeOutbound::contact_id(0), CallState::Ended);
        });
        let summary = summary.unwrap();
        assert_eq!(destinations(&d), [A, B]);
        let state = d.table.state(A).unwrap();
        assert_eq!((state.status, state.attempts), (RowStatus::NoAnswer, 1));
        assert_eq!(state.to_call_at, Some("2026-12-04T02:00:00Z".parse().unwrap()), "RETRY_AFTER_MINUTES=60");
        assert_eq!((summary.no_answer, summary.retries_scheduled, summary.stopped), (1, 1, "nothing_due"));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_come_at_the_right_time_and_no_more_than_allowed() {
        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(1), &[("MAX_ATTEMPTS", "2")]);
        let ring_out = |n: usize| d.calls.set_state(&FakeOutbound::contact_id(n), CallState::Ended);
        d.run(MINUTE).await.unwrap();
        ring_out(0);
        d.clock.advance(chrono::Duration::minutes(2));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.no_answer, summary.dialed, summary.retries_scheduled), (1, 0, 1), "settled, not yet due");
        d.clock.advance(chrono::Duration::minutes(30));
        assert_eq!(d.run(MINUTE).await.unwrap().rows_read, 0, "half an hour later: nothing due");
        d.clock.advance(chrono::Duration::minutes(29));
        assert_eq!(d.run(MINUTE).await.unwrap().dialed, 0, "59 minutes after the no answer: not yet");
        d.clock.advance(chrono::Duration::minutes(1));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(summary.dialed, 1, "an hour after the no answer: {summary:?}");
        assert_eq!(d.calls.placed()[1].client_token, "token-2", "a new attempt gets a new token");
        ring_out(1);
        d.clock.advance(chrono::Duration::minutes(2));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.no_answer, summary.retries_scheduled), (1, 0), "the last attempt is final");
        let state = d.table.state(A).unwrap();
        assert_eq!((state.status, state.attempts, state.to_call_at), (RowStatus::NoAnswer, 2, None));
        d.clock.advance(chrono::Duration::days(2));
        d.run(MINUTE).await.unwrap();
        assert_eq!(destinations(&d), [A, A], "two attempts, never a third");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answered_call_keeps_its_choice() {
        let d = dialer(FakeCampaignTable::pending(&[A, B]), FakeOutbound::with_available(1), &[]);
        let (summary, ()) = tokio::join!(d.run(MINUTE), async {
            tokio::time::sleep(Duration::from_secs(7)).await;
            // the customer pressed 1, was put through, and the call is over
            let mut row = d.table.row(A).unwrap();
            if let Some(state) = row.state.as_mut() {
                *state = state.settled(RowStatus::TalkNow, loaded_at());
            }
            d.table.put(A, row);
            d.calls.set_state(&FakeOutbound::contact_id(0), CallState::Ended);
        });
        assert_eq!(d.table.status(A), Some(RowStatus::TalkNow));
        assert_eq!(destinations(&d), [A, B]);
        assert_eq!(summary.unwrap().no_answer, 0);
    }

    /// GIVEN a customer who pressed 1 and was put through, but whose answer the recorder could
    /// not write (the row still says dialing); WHEN the next run asks Connect about the call and
    /// it reached an agent; THEN the row is talk now, out of the index: the customer who talked to
    /// an agent is not called again as if nobody had answered.
    #[tokio::test(start_paused = true)]
    async fn a_call_that_reached_an_agent_is_talk_now_even_when_the_answer_was_not_written() {
        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(1), &[]);
        d.run(MINUTE).await.unwrap();
        assert_eq!(d.table.status(A), Some(RowStatus::Dialing));
        d.calls.set_state(&FakeOutbound::contact_id(0), CallState::WithAgent);
        d.clock.advance(chrono::Duration::minutes(2));
        let summary = d.run(MINUTE).await.unwrap();
        let state = d.table.state(A).unwrap();
        assert_eq!((state.status, state.to_call_at), (RowStatus::TalkNow, None), "{summary:?}");
        assert_eq!(state.contact_id.as_deref(), Some("contact-1"));
        d.clock.advance(chrono::Duration::days(1));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.rows_read, destinations(&d).len()), (0, 1), "never read or called again");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_deadline_with_nobody_free() {
        let d = dialer(FakeCampaignTable::pending(&[A, B]), FakeOutbound::with_available(0), &[]);
        let started = Instant::now();
        let summary = d.run(Duration::from_secs(20)).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed, summary.still_due), ("deadline", 0, 2));
        assert_eq!(started.elapsed(), Duration::from_secs(15), "a quarter of 20 s kept back");
        assert_eq!(d.calls.metric_reads(), 3, "at 0, 5 and 10 s");

        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::default(), &[]);
        let summary = d.run(Duration::from_secs(20)).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed), ("deadline", 0), "an unknown metric dials nobody");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_max_calls_and_reads_page_by_page_within_a_bound() {
        let numbers: Vec<String> = (0..30).map(|i| format!("+8190111100{i:02}")).collect();
        let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let rows = FakeCampaignTable::pending(&refs);
        rows.set_page_size(4);
        let d = dialer(rows, FakeOutbound::with_available(100), &[("MAX_CALLS_PER_RUN", "6")]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed, summary.rows_read), ("max_calls", 6, 8), "{summary:?}");
        assert_eq!(d.table.pages(), 2, "read only the pages it dialed");
        // the last allowed call ends a page: no page more is read
        let rows = FakeCampaignTable::pending(&refs);
        rows.set_page_size(4);
        let d = dialer(rows, FakeOutbound::with_available(100), &[("MAX_CALLS_PER_RUN", "4")]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.dialed, d.table.pages()), ("max_calls", 4, 1), "{summary:?}");

        // rows it may not dial now (their own hours) are read, up to 10 per allowed call
        let rows = FakeCampaignTable::pending(&[]);
        for number in &refs {
            let state = Some(CampaignState::pending(loaded_at()));
            rows.put(number, FakeRow { state, time_zone: Some("America/New_York".into()), ..FakeRow::default() });
        }
        rows.set_page_size(4);
        let d = dialer(rows, FakeOutbound::with_available(100), &[("MAX_CALLS_PER_RUN", "1")]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.rows_read, summary.dialed), ("max_rows", 12, 0), "{summary:?}");
        assert_eq!(summary.outside_their_hours, 12, "20:00 the evening before in New York");
        // rows read and none dialed while agents were free: stalled, and measured so
        assert!(summary.stalled, "{summary:?}");
        assert_eq!(metrics(&Ok(summary)).value("CampaignStalled"), Some(1.0));
        // the skipped rows left the head of the index (due at 09:00 in New York): each run reads
        // the next ones, and once all are moved a run reads nothing
        let mut reads = Vec::new();
        for _ in 0..3 {
            reads.push(d.run(MINUTE).await.unwrap().rows_read);
        }
        assert_eq!(reads, [12, 6, 0], "the next rows, then nothing due");
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.stalled), ("nothing_due", false), "{summary:?}");
        let friday_nine_in_new_york = "2026-12-04T14:00:00Z".parse().ok();
        assert!(refs.iter().all(|n| d.table.state(n).unwrap().to_call_at == friday_nine_in_new_york));
    }

    #[tokio::test(start_paused = true)]
    async fn bad_numbers_are_marked_and_only_refused_destinations_with_them() {
        let d = dialer(FakeCampaignTable::pending(&["0311112222", A, B]), FakeOutbound::with_available(10), &[]);
        d.calls.fail_next_place(DialFailure::DestinationRefused);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(d.table.status("0311112222"), Some(RowStatus::FailedToDial), "never sent to Connect");
        assert_eq!(d.table.state("0311112222").unwrap().to_call_at, None);
        assert_eq!(d.table.status(A), Some(RowStatus::FailedToDial), "DestinationNotAllowed");
        assert_eq!(destinations(&d), [B]);
        assert_eq!((summary.invalid_numbers, summary.dialed, summary.stopped), (2, 1, "nothing_due"));
    }

    #[tokio::test(start_paused = true)]
    async fn each_run_is_measured_with_its_calls_pending_rows_and_whether_it_failed_or_stalled() {
        let d = dialer(FakeCampaignTable::pending(&[A, B, C]), FakeOutbound::with_available(2), &[]);
        let summary = d.run(Duration::from_secs(20)).await;
        let record = metrics(&summary);
        assert_eq!((record.get("Campaign"), record.get("Stopped")), (Some("spring"), Some("deadline")));
        let value = |name: &str| record.value(name).unwrap_or(-1.0);
        assert_eq!([value("CallsPlaced"), value("RowsPending"), value("CampaignRuns")], [2.0, 3.0, 1.0]);
        assert_eq!([value("CampaignRunsFailed"), value("CampaignStalled")], [0.0, 0.0]);
        assert_eq!(summary.unwrap().rows_pending, Some(3));

        let nobody_free = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(0), &[]);
        let record = metrics(&nobody_free.run(Duration::from_secs(20)).await);
        assert_eq!((record.value("CampaignStalled"), record.value("CallsPlaced")), (Some(1.0), Some(0.0)));

        let closed =
            dialer_at("2026-12-04T08:01:00Z", FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        let record = metrics(&closed.run(MINUTE).await);
        assert_eq!((record.get("Stopped"), record.value("CampaignStalled")), (Some("holiday"), Some(0.0)));
        assert_eq!(record.value("RowsPending"), None, "a closed run does not read the table");

        let refused = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        refused.calls.fail_next_place(DialFailure::Refused(Refusal::NotAllowed));
        let record = metrics(&refused.run(MINUTE).await);
        assert_eq!(
            (record.get("Stopped"), record.value("CampaignRunsFailed")),
            (Some("OutboundCallNotAllowed"), Some(1.0))
        );
        let runs = record.measure("CampaignRuns").unwrap();
        assert_eq!(runs.dimension_sets, vec![vec!["Campaign"], vec!["Campaign", "Stopped"]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_that_is_not_the_customers_changes_no_row_and_fails_the_run() {
        for (refusal, expected) in [
            (Refusal::Misconfigured, "OutboundCallMisconfigured"),
            (Refusal::NotAllowed, "OutboundCallNotAllowed"),
            (Refusal::QuotaExceeded, "OutboundCallQuotaExceeded"),
        ] {
            let d = dialer(FakeCampaignTable::pending(&[A, B, C]), FakeOutbound::with_available(10), &[]);
            let before: Vec<_> = [A, B, C].iter().map(|n| d.table.row(n)).collect();
            d.calls.fail_next_place(DialFailure::Refused(refusal));
            let (error_type, message) = failure(d.run(MINUTE).await);
            assert_eq!(error_type, expected);
            assert!(message.contains("no row changed"), "{message}");
            let after: Vec<_> = [A, B, C].iter().map(|n| d.table.row(n)).collect();
            assert_eq!(after, before, "every row as it was");
            assert!(d.calls.placed().is_empty(), "nobody else dialed after the refusal");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_answer_leaves_the_row_claimed_and_counts_as_unanswered_never_resent() {
        let d = dialer(FakeCampaignTable::pending(&[A, B]), FakeOutbound::with_available(10), &[]);
        d.calls.lose_responses(1);
        let (error_type, _) = failure(d.run(MINUTE).await);
        assert_eq!(error_type, "OutboundCallUncertain");
        assert_eq!(destinations(&d), [A], "Connect placed the call; the run stopped there");
        let state = d.table.state(A).unwrap();
        assert_eq!(
            (state.status, state.attempt.as_deref(), state.contact_id),
            (RowStatus::Dialing, Some("token-1"), None)
        );

        // a run while the claim is held leaves it alone
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.lost_answers, destinations(&d).len()), (0, 2), "B dialed; A's claim still held");

        // once the claim is over: unanswered as of the claim, not re-sent (a token whose call
        // has ended may ring the customer again)
        d.clock.advance(chrono::Duration::minutes(2));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.lost_answers, summary.retries_scheduled), (1, 1), "{summary:?}");
        assert_eq!(d.calls.requests(), 2, "A's token not sent again");
        let state = d.table.state(A).unwrap();
        assert_eq!((state.status, state.attempts), (RowStatus::NoAnswer, 1));
        assert_eq!(
            state.to_call_at,
            Some(FRIDAY_MORNING.parse::<DateTime<Utc>>().unwrap() + chrono::Duration::minutes(60)),
            "{state:?}"
        );

        // after the retry wait: a new attempt with a new token
        d.clock.advance(chrono::Duration::minutes(60));
        d.run(MINUTE).await.unwrap();
        assert_eq!(destinations(&d), [A, B, A]);
        let state = d.table.state(A).unwrap();
        assert_eq!((state.attempts, state.attempt.as_deref()), (2, Some("token-3")));
    }

    #[tokio::test(start_paused = true)]
    async fn two_runs_over_one_list_never_call_a_customer_twice() {
        let numbers = ["+819011110001", "+819011110002", "+819011110003", "+819011110004", "+819011110005"];
        // Nobody free at first, so both runs read the same due rows before either dials.
        let d = dialer(FakeCampaignTable::pending(&numbers), FakeOutbound::with_available(0), &[]);
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
    async fn earlier_runs_calls_are_settled_from_connect() {
        let table = FakeCampaignTable::pending(&[A]);
        let ten_to: DateTime<Utc> = "2026-12-04T00:50:00Z".parse().unwrap();
        let placed = |token: &str, id: &str| {
            let state = CampaignState::pending(loaded_at()).claimed(token.into(), ten_to, ten_to).placed(id);
            FakeRow { state: Some(state), ..FakeRow::default() }
        };
        table.put(B, placed("t-b", "old-ended"));
        table.put(C, placed("t-c", "old-ringing"));
        let calls = FakeOutbound::with_available(2);
        calls.set_state("old-ended", CallState::Ended);
        let d = dialer(table, calls, &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(d.table.status(B), Some(RowStatus::NoAnswer));
        assert_eq!(summary.no_answer, 1);
        // 2 agents, 1 earlier call still ringing: one more call
        assert_eq!(destinations(&d), [A]);
        assert_eq!((summary.stopped, summary.waiting_for_agents), ("nothing_due", 2));
    }

    #[tokio::test(start_paused = true)]
    async fn no_call_outside_calling_hours_or_on_a_holiday() {
        let early_close = "2026-12-04T08:01:00Z"; // Friday 17:01 in Tokyo, closed from 17:00
        let d = dialer_at(early_close, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.detail.as_deref()), ("holiday", Some("2026-12-04 17:00-24:00 早仕舞い")));
        let before = "2026-12-04T07:59:00Z"; // 16:59: still open
        let d = dialer_at(before, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        assert_eq!(d.run(MINUTE).await.unwrap().dialed, 1);
        let other_site =
            dialer_at(before, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[("SITE", "osaka")]);
        let summary = other_site.run(MINUTE).await.unwrap();
        assert_eq!(summary.stopped, "no_holiday_list", "a site the list does not have: {summary:?}");

        let evening = "2026-12-05T01:00:00Z"; // Saturday 10:00 in Tokyo
        let d = dialer_at(evening, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.rows_read), ("outside_calling_hours", 0));
        assert_eq!(summary.detail.as_deref(), Some("Mon-Fri 09:00-20:00 in Asia/Tokyo"));

        let new_years_eve = "2026-12-31T01:00:00Z";
        let d = dialer_at(new_years_eve, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, summary.detail.as_deref()), ("holiday", Some("2026-12-31 年末休業")));
        assert!(d.calls.placed().is_empty() && d.calls.metric_reads() == 0);

        for broken in [None, Some("AccessDenied"), Some("{not json")] {
            let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
            match broken {
                None => d.holidays.delete(),
                Some("{not json") => d.holidays.put("{not json"),
                Some(message) => d.holidays.fail_with(Some(message)),
            }
            let summary = d.run(MINUTE).await.unwrap();
            assert_eq!(summary.stopped, "no_holiday_list", "{broken:?}");
            assert!(summary.detail.as_deref().unwrap_or_default().starts_with("the holiday list is"), "{summary:?}");
            assert!(d.calls.placed().is_empty() && d.table.pages() == 0);
        }
    }

    /// GIVEN a site in New York whose list has Thursday 2026-12-03 as a holiday, the dialer's
    /// `TIME_ZONE` being Tokyo; WHEN it runs at Friday 10:00 in Tokyo (Thursday 20:00 in New York)
    /// and at Friday 15:00 in Tokyo (Friday 01:00 in New York); THEN the site's date decides, as
    /// holiday-check decides it for that site, while the calling hours stay in Tokyo's.
    #[tokio::test(start_paused = true)]
    async fn holidays_are_dated_in_the_sites_own_time_zone() {
        let site = |date: &str, time_zone: Option<&str>| {
            let site = SiteHolidays {
                name: "new-york".into(),
                time_zone: time_zone.map(str::to_owned),
                sources: vec!["test".into()],
                holidays: vec![Holiday::new(date.parse().unwrap(), "Thanksgiving (moved)")],
            };
            HolidayDocument::single(loaded_at(), site).to_json()
        };
        let site_env = [("SITE", "new-york"), ("CALLING_HOURS", "Mon-Sun 00:00-24:00")];
        let run = |now: &'static str, list: Vec<u8>| async move {
            let d = dialer_at(now, FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &site_env);
            d.holidays.put(list);
            let summary = d.run(MINUTE).await.unwrap();
            (summary.stopped, summary.dialed)
        };
        // Friday 10:00 in Tokyo is still Thursday, the holiday, in New York
        assert_eq!(run(FRIDAY_MORNING, site("2026-12-03", Some("America/New_York"))).await, ("holiday", 0));
        // Friday 2026-12-04 is a holiday in New York, where it is still Thursday: open
        assert_eq!(run(FRIDAY_MORNING, site("2026-12-04", Some("America/New_York"))).await, ("nothing_due", 1));
        assert_eq!(run("2026-12-04T06:00:00Z", site("2026-12-04", Some("America/New_York"))).await, ("holiday", 0));
        // a list without a zone (version 1) is dated in TIME_ZONE
        assert_eq!(run(FRIDAY_MORNING, site("2026-12-04", None)).await, ("holiday", 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_stops_dialing_when_the_hours_end() {
        let just_before = "2026-12-03T10:59:00Z"; // Thursday 19:59 in Tokyo
        let numbers = ["+819011110001", "+819011110002", "+819011110003"];
        let d = dialer_at(just_before, FakeCampaignTable::pending(&numbers), FakeOutbound::with_available(1), &[]);
        let (summary, ()) = tokio::join!(d.run(Duration::from_secs(600)), async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            d.clock.advance(chrono::Duration::minutes(1));
            d.calls.set_available(Some(5));
        });
        let summary = summary.unwrap();
        assert_eq!((summary.stopped, summary.dialed, summary.still_due), ("outside_calling_hours", 1, 2));
    }

    /// GIVEN calling hours 05:00-20:00 and, at Thursday 10:00 in Tokyo, a customer in New York
    /// (Wednesday 20:00 there) and one whose `timeZone` is no IANA name; THEN the first is not
    /// dialed but moved to the start of their next window (Thursday 05:00 in New York, 19:00 in
    /// Tokyo), where the next run dials them; the second ends failed to dial with the reason.
    #[tokio::test(start_paused = true)]
    async fn the_customers_own_time_zone_counts_and_an_unknown_one_is_not_guessed() {
        let rows = FakeCampaignTable::pending(&[A]);
        let in_zone = |tz: &str| FakeRow {
            state: Some(CampaignState::pending(loaded_at())),
            time_zone: Some(tz.into()),
            ..FakeRow::default()
        };
        rows.put(B, in_zone("America/New_York"));
        rows.put(C, in_zone("Tokio/Japan"));
        rows.put("+819011110004", in_zone("Asia/Seoul"));
        let thursday_morning = "2026-12-03T01:00:00Z";
        let hours = [("CALLING_HOURS", "Mon-Fri 05:00-20:00")];
        let d = dialer_at(thursday_morning, rows, FakeOutbound::with_available(5), &hours);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!(destinations(&d), [A, "+819011110004"]);
        assert_eq!((summary.outside_their_hours, summary.unknown_time_zone), (1, 1));
        let b = d.table.state(B).unwrap();
        let their_five = "2026-12-03T10:00:00Z".parse().ok();
        assert_eq!((b.status, b.to_call_at, b.attempts), (RowStatus::Pending, their_five, 0), "moved, not dialed");
        let c = d.table.state(C).unwrap();
        assert_eq!(
            (c.status, c.to_call_at, c.reason.as_deref()),
            (RowStatus::FailedToDial, None, Some("unknown time zone: Tokio/Japan"))
        );
        assert_eq!(metrics(&Ok(summary)).value("CallsRefused"), Some(1.0), "rows set to -4");

        // until then no run reads B; at 05:00 in New York it is dialed
        d.clock.advance(chrono::Duration::hours(8));
        assert_eq!(d.run(MINUTE).await.unwrap().dialed, 0);
        d.clock.advance(chrono::Duration::hours(1));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.dialed, summary.outside_their_hours), (1, 0), "{summary:?}");
        assert_eq!(destinations(&d), [A, "+819011110004", B]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_number_on_the_do_not_call_list_or_row_is_never_dialed() {
        let rows = FakeCampaignTable::pending(&[A]);
        let state = Some(CampaignState::pending(loaded_at()));
        rows.put(B, FakeRow { state, do_not_call: true, ..FakeRow::default() });
        rows.put(C, FakeRow { state: Some(CampaignState::pending(loaded_at())), ..FakeRow::default() });
        let d = dialer(rows, FakeOutbound::with_available(5), &[]);
        d.do_not_call.add(&CallerNumber::parse(C).unwrap(), &d.campaign, loaded_at()).await.unwrap();
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((destinations(&d), summary.opted_out), (vec![A.to_owned()], 2));
        for number in [B, C] {
            let state = d.table.state(number).unwrap();
            assert_eq!((state.status, state.to_call_at), (RowStatus::OptedOut, None), "{number}");
        }

        // a list that cannot be read is no permission to call
        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(5), &[]);
        d.do_not_call.fail_with(Some("ProvisionedThroughputExceededException"));
        let (error_type, _) = failure(d.run(MINUTE).await);
        assert_eq!((error_type.as_str(), d.calls.placed().len()), ("CampaignTableUnavailable", 0));
        assert_eq!(d.table.status(A), Some(RowStatus::Pending));
    }

    #[tokio::test(start_paused = true)]
    async fn a_table_that_fails_fails_the_run_with_a_named_error() {
        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(1), &[]);
        d.table.fail_with(Some("AccessDeniedException"));
        let (error_type, message) = failure(d.run(MINUTE).await);
        assert_eq!(error_type, "CampaignTableUnavailable");
        assert!(message.contains("spring") && message.contains("AccessDenied"), "{message}");

        let d = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::with_available(1), &[]);
        d.table.fail_writes_with(Some("ProvisionedThroughputExceededException"));
        let (error_type, _) = failure(d.run(MINUTE).await);
        assert_eq!(error_type, "CampaignTableUnavailable");
        assert!(d.calls.placed().is_empty(), "no call without a claim");
    }

    #[test]
    fn the_summary_names_its_fields_in_camel_case() {
        let json = serde_json::to_value(DialSummary { stopped: "max_calls", ..DialSummary::default() }).unwrap();
        for key in [
            "dialed",
            "lostAnswers",
            "stillDue",
            "stopped",
            "waitingForAgents",
            "invalidNumbers",
            "noAnswer",
            "retriesScheduled",
            "optedOut",
            "claimedElsewhere",
            "outsideTheirHours",
            "unknownTimeZone",
            "uncertain",
            "rowsRead",
            "stalled",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
    }

    const V2: [(&str, &str); 2] = [("ENGINE", "campaigns-v2"), ("OUTBOUND_CAMPAIGN_ID", "c-spring")];

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_hands_due_rows_over_with_their_tokens_and_an_unanswered_one_is_retried() {
        let d = dialer(FakeCampaignTable::pending(&[A, B, C]), FakeOutbound::with_available(0), &V2);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.dialed, summary.stopped, d.campaign_requests.batches()), (3, "nothing_due", 1));
        assert!(d.calls.placed().is_empty() && d.calls.metric_reads() == 0, "the campaign dials, at its own pace");
        let handed = d.campaign_requests.handed();
        let expires = FRIDAY_MORNING.parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(60);
        assert!(handed.iter().all(|(_, at)| *at == expires), "expires after REQUEST_EXPIRY_MINUTES");
        let (first, _) = &handed[0];
        let attributes: std::collections::HashMap<_, _> = first.attributes.iter().cloned().collect();
        assert_eq!((attributes["campaign"].as_str(), attributes["attempt"].as_str()), ("spring", "token-1"));
        let state = d.table.state(A).unwrap();
        assert_eq!((state.status, state.attempt.as_deref()), (RowStatus::Dialing, Some("token-1")));
        assert_eq!(state.to_call_at, Some(expires + TimeDelta::minutes(30)), "held past the expiry");

        // B answered in the campaign's flow (the recorder wrote it); A and C never did
        let b = d.table.row(B).unwrap();
        let answered = b.state.as_ref().map(|s| s.settled(RowStatus::Email, s.updated_at.unwrap()));
        d.table.put(B, FakeRow { state: answered, ..b });
        assert_eq!(d.run(MINUTE).await.unwrap().dialed, 0, "claims held: nothing handed twice");
        d.clock.advance(chrono::Duration::minutes(91));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.lost_answers, summary.retries_scheduled, summary.dialed), (2, 2, 0), "{summary:?}");
        assert_eq!(d.table.state(A).unwrap().status, RowStatus::NoAnswer);
        assert_eq!(d.table.state(B).unwrap().status, RowStatus::Email, "an answer stands");
        assert_eq!(d.campaign_requests.handed().len(), 3, "not handed again before the retry wait");
    }

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_keeps_partial_failures_and_stops_when_the_campaign_is_full() {
        let d = dialer(FakeCampaignTable::pending(&[A, B, C]), FakeOutbound::default(), &V2);
        d.campaign_requests.refuse_number(B);
        d.campaign_requests.set_capacity(Some(1));
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.dialed, summary.invalid_numbers, summary.stopped), (1, 1, "campaign_busy"));
        assert!(summary.detail.as_deref().is_some_and(|d| d.contains("RequestThrottled")), "{summary:?}");
        let b = d.table.state(B).unwrap();
        assert_eq!(
            (b.status, b.reason.as_deref()),
            (RowStatus::FailedToDial, Some("the campaign refused the request (InvalidInput)"))
        );
        let c = d.table.state(C).unwrap();
        assert_eq!((c.status, c.attempts), (RowStatus::Pending, 0), "not taken: as it was, due again");
    }

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_a_refused_batch_changes_no_row_and_a_lost_one_stays_claimed() {
        let d = dialer(FakeCampaignTable::pending(&[A, B]), FakeOutbound::default(), &V2);
        d.campaign_requests.fail_next_batch(DialFailure::Refused(Refusal::Misconfigured));
        let (error_type, message) = failure(d.run(MINUTE).await);
        assert_eq!(error_type, "OutboundCallMisconfigured", "{message}");
        assert_eq!(d.table.state(A).unwrap().status, RowStatus::Pending);

        d.campaign_requests.fail_next_batch(DialFailure::Uncertain);
        let (error_type, _) = failure(d.run(MINUTE).await);
        assert_eq!(error_type, "OutboundCallUncertain");
        assert_eq!(d.table.state(A).unwrap().status, RowStatus::Dialing, "the campaign may hold it");
        assert_eq!(d.campaign_requests.handed().len(), 2, "taken, answer lost");
    }

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_hands_nothing_over_on_a_holiday() {
        let d = dialer_at("2026-12-31T01:00:00Z", FakeCampaignTable::pending(&[A]), FakeOutbound::default(), &V2);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.stopped, d.campaign_requests.batches()), ("holiday", 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_run_says_what_a_run_would_take_up_and_changes_nothing() {
        let d = dialer(
            FakeCampaignTable::pending(&[A, B, C]),
            FakeOutbound::with_available(5),
            &[("MAX_CALLS_PER_RUN", "2")],
        );
        let plan = d.handle(serde_json::json!({"dryRun": true}), MINUTE).await.unwrap();
        assert_eq!((plan.stopped, plan.still_due, plan.rows_read, plan.dialed), ("dry_run", 2, 3, 0), "{plan:?}");
        assert!(plan.dry_run && !plan.stalled);
        assert_eq!((d.table.writes(), d.calls.requests(), d.calls.metric_reads()), (0, 0, 0), "nothing touched");
        assert_eq!(serde_json::to_value(&plan).unwrap()["dryRun"], true);
        let closed = dialer_at("2026-12-31T01:00:00Z", FakeCampaignTable::pending(&[A]), FakeOutbound::default(), &[]);
        let plan = closed.handle(serde_json::json!({"dryRun": true}), MINUTE).await.unwrap();
        assert_eq!((plan.stopped, plan.dry_run), ("holiday", true), "a dry run says why nothing would be dialed");
        let run = d.handle(serde_json::json!({"dryRun": false}), MINUTE).await.unwrap();
        assert_eq!(run.dialed, 2, "anything else is a run");
    }

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_still_settles_calls_the_direct_engine_placed_before_the_switch() {
        let table = FakeCampaignTable::pending(&[B]);
        let placed =
            CampaignState::pending(loaded_at()).claimed("t-0".into(), loaded_at(), loaded_at()).placed("contact-9");
        table.put(A, FakeRow { state: Some(placed), ..FakeRow::default() });
        let calls = FakeOutbound::default();
        calls.set_state("contact-9", CallState::Ended);
        let d = dialer(table, calls, &V2);
        let summary = d.run(MINUTE).await.unwrap();
        assert_eq!((summary.no_answer, summary.dialed), (1, 1), "{summary:?}");
        assert_eq!(d.table.state(A).unwrap().status, RowStatus::NoAnswer);
        assert_eq!(d.campaign_requests.handed().len(), 1, "B handed over, A not");
    }

    #[tokio::test(start_paused = true)]
    async fn campaigns_v2_requests_expire_when_the_calling_hours_end_at_the_latest() {
        let long = [V2[0], V2[1], ("REQUEST_EXPIRY_MINUTES", "1440")];
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let expiry = |d: &Dialer| d.campaign_requests.handed().first().map(|(_, at)| *at);
        // Thursday 19:30 in Tokyo: the hours end at 20:00
        let evening =
            dialer_at("2026-12-03T10:30:00Z", FakeCampaignTable::pending(&[A]), FakeOutbound::default(), &long);
        evening.run(MINUTE).await.unwrap();
        assert_eq!(expiry(&evening), Some(at("2026-12-03T11:00:00Z")));
        // Friday 10:00: the site closes early at 17:00
        let friday = dialer(FakeCampaignTable::pending(&[A]), FakeOutbound::default(), &long);
        friday.run(MINUTE).await.unwrap();
        assert_eq!(expiry(&friday), Some(at("2026-12-04T08:00:00Z")));
    }
}
