//! Which calendar date a contact-flow question is about, in the center's time zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DateParamError {
    #[error("date {0:?} is not YYYY-MM-DD")]
    Date(String),
    #[error("at {0:?} is not an RFC 3339 instant")]
    At(String),
}

/// `date` (taken as written) wins over `at` (an instant, seen in `zone`); neither means `now`.
pub fn date_to_check(
    date: Option<&str>,
    at: Option<&str>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<NaiveDate, DateParamError> {
    if let Some(date) = date {
        return NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| DateParamError::Date(date.to_owned()));
    }
    let instant = match at {
        Some(at) => DateTime::parse_from_rfc3339(at).map_err(|_| DateParamError::At(at.to_owned()))?.to_utc(),
        None => now,
    };
    Ok(instant.with_timezone(&zone).date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn dates_in_the_centers_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let now = utc("2026-12-31T14:59:00Z"); // 23:59 in Tokyo
        let cases = [
            (None, None, "2026-12-31"),
            (None, Some("2026-12-31T14:59:00Z"), "2026-12-31"), // one minute before local midnight
            (None, Some("2026-12-31T15:01:00Z"), "2027-01-01"), // one minute after
            (None, Some("2027-01-01T00:00:30+09:00"), "2027-01-01"),
            (Some("2026-05-05"), Some("2026-12-31T15:01:00Z"), "2026-05-05"),
        ];
        for (date, at, expected) in cases {
            assert_eq!(date_to_check(date, at, now, tokyo).unwrap().to_string(), expected, "{date:?} {at:?}");
        }
        let new_york: Tz = "America/New_York".parse().unwrap();
        assert_eq!(date_to_check(None, None, utc("2027-01-01T04:59:00Z"), new_york).unwrap().to_string(), "2026-12-31");
    }

    #[test]
    fn bad_parameters_are_named() {
        let tz: Tz = "Asia/Tokyo".parse().unwrap();
        let now = utc("2026-01-01T00:00:00Z");
        assert_eq!(date_to_check(Some("2026/01/01"), None, now, tz), Err(DateParamError::Date("2026/01/01".into())));
        assert_eq!(date_to_check(Some("2026-02-30"), None, now, tz), Err(DateParamError::Date("2026-02-30".into())));
        assert_eq!(date_to_check(None, Some("tomorrow"), now, tz), Err(DateParamError::At("tomorrow".into())));
    }
}
