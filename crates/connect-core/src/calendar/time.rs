//! DATE, DATE-TIME and DURATION values (RFC 5545 3.3.4-3.3.6) and the zones they are written in.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};

use crate::closed_window::wall_clock_instant;
use chrono_tz::Tz;

use super::lines::{Line, Skips, TimeZoneBlock};
use super::recurrence::wall_clock_starts;

/// What a DATE-TIME is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    /// No zone: the same wall-clock time wherever it is read (RFC 5545 3.3.5, form #1).
    Floating,
    Utc,
    Zone(Tz),
    /// A zone the body's own VTIMEZONE defines, by its index in [`Zones`].
    Defined(usize),
}

/// A DATE or a DATE-TIME as written, with what its time is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moment {
    Date(NaiveDate),
    Time(NaiveDateTime, Anchor),
}

/// The same start, however written: a date, or a wall-clock time in the site's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum StartKey {
    Date(NaiveDate),
    Time(NaiveDateTime),
}

impl Moment {
    /// The wall-clock date and time on the site's clock (a date: its midnight; floating: as
    /// written).
    pub fn site_local(&self, zones: &Zones) -> NaiveDateTime {
        match *self {
            Moment::Date(date) => date.and_time(NaiveTime::MIN),
            Moment::Time(local, Anchor::Floating) => local,
            Moment::Time(local, anchor) => zones.site_local_of(zones.instant_of(local, anchor)),
        }
    }

    /// The instant it stands for; floating times and dates are taken on the site's clock.
    pub fn instant(&self, zones: &Zones) -> DateTime<Utc> {
        match *self {
            Moment::Date(date) => zones.instant_of(date.and_time(NaiveTime::MIN), Anchor::Floating),
            Moment::Time(local, anchor) => zones.instant_of(local, anchor),
        }
    }

    pub fn key(&self, zones: &Zones) -> StartKey {
        match self {
            Moment::Date(date) => StartKey::Date(*date),
            Moment::Time(..) => StartKey::Time(self.site_local(zones)),
        }
    }

    /// The date as written (a DATE-TIME's own wall-clock date, not converted).
    pub fn written_date(&self) -> NaiveDate {
        match self {
            Moment::Date(date) => *date,
            Moment::Time(local, _) => local.date(),
        }
    }

    /// Moved by `shift`: a date by whole days, a date-time on its own wall clock.
    pub fn shifted(&self, shift: TimeDelta) -> Option<Moment> {
        match *self {
            Moment::Date(date) => {
                let days = shift.num_days();
                let moved = if days >= 0 {
                    date.checked_add_days(Days::new(days.unsigned_abs()))
                } else {
                    date.checked_sub_days(Days::new(days.unsigned_abs()))
                };
                moved.map(Moment::Date)
            }
            Moment::Time(local, anchor) => local.checked_add_signed(shift).map(|local| Moment::Time(local, anchor)),
        }
    }
}

/// A wall-clock time in `tz` as an instant (see [`wall_clock_instant`]).
pub(super) fn instant_of(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    // No zone has a gap this long; reading it as UTC keeps the event rather than losing it.
    wall_clock_instant(local, tz).unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// `YYYYMMDD`, `YYYYMMDDTHHMMSS`, `YYYYMMDDTHHMMSSZ` (and `THHMM`, which some exporters write).
/// A trailing `Z` makes it UTC whatever `anchor` (the line's TZID) says.
pub(super) fn parse_moment(value: &str, anchor: Anchor) -> Option<Moment> {
    let value = value.trim();
    let (date, time) = match value.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time)),
        None => (value, None),
    };
    let date = parse_date(date)?;
    let Some(time) = time else {
        return Some(Moment::Date(date));
    };
    let (time, anchor) = match time.strip_suffix(['Z', 'z']) {
        Some(time) => (time, Anchor::Utc),
        None => (time, anchor),
    };
    let number = |range: std::ops::Range<usize>| time.get(range).and_then(|t| t.parse::<u32>().ok());
    if !(time.len() == 4 || time.len() == 6) || !time.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds = if time.len() == 6 { number(4..6)? } else { 0 };
    let time = NaiveTime::from_hms_opt(number(0..2)?, number(2..4)?, seconds)?;
    Some(Moment::Time(date.and_time(time), anchor))
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|t| t.parse::<u32>().ok());
    NaiveDate::from_ymd_opt(i32::try_from(number(0..4)?).ok()?, number(4..6)?, number(6..8)?)
}

