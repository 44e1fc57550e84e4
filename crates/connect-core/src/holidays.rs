//! The published holiday list: how it is built from calendars and closures, compared with the
//! stored one, guarded against bad downloads, and looked up by date or instant. One document
//! holds the list of every site; each entry closes a whole day or a local window of it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::CalendarDay;
use crate::closed_window::{ClosedWindow, local_instant};
use crate::closures::ClosedDay;

/// Name given to a date closed by the operator (or a calendar event without a name) that is not
/// also a public holiday.
pub const CLOSURE_NAME: &str = "休業日";
/// The site of a deployment without `SITES`, and of a stored single-site (version 1) list.
pub const DEFAULT_SITE: &str = "default";
/// The stored format written today; version 1 (one site, no windows) is still read.
pub const DOCUMENT_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    /// `None`: closed all day. `Some`: closed only for this local window (an early close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<ClosedWindow>,
    /// The operator's own closure, not a calendar's: the drop guard does not count it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closure: bool,
}

impl Holiday {
    /// A whole-day holiday from a calendar.
    pub fn new(date: NaiveDate, name: impl Into<String>) -> Holiday {
        Holiday { date, name: name.into(), closed: None, closure: false }
    }

    pub fn is_whole_day(&self) -> bool {
        self.closed.is_none()
    }
}

/// One site's list in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteHolidays {
    pub name: String,
    /// The site's IANA time zone; `None` only in a list read from version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub sources: Vec<String>,
    /// Sorted by date, one entry per date.
    pub holidays: Vec<Holiday>,
}

/// The JSON document kept in S3 (version 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayDocument {
    pub generated_at: DateTime<Utc>,
    pub sites: Vec<SiteHolidays>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    version: u32,
    generated_at: DateTime<Utc>,
    sites: Vec<SiteHolidays>,
}

/// Version 1: one list, no sites.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredV1 {
    generated_at: DateTime<Utc>,
    sources: Vec<String>,
    holidays: Vec<Holiday>,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("not a holiday list: {0}")]
    Json(#[from] serde_json::Error),
    #[error("holiday list version {0} is newer than this reader (version {DOCUMENT_VERSION})")]
    Version(u32),
}

impl HolidayDocument {
    /// A document of one site.
    pub fn single(generated_at: DateTime<Utc>, site: SiteHolidays) -> HolidayDocument {
        HolidayDocument { generated_at, sites: vec![site] }
    }

    /// Same sites with the same holidays from the same sources; the generation time does not count.
    pub fn same_content(&self, other: &HolidayDocument) -> bool {
        self.sites == other.sites
    }

    pub fn site(&self, name: &str) -> Option<&SiteHolidays> {
        self.sites.iter().find(|s| s.name == name)
    }

    pub fn to_json(&self) -> Vec<u8> {
        let stored = Stored { version: DOCUMENT_VERSION, generated_at: self.generated_at, sites: self.sites.clone() };
        // Serializing plain strings and dates cannot fail; an empty body would be refused on read.
        serde_json::to_vec_pretty(&stored).unwrap_or_default()
    }

    /// Version 2, or a version-1 list as the site `default`.
    pub fn from_json(body: &[u8]) -> Result<Self, DocumentError> {
        let value: serde_json::Value = serde_json::from_slice(body)?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            None => {
                let v1: StoredV1 = serde_json::from_value(value)?;
                let site = SiteHolidays {
                    name: DEFAULT_SITE.to_owned(),
                    time_zone: None,
                    sources: v1.sources,
                    holidays: v1.holidays,
                };
                Ok(HolidayDocument::single(v1.generated_at, site))
            }
            Some(version) if version <= u64::from(DOCUMENT_VERSION) => {
                let stored: Stored = serde_json::from_value(value)?;
                Ok(HolidayDocument { generated_at: stored.generated_at, sites: stored.sites })
            }
            Some(version) => Err(DocumentError::Version(u32::try_from(version).unwrap_or(u32::MAX))),
        }
    }
}

/// The holidays of one calendar: observances only when asked for, one entry per date.
pub fn holidays_of(days: &[CalendarDay], include_observances: bool) -> Vec<Holiday> {
    let mut by_date: BTreeMap<NaiveDate, Holiday> = BTreeMap::new();
    for day in days.iter().filter(|d| include_observances || !d.observance) {
        let entry = Holiday { date: day.date, name: day.name.clone(), closed: day.window, closure: false };
        combine(&mut by_date, entry);
    }
    by_date.into_values().collect()
}

