//! Calling hours: when a campaign may ring a customer. `CALLING_HOURS` holds one or more
//! comma-separated ranges of days and local times, `Mon-Fri 09:00-20:00, Sat 10:00-17:00`;
//! `24:00` ends a day, and a day range may wrap (`Fri-Mon`). Times are read in a time zone, so
//! the same hours hold for a customer in Tokyo and one in New York, each in their own.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Timelike, Utc};
use chrono_tz::Tz;

use crate::closed_window::local_instant;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u32 = 24 * 60;

/// One range: the weekdays it holds on (Monday first) and its minutes of the day, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    days: [bool; 7],
    start: u32,
    end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingHours {
    ranges: Vec<Range>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{range:?}: {reason} (expected ranges such as \"Mon-Fri 09:00-20:00, Sat 10:00-17:00\")")]
pub struct InvalidCallingHours {
    pub range: String,
    pub reason: &'static str,
}

fn day(name: &str) -> Option<usize> {
    let name = name.to_ascii_lowercase();
    DAYS.iter().position(|d| *d == name)
}

fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

fn range(text: &str) -> Result<Range, InvalidCallingHours> {
    let invalid = |reason| InvalidCallingHours { range: text.to_owned(), reason };
    let (days, times) = text.split_once(' ').ok_or_else(|| invalid("expected days, a space and times"))?;
    let (first, last) = days.split_once('-').unwrap_or((days, days));
    let (first, last) = (day(first), day(last));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(invalid("unknown day (Mon Tue Wed Thu Fri Sat Sun)"));
    };
    let (start, end) = times.trim().split_once('-').ok_or_else(|| invalid("expected HH:MM-HH:MM"))?;
    let (Some(start), Some(end)) = (minutes(start), minutes(end)) else {
        return Err(invalid("expected HH:MM-HH:MM up to 24:00"));
    };
    if start >= end {
        return Err(invalid("the range must end after it starts"));
    }
    let mut on = [false; 7];
    let mut d = first;
    loop {
        on[d] = true;
        if d == last {
            break;
        }
        d = (d + 1) % 7;
    }
    Ok(Range { days: on, start, end })
}

impl FromStr for CallingHours {
    type Err = InvalidCallingHours;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let ranges = text
            .split(',')
            .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
            .map(|r| range(&r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CallingHours { ranges, text: text.trim().to_owned() })
    }
}

impl fmt::Display for CallingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl CallingHours {
    /// `Mon-Fri 09:00-20:00`.
    pub fn weekdays_nine_to_eight() -> CallingHours {
        let days = [true, true, true, true, true, false, false];
        CallingHours {
            ranges: vec![Range { days, start: 9 * 60, end: 20 * 60 }],
            text: "Mon-Fri 09:00-20:00".to_owned(),
        }
    }

    /// The minute of the day when the ranges holding on `weekday` at `minute` end, joining a
    /// range that ends at 24:00 with one of the next day's that starts at 00:00.
    fn end_of(&self, weekday: usize, minute: u32) -> Option<u32> {
        let end = self
            .ranges
            .iter()
            .filter(|r| r.days[weekday] && r.start <= minute && minute < r.end)
            .map(|r| r.end)
            .max()?;
        // Overlapping ranges (09:00-12:00, 11:00-18:00) run on from each other.
        match self.end_of(weekday, end) {
            Some(later) if end < MINUTES_PER_DAY => Some(later),
            _ => Some(end),
        }
    }

    /// Until when a call may be placed if `at` is inside the calling hours in `tz`; `None`
    /// outside them. Ranges that run on past midnight are followed for up to a week.
    pub fn open_until(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        let mut date = local.date_naive();
        let mut weekday = local.weekday().num_days_from_monday() as usize;
        let mut end = self.end_of(weekday, local.hour() * 60 + local.minute())?;
        for _ in 0..7 {
            if end < MINUTES_PER_DAY {
                break;
            }
            weekday = (weekday + 1) % 7;
            let next = date.succ_opt()?;
            match self.end_of(weekday, 0) {
                Some(next_end) => {
                    date = next;
                    end = next_end;
                }
                None => return local_instant(next, 0, tz),
            }
        }
        local_instant(date, end, tz)
    }

