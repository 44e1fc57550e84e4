//! RRULE expansion (RFC 5545 3.3.10), done by the `rrule` crate and bounded here.
//!
//! The rule runs in DTSTART's own zone, so a weekly 09:00 in New York stays 09:00 across DST.
//! Dates and floating times have no zone: they run in UTC, which has no DST to disturb them,
//! and come back as the same wall-clock values.

use chrono::{DateTime, Month, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Unvalidated};

use super::time::{Anchor, Moment, Zones, parse_moment};

/// Why a rule could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RuleError {
    /// Not a rule the crate accepts (no FREQ, out-of-range parts, ...).
    Unreadable,
    /// The body's budget of occurrences ran out.
    TooMany,
}

/// The starts of a rule's occurrences, from DTSTART on, until one starts after `last_day`
/// (a site-local date). Each occurrence scanned, kept or not, takes one from `budget`.
pub(super) fn rule_starts(
    start: Moment,
    rule: &str,
    zones: &Zones,
    last_day: NaiveDate,
    budget: &mut usize,
) -> Result<Vec<Moment>, RuleError> {
    let (parsed, until) = read_rule(rule).ok_or(RuleError::Unreadable)?;
    let dt_start = to_rule_time(start, zones);
    let until = match until {
        None => None,
        Some(value) => {
            let until = parse_moment(value, Anchor::Floating).ok_or(RuleError::Unreadable)?;
            Some(until_in_rule_time(until, start, zones))
        }
    };
    let starts = expand(dt_start, parsed, until, budget, |occurrence| {
        from_rule_time(occurrence, start).site_local(zones).date() > last_day
    })?;
    Ok(starts.into_iter().map(|occurrence| from_rule_time(occurrence, start)).collect())
}

/// The onsets a VTIMEZONE part's rule adds to its first (`start`, on the clock it ends,
/// `offset_from` east of UTC), up to `end` (UTC). Each takes one from `budget`.
pub(super) fn wall_clock_starts(
    start: NaiveDateTime,
    rule: &str,
    end: NaiveDateTime,
    offset_from: i32,
    budget: &mut usize,
) -> Result<Vec<NaiveDateTime>, RuleError> {
    let (parsed, until) = read_rule(rule).ok_or(RuleError::Unreadable)?;
    let offset = chrono::TimeDelta::seconds(i64::from(offset_from));
    // UNTIL is in UTC (RFC 5545 3.6.5); onsets are compared on their own clock.
    let until = match until {
        None => None,
        Some(value) => match parse_moment(value, Anchor::Floating).ok_or(RuleError::Unreadable)? {
            Moment::Date(date) => Some(date.and_time(NaiveTime::MIN)),
            Moment::Time(local, Anchor::Utc) => local.checked_add_signed(offset),
            Moment::Time(local, _) => Some(local),
        },
    };
    let utc = |local: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&local);
    let local_end = end.checked_add_signed(offset).unwrap_or(end);
    let starts = expand(utc(start), parsed, until.map(utc), budget, |onset| onset.naive_utc() >= local_end)?;
    Ok(starts.into_iter().map(|onset| onset.naive_utc()).collect())
}

/// A rule from `dt_start` until `until` (none after it) or until `past_end` says an occurrence
/// is past what is asked for. Each occurrence scanned takes one from `budget`.
fn expand(
    dt_start: DateTime<rrule::Tz>,
    parsed: RRule<Unvalidated>,
    until: Option<DateTime<rrule::Tz>>,
    budget: &mut usize,
    past_end: impl Fn(DateTime<rrule::Tz>) -> bool,
) -> Result<Vec<DateTime<rrule::Tz>>, RuleError> {
    let parsed = match until {
        None => parsed,
        // UNTIL before DTSTART: the rule adds nothing (DTSTART itself is kept by the caller).
        Some(until) if until < dt_start => return Ok(Vec::new()),
        Some(until) => parsed.until(until),
    };
    let rule = parsed.validate(dt_start).map_err(|_| RuleError::Unreadable)?;
    // `limit` bounds the crate's own search for a next occurrence that never comes.
    let set = RRuleSet::new(dt_start).rrule(rule).limit();
    let mut starts = Vec::new();
    for occurrence in &set {
        *budget = budget.checked_sub(1).ok_or(RuleError::TooMany)?;
        if past_end(occurrence) {
            break;
        }
        starts.push(occurrence);
    }
    Ok(starts)
}

