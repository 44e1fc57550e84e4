//! Downloads every configured calendar, builds the holiday list, and publishes it to the store
//! only when it is complete, plausible and different from what is stored.

use chrono::{Datelike, NaiveDate};
use connect_core::calendar::{CalendarError, read_days};
use connect_core::holidays::{
    Changes, Holiday, HolidayDocument, TooManyDropped, guard_against_mass_drop, holidays_of, merge,
};
use connect_core::ports::{CalendarSource, Clock, HolidayStore, Notifier, Stored, error_chain};
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
}

pub struct HolidayFetcher<C, S, N, K> {
    config: Config,
    calendars: C,
    store: S,
    notifier: N,
    clock: K,
}

impl<C, S, N, K> HolidayFetcher<C, S, N, K>
where
    C: CalendarSource,
    S: HolidayStore,
    N: Notifier,
    K: Clock,
{
    pub fn new(config: Config, calendars: C, store: S, notifier: N, clock: K) -> Self {
        HolidayFetcher { config, calendars, store, notifier, clock }
    }

    /// Any event is accepted: a schedule's, a manual `{}`.
    pub async fn handle(&self, _event: serde_json::Value) -> Result<Summary, FetchFailure> {
        match self.refresh().await {
            Ok((summary, changes)) => {
                tracing::info!(
                    status = ?summary.status,
                    holidays = summary.holiday_count,
                    added = summary.added.len(),
                    removed = summary.removed.len(),
                    renamed = summary.renamed.len(),
                    "holiday list checked"
                );
                if summary.status == Status::Updated {
                    let subject = format!(
                        "connect-lambdas: holiday list updated (+{} -{} ~{})",
                        changes.added.len(),
                        changes.removed.len(),
                        changes.renamed.len()
                    );
                    self.send(&subject, &describe_changes(&self.config, &summary, &changes)).await;
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

    async fn refresh(&self) -> Result<(Summary, Changes), FetchFailure> {
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
        if !unchanged {
            self.store.save(document.to_json()).await.map_err(|e| FetchFailure::StoreWrite(Box::new(e)))?;
        }
        let summary = Summary {
            status: if unchanged { Status::Unchanged } else { Status::Updated },
            holiday_count: document.holidays.len(),
            added: changes.added.iter().map(|h| h.date).collect(),
            removed: changes.removed.iter().map(|h| h.date).collect(),
            renamed: changes.renamed.iter().map(|(_, new)| new.date).collect(),
        };
        Ok((summary, changes))
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
}
