//! Part of a day a center is closed, in its local wall-clock time: an early close
//! (`15:00-24:00`), a late opening, a closed afternoon. Written `HH:MM-HH:MM`, `24:00` being the
//! end of the day; a whole-day closure has no window at all.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MINUTES_PER_DAY: u32 = 24 * 60;

/// From `from` to `until` (exclusive), minutes of the local day; `until` may be 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClosedWindow {
    from: u32,
    until: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a closing window HH:MM-HH:MM (00:00 to 24:00, ending after it starts)")]
pub struct InvalidWindow(pub String);

fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

impl ClosedWindow {
    /// `from` to `until` minutes of the day; `None` unless `from < until <= 24:00`.
    pub fn new(from_minute: u32, until_minute: u32) -> Option<ClosedWindow> {
        (from_minute < until_minute && until_minute <= MINUTES_PER_DAY)
            .then_some(ClosedWindow { from: from_minute, until: until_minute })
    }

    /// The window of local times `from` to `until`; `until` at midnight means the end of the day.
    pub fn between(from: NaiveTime, until: NaiveTime) -> Option<ClosedWindow> {
        let minute = |t: NaiveTime| t.hour() * 60 + t.minute();
        let end = if until == NaiveTime::MIN { MINUTES_PER_DAY } else { minute(until) };
        ClosedWindow::new(minute(from), end)
    }

    pub fn from_minute(&self) -> u32 {
        self.from
    }

    pub fn until_minute(&self) -> u32 {
        self.until
    }

    /// 00:00-24:00: the whole day after all.
    pub fn is_whole_day(&self) -> bool {
        self.from == 0 && self.until == MINUTES_PER_DAY
    }

    /// Whether a local time of the day falls inside.
    pub fn contains(&self, time: NaiveTime) -> bool {
        let minute = time.hour() * 60 + time.minute();
        self.from <= minute && minute < self.until
    }

    /// The window on `date` as instants in `tz`: a local time the DST change skips is taken as
    /// the first instant after the gap, a repeated one as its first occurrence.
    pub fn instants(&self, date: NaiveDate, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((local_instant(date, self.from, tz)?, local_instant(date, self.until, tz)?))
    }

    /// `HH:MM` of the start and the end (`24:00` for the end of the day).
    pub fn bounds(&self) -> (String, String) {
        let show = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        (show(self.from), show(self.until))
    }
}

/// A local date and minute of the day (up to 24:00, the next midnight) as an instant in `tz`.
pub fn local_instant(date: NaiveDate, minute: u32, tz: Tz) -> Option<DateTime<Utc>> {
    wall_clock_instant(date.and_time(NaiveTime::MIN) + TimeDelta::minutes(minute.into()), tz)
}

/// A wall-clock time in `tz` as an instant: a time a DST change skips is taken as the first
/// instant after the gap (in 15-minute steps, up to 3 hours), a repeated one as its first
/// occurrence. The one place the suite turns local times into instants.
pub fn wall_clock_instant(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let mut probe = local;
    for _ in 0..12 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return Some(t.with_timezone(&Utc)),
            LocalResult::None => probe += TimeDelta::minutes(15),
        }
    }
    None
}

impl FromStr for ClosedWindow {
    type Err = InvalidWindow;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidWindow(text.to_owned());
        let (from, until) = text.split_once('-').ok_or_else(invalid)?;
        ClosedWindow::new(minutes(from).ok_or_else(invalid)?, minutes(until).ok_or_else(invalid)?).ok_or_else(invalid)
    }
}

impl fmt::Display for ClosedWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, until) = self.bounds();
        write!(f, "{from}-{until}")
    }
}

impl Serialize for ClosedWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClosedWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn windows_parse_print_and_refuse_mistakes() {
        let early: ClosedWindow = "15:00-24:00".parse().unwrap();
        assert_eq!((early.from_minute(), early.until_minute(), early.to_string()), (900, 1440, "15:00-24:00".into()));
        assert!(!early.is_whole_day() && "00:00-24:00".parse::<ClosedWindow>().unwrap().is_whole_day());
        for bad in ["", "15:00", "15-24", "24:00-24:00", "16:00-15:00", "09:60-10:00", "9:00-10:00", "10:00-24:01"] {
            assert!(bad.parse::<ClosedWindow>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&early).unwrap(), "\"15:00-24:00\"");
        assert_eq!(serde_json::from_str::<ClosedWindow>("\"12:00-17:00\"").unwrap().to_string(), "12:00-17:00");
        assert!(serde_json::from_str::<ClosedWindow>("\"noon\"").is_err());
        assert_eq!(ClosedWindow::between(time("15:00"), NaiveTime::MIN), Some(early), "midnight ends the day");
    }

    #[test]
    fn contains_is_start_inclusive_end_exclusive() {
        let early: ClosedWindow = "15:00-24:00".parse().unwrap();
        assert!(!early.contains(time("14:59")));
        assert!(early.contains(time("15:00")) && early.contains(time("23:59")));
        let lunch: ClosedWindow = "12:00-13:00".parse().unwrap();
        assert!(!lunch.contains(time("13:00")));
    }

    #[test]
    fn instants_follow_daylight_saving_in_new_york() {
        let tz = chrono_tz::America::New_York;
        let early: ClosedWindow = "15:00-24:00".parse().unwrap();
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 2026-03-08 (EST -> EDT at 02:00): 15:00 EDT, and midnight EDT
        let spring = early.instants("2026-03-08".parse().unwrap(), tz).unwrap();
        assert_eq!(spring, (utc("2026-03-08T19:00:00Z"), utc("2026-03-09T04:00:00Z")));
        // 2026-11-01 (EDT -> EST at 02:00): 15:00 EST, and midnight EST
        let autumn = early.instants("2026-11-01".parse().unwrap(), tz).unwrap();
        assert_eq!(autumn, (utc("2026-11-01T20:00:00Z"), utc("2026-11-02T05:00:00Z")));
        // 02:30 does not exist on 2026-03-08: the first instant after the gap
        let night: ClosedWindow = "02:30-04:00".parse().unwrap();
        let (from, _) = night.instants("2026-03-08".parse().unwrap(), tz).unwrap();
        assert_eq!(from, utc("2026-03-08T07:00:00Z"), "03:00 EDT");
    }
}
