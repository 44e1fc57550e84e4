//! The narrow capabilities the functions need from the outside world, one trait each.
//! `connect-aws` implements them over the AWS SDK and HTTP; tests implement them in memory.
//!
//! Futures are declared `Send` so handlers generic over these traits can run on any runtime.

use std::error::Error;
use std::future::Future;

use chrono::{DateTime, Utc};

/// The current instant. Handlers never read the system clock directly.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Downloads one calendar body.
pub trait CalendarSource: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    fn fetch(&self, url: &str) -> impl Future<Output = Result<Vec<u8>, Self::Error>> + Send;
}

/// What a conditional read of the stored holiday list found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Missing,
    /// The entity tag given to the read still matches.
    NotModified,
    Current {
        body: Vec<u8>,
        etag: Option<String>,
    },
}

/// The stored holiday list (one object).
pub trait HolidayStore: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    /// Reads the list; with `if_none_match`, an unchanged list answers [`Stored::NotModified`].
    fn load(&self, if_none_match: Option<&str>) -> impl Future<Output = Result<Stored, Self::Error>> + Send;
    fn save(&self, body: Vec<u8>) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Notices to the people who run the center (SNS in production).
pub trait Notifier: Send + Sync {
    type Error: Error + Send + Sync + 'static;
    fn notify(&self, subject: &str, message: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Formats an error with its chain of sources, for notices and logs.
pub fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
