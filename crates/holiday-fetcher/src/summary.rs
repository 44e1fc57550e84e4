//! What a run answers (the summary, also the dry run's plan) and the metrics it is measured by.

use chrono::NaiveDate;
use connect_core::metrics::{CHANGE, ERROR_TYPE, MetricRecord, SITE, TOTAL, Unit};
use connect_core::overrides::OverrideReport;
use serde::Serialize;

use crate::handler::FetchFailure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Updated,
    Unchanged,
}

/// One site's part of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteSummary {
    pub site: String,
    pub holiday_count: usize,
    pub added: Vec<NaiveDate>,
    pub removed: Vec<NaiveDate>,
    pub renamed: Vec<NaiveDate>,
    /// What the site's calendars had that could not be read and was left out, each as
    /// `<url> line <n>: <what>`; the list was published all the same (the guard passed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// What the invocation returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub status: Status,
    /// Over every site; `added`, `removed` and `renamed` are every site's dates, once each.
    pub holiday_count: usize,
    pub added: Vec<NaiveDate>,
    pub removed: Vec<NaiveDate>,
    pub renamed: Vec<NaiveDate>,
    pub sites: Vec<SiteSummary>,
    /// Per hours of operation, when the override sync is configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideReport>,
    /// Per Outbound Campaigns v2 campaign, when a site names some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<PeriodReport>,
    /// `{"dryRun": true}`: nothing was written and nothing sent; the summary is the plan.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// `{"force": true}` published a list the guard had refused: why it had been refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<String>,
    /// The unchanged list was written again with a new `generatedAt` (see `RESTAMP_AFTER`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub restamped: bool,
    /// Minutes since the stored list's `generatedAt` once the run is done, for the metrics.
    #[serde(skip)]
    pub list_age_minutes: Option<i64>,
}

/// One campaign's restricted periods brought in line with its site's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodReport {
    pub campaign_id: String,
    pub site: String,
    /// Names of the periods added and removed (or, in a dry run or when refused, planned).
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Ours already there.
    pub kept: usize,
    /// Early closes: a restricted period is whole dates, so these are left to the dialer's own
    /// holiday check (and holiday-check for inbound callers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows_left_out: Vec<NaiveDate>,
    /// Why the campaign was not brought in line; `added` and `removed` are then what was planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PeriodReport {
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

impl Summary {
    pub(crate) fn published(&self) -> bool {
        !self.dry_run && (self.status == Status::Updated || self.restamped)
    }
}

/// The run's records: `HolidayListPublished`, the override and restricted-period changes and
/// failures, `HolidayListAgeHours` per site, or `HolidayRefusals` by `errorType`.
pub fn metrics(result: &Result<Summary, FetchFailure>) -> Vec<MetricRecord> {
    let summary = match result {
        Ok(summary) => summary,
        Err(failure) => {
            let refused = MetricRecord::new().field(ERROR_TYPE, failure.error_type());
            let refused = refused.count("HolidayRefusals", 1, &[&[ERROR_TYPE]]);
            return vec![refused.count("HolidayListPublished", 0, TOTAL)];
        }
    };
    let mut records =
        vec![MetricRecord::new().count("HolidayListPublished", u8::from(summary.published()), TOTAL).count(
            "OverrideSyncFailures",
            summary.overrides.iter().filter(|r| r.error.is_some()).count() as f64,
            TOTAL,
        )];
    if !summary.overrides.is_empty() {
        let total = |count: fn(&OverrideReport) -> usize| summary.overrides.iter().map(count).sum::<usize>();
        let changes = [
            ("created", total(|r| r.created.len())),
            ("removed", total(|r| r.removed.len())),
            ("linked", total(|r| r.linked.len())),
        ];
        for (change, n) in changes {
            records.push(MetricRecord::new().field(CHANGE, change).count("OverrideChanges", n as f64, &[&[CHANGE]]));
        }
    }
    if !summary.campaigns.is_empty() {
        let failed = summary.campaigns.iter().filter(|r| r.error.is_some()).count();
        records.push(MetricRecord::new().count("RestrictedPeriodSyncFailures", failed as f64, TOTAL));
        let done = summary.campaigns.iter().filter(|r| r.error.is_none());
        let (added, removed) = done.fold((0, 0), |(a, r), report| (a + report.added.len(), r + report.removed.len()));
        for (change, n) in [("added", added), ("removed", removed)] {
            let record = MetricRecord::new().field(CHANGE, change);
            records.push(record.count("RestrictedPeriodChanges", n as f64, &[&[CHANGE]]));
        }
    }
    if let Some(minutes) = summary.list_age_minutes {
        for site in &summary.sites {
            let mut record = MetricRecord::new().field(SITE, site.site.as_str());
            record.add("HolidayListAgeHours", Unit::None, minutes as f64 / 60.0, &[&[], &[SITE]]);
            records.push(record);
        }
    }
    records
}
