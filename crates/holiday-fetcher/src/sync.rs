//! Keeping Connect in step with the published list: each site's hours-of-operation overrides,
//! and each Outbound Campaigns v2 campaign's restricted periods. Both are planned from what
//! exists (so a run that stopped is carried on by the next), leave what people made alone, and
//! change nothing in a dry run.

use chrono::NaiveDate;
use connect_core::holidays::Holiday;
use connect_core::overrides::{OverrideReport, override_name, plan_overrides};
use connect_core::ports::{
    CalendarSource, CampaignCalendar, Clock, HolidayStore, HoursOverrides, Notifier, error_chain,
};
use connect_core::restricted_periods::{desired_periods, plan_periods};
use tokio::time::Instant;

use crate::handler::{HolidayFetcher, SiteRun};
use crate::summary::PeriodReport;

/// How one hours of operation is synced.
#[derive(Debug, Clone, Copy)]
struct SyncPlan {
    today: NaiveDate,
    horizon_days: u32,
    dry_run: bool,
    until: Instant,
}

impl<C, S, N, K, O, P> HolidayFetcher<C, S, N, K, O, P>
where
    C: CalendarSource,
    S: HolidayStore,
    N: Notifier,
    K: Clock,
    O: HoursOverrides,
    P: CampaignCalendar,
{
    /// Every site's hours of operation brought in line with its list (in a dry run, only
    /// planned). A failing hours of operation is reported and the next one still synced.
    pub(crate) async fn sync_overrides(&self, runs: &[SiteRun], dry_run: bool, until: Instant) -> Vec<OverrideReport> {
        let Some(settings) = &self.config.overrides else { return Vec::new() };
        let mut reports = Vec::new();
        for (site, run) in self.config.sites.iter().zip(runs) {
            let today = self.clock.now().with_timezone(&site.time_zone).date_naive();
            // With a holiday hours of operation, only it holds overrides; the site's hours of
            // operation are linked to it and inherit them.
            let (holders, children): (Vec<&String>, &[String]) = match &site.holiday_hours_of_operation_id {
                Some(parent) => (vec![parent], site.hours_of_operation_ids.as_slice()),
                None => (site.hours_of_operation_ids.iter().collect(), &[]),
            };
            for hours_id in holders {
                let mut report =
                    OverrideReport { hours_of_operation_id: hours_id.clone(), ..OverrideReport::default() };
                let holidays = &run.holidays.holidays;
                let plan = SyncPlan { today, horizon_days: settings.horizon_days, dry_run, until };
                let synced = match self.link_children(hours_id, children, dry_run, &mut report).await {
                    Ok(()) => self.sync_one(hours_id, holidays, plan, &mut report).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = synced {
                    tracing::error!(site = site.name, hours_id, error, "override sync failed");
                    report.error = Some(error);
                }
                tracing::info!(
                    site = site.name,
                    hours_id,
                    created = report.created.len(),
                    removed = report.removed.len(),
                    kept = report.kept,
                    linked = report.linked.len(),
                    not_fitting = report.not_fitting.len(),
                    dry_run,
                    "overrides synced"
                );
                reports.push(report);
            }
        }
        reports
    }

    /// Links each of `children` to the holiday hours of operation `parent` unless it already is.
    async fn link_children(
        &self,
        parent: &str,
        children: &[String],
        dry_run: bool,
        report: &mut OverrideReport,
    ) -> Result<(), String> {
        if children.is_empty() {
            return Ok(());
        }
        let linked = self.hours.children(parent).await.map_err(|e| error_chain(&e))?;
        for child in children.iter().filter(|c| !linked.contains(c)) {
            if !dry_run {
                self.hours.link_child(parent, child).await.map_err(|e| error_chain(&e))?;
            }
            report.linked.push(child.clone());
        }
        Ok(())
    }

    /// Removes first (that frees room under the limit), then creates; stops at the first error,
    /// and when the run's time is up (reported `incomplete`: the next run's plan does the rest).
    async fn sync_one(
        &self,
        hours_id: &str,
        holidays: &[Holiday],
        sync: SyncPlan,
        report: &mut OverrideReport,
    ) -> Result<(), String> {
        let existing = self.hours.list(hours_id).await.map_err(|e| error_chain(&e))?;
        let plan = plan_overrides(holidays, &existing, sync.today, sync.horizon_days);
        report.kept = plan.kept;
        report.not_fitting = plan.not_fitting.iter().map(|h| h.date).collect();
        let out_of_time = |report: &mut OverrideReport| {
            let late = !sync.dry_run && Instant::now() >= sync.until;
            report.incomplete |= late;
            late
        };
        for stale in &plan.remove {
            if out_of_time(report) {
                return Ok(());
            }
            if !sync.dry_run {
                self.hours.delete(hours_id, &stale.id).await.map_err(|e| error_chain(&e))?;
            }
            report.removed.push(stale.name.clone());
        }
        for holiday in &plan.create {
            if out_of_time(report) {
                return Ok(());
            }
            let name = override_name(holiday);
            if !sync.dry_run {
                self.hours.create_closed(hours_id, &name, holiday).await.map_err(|e| error_chain(&e))?;
            }
            report.created.push(name);
        }
        Ok(())
    }

    /// Every campaign a site names brought to hold the site's whole closed days as restricted
    /// periods (in a dry run, only planned): one read and at most one write per campaign, the
    /// adapter pacing them. People's periods are kept; a failing campaign is reported (with what
    /// it should hold) and the next one still synced.
    pub(crate) async fn sync_campaigns(&self, runs: &[SiteRun], dry_run: bool, until: Instant) -> Vec<PeriodReport> {
        let Some(horizon_days) = self.config.campaign_horizon_days else { return Vec::new() };
        let mut reports = Vec::new();
        for (site, run) in self.config.sites.iter().zip(runs) {
            let today = self.clock.now().with_timezone(&site.time_zone).date_naive();
            for campaign_id in &site.outbound_campaign_ids {
                let mut report =
                    PeriodReport { campaign_id: campaign_id.clone(), site: site.name.clone(), ..Default::default() };
                if !dry_run && Instant::now() >= until {
                    report.error = Some("not synced in this run's time; the next run does it".to_owned());
                    reports.push(report);
                    continue;
                }
                let existing = match self.campaigns.restricted_periods(campaign_id).await {
                    Ok(existing) => existing,
                    Err(e) => {
                        report.error = Some(error_chain(&e));
                        tracing::error!(
                            site = site.name,
                            campaign_id,
                            error = report.error,
                            "restricted periods not read"
                        );
                        reports.push(report);
                        continue;
                    }
                };
                let (desired, windows) = desired_periods(&run.holidays.holidays, today, horizon_days);
                let plan = plan_periods(&existing, desired, windows, today);
                report.added = plan.added.iter().map(|p| p.name.clone()).collect();
                report.removed = plan.removed.iter().map(|p| p.name.clone()).collect();
                report.kept = plan.kept;
                report.windows_left_out = plan.windows_left_out.clone();
                let written = match plan.changes() && !dry_run {
                    true => self.campaigns.set_restricted_periods(campaign_id, &plan.periods).await,
                    false => Ok(()),
                };
                if let Err(e) = written {
                    report.error = Some(error_chain(&e));
                    tracing::error!(
                        site = site.name,
                        campaign_id,
                        error = report.error,
                        "restricted periods not written"
                    );
                }
                tracing::info!(
                    site = site.name,
                    campaign_id,
                    added = report.added.len(),
                    removed = report.removed.len(),
                    kept = report.kept,
                    windows_left_out = report.windows_left_out.len(),
                    failed = report.error.is_some(),
                    dry_run,
                    "restricted periods synced"
                );
                reports.push(report);
            }
        }
        reports
    }
}
