//! DATE, DATE-TIME and DURATION values (RFC 5545 3.3.4-3.3.6) and the zones they are written in.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};

use crate::closed_window::wall_clock_instant;
use chrono_tz::Tz;

use super::lines::{Line, TimeZoneBlock};

/// What a DATE-TIME is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    /// No zone: the same wall-clock time wherever it is read (RFC 5545 3.3.5, form #1).
    Floating,
    Utc,
    Zone(Tz),
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
    /// The wall-clock date and time in `site` (a date: its midnight; floating: as written).
    pub fn site_local(&self, site: Tz) -> NaiveDateTime {
        match *self {
            Moment::Date(date) => date.and_time(NaiveTime::MIN),
            Moment::Time(local, Anchor::Floating) => local,
            Moment::Time(utc, Anchor::Utc) => site.from_utc_datetime(&utc).naive_local(),
            Moment::Time(local, Anchor::Zone(tz)) => instant_of(local, tz).with_timezone(&site).naive_local(),
        }
    }

    /// The instant it stands for; floating times and dates are taken in `site`.
    pub fn instant(&self, site: Tz) -> DateTime<Utc> {
        match *self {
            Moment::Date(date) => instant_of(date.and_time(NaiveTime::MIN), site),
            Moment::Time(local, anchor) => instant_of(local, anchor.zone(site)),
        }
    }

    pub fn key(&self, site: Tz) -> StartKey {
        match self {
            Moment::Date(date) => StartKey::Date(*date),
            Moment::Time(..) => StartKey::Time(self.site_local(site)),
        }
    }

    /// The date as written (a DATE-TIME's own wall-clock date, not converted).
    pub fn written_date(&self) -> NaiveDate {
        match self {
            Moment::Date(date) => *date,
            Moment::Time(local, _) => local.date(),
        }
    }
}

impl Anchor {
    /// The zone its wall-clock times are read in; floating ones in the site's.
    pub fn zone(self, site: Tz) -> Tz {
        match self {
            Anchor::Floating => site,
            Anchor::Utc => Tz::UTC,
            Anchor::Zone(tz) => tz,
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
}

/// A duration longer than this is refused by the span check anyway; it bounds the arithmetic.
const MAX_DURATION_PART: u64 = 100_000_000;

/// `P1D`, `PT8H`, `P2DT4H`, `P1W`, `-PT15M`. A negative duration is taken as zero: an event
/// cannot end before it starts.
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
    if negative {
        return Some(Duration { days: 0, seconds: 0 });
    }
    Some(Duration { days, seconds: i64::try_from(seconds).ok()? })
}

/// The moment a duration after `start`, in `start`'s own zone (whole days on its wall clock).
pub(super) fn after(start: NaiveDateTime, anchor: Anchor, duration: Duration, site: Tz) -> Option<DateTime<Utc>> {
    let wall = start.checked_add_days(Days::new(duration.days))?;
    instant_of(wall, anchor.zone(site)).checked_add_signed(TimeDelta::try_seconds(duration.seconds)?)
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

/// Turns the TZIDs of a body into zones.
#[derive(Debug)]
pub(super) struct Zones {
    site: Tz,
    /// Zones the body's VTIMEZONEs define that no name table knows.
    defined: HashMap<String, Tz>,
}

impl Zones {
    pub fn new(blocks: &[TimeZoneBlock<'_>], site: Tz) -> Zones {
        let defined = blocks.iter().filter_map(|block| Some((block.tzid.to_owned(), zone_of_block(block)?))).collect();
        Zones { site, defined }
    }

    pub fn site(&self) -> Tz {
        self.site
    }

    /// The zone a TZID names: an IANA name, a Windows name, an IANA name behind a vendor prefix
    /// (`/mozilla.org/20070129_1/Europe/Berlin`), or the VTIMEZONE of that TZID. An unknown
    /// one falls back to the site's zone: the reader's best guess, and no reason to drop a feed.
    pub fn zone(&self, tzid: &str) -> Tz {
        let tzid = tzid.trim();
        named_zone(tzid).or_else(|| self.defined.get(tzid).copied()).unwrap_or(self.site)
    }

    /// What the values of a line are relative to: its TZID, or floating without one.
    pub fn anchor(&self, line: &Line<'_>) -> Anchor {
        match line.param("TZID") {
            Some(tzid) => Anchor::Zone(self.zone(tzid)),
            None => Anchor::Floating,
        }
    }

    /// The single DATE or DATE-TIME value of a line.
    pub fn moment(&self, line: &Line<'_>) -> Option<Moment> {
        parse_moment(line.value, self.anchor(line))
    }
}

fn named_zone(tzid: &str) -> Option<Tz> {
    if let Ok(tz) = tzid.parse::<Tz>() {
        return Some(tz);
    }
    if let Some((_, tz)) = WINDOWS_ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(tzid)) {
        return Some(*tz);
    }
    // A vendor prefix: try what follows each `/`, longest first.
    tzid.match_indices('/').find_map(|(i, _)| tzid[i + 1..].parse::<Tz>().ok())
}

/// A VTIMEZONE that names its IANA zone, or whose parts all have the same offset (Outlook's
/// `(UTC+09:00) Osaka, Sapporo, Tokyo`): a zone with daylight saving cannot be told from its
/// offsets alone, so it is left to the fallback.
fn zone_of_block(block: &TimeZoneBlock<'_>) -> Option<Tz> {
    if let Some(tz) = block.location.and_then(named_zone) {
        return Some(tz);
    }
    let first = *block.offsets.first()?;
    if block.unreadable_offset || block.offsets.iter().any(|o| *o != first) || first % 3600 != 0 {
        return None;
    }
    let hours = first / 3600;
    // Etc/GMT signs are inverted: Etc/GMT-9 is UTC+9.
    let name = match hours {
        0 => "UTC".to_owned(),
        east if east > 0 => format!("Etc/GMT-{east}"),
        west => format!("Etc/GMT+{}", -west),
    };
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(moment.site_local(site), at(expected), "{moment:?}");
        }
    }

