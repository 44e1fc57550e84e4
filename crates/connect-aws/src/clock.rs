use chrono::{DateTime, Utc};
use connect_core::ports::Clock;

/// The real clock, for production wiring only.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
