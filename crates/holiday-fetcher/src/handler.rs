//! Downloads every configured calendar, builds the holiday list, and publishes it to the store
//! only when it is complete, plausible and different from what is stored.

use chrono::{Datelike, NaiveDate};
use connect_core::calendar::{CalendarError, read_days};
use connect_core::holidays::{
    Changes, Holiday, HolidayDocument, TooManyDropped, guard_against_mass_drop, holidays_of, merge,
};
use connect_core::overrides::{OverrideReport, override_name, plan_overrides};
use connect_core::ports::{
    CalendarSource, Clock, HolidayStore, HoursOverrides, NoOverrides, Notifier, Stored, error_chain,
};
use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::config::Config;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why nothing was published. The stored list is left exactly as it was.
#[derive(Debug, thiserror::Error)]
pub enum FetchFailure {
    #[error("download of {url} failed")]
    Download {
        url: String,
        #[source]
        source: BoxError,
    },
    #[error("{url} is not a usable calendar")]
    Calendar {
        url: String,
        #[source]
        source: CalendarError,
    },
    #[error("{url} yields no holidays")]
    NoHolidays { url: String },
    #[error("refused: {0}")]
    TooManyDropped(#[from] TooManyDropped),
    #[error("the stored holiday list could not be read")]
    StoreRead(#[source] BoxError),
    #[error("the new holiday list could not be written")]
    StoreWrite(#[source] BoxError),
}

impl From<FetchFailure> for Diagnostic {
    fn from(failure: FetchFailure) -> Diagnostic {
        let error_type = match failure {
            FetchFailure::Download { .. } => "CalendarDownloadFailed",
            FetchFailure::Calendar { .. } => "InvalidCalendar",
            FetchFailure::NoHolidays { .. } => "NoHolidays",
            FetchFailure::TooManyDropped(_) => "TooManyHolidaysDropped",
            FetchFailure::StoreRead(_) | FetchFailure::StoreWrite(_) => "HolidayStoreFailed",
        };
        Diagnostic { error_type: error_type.to_owned(), error_message: error_chain(&failure) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Updated,
    Unchanged,
}

/// What the invocation returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub status: Status,
    pub holiday_count: usize,
    pub added: Vec<NaiveDate>,
    pub removed: Vec<NaiveDate>,
    pub renamed: Vec<NaiveDate>,
    /// Per hours of operation, when the override sync is configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideReport>,
    /// `{"dryRun": true}`: nothing was written; the summary is the plan.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

pub struct HolidayFetcher<C, S, N, K, O = NoOverrides> {
    config: Config,
    calendars: C,
    store: S,
    notifier: N,
    clock: K,
    hours: O,
}

impl<C, S, N, K> HolidayFetcher<C, S, N, K> {
    pub fn new(config: Config, calendars: C, store: S, notifier: N, clock: K) -> Self {
        HolidayFetcher { config, calendars, store, notifier, clock, hours: NoOverrides }
    }

    /// Keeps the configured hours of operation's holiday overrides in step through `hours`.
    pub fn with_hours<O: HoursOverrides>(self, hours: O) -> HolidayFetcher<C, S, N, K, O> {
        let HolidayFetcher { config, calendars, store, notifier, clock, .. } = self;
        HolidayFetcher { config, calendars, store, notifier, clock, hours }
    }
}

impl<C, S, N, K, O> HolidayFetcher<C, S, N, K, O>
where
    C: CalendarSource,
    S: HolidayStore,
    N: Notifier,
    K: Clock,
    O: HoursOverrides,
{
    /// Any event is accepted: a schedule's, a manual `{}`; `{"dryRun": true}` plans only.
    pub async fn handle(&self, event: serde_json::Value) -> Result<Summary, FetchFailure> {
        let dry_run = event.get("dryRun").and_then(serde_json::Value::as_bool).unwrap_or(false);
        match self.refresh(dry_run).await {
            Ok((mut summary, changes, holidays)) => {
                summary.overrides = self.sync_overrides(&holidays, dry_run).await;
                summary.dry_run = dry_run;
                tracing::info!(
                    status = ?summary.status,
                    holidays = summary.holiday_count,
                    added = summary.added.len(),
                    removed = summary.removed.len(),
                    renamed = summary.renamed.len(),
                    dry_run,
                    "holiday list checked"
                );
                let overrides = describe_overrides(&summary.overrides);
                let sync_failed = summary.overrides.iter().any(|r| r.error.is_some());
                let overrides_changed =
                    summary.overrides.iter().any(|r| !r.created.is_empty() || !r.removed.is_empty());
                if dry_run {
                    // A dry run changes nothing, notices included.
                } else if summary.status == Status::Updated {
                    let subject = format!(
                        "connect-lambdas: holiday list updated (+{} -{} ~{}){}",
                        changes.added.len(),
                        changes.removed.len(),
                        changes.renamed.len(),
                        if sync_failed { "; override sync FAILED" } else { "" }
                    );
                    let message = describe_changes(&self.config, &summary, &changes) + &overrides;
                    self.send(&subject, &message).await;
                } else if sync_failed || overrides_changed {
                    let subject = if sync_failed {
                        "connect-lambdas: hours-of-operation override sync FAILED"
                    } else {
                        "connect-lambdas: hours-of-operation overrides updated"
                    };
                    let message = format!(
                        "The holiday list s3://{}/{} is unchanged ({} holidays).\n{overrides}",
                        self.config.bucket, self.config.key, summary.holiday_count
                    );
                    self.send(subject, &message).await;
                }
                Ok(summary)
            }
            Err(failure) => {
                let reason = error_chain(&failure);
                tracing::error!(error = %reason, "holiday list not published");
                let message = format!(
                    "holiday-fetcher did not publish a new holiday list; the stored list s3://{}/{} is unchanged.\n\nReason: {reason}\n",
                    self.config.bucket, self.config.key
                );
                self.send("connect-lambdas: holiday list refresh FAILED", &message).await;
                Err(failure)
            }
        }
    }

    /// A notice that cannot be sent is logged; the published list is what matters.
    async fn send(&self, subject: &str, message: &str) {
        if let Err(e) = self.notifier.notify(subject, message).await {
            tracing::error!(error = %error_chain(&e), subject, "notice not sent");
        }
    }

    /// Every configured hours of operation brought in line with the list (in a dry run, only
    /// planned). A failing hours of operation is reported and the next one still synced.
    async fn sync_overrides(&self, holidays: &[Holiday], dry_run: bool) -> Vec<OverrideReport> {
        let Some(settings) = &self.config.overrides else { return Vec::new() };
        let today = self.clock.now().with_timezone(&self.config.time_zone).date_naive();
        let mut reports = Vec::with_capacity(settings.hours_ids.len());
        for hours_id in &settings.hours_ids {
            let mut report = OverrideReport { hours_of_operation_id: hours_id.clone(), ..OverrideReport::default() };
            if let Err(error) =
                self.sync_one(hours_id, holidays, today, settings.horizon_days, dry_run, &mut report).await
            {
                tracing::error!(hours_id, error, "override sync failed");
                report.error = Some(error);
            }
            tracing::info!(
                hours_id,
                created = report.created.len(),
                removed = report.removed.len(),
                kept = report.kept,
                not_fitting = report.not_fitting.len(),
                dry_run,
                "overrides synced"
            );
            reports.push(report);
        }
        reports
    }

    /// Removes first (that frees room under the limit), then creates; stops at the first error.
    async fn sync_one(
        &self,
        hours_id: &str,
        holidays: &[Holiday],
        today: NaiveDate,
        horizon_days: u32,
        dry_run: bool,
        report: &mut OverrideReport,
    ) -> Result<(), String> {
        let existing = self.hours.list(hours_id).await.map_err(|e| error_chain(&e))?;
        let plan = plan_overrides(holidays, &existing, today, horizon_days);
        report.kept = plan.kept;
        report.not_fitting = plan.not_fitting.iter().map(|h| h.date).collect();
        for stale in &plan.remove {
            if !dry_run {
                self.hours.delete(hours_id, &stale.id).await.map_err(|e| error_chain(&e))?;
            }
            report.removed.push(stale.name.clone());
        }
        for holiday in &plan.create {
            let name = override_name(holiday);
            if !dry_run {
                self.hours.create_closed(hours_id, &name, holiday).await.map_err(|e| error_chain(&e))?;
            }
            report.created.push(name);
        }
        Ok(())
    }

    async fn refresh(&self, dry_run: bool) -> Result<(Summary, Changes, Vec<Holiday>), FetchFailure> {
        let mut per_source = Vec::with_capacity(self.config.calendar_urls.len());
        for url in &self.config.calendar_urls {
            per_source.push(self.holidays_from(url).await?);
        }
        let today = self.clock.now().with_timezone(&self.config.time_zone).date_naive();
        let closures = self.closures_for(&per_source, today);
        let holidays = merge(&per_source, &closures);

        let stored = self.stored_document().await?;
        let stored_holidays = stored.as_ref().map(|d| d.holidays.as_slice()).unwrap_or_default();
        guard_against_mass_drop(stored_holidays, &holidays, today)?;

        let document =
            HolidayDocument { generated_at: self.clock.now(), sources: self.config.calendar_urls.clone(), holidays };
        let changes = Changes::between(stored_holidays, &document.holidays);
        let unchanged = stored.as_ref().is_some_and(|s| s.same_content(&document));
        if !unchanged && !dry_run {
            self.store.save(document.to_json()).await.map_err(|e| FetchFailure::StoreWrite(Box::new(e)))?;
        }
        let summary = Summary {
            status: if unchanged { Status::Unchanged } else { Status::Updated },
            holiday_count: document.holidays.len(),
            added: changes.added.iter().map(|h| h.date).collect(),
            removed: changes.removed.iter().map(|h| h.date).collect(),
            renamed: changes.renamed.iter().map(|(_, new)| new.date).collect(),
            overrides: Vec::new(),
            dry_run,
        };
        Ok((summary, changes, document.holidays))
    }

    async fn holidays_from(&self, url: &str) -> Result<Vec<Holiday>, FetchFailure> {
        let body = self
            .calendars
            .fetch(url)
            .await
            .map_err(|e| FetchFailure::Download { url: url.to_owned(), source: Box::new(e) })?;
        let days = read_days(&body).map_err(|source| FetchFailure::Calendar { url: url.to_owned(), source })?;
        let holidays = holidays_of(&days, self.config.include_observances);
        if holidays.is_empty() {
            return Err(FetchFailure::NoHolidays { url: url.to_owned() });
        }
        Ok(holidays)
    }

    /// Closures over the years the calendars cover, and at least this year and next.
    fn closures_for(&self, per_source: &[Vec<Holiday>], today: NaiveDate) -> Vec<NaiveDate> {
        let years = per_source.iter().flatten().map(|h| h.date.year());
        let first = years.clone().min().unwrap_or(today.year()).min(today.year());
        let last = years.max().unwrap_or(today.year()).max(today.year() + 1);
        self.config.closed_dates.dates_in(first, last)
    }

    /// The stored document; an unreadable one is replaced (it protects nothing).
    async fn stored_document(&self) -> Result<Option<HolidayDocument>, FetchFailure> {
        match self.store.load(None).await.map_err(|e| FetchFailure::StoreRead(Box::new(e)))? {
            Stored::Current { body, .. } => match HolidayDocument::from_json(&body) {
                Ok(document) => Ok(Some(document)),
                Err(e) => {
                    tracing::warn!(error = %e, "the stored holiday list is not a valid document; it will be replaced");
                    Ok(None)
                }
            },
            Stored::Missing | Stored::NotModified => Ok(None),
        }
    }
}

/// The sync per hours of operation, for notices; empty when the sync is not configured.
fn describe_overrides(reports: &[OverrideReport]) -> String {
    let mut text = String::new();
    for report in reports {
        text.push_str(&format!(
            "\nHours of operation {}: {} created, {} removed, {} kept\n",
            report.hours_of_operation_id,
            report.created.len(),
            report.removed.len(),
            report.kept
        ));
        for name in &report.created {
            text.push_str(&format!("  + {name}\n"));
        }
        for name in &report.removed {
            text.push_str(&format!("  - {name}\n"));
        }
        if !report.not_fitting.is_empty() {
            let dates: Vec<String> = report.not_fitting.iter().map(NaiveDate::to_string).collect();
            text.push_str(&format!("  did not fit (50 overrides at most): {}\n", dates.join(", ")));
        }
        if let Some(error) = &report.error {
            text.push_str(&format!("  FAILED: {error}\n"));
        }
    }
    text
}

fn describe_changes(config: &Config, summary: &Summary, changes: &Changes) -> String {
    let mut text = format!(
        "holiday-fetcher published a new holiday list to s3://{}/{} ({} holidays).\n",
        config.bucket, config.key, summary.holiday_count
    );
    let sections: [(&str, Vec<String>); 3] = [
        ("Added", changes.added.iter().map(|h| format!("{} {}", h.date, h.name)).collect()),
        ("Removed", changes.removed.iter().map(|h| format!("{} {}", h.date, h.name)).collect()),
        (
            "Renamed",
            changes.renamed.iter().map(|(old, new)| format!("{} {} -> {}", new.date, old.name, new.name)).collect(),
        ),
    ];
    for (title, lines) in sections.iter().filter(|(_, lines)| !lines.is_empty()) {
        text.push_str(&format!("\n{title}:\n"));
        for line in lines {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text.push_str(&format!("\nSources:\n  {}\n", config.calendar_urls.join("\n  ")));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_aws::Env;
    use connect_core::fakes::{FakeCalendars, FakeClock, FakeNotifier, FakeStore};
    use serde_json::json;

    const URL: &str = "https://calendars.test/ja.ics";
    const SAMPLE: &[u8] = include_bytes!("../../../events/holiday-fetcher/calendar-ja.ics");

    type Fetcher = HolidayFetcher<FakeCalendars, FakeStore, FakeNotifier, FakeClock>;

    fn config(extra: &[(&str, &str)]) -> Config {
        let mut pairs = vec![("HOLIDAY_BUCKET", "holidays-bucket"), ("CALENDAR_URLS", URL)];
        pairs.extend_from_slice(extra);
        Config::from_env(&Env::from_pairs(pairs)).unwrap()
    }

    fn fetcher(calendars: FakeCalendars, store: FakeStore, extra: &[(&str, &str)]) -> Fetcher {
        HolidayFetcher::new(
            config(extra),
            calendars,
            store,
            FakeNotifier::default(),
            FakeClock::at("2026-11-21T00:00:00Z"),
        )
    }

    fn stored(fetcher: &Fetcher) -> HolidayDocument {
        HolidayDocument::from_json(&fetcher.store.body().unwrap()).unwrap()
    }

    fn sample() -> FakeCalendars {
        FakeCalendars::default().with(URL, SAMPLE)
    }

    fn dates(doc: &HolidayDocument) -> Vec<String> {
        doc.holidays.iter().map(|h| h.date.to_string()).collect()
    }

    #[tokio::test]
    async fn first_run_publishes_the_list_and_notifies() {
        // GIVEN an empty store and the sample calendar
        let f = fetcher(sample(), FakeStore::default(), &[]);
        // WHEN the schedule fires
        let summary = f.handle(json!({"source": "aws.events"})).await.unwrap();
        // THEN every public holiday is published, observances are not, and one notice says so
        assert_eq!(summary.status, Status::Updated);
        let doc = stored(&f);
        assert_eq!(summary.holiday_count, doc.holidays.len());
        assert!(doc.holidays.iter().any(|h| h.name == "敬老の日"));
        assert!(!doc.holidays.iter().any(|h| h.name == "節分" || h.name == "クリスマス"), "observances left out");
        assert_eq!(doc.sources, [URL]);
        let notices = f.notifier.notices();
        assert_eq!(notices.len(), 1);
        assert!(notices[0].0.contains("updated"));
        assert!(notices[0].1.contains("敬老の日"));
    }

    #[tokio::test]
    async fn second_run_with_the_same_calendar_writes_and_notifies_nothing() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        f.handle(json!({})).await.unwrap();
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!(summary.status, Status::Unchanged);
        assert!(summary.added.is_empty() && summary.removed.is_empty());
        assert_eq!(f.store.saves(), 1);
        assert_eq!(f.notifier.notices().len(), 1, "no notice when unchanged");
    }

    #[tokio::test]
    async fn observances_are_published_when_included() {
        let f = fetcher(sample(), FakeStore::default(), &[("INCLUDE_OBSERVANCES", "true")]);
        f.handle(json!({})).await.unwrap();
        assert!(stored(&f).holidays.iter().any(|h| h.name == "節分"));
    }

    #[tokio::test]
    async fn closures_are_added_across_the_new_year() {
        let f = fetcher(sample(), FakeStore::default(), &[("CLOSED_DATES", "12-29..01-03")]);
        f.handle(json!({})).await.unwrap();
        let doc = stored(&f);
        let days = dates(&doc);
        for date in ["2026-12-29", "2026-12-31", "2027-01-02", "2027-01-03"] {
            assert!(days.contains(&date.to_owned()), "{date} missing from {days:?}");
        }
        let new_year = doc.holidays.iter().find(|h| h.date.to_string() == "2027-01-01").unwrap();
        assert_eq!(new_year.name, "元日", "a public holiday keeps its name");
    }

    #[tokio::test]
    async fn refusals_leave_the_stored_list_byte_for_byte_and_notify_the_failure() {
        let html = b"<!DOCTYPE html><html><body>Service unavailable</body></html>".to_vec();
        let truncated = String::from_utf8_lossy(SAMPLE).replace("END:VCALENDAR", "").into_bytes();
        let only_observances = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270203\r\nSUMMARY:\xE7\xAF\x80\xE5\x88\x86\r\nDESCRIPTION:\xE7\xA5\xAD\xE6\x97\xA5\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_vec();
        let one_holiday = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_vec();
        let cases: Vec<(&str, FakeCalendars, &str)> = vec![
            ("http error", FakeCalendars::default(), "CalendarDownloadFailed"),
            ("html page", FakeCalendars::default().with(URL, html), "InvalidCalendar"),
            ("truncated", FakeCalendars::default().with(URL, truncated), "InvalidCalendar"),
            ("no holidays", FakeCalendars::default().with(URL, only_observances), "NoHolidays"),
            ("mass drop", FakeCalendars::default().with(URL, one_holiday), "TooManyHolidaysDropped"),
        ];
        for (case, calendars, error_type) in cases {
            // GIVEN a store holding a good list
            let good = fetcher(sample(), FakeStore::default(), &[]);
            good.handle(json!({})).await.unwrap();
            let before = good.store.body().unwrap();
            // WHEN the calendar comes back broken
            let f = fetcher(calendars, FakeStore::holding(before.clone()), &[]);
            let failure = f.handle(json!({})).await.unwrap_err();
            // THEN nothing is written, the failure is a function error, and a notice says why
            assert_eq!(f.store.body().unwrap(), before, "{case}");
            assert_eq!(f.store.saves(), 0, "{case}");
            assert_eq!(Diagnostic::from(failure).error_type, error_type, "{case}");
            let notices = f.notifier.notices();
            assert_eq!(notices.len(), 1, "{case}");
            assert!(notices[0].0.contains("FAILED") && notices[0].1.contains("unchanged"), "{case}: {notices:?}");
        }
    }

    #[tokio::test]
    async fn one_failing_source_of_two_publishes_nothing() {
        let calendars = sample();
        let mut f = fetcher(calendars, FakeStore::default(), &[]);
        f.config.calendar_urls.push("https://calendars.test/missing.ics".into());
        let failure = f.handle(json!({})).await.unwrap_err();
        assert!(failure.to_string().contains("missing.ics"));
        assert_eq!(f.store.body(), None);
    }

    #[tokio::test]
    async fn store_failures_are_reported_and_nothing_is_written() {
        let store = FakeStore::default();
        store.fail_with(Some("SlowDown: please reduce your request rate"));
        let f = fetcher(sample(), store, &[]);
        let failure = f.handle(json!({})).await.unwrap_err();
        assert_eq!(Diagnostic::from(failure).error_type, "HolidayStoreFailed");
        assert!(f.notifier.notices()[0].1.contains("SlowDown"));
    }

    #[tokio::test]
    async fn an_unreadable_stored_list_is_replaced() {
        let f = fetcher(sample(), FakeStore::holding(b"not json".to_vec()), &[]);
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!(summary.status, Status::Updated);
        assert!(!stored(&f).holidays.is_empty());
    }

    #[tokio::test]
    async fn changes_are_listed_in_the_summary_and_the_notice() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        f.handle(json!({})).await.unwrap();
        let mut doc = stored(&f);
        let dropped = doc.holidays.remove(5);
        doc.holidays.push(Holiday { date: "2030-01-01".parse().unwrap(), name: "old entry".into() });
        f.store.put(doc.to_json());
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!(summary.added, [dropped.date]);
        assert_eq!(summary.removed, ["2030-01-01".parse::<NaiveDate>().unwrap()]);
        let notice = &f.notifier.notices()[1].1;
        assert!(
            notice.contains(&format!("{} {}", dropped.date, dropped.name)) && notice.contains("old entry"),
            "{notice}"
        );
    }

    type Syncing = HolidayFetcher<FakeCalendars, FakeStore, FakeNotifier, FakeClock, connect_core::fakes::FakeHours>;

    fn syncing(store: FakeStore) -> Syncing {
        let hours = connect_core::fakes::FakeHours::default();
        hours.add("h-1", "Company anniversary");
        fetcher(sample(), store, &[("CONNECT_INSTANCE_ID", "inst-1"), ("HOURS_OF_OPERATION_IDS", "h-1,h-2")])
            .with_hours(hours)
    }

    /// Holidays of the sample calendar from 2026-11-21 to 2027-11-21 (the default horizon).
    fn upcoming(document: &HolidayDocument) -> Vec<String> {
        let (first, last) = ("2026-11-21".parse().unwrap(), "2027-11-21".parse().unwrap());
        document.holidays.iter().filter(|h| (first..=last).contains(&h.date)).map(override_name).collect()
    }

    #[tokio::test]
    async fn overrides_follow_the_list_and_a_second_run_changes_nothing() {
        let f = syncing(FakeStore::default());
        let summary = f.handle(json!({})).await.unwrap();
        let expected = upcoming(&HolidayDocument::from_json(&f.store.body().unwrap()).unwrap());
        assert!(expected.len() > 10, "{expected:?}");
        assert_eq!(summary.overrides.len(), 2);
        for report in &summary.overrides {
            assert_eq!(report.created, expected, "{}", report.hours_of_operation_id);
            assert!(report.removed.is_empty() && report.error.is_none());
        }
        assert_eq!(f.hours.names("h-1")[0], "Company anniversary", "a person's override stays");
        assert_eq!(f.hours.names("h-1").len(), expected.len() + 1);
        assert!(f.notifier.notices()[0].1.contains("+ holiday 2026-11-23 勤労感謝の日"));

        let changes = f.hours.changes();
        let again = f.handle(json!({})).await.unwrap();
        assert_eq!(f.hours.changes(), changes, "idempotent");
        assert!(
            again.overrides.iter().all(|r| r.created.is_empty() && r.removed.is_empty() && r.kept == expected.len())
        );
        assert_eq!(f.notifier.notices().len(), 1, "nothing changed, nothing to tell");
    }

    #[tokio::test]
    async fn a_dry_run_reports_the_plan_and_changes_nothing() {
        let f = syncing(FakeStore::default());
        let plan = f.handle(json!({"dryRun": true})).await.unwrap();
        assert!(plan.dry_run);
        assert_eq!(plan.status, Status::Updated, "what a real run would do");
        assert!(!plan.overrides[0].created.is_empty());
        assert_eq!((f.store.saves(), f.hours.changes(), f.notifier.notices().len()), (0, 0, 0));
        assert_eq!(serde_json::to_value(&plan).unwrap()["dryRun"], true);
    }

    #[tokio::test]
    async fn a_connect_failure_fails_the_sync_only() {
        let f = syncing(FakeStore::default());
        f.hours.fail_with(Some("AccessDeniedException: not allowed"));
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!((summary.status, f.store.saves()), (Status::Updated, 1), "the list is still published");
        assert!(summary.overrides.iter().all(|r| r.error.as_deref().is_some_and(|e| e.contains("AccessDenied"))));
        let (subject, message) = &f.notifier.notices()[0];
        assert!(subject.ends_with("override sync FAILED"), "{subject}");
        assert!(message.contains("FAILED: AccessDeniedException"), "{message}");

        f.hours.fail_with(None);
        let unchanged_list = f.handle(json!({})).await.unwrap();
        assert_eq!(unchanged_list.status, Status::Unchanged);
        assert_eq!(f.notifier.notices()[1].0, "connect-lambdas: hours-of-operation overrides updated");
    }

    #[tokio::test]
    async fn without_hours_configured_the_summary_has_no_overrides() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        let summary = f.handle(json!({})).await.unwrap();
        assert!(summary.overrides.is_empty());
        assert!(serde_json::to_value(&summary).unwrap().get("overrides").is_none());
    }
}