/// The rule's parts, given to the crate's builder, and UNTIL apart (converted separately, since
/// feeds write it in every form). Parts are case-insensitive; empty parts and parts the crate
/// does not know (`X-...` extensions) are dropped, as RFC 5545 lets a reader ignore what it does
/// not know. None without FREQ or with a value that does not read; ranges are the crate's
/// `validate`. The builder, not `RRule`'s `FromStr`: that parser runs on the `regex` crate,
/// which is then linked into holiday-fetcher for this alone (docs/cpu-profile.md, "Size").
fn read_rule(rule: &str) -> Option<(RRule<Unvalidated>, Option<&str>)> {
    let mut until = None;
    let mut frequency = None;
    let mut parts = Vec::new();
    for part in rule.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let (key, value) = (key.trim().to_ascii_uppercase(), value.trim());
        match key.as_str() {
            // An empty value sets nothing (the crate's parser reads it as an empty list).
            _ if value.is_empty() && key != "FREQ" => {}
            "UNTIL" => until = Some(value),
            "FREQ" => frequency = Some(value.parse::<Frequency>().ok()?),
            _ => parts.push((key, value.to_ascii_uppercase())),
        }
    }
    let mut parsed = RRule::new(frequency?);
    for (key, value) in parts {
        parsed = match key.as_str() {
            "INTERVAL" => parsed.interval(value.parse().ok()?),
            // Some exporters write COUNT=-1 for "no count": a rule without one (as its UNTIL says).
            "COUNT" if value.starts_with('-') => parsed,
            "COUNT" => parsed.count(value.parse().ok()?),
            "WKST" => match value.parse().ok()? {
                NWeekday::Every(day) => parsed.week_start(day),
                NWeekday::Nth(..) => return None,
            },
            "BYSETPOS" => parsed.by_set_pos(numbers(&value)?),
            "BYMONTH" => {
                let months: Vec<u8> = numbers(&value)?;
                let months = months.into_iter().map(|m| Month::try_from(m).ok());
                parsed.by_month(&months.collect::<Option<Vec<_>>>()?)
            }
            "BYMONTHDAY" => parsed.by_month_day(numbers(&value)?),
            "BYYEARDAY" => parsed.by_year_day(numbers(&value)?),
            "BYWEEKNO" => parsed.by_week_no(numbers(&value)?),
            "BYDAY" => {
                // Every weekday form is ASCII (`[+-]n` and two letters); rrule's parser slices
                // bytes and panics on anything else, so other text is unreadable before it.
                let days = value
                    .split(',')
                    .map(|day| day.trim())
                    .map(|day| day.is_ascii().then(|| day.parse().ok()).flatten());
                parsed.by_weekday(days.collect::<Option<Vec<NWeekday>>>()?)
            }
            "BYHOUR" => parsed.by_hour(numbers(&value)?),
            "BYMINUTE" => parsed.by_minute(numbers(&value)?),
            "BYSECOND" => parsed.by_second(numbers(&value)?),
            _ => parsed,
        };
    }
    Some((parsed, until))
}

/// A comma-separated list of numbers, sorted and without repeats (as the crate's parser gives
/// them); None if one does not read as `T`.
fn numbers<T: std::str::FromStr + Ord>(value: &str) -> Option<Vec<T>> {
    let mut numbers = value.split(',').map(|n| n.trim().parse().ok()).collect::<Option<Vec<T>>>()?;
    numbers.sort_unstable();
    numbers.dedup();
    Some(numbers)
}

fn rule_zone(anchor: Anchor) -> rrule::Tz {
    match anchor {
        Anchor::Zone(tz) => rrule::Tz::Tz(tz),
        Anchor::Floating | Anchor::Utc | Anchor::Defined(_) => rrule::Tz::UTC,
    }
}

/// DTSTART as the crate's time: dates, floating times and times in a VTIMEZONE's own zone as
/// UTC wall-clock values (the crate knows no such zone; its rules repeat wall-clock times).
fn to_rule_time(start: Moment, zones: &Zones) -> DateTime<rrule::Tz> {
    match start {
        Moment::Date(date) => rrule::Tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN)),
        Moment::Time(local, anchor @ Anchor::Zone(_)) => {
            zones.instant_of(local, anchor).with_timezone(&rule_zone(anchor))
        }
        Moment::Time(local, Anchor::Floating | Anchor::Utc | Anchor::Defined(_)) => {
            rrule::Tz::UTC.from_utc_datetime(&local)
        }
    }
}

