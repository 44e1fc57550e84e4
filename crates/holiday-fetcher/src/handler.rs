//! Downloads every site's calendars (each URL once), builds each site's holiday list, and
//! publishes the document to the store only when every list is complete, plausible, and the
//! document differs from what is stored. Then keeps Connect in step ([`crate::sync`]) and tells
//! what happened ([`crate::notice`]); the answer and metrics are in [`crate::summary`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeDelta};
use connect_core::calendar::{CalendarError, DEFAULT_MAX_DAYS, ReadOptions, read_days};
use connect_core::holidays::{
    Changes, Holiday, HolidayDocument, Implausible, SiteHolidays, check_plausible, holidays_of, merge,
};
use connect_core::ports::{
    CalendarSource, CampaignCalendar, Clock, HolidayStore, HoursOverrides, NoCampaigns, NoOverrides, Notifier, Stored,
    error_chain,
};
use connect_core::sites::Site;
use lambda_runtime::Diagnostic;
use tokio::time::Instant;

use crate::config::Config;
use crate::notice::{failure_notice, outcome_notice};
use crate::summary::{SiteSummary, Status, Summary};

/// Kept back from the Lambda deadline for the notice and the answer once the sync stops.
const SYNC_MARGIN: Duration = Duration::from_secs(8);
/// An unchanged list older than this is written again with a new `generatedAt`: the stamp says
/// when the calendars were last confirmed, which is what the list's age (and its alarm) measure.
/// Under a day, so a daily schedule re-stamps at every run and an hourly one once a day or so.
const RESTAMP_AFTER: TimeDelta = TimeDelta::hours(20);

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
    #[error("refused for site {site}: {reason}")]
    Implausible { site: String, reason: Implausible },
    #[error("the stored holiday list could not be read")]
    StoreRead(#[source] BoxError),
    #[error("the new holiday list could not be written")]
    StoreWrite(#[source] BoxError),
}

impl FetchFailure {
    pub fn error_type(&self) -> &'static str {
        match self {
            FetchFailure::Download { .. } => "CalendarDownloadFailed",
            FetchFailure::Calendar { .. } => "InvalidCalendar",
            FetchFailure::NoHolidays { .. } => "NoHolidays",
            FetchFailure::Implausible { reason: Implausible::TooManyDropped { .. }, .. } => "TooManyHolidaysDropped",
            FetchFailure::Implausible { reason: Implausible::TooManyAdded { .. }, .. } => "TooManyHolidaysAdded",
            FetchFailure::StoreRead(_) | FetchFailure::StoreWrite(_) => "HolidayStoreFailed",
        }
    }
}

impl From<FetchFailure> for Diagnostic {
    fn from(failure: FetchFailure) -> Diagnostic {
        Diagnostic { error_type: failure.error_type().to_owned(), error_message: error_chain(&failure) }
    }
}

/// What a manual invocation asks for.
#[derive(Debug, Clone, Copy, Default)]
struct Mode {
    dry_run: bool,
    force: bool,
}

pub struct HolidayFetcher<C, S, N, K, O = NoOverrides, P = NoCampaigns> {
    pub(crate) config: Config,
    calendars: C,
    store: S,
    notifier: N,
    pub(crate) clock: K,
    pub(crate) hours: O,
    pub(crate) campaigns: P,
}

impl<C, S, N, K> HolidayFetcher<C, S, N, K> {
    pub fn new(config: Config, calendars: C, store: S, notifier: N, clock: K) -> Self {
        HolidayFetcher { config, calendars, store, notifier, clock, hours: NoOverrides, campaigns: NoCampaigns }
    }
}

impl<C, S, N, K, P> HolidayFetcher<C, S, N, K, NoOverrides, P> {
    /// Keeps the configured hours of operation's holiday overrides in step through `hours`.
    pub fn with_hours<O: HoursOverrides>(self, hours: O) -> HolidayFetcher<C, S, N, K, O, P> {
        let HolidayFetcher { config, calendars, store, notifier, clock, campaigns, .. } = self;
        HolidayFetcher { config, calendars, store, notifier, clock, hours, campaigns }
    }
}

impl<C, S, N, K, O> HolidayFetcher<C, S, N, K, O, NoCampaigns> {
    /// Keeps the configured campaigns' restricted periods in step through `campaigns`.
    pub fn with_campaigns<P: CampaignCalendar>(self, campaigns: P) -> HolidayFetcher<C, S, N, K, O, P> {
        let HolidayFetcher { config, calendars, store, notifier, clock, hours, .. } = self;
        HolidayFetcher { config, calendars, store, notifier, clock, hours, campaigns }
    }
}

