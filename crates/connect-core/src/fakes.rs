//! In-memory implementations of the ports for handler tests (feature `fakes`).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::ports::{CalendarSource, Clock, HolidayStore, Notifier, Stored};

/// A panicking test poisons nothing here: the data stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FakeError(pub String);

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct FakeClock(Mutex<DateTime<Utc>>);

impl FakeClock {
    /// An unparsable time starts the clock at the epoch, which the test's dates then expose.
    pub fn at(rfc3339: &str) -> Self {
        FakeClock(Mutex::new(rfc3339.parse().unwrap_or(DateTime::UNIX_EPOCH)))
    }
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Calendar bodies by URL; a URL without a body fails like a broken download.
#[derive(Debug, Default)]
pub struct FakeCalendars(pub HashMap<String, Vec<u8>>);

impl FakeCalendars {
    pub fn with(mut self, url: &str, body: impl Into<Vec<u8>>) -> Self {
        self.0.insert(url.to_owned(), body.into());
        self
    }
}

impl CalendarSource for FakeCalendars {
    type Error = FakeError;
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FakeError> {
        self.0.get(url).cloned().ok_or_else(|| FakeError(format!("GET {url} answered HTTP 503")))
    }
}

/// One object with an entity tag that changes on every save; reads and writes are counted and
/// can be made to fail.
#[derive(Debug, Default)]
pub struct FakeStore {
    state: Mutex<FakeStoreState>,
}

#[derive(Debug, Default)]
struct FakeStoreState {
    body: Option<Vec<u8>>,
    version: u32,
    loads: usize,
    saves: usize,
    failing: Option<String>,
}

impl FakeStore {
    pub fn holding(body: impl Into<Vec<u8>>) -> Self {
        let store = FakeStore::default();
        store.put(body);
        store
    }
    /// Replaces the object as another writer would.
    pub fn put(&self, body: impl Into<Vec<u8>>) {
        let mut s = lock(&self.state);
        s.body = Some(body.into());
        s.version += 1;
    }
    pub fn delete(&self) {
        lock(&self.state).body = None;
    }
    pub fn body(&self) -> Option<Vec<u8>> {
        lock(&self.state).body.clone()
    }
    pub fn loads(&self) -> usize {
        lock(&self.state).loads
    }
    pub fn saves(&self) -> usize {
        lock(&self.state).saves
    }
    /// Every call fails with this message until `None`.
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
}

impl HolidayStore for FakeStore {
    type Error = FakeError;

    async fn load(&self, if_none_match: Option<&str>) -> Result<Stored, FakeError> {
        let mut s = lock(&self.state);
        s.loads += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        let etag = format!("\"v{}\"", s.version);
        Ok(match &s.body {
            None => Stored::Missing,
            Some(_) if if_none_match == Some(etag.as_str()) => Stored::NotModified,
            Some(body) => Stored::Current { body: body.clone(), etag: Some(etag) },
        })
    }

    async fn save(&self, body: Vec<u8>) -> Result<(), FakeError> {
        let mut s = lock(&self.state);
        s.saves += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        s.body = Some(body);
        s.version += 1;
        Ok(())
    }
}

/// Records every notice.
#[derive(Debug, Default)]
pub struct FakeNotifier(Mutex<Vec<(String, String)>>);

impl FakeNotifier {
    pub fn notices(&self) -> Vec<(String, String)> {
        lock(&self.0).clone()
    }
}

impl Notifier for FakeNotifier {
    type Error = FakeError;
    async fn notify(&self, subject: &str, message: &str) -> Result<(), FakeError> {
        lock(&self.0).push((subject.to_owned(), message.to_owned()));
        Ok(())
    }
}