    /// When calls may next be placed in `tz`: `at` itself inside the hours, else the start of the
    /// next range (within the coming week, which holds every weekday). A start that a DST change
    /// skips is the first instant after the gap.
    pub fn next_open(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        if self.open_until(at, tz).is_some() {
            return Some(at);
        }
        let today = at.with_timezone(&tz).date_naive();
        (0..=7)
            .filter_map(|days| today.checked_add_days(Days::new(days)))
            .flat_map(|date| {
                let weekday = date.weekday().num_days_from_monday() as usize;
                self.ranges
                    .iter()
                    .filter(move |r| r.days[weekday])
                    .filter_map(move |r| local_instant(date, r.start, tz))
            })
            .filter(|start| *start > at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;
    const NEW_YORK: Tz = chrono_tz::America::New_York;

    #[test]
    fn the_default_is_what_it_says() {
        assert_eq!(CallingHours::weekdays_nine_to_eight(), "Mon-Fri 09:00-20:00".parse().unwrap());
    }

    #[test]
    fn ranges_parse_and_mistakes_are_refused_by_name() {
        let hours: CallingHours = " Mon-Fri 09:00-20:00 ,  sat 10:00-17:00".parse().unwrap();
        assert_eq!(hours.ranges.len(), 2);
        assert_eq!(hours.ranges[0].days, [true, true, true, true, true, false, false]);
        assert_eq!((hours.ranges[1].start, hours.ranges[1].end), (600, 1020));
        let wrap: CallingHours = "Fri-Mon 00:00-24:00".parse().unwrap();
        assert_eq!(wrap.ranges[0].days, [true, false, false, false, true, true, true]);
        for (bad, reason) in [
            ("", "expected days"),
            ("Mon-Fri", "expected days"),
            ("Mon-Fry 09:00-20:00", "unknown day"),
            ("Mon 9:00-20:00", "HH:MM"),
            ("Mon 09:00-24:30", "HH:MM"),
            ("Mon 09:60-10:00", "HH:MM"),
            ("Mon 20:00-09:00", "end after it starts"),
            ("Mon 09:00-20:00,", "expected days"),
        ] {
            let err = bad.parse::<CallingHours>().unwrap_err();
            assert!(err.to_string().contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn open_until_the_end_of_the_range_in_the_time_zone() {
        let hours: CallingHours = "Mon-Fri 09:00-20:00, Sat 10:00-17:00".parse().unwrap();
        // 2026-12-04 is a Friday; Tokyo is UTC+9
        let cases = [
            ("2026-12-04T00:00:00Z", Some("2026-12-04T11:00:00Z")), // Fri 09:00 in Tokyo
            ("2026-12-03T23:59:00Z", None),                         // Fri 08:59
            ("2026-12-04T10:59:59Z", Some("2026-12-04T11:00:00Z")), // Fri 19:59:59
            ("2026-12-04T11:00:00Z", None),                         // Fri 20:00: the end is excluded
            ("2026-12-05T01:00:00Z", Some("2026-12-05T08:00:00Z")), // Sat 10:00
            ("2026-12-06T03:00:00Z", None),                         // Sunday
        ];
        for (at, until) in cases {
            assert_eq!(hours.open_until(utc(at), TOKYO), until.map(utc), "{at}");
        }
        // the same instant is 19:00 on Thursday in New York: open for one more hour there
        assert_eq!(hours.open_until(utc("2026-12-04T00:00:00Z"), NEW_YORK), Some(utc("2026-12-04T01:00:00Z")));
    }

    #[test]
    fn the_next_window_starts_at_the_next_range_in_the_time_zone() {
        let hours: CallingHours = "Mon-Fri 09:00-20:00, Sat 10:00-17:00".parse().unwrap();
        // 2026-12-04 is a Friday; New York is UTC-5 in December
        let cases = [
            ("2026-12-04T01:00:00Z", NEW_YORK, "2026-12-04T14:00:00Z"), // Thu 20:00 -> Fri 09:00
            ("2026-12-04T12:00:00Z", NEW_YORK, "2026-12-04T14:00:00Z"), // Fri 07:00 -> Fri 09:00
            ("2026-12-04T15:00:00Z", NEW_YORK, "2026-12-04T15:00:00Z"), // Fri 10:00: open now
            ("2026-12-05T02:00:00Z", NEW_YORK, "2026-12-05T15:00:00Z"), // Fri 21:00 -> Sat 10:00
            ("2026-12-05T22:00:00Z", NEW_YORK, "2026-12-07T14:00:00Z"), // Sat 17:00 -> Mon 09:00
            ("2026-12-05T09:00:00Z", TOKYO, "2026-12-07T00:00:00Z"),    // Sat 18:00 -> Mon 09:00
        ];
        for (at, tz, next) in cases {
            assert_eq!(hours.next_open(utc(at), tz), Some(utc(next)), "{at} in {tz}");
        }
        let once: CallingHours = "Wed 09:00-10:00".parse().unwrap();
        // Wednesday 10:00 in Tokyo: the range just ended, the next one is a week later
        assert_eq!(once.next_open(utc("2026-12-02T01:00:00Z"), TOKYO), Some(utc("2026-12-09T00:00:00Z")));
        // 02:30 does not exist in New York on 2026-03-08: the window opens at 03:00 EDT
        let early: CallingHours = "Sun 02:30-04:00".parse().unwrap();
        assert_eq!(early.next_open(utc("2026-03-08T05:00:00Z"), NEW_YORK), Some(utc("2026-03-08T07:00:00Z")));
    }

    #[test]
    fn ranges_joined_across_midnight_and_overlaps() {
        let always: CallingHours = "Mon-Sun 00:00-24:00".parse().unwrap();
        let until = always.open_until(utc("2026-12-04T00:00:00Z"), TOKYO).unwrap();
        assert!(until >= utc("2026-12-10T00:00:00Z"), "open for a week at least: {until}");
        let night: CallingHours = "Fri 18:00-24:00, Sat 00:00-02:00".parse().unwrap();
        assert_eq!(night.open_until(utc("2026-12-04T13:00:00Z"), TOKYO), Some(utc("2026-12-04T17:00:00Z")));
        let overlap: CallingHours = "Mon-Fri 09:00-12:00, Fri 11:00-18:00".parse().unwrap();
        assert_eq!(overlap.open_until(utc("2026-12-04T01:00:00Z"), TOKYO), Some(utc("2026-12-04T09:00:00Z")));
    }

    #[test]
    fn daylight_saving_days_in_new_york() {
        let hours: CallingHours = "Mon-Sun 09:00-20:00".parse().unwrap();
        // 2026-03-08: clocks go forward at 02:00 (EST -5 -> EDT -4)
        assert_eq!(hours.open_until(utc("2026-03-08T13:00:00Z"), NEW_YORK), Some(utc("2026-03-09T00:00:00Z")));
        assert_eq!(hours.open_until(utc("2026-03-08T12:59:00Z"), NEW_YORK), None, "08:59 EDT");
        // 2026-11-01: clocks go back at 02:00 (EDT -4 -> EST -5)
        assert_eq!(hours.open_until(utc("2026-11-01T14:00:00Z"), NEW_YORK), Some(utc("2026-11-02T01:00:00Z")));
        assert_eq!(hours.open_until(utc("2026-11-01T13:30:00Z"), NEW_YORK), None, "08:30 EST");
        let early: CallingHours = "Sun 02:30-04:00".parse().unwrap();
        // 02:30 does not exist on 2026-03-08; 03:00 EDT is inside, ending 04:00 EDT
        assert_eq!(early.open_until(utc("2026-03-08T07:00:00Z"), NEW_YORK), Some(utc("2026-03-08T08:00:00Z")));
    }
}
