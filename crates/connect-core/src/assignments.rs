//! Who served a caller last: the assignment the recorder writes and the lookup reads.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::phone::CallerNumber;

/// One caller's last agent. Stored with `phoneNumber` as the key; `expires_at` is the table's
/// TTL attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub caller: CallerNumber,
    pub agent_id: String,
    /// Empty when neither the flow nor the event said which instance the agent belongs to.
    pub agent_arn: String,
    pub contact_id: String,
    /// When the assignment was made; a later assignment replaces an earlier one, never the
    /// other way round.
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Assignment {
    pub fn new(
        caller: CallerNumber,
        agent_id: String,
        agent_arn: String,
        contact_id: String,
        now: DateTime<Utc>,
        keep_for_days: u32,
    ) -> Self {
        Assignment {
            caller,
            agent_id,
            agent_arn,
            contact_id,
            updated_at: now,
            expires_at: now + TimeDelta::days(keep_for_days.into()),
        }
    }

    /// DynamoDB deletes expired items up to a few days late: an expired item is ignored
    /// before it is gone.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// Time as stored: RFC 3339 in UTC with fixed millisecond precision, so that comparing the
/// text (as a DynamoDB condition does) orders the instants.
pub fn stored_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What a conditional write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Written: the first assignment for this caller, a newer one, or a retry of the same contact.
    Written,
    /// Not written: the caller already has a newer assignment from another contact.
    Superseded,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_assignment_expires_after_its_days() {
        let caller = CallerNumber::parse("+81312345678").unwrap();
        let a = Assignment::new(caller, "a-1".into(), String::new(), "c-1".into(), at("2026-01-01T00:00:00Z"), 90);
        assert_eq!(a.expires_at, at("2026-04-01T00:00:00Z"));
        assert!(!a.is_expired(at("2026-03-31T23:59:59Z")));
        assert!(a.is_expired(at("2026-04-01T00:00:00Z")));
    }

    #[test]
    fn stored_times_sort_as_text_in_time_order() {
        let times =
            ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.005Z", "2026-01-01T00:00:00.05Z", "2026-01-01T00:00:01Z"];
        let stored: Vec<String> = times.iter().map(|t| stored_time(at(t))).collect();
        assert_eq!(stored[0], "2026-01-01T00:00:00.000Z");
        assert!(stored.windows(2).all(|w| w[0] < w[1]), "{stored:?}");
    }
}