/// A DURATION: whole days are nominal (the same wall-clock time days later, RFC 5545 3.3.6),
/// hours, minutes and seconds exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Duration {
    pub days: u64,
    pub seconds: i64,
    /// `-P...`: the event ends before it starts, and is read the other way round.
    pub negative: bool,
}

/// A duration longer than this is refused by the span check anyway; it bounds the arithmetic.
const MAX_DURATION_PART: u64 = 100_000_000;

/// `P1D`, `PT8H`, `P2DT4H`, `P1W`, `-PT15M`.
pub(super) fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (negative, rest) = match value.as_bytes().first()? {
        b'-' => (true, &value[1..]),
        b'+' => (false, &value[1..]),
        _ => (false, value),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds, mut in_time, mut number, mut parts) = (0u64, 0u64, false, None::<u64>, 0);
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_none() => in_time = true,
            d @ '0'..='9' => {
                let digit = u64::from(d.to_digit(10)?);
                let next = number.unwrap_or(0).checked_mul(10)?.checked_add(digit)?;
                number = Some(next).filter(|n| *n <= MAX_DURATION_PART);
                number?;
            }
            unit => {
                let n = number.take()?;
                parts += 1;
                match (in_time, unit) {
                    (false, 'W') => days = days.checked_add(n.checked_mul(7)?)?,
                    (false, 'D') => days = days.checked_add(n)?,
                    (true, 'H') => seconds = seconds.checked_add(n.checked_mul(3600)?)?,
                    (true, 'M') => seconds = seconds.checked_add(n.checked_mul(60)?)?,
                    (true, 'S') => seconds = seconds.checked_add(n)?,
                    _ => return None,
                }
            }
        }
    }
    if number.is_some() || parts == 0 {
        return None;
    }
    Some(Duration { days, seconds: i64::try_from(seconds).ok()?, negative })
}

/// The moment a duration after `start`, in `start`'s own zone (whole days on its wall clock).
pub(super) fn after(start: NaiveDateTime, anchor: Anchor, duration: Duration, zones: &Zones) -> Option<DateTime<Utc>> {
    let wall = start.checked_add_days(Days::new(duration.days))?;
    zones.instant_of(wall, anchor).checked_add_signed(TimeDelta::try_seconds(duration.seconds)?)
}

/// The Windows zone names Exchange and Outlook write as TZID, with their IANA zone
/// (the common ones of CLDR's windowsZones table, each taken at its "001" territory).
const WINDOWS_ZONES: &[(&str, Tz)] = &[
    ("Tokyo Standard Time", Tz::Asia__Tokyo),
    ("Korea Standard Time", Tz::Asia__Seoul),
    ("China Standard Time", Tz::Asia__Shanghai),
    ("Taipei Standard Time", Tz::Asia__Taipei),
    ("Singapore Standard Time", Tz::Asia__Singapore),
    ("SE Asia Standard Time", Tz::Asia__Bangkok),
    ("India Standard Time", Tz::Asia__Kolkata),
    ("Sri Lanka Standard Time", Tz::Asia__Colombo),
    ("Nepal Standard Time", Tz::Asia__Kathmandu),
    ("Bangladesh Standard Time", Tz::Asia__Dhaka),
    ("Myanmar Standard Time", Tz::Asia__Yangon),
    ("Pakistan Standard Time", Tz::Asia__Karachi),
    ("Arabian Standard Time", Tz::Asia__Dubai),
    ("Arab Standard Time", Tz::Asia__Riyadh),
    ("Iran Standard Time", Tz::Asia__Tehran),
    ("Israel Standard Time", Tz::Asia__Jerusalem),
    ("AUS Eastern Standard Time", Tz::Australia__Sydney),
    ("E. Australia Standard Time", Tz::Australia__Brisbane),
    ("Cen. Australia Standard Time", Tz::Australia__Adelaide),
    ("W. Australia Standard Time", Tz::Australia__Perth),
    ("New Zealand Standard Time", Tz::Pacific__Auckland),
    ("Hawaiian Standard Time", Tz::Pacific__Honolulu),
    ("Alaskan Standard Time", Tz::America__Anchorage),
    ("Pacific Standard Time", Tz::America__Los_Angeles),
    ("US Mountain Standard Time", Tz::America__Phoenix),
    ("Mountain Standard Time", Tz::America__Denver),
    ("Central Standard Time", Tz::America__Chicago),
    ("Central Standard Time (Mexico)", Tz::America__Mexico_City),
    ("Canada Central Standard Time", Tz::America__Regina),
    ("Eastern Standard Time", Tz::America__New_York),
    ("US Eastern Standard Time", Tz::America__Indianapolis),
    ("Atlantic Standard Time", Tz::America__Halifax),
    ("SA Pacific Standard Time", Tz::America__Bogota),
    ("Pacific SA Standard Time", Tz::America__Santiago),
    ("E. South America Standard Time", Tz::America__Sao_Paulo),
    ("Argentina Standard Time", Tz::America__Buenos_Aires),
    ("UTC", Tz::UTC),
    ("GMT Standard Time", Tz::Europe__London),
    ("Greenwich Standard Time", Tz::Atlantic__Reykjavik),
    ("W. Europe Standard Time", Tz::Europe__Berlin),
    ("Romance Standard Time", Tz::Europe__Paris),
    ("Central Europe Standard Time", Tz::Europe__Budapest),
    ("Central European Standard Time", Tz::Europe__Warsaw),
    ("GTB Standard Time", Tz::Europe__Bucharest),
    ("FLE Standard Time", Tz::Europe__Kiev),
    ("E. Europe Standard Time", Tz::Europe__Chisinau),
    ("Turkey Standard Time", Tz::Europe__Istanbul),
    ("Russian Standard Time", Tz::Europe__Moscow),
    ("Egypt Standard Time", Tz::Africa__Cairo),
    ("South Africa Standard Time", Tz::Africa__Johannesburg),
    ("W. Central Africa Standard Time", Tz::Africa__Lagos),
    ("E. Africa Standard Time", Tz::Africa__Nairobi),
];