    #[test]
    fn durations_split_nominal_days_from_exact_time() {
        let cases = [
            ("P1D", Some(Duration { days: 1, seconds: 0 })),
            ("PT8H", Some(Duration { days: 0, seconds: 8 * 3600 })),
            ("P2DT4H", Some(Duration { days: 2, seconds: 4 * 3600 })),
            ("P1W", Some(Duration { days: 7, seconds: 0 })),
            ("PT1H30M15S", Some(Duration { days: 0, seconds: 5415 })),
            ("+P1D", Some(Duration { days: 1, seconds: 0 })),
            ("-PT15M", Some(Duration { days: 0, seconds: 0 })),
            ("P", None),
            ("PT", None),
            ("P1", None),
            ("P1H", None),
            ("PT1D", None),
            ("1D", None),
            ("P99999999999999999999D", None),
            ("P1DT", Some(Duration { days: 1, seconds: 0 })),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_duration(value), expected, "{value}");
        }
        // a nominal day across the spring change is 23 hours long
        let ny = Anchor::Zone(Tz::America__New_York);
        let end = after(at("2026-03-07T12:00:00"), ny, Duration { days: 1, seconds: 0 }, Tz::UTC).unwrap();
        assert_eq!(end.naive_utc(), at("2026-03-08T16:00:00"));
    }

    #[test]
    fn tzids_are_resolved_by_iana_and_windows_names_vendor_prefixes_and_vtimezones() {
        let fixed = TimeZoneBlock {
            tzid: "(UTC+09:00) Osaka, Sapporo, Tokyo",
            offsets: vec![32400, 32400],
            ..Default::default()
        };
        let located = TimeZoneBlock { tzid: "Custom", location: Some("Europe/Paris"), ..Default::default() };
        let with_dst = TimeZoneBlock { tzid: "My DST zone", offsets: vec![3600, 7200], ..Default::default() };
        let zones = Zones::new(&[fixed, located, with_dst], Tz::Asia__Tokyo);
        let cases = [
            ("Asia/Tokyo", Tz::Asia__Tokyo),
            ("Tokyo Standard Time", Tz::Asia__Tokyo),
            ("Eastern Standard Time", Tz::America__New_York),
            ("W. Europe Standard Time", Tz::Europe__Berlin),
            ("w. europe standard time", Tz::Europe__Berlin),
            ("/mozilla.org/20070129_1/Europe/Berlin", Tz::Europe__Berlin),
            ("(UTC+09:00) Osaka, Sapporo, Tokyo", Tz::Etc__GMTMinus9),
            ("Custom", Tz::Europe__Paris),
            ("My DST zone", Tz::Asia__Tokyo),
            ("Nowhere Standard Time", Tz::Asia__Tokyo),
            ("", Tz::Asia__Tokyo),
        ];
        for (tzid, expected) in cases {
            assert_eq!(zones.zone(tzid), expected, "{tzid}");
        }
    }
}
