//! The published holiday list: how it is built from calendars and closures, compared with the
//! stored one, guarded against bad downloads, and looked up by date.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::CalendarDay;

/// Name given to a date closed by `CLOSED_DATES` that is not also a public holiday.
pub const CLOSURE_NAME: &str = "休業日";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// The JSON document kept in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HolidayDocument {
    pub generated_at: DateTime<Utc>,
    pub sources: Vec<String>,
    /// Sorted by date, one entry per date.
    pub holidays: Vec<Holiday>,
}

impl HolidayDocument {
    /// Same holidays from the same sources; the generation time does not count.
    pub fn same_content(&self, other: &HolidayDocument) -> bool {
        self.sources == other.sources && self.holidays == other.holidays
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings and dates cannot fail; an empty body would be refused on read.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// The holidays of one calendar: observances only when asked for, one name per date.
pub fn holidays_of(days: &[CalendarDay], include_observances: bool) -> Vec<Holiday> {
    // TODO(window): a partial-day closure (`day.window`) still counts as the whole date here.
    let mut by_date: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for day in days.iter().filter(|d| include_observances || !d.observance) {
        join_name(by_date.entry(day.date).or_default(), &day.name);
    }
    by_date.into_iter().map(|(date, name)| Holiday { date, name }).collect()
}

/// Merges sources in order and adds closures on dates that are not already holidays.
pub fn merge(sources: &[Vec<Holiday>], closures: &[NaiveDate]) -> Vec<Holiday> {
    let mut by_date: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for holiday in sources.iter().flatten() {
        join_name(by_date.entry(holiday.date).or_default(), &holiday.name);
    }
    for date in closures {
        by_date.entry(*date).or_insert_with(|| CLOSURE_NAME.to_owned());
    }
    by_date.into_iter().map(|(date, name)| Holiday { date, name }).collect()
}

fn join_name(names: &mut String, name: &str) {
    if name.is_empty() || names.split(" / ").any(|n| n == name) {
        return;
    }
    if !names.is_empty() {
        names.push_str(" / ");
    }
    names.push_str(name);
}

/// What changed between the stored and the new list, by date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<Holiday>,
    pub removed: Vec<Holiday>,
    /// Same date, new name: (old, new).
    pub renamed: Vec<(Holiday, Holiday)>,
}

impl Changes {
    pub fn between(old: &[Holiday], new: &[Holiday]) -> Changes {
        let old_by_date: BTreeMap<_, _> = old.iter().map(|h| (h.date, h)).collect();
        let new_by_date: BTreeMap<_, _> = new.iter().map(|h| (h.date, h)).collect();
        let mut changes = Changes::default();
        for (date, holiday) in &new_by_date {
            match old_by_date.get(date) {
                None => changes.added.push((*holiday).clone()),
                Some(before) if before.name != holiday.name => {
                    changes.renamed.push(((*before).clone(), (*holiday).clone()))
                }
                Some(_) => {}
            }
        }
        changes.removed = old.iter().filter(|h| !new_by_date.contains_key(&h.date)).cloned().collect();
        changes
    }
}

/// A new list that would lose more than half of the stored list's upcoming holidays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the new list drops {dropped} of the {upcoming} upcoming holidays in the stored list (more than half)")]
pub struct TooManyDropped {
    pub upcoming: usize,
    pub dropped: usize,
}

/// Refuses a new list that drops more than half of the stored upcoming holidays (today on).
pub fn guard_against_mass_drop(stored: &[Holiday], new: &[Holiday], today: NaiveDate) -> Result<(), TooManyDropped> {
    let upcoming: Vec<&Holiday> = stored.iter().filter(|h| h.date >= today).collect();
    let dropped = upcoming.iter().filter(|h| new.binary_search_by_key(&h.date, |n| n.date).is_err()).count();
    if dropped * 2 > upcoming.len() {
        return Err(TooManyDropped { upcoming: upcoming.len(), dropped });
    }
    Ok(())
}

/// Date lookups over a loaded document.
#[derive(Debug, Clone, Default)]
pub struct HolidayIndex {
    by_date: BTreeMap<NaiveDate, String>,
}

impl HolidayIndex {
    pub fn new(document: &HolidayDocument) -> Self {
        HolidayIndex { by_date: document.holidays.iter().map(|h| (h.date, h.name.clone())).collect() }
    }

