//! The center's own closures (`CLOSED_DATES`): fixed dates, yearly dates and yearly ranges
//! that may cross the new year, each closed all day or only for a local window, e.g.
//! `2026-08-14, 05-01, 12-29..01-03, 12-28 15:00-24:00, 2026-12-24 12:00-17:00`.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::closed_window::ClosedWindow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closure {
    Date(NaiveDate),
    DateRange(NaiveDate, NaiveDate),
    /// Every year; month and day. `02-29` only closes leap years.
    Yearly(u32, u32),
    /// Every year from the first month-day to the second, inclusive; crosses the new year when
    /// the second is earlier in the year.
    YearlyRange((u32, u32), (u32, u32)),
}

/// A parsed `CLOSED_DATES` list: each entry's dates, and the window when not the whole day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosedDates(Vec<(Closure, Option<ClosedWindow>)>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{entry:?} is not YYYY-MM-DD, MM-DD, MM-DD..MM-DD or YYYY-MM-DD..YYYY-MM-DD, optionally followed by a window HH:MM-HH:MM"
)]
pub struct ClosedDatesError {
    pub entry: String,
}

/// One closed date: the whole day, or only `window` of it (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClosedDay {
    pub date: NaiveDate,
    pub window: Option<ClosedWindow>,
    /// From an entry that repeats every year (`MM-DD`, `MM-DD..MM-DD`).
    pub yearly: bool,
}

impl FromStr for ClosedDates {
    type Err = ClosedDatesError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let entries = list.split(',').map(str::trim).filter(|e| !e.is_empty());
        entries
            .map(|entry| parse_windowed(entry).ok_or_else(|| ClosedDatesError { entry: entry.to_owned() }))
            .collect::<Result<_, _>>()
            .map(ClosedDates)
    }
}

/// `<dates>` or `<dates> HH:MM-HH:MM`; a window of the whole day is the whole day.
fn parse_windowed(entry: &str) -> Option<(Closure, Option<ClosedWindow>)> {
    let mut parts = entry.split_whitespace();
    let dates = parse_entry(parts.next()?)?;
    let window = match parts.next() {
        None => None,
        Some(window) => Some(window.parse::<ClosedWindow>().ok()?).filter(|w| !w.is_whole_day()),
    };
    parts.next().is_none().then_some((dates, window))
}

fn parse_entry(entry: &str) -> Option<Closure> {
    match entry.split_once("..") {
        None => full_date(entry).map(Closure::Date).or_else(|| month_day(entry).map(|(m, d)| Closure::Yearly(m, d))),
        Some((from, to)) => {
            let (from, to) = (from.trim(), to.trim());
            match (full_date(from), full_date(to)) {
                (Some(a), Some(b)) if a <= b => Some(Closure::DateRange(a, b)),
                (Some(_), Some(_)) => None,
                _ => Some(Closure::YearlyRange(month_day(from)?, month_day(to)?)),
            }
        }
    }
}

fn full_date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten()
}

fn month_day(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.split_once('-')?;
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    // 2024 is a leap year, so 02-29 is accepted here and skipped in other years.
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

impl ClosedDates {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every closed date within the given years (inclusive), sorted and without repeats.
    pub fn dates_in(&self, first_year: i32, last_year: i32) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = self.days_in(first_year, last_year).iter().map(|d| d.date).collect();
        dates.dedup();
        dates
    }

    /// Every closed day within the given years (inclusive), sorted by date; a date closed both
    /// all day and for a window is closed all day, two windows on one date span both.
    pub fn days_in(&self, first_year: i32, last_year: i32) -> Vec<ClosedDay> {
        let in_span = |d: &NaiveDate| (first_year..=last_year).contains(&d.year());
        let mut days: std::collections::BTreeMap<NaiveDate, ClosedDay> = std::collections::BTreeMap::new();
        for (closure, window) in &self.0 {
            let yearly = matches!(closure, Closure::Yearly(..) | Closure::YearlyRange(..));
            for date in closure.dates(first_year, last_year).into_iter().filter(in_span) {
                let day = ClosedDay { date, window: *window, yearly };
                days.entry(date)
                    .and_modify(|known| {
                        known.window = match (known.window, day.window) {
                            (Some(a), Some(b)) => ClosedWindow::new(
                                a.from_minute().min(b.from_minute()),
                                a.until_minute().max(b.until_minute()),
                            ),
                            _ => None,
                        };
                        known.yearly &= day.yearly;
                    })
                    .or_insert(day);
            }
        }
        days.into_values().collect()
    }
}