/// Adds an entry to its date: names joined, a whole day wins over a window, two windows span both.
fn combine(by_date: &mut BTreeMap<NaiveDate, Holiday>, entry: Holiday) {
    match by_date.get_mut(&entry.date) {
        None => {
            by_date.insert(entry.date, entry);
        }
        Some(known) => {
            join_name(&mut known.name, &entry.name);
            known.closed = match (known.closed, entry.closed) {
                (Some(a), Some(b)) => {
                    ClosedWindow::new(a.from_minute().min(b.from_minute()), a.until_minute().max(b.until_minute()))
                }
                _ => None,
            };
            known.closure &= entry.closure;
        }
    }
}

/// Merges sources in order, then the operator's closures (named `closure_name` on dates no
/// calendar names).
pub fn merge(sources: &[Vec<Holiday>], closures: &[ClosedDay], closure_name: &str) -> Vec<Holiday> {
    let mut by_date: BTreeMap<NaiveDate, Holiday> = BTreeMap::new();
    for holiday in sources.iter().flatten() {
        combine(&mut by_date, holiday.clone());
    }
    for day in closures {
        let name = by_date.get(&day.date).map_or(closure_name, |_| "");
        combine(&mut by_date, Holiday { date: day.date, name: name.to_owned(), closed: day.window, closure: true });
    }
    by_date.into_values().collect()
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
    /// Same date, new name or window: (old, new).
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
                Some(before) if before.name != holiday.name || before.closed != holiday.closed => {
                    changes.renamed.push(((*before).clone(), (*holiday).clone()))
                }
                Some(_) => {}
            }
        }
        changes.removed = old.iter().filter(|h| !new_by_date.contains_key(&h.date)).cloned().collect();
        changes
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.renamed.is_empty()
    }
}

/// Why a new list was not published: it looks like a broken download, not a real change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Implausible {
    #[error(
        "the new list drops {dropped} of the {upcoming} upcoming calendar holidays in the stored list (more than half)"
    )]
    TooManyDropped { upcoming: usize, dropped: usize },
    #[error("the new list adds {added} upcoming calendar holidays at once (more than {cap})")]
    TooManyAdded { added: usize, cap: usize },
}

/// Refuses a new list that drops more than half of the stored upcoming calendar holidays
/// (today on), or adds more than `max_added` upcoming ones at once. Only calendar dates
/// count: a closure the operator removed or added is their decision, not a broken feed. An
/// empty store never blocks the first publication.
pub fn check_plausible(
    stored: &[Holiday],
    new: &[Holiday],
    today: NaiveDate,
    max_added: usize,
) -> Result<(), Implausible> {
    let upcoming = |list: &[Holiday]| -> Vec<NaiveDate> {
        list.iter().filter(|h| !h.closure && h.date >= today).map(|h| h.date).collect()
    };
    let (before, after) = (upcoming(stored), upcoming(new));
    let dropped = before.iter().filter(|d| after.binary_search(d).is_err()).count();
    if dropped * 2 > before.len() {
        return Err(Implausible::TooManyDropped { upcoming: before.len(), dropped });
    }
    let added = after.iter().filter(|d| before.binary_search(d).is_err()).count();
    if !stored.is_empty() && added > max_added {
        return Err(Implausible::TooManyAdded { added, cap: max_added });
    }
    Ok(())
}

/// When and why a site is closed at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed<'a> {
    pub holiday: &'a Holiday,
    /// The closed span, in UTC: the whole local day, or the window.
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Date and instant lookups over one site's list.
#[derive(Debug, Clone, Default)]
pub struct HolidayIndex {
    by_date: BTreeMap<NaiveDate, Holiday>,
    time_zone: Option<Tz>,
}

impl HolidayIndex {
    pub fn new(site: &SiteHolidays) -> Self {
        HolidayIndex {
            by_date: site.holidays.iter().map(|h| (h.date, h.clone())).collect(),
            time_zone: site.time_zone.as_deref().and_then(|tz| tz.parse().ok()),
        }
    }

    /// The site's time zone as stored (`None` for a version-1 list).
    pub fn time_zone(&self) -> Option<Tz> {
        self.time_zone
    }

    /// The name of a whole-day holiday or closure on `date`.
    pub fn name_of(&self, date: NaiveDate) -> Option<&str> {
        self.by_date.get(&date).filter(|h| h.is_whole_day()).map(|h| h.name.as_str())
    }