    pub fn name_of(&self, date: NaiveDate) -> Option<&str> {
        self.by_date.get(&date).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_date.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_date.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn h(date: &str, name: &str) -> Holiday {
        Holiday { date: d(date), name: name.into() }
    }

    fn day(date: &str, name: &str, observance: bool) -> CalendarDay {
        CalendarDay { date: d(date), name: name.into(), observance, window: None }
    }

    #[test]
    fn observances_are_left_out_unless_included() {
        let days = [day("2026-02-03", "節分", true), day("2026-02-11", "建国記念の日", false)];
        assert_eq!(holidays_of(&days, false), [h("2026-02-11", "建国記念の日")]);
        assert_eq!(holidays_of(&days, true).len(), 2);
    }

    #[test]
    fn merge_sorts_joins_names_and_lets_holidays_win_over_closures() {
        let a = vec![h("2026-05-05", "こどもの日"), h("2026-01-01", "元日")];
        let b = vec![h("2026-01-01", "New Year's Day"), h("2026-05-05", "こどもの日")];
        let merged = merge(&[a, b], &[d("2026-01-01"), d("2026-12-31")]);
        assert_eq!(
            merged,
            [h("2026-01-01", "元日 / New Year's Day"), h("2026-05-05", "こどもの日"), h("2026-12-31", CLOSURE_NAME)]
        );
    }

    #[test]
    fn changes_by_date() {
        let old = [h("2026-01-01", "元日"), h("2026-01-12", "成人の日"), h("2026-02-11", "建国記念日")];
        let new = [h("2026-01-01", "元日"), h("2026-02-11", "建国記念の日"), h("2026-02-23", "天皇誕生日")];
        let changes = Changes::between(&old, &new);
        assert_eq!(changes.added, [h("2026-02-23", "天皇誕生日")]);
        assert_eq!(changes.removed, [h("2026-01-12", "成人の日")]);
        assert_eq!(changes.renamed, [(h("2026-02-11", "建国記念日"), h("2026-02-11", "建国記念の日"))]);
    }

    #[test]
    fn mass_drop_guard_counts_only_upcoming_holidays() {
        let stored = [h("2025-01-01", "a"), h("2026-01-01", "b"), h("2026-05-05", "c"), h("2026-11-23", "d")];
        let today = d("2026-01-01");
        // drops 2 of 3 upcoming: refused
        let err = guard_against_mass_drop(&stored, &[h("2026-05-05", "c")], today).unwrap_err();
        assert_eq!(err, TooManyDropped { upcoming: 3, dropped: 2 });
        // drops 1 of 3 upcoming and all past ones: accepted
        assert!(guard_against_mass_drop(&stored, &[h("2026-01-01", "b"), h("2026-05-05", "c")], today).is_ok());
        // exactly half is not more than half
        let two = [h("2026-01-01", "b"), h("2026-05-05", "c")];
        assert!(guard_against_mass_drop(&two, &[h("2026-01-01", "b")], today).is_ok());
        // an empty store never blocks the first publication
        assert!(guard_against_mass_drop(&[], &[h("2026-01-01", "b")], today).is_ok());
    }

    #[test]
    fn document_round_trips_and_compares_without_generation_time() {
        let doc = HolidayDocument {
            generated_at: "2026-11-21T00:00:00Z".parse().unwrap(),
            sources: vec!["https://example.test/a.ics".into()],
            holidays: vec![h("2026-01-01", "元日")],
        };
        let back = HolidayDocument::from_json(&doc.to_json()).unwrap();
        assert_eq!(back, doc);
        let later = HolidayDocument { generated_at: "2026-11-22T00:00:00Z".parse().unwrap(), ..doc.clone() };
        assert!(later.same_content(&doc));
        let json: serde_json::Value = serde_json::from_slice(&doc.to_json()).unwrap();
        assert_eq!(json["holidays"][0]["date"], "2026-01-01");
        assert_eq!(json["generatedAt"], "2026-11-21T00:00:00Z");
    }

    #[test]
    fn index_finds_names_by_date() {
        let doc =
            HolidayDocument { generated_at: Utc::now(), sources: vec![], holidays: vec![h("2026-01-01", "元日")] };
        let index = HolidayIndex::new(&doc);
        assert_eq!(index.name_of(d("2026-01-01")), Some("元日"));
        assert_eq!(index.name_of(d("2026-01-02")), None);
    }
}