impl Closure {
    /// The closure's dates from the year before `first_year` (a range crossing the new year
    /// starts there) to `last_year`.
    fn dates(&self, first_year: i32, last_year: i32) -> Vec<NaiveDate> {
        let mut dates = Vec::new();
        match *self {
            Closure::Date(d) => dates.push(d),
            Closure::DateRange(a, b) => dates.extend(a.iter_days().take_while(|d| *d <= b)),
            Closure::Yearly(m, d) => {
                dates.extend((first_year..=last_year).filter_map(|y| NaiveDate::from_ymd_opt(y, m, d)))
            }
            Closure::YearlyRange((fm, fd), (tm, td)) => {
                for year in first_year - 1..=last_year {
                    let to_year = if (tm, td) < (fm, fd) { year + 1 } else { year };
                    let (Some(a), Some(b)) = (first_valid(year, fm, fd, true), first_valid(to_year, tm, td, false))
                    else {
                        continue;
                    };
                    dates.extend(a.iter_days().take_while(|d| *d <= b));
                }
            }
        }
        dates
    }
}

/// A range bound of 02-29 in a common year moves to 03-01 (start) or 02-28 (end).
fn first_valid(year: i32, month: u32, day: u32, is_start: bool) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
        let fallback = NaiveDate::from_ymd_opt(year, month, day - 1)?;
        if is_start { fallback.succ_opt() } else { Some(fallback) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(list: &str, first: i32, last: i32) -> Vec<String> {
        list.parse::<ClosedDates>().unwrap().dates_in(first, last).iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn fixed_and_yearly_dates() {
        assert_eq!(dates("2026-08-14", 2026, 2027), ["2026-08-14"]);
        assert_eq!(dates(" 05-01 , ", 2026, 2027), ["2026-05-01", "2027-05-01"]);
        assert_eq!(dates("02-29", 2027, 2028), ["2028-02-29"]);
        assert_eq!(dates("2025-12-31", 2026, 2027), Vec::<String>::new());
    }

    #[test]
    fn yearly_range_crosses_the_new_year() {
        assert_eq!(
            dates("12-29..01-03", 2026, 2026),
            ["2026-01-01", "2026-01-02", "2026-01-03", "2026-12-29", "2026-12-30", "2026-12-31"]
        );
        assert_eq!(dates("12-30..01-02", 2026, 2027).len(), 4 + 4);
    }

    #[test]
    fn yearly_range_within_a_year_and_fixed_range() {
        assert_eq!(dates("08-13..08-15", 2026, 2026), ["2026-08-13", "2026-08-14", "2026-08-15"]);
        assert_eq!(dates("2026-04-30..2026-05-02", 2026, 2026), ["2026-04-30", "2026-05-01", "2026-05-02"]);
    }

    #[test]
    fn overlapping_entries_give_each_date_once() {
        assert_eq!(dates("12-31,12-30..12-31,2026-12-31", 2026, 2026), ["2026-12-30", "2026-12-31"]);
    }

    #[test]
    fn windows_close_part_of_a_day() {
        let list: ClosedDates =
            "12-28 15:00-24:00, 2026-12-24 12:00-17:00, 12-29..12-30, 12-30 09:00-12:00, 05-01 00:00-24:00"
                .parse()
                .unwrap();
        let days: Vec<(String, Option<String>, bool)> = list
            .days_in(2026, 2026)
            .iter()
            .map(|d| (d.date.to_string(), d.window.map(|w| w.to_string()), d.yearly))
            .collect();
        let day = |date: &str, window: Option<&str>, yearly| (date.to_owned(), window.map(str::to_owned), yearly);
        assert_eq!(
            days,
            [
                day("2026-05-01", None, true),
                day("2026-12-24", Some("12:00-17:00"), false),
                day("2026-12-28", Some("15:00-24:00"), true),
                day("2026-12-29", None, true),
                day("2026-12-30", None, true),
            ],
            "a whole day wins over a window on the same date; 00:00-24:00 is the whole day"
        );
        let two: ClosedDates = "2026-12-24 09:00-10:00, 2026-12-24 15:00-24:00".parse().unwrap();
        assert_eq!(two.days_in(2026, 2026)[0].window.map(|w| w.to_string()).as_deref(), Some("09:00-24:00"));
    }

    #[test]
    fn bad_entries_are_named() {
        for bad in [
            "13-01",
            "2026-02-30",
            "12-29..",
            "tomorrow",
            "2026-05-02..2026-04-30",
            "1-1-1",
            "12-28 15:00",
            "12-28 16:00-15:00",
            "12-28 15:00-24:00 extra",
        ] {
            let err = bad.parse::<ClosedDates>().unwrap_err();
            assert_eq!(err.entry, bad.trim());
        }
        assert!("".parse::<ClosedDates>().unwrap().is_empty());
    }
}
