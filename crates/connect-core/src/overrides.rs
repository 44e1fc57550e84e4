//! Holidays as Amazon Connect hours-of-operation overrides: which closed-all-day overrides an
//! hours of operation should hold, and what to create and remove to get there. Overrides made
//! by people (without our name prefix) are never touched.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta};
use serde::Serialize;

use crate::holidays::Holiday;

/// Every override we make is named `holiday <date> <name>`; nothing else is ours.
pub const OVERRIDE_PREFIX: &str = "holiday ";
/// Connect holds at most 50 overrides per hours of operation.
pub const MAX_OVERRIDES: usize = 50;
/// Connect's longest override name.
const MAX_NAME_CHARS: usize = 127;

/// An override as listed by Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingOverride {
    pub id: String,
    pub name: String,
}

impl ExistingOverride {
    pub fn is_ours(&self) -> bool {
        self.name.starts_with(OVERRIDE_PREFIX)
    }
}

/// The name of a holiday's override: stable, so a second run finds it again; a window is part
/// of it, so a changed early close replaces its override.
pub fn override_name(holiday: &Holiday) -> String {
    let window = holiday.closed.map(|w| format!("{w} ")).unwrap_or_default();
    format!("{OVERRIDE_PREFIX}{} {window}{}", holiday.date, holiday.name).chars().take(MAX_NAME_CHARS).collect()
}

/// What to do to one hours of operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverridePlan {
    pub create: Vec<Holiday>,
    pub remove: Vec<ExistingOverride>,
    /// Ours that already match an upcoming holiday.
    pub kept: usize,
    /// Upcoming holidays beyond the 50-override limit (the farthest ones).
    pub not_fitting: Vec<Holiday>,
}

/// The plan for one hours of operation: every holiday from `today` to `today + horizon_days`
/// gets one override, nearest first while the limit allows (people's overrides count against
/// it); ours that are past, gone from the list, renamed, repeated or pushed out are removed.
pub fn plan_overrides(
    holidays: &[Holiday],
    existing: &[ExistingOverride],
    today: NaiveDate,
    horizon_days: u32,
) -> OverridePlan {
    let last = today + TimeDelta::days(horizon_days.into());
    let mut upcoming: Vec<&Holiday> = holidays.iter().filter(|h| (today..=last).contains(&h.date)).collect();
    upcoming.sort_by_key(|h| h.date);
    let theirs = existing.iter().filter(|o| !o.is_ours()).count();
    let room = MAX_OVERRIDES.saturating_sub(theirs);
    let (fitting, not_fitting) = upcoming.split_at(room.min(upcoming.len()));
    let wanted: BTreeSet<String> = fitting.iter().map(|h| override_name(h)).collect();

    let mut plan =
        OverridePlan { not_fitting: not_fitting.iter().map(|h| (*h).clone()).collect(), ..Default::default() };
    let mut present = BTreeSet::new();
    for existing in existing.iter().filter(|o| o.is_ours()) {
        if wanted.contains(&existing.name) && present.insert(existing.name.clone()) {
            plan.kept += 1;
        } else {
            plan.remove.push(existing.clone());
        }
    }
    plan.create = fitting.iter().filter(|h| !present.contains(&override_name(h))).map(|h| (*h).clone()).collect();
    plan
}

/// What a sync did (or, in a dry run, would do) to one hours of operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideReport {
    pub hours_of_operation_id: String,
    pub created: Vec<String>,
    pub removed: Vec<String>,
    pub kept: usize,
    /// Hours of operation linked as children of this one (it is a site's holiday hours of operation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<String>,
    pub not_fitting: Vec<NaiveDate>,
    /// The run's time ran out before every change was made; the next run carries on.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, name: &str) -> Holiday {
        Holiday::new(date.parse().unwrap(), name)
    }

    fn ours(id: &str, holiday: &Holiday) -> ExistingOverride {
        ExistingOverride { id: id.into(), name: override_name(holiday) }
    }

    fn today() -> NaiveDate {
        "2026-11-21".parse().unwrap()
    }

    #[test]
    fn names_carry_date_and_holiday_and_are_capped() {
        assert_eq!(override_name(&day("2026-11-23", "勤労感謝の日")), "holiday 2026-11-23 勤労感謝の日");
        assert_eq!(override_name(&day("2026-11-23", &"x".repeat(300))).chars().count(), 127);
        let early = Holiday { closed: "15:00-24:00".parse().ok(), ..day("2026-12-28", "仕事納め") };
        assert_eq!(override_name(&early), "holiday 2026-12-28 15:00-24:00 仕事納め");
    }

    #[test]
    fn upcoming_holidays_within_the_horizon_are_created_and_past_ones_removed() {
        let past = day("2026-11-03", "文化の日");
        let soon = day("2026-11-23", "勤労感謝の日");
        let later = day("2027-01-01", "元日");
        let far = day("2028-01-01", "元日");
        let existing = [ours("o-1", &past), ours("o-2", &soon)];
        let plan = plan_overrides(&[past.clone(), soon.clone(), later.clone(), far], &existing, today(), 365);
        assert_eq!(plan.create, [later]);
        assert_eq!(plan.remove, [ours("o-1", &past)]);
        assert_eq!((plan.kept, plan.not_fitting.len()), (1, 0));
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let holidays = [day("2026-11-23", "勤労感謝の日"), day("2027-01-01", "元日")];
        let existing: Vec<ExistingOverride> =
            holidays.iter().enumerate().map(|(i, h)| ours(&format!("o-{i}"), h)).collect();
        let plan = plan_overrides(&holidays, &existing, today(), 365);
        assert!(plan.create.is_empty() && plan.remove.is_empty());
        assert_eq!(plan.kept, 2);
    }

    #[test]
    fn peoples_overrides_are_never_touched_and_count_against_the_limit() {
        let people: Vec<ExistingOverride> =
            (0..45).map(|i| ExistingOverride { id: format!("p-{i}"), name: format!("Training day {i}") }).collect();
        let holidays: Vec<Holiday> = (0..8).map(|i| day(&format!("2026-12-{:02}", i + 1), "Holiday")).collect();
        let plan = plan_overrides(&holidays, &people, today(), 365);
        assert_eq!(plan.create.len(), 5, "50 - 45 people's");
        assert_eq!(plan.create[0].date.to_string(), "2026-12-01", "nearest first");
        assert_eq!(
            plan.not_fitting.iter().map(|h| h.date.to_string()).collect::<Vec<_>>(),
            ["2026-12-06", "2026-12-07", "2026-12-08"]
        );
        assert!(plan.remove.is_empty());
    }

    #[test]
    fn renamed_repeated_and_pushed_out_overrides_of_ours_are_removed() {
        let renamed = ExistingOverride { id: "o-1".into(), name: "holiday 2026-11-23 old name".into() };
        let soon = day("2026-11-23", "勤労感謝の日");
        let existing = [renamed.clone(), ours("o-2", &soon), ours("o-3", &soon)];
        let plan = plan_overrides(std::slice::from_ref(&soon), &existing, today(), 365);
        assert_eq!(plan.remove, [renamed, ours("o-3", &soon)]);
        assert!(plan.create.is_empty());

        let beyond = day("2027-06-01", "x");
        let plan = plan_overrides(std::slice::from_ref(&beyond), &[ours("o-9", &beyond)], today(), 30);
        assert_eq!(plan.remove, [ours("o-9", &beyond)], "outside a shorter horizon");
    }
}
