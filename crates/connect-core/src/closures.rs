//! The center's own closures (`CLOSED_DATES`): fixed dates, yearly dates and yearly ranges
//! that may cross the new year, e.g. `2026-08-14,05-01,12-29..01-03`.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

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

/// A parsed `CLOSED_DATES` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClosedDates(Vec<Closure>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{entry:?} is not YYYY-MM-DD, MM-DD, MM-DD..MM-DD or YYYY-MM-DD..YYYY-MM-DD")]
pub struct ClosedDatesError {
    pub entry: String,
}

impl FromStr for ClosedDates {
    type Err = ClosedDatesError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let entries = list.split(',').map(str::trim).filter(|e| !e.is_empty());
        entries
            .map(|entry| parse_entry(entry).ok_or_else(|| ClosedDatesError { entry: entry.to_owned() }))
            .collect::<Result<_, _>>()
            .map(ClosedDates)
    }
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
        let in_span = |d: &NaiveDate| (first_year..=last_year).contains(&d.year());
        let mut dates: Vec<NaiveDate> = Vec::new();
        for closure in &self.0 {
            match *closure {
                Closure::Date(d) => dates.push(d),
                Closure::DateRange(a, b) => dates.extend(a.iter_days().take_while(|d| *d <= b)),
                Closure::Yearly(m, d) => {
                    dates.extend((first_year..=last_year).filter_map(|y| NaiveDate::from_ymd_opt(y, m, d)))
                }
                Closure::YearlyRange((fm, fd), (tm, td)) => {
                    // A range that crosses the new year starts in the year before: include it.
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
        }
        dates.retain(in_span);
        dates.sort_unstable();
        dates.dedup();
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
    fn bad_entries_are_named() {
        for bad in ["13-01", "2026-02-30", "12-29..", "tomorrow", "2026-05-02..2026-04-30", "1-1-1"] {
            let err = bad.parse::<ClosedDates>().unwrap_err();
            assert_eq!(err.entry, bad.trim());
        }
        assert!("".parse::<ClosedDates>().unwrap().is_empty());
    }
}
