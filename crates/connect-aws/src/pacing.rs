//! Client-side pacing of Connect requests off the caller's path (the dialer, the override sync):
//! at most Connect's default rate per operation, so a long run is not throttled into failures.
//!
//! "Amazon Connect throttling quotas are by account, and per Region": GetMetricData and
//! GetCurrentMetricData 5 requests/s, all other APIs 2 requests/s (Administrator Guide, "Amazon
//! Connect service quotas"). The pacer keeps to the steady rate and takes no burst, leaving the
//! burst to the account's other callers; a throttle that still happens is retried by the SDK.
//! Contact-flow functions are not paced: a caller cannot wait, so they answer their fallback.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Requests per second the pacer allows for `operation`.
pub fn paced_rate(operation: &str) -> f64 {
    match operation {
        "GetMetricData" | "GetMetricDataV2" | "GetCurrentMetricData" => 5.0,
        _ => 2.0,
    }
}

/// One schedule per operation: the next instant a request of it may start.
#[derive(Debug, Default)]
pub struct ConnectPacer {
    next: Mutex<HashMap<&'static str, Instant>>,
}

impl ConnectPacer {
    /// Waits until a request of `operation` may be sent, and books its slot.
    pub async fn pace(&self, operation: &'static str) {
        let wait = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.get(operation).copied().filter(|at| *at > now).unwrap_or(now);
            next.insert(operation, slot + Duration::from_secs_f64(1.0 / paced_rate(operation)));
            slot - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_of_one_operation_are_spaced_at_its_rate_others_are_not_held_up() {
        let pacer = ConnectPacer::default();
        let start = Instant::now();
        for _ in 0..5 {
            pacer.pace("CreateHoursOfOperationOverride").await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2), "5 requests at 2/s: the 5th starts after 2 s");
        let other = Instant::now();
        pacer.pace("GetCurrentMetricData").await;
        pacer.pace("GetCurrentMetricData").await;
        assert_eq!(other.elapsed(), Duration::from_millis(200), "5/s for the metric");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let idle = Instant::now();
        pacer.pace("CreateHoursOfOperationOverride").await;
        assert_eq!(idle.elapsed(), Duration::ZERO, "after a pause the next request goes at once");
    }
}
