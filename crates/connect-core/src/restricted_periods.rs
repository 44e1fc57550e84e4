//! Holidays as an Outbound Campaigns v2 campaign's restricted periods: the dates a campaign
//! places no call (`communicationTimeConfig.telephony.restrictedPeriods`: a name, a start date
//! and an end date, both inclusive, in the campaign's own time zone). Which periods of ours a
//! campaign should hold, and whether its list must be rewritten. Periods made by people (names
//! without our prefix) are never touched.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta};

use crate::holidays::Holiday;

/// Every period we make is named `holiday <start>[..<end>] <names>`; nothing else is ours.
pub const PERIOD_PREFIX: &str = "holiday ";
/// The API's longest period name (`RestrictedPeriodName`: 1 to 127 characters).
const MAX_NAME_CHARS: usize = 127;

/// A restricted period as the campaign holds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RestrictedPeriod {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl RestrictedPeriod {
    pub fn is_ours(&self) -> bool {
        self.name.starts_with(PERIOD_PREFIX)
    }
}

/// What one campaign should hold, and what changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodPlan {
    /// The whole list to write: people's periods as they are, then ours, by start date.
    pub periods: Vec<RestrictedPeriod>,
    pub added: Vec<RestrictedPeriod>,
    pub removed: Vec<RestrictedPeriod>,
    /// Ours already there.
    pub kept: usize,
    /// Partial-day closures (an early close): a period is whole dates, so these stay with the
    /// direct dialer and holiday-check, and are named in the summary.
    pub windows_left_out: Vec<NaiveDate>,
}

