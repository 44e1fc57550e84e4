//! Which rows a run takes up, and whether now: the center's day and hour, the customer's own
//! hours, the due rows of the to-call index page by page (and a dry run's count of them), and
//! the checks and claim before a row's attempt. Both engines share them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use connect_core::assignments::stored_time;
use connect_core::campaign::{
    ATTEMPT_ATTRIBUTE, CAMPAIGN_ATTRIBUTE, CampaignRow, DIALED_AT_ATTRIBUTE, NextStep, RowStatus, StopReason, next_step,
};
use connect_core::holidays::HolidayIndex;
use connect_core::phone::{CallerNumber, mask, mask_numbers};
use connect_core::ports::{
    AttemptTokens, CallRequest, CampaignRequests, CampaignTable, Clock, DoNotCallList, HolidayStore, OutboundCalls,
    RowPage,
};
use tokio::time::{Instant, timeout_at};

use crate::handler::{
    CampaignDialer, Claim, Deadlines, DialSummary, Dialed, DialerError, PlacedCall, ROWS_PER_CALL, Run, TheirHours,
};

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
    /// Why the center takes no calls now, with the holiday's name: a holiday, a closure or an
    /// early close of the site's list, dated in the site's own time zone as holiday-check dates
    /// it (`TIME_ZONE` for a list that gives none), or outside the calling hours in `TIME_ZONE`.
    pub(crate) fn closed(&self, holidays: &HolidayIndex) -> Option<(StopReason, Option<String>)> {
        let now = self.clock.now();
        let site_zone = holidays.time_zone().unwrap_or(self.time_zone);
        if let Some(closed) = holidays.closed_at(now, site_zone) {
            let holiday = closed.holiday;
            let window = holiday.closed.map(|w| format!(" {w}")).unwrap_or_default();
            return Some((StopReason::Holiday, Some(format!("{}{window} {}", holiday.date, holiday.name))));
        }
        let open = self.hours.open_until(now, self.time_zone).is_some();
        (!open).then(|| (StopReason::OutsideCallingHours, Some(format!("{} in {}", self.hours, self.time_zone))))
    }

    /// A dry run's reading: the due rows a run would take up now (`stillDue`, at most
    /// `MAX_CALLS_PER_RUN`), reading no more rows than a run may; nothing is written.
    pub(crate) async fn plan(&self, run: &mut Run, deadlines: Deadlines) -> Result<(), DialerError> {
        let now = self.clock.now();
        let mut due = 0u32;
        let mut next: Option<String> = None;
        loop {
            let page = self.due_page(now, next.as_deref(), deadlines).await?;
            run.summary.rows_read =
                run.summary.rows_read.saturating_add(u32::try_from(page.rows.len()).unwrap_or(u32::MAX));
            due = due.saturating_add(
                u32::try_from(page.rows.iter().filter(|r| next_step(r, now, self.retry) == NextStep::Dial).count())
                    .unwrap_or(u32::MAX),
            );
            next = page.next;
            if next.is_none()
                || due >= self.max_calls
                || run.summary.rows_read >= self.max_calls.saturating_mul(ROWS_PER_CALL)
            {
                break;
            }
        }
        run.summary.still_due = usize::try_from(due.min(self.max_calls)).unwrap_or(usize::MAX);
        run.summary.rows_pending = self.rows_pending(deadlines).await;
        Ok(())
    }

    /// Before taking up more rows, for either engine: `None` to go on, with due rows in the
    /// queue (the next page read when it ran empty), or why the run stops.
    pub(crate) async fn more_rows(
        &self,
        run: &mut Run,
        holidays: &HolidayIndex,
        deadlines: Deadlines,
    ) -> Option<(StopReason, Option<DialerError>)> {
        loop {
            if run.summary.dialed >= self.max_calls {
                return Some((StopReason::MaxCalls, None));
            }
            if !run.queue.is_empty() || run.read_all {
                break;
            }
            if run.summary.rows_read >= self.max_calls.saturating_mul(ROWS_PER_CALL) {
                return Some((StopReason::MaxRows, None));
            }
            if let Err(e) = self.read_page(run, deadlines).await {
                return Some((StopReason::TableUnavailable, Some(e)));
            }
        }
        if run.queue.is_empty() {
            return Some((StopReason::NothingDue, None));
        }
        if Instant::now() >= deadlines.new_work {
            return Some((StopReason::Deadline, None));
        }
        let (stop, detail) = self.closed(holidays)?;
        run.summary.detail = detail;
        Some((stop, None))
    }

    /// One page of the to-call index's rows due by `now`, within the run's time for calls.
    async fn due_page(
        &self,
        now: DateTime<Utc>,
        after: Option<&str>,
        deadlines: Deadlines,
    ) -> Result<RowPage, DialerError> {
        match timeout_at(deadlines.calls, self.table.due_rows(&self.campaign, now, after)).await {
            Ok(Ok(page)) => Ok(page),
            Ok(Err(e)) => Err(self.table_error(e)),
            Err(_) => Err(self.table_error(std::io::Error::other("no page of due rows before the deadline"))),
        }
    }

    /// Reads the next page of due rows and sorts them: to dial, to check, or bookkeeping.
    pub(crate) async fn read_page(&self, run: &mut Run, deadlines: Deadlines) -> Result<(), DialerError> {
        let now = self.clock.now();
        let page = self.due_page(now, run.next_page.as_deref(), deadlines).await?;
        run.read_all = page.next.is_none();
        run.next_page = page.next;
        run.summary.rows_read =
            run.summary.rows_read.saturating_add(u32::try_from(page.rows.len()).unwrap_or(u32::MAX));
        for row in page.rows {
            let phone_number = row.phone_number.clone();
            match next_step(&row, now, self.retry) {
                NextStep::Dial => run.queue.push_back(row),
                NextStep::Lost => {
                    let lost = row.state.lost(now, self.retry);
                    if self.write(&phone_number, &row.state, &lost, deadlines).await {
                        tracing::warn!(
                            number = mask(&phone_number),
                            attempt = row.state.attempts,
                            due = lost.to_call_at.map(stored_time),
                            "an earlier attempt's contact was never learned; counted as unanswered, not re-sent"
                        );
                        run.summary.lost_answers += 1;
                        run.summary.retries_scheduled += u32::from(lost.to_call_at.is_some());
                    }
                }
                NextStep::Check { contact_id } => {
                    run.waiting.push(PlacedCall { contact_id, phone_number, state: row.state });
                }
                NextStep::Later(at) => {
                    self.write(&phone_number, &row.state, &row.state.due_at(Some(at)), deadlines).await;
                }
                NextStep::Done => {
                    self.write(&phone_number, &row.state, &row.state.due_at(None), deadlines).await;
                }
                NextStep::OptOut => {
                    let opted_out = row.state.settled(RowStatus::OptedOut, now);
                    if self.write(&phone_number, &row.state, &opted_out, deadlines).await {
                        tracing::info!(
                            number = mask(&phone_number),
                            "DO_NOT_CALL is set; marked opted out, not dialed"
                        );
                        run.summary.opted_out += 1;
                    }
                }
                NextStep::Skip => {}
            }
        }
        Ok(())
    }

    pub(crate) fn table_error(&self, source: impl std::error::Error + Send + Sync + 'static) -> DialerError {
        DialerError::Table { campaign: self.campaign.to_string(), source: Box::new(source) }
    }

    /// Whether it is inside calling hours in the customer's own time zone (the center's when
    /// the row has none), and if not, when their next window starts.
    pub(crate) fn their_hours(&self, row: &CampaignRow) -> TheirHours {
        let tz = match &row.time_zone {
            None => self.time_zone,
            Some(name) => match name.parse::<Tz>() {
                Ok(tz) => tz,
                Err(_) => return TheirHours::UnknownZone(name.clone()),
            },
        };
        let now = self.clock.now();
        match self.hours.open_until(now, tz) {
            Some(_) => TheirHours::Open,
            None => TheirHours::Closed(self.hours.next_open(now, tz)),
        }
    }

    /// Checks a due row (a number, the customer's own hours, the do-not-call list) and claims it
    /// for a new attempt with its own token: the call to place, or what became of the row.
    pub(crate) async fn claim(
        &self,
        row: CampaignRow,
        hold_until: DateTime<Utc>,
        deadlines: Deadlines,
        summary: &mut DialSummary,
    ) -> Claim {
        let number = mask(&row.phone_number);
        let now = self.clock.now();
        let Some(customer) = CallerNumber::parse(&row.phone_number) else {
            tracing::warn!(number, "not an E.164 number; set to failed to dial");
            let failed = row.state.failed("not an E.164 number", now);
            return Claim::Not(match self.write(&row.phone_number, &row.state, &failed, deadlines).await {
                true => Dialed::InvalidNumber,
                false => Dialed::Skipped,
            });
        };
        match self.their_hours(&row) {
            TheirHours::Open => {}
            // Never dialed outside their hours, and never left at the head of the index, where
            // such rows would fill every run's reads: due again when their next window opens.
            TheirHours::Closed(next) => {
                summary.outside_their_hours += 1;
                match next {
                    Some(at) => {
                        let moved = row.state.due_at(Some(at));
                        if self.write(&row.phone_number, &row.state, &moved, deadlines).await {
                            tracing::info!(number, time_zone = row.time_zone, due = %stored_time(at), "outside their own calling hours; due at their next window");
                        }
                    }
                    None => tracing::warn!(
                        number,
                        time_zone = row.time_zone,
                        "outside their own calling hours; no next window found"
                    ),
                }
                return Claim::Not(Dialed::Skipped);
            }
            TheirHours::UnknownZone(name) => {
                // the customer's data, kept as they wrote it but for anything like a number
                let name = mask_numbers(&name);
                tracing::warn!(number, time_zone = name, "timeZone is not an IANA time zone; set to failed to dial");
                let failed = row.state.failed(&format!("unknown time zone: {name}"), now);
                summary.unknown_time_zone +=
                    u32::from(self.write(&row.phone_number, &row.state, &failed, deadlines).await);
                return Claim::Not(Dialed::Skipped);
            }
        }
        match timeout_at(deadlines.calls, self.do_not_call.contains(&row.phone_number)).await {
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => {
                tracing::info!(number, "on the do-not-call list; marked opted out, not dialed");
                let opted_out = row.state.settled(RowStatus::OptedOut, now);
                summary.opted_out += u32::from(self.write(&row.phone_number, &row.state, &opted_out, deadlines).await);
                return Claim::Not(Dialed::Skipped);
            }
            // Not knowing is not permission to call.
            Ok(Err(e)) => return Claim::Not(Dialed::Stop(StopReason::TableUnavailable, Some(self.table_error(e)))),
            Err(_) => return Claim::Not(Dialed::Stop(StopReason::Deadline, None)),
        }
        let claimed = row.state.claimed(self.tokens.new_token(), now, hold_until);
        match timeout_at(deadlines.calls, self.table.update(&self.campaign, &row.phone_number, &row.state, &claimed))
            .await
        {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                summary.claimed_elsewhere += 1;
                return Claim::Not(Dialed::Skipped);
            }
            Ok(Err(e)) => return Claim::Not(Dialed::Stop(StopReason::TableUnavailable, Some(self.table_error(e)))),
            Err(_) => return Claim::Not(Dialed::Stop(StopReason::Deadline, None)),
        }
        let Some(token) = claimed.attempt.clone() else { return Claim::Not(Dialed::Skipped) };
        let call = CallRequest {
            client_token: token.clone(),
            destination: customer,
            attributes: vec![
                (CAMPAIGN_ATTRIBUTE.to_owned(), self.campaign.to_string()),
                (DIALED_AT_ATTRIBUTE.to_owned(), stored_time(now)),
                // The recorder writes the answer while the row is on this attempt.
                (ATTEMPT_ATTRIBUTE.to_owned(), token),
            ],
        };
        Claim::Ready { row, claimed, call }
    }
}