/// VTIMEZONEs one body may define; more are read on the site's clock.
const MAX_DEFINED_ZONES: usize = 20;

/// Onsets (STANDARD and DAYLIGHT starts) the VTIMEZONEs of one body may produce together, each
/// rule's scanned ones included: Outlook's yearly rules from 1601 give about 860 per zone up to
/// 2030, so [`MAX_DEFINED_ZONES`] of them fit.
const MAX_ZONE_ONSETS: usize = 40_000;

/// A zone a VTIMEZONE defines (RFC 5545 3.6.5): the offset from each onset on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DefinedZone {
    /// The offset before the first onset (its TZOFFSETFROM), in seconds east of UTC.
    initial: i32,
    /// Each onset as a UTC time, with the offset from then on; sorted.
    onsets: Vec<(NaiveDateTime, i32)>,
}

impl DefinedZone {
    /// The zone of a VTIMEZONE's parts, with their onsets up to the end of `last_year`; `None`
    /// when no part has a start and a readable TZOFFSETTO. Each onset takes one from `budget`.
    fn read(block: &TimeZoneBlock<'_>, last_year: i32, budget: &mut usize, skips: &mut Skips) -> Option<DefinedZone> {
        let end = NaiveDate::from_ymd_opt(last_year.saturating_add(1), 1, 1)?.and_time(NaiveTime::MIN);
        let mut onsets: Vec<(NaiveDateTime, i32, i32)> = Vec::new();
        for part in &block.parts {
            let (Some(to), Some(start)) = (part.offset_to, part.start.and_then(|v| parse_moment(v, Anchor::Floating)))
            else {
                skips.add(
                    part.number,
                    format!("a part of VTIMEZONE {:?} without DTSTART or TZOFFSETTO, left out", block.tzid),
                );
                continue;
            };
            let from = part.offset_from.unwrap_or(to);
            let start = match start {
                Moment::Date(date) => date.and_time(NaiveTime::MIN),
                Moment::Time(local, _) => local,
            };
            let mut locals = vec![start];
            for rule in &part.rules {
                match wall_clock_starts(start, rule, end, from, budget) {
                    Ok(starts) => locals.extend(starts),
                    Err(_) => skips.add(
                        part.number,
                        format!(
                            "RRULE {rule:?} of VTIMEZONE {:?} unreadable or over the cap on onsets, left out",
                            block.tzid
                        ),
                    ),
                }
            }
            for value in &part.dates {
                *budget = budget.checked_sub(1)?;
                match parse_moment(value, Anchor::Floating) {
                    Some(Moment::Time(local, _)) => locals.push(local),
                    Some(Moment::Date(date)) => locals.push(date.and_time(NaiveTime::MIN)),
                    None => skips.add(
                        part.number,
                        format!("RDATE {value:?} of VTIMEZONE {:?} could not be read, left out", block.tzid),
                    ),
                }
            }
            for local in locals {
                // An onset is written on the clock it ends (TZOFFSETFROM).
                let utc = local.checked_sub_signed(TimeDelta::seconds(i64::from(from)))?;
                if utc < end {
                    onsets.push((utc, from, to));
                }
            }
        }
        onsets.sort_unstable();
        let initial = onsets.first().map(|(_, from, _)| *from)?;
        Some(DefinedZone { initial, onsets: onsets.into_iter().map(|(utc, _, to)| (utc, to)).collect() })
    }