    /// Any entry on `date`, a window included.
    pub fn on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.by_date.get(&date)
    }

    /// Whether the site is closed at `at`, its local date and time taken in `tz`.
    pub fn closed_at(&self, at: DateTime<Utc>, tz: Tz) -> Option<Closed<'_>> {
        let local = at.with_timezone(&tz);
        let date = local.date_naive();
        let holiday = self.by_date.get(&date)?;
        let (from, until) = match holiday.closed {
            None => {
                let day = local_instant(date, 0, tz)?;
                (day, local_instant(date, 24 * 60, tz).unwrap_or(day + TimeDelta::days(1)))
            }
            Some(window) if window.contains(local.time()) => window.instants(date, tz)?,
            Some(_) => return None,
        };
        Some(Closed { holiday, from, until })
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
        Holiday::new(d(date), name)
    }

    fn closure(date: &str, name: &str, window: Option<&str>) -> Holiday {
        Holiday { date: d(date), name: name.into(), closed: window.map(|w| w.parse().unwrap()), closure: true }
    }

    fn day(date: &str, name: &str, observance: bool) -> CalendarDay {
        CalendarDay { date: d(date), name: name.into(), observance, window: None }
    }

    fn closed(date: &str, window: Option<&str>) -> ClosedDay {
        ClosedDay { date: d(date), window: window.map(|w| w.parse().unwrap()), yearly: false }
    }

    fn site(holidays: Vec<Holiday>) -> SiteHolidays {
        SiteHolidays {
            name: "tokyo".into(),
            time_zone: Some("Asia/Tokyo".into()),
            sources: vec!["https://example.test/a.ics".into()],
            holidays,
        }
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
        let closures =
            [closed("2026-01-01", None), closed("2026-12-31", None), closed("2026-12-28", Some("15:00-24:00"))];
        let merged = merge(&[a, b], &closures, CLOSURE_NAME);
        assert_eq!(
            merged,
            [
                h("2026-01-01", "元日 / New Year's Day"),
                h("2026-05-05", "こどもの日"),
                closure("2026-12-28", CLOSURE_NAME, Some("15:00-24:00")),
                closure("2026-12-31", CLOSURE_NAME, None),
            ]
        );
        // a window on a public holiday changes nothing: the whole day is already closed
        let merged = merge(&[vec![h("2026-12-28", "x")]], &[closed("2026-12-28", Some("15:00-24:00"))], "y");
        assert_eq!(merged, [h("2026-12-28", "x")]);
    }

    #[test]
    fn changes_by_date() {
        let old = [h("2026-01-01", "元日"), h("2026-01-12", "成人の日"), h("2026-02-11", "建国記念日")];
        let new = [h("2026-01-01", "元日"), h("2026-02-11", "建国記念の日"), h("2026-02-23", "天皇誕生日")];
        let changes = Changes::between(&old, &new);
        assert_eq!(changes.added, [h("2026-02-23", "天皇誕生日")]);
        assert_eq!(changes.removed, [h("2026-01-12", "成人の日")]);
        assert_eq!(changes.renamed, [(h("2026-02-11", "建国記念日"), h("2026-02-11", "建国記念の日"))]);
        let earlier = [closure("2026-12-28", "x", Some("16:00-24:00"))];
        let later = [closure("2026-12-28", "x", Some("15:00-24:00"))];
        assert_eq!(Changes::between(&earlier, &later).renamed.len(), 1, "a new window is a change");
    }

    #[test]
    fn the_guard_counts_calendar_dates_only_and_refuses_floods() {
        let stored = [h("2025-01-01", "a"), h("2026-01-01", "b"), h("2026-05-05", "c"), h("2026-11-23", "d")];
        let today = d("2026-01-01");
        // drops 2 of 3 upcoming: refused
        let err = check_plausible(&stored, &[h("2026-05-05", "c")], today, 40).unwrap_err();
        assert_eq!(err, Implausible::TooManyDropped { upcoming: 3, dropped: 2 });
        // drops 1 of 3 upcoming and all past ones: accepted
        assert!(check_plausible(&stored, &[h("2026-01-01", "b"), h("2026-05-05", "c")], today, 40).is_ok());
        // exactly half is not more than half
        let two = [h("2026-01-01", "b"), h("2026-05-05", "c")];
        assert!(check_plausible(&two, &[h("2026-01-01", "b")], today, 40).is_ok());
        // an empty store never blocks the first publication
        assert!(check_plausible(&[], &[h("2026-01-01", "b")], today, 0).is_ok());
        // the operator removing closures is not a dropped holiday
        let with_closures = [h("2026-05-05", "c"), closure("2026-08-13", "x", None), closure("2026-08-14", "x", None)];
        assert!(check_plausible(&with_closures, &[h("2026-05-05", "c")], today, 40).is_ok());
        // a feed that suddenly lists every day of the year is refused
        let mut flood: Vec<Holiday> = (0..100).map(|i| Holiday::new(today + TimeDelta::days(i), "x")).collect();
        flood.extend([h("2026-05-05", "c"), h("2026-11-23", "d")]);
        flood.sort_by_key(|h| h.date);
        let err = check_plausible(&stored, &flood, today, 40).unwrap_err();
        assert_eq!(err, Implausible::TooManyAdded { added: 99, cap: 40 });
    }

    #[test]
    fn document_round_trips_and_compares_without_generation_time() {
        let doc = HolidayDocument::single(
            "2026-11-21T00:00:00Z".parse().unwrap(),
            site(vec![h("2026-01-01", "元日"), closure("2026-12-28", "仕事納め", Some("15:00-24:00"))]),
        );
        let back = HolidayDocument::from_json(&doc.to_json()).unwrap();
        assert_eq!(back, doc);
        let later = HolidayDocument { generated_at: "2026-11-22T00:00:00Z".parse().unwrap(), ..doc.clone() };
        assert!(later.same_content(&doc));
        let json: serde_json::Value = serde_json::from_slice(&doc.to_json()).unwrap();
        assert_eq!((json["version"].as_u64(), json["generatedAt"].as_str()), (Some(2), Some("2026-11-21T00:00:00Z")));
        let site = &json["sites"][0];
        assert_eq!((site["name"].as_str(), site["timeZone"].as_str()), (Some("tokyo"), Some("Asia/Tokyo")));
        assert_eq!(site["holidays"][0], serde_json::json!({"date": "2026-01-01", "name": "元日"}));
        assert_eq!(
            site["holidays"][1],
            serde_json::json!({"date": "2026-12-28", "name": "仕事納め", "closed": "15:00-24:00", "closure": true})
        );
    }

    #[test]
    fn a_version_1_list_reads_as_the_default_site_and_a_newer_version_is_refused() {
        let v1 = r#"{"generatedAt": "2026-11-01T00:00:00Z", "sources": ["https://a.test/ja.ics"],
                     "holidays": [{"date": "2026-11-23", "name": "勤労感謝の日"}]}"#;
        let doc = HolidayDocument::from_json(v1.as_bytes()).unwrap();
        let site = doc.site(DEFAULT_SITE).unwrap();
        assert_eq!((site.time_zone.as_deref(), site.holidays.len()), (None, 1));
        assert!(matches!(HolidayDocument::from_json(br#"{"version": 3}"#), Err(DocumentError::Version(3))));
        assert!(HolidayDocument::from_json(b"[]").is_err());
    }

    #[test]
    fn the_index_answers_by_date_and_by_instant_in_the_sites_zone() {
        let index = HolidayIndex::new(&site(vec![
            h("2026-01-01", "元日"),
            closure("2026-12-28", "仕事納め", Some("15:00-24:00")),
        ]));
        assert_eq!(index.name_of(d("2026-01-01")), Some("元日"));
        assert_eq!(index.name_of(d("2026-12-28")), None, "an early close is not a holiday");
        assert_eq!(index.time_zone(), Some(chrono_tz::Asia::Tokyo));
        let tokyo = chrono_tz::Asia::Tokyo;
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let closed = index.closed_at(utc("2026-12-28T06:01:00Z"), tokyo).unwrap(); // 15:01 JST
        assert_eq!((closed.from, closed.until), (utc("2026-12-28T06:00:00Z"), utc("2026-12-28T15:00:00Z")));
        assert!(index.closed_at(utc("2026-12-28T05:59:00Z"), tokyo).is_none(), "14:59 JST: open");
        let new_year = index.closed_at(utc("2025-12-31T15:00:00Z"), tokyo).unwrap(); // 00:00 JST
        assert_eq!((new_year.from, new_year.until), (utc("2025-12-31T15:00:00Z"), utc("2026-01-01T15:00:00Z")));
        assert!(index.closed_at(utc("2025-12-31T14:59:00Z"), tokyo).is_none());
    }
}
