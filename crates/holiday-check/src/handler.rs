//! Answers a contact flow's "are we closed?" for a site, at an instant or on a date, from a
//! per-environment cache of the holiday list: whole-day holidays and closures, and early closes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use chrono_tz::Tz;
use connect_aws::ANSWER_WITHIN;
use connect_core::closed_window::local_instant;
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::holidays::{HolidayDocument, HolidayIndex};
use connect_core::metrics::{MetricRecord, SITE, TOTAL, Unit};
use connect_core::ports::{Clock, HolidayStore, Notifier, Stored, error_chain};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::config::{Config, OnError};

/// At most one alert per window per execution environment: no storm while S3 is down.
const ALERT_WINDOW: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HolidayCheckResponse {
    /// A whole-day holiday or closure on the date.
    pub is_holiday: String,
    pub holiday_name: String,
    /// Closed at the instant (`at`, or now): a whole-day holiday, or inside an early close.
    /// With `date`, closed all that day.
    pub is_closed: String,
    /// The closed span in the site's local time (RFC 3339 with its offset), when there is one
    /// at the instant (or, with `date`, on that date); else empty.
    pub closed_from: String,
    pub closed_until: String,
    pub date: String,
    pub site: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Minutes since the answering list's `generatedAt`, for the metrics (not sent to the flow).
    #[serde(skip)]
    pub list_age_minutes: Option<i64>,
    /// What the answer says, for the metrics (the flow reads the strings above).
    #[serde(skip)]
    pub outcome: Answered,
}

/// What holiday-check answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Open,
    Holiday,
    ClosedEarly,
    /// `status` is `error` (the flags say what `ON_ERROR` chose).
    Error,
}

impl Answered {
    pub fn name(self) -> &'static str {
        match self {
            Answered::Open => "open",
            Answered::Holiday => "holiday",
            Answered::ClosedEarly => "closed_early",
            Answered::Error => "error",
        }
    }
}

impl HolidayCheckResponse {
    /// `HolidayAnswers` by outcome and site, and the age of the list that answered.
    pub fn metrics(&self) -> MetricRecord {
        let mut record = MetricRecord::new().outcome_within("HolidayAnswers", self.outcome.name(), (SITE, &self.site));
        if let Some(minutes) = self.list_age_minutes {
            let sets: &[&[&str]] = if self.site.is_empty() { TOTAL } else { &[&[], &[SITE]] };
            record.add("HolidayListAgeHours", Unit::None, minutes as f64 / 60.0, sets);
        }
        record
    }
}

struct Cached {
    document: Arc<Sites>,
    etag: Option<String>,
    checked_at: DateTime<Utc>,
}

/// Each site's index, from one loaded document.
struct Sites {
    indexes: Vec<(String, HolidayIndex)>,
    generated_at: DateTime<Utc>,
}

impl Sites {
    fn of(document: &HolidayDocument) -> Sites {
        let indexes = document.sites.iter().map(|s| (s.name.clone(), HolidayIndex::new(s))).collect();
        Sites { indexes, generated_at: document.generated_at }
    }

    fn site(&self, name: &str) -> Option<&HolidayIndex> {
        self.indexes.iter().find(|(n, _)| n == name).map(|(_, index)| index)
    }
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    last_alert: Option<DateTime<Utc>>,
}