    /// The offset at a UTC time.
    fn offset_at(&self, utc: NaiveDateTime) -> i32 {
        match self.onsets.partition_point(|(onset, _)| *onset <= utc) {
            0 => self.initial,
            after => self.onsets[after - 1].1,
        }
    }

    /// A wall-clock time as UTC: a repeated time at its first occurrence, a skipped one as the
    /// first instant after the gap (as [`wall_clock_instant`] reads IANA zones).
    fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        let day = TimeDelta::days(1);
        let around = |shift: TimeDelta| self.offset_at(local.checked_add_signed(shift).unwrap_or(local));
        let (before, after) = (around(-day), around(day));
        let at = |offset: i32| local.checked_sub_signed(TimeDelta::seconds(i64::from(offset))).unwrap_or(local);
        for offset in [before, after] {
            if self.offset_at(at(offset)) == offset {
                return at(offset);
            }
        }
        let gap_start = at(after);
        match self.onsets.iter().find(|(onset, _)| *onset > gap_start) {
            Some((onset, _)) => *onset,
            None => at(before),
        }
    }

    fn local_at(&self, utc: NaiveDateTime) -> NaiveDateTime {
        utc.checked_add_signed(TimeDelta::seconds(i64::from(self.offset_at(utc)))).unwrap_or(utc)
    }
}

/// Turns the TZIDs of a body into zones.
#[derive(Debug)]
pub(super) struct Zones {
    site: Tz,
    /// Zones the body's VTIMEZONEs define that no name table knows, by TZID.
    names: HashMap<String, usize>,
    defined: Vec<DefinedZone>,
}

impl Zones {
    /// The body's own zones (its VTIMEZONEs whose TZID is neither an IANA nor a Windows name),
    /// read up to the end of `last_year`.
    pub fn new(blocks: &[TimeZoneBlock<'_>], site: Tz, last_year: i32, skips: &mut Skips) -> Zones {
        let mut zones = Zones { site, names: HashMap::new(), defined: Vec::new() };
        let mut budget = MAX_ZONE_ONSETS;
        for block in blocks.iter().filter(|b| named_zone(&b.tzid).is_none()) {
            if zones.names.contains_key(&block.tzid) {
                continue;
            }
            if zones.defined.len() >= MAX_DEFINED_ZONES {
                skips.add(
                    block.number,
                    format!("VTIMEZONE {:?} is one too many: its times are read on the site's clock", block.tzid),
                );
                continue;
            }
            match DefinedZone::read(block, last_year, &mut budget, skips) {
                Some(zone) => {
                    zones.names.insert(block.tzid.clone(), zones.defined.len());
                    zones.defined.push(zone);
                }
                None => skips.add(
                    block.number,
                    format!("VTIMEZONE {:?} could not be read: its times are read on the site's clock", block.tzid),
                ),
            }
        }
        zones
    }

    /// The zone a TZID names: an IANA name, a Windows name, an IANA name behind a vendor prefix
    /// (`/mozilla.org/20070129_1/Europe/Berlin`), or the VTIMEZONE of that TZID; `None` for one
    /// neither names nor defines.
    pub fn zone(&self, tzid: &str) -> Option<Anchor> {
        let tzid = tzid.trim();
        named_zone(tzid).map(Anchor::Zone).or_else(|| self.names.get(tzid).map(|i| Anchor::Defined(*i)))
    }

    /// What the values of a line are relative to: its TZID (an unknown one falls back to the
    /// site's zone, the reader's best guess and no reason to drop a feed), or floating without.
    pub fn anchor(&self, line: &Line<'_>) -> Anchor {
        match line.param("TZID") {
            Some(tzid) => self.zone(tzid).unwrap_or(Anchor::Zone(self.site)),
            None => Anchor::Floating,
        }
    }

    /// The single DATE or DATE-TIME value of a line.
    pub fn moment(&self, line: &Line<'_>) -> Option<Moment> {
        parse_moment(line.value, self.anchor(line))
    }

    /// A wall-clock time relative to `anchor` as an instant (floating: on the site's clock).
    pub fn instant_of(&self, local: NaiveDateTime, anchor: Anchor) -> DateTime<Utc> {
        match anchor {
            Anchor::Floating => instant_of(local, self.site),
            Anchor::Utc => Utc.from_utc_datetime(&local),
            Anchor::Zone(tz) => instant_of(local, tz),
            Anchor::Defined(index) => match self.defined.get(index) {
                Some(zone) => Utc.from_utc_datetime(&zone.to_utc(local)),
                None => instant_of(local, self.site),
            },
        }
    }

    /// An instant on the wall clock of `anchor`'s zone (floating: the site's).
    pub fn local_of(&self, instant: DateTime<Utc>, anchor: Anchor) -> NaiveDateTime {
        match anchor {
            Anchor::Floating => self.site_local_of(instant),
            Anchor::Utc => instant.naive_utc(),
            Anchor::Zone(tz) => instant.with_timezone(&tz).naive_local(),
            Anchor::Defined(index) => match self.defined.get(index) {
                Some(zone) => zone.local_at(instant.naive_utc()),
                None => self.site_local_of(instant),
            },
        }
    }

    pub fn site_local_of(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.site).naive_local()
    }
}