/// A site's new list beside the stored one.
pub(crate) struct SiteRun {
    pub(crate) holidays: SiteHolidays,
    pub(crate) changes: Changes,
    /// What its calendars had that was left out (see [`SiteSummary::skipped`]).
    pub(crate) skipped: Vec<String>,
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
    /// Any event is accepted: a schedule's, a manual `{}`; `{"dryRun": true}` plans only;
    /// `{"force": true}` publishes a list the plausibility guard refused.
    #[cfg(test)]
    pub async fn handle(&self, event: serde_json::Value) -> Result<Summary, FetchFailure> {
        self.handle_within(event, Duration::from_secs(15 * 60)).await
    }

    /// As [`Self::handle`], within the invocation's `time_left`: the override sync stops in time
    /// to answer, and the next run carries on where it stopped (its plan starts from what exists).
    pub async fn handle_within(&self, event: serde_json::Value, time_left: Duration) -> Result<Summary, FetchFailure> {
        let sync_until = Instant::now() + time_left.saturating_sub(SYNC_MARGIN);
        let flag = |name: &str| event.get(name).and_then(serde_json::Value::as_bool).unwrap_or(false);
        let mode = Mode { dry_run: flag("dryRun"), force: flag("force") };
        match self.refresh(mode).await {
            Ok((mut summary, runs)) => {
                summary.overrides = self.sync_overrides(&runs, mode.dry_run, sync_until).await;
                summary.campaigns = self.sync_campaigns(&runs, mode.dry_run, sync_until).await;
                tracing::info!(
                    status = ?summary.status,
                    holidays = summary.holiday_count,
                    sites = summary.sites.len(),
                    added = summary.added.len(),
                    removed = summary.removed.len(),
                    renamed = summary.renamed.len(),
                    dry_run = mode.dry_run,
                    forced = summary.forced.is_some(),
                    "holiday list checked"
                );
                if let Some((subject, message)) =
                    outcome_notice(&self.config, &summary, &runs).filter(|_| !mode.dry_run)
                {
                    self.send(&subject, &message).await;
                }
                Ok(summary)
            }
            Err(failure) => {
                let reason = error_chain(&failure);
                tracing::error!(error = %reason, dry_run = mode.dry_run, "holiday list not published");
                // A dry run sends nothing, also when it fails: it is someone trying things out.
                if !mode.dry_run {
                    let (subject, message) = failure_notice(&self.config, &failure);
                    self.send(&subject, &message).await;
                }
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

    async fn refresh(&self, mode: Mode) -> Result<(Summary, Vec<SiteRun>), FetchFailure> {
        // Feeds shared by several sites are downloaded once.
        let mut bodies: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for url in self.config.calendar_urls() {
            let body = self
                .calendars
                .fetch(&url)
                .await
                .map_err(|e| FetchFailure::Download { url: url.clone(), source: Box::new(e) })?;
            bodies.insert(url, body);
        }
        let stored = self.stored_document().await?;
        let mut runs = Vec::with_capacity(self.config.sites.len());
        let mut refusals = Vec::new();
        for site in &self.config.sites {
            let today = self.clock.now().with_timezone(&site.time_zone).date_naive();
            let (holidays, skipped) = self.site_holidays(site, &bodies, today)?;
            let before = stored.as_ref().and_then(|d| d.site(&site.name)).map(|s| s.holidays.as_slice());
            let before = before.unwrap_or_default();
            if let Err(reason) = check_plausible(before, &holidays, today, self.config.max_added) {
                if !mode.force {
                    return Err(FetchFailure::Implausible { site: site.name.clone(), reason });
                }
                tracing::warn!(site = site.name, %reason, "refused list published: forced");
                refusals.push(format!("site {}: {reason}", site.name));
            }
            let changes = Changes::between(before, &holidays);
            let sources = site.calendars.iter().map(|c| c.url.clone()).collect();
            let time_zone = Some(site.time_zone.name().to_owned());
            let holidays = SiteHolidays { name: site.name.clone(), time_zone, sources, holidays };
            runs.push(SiteRun { holidays, changes, skipped });
        }
        let document = HolidayDocument {
            generated_at: self.clock.now(),
            sites: runs.iter().map(|r| r.holidays.clone()).collect(),
        };
        let unchanged = stored.as_ref().is_some_and(|s| s.same_content(&document));
        let stale = stored.as_ref().is_none_or(|s| document.generated_at - s.generated_at >= RESTAMP_AFTER);
        let restamped = unchanged && stale && !mode.dry_run;
        let written = (!unchanged || restamped) && !mode.dry_run;
        if written {
            self.store.save(document.to_json()).await.map_err(|e| FetchFailure::StoreWrite(Box::new(e)))?;
        }
        let list_generated_at = match &stored {
            _ if written => Some(document.generated_at),
            Some(stored) => Some(stored.generated_at),
            None => None,
        };
        let dates = |f: fn(&Changes) -> Vec<NaiveDate>| -> Vec<NaiveDate> {
            let mut all: Vec<NaiveDate> = runs.iter().flat_map(|r| f(&r.changes)).collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        let added = |c: &Changes| c.added.iter().map(|h| h.date).collect();
        let removed = |c: &Changes| c.removed.iter().map(|h| h.date).collect();
        let renamed = |c: &Changes| c.renamed.iter().map(|(_, new)| new.date).collect();
        let summary = Summary {
            status: if unchanged { Status::Unchanged } else { Status::Updated },
            holiday_count: runs.iter().map(|r| r.holidays.holidays.len()).sum(),
            added: dates(added),
            removed: dates(removed),
            renamed: dates(renamed),
            sites: runs
                .iter()
                .map(|r| SiteSummary {
                    site: r.holidays.name.clone(),
                    holiday_count: r.holidays.holidays.len(),
                    added: added(&r.changes),
                    removed: removed(&r.changes),
                    renamed: renamed(&r.changes),
                    skipped: r.skipped.clone(),
                })
                .collect(),
            overrides: Vec::new(),
            campaigns: Vec::new(),
            dry_run: mode.dry_run,
            forced: (!refusals.is_empty()).then(|| refusals.join("; ")),
            restamped,
            list_age_minutes: list_generated_at.map(|at| (self.clock.now() - at).num_minutes()),
        };
        Ok((summary, runs))
    }

    /// One site's list: its calendars read in its time zone, then its closures; with what its
    /// calendars had that was left out.
    fn site_holidays(
        &self,
        site: &Site,
        bodies: &BTreeMap<String, Vec<u8>>,
        today: NaiveDate,
    ) -> Result<(Vec<Holiday>, Vec<String>), FetchFailure> {
        // Recurring calendar events and closures are expanded over last year to two years on.
        let (first_year, last_year) = (today.year() - 1, today.year() + 2);
        let mut per_source = Vec::with_capacity(site.calendars.len());
        let mut skipped = Vec::new();
        for calendar in &site.calendars {
            let url = &calendar.url;
            let body = bodies.get(url).map(Vec::as_slice).unwrap_or_default();
            let options = ReadOptions {
                time_zone: site.time_zone,
                first_year,
                last_year,
                timed_windows: calendar.timed_windows,
                default_name: site.default_name.clone(),
                max_days: DEFAULT_MAX_DAYS,
            };
            let read =
                read_days(body, &options).map_err(|source| FetchFailure::Calendar { url: url.clone(), source })?;
            if !read.skipped.is_empty() {
                // Counted, not quoted: the reasons name events, which notices carry, not logs.
                let count = read.skipped.len() + read.more_skipped;
                tracing::warn!(site = site.name, url, skipped = count, "calendar lines left out");
            }
            skipped.extend(read.skipped.iter().map(|skip| format!("{url} {skip}")));
            if read.more_skipped > 0 {
                skipped.push(format!("{url}: {} more left out", read.more_skipped));
            }
            let holidays = holidays_of(&read.days, site.include_observances);
            if holidays.is_empty() {
                return Err(FetchFailure::NoHolidays { url: url.clone() });
            }
            per_source.push(holidays);
        }
        let years = per_source.iter().flatten().map(|h| h.date.year());
        let first = years.clone().min().unwrap_or(first_year).min(today.year());
        let last = years.max().unwrap_or(last_year).max(today.year() + 1);
        let closures = site.closures.days_in(first, last);
        Ok((merge(&per_source, &closures, &site.default_name), skipped))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::metrics;
    use connect_aws::Env;
    use connect_core::overrides::override_name;
    use connect_fakes::{FakeCalendars, FakeClock, FakeNotifier, FakeStore};
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

    /// The only site's list (the single-site settings).
    fn holidays(doc: &HolidayDocument) -> &[Holiday] {
        &doc.sites[0].holidays
    }

    fn dates(doc: &HolidayDocument) -> Vec<String> {
        holidays(doc).iter().map(|h| h.date.to_string()).collect()
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
        assert_eq!(summary.holiday_count, holidays(&doc).len());
        assert!(holidays(&doc).iter().any(|h| h.name == "敬老の日"));
        assert!(!holidays(&doc).iter().any(|h| h.name == "節分" || h.name == "クリスマス"), "observances left out");
        assert_eq!((doc.sites[0].name.as_str(), doc.sites[0].sources.clone()), ("default", vec![URL.to_owned()]));
        assert_eq!(doc.sites[0].time_zone.as_deref(), Some("Asia/Tokyo"));
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
    async fn an_unchanged_list_is_restamped_after_a_day_so_its_age_says_when_it_was_confirmed() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        let first = f.handle(json!({})).await.unwrap();
        assert_eq!((first.list_age_minutes, first.published()), (Some(0), true));
        f.clock.advance(TimeDelta::hours(19));
        let soon = f.handle(json!({})).await.unwrap();
        assert_eq!((soon.restamped, soon.list_age_minutes, f.store.saves()), (false, Some(19 * 60), 1));
        f.clock.advance(TimeDelta::hours(2));
        let next_day = f.handle(json!({})).await.unwrap();
        assert_eq!((next_day.status, next_day.restamped, f.store.saves()), (Status::Unchanged, true, 2));
        assert_eq!(stored(&f).generated_at, "2026-11-21T21:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
        assert_eq!(f.notifier.notices().len(), 1, "a re-stamp is not news");
        assert!(serde_json::to_value(&next_day).unwrap()["restamped"] == true);
        // a dry run writes nothing, not even a stamp
        f.clock.advance(TimeDelta::hours(30));
        let dry = f.handle(json!({"dryRun": true})).await.unwrap();
        assert_eq!((dry.restamped, dry.list_age_minutes, f.store.saves()), (false, Some(30 * 60), 2));
    }

    #[tokio::test]
    async fn each_run_is_measured_published_refused_or_unchanged_with_the_age_per_site() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        let records = metrics(&f.handle(json!({})).await);
        assert_eq!(records[0].value("HolidayListPublished"), Some(1.0));
        assert_eq!(records[0].value("OverrideSyncFailures"), Some(0.0));
        let age = records.iter().find(|r| r.value("HolidayListAgeHours").is_some()).unwrap();
        assert_eq!((age.get("Site"), age.value("HolidayListAgeHours")), (Some("default"), Some(0.0)));
        let unchanged = metrics(&f.handle(json!({})).await);
        assert_eq!(unchanged[0].value("HolidayListPublished"), Some(0.0));

        let broken = fetcher(FakeCalendars::default().with(URL, b"<html>"), FakeStore::default(), &[]);
        let records = metrics(&broken.handle(json!({})).await);
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].get("ErrorType"), records[0].value("HolidayRefusals")),
            (Some("InvalidCalendar"), Some(1.0))
        );
        assert_eq!(records[0].value("HolidayListAgeHours"), None);
    }

    #[tokio::test]
    async fn observances_are_published_when_included() {
        let f = fetcher(sample(), FakeStore::default(), &[("INCLUDE_OBSERVANCES", "true")]);
        f.handle(json!({})).await.unwrap();
        assert!(holidays(&stored(&f)).iter().any(|h| h.name == "節分"));
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
        let new_year = holidays(&doc).iter().find(|h| h.date.to_string() == "2027-01-01").unwrap();
        assert_eq!((new_year.name.as_str(), new_year.closure), ("元日", false), "a public holiday keeps its name");
        let closure = holidays(&doc).iter().find(|h| h.date.to_string() == "2026-12-29").unwrap();
        assert_eq!((closure.name.as_str(), closure.closure), ("休業日", true));
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
        let missing = connect_core::sites::CalendarSpec {
            url: "https://calendars.test/missing.ics".into(),
            timed_windows: false,
        };
        f.config.sites[0].calendars.push(missing);
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
        assert!(!holidays(&stored(&f)).is_empty());
    }

    #[tokio::test]
    async fn changes_are_listed_in_the_summary_and_the_notice() {
        let f = fetcher(sample(), FakeStore::default(), &[]);
        f.handle(json!({})).await.unwrap();
        let mut doc = stored(&f);
        let dropped = doc.sites[0].holidays.remove(5);
        doc.sites[0].holidays.push(Holiday::new("2030-01-01".parse().unwrap(), "old entry"));
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

    type Syncing = HolidayFetcher<FakeCalendars, FakeStore, FakeNotifier, FakeClock, connect_fakes::FakeHours>;

    fn syncing(store: FakeStore) -> Syncing {
        let hours = connect_fakes::FakeHours::default();
        hours.add("h-1", "Company anniversary");
        fetcher(sample(), store, &[("CONNECT_INSTANCE_ID", "inst-1"), ("HOURS_OF_OPERATION_IDS", "h-1,h-2")])
            .with_hours(hours)
    }

    /// Holidays of the sample calendar from 2026-11-21 to 2027-11-21 (the default horizon).
    fn upcoming(document: &HolidayDocument) -> Vec<String> {
        let (first, last) = ("2026-11-21".parse().unwrap(), "2027-11-21".parse().unwrap());
        holidays(document).iter().filter(|h| (first..=last).contains(&h.date)).map(override_name).collect()
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

        let records = metrics(&Ok(summary.clone()));
        let change = |name: &str| {
            records.iter().find(|r| r.get("Change") == Some(name)).and_then(|r| r.value("OverrideChanges"))
        };
        let created = (2 * expected.len()) as f64;
        assert_eq!((change("created"), change("removed"), change("linked")), (Some(created), Some(0.0), Some(0.0)));

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

    const OTHER: &str = "https://calendars.test/osaka.ics";
    const OSAKA: &[u8] = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270115\r\nSUMMARY:Osaka day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[tokio::test]
    async fn several_sites_share_a_feed_downloaded_once_and_keep_their_own_closures() {
        let sites = format!(
            r#"[{{"name": "tokyo", "calendars": ["{URL}"], "closures": "12-28 15:00-24:00"}},
                {{"name": "osaka", "calendars": ["{URL}", "{OTHER}"], "closures": "12-29..01-03"}},
                {{"name": "new-york", "timeZone": "America/New_York", "calendars": ["{OTHER}"]}}]"#
        );
        let pairs = [("HOLIDAY_BUCKET", "b"), ("SITES", sites.as_str())];
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        let calendars = sample().with(OTHER, OSAKA);
        let f = HolidayFetcher::new(
            config,
            calendars,
            FakeStore::default(),
            FakeNotifier::default(),
            FakeClock::at("2026-11-21T00:00:00Z"),
        );
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!((f.calendars.fetches(URL), f.calendars.fetches(OTHER)), (1, 1), "each feed once");
        let doc = stored(&f);
        let site = |name: &str| doc.site(name).unwrap();
        let early = site("tokyo").holidays.iter().find(|h| h.date.to_string() == "2026-12-28").unwrap();
        assert_eq!(early.closed.map(|w| w.to_string()).as_deref(), Some("15:00-24:00"));
        assert!(!site("osaka").holidays.iter().any(|h| h.date.to_string() == "2026-12-28"), "Tokyo's closure only");
        assert!(site("osaka").holidays.iter().any(|h| h.date.to_string() == "2026-12-30"));
        assert!(site("osaka").holidays.iter().any(|h| h.name == "Osaka day"));
        assert_eq!(site("new-york").time_zone.as_deref(), Some("America/New_York"));
        assert_eq!(site("new-york").holidays.len(), 1);
        let names: Vec<&str> = summary.sites.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(names, ["tokyo", "osaka", "new-york"]);
        assert_eq!(summary.holiday_count, doc.sites.iter().map(|s| s.holidays.len()).sum::<usize>());
        let notice = &f.notifier.notices()[0].1;
        assert!(notice.contains("Site tokyo") && notice.contains("2026-12-28 15:00-24:00 休業日"), "{notice}");
    }

    #[tokio::test]
    async fn a_closure_the_operator_removed_is_published_and_a_flood_refused() {
        let f = fetcher(sample(), FakeStore::default(), &[("CLOSED_DATES", "08-10..08-20, 12-29..01-03")]);
        f.handle(json!({})).await.unwrap();
        // the operator drops every closure: more than half of the upcoming dates, all theirs
        let f = fetcher(sample(), FakeStore::holding(f.store.body().unwrap()), &[]);
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!(summary.status, Status::Updated);
        assert!(summary.removed.len() > 10, "{:?}", summary.removed);

        // a feed that suddenly adds more upcoming holidays than MAX_ADDED_HOLIDAYS is refused
        let stored_list = f.store.body().unwrap();
        let events: String = (1..=5)
            .map(|day| format!("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:202702{day:02}\r\nSUMMARY:x\r\nEND:VEVENT\r\n"))
            .collect();
        let flood = format!("BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n");
        let mut f = fetcher(
            sample().with(OTHER, flood),
            FakeStore::holding(stored_list.clone()),
            &[("MAX_ADDED_HOLIDAYS", "3")],
        );
        f.config.sites[0].calendars.push(connect_core::sites::CalendarSpec { url: OTHER.into(), timed_windows: false });
        let failure = f.handle(json!({})).await.unwrap_err();
        assert!(failure.to_string().contains("adds 5 upcoming calendar holidays at once (more than 3)"), "{failure}");
        assert_eq!(Diagnostic::from(failure).error_type, "TooManyHolidaysAdded");
        assert_eq!(f.store.body(), Some(stored_list));
    }

    #[tokio::test]
    async fn force_publishes_a_refused_list_and_says_so() {
        let good = fetcher(sample(), FakeStore::default(), &[]);
        good.handle(json!({})).await.unwrap();
        let one_holiday = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_vec();
        let f = fetcher(
            FakeCalendars::default().with(URL, one_holiday),
            FakeStore::holding(good.store.body().unwrap()),
            &[],
        );
        let refused = f.handle(json!({})).await.unwrap_err();
        assert_eq!(Diagnostic::from(refused).error_type, "TooManyHolidaysDropped");
        assert!(f.notifier.notices()[0].1.contains("{\"force\": true}"), "the notice says how to publish anyway");
        let summary = f.handle(json!({"force": true})).await.unwrap();
        assert_eq!((summary.status, f.store.saves()), (Status::Updated, 1));
        let forced = summary.forced.clone().unwrap_or_default();
        assert!(forced.contains("site default") && forced.contains("drops"), "{forced}");
        let (subject, message) = f.notifier.notices()[1].clone();
        assert!(
            subject.contains("FORCED") && message.contains("FORCED") && message.contains("drops"),
            "{subject}\n{message}"
        );
        assert_eq!(holidays(&stored(&f)).len(), 1);
    }

    #[tokio::test]
    async fn unreadable_lines_are_left_out_named_in_the_summary_and_the_notice_and_the_rest_published() {
        // GIVEN the sample feed with an empty RRULE and a line that is not a property in it
        // (on bytes: the sample folds lines inside multi-byte characters)
        let at = SAMPLE.windows(14).position(|w| w == "SUMMARY:元日".as_bytes()).unwrap() + 14;
        let broken = [
            &SAMPLE[..at],
            b"
RRULE:
this is not a property",
            &SAMPLE[at..],
        ]
        .concat();
        let f = fetcher(FakeCalendars::default().with(URL, broken.clone()), FakeStore::default(), &[]);
        // WHEN the schedule fires
        let summary = f.handle(json!({})).await.unwrap();
        // THEN the list is published, the skips are named per site, in the summary and the notice
        assert_eq!((summary.status, f.store.saves()), (Status::Updated, 1));
        assert!(holidays(&stored(&f)).iter().any(|h| h.name == "元日"), "the event itself is kept");
        let skipped = &summary.sites[0].skipped;
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].starts_with(&format!("{URL} line "))
                && skipped[0].ends_with("not a content line (NAME:VALUE), left out")
        );
        assert!(skipped[1].contains("unreadable RRULE \"\" of \"元日\" left out"), "{skipped:?}");
        assert_eq!(serde_json::to_value(&summary).unwrap()["sites"][0]["skipped"].as_array().map(Vec::len), Some(2));
        let (subject, message) = f.notifier.notices()[0].clone();
        assert!(subject.ends_with("; 2 calendar lines skipped"), "{subject}");
        assert!(message.contains("Left out of site default's calendars") && message.contains(&skipped[1]), "{message}");

        // an unchanged list with the same skips: told again only with the daily re-stamp
        f.handle(json!({})).await.unwrap();
        assert_eq!(f.notifier.notices().len(), 1);
        f.clock.advance(TimeDelta::hours(21));
        let restamped = f.handle(json!({})).await.unwrap();
        assert!(restamped.restamped);
        let (subject, message) = f.notifier.notices()[1].clone();
        assert_eq!(subject, "connect-lambdas: holiday list unchanged; 2 calendar lines skipped");
        assert!(message.contains(&skipped[0]), "{message}");

        // a feed without skips has none in its summary
        let clean = fetcher(sample(), FakeStore::default(), &[]).handle(json!({})).await.unwrap();
        assert!(serde_json::to_value(&clean).unwrap()["sites"][0].get("skipped").is_none());
    }

    #[tokio::test]
    async fn a_dry_run_sends_nothing_even_when_it_fails() {
        let f = fetcher(FakeCalendars::default(), FakeStore::default(), &[]);
        let failure = f.handle(json!({"dryRun": true})).await.unwrap_err();
        assert_eq!(Diagnostic::from(failure).error_type, "CalendarDownloadFailed");
        assert!(f.notifier.notices().is_empty());
    }

    #[tokio::test]
    async fn an_early_close_gets_an_override_named_with_its_window() {
        let f = fetcher(
            sample(),
            FakeStore::default(),
            &[
                ("CONNECT_INSTANCE_ID", "inst-1"),
                ("HOURS_OF_OPERATION_IDS", "h-1"),
                ("CLOSED_DATES", "12-28 15:00-24:00"),
            ],
        )
        .with_hours(connect_fakes::FakeHours::default());
        let summary = f.handle(json!({})).await.unwrap();
        assert!(
            summary.overrides[0].created.contains(&"holiday 2026-12-28 15:00-24:00 休業日".to_owned()),
            "{:?}",
            summary.overrides
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_sync_that_runs_out_of_time_stops_and_the_next_run_carries_on() {
        use connect_fakes::FakeHours;
        let f = fetcher(
            sample(),
            FakeStore::default(),
            &[("CONNECT_INSTANCE_ID", "inst-1"), ("HOURS_OF_OPERATION_IDS", "h-1")],
        )
        .with_hours(FakeHours::default());
        // no time left beyond the margin: the list is published, no override made yet
        let first = f.handle_within(json!({}), SYNC_MARGIN).await.unwrap();
        assert_eq!(
            (first.status, first.overrides[0].incomplete, first.overrides[0].created.len()),
            (Status::Updated, true, 0)
        );
        assert!(f.notifier.notices()[0].1.contains("the next run carries on"));
        let second = f.handle_within(json!({}), Duration::from_secs(60)).await.unwrap();
        assert!(!second.overrides[0].incomplete && second.overrides[0].created.len() > 10, "{:?}", second.overrides);
    }

    #[tokio::test]
    async fn a_holiday_hours_of_operation_holds_the_overrides_and_the_sites_hours_inherit_them() {
        use connect_fakes::FakeHours;
        let env = [
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("HOURS_OF_OPERATION_IDS", "h-main,h-sub"),
            ("HOLIDAY_HOURS_OF_OPERATION_ID", "h-holidays"),
        ];
        let f = fetcher(sample(), FakeStore::default(), &env).with_hours(FakeHours::default());
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!(summary.overrides.len(), 1, "one holder: {:?}", summary.overrides);
        let report = &summary.overrides[0];
        assert_eq!(
            (report.hours_of_operation_id.as_str(), report.linked.clone()),
            ("h-holidays", vec!["h-main".to_owned(), "h-sub".to_owned()])
        );
        assert!(report.created.len() > 10);
        assert_eq!(f.hours.children_of("h-holidays"), ["h-main", "h-sub"]);
        assert!(f.hours.names("h-main").is_empty(), "the children keep their own overrides free");
        let again = f.handle(json!({})).await.unwrap();
        assert!(again.overrides[0].linked.is_empty() && again.overrides[0].created.is_empty(), "linked once");
    }

    #[tokio::test]
    async fn a_company_calendar_with_timed_windows_closes_only_those_windows() {
        const COMPANY: &str = "https://intra.test/company.ics";
        let body = include_bytes!("../../../events/holiday-fetcher/company-rrule.ics");
        let sites =
            format!(r#"[{{"name": "tokyo", "calendars": ["{URL}", {{"url": "{COMPANY}", "timedWindows": true}}]}}]"#);
        let config = Config::from_env(&Env::from_pairs([("HOLIDAY_BUCKET", "b"), ("SITES", sites.as_str())])).unwrap();
        let f = HolidayFetcher::new(
            config,
            sample().with(COMPANY, body.as_slice()),
            FakeStore::default(),
            FakeNotifier::default(),
            FakeClock::at("2026-11-21T00:00:00Z"),
        );
        f.handle(json!({})).await.unwrap();
        let doc = stored(&f);
        let on = |date: &str| holidays(&doc).iter().find(|h| h.date.to_string() == date).cloned();
        let early = on("2026-12-28").expect("the early close");
        assert_eq!(early.closed.map(|w| w.to_string()).as_deref(), Some("15:00-24:00"), "{early:?}");
        assert!(!early.closure, "a calendar's, not the operator's");
        let new_year = on("2026-12-30").expect("the yearly closure");
        assert!(new_year.closed.is_none(), "an all-day event closes the whole day");
    }

    fn period(name: &str, start: &str, end: &str) -> connect_core::restricted_periods::RestrictedPeriod {
        connect_core::restricted_periods::RestrictedPeriod {
            name: name.into(),
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    #[tokio::test]
    async fn campaigns_hold_the_whole_closed_days_as_restricted_periods_and_peoples_periods_stay() {
        use connect_fakes::FakeCampaigns;
        let campaigns = FakeCampaigns::default();
        let peoples = period("Stocktaking", "2027-02-01", "2027-02-02");
        let stale = period("holiday 2026-12-24 Old closure", "2026-12-24", "2026-12-24");
        campaigns.add("c-spring", vec![peoples.clone(), stale.clone()]);
        let env = [("OUTBOUND_CAMPAIGN_IDS", "c-spring"), ("CLOSED_DATES", "12-29..01-03,12-28 15:00-24:00")];
        let f = fetcher(sample(), FakeStore::default(), &env).with_campaigns(campaigns);

        let plan = f.handle(json!({"dryRun": true})).await.unwrap();
        assert_eq!((f.campaigns.writes(), plan.campaigns[0].removed.clone()), (0, vec![stale.name.clone()]));

        let summary = f.handle(json!({})).await.unwrap();
        let report = &summary.campaigns[0];
        assert_eq!(
            (report.campaign_id.as_str(), report.site.as_str(), report.error.as_ref()),
            ("c-spring", "default", None)
        );
        let held = f.campaigns.periods("c-spring");
        assert_eq!(held[0], peoples, "a person's period stays, first");
        assert!(!held.contains(&stale), "ours, gone from the list: removed");
        let year_end = held.iter().find(|p| p.start.to_string() == "2026-12-29").unwrap();
        assert_eq!(year_end.end.to_string(), "2027-01-03", "one period for the closure and 元日 inside it");
        assert!(held.iter().any(|p| p.name == "holiday 2026-11-23 勤労感謝の日"));
        assert_eq!(report.windows_left_out.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["2026-12-28"]);
        assert!(held.iter().all(|p| p.start.to_string() != "2026-12-28"), "an early close is not a whole day");
        let notice = &f.notifier.notices()[0].1;
        assert!(
            notice.contains("Campaign c-spring (site default)") && notice.contains("early closes left out"),
            "{notice}"
        );
        let records = metrics(&Ok(summary.clone()));
        let added =
            records.iter().find(|r| r.get("Change") == Some("added")).and_then(|r| r.value("RestrictedPeriodChanges"));
        assert_eq!(added, Some(report.added.len() as f64));

        let again = f.handle(json!({})).await.unwrap();
        assert_eq!(f.campaigns.writes(), 1, "idempotent: nothing to change, nothing written");
        assert!(!again.campaigns[0].changed() && again.campaigns[0].kept == report.added.len());
    }

    #[tokio::test]
    async fn a_campaign_that_refuses_is_reported_with_its_plan_and_the_list_still_published() {
        use connect_fakes::FakeCampaigns;
        let campaigns = FakeCampaigns::default();
        campaigns.add("c-running", Vec::new());
        campaigns.add("c-new", Vec::new());
        campaigns.refuse_writes("c-running", "campaign c-running is Running");
        let f = fetcher(sample(), FakeStore::default(), &[("OUTBOUND_CAMPAIGN_IDS", "c-running,c-new,c-missing")])
            .with_campaigns(campaigns);
        let summary = f.handle(json!({})).await.unwrap();
        assert_eq!((summary.status, f.store.saves()), (Status::Updated, 1));
        let by_id = |id: &str| summary.campaigns.iter().find(|r| r.campaign_id == id).unwrap();
        assert!(by_id("c-running").error.as_deref().is_some_and(|e| e.contains("Running")));
        assert!(!by_id("c-running").added.is_empty(), "what it should hold, for a person to add");
        assert!(by_id("c-new").error.is_none() && !f.campaigns.periods("c-new").is_empty(), "the next still synced");
        assert!(by_id("c-missing").error.as_deref().is_some_and(|e| e.contains("no campaign")));
        let (subject, message) = &f.notifier.notices()[0];
        assert!(subject.contains("restricted-period sync FAILED"), "{subject}");
        assert!(message.contains("make these by hand"), "{message}");
        let records = metrics(&Ok(summary));
        let failures = records.iter().find_map(|r| r.value("RestrictedPeriodSyncFailures"));
        assert_eq!(failures, Some(2.0));
    }
}