/// An occurrence back as a moment of the same kind as DTSTART.
fn from_rule_time(occurrence: DateTime<rrule::Tz>, start: Moment) -> Moment {
    match start {
        Moment::Date(_) => Moment::Date(occurrence.naive_local().date()),
        Moment::Time(_, anchor) => Moment::Time(occurrence.naive_local(), anchor),
    }
}

/// UNTIL as the crate wants it, read against DTSTART: RFC 5545 wants a date for a date
/// DTSTART, UTC for a zoned one and floating for a floating one; feeds mix them, so each form
/// is taken for what it plainly means (a date: the end of that day; a UTC time on a series of
/// dates: the same wall-clock value, as dates are not in any zone).
fn until_in_rule_time(until: Moment, start: Moment, zones: &Zones) -> DateTime<rrule::Tz> {
    let end_of = |date: NaiveDate| date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    let utc = |local: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&local);
    match start {
        // Dates and floating times run on UTC wall-clock values: compare wall-clock values.
        Moment::Date(_) | Moment::Time(_, Anchor::Floating) => match until {
            Moment::Date(date) => utc(end_of(date)),
            Moment::Time(local, _) => utc(local),
        },
        // A VTIMEZONE's zone runs on its own wall clock too.
        Moment::Time(_, anchor @ Anchor::Defined(_)) => match until {
            Moment::Date(date) => utc(end_of(date)),
            Moment::Time(local, Anchor::Floating) => utc(local),
            Moment::Time(..) => utc(zones.local_of(until.instant(zones), anchor)),
        },
        Moment::Time(_, anchor) => {
            let instant = match until {
                Moment::Date(date) => zones.instant_of(end_of(date), anchor),
                Moment::Time(local, Anchor::Floating) => zones.instant_of(local, anchor),
                Moment::Time(..) => until.instant(zones),
            };
            instant.with_timezone(&rrule::Tz::UTC)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn zones(site: Tz) -> Zones {
        Zones::new(&[], site, 2040, &mut super::super::lines::Skips::default())
    }

    fn starts(start: Moment, rule: &str, last: &str) -> Result<Vec<String>, RuleError> {
        let zones = zones(Tz::Asia__Tokyo);
        let mut budget = 10_000;
        let found = rule_starts(start, rule, &zones, date(last), &mut budget)?;
        Ok(found
            .iter()
            .map(|m| match m {
                Moment::Date(d) => d.to_string(),
                Moment::Time(t, _) => t.format("%Y-%m-%dT%H:%M").to_string(),
            })
            .collect())
    }

    #[test]
    fn rules_expand_from_dtstart_in_its_own_zone() {
        let d = |s: &str| Moment::Date(date(s));
        let ny = Anchor::Zone(Tz::America__New_York);
        let cases: Vec<(Moment, &str, &str, Vec<&str>)> = vec![
            (
                d("2026-12-29"),
                "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=29",
                "2028-12-31",
                vec!["2026-12-29", "2027-12-29", "2028-12-29"],
            ),
            (d("2026-01-01"), "FREQ=YEARLY;COUNT=3", "2040-12-31", vec!["2026-01-01", "2027-01-01", "2028-01-01"]),
            (
                d("2026-12-05"),
                "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261219",
                "2040-12-31",
                vec!["2026-12-05", "2026-12-12", "2026-12-19"],
            ),
            (
                d("2026-01-30"),
                "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
                "2040-12-31",
                vec!["2026-01-30", "2026-02-27", "2026-03-27"],
            ),
            // lower case, a trailing `;` and an extension part are accepted
            (d("2026-12-05"), "freq=weekly;count=2;X-NAME=1;", "2040-12-31", vec!["2026-12-05", "2026-12-12"]),
            // 09:00 New York stays 09:00 across the spring change
            (
                Moment::Time(at("2026-03-07T09:00"), ny),
                "FREQ=DAILY;COUNT=2",
                "2040-12-31",
                vec!["2026-03-07T09:00", "2026-03-08T09:00"],
            ),
            // UNTIL in UTC for a zoned start, as RFC 5545 wants it
            (
                Moment::Time(at("2026-12-01T09:00"), ny),
                "FREQ=WEEKLY;UNTIL=20261215T140000Z",
                "2040-12-31",
                vec!["2026-12-01T09:00", "2026-12-08T09:00", "2026-12-15T09:00"],
            ),
            // UNTIL before DTSTART: nothing from the rule
            (d("2026-12-05"), "FREQ=WEEKLY;UNTIL=20250101", "2040-12-31", vec![]),
            // UNTIL in UTC on a series of dates is a wall-clock value, as dates are in no zone:
            // Google's 23:59:59Z is the end of that day, also for a site in Tokyo
            (
                d("2008-03-21"),
                "FREQ=DAILY;UNTIL=20080323T235959Z",
                "2040-12-31",
                vec!["2008-03-21", "2008-03-22", "2008-03-23"],
            ),
            // COUNT=-1 is "no count": the rule stands, bounded by its UNTIL
            (
                d("2024-01-01"),
                "FREQ=WEEKLY;UNTIL=20240115;COUNT=-1",
                "2040-12-31",
                vec!["2024-01-01", "2024-01-08", "2024-01-15"],
            ),
            // an endless rule stops after the last day asked for
            (d("2026-12-29"), "FREQ=DAILY", "2026-12-31", vec!["2026-12-29", "2026-12-30", "2026-12-31"]),
        ];
        for (start, rule, last, expected) in cases {
            assert_eq!(starts(start, rule, last), Ok(expected.iter().map(|s| s.to_string()).collect()), "{rule}");
        }
    }

    #[test]
    fn rules_read_as_the_crates_own_parser_reads_them() {
        for rule in [
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25,26",
            "FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO",
            "FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4",
            "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1;COUNT=12",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=YEARLY;BYWEEKNO=20,1,20;BYDAY=MO;WKST=SU",
            "FREQ=YEARLY;BYYEARDAY=1,-1,100",
            "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30;BYSECOND=0",
            "FREQ=WEEKLY;BYDAY=+2SA,3SU;INTERVAL=1",
            "FREQ=YEARLY;BYMONTH=3,1,2,1",
            "FREQ=YEARLY;BYMONTH=",
        ] {
            let ours = read_rule(rule).map(|(rule, _)| rule);
            let crates: RRule<Unvalidated> = rule.parse().unwrap();
            assert_eq!(ours, Some(crates), "{rule}");
        }
        for rule in [
            "FREQ=YEARLY;BYMONTH=13",
            "FREQ=YEARLY;BYMONTH=0",
            "FREQ=YEARLY;BYDAY=XX",
            "FREQ=YEARLY;BYMONTHDAY=1,,2",
            "FREQ=YEARLY;INTERVAL=-1",
            "FREQ=YEARLY;COUNT=many",
            "FREQ=YEARLY;COUNT=1.5",
            "FREQ=YEARLY;WKST=1MO",
            "FREQ=;COUNT=1",
        ] {
            assert_eq!(read_rule(rule), None, "{rule}");
        }
    }

    #[test]
    fn zone_rules_give_onsets_on_their_own_clock_up_to_the_end() {
        let start = at("1601-10-28T03:00");
        let end = at("2004-01-01T00:00");
        let mut budget = 10_000;
        let rule = "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU";
        let onsets = wall_clock_starts(start, rule, end, 7200, &mut budget).unwrap();
        let shown: Vec<String> = onsets.iter().rev().take(2).map(|o| o.to_string()).collect();
        assert_eq!(shown, ["2003-10-26 03:00:00", "2002-10-27 03:00:00"]);
        // UNTIL in UTC, compared with the onset on its clock (+02:00): 01:00Z is 03:00 there
        let until =
            wall_clock_starts(start, &format!("{rule};UNTIL=20021027T010000Z"), end, 7200, &mut budget).unwrap();
        assert_eq!(until.last().map(|o| o.to_string()).as_deref(), Some("2002-10-27 03:00:00"));
        assert_eq!(wall_clock_starts(start, "FREQ=SOMETIMES", end, 0, &mut budget), Err(RuleError::Unreadable));
        let mut small = 10;
        assert_eq!(wall_clock_starts(start, rule, end, 0, &mut small), Err(RuleError::TooMany));
    }

    #[test]
    fn unreadable_rules_and_spent_budgets_are_errors() {
        let start = Moment::Date(date("2026-01-01"));
        for rule in [
            "",
            "COUNT=3",
            "FREQ=SOMETIMES",
            "FREQ=MONTHLY;BYMONTHDAY=40",
            "FREQ=DAILY;UNTIL=tomorrow",
            "FREQ=WEEKLY;BYDAY=S\u{FFFD}",
            "FREQ=WEEKLY;BYDAY=1月",
        ] {
            assert_eq!(starts(start, rule, "2030-12-31"), Err(RuleError::Unreadable), "{rule}");
        }
        let zones = zones(Tz::UTC);
        let mut budget = 100;
        assert_eq!(rule_starts(start, "FREQ=DAILY", &zones, date("2030-12-31"), &mut budget), Err(RuleError::TooMany));
    }
}