fn named_zone(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim();
    if let Ok(tz) = tzid.parse::<Tz>() {
        return Some(tz);
    }
    if let Some((_, tz)) = WINDOWS_ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(tzid)) {
        return Some(*tz);
    }
    // A vendor prefix: try what follows each `/`, longest first.
    tzid.match_indices('/').find_map(|(i, _)| tzid[i + 1..].parse::<Tz>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::lines::ZonePart;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn values_are_read_with_what_they_are_relative_to() {
        let tokyo = Anchor::Zone(Tz::Asia__Tokyo);
        let cases = [
            ("20261224", Anchor::Floating, Some(Moment::Date(at("2026-12-24T00:00:00").date()))),
            ("20261224T120000", Anchor::Floating, Some(Moment::Time(at("2026-12-24T12:00:00"), Anchor::Floating))),
            ("20261224T120000", tokyo, Some(Moment::Time(at("2026-12-24T12:00:00"), tokyo))),
            ("20261224T030000Z", tokyo, Some(Moment::Time(at("2026-12-24T03:00:00"), Anchor::Utc))),
            ("20261224T1200", tokyo, Some(Moment::Time(at("2026-12-24T12:00:00"), tokyo))),
            (" 20261224T120000 ", tokyo, Some(Moment::Time(at("2026-12-24T12:00:00"), tokyo))),
            ("2026-12-24", tokyo, None),
            ("20261324", tokyo, None),
            ("20261224T250000", tokyo, None),
            ("20261224T235960", tokyo, None),
            ("20261224T12", tokyo, None),
            ("20261224T+12000", tokyo, None),
            ("", tokyo, None),
        ];
        for (value, anchor, expected) in cases {
            assert_eq!(parse_moment(value, anchor), expected, "{value}");
        }
    }

    fn zones(blocks: &[TimeZoneBlock<'_>], site: Tz) -> Zones {
        Zones::new(blocks, site, 2030, &mut Skips::default())
    }

    #[test]
    fn moments_are_converted_to_the_site_zone() {
        let tokyo = Tz::Asia__Tokyo;
        let cases = [
            // UTC at 16:00 on New Year's Eve is already New Year's Day in Tokyo
            (Moment::Time(at("2026-12-31T16:00:00"), Anchor::Utc), tokyo, "2027-01-01T01:00:00"),
            (Moment::Time(at("2026-12-24T12:00:00"), Anchor::Zone(tokyo)), tokyo, "2026-12-24T12:00:00"),
            (
                Moment::Time(at("2026-12-24T09:00:00"), Anchor::Zone(Tz::America__New_York)),
                tokyo,
                "2026-12-24T23:00:00",
            ),
            (Moment::Time(at("2026-12-24T12:00:00"), Anchor::Floating), Tz::America__New_York, "2026-12-24T12:00:00"),
            // 02:30 does not exist in New York on 2026-03-08: the first instant after the gap
            (
                Moment::Time(at("2026-03-08T02:30:00"), Anchor::Zone(Tz::America__New_York)),
                Tz::UTC,
                "2026-03-08T07:00:00",
            ),
        ];
        for (moment, site, expected) in cases {
            assert_eq!(moment.site_local(&zones(&[], site)), at(expected), "{moment:?}");
        }
    }

    #[test]
    fn durations_split_nominal_days_from_exact_time() {
        let d = |days, seconds| Some(Duration { days, seconds, negative: false });
        let cases = [
            ("P1D", d(1, 0)),
            ("PT8H", d(0, 8 * 3600)),
            ("P2DT4H", d(2, 4 * 3600)),
            ("P1W", d(7, 0)),
            ("PT1H30M15S", d(0, 5415)),
            ("+P1D", d(1, 0)),
            ("-PT15M", Some(Duration { days: 0, seconds: 900, negative: true })),
            ("P", None),
            ("PT", None),
            ("P1", None),
            ("P1H", None),
            ("PT1D", None),
            ("1D", None),
            ("P99999999999999999999D", None),
            ("P1DT", d(1, 0)),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_duration(value), expected, "{value}");
        }
        // a nominal day across the spring change is 23 hours long
        let ny = Anchor::Zone(Tz::America__New_York);
        let one_day = Duration { days: 1, seconds: 0, negative: false };
        let end = after(at("2026-03-07T12:00:00"), ny, one_day, &zones(&[], Tz::UTC)).unwrap();
        assert_eq!(end.naive_utc(), at("2026-03-08T16:00:00"));
    }

    /// A VTIMEZONE of Outlook's kind: yearly rules from 1601.
    fn outlook_berlin() -> TimeZoneBlock<'static> {
        let part = |start, from, to, rule| ZonePart {
            number: 1,
            start: Some(start),
            offset_from: Some(from),
            offset_to: Some(to),
            rules: vec![rule],
            dates: Vec::new(),
        };
        TimeZoneBlock {
            tzid: "Customized Time Zone".into(),
            number: 1,
            parts: vec![
                part("16010101T030000", 7200, 3600, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
                part("16010101T020000", 3600, 7200, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
            ],
        }
    }

    #[test]
    fn a_calendars_own_vtimezone_is_read_with_its_rules_and_dates() {
        let zones = zones(&[outlook_berlin()], Tz::UTC);
        let zone = zones.zone("Customized Time Zone").unwrap();
        assert!(matches!(zone, Anchor::Defined(0)));
        let cases = [
            // CET in winter, CEST in summer
            ("2026-01-15T12:00:00", "2026-01-15T11:00:00"),
            ("2026-07-15T12:00:00", "2026-07-15T10:00:00"),
            // 02:30 on the spring change does not exist: the first instant after the gap
            ("2026-03-29T02:30:00", "2026-03-29T01:00:00"),
            // 02:30 on the autumn change happens twice: its first occurrence (still CEST)
            ("2026-10-25T02:30:00", "2026-10-25T00:30:00"),
            ("2026-10-25T03:00:00", "2026-10-25T02:00:00"),
        ];
        for (local, utc) in cases {
            assert_eq!(zones.instant_of(at(local), zone).naive_utc(), at(utc), "{local}");
            // and back
            if local != "2026-03-29T02:30:00" {
                assert_eq!(zones.local_of(zones.instant_of(at(local), zone), zone), at(local), "{local}");
            }
        }
        // RDATE onsets, and a zone of one part: a fixed offset
        let mut dates = outlook_berlin();
        dates.tzid = "Dates".into();
        dates.parts = vec![
            ZonePart {
                number: 1,
                start: Some("19700101T000000"),
                offset_from: Some(0),
                offset_to: Some(0),
                ..Default::default()
            },
            ZonePart {
                number: 2,
                start: Some("20260601T000000"),
                offset_from: Some(0),
                offset_to: Some(3600),
                dates: vec!["20270601T000000"],
                ..Default::default()
            },
        ];
        let fixed = TimeZoneBlock {
            tzid: "(UTC+09:00) Osaka, Sapporo, Tokyo".into(),
            number: 1,
            parts: vec![ZonePart {
                number: 2,
                start: Some("16010101T000000"),
                offset_from: Some(32400),
                offset_to: Some(32400),
                ..Default::default()
            }],
        };
        let zones = super::Zones::new(&[dates, fixed], Tz::UTC, 2030, &mut Skips::default());
        let (dates, fixed) = (zones.zone("Dates").unwrap(), zones.zone("(UTC+09:00) Osaka, Sapporo, Tokyo").unwrap());
        assert_eq!(zones.instant_of(at("2026-07-01T12:00:00"), dates).naive_utc(), at("2026-07-01T11:00:00"));
        assert_eq!(zones.instant_of(at("2027-07-01T12:00:00"), dates).naive_utc(), at("2027-07-01T11:00:00"));
        assert_eq!(zones.instant_of(at("2026-12-24T08:00:00"), fixed).naive_utc(), at("2026-12-23T23:00:00"));
    }

    #[test]
    fn vtimezones_are_bounded_and_unusable_ones_named() {
        let mut skips = Skips::default();
        let empty = TimeZoneBlock {
            tzid: "Empty".into(),
            number: 7,
            parts: vec![ZonePart { number: 8, ..Default::default() }],
        };
        let many: Vec<TimeZoneBlock<'_>> = (0..=MAX_DEFINED_ZONES)
            .map(|i| TimeZoneBlock { tzid: format!("Zone {i}"), ..outlook_berlin() })
            .chain([empty])
            .collect();
        let zones = Zones::new(&many, Tz::Asia__Tokyo, 2030, &mut skips);
        assert!(zones.zone("Zone 0").is_some() && zones.zone(&format!("Zone {MAX_DEFINED_ZONES}")).is_none());
        let shown: Vec<String> = skips.kept.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            shown,
            [
                format!(
                    "line 1: VTIMEZONE \"Zone {MAX_DEFINED_ZONES}\" is one too many: its times are read on the site's clock"
                ),
                "line 7: VTIMEZONE \"Empty\" is one too many: its times are read on the site's clock".to_owned(),
            ]
        );
        let mut skips = Skips::default();
        let empty = TimeZoneBlock {
            tzid: "Empty".into(),
            number: 7,
            parts: vec![ZonePart { number: 8, ..Default::default() }],
        };
        assert!(Zones::new(&[empty], Tz::Asia__Tokyo, 2030, &mut skips).zone("Empty").is_none());
        let shown: Vec<String> = skips.kept.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            shown,
            [
                "line 8: a part of VTIMEZONE \"Empty\" without DTSTART or TZOFFSETTO, left out",
                "line 7: VTIMEZONE \"Empty\" could not be read: its times are read on the site's clock",
            ]
        );
        // a rule that runs until it is stopped by the budget of onsets
        let mut skips = Skips::default();
        let mut hostile = outlook_berlin();
        hostile.parts[0].rules = vec!["FREQ=MINUTELY"];
        let zones = Zones::new(&[hostile], Tz::Asia__Tokyo, 2030, &mut skips);
        assert!(zones.zone("Customized Time Zone").is_some(), "its parts' starts still stand");
        assert!(skips.kept[0].reason.starts_with("RRULE \"FREQ=MINUTELY\" of VTIMEZONE"), "{:?}", skips.kept);
    }

    #[test]
    fn tzids_are_resolved_by_iana_and_windows_names_vendor_prefixes_and_vtimezones() {
        let zones = zones(&[outlook_berlin()], Tz::Asia__Tokyo);
        let cases = [
            ("Asia/Tokyo", Some(Anchor::Zone(Tz::Asia__Tokyo))),
            ("Tokyo Standard Time", Some(Anchor::Zone(Tz::Asia__Tokyo))),
            ("Eastern Standard Time", Some(Anchor::Zone(Tz::America__New_York))),
            ("W. Europe Standard Time", Some(Anchor::Zone(Tz::Europe__Berlin))),
            ("w. europe standard time", Some(Anchor::Zone(Tz::Europe__Berlin))),
            ("/mozilla.org/20070129_1/Europe/Berlin", Some(Anchor::Zone(Tz::Europe__Berlin))),
            ("Customized Time Zone", Some(Anchor::Defined(0))),
            ("Nowhere Standard Time", None),
            ("", None),
        ];
        for (tzid, expected) in cases {
            assert_eq!(zones.zone(tzid), expected, "{tzid}");
        }
    }
}