/// Why the list could not be used; the short text goes to the flow as `error`.
#[derive(Debug, thiserror::Error)]
enum Unavailable {
    #[error("holiday list not found")]
    Missing,
    #[error("holiday list unreadable")]
    Unreadable(#[source] connect_core::holidays::DocumentError),
    #[error("holiday list unavailable")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a flow asked: a date, or an instant.
enum Question {
    Date(NaiveDate),
    At(DateTime<Utc>),
}

pub struct HolidayCheck<S, N, K> {
    store: S,
    notifier: Arc<N>,
    clock: K,
    time_zone: Tz,
    cache_for: TimeDelta,
    on_error: OnError,
    site: String,
    answer_within: Duration,
    state: Mutex<State>,
}

impl<S: HolidayStore, N: Notifier + 'static, K: Clock> HolidayCheck<S, N, K> {
    pub fn new(config: &Config, store: S, notifier: N, clock: K) -> Self {
        HolidayCheck {
            store,
            notifier: Arc::new(notifier),
            clock,
            time_zone: config.time_zone,
            cache_for: config.cache_for,
            on_error: config.on_error,
            site: config.site.clone(),
            answer_within: ANSWER_WITHIN,
            state: Mutex::new(State::default()),
        }
    }

    /// Reads the list during init, so the first caller waits neither for S3 nor for the
    /// connection to it; a failure is logged and the first call tries again.
    pub async fn warm_up(&self) {
        if let Err(e) = self.holidays(self.clock.now()).await {
            tracing::warn!(error = %error_chain(&e), "could not read the holiday list at init");
        }
    }

    /// Always answers the flow, within one budget; problems become `status=error`, never a
    /// function error.
    pub async fn handle(&self, event: serde_json::Value) -> Result<HolidayCheckResponse, Infallible> {
        let now = self.clock.now();
        match tokio::time::timeout(self.answer_within, self.answer(event, now)).await {
            Ok(answer) => Ok(answer),
            Err(_) => {
                tracing::error!(within_ms = self.answer_within.as_millis(), "holiday list not read in time");
                Ok(self.error_answer(now, "", "", "timed out", "the holiday list was not read within the budget").await)
            }
        }
    }

    async fn answer(&self, event: serde_json::Value, now: DateTime<Utc>) -> HolidayCheckResponse {
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => return self.error_answer(now, "", "", "malformed event", &error_chain(&e)).await,
        };
        let contact_id = event.contact_id().to_owned();
        let site = event.parameter("site").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let site = site.unwrap_or_else(|| self.site.clone());
        let question = match (event.parameter("date"), event.parameter("at")) {
            (Some(date), _) => match NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d") {
                Ok(date) => Question::Date(date),
                Err(_) => {
                    tracing::warn!(contact_id, date, "invalid parameter");
                    return self
                        .error_answer(now, "", &site, "invalid parameter", &format!("date {date:?} is not YYYY-MM-DD"))
                        .await;
                }
            },
            (None, Some(at)) => match DateTime::parse_from_rfc3339(at.trim()) {
                Ok(at) => Question::At(at.to_utc()),
                Err(_) => {
                    tracing::warn!(contact_id, at, "invalid parameter");
                    return self
                        .error_answer(
                            now,
                            "",
                            &site,
                            "invalid parameter",
                            &format!("at {at:?} is not an RFC 3339 instant"),
                        )
                        .await;
                }
            },
            (None, None) => Question::At(now),
        };
        let sites = match self.holidays(now).await {
            Ok(sites) => sites,
            Err(e) => {
                let detail = error_chain(&e);
                tracing::error!(contact_id, site, error = %detail, on_error = ?self.on_error, "holiday list unavailable");
                // Without the list the site's zone is unknown: the date in TIME_ZONE.
                let date = match question {
                    Question::Date(date) => date,
                    Question::At(at) => at.with_timezone(&self.time_zone).date_naive(),
                };
                return self.error_answer(now, &date.to_string(), &site, &e.to_string(), &detail).await;
            }
        };
        let Some(index) = sites.site(&site) else {
            tracing::error!(contact_id, site, "unknown site");
            return self
                .error_answer(now, "", &site, "unknown site", &format!("site {site:?} is not in the holiday list"))
                .await;
        };
        // The site's zone as published; a version-1 list has none: the function's TIME_ZONE.
        let tz = index.time_zone().unwrap_or(self.time_zone);
        let (date, closed) = match question {
            Question::At(at) => {
                let date = at.with_timezone(&tz).date_naive();
                (date, index.closed_at(at, tz).map(|c| (c.from, c.until, true)))
            }
            Question::Date(date) => {
                let span = index.on(date).and_then(|h| match h.closed {
                    None => Some((local_instant(date, 0, tz)?, local_instant(date, 24 * 60, tz)?, true)),
                    Some(window) => window.instants(date, tz).map(|(from, until)| (from, until, false)),
                });
                (date, span)
            }
        };
        let name = index.name_of(date).unwrap_or_default();
        let closed_name = index.on(date).map(|h| h.name.as_str()).unwrap_or_default();
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, true);
        let is_closed = closed.is_some_and(|(_, _, closed)| closed);
        tracing::info!(contact_id, site, %date, is_holiday = !name.is_empty(), is_closed, closure = closed_name, "checked");
        HolidayCheckResponse {
            is_holiday: flag(!name.is_empty()),
            holiday_name: if name.is_empty() && closed.is_some() { closed_name.to_owned() } else { name.to_owned() },
            is_closed: flag(is_closed),
            closed_from: closed.map(|(from, _, _)| local(from)).unwrap_or_default(),
            closed_until: closed.map(|(_, until, _)| local(until)).unwrap_or_default(),
            date: date.to_string(),
            site,
            status: "ok".to_owned(),
            error: None,
            list_age_minutes: Some((now - sites.generated_at).num_minutes()),
            outcome: match (name.is_empty(), is_closed) {
                (false, _) => Answered::Holiday,
                (true, true) => Answered::ClosedEarly,
                (true, false) => Answered::Open,
            },
        }
    }

    async fn error_answer(
        &self,
        now: DateTime<Utc>,
        date: &str,
        site: &str,
        reason: &str,
        detail: &str,
    ) -> HolidayCheckResponse {
        self.alert(
            now,
            format!("holiday-check answered status=error ({reason}); ON_ERROR={:?}.\n\n{detail}\n", self.on_error),
        )
        .await;
        let closed = self.on_error == OnError::Closed;
        HolidayCheckResponse {
            is_holiday: flag(closed),
            holiday_name: String::new(),
            is_closed: flag(closed),
            closed_from: String::new(),
            closed_until: String::new(),
            date: date.to_owned(),
            site: site.to_owned(),
            status: "error".to_owned(),
            error: Some(reason.to_owned()),
            list_age_minutes: None,
            outcome: Answered::Error,
        }
    }

    /// Sends the alert in the background: the caller never waits for SNS. (Lambda may freeze
    /// the environment after the answer; the publish then completes at its next invocation.)
    async fn alert(&self, now: DateTime<Utc>, message: String) {
        {
            let mut state = self.state.lock().await;
            if state.last_alert.is_some_and(|at| now - at < ALERT_WINDOW) {
                return;
            }
            state.last_alert = Some(now);
        }
        let notifier = self.notifier.clone();
        tokio::spawn(async move {
            if let Err(e) = notifier.notify("connect-lambdas: holiday-check error", &message).await {
                tracing::error!(error = %error_chain(&e), "alert not sent");
            }
        });
    }

    /// The cached list within `CACHE_SECONDS` (no request at all), else revalidated with a
    /// conditional GET. When the store fails, or the stored list turns unreadable, but a list
    /// is cached, the cached list keeps answering for another window and an alert goes out:
    /// callers are better served by the last good list than by an error.
    async fn holidays(&self, now: DateTime<Utc>) -> Result<Arc<Sites>, Unavailable> {
        let mut state = self.state.lock().await;
        if let Some(cached) = state.cached.as_ref().filter(|c| now - c.checked_at < self.cache_for) {
            return Ok(cached.document.clone());
        }
        let etag = state.cached.as_ref().and_then(|c| c.etag.clone());
        let loaded = self.store.load(etag.as_deref()).await;
        let problem = match (loaded, state.cached.as_mut()) {
            (Ok(Stored::NotModified), Some(cached)) => {
                cached.checked_at = now;
                return Ok(cached.document.clone());
            }
            (Ok(Stored::Current { body, etag }), cached) => match HolidayDocument::from_json(&body) {
                Ok(document) => {
                    let sites = Arc::new(Sites::of(&document));
                    let count: usize = document.sites.iter().map(|s| s.holidays.len()).sum();
                    tracing::info!(sites = document.sites.len(), holidays = count, generated_at = %document.generated_at, "holiday list loaded");
                    state.cached = Some(Cached { document: sites.clone(), etag, checked_at: now });
                    return Ok(sites);
                }
                Err(e) if cached.is_none() => return Err(Unavailable::Unreadable(e)),
                Err(e) => format!("the stored holiday list is unreadable ({e})"),
            },
            (Ok(Stored::Missing | Stored::NotModified), _) => {
                state.cached = None;
                return Err(Unavailable::Missing);
            }
            (Err(e), Some(_)) => format!("the store is unavailable ({})", error_chain(&e)),
            (Err(e), None) => return Err(Unavailable::Store(Box::new(e))),
        };
        let Some(cached) = state.cached.as_mut() else { return Err(Unavailable::Missing) };
        tracing::warn!(problem, "answering from the cached list");
        cached.checked_at = now;
        let sites = cached.document.clone();
        drop(state);
        self.alert(
            now,
            format!("holiday-check could not revalidate the holiday list and answers from its cache: {problem}.\n"),
        )
        .await;
        Ok(sites)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_aws::Env;
    use connect_core::holidays::{Holiday, SiteHolidays};
    use connect_fakes::{FakeClock, FakeNotifier, FakeStore};
    use serde_json::{Value, json};

    type Check = HolidayCheck<FakeStore, FakeNotifier, FakeClock>;

    fn holiday(date: &str, name: &str) -> Holiday {
        Holiday::new(date.parse().unwrap(), name)
    }

    fn early_close(date: &str, window: &str) -> Holiday {
        Holiday { closed: window.parse().ok(), closure: true, ..holiday(date, "仕事納め") }
    }

    fn site(name: &str, time_zone: Option<&str>, holidays: Vec<Holiday>) -> SiteHolidays {
        SiteHolidays {
            name: name.into(),
            time_zone: time_zone.map(str::to_owned),
            sources: vec!["https://calendars.test/ja.ics".into()],
            holidays,
        }
    }

    /// The single-site list as holiday-fetcher writes it without SITES (no zone: TIME_ZONE).
    fn document() -> Vec<u8> {
        let holidays = vec![
            holiday("2026-11-23", "勤労感謝の日"),
            early_close("2026-12-28", "15:00-24:00"),
            holiday("2027-01-01", "元日"),
        ];
        HolidayDocument::single("2026-11-01T00:00:00Z".parse().unwrap(), site("default", None, holidays)).to_json()
    }

    /// Tokyo and a New York site with early closes on both of its 2026 daylight-saving days.
    fn two_sites() -> Vec<u8> {
        let tokyo = site("tokyo", Some("Asia/Tokyo"), vec![holiday("2026-11-23", "勤労感謝の日")]);
        let new_york = site(
            "new-york",
            Some("America/New_York"),
            vec![
                early_close("2026-03-08", "15:00-24:00"),
                early_close("2026-11-01", "15:00-24:00"),
                holiday("2026-11-26", "Thanksgiving"),
            ],
        );
        HolidayDocument { generated_at: "2026-11-01T00:00:00Z".parse().unwrap(), sites: vec![tokyo, new_york] }
            .to_json()
    }

    fn check(store: FakeStore, extra: &[(&str, &str)]) -> Check {
        let mut pairs = vec![("HOLIDAY_BUCKET", "b")];
        pairs.extend_from_slice(extra);
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        // 2026-11-23 08:00 in Tokyo
        HolidayCheck::new(&config, store, FakeNotifier::default(), FakeClock::at("2026-11-22T23:00:00Z"))
    }

    fn sample_event(name: &str) -> Value {
        connect_fakes::sample_event("holiday-check", name)
    }

    fn with_params(params: Value) -> Value {
        let mut event = sample_event("voice-now");
        event["Details"]["Parameters"] = params;
        event
    }

    /// The answer; alerts go out in the background, so they are given a moment to be sent.
    async fn ask(check: &Check, event: Value) -> HolidayCheckResponse {
        let answer = check.handle(event).await.unwrap();
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        answer
    }

    #[tokio::test]
    async fn today_in_tokyo_is_a_holiday() {
        let c = check(FakeStore::holding(document()), &[]);
        let answer = ask(&c, sample_event("voice-now")).await;
        assert_eq!(
            answer,
            HolidayCheckResponse {
                is_holiday: "true".into(),
                holiday_name: "勤労感謝の日".into(),
                is_closed: "true".into(),
                closed_from: "2026-11-23T00:00:00+09:00".into(),
                closed_until: "2026-11-24T00:00:00+09:00".into(),
                date: "2026-11-23".into(),
                site: "default".into(),
                status: "ok".into(),
                error: None,
                // generated 2026-11-01T00:00Z, asked 2026-11-22T23:00Z
                list_age_minutes: Some((21 * 24 + 23) * 60),
                outcome: Answered::Holiday,
            }
        );
    }

    #[tokio::test]
    async fn each_answer_is_counted_by_outcome_and_site_with_the_age_of_its_list() {
        use connect_core::metrics::OUTCOME;
        let c = check(FakeStore::holding(two_sites()), &[("SITE", "tokyo")]);
        let at = |site: &str, t: &str| with_params(json!({"site": site, "at": t}));
        let cases = [
            (at("tokyo", "2026-11-23T01:00:00Z"), "holiday", "tokyo"),
            (at("tokyo", "2026-11-24T01:00:00Z"), "open", "tokyo"),
            (at("new-york", "2026-11-01T20:01:00Z"), "closed_early", "new-york"),
            (at("osaka", "2026-11-24T01:00:00Z"), "error", "osaka"),
        ];
        for (event, outcome, site) in cases {
            let record = ask(&c, event).await.metrics();
            assert_eq!((record.get(OUTCOME), record.get(SITE)), (Some(outcome), Some(site)));
            let answers = record.measure("HolidayAnswers").unwrap();
            assert_eq!((answers.value, answers.unit), (1.0, Unit::Count));
            assert_eq!(answers.dimension_sets, vec![vec![], vec![OUTCOME], vec![SITE, OUTCOME]]);
            let age = record.value("HolidayListAgeHours");
            assert_eq!(age, (outcome != "error").then_some(21.0 * 24.0 + 23.0), "{outcome}");
        }
        // no list at all: an error answer, and no age to tell
        let c = check(FakeStore::default(), &[]);
        let record = ask(&c, sample_event("voice-now")).await.metrics();
        assert_eq!((record.get(OUTCOME), record.value("HolidayListAgeHours")), (Some("error"), None));
    }

    #[tokio::test]
    async fn date_and_at_parameters() {
        let c = check(FakeStore::holding(document()), &[]);
        let cases = [
            (json!({"date": "2027-01-01"}), "true", "2027-01-01"),
            (json!({"date": "2027-01-02"}), "false", "2027-01-02"),
            // one minute before and after local midnight in Tokyo
            (json!({"at": "2026-12-31T14:59:00Z"}), "false", "2026-12-31"),
            (json!({"at": "2026-12-31T15:01:00Z"}), "true", "2027-01-01"),
        ];
        for (params, is_holiday, date) in cases {
            let answer = ask(&c, with_params(params.clone())).await;
            assert_eq!((answer.is_holiday.as_str(), answer.date.as_str()), (is_holiday, date), "{params}");
        }
    }

    #[tokio::test]
    async fn another_time_zone_moves_the_boundary() {
        let c = check(FakeStore::holding(document()), &[("TIME_ZONE", "America/Los_Angeles")]);
        let answer = ask(&c, with_params(json!({"at": "2027-01-01T07:59:00Z"}))).await;
        assert_eq!((answer.is_holiday.as_str(), answer.date.as_str()), ("false", "2026-12-31"));
    }

    #[tokio::test]
    async fn warm_calls_within_the_cache_window_make_no_store_request() {
        let c = check(FakeStore::holding(document()), &[("CACHE_SECONDS", "300")]);
        for _ in 0..5 {
            ask(&c, sample_event("voice-now")).await;
            c.clock.advance(TimeDelta::seconds(30));
        }
        assert_eq!(c.store.loads(), 1);
    }

    #[tokio::test]
    async fn the_list_read_at_init_serves_the_first_call() {
        let c = check(FakeStore::holding(document()), &[]);
        c.warm_up().await;
        assert_eq!(c.store.loads(), 1);
        assert_eq!(ask(&c, sample_event("voice-now")).await.status, "ok");
        assert_eq!(c.store.loads(), 1, "the first call used the list read at init");

        let missing = check(FakeStore::default(), &[]);
        missing.warm_up().await; // logged only; the first call tries again and answers
        assert_eq!(ask(&missing, sample_event("voice-now")).await.status, "error");
        assert_eq!(missing.store.loads(), 2);
    }

    #[tokio::test]
    async fn after_the_window_the_list_is_revalidated_and_changes_are_seen() {
        let c = check(FakeStore::holding(document()), &[("CACHE_SECONDS", "60")]);
        ask(&c, sample_event("voice-now")).await;
        c.clock.advance(TimeDelta::seconds(61));
        ask(&c, sample_event("voice-now")).await; // 304: same list
        assert_eq!(c.store.loads(), 2);
        c.store.put(b"{\"generatedAt\":\"2026-11-22T00:00:00Z\",\"sources\":[],\"holidays\":[]}".to_vec());
        c.clock.advance(TimeDelta::seconds(61));
        let answer = ask(&c, sample_event("voice-now")).await;
        assert_eq!((answer.is_holiday.as_str(), c.store.loads()), ("false", 3));
    }

    #[tokio::test]
    async fn missing_list_answers_per_on_error_and_alerts_once_per_window() {
        for (on_error, expected) in [("open", "false"), ("closed", "true")] {
            let c = check(FakeStore::default(), &[("ON_ERROR", on_error)]);
            for _ in 0..3 {
                let answer = ask(&c, sample_event("voice-now")).await;
                assert_eq!(answer.status, "error");
                assert_eq!(answer.is_holiday, expected);
                assert_eq!(answer.error.as_deref(), Some("holiday list not found"));
                assert_eq!(answer.date, "2026-11-23");
            }
            assert_eq!(c.notifier.notices().len(), 1, "one alert in 15 minutes");
            c.clock.advance(TimeDelta::minutes(16));
            ask(&c, sample_event("voice-now")).await;
            assert_eq!(c.notifier.notices().len(), 2);
        }
    }

    #[tokio::test]
    async fn unreadable_list_and_store_outage_without_cache_are_errors() {
        let c = check(FakeStore::holding(b"<html>".to_vec()), &[]);
        assert_eq!(ask(&c, sample_event("voice-now")).await.error.as_deref(), Some("holiday list unreadable"));

        let store = FakeStore::default();
        store.fail_with(Some("SlowDown"));
        let c = check(store, &[]);
        let answer = ask(&c, sample_event("voice-now")).await;
        assert_eq!((answer.status.as_str(), answer.error.as_deref()), ("error", Some("holiday list unavailable")));
        assert!(c.notifier.notices()[0].1.contains("SlowDown"));
    }

    #[tokio::test]
    async fn store_outage_with_a_cached_list_keeps_answering_from_the_cache() {
        let c = check(FakeStore::holding(document()), &[("CACHE_SECONDS", "60")]);
        ask(&c, sample_event("voice-now")).await;
        c.store.fail_with(Some("503 Service Unavailable"));
        c.clock.advance(TimeDelta::seconds(61));
        let answer = ask(&c, sample_event("voice-now")).await;
        assert_eq!((answer.status.as_str(), answer.is_holiday.as_str()), ("ok", "true"));
        ask(&c, sample_event("voice-now")).await;
        assert_eq!(c.store.loads(), 2, "no retry storm within the window");
        assert_eq!(c.notifier.notices().len(), 1);
    }

    #[tokio::test]
    async fn an_early_close_is_closed_from_its_start_and_not_a_holiday() {
        let c = check(FakeStore::holding(document()), &[]);
        let at = |t: &str| with_params(json!({"at": t}));
        let closed = ask(&c, at("2026-12-28T06:01:00Z")).await; // 15:01 in Tokyo
        assert_eq!((closed.is_closed.as_str(), closed.is_holiday.as_str()), ("true", "false"));
        assert_eq!(closed.closed_from, "2026-12-28T15:00:00+09:00");
        assert_eq!(closed.closed_until, "2026-12-29T00:00:00+09:00");
        assert_eq!(closed.holiday_name, "仕事納め");
        let open = ask(&c, at("2026-12-28T05:59:00Z")).await; // 14:59
        assert_eq!((open.is_closed.as_str(), open.closed_from.as_str(), open.status.as_str()), ("false", "", "ok"));
        // asked about the date: not closed all day, and the flow learns when it closes
        let day = ask(&c, with_params(json!({"date": "2026-12-28"}))).await;
        assert_eq!((day.is_closed.as_str(), day.is_holiday.as_str()), ("false", "false"));
        assert_eq!(
            (day.closed_from.as_str(), day.closed_until.as_str()),
            ("2026-12-28T15:00:00+09:00", "2026-12-29T00:00:00+09:00")
        );
    }

    #[tokio::test]
    async fn each_site_in_its_own_zone_across_daylight_saving() {
        let c = check(FakeStore::holding(two_sites()), &[("SITE", "tokyo")]);
        let ask_site = |site: &str, at: &str| with_params(json!({"site": site, "at": at}));
        // 2026-03-08 (EST -> EDT) and 2026-11-01 (EDT -> EST): 14:59 open, 15:01 closed, local time
        for (open_at, closed_at, from) in [
            ("2026-03-08T18:59:00Z", "2026-03-08T19:01:00Z", "2026-03-08T15:00:00-04:00"),
            ("2026-11-01T19:59:00Z", "2026-11-01T20:01:00Z", "2026-11-01T15:00:00-05:00"),
        ] {
            let open = ask(&c, ask_site("new-york", open_at)).await;
            assert_eq!((open.is_closed.as_str(), open.site.as_str()), ("false", "new-york"), "{open_at}");
            let closed = ask(&c, ask_site("new-york", closed_at)).await;
            assert_eq!((closed.is_closed.as_str(), closed.closed_from.as_str()), ("true", from), "{closed_at}");
        }
        // no site parameter: SITE; Tokyo's holiday is not New York's
        let tokyo = ask(&c, with_params(json!({"date": "2026-11-23"}))).await;
        assert_eq!((tokyo.site.as_str(), tokyo.is_holiday.as_str()), ("tokyo", "true"));
        let new_york = ask(&c, ask_site("new-york", "2026-11-23T15:00:00Z")).await;
        assert_eq!(new_york.is_holiday, "false");
        // the sample event for a flow that names its site
        let sample = ask(&c, sample_event("site-at")).await;
        assert_eq!((sample.site.as_str(), sample.is_closed.as_str()), ("new-york", "true"));
        let unknown = ask(&c, with_params(json!({"site": "osaka"}))).await;
        assert_eq!(
            (unknown.status.as_str(), unknown.error.as_deref(), unknown.site.as_str()),
            ("error", Some("unknown site"), "osaka")
        );
    }

    #[tokio::test]
    async fn a_stored_list_that_turns_unreadable_is_answered_from_the_cache_with_an_alert() {
        let c = check(FakeStore::holding(document()), &[("CACHE_SECONDS", "60")]);
        ask(&c, sample_event("voice-now")).await;
        c.store.put(b"{\"version\": 2, \"sites\": 7}".to_vec());
        c.clock.advance(TimeDelta::seconds(61));
        let answer = ask(&c, sample_event("voice-now")).await;
        assert_eq!((answer.status.as_str(), answer.is_holiday.as_str()), ("ok", "true"));
        let notices = c.notifier.notices();
        assert_eq!(notices.len(), 1);
        assert!(notices[0].1.contains("unreadable"), "{notices:?}");
    }

    /// A store that takes `delay` to answer.
    struct SlowStore(Duration);

    impl HolidayStore for SlowStore {
        type Error = connect_fakes::FakeError;
        async fn load(&self, _: Option<&str>) -> Result<Stored, Self::Error> {
            tokio::time::sleep(self.0).await;
            Ok(Stored::Missing)
        }
        async fn save(&self, _: Vec<u8>) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// A notifier that never finishes.
    struct StuckNotifier;

    impl Notifier for StuckNotifier {
        type Error = connect_fakes::FakeError;
        async fn notify(&self, _: &str, _: &str) -> Result<(), Self::Error> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_whole_answer_fits_one_budget_and_never_waits_for_the_alert() {
        let config = Config::from_env(&Env::from_pairs([("HOLIDAY_BUCKET", "b")])).unwrap();
        let slow = HolidayCheck::new(
            &config,
            SlowStore(Duration::from_secs(10)),
            StuckNotifier,
            FakeClock::at("2026-11-22T23:00:00Z"),
        );
        let started = tokio::time::Instant::now();
        let answer = slow.handle(sample_event("voice-now")).await.unwrap();
        assert_eq!((answer.status.as_str(), answer.error.as_deref()), ("error", Some("timed out")));
        assert_eq!(started.elapsed(), ANSWER_WITHIN, "answered at the budget, the alert still pending");
    }

    #[tokio::test]
    async fn invalid_parameters_and_malformed_events_are_clear_errors() {
        let c = check(FakeStore::holding(document()), &[]);
        let answer = ask(&c, with_params(json!({"date": "23/11/2026"}))).await;
        assert_eq!(
            (answer.status.as_str(), answer.error.as_deref(), answer.date.as_str()),
            ("error", Some("invalid parameter"), "")
        );
        let answer = ask(&c, json!("not an event")).await;
        assert_eq!((answer.status.as_str(), answer.error.as_deref()), ("error", Some("malformed event")));
        assert_eq!(c.store.loads(), 0);
    }

    #[tokio::test]
    async fn chat_contact_without_customer_endpoint_is_answered() {
        let c = check(FakeStore::holding(document()), &[]);
        let answer = ask(&c, sample_event("chat-no-endpoint")).await;
        assert_eq!((answer.status.as_str(), answer.is_holiday.as_str()), ("ok", "true"));
    }

    #[tokio::test]
    async fn every_response_field_is_a_string() {
        let c = check(FakeStore::default(), &[]);
        let value = serde_json::to_value(ask(&c, sample_event("voice-now")).await).unwrap();
        for (key, field) in value.as_object().unwrap() {
            assert!(field.is_string(), "{key}");
            let keys = [
                "isHoliday",
                "holidayName",
                "isClosed",
                "closedFrom",
                "closedUntil",
                "date",
                "site",
                "status",
                "error",
            ];
            assert!(keys.contains(&key.as_str()), "{key}");
        }
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = HolidayCheckResponse {
            is_holiday: "true".into(),
            holiday_name: "勤労感謝の日".into(),
            is_closed: "true".into(),
            closed_from: "2026-11-23T00:00:00+09:00".into(),
            closed_until: "2026-11-24T00:00:00+09:00".into(),
            date: "2026-11-23".into(),
            site: "default".into(),
            status: "ok".into(),
            error: Some("x".into()),
            list_age_minutes: Some(1),
            outcome: Answered::Holiday,
        };
        connect_fakes::assert_contract("holiday-check", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_event_gets_an_answer_and_never_a_panic(
            event in connect_fakes::arbitrary::events(
                ["voice-now", "voice-at", "voice-date", "chat-no-endpoint", "site-at"].map(sample_event).to_vec()
            )
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let c = check(FakeStore::holding(two_sites()), &[("SITE", "tokyo")]);
            let answer = runtime.block_on(c.handle(event)).unwrap();
            proptest::prop_assert!(["ok", "error"].contains(&answer.status.as_str()));
            proptest::prop_assert!(["true", "false"].contains(&answer.is_closed.as_str()));
            proptest::prop_assert_eq!(answer.error.is_some(), answer.status == "error");
        }
    }
}
