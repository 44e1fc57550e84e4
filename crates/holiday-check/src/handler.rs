//! Answers a contact flow's "is it a holiday?" from a per-environment cache of the holiday list.

use std::convert::Infallible;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use connect_core::connect::{ContactFlowEvent, flag};
use connect_core::dates::date_to_check;
use connect_core::holidays::{HolidayDocument, HolidayIndex};
use connect_core::ports::{Clock, HolidayStore, Notifier, Stored, error_chain};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::config::{Config, OnError};

/// At most one alert per window per execution environment: no storm while S3 is down.
const ALERT_WINDOW: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HolidayCheckResponse {
    pub is_holiday: String,
    pub holiday_name: String,
    pub date: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

struct Cached {
    index: Arc<HolidayIndex>,
    etag: Option<String>,
    checked_at: DateTime<Utc>,
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
    Unreadable(#[source] serde_json::Error),
    #[error("holiday list unavailable")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub struct HolidayCheck<S, N, K> {
    store: S,
    notifier: N,
    clock: K,
    time_zone: Tz,
    cache_for: TimeDelta,
    on_error: OnError,
    state: Mutex<State>,
}

impl<S: HolidayStore, N: Notifier, K: Clock> HolidayCheck<S, N, K> {
    pub fn new(config: &Config, store: S, notifier: N, clock: K) -> Self {
        HolidayCheck {
            store,
            notifier,
            clock,
            time_zone: config.time_zone,
            cache_for: config.cache_for,
            on_error: config.on_error,
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

    /// Always answers the flow; problems become `status=error`, never a function error.
    pub async fn handle(&self, event: serde_json::Value) -> Result<HolidayCheckResponse, Infallible> {
        let now = self.clock.now();
        let event = match ContactFlowEvent::from_value(event) {
            Ok(event) => event,
            Err(e) => return Ok(self.error_answer(now, "", "malformed event", &error_chain(&e)).await),
        };
        let contact_id = event.contact_id().to_owned();
        let date_param = event.parameter("date");
        let at_param = event.parameter("at");
        let date = match date_to_check(date_param.as_deref(), at_param.as_deref(), now, self.time_zone) {
            Ok(date) => date,
            Err(e) => {
                let answer = self.error_answer(now, "", "invalid parameter", &e.to_string()).await;
                tracing::warn!(contact_id, error = %e, "invalid parameter");
                return Ok(answer);
            }
        };
        match self.holidays(now).await {
            Ok(index) => {
                let name = index.name_of(date).unwrap_or_default();
                tracing::info!(contact_id, %date, is_holiday = !name.is_empty(), holiday = name, "checked");
                Ok(HolidayCheckResponse {
                    is_holiday: flag(!name.is_empty()),
                    holiday_name: name.to_owned(),
                    date: date.to_string(),
                    status: "ok".to_owned(),
                    error: None,
                })
            }
            Err(e) => {
                let detail = error_chain(&e);
                tracing::error!(contact_id, %date, error = %detail, on_error = ?self.on_error, "holiday list unavailable");
                Ok(self.error_answer(now, &date.to_string(), &e.to_string(), &detail).await)
            }
        }
    }

    async fn error_answer(&self, now: DateTime<Utc>, date: &str, reason: &str, detail: &str) -> HolidayCheckResponse {
        self.alert(
            now,
            &format!("holiday-check answered status=error ({reason}); ON_ERROR={:?}.\n\n{detail}\n", self.on_error),
        )
        .await;
        HolidayCheckResponse {
            is_holiday: flag(self.on_error == OnError::Closed),
            holiday_name: String::new(),
            date: date.to_owned(),
            status: "error".to_owned(),
            error: Some(reason.to_owned()),
        }
    }

    async fn alert(&self, now: DateTime<Utc>, message: &str) {
        {
            let mut state = self.state.lock().await;
            if state.last_alert.is_some_and(|at| now - at < ALERT_WINDOW) {
                return;
            }
            state.last_alert = Some(now);
        }
        if let Err(e) = self.notifier.notify("connect-lambdas: holiday-check error", message).await {
            tracing::error!(error = %error_chain(&e), "alert not sent");
        }
    }

    /// The cached index within `CACHE_SECONDS` (no request at all), else revalidated with a
    /// conditional GET. When the store fails but a list is cached, the cached list keeps
    /// answering for another window: callers are better served by yesterday's list than by
    /// an error, and S3 is not hammered while it is down.
    async fn holidays(&self, now: DateTime<Utc>) -> Result<Arc<HolidayIndex>, Unavailable> {
        let mut state = self.state.lock().await;
        if let Some(cached) = state.cached.as_ref().filter(|c| now - c.checked_at < self.cache_for) {
            return Ok(cached.index.clone());
        }
        let etag = state.cached.as_ref().and_then(|c| c.etag.clone());
        let loaded = self.store.load(etag.as_deref()).await;
        match (loaded, state.cached.as_mut()) {
            (Ok(Stored::NotModified), Some(cached)) => {
                cached.checked_at = now;
                Ok(cached.index.clone())
            }
            (Ok(Stored::Current { body, etag }), _) => {
                let document = HolidayDocument::from_json(&body).map_err(Unavailable::Unreadable)?;
                let index = Arc::new(HolidayIndex::new(&document));
                tracing::info!(holidays = index.len(), generated_at = %document.generated_at, "holiday list loaded");
                state.cached = Some(Cached { index: index.clone(), etag, checked_at: now });
                Ok(index)
            }
            (Ok(Stored::Missing | Stored::NotModified), _) => {
                state.cached = None;
                Err(Unavailable::Missing)
            }
            (Err(e), Some(cached)) => {
                tracing::warn!(error = %error_chain(&e), "store unavailable; answering from the cached list");
                cached.checked_at = now;
                let index = cached.index.clone();
                drop(state);
                self.alert(
                    now,
                    &format!(
                        "holiday-check could not revalidate the holiday list and answers from its cache.\n\n{}\n",
                        error_chain(&e)
                    ),
                )
                .await;
                Ok(index)
            }
            (Err(e), None) => Err(Unavailable::Store(Box::new(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_aws::Env;
    use connect_core::fakes::{FakeClock, FakeNotifier, FakeStore};
    use connect_core::holidays::Holiday;
    use serde_json::{Value, json};

    type Check = HolidayCheck<FakeStore, FakeNotifier, FakeClock>;

    fn document() -> Vec<u8> {
        let holiday = |date: &str, name: &str| Holiday { date: date.parse().unwrap(), name: name.into() };
        HolidayDocument {
            generated_at: "2026-11-01T00:00:00Z".parse().unwrap(),
            sources: vec!["https://calendars.test/ja.ics".into()],
            holidays: vec![holiday("2026-11-23", "勤労感謝の日"), holiday("2027-01-01", "元日")],
        }
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
        connect_core::fakes::sample_event("holiday-check", name)
    }

    fn with_params(params: Value) -> Value {
        let mut event = sample_event("voice-now");
        event["Details"]["Parameters"] = params;
        event
    }

    async fn ask(check: &Check, event: Value) -> HolidayCheckResponse {
        check.handle(event).await.unwrap()
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
                date: "2026-11-23".into(),
                status: "ok".into(),
                error: None
            }
        );
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
            assert!(["isHoliday", "holidayName", "date", "status", "error"].contains(&key.as_str()), "{key}");
        }
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = HolidayCheckResponse {
            is_holiday: "true".into(),
            holiday_name: "勤労感謝の日".into(),
            date: "2026-11-23".into(),
            status: "ok".into(),
            error: Some("x".into()),
        };
        connect_core::fakes::assert_contract("holiday-check", include_str!("handler.rs"), &full);
    }
}