impl PeriodPlan {
    /// Whether the campaign's list must be rewritten.
    pub fn changes(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// Our periods for a site's holidays that are not over by `today`, up to `today + horizon_days`:
/// each run of whole days on consecutive dates is one period (a 12-29..01-03 closure is one, not
/// six), named after its dates and the names on them. A run already under way keeps its first
/// day, so its period stays the one the campaign holds.
pub fn desired_periods(
    holidays: &[Holiday],
    today: NaiveDate,
    horizon_days: u32,
) -> (Vec<RestrictedPeriod>, Vec<NaiveDate>) {
    let last = today + TimeDelta::days(horizon_days.into());
    let mut days: Vec<&Holiday> = holidays.iter().filter(|h| h.date <= last).collect();
    days.sort_by_key(|h| h.date);
    let windows = days.iter().filter(|h| h.closed.is_some() && h.date >= today).map(|h| h.date).collect();
    let mut periods: Vec<(NaiveDate, NaiveDate, Vec<&str>)> = Vec::new();
    for day in days.iter().filter(|h| h.closed.is_none()) {
        match periods.last_mut() {
            Some((_, end, names)) if end.succ_opt() == Some(day.date) => {
                *end = day.date;
                if !names.contains(&day.name.as_str()) {
                    names.push(&day.name);
                }
            }
            _ => periods.push((day.date, day.date, vec![&day.name])),
        }
    }
    let named = periods
        .into_iter()
        .filter(|(_, end, _)| *end >= today)
        .map(|(start, end, names)| {
            let dates = if start == end { start.to_string() } else { format!("{start}..{end}") };
            let name = format!("{PERIOD_PREFIX}{dates} {}", names.join(" / "));
            RestrictedPeriod { name: name.chars().take(MAX_NAME_CHARS).collect(), start, end }
        })
        .collect();
    (named, windows)
}

/// The plan for one campaign: people's periods kept as they are, and ours that ended before
/// `today` too (a past period restricts nothing, and leaving it asks no write of a started
/// campaign, which refuses every one); the rest of ours replaced by `desired` (gone ones and
/// changed ones removed, new ones added, repeats dropped).
pub fn plan_periods(
    existing: &[RestrictedPeriod],
    desired: Vec<RestrictedPeriod>,
    windows: Vec<NaiveDate>,
    today: NaiveDate,
) -> PeriodPlan {
    let wanted: BTreeSet<&RestrictedPeriod> = desired.iter().collect();
    let mut seen = BTreeSet::new();
    let mut plan = PeriodPlan { windows_left_out: windows, ..Default::default() };
    let left_alone = |p: &RestrictedPeriod| !p.is_ours() || p.end < today;
    for period in existing.iter().filter(|p| !left_alone(p)) {
        if wanted.contains(period) && seen.insert(period.clone()) {
            plan.kept += 1;
        } else {
            plan.removed.push(period.clone());
        }
    }
    plan.added = desired.iter().filter(|p| !seen.contains(*p)).cloned().collect();
    plan.periods = existing.iter().filter(|p| left_alone(p)).cloned().chain(desired).collect();
    plan
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::closed_window::ClosedWindow;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn holiday(day: &str, name: &str) -> Holiday {
        Holiday { date: date(day), name: name.into(), closed: None, closure: false }
    }

    fn period(name: &str, start: &str, end: &str) -> RestrictedPeriod {
        RestrictedPeriod { name: name.into(), start: date(start), end: date(end) }
    }

    #[test]
    fn consecutive_closed_days_make_one_period_and_an_early_close_none() {
        let mut early = holiday("2026-12-28", "休業日");
        early.closed = Some("15:00-24:00".parse::<ClosedWindow>().unwrap());
        let holidays = [
            holiday("2026-11-23", "勤労感謝の日"),
            early,
            holiday("2026-12-29", "休業日"),
            holiday("2026-12-30", "休業日"),
            holiday("2026-12-31", "休業日"),
            holiday("2027-01-01", "元日"),
            holiday("2027-01-02", "休業日"),
            holiday("2025-01-01", "元日"), // past
        ];
        let (periods, windows) = desired_periods(&holidays, date("2026-11-20"), 365);
        assert_eq!(
            periods,
            [
                period("holiday 2026-11-23 勤労感謝の日", "2026-11-23", "2026-11-23"),
                period("holiday 2026-12-29..2027-01-02 休業日 / 元日", "2026-12-29", "2027-01-02"),
            ]
        );
        assert_eq!(windows, [date("2026-12-28")]);
        // beyond the horizon
        assert!(desired_periods(&holidays, date("2026-11-20"), 2).0.is_empty());
        // under way: the period keeps its first day (the one the campaign holds), past ones go
        let (under_way, windows) = desired_periods(&holidays, date("2026-12-31"), 365);
        assert_eq!(under_way, [period("holiday 2026-12-29..2027-01-02 休業日 / 元日", "2026-12-29", "2027-01-02")]);
        assert!(windows.is_empty(), "an early close already past");
    }

    #[test]
    fn people_s_periods_stay_ours_are_replaced_and_a_second_run_changes_nothing() {
        let desired = vec![period("holiday 2026-11-23 勤労感謝の日", "2026-11-23", "2026-11-23")];
        let today = date("2026-11-20");
        let existing = [
            period("Company anniversary", "2026-12-01", "2026-12-01"),
            period("holiday 2026-11-03 文化の日", "2026-11-03", "2026-11-03"), // past: left alone
            period("holiday 2026-11-23 勤労感謝の日", "2026-11-23", "2026-11-23"),
            period("holiday 2026-11-23 勤労感謝の日", "2026-11-23", "2026-11-23"), // a repeat
            period("holiday 2026-12-24 Old closure", "2026-12-24", "2026-12-24"),  // gone from the list
        ];
        let plan = plan_periods(&existing, desired.clone(), vec![], today);
        assert!(plan.changes());
        assert_eq!(plan.kept, 1);
        assert_eq!(plan.removed, [existing[3].clone(), existing[4].clone()]);
        assert!(plan.added.is_empty());
        assert_eq!(plan.periods, [existing[0].clone(), existing[1].clone(), desired[0].clone()]);
        let again = plan_periods(&plan.periods, desired.clone(), vec![], today);
        assert!(!again.changes(), "{again:?}");
        assert_eq!(again.periods, plan.periods);
        // days later, once 11-23 is past too: still nothing to write
        let later = plan_periods(&plan.periods, vec![], vec![], date("2026-11-25"));
        assert!(!later.changes(), "a started campaign is asked for no write: {later:?}");
    }

    #[test]
    fn long_names_are_cut_to_the_api_s_length_on_a_character_boundary() {
        let long = "祝".repeat(200);
        let (periods, _) = desired_periods(&[holiday("2026-11-23", &long)], date("2026-11-01"), 30);
        assert_eq!(periods[0].name.chars().count(), MAX_NAME_CHARS);
    }
}
