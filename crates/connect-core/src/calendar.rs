//! Reading calendars (RFC 5545 iCalendar) into the days they close: public-holiday feeds
//! (Google, Outlook/Exchange exports) and a company's own closure calendar.
//!
//! What real feeds need, beyond the content lines: unfolding at the byte level (a fold may split
//! a multi-byte UTF-8 character, so unfolding must happen before decoding); refusing truncated
//! or non-calendar bodies, but reading past what one line or one event gets wrong (each such
//! skip is returned, with its line); times converted into the site's zone (TZIDs written as
//! IANA or Windows names, or defined by the calendar's own VTIMEZONEs); DTEND (exclusive) or
//! DURATION; recurrences (RRULE, RDATE, EXDATE and RECURRENCE-ID overrides, RANGE=THISANDFUTURE
//! included) expanded over the years asked for; events repeated by merged feeds counted once;
//! and caps on the work and the days one body may cause, so that a hostile or broken feed
//! cannot exhaust a small Lambda's memory. No recursion anywhere: nesting is a bounded stack.

mod lines;
mod recurrence;
mod time;

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use crate::closed_window::ClosedWindow;
pub use lines::Skip;
use lines::{Line, Skips, unescape_text};
use recurrence::RuleError;
use time::{Anchor, Duration, Moment, StartKey, Zones, parse_duration, parse_moment};

/// How to read one calendar for one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The site's time zone: DTSTART/DTEND with TZID=..., and UTC (`Z`) times, are converted
    /// into it before the local date (and time) is taken. Floating times are taken as written.
    pub time_zone: chrono_tz::Tz,
    /// Recurrences (RRULE, RDATE) are expanded over these years, inclusive; days outside are dropped.
    pub first_year: i32,
    pub last_year: i32,
    /// Opt-in per calendar (a company calendar): a timed VEVENT (DTSTART with a time) is a
    /// partial-day closure of that window on each local date it touches, instead of whole days.
    /// When false (public feeds), a timed event covers whole local days.
    pub timed_windows: bool,
    /// Name for an event without SUMMARY (or with an empty one), e.g. "休業日".
    pub default_name: String,
    /// The most days one body may produce (after expansion); beyond it the read fails with
    /// CalendarError::TooManyDays, so a 5 MB or hostile feed cannot exhaust 128 MB of memory.
    pub max_days: usize,
}

pub const DEFAULT_MAX_DAYS: usize = 20_000;

/// One day (or part of a day) of one calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub name: String,
    /// An observance (節分, 七夕, ...) is a working day unless the center opts in.
    pub observance: bool,
    /// `None`: the whole day. `Some`: only this local window (only with `timed_windows`).
    pub window: Option<ClosedWindow>,
}

/// What one body gives: the days its events close, and what was left out on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarRead {
    pub days: Vec<CalendarDay>,
    /// What could not be read and was left out (a line, a property, a value, an event), or was
    /// read in a way worth saying, with its line: the first 50.
    pub skipped: Vec<Skip>,
    /// Skips beyond those listed.
    pub more_skipped: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("the body is not an iCalendar (no BEGIN:VCALENDAR at its start)")]
    NotACalendar,
    #[error("the calendar is truncated (no END:VCALENDAR, or a component left open)")]
    Truncated,
    /// Names the line (in the body as received) and what is wrong with it.
    #[error("the calendar could not be read: {0}")]
    Syntax(String),
    #[error("the calendar produces more days than its limit (ReadOptions::max_days)")]
    TooManyDays,
    #[error(
        "the calendar has too much to expand (at event {summary:?}): over {MAX_RULES} RRULEs or {MAX_OCCURRENCES} occurrences"
    )]
    TooManyRecurrences { summary: String },
}

/// Longest span one occurrence may cover; longer is almost certainly a data error (the
/// occurrence is skipped), and it bounds the work one event can cause.
const MAX_EVENT_DAYS: u64 = 366;

/// Occurrences one body may make the reader look at, kept or not (those before the first year
/// included): a rule from 1900 that repeats daily would otherwise be walked for a century.
/// Real feeds stay far below it (a weekday rule since 1990 is under 10,000).
const MAX_OCCURRENCES: usize = 200_000;

/// RRULEs one body may have. The crate's own search for a rule's next occurrence is not seen by
/// the budget above: a rule that never matches (`FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30`) costs up
/// to 100,000 silent steps (about 50 ms on a full core), so the number of rules bounds that work.
/// Closure calendars have a few dozen at most.
const MAX_RULES: usize = 100;

/// What is left of a body's expansion limits.
struct Budget {
    occurrences: usize,
    rules: usize,
}

/// Removes RFC 5545 line folds (CRLF or LF followed by one space or tab) from raw bytes.
pub fn unfold(raw: &[u8]) -> Vec<u8> {
    unfold_numbered(raw).0
}

/// [`unfold`], with the line of the raw body each unfolded line starts at (from 1).
fn unfold_numbered(raw: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(raw.len());
    let mut numbers = vec![1];
    let mut line = 1;
    let mut i = 0;
    while i < raw.len() {
        let fold_len = match raw[i..] {
            [b'\r', b'\n', b' ' | b'\t', ..] => 3,
            [b'\n', b' ' | b'\t', ..] => 2,
            _ => 0,
        };
        if fold_len > 0 {
            i += fold_len;
            line += 1;
            continue;
        }
        if raw[i] == b'\n' {
            line += 1;
            numbers.push(line);
        }
        out.push(raw[i]);
        i += 1;
    }
    (out, numbers)
}

/// Reads every VEVENT of one or more concatenated VCALENDARs into the days they cover, in the
/// order of the events (each event's days in date order). Cancelled events are skipped. What
/// cannot be read is left out (the value, else the property, else the event) and listed in
/// [`CalendarRead::skipped`]; only a body that is not a calendar or is cut short, and one over
/// the caps, is refused.
pub fn read_days(raw: &[u8], options: &ReadOptions) -> Result<CalendarRead, CalendarError> {
    let (unfolded, numbers) = unfold_numbered(raw);
    let mut skips = Skips::default();
    let text = match std::str::from_utf8(&unfolded) {
        Ok(text) => Cow::Borrowed(text),
        Err(e) => {
            let index = unfolded[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count();
            let line = numbers.get(index).copied().unwrap_or(1);
            skips.add(line, "not valid UTF-8 (first here): read with U+FFFD for what is not");
            String::from_utf8_lossy(&unfolded)
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
    if !lines.next().is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err(CalendarError::NotACalendar);
    }
    if !lines.next_back().is_some_and(|l| l.eq_ignore_ascii_case("END:VCALENDAR")) {
        return Err(CalendarError::Truncated);
    }
    let body = lines::read_body(text, &numbers, &mut skips)?;
    let zones = Zones::new(&body.time_zones, options.time_zone, options.last_year, &mut skips);
    let mut notes = Notes { skips, unknown_zones: HashSet::new() };
    let events: Vec<Event<'_>> = body
        .events
        .iter()
        .filter_map(|(number, lines)| Event::read(*number, lines, &zones, options, &mut notes))
        .collect();
    let kept = kept_events(&events, &zones);
    let reader = Reader { options, zones: &zones, first_day: first_day(options), last_day: last_day(options) };
    let days = reader.days(&events, &kept, &mut notes)?;
    Ok(CalendarRead { days, skipped: notes.skips.kept, more_skipped: notes.skips.more })
}

fn first_day(options: &ReadOptions) -> NaiveDate {
    NaiveDate::from_ymd_opt(options.first_year, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn last_day(options: &ReadOptions) -> NaiveDate {
    NaiveDate::from_ymd_opt(options.last_year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The first DESCRIPTION line names the kind: Google writes `祝日` / `Public holiday` for
/// public holidays and `祭日` / `Observance` for observances.
pub fn is_observance(description: &str) -> bool {
    let first = description.lines().next().unwrap_or_default().trim();
    first.starts_with("祭日") || first.to_ascii_lowercase().starts_with("observance")
}

/// The skips of one read, and the TZIDs already named in one.
struct Notes<'a> {
    skips: Skips,
    unknown_zones: HashSet<&'a str>,
}

/// One VEVENT, with what is needed to tell it apart from the others.
struct Event<'a> {
    /// The line its BEGIN:VEVENT is on.
    number: usize,
    lines: &'a [Line<'a>],
    name: String,
    observance: bool,
    cancelled: bool,
    uid: Option<&'a str>,
    sequence: i64,
    recurrence_id: Option<Moment>,
    /// `RECURRENCE-ID;RANGE=THISANDFUTURE`: the override moves every later occurrence too.
    this_and_future: bool,
    /// `None` only for a cancelled event, whose start does not matter. An event that ends
    /// before it starts is read the other way round: this is the earlier of the two.
    start: Option<Moment>,
    length: Length,
}

impl<'a> Event<'a> {
    /// The event, or `None` (with a skip) when it cannot be placed: no readable DTSTART or
    /// RECURRENCE-ID. An unreadable DTEND or DURATION is left out (the event lasts as if it had
    /// none).
    fn read(
        number: usize,
        lines: &'a [Line<'a>],
        zones: &Zones,
        options: &ReadOptions,
        notes: &mut Notes<'a>,
    ) -> Option<Event<'a>> {
        let find = |name: &str| lines.iter().find(|l| l.is(name));
        let summary = find("SUMMARY").map(|l| unescape_text(l.value).trim().to_owned()).unwrap_or_default();
        let name = if summary.is_empty() { options.default_name.clone() } else { summary };
        for line in
            lines.iter().filter(|l| ["DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID"].iter().any(|p| l.is(p)))
        {
            if let Some(tzid) = line.param("TZID").map(str::trim)
                && zones.zone(tzid).is_none()
                && notes.unknown_zones.insert(tzid)
            {
                notes.skips.add(
                    line.number,
                    format!("TZID {tzid:?} is neither an IANA nor a Windows name, and no VTIMEZONE defines it: read on the site's clock"),
                );
            }
        }
        let cancelled = find("STATUS").is_some_and(|l| l.value.trim().eq_ignore_ascii_case("CANCELLED"));
        let skip_event = |notes: &mut Notes<'_>, line: usize, why: String| {
            notes.skips.add(line, format!("{why}: event {name:?} left out"));
        };
        let recurrence_id = match find("RECURRENCE-ID") {
            None => None,
            Some(line) => match zones.moment(line) {
                Some(id) => Some(id),
                None => {
                    skip_event(notes, line.number, format!("unreadable RECURRENCE-ID {:?}", line.value));
                    return None;
                }
            },
        };
        let this_and_future = find("RECURRENCE-ID")
            .and_then(|l| l.param("RANGE"))
            .is_some_and(|range| range.trim().eq_ignore_ascii_case("THISANDFUTURE"));
        // Exchange may write an all-day event as midnight to midnight in the organiser's zone:
        // its flag says the written dates are meant, wherever the site is.
        let all_day = find("X-MICROSOFT-CDO-ALLDAYEVENT").is_some_and(|l| l.value.trim().eq_ignore_ascii_case("TRUE"));
        let start = match find("DTSTART") {
            Some(line) => match zones.moment(line) {
                Some(Moment::Time(local, _)) if all_day && local.time() == NaiveTime::MIN => {
                    Some(Moment::Date(local.date()))
                }
                Some(start) => Some(start),
                None if cancelled => None,
                None => {
                    skip_event(notes, line.number, format!("unreadable DTSTART {:?}", line.value));
                    return None;
                }
            },
            None if cancelled => None,
            None => {
                skip_event(notes, number, "no DTSTART".to_owned());
                return None;
            }
        };
        let mut event = Event {
            number,
            lines,
            observance: find("DESCRIPTION").is_some_and(|l| is_observance(&unescape_text(l.value))),
            cancelled,
            uid: find("UID").map(|l| l.value.trim()).filter(|uid| !uid.is_empty()),
            sequence: find("SEQUENCE").and_then(|l| l.value.trim().parse().ok()).unwrap_or(0),
            recurrence_id,
            this_and_future,
            start,
            length: Length::Days(1),
            name,
        };
        if let Some(start) = start {
            let (start, length) = event.first_length(start, zones, &mut notes.skips);
            event.start = Some(start);
            event.length = length;
        }
        Some(event)
    }

    /// DTSTART (or, when it ends first, its end) and how long each occurrence lasts: until DTEND
    /// (exclusive), for DURATION, or, with neither, one day for a date and no time at all for a
    /// date-time (RFC 5545 3.6.1). An end before the start is read the other way round, as
    /// peers read it.
    fn first_length(&self, start: Moment, zones: &Zones, skips: &mut Skips) -> (Moment, Length) {
        let find = |name: &str| self.lines.iter().find(|l| l.is(name));
        let swapped = |skips: &mut Skips, line: &Line<'_>| {
            skips.add(line.number, format!("{} ends before it starts: read the other way round", self.name));
        };
        if let Some(line) = find("DTEND") {
            match zones.moment(line) {
                Some(end) => {
                    let (start, end) = if end.instant(zones) < start.instant(zones) {
                        swapped(skips, line);
                        (end, start)
                    } else {
                        (start, end)
                    };
                    let length = match start {
                        Moment::Date(first) => Length::Days(days_until(first, end)),
                        Moment::Time(..) => Length::Exact(end.instant(zones) - start.instant(zones)),
                    };
                    return (start, length);
                }
                None => {
                    skips.add(line.number, format!("unreadable DTEND {:?} of {:?} left out", line.value, self.name))
                }
            }
        }
        if let Some(line) = find("DURATION") {
            match parse_duration(line.value) {
                Some(duration) if duration.negative => {
                    swapped(skips, line);
                    let days = duration.days + ceil_days(duration.seconds);
                    return match start {
                        Moment::Date(date) => {
                            (date.checked_sub_days(Days::new(days)).map_or(start, Moment::Date), Length::Days(days))
                        }
                        Moment::Time(_, anchor) => {
                            let exact = TimeDelta::try_days(i64::try_from(duration.days).unwrap_or(0))
                                .and_then(|days| days.checked_add(&TimeDelta::try_seconds(duration.seconds)?));
                            let earlier = exact.and_then(|exact| start.instant(zones).checked_sub_signed(exact));
                            match (exact, earlier) {
                                (Some(exact), Some(end)) => {
                                    (Moment::Time(zones.local_of(end, anchor), anchor), Length::Exact(exact))
                                }
                                // longer than any calendar: the span check leaves it out
                                _ => (start, Length::Days(u64::MAX)),
                            }
                        }
                    };
                }
                Some(duration) => {
                    let length = match start {
                        Moment::Date(_) => Length::Days(duration.days + ceil_days(duration.seconds)),
                        Moment::Time(..) => Length::Nominal(duration),
                    };
                    return (start, length);
                }
                None => {
                    skips.add(line.number, format!("unreadable DURATION {:?} of {:?} left out", line.value, self.name))
                }
            }
        }
        let length = match start {
            Moment::Date(_) => Length::Days(1),
            Moment::Time(..) => Length::Exact(TimeDelta::zero()),
        };
        (start, length)
    }

    fn all(&self, name: &'a str) -> impl Iterator<Item = &'a Line<'a>> + use<'a, '_> {
        self.lines.iter().filter(move |l| l.is(name))
    }
}

/// Which events count: merged feeds repeat events, so among those with the same UID and the
/// same start (or the same RECURRENCE-ID) only the highest SEQUENCE is kept, the first on a
/// tie. Cancelled events take part, so a later cancellation removes its event. Events without
/// UID are all kept.
fn kept_events(events: &[Event<'_>], zones: &Zones) -> Vec<bool> {
    let mut kept = vec![true; events.len()];
    let mut seen: HashMap<(&str, bool, StartKey), usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        let (Some(uid), Some(start)) = (event.uid, event.recurrence_id.or(event.start)) else {
            continue;
        };
        let key = (uid, event.recurrence_id.is_some(), start.key(zones));
        match seen.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
            Entry::Occupied(mut slot) => {
                let earlier = *slot.get();
                if event.sequence > events[earlier].sequence {
                    kept[earlier] = false;
                    slot.insert(index);
                } else {
                    kept[index] = false;
                }
            }
        }
    }
    kept
}

/// Starts to leave out (EXDATE, or replaced by a RECURRENCE-ID event), or to look up. A date
/// matches any time on that date as written, so `EXDATE;VALUE=DATE` also works on a timed series.
#[derive(Debug, Default)]
struct Exclusions {
    dates: HashSet<NaiveDate>,
    times: HashSet<NaiveDateTime>,
    dates_of_times: HashSet<NaiveDate>,
}

impl Exclusions {
    fn add(&mut self, moment: Moment, zones: &Zones) {
        match moment {
            Moment::Date(date) => {
                self.dates.insert(date);
            }
            Moment::Time(..) => {
                self.times.insert(moment.site_local(zones));
                self.dates_of_times.insert(moment.written_date());
            }
        }
    }

    fn contains(&self, moment: &Moment, zones: &Zones) -> bool {
        match moment {
            Moment::Date(date) => self.dates.contains(date) || self.dates_of_times.contains(date),
            Moment::Time(..) => {
                self.times.contains(&moment.site_local(zones)) || self.dates.contains(&moment.written_date())
            }
        }
    }
}

/// How long one occurrence lasts.
#[derive(Debug, Clone, Copy)]
enum Length {
    /// Whole days (a date DTSTART).
    Days(u64),
    /// An exact span (DTEND minus DTSTART, applied to every occurrence as RFC 5545 says).
    Exact(TimeDelta),
    /// A DURATION: nominal days, then exact time.
    Nominal(Duration),
    /// An RDATE period's own end.
    Until(Moment),
}

/// One occurrence, and the event it takes its name from (an override with
/// RANGE=THISANDFUTURE names the occurrences it moves).
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    start: Moment,
    length: Length,
    source: usize,
}

/// What one occurrence covers: whole dates, or from one site-local time to another.
enum Span {
    Dates { first: NaiveDate, count: u64 },
    Times { start: NaiveDateTime, end: NaiveDateTime },
}

/// What a series' overrides (RECURRENCE-ID events of its UID) do to it.
#[derive(Default)]
struct Overrides {
    /// The occurrences they replace (or, cancelled, remove).
    replaced: Exclusions,
    /// RANGE=THISANDFUTURE: from each, every later occurrence is moved as it was, and lasts and
    /// is named as it does (by event index, in the order of their RECURRENCE-ID).
    from_here: Vec<(chrono::DateTime<chrono::Utc>, usize)>,
}

/// A series as expanded: what its overrides need to know of it.
struct Series {
    sequence: i64,
    /// Its starts, without those EXDATE removes.
    starts: Exclusions,
    excluded: Exclusions,
}

struct Reader<'o> {
    options: &'o ReadOptions,
    zones: &'o Zones,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

impl Reader<'_> {
    /// Every kept event's days, in the order of the events.
    fn days(
        &self,
        events: &[Event<'_>],
        kept: &[bool],
        notes: &mut Notes<'_>,
    ) -> Result<Vec<CalendarDay>, CalendarError> {
        let mut overrides: HashMap<&str, Overrides> = HashMap::new();
        for (index, event) in events.iter().enumerate().filter(|(i, _)| kept[*i]) {
            if let (Some(uid), Some(id)) = (event.uid, event.recurrence_id) {
                let of_uid = overrides.entry(uid).or_default();
                of_uid.replaced.add(id, self.zones);
                if event.this_and_future {
                    of_uid.from_here.push((id.instant(self.zones), index));
                }
            }
        }
        for of_uid in overrides.values_mut() {
            of_uid.from_here.sort_by_key(|(id, _)| *id);
        }
        let mut budget = Budget { occurrences: MAX_OCCURRENCES, rules: MAX_RULES };
        // Series first: their overrides depend on them.
        let mut occurrences: Vec<Vec<Occurrence>> = vec![Vec::new(); events.len()];
        let mut series: HashMap<&str, Series> = HashMap::new();
        for (index, event) in events.iter().enumerate() {
            if !kept[index] || event.cancelled || event.recurrence_id.is_some() {
                continue;
            }
            let Some(start) = event.start else { continue };
            let of_uid = event.uid.and_then(|uid| overrides.get(uid));
            let (found, expanded) = self.series(events, index, start, of_uid, &mut budget, notes)?;
            occurrences[index] = found;
            if let Some(uid) = event.uid
                && series.get(uid).is_none_or(|s| s.sequence < event.sequence)
            {
                series.insert(uid, expanded);
            }
        }
        for (index, event) in events.iter().enumerate() {
            let (Some(start), Some(id)) = (event.start, event.recurrence_id) else { continue };
            if !kept[index] || event.cancelled {
                continue;
            }
            // An occurrence its series no longer has (EXDATE, or a newer series that ends
            // before it) takes its older override with it.
            let of_series = event.uid.and_then(|uid| series.get(uid));
            if of_series.is_some_and(|s| {
                s.excluded.contains(&id, self.zones)
                    || (event.sequence < s.sequence && !s.starts.contains(&id, self.zones))
            }) {
                continue;
            }
            occurrences[index] = vec![Occurrence { start, length: event.length, source: index }];
        }
        let mut days = Vec::new();
        for (index, found) in occurrences.iter().enumerate() {
            self.occurrence_days(events, index, found, notes, &mut days)?;
        }
        Ok(days)
    }

    /// A series' occurrences (DTSTART, RRULEs and RDATEs, less EXDATEs and overridden ones,
    /// moved by RANGE=THISANDFUTURE overrides), in start order.
    fn series(
        &self,
        events: &[Event<'_>],
        index: usize,
        start: Moment,
        overrides: Option<&Overrides>,
        budget: &mut Budget,
        notes: &mut Notes<'_>,
    ) -> Result<(Vec<Occurrence>, Series), CalendarError> {
        let event = &events[index];
        let first = Occurrence { start, length: event.length, source: index };
        let mut all = vec![first];
        self.recurrences(event, first, budget, &mut all, &mut notes.skips)?;
        let mut excluded = Exclusions::default();
        for line in event.all("EXDATE") {
            for value in line.value.split(',').filter(|v| !v.trim().is_empty()) {
                match parse_moment(value, self.zones.anchor(line)) {
                    Some(moment) => excluded.add(moment, self.zones),
                    None => notes
                        .skips
                        .add(line.number, format!("unreadable EXDATE {value:?} of {:?} left out", event.name)),
                }
            }
        }
        all.sort_by_key(|o| o.start.site_local(self.zones));
        all.dedup_by_key(|o| o.start.key(self.zones));
        all.retain(|o| !excluded.contains(&o.start, self.zones));
        let mut starts = Exclusions::default();
        for occurrence in &all {
            starts.add(occurrence.start, self.zones);
        }
        let mut kept = Vec::with_capacity(all.len());
        for occurrence in all {
            if overrides.is_some_and(|o| o.replaced.contains(&occurrence.start, self.zones)) {
                continue;
            }
            match self.moved(events, occurrence, overrides) {
                Some(Some(moved)) => kept.push(moved),
                Some(None) => kept.push(occurrence),
                None => {}
            }
        }
        Ok((kept, Series { sequence: event.sequence, starts, excluded }))
    }

    /// An occurrence as the last RANGE=THISANDFUTURE override before it has it: moved by as
    /// much as that override moved its own, lasting and named as it is (`Some(Some(..))`),
    /// removed when it is cancelled (`None`), or as it was without one (`Some(None)`).
    fn moved(
        &self,
        events: &[Event<'_>],
        occurrence: Occurrence,
        overrides: Option<&Overrides>,
    ) -> Option<Option<Occurrence>> {
        let at = occurrence.start.instant(self.zones);
        let Some(&(id, source)) = overrides.and_then(|o| o.from_here.iter().rev().find(|(id, _)| *id < at)) else {
            return Some(None);
        };
        let mover = &events[source];
        if mover.cancelled {
            return None;
        }
        let Some(moved_start) = mover.start else { return Some(None) };
        let shift = moved_start.instant(self.zones) - id;
        let start = occurrence.start.shifted(shift)?;
        Some(Some(Occurrence { start, length: mover.length, source }))
    }

    /// Adds the days of one event's occurrences, each date (and window) once per event.
    fn occurrence_days(
        &self,
        events: &[Event<'_>],
        index: usize,
        occurrences: &[Occurrence],
        notes: &mut Notes<'_>,
        days: &mut Vec<CalendarDay>,
    ) -> Result<(), CalendarError> {
        let mut seen = HashSet::new();
        let mut too_long = false;
        for occurrence in occurrences {
            let Some(span) = self.span(*occurrence) else {
                too_long = true;
                continue;
            };
            let source = &events[occurrence.source];
            for (date, window) in self.covered(span) {
                if date < self.first_day || date > self.last_day || !seen.insert((date, window, occurrence.source)) {
                    continue;
                }
                if days.len() >= self.options.max_days {
                    return Err(CalendarError::TooManyDays);
                }
                days.push(CalendarDay { date, name: source.name.clone(), observance: source.observance, window });
            }
        }
        if too_long {
            let event = &events[index];
            notes.skips.add(
                event.number,
                format!("{:?} lasts more than {MAX_EVENT_DAYS} days: those occurrences are left out", event.name),
            );
        }
        Ok(())
    }

    /// The occurrences RRULEs and RDATEs add to the first one. An unreadable rule or value is
    /// left out.
    fn recurrences(
        &self,
        event: &Event<'_>,
        first: Occurrence,
        budget: &mut Budget,
        occurrences: &mut Vec<Occurrence>,
        skips: &mut Skips,
    ) -> Result<(), CalendarError> {
        let too_many = || CalendarError::TooManyRecurrences { summary: event.name.clone() };
        for line in event.all("RRULE") {
            budget.rules = budget.rules.checked_sub(1).ok_or_else(too_many)?;
            let left = &mut budget.occurrences;
            match recurrence::rule_starts(first.start, line.value, self.zones, self.last_day, left) {
                Ok(starts) => occurrences.extend(starts.into_iter().map(|start| Occurrence { start, ..first })),
                Err(RuleError::Unreadable) => {
                    skips.add(line.number, format!("unreadable RRULE {:?} of {:?} left out", line.value, event.name));
                }
                Err(RuleError::TooMany) => return Err(too_many()),
            }
        }
        for line in event.all("RDATE") {
            let anchor = self.zones.anchor(line);
            for value in line.value.split(',').filter(|v| !v.trim().is_empty()) {
                budget.occurrences = budget.occurrences.checked_sub(1).ok_or_else(too_many)?;
                let Some(occurrence) = rdate(value, anchor, first) else {
                    skips.add(line.number, format!("unreadable RDATE {value:?} of {:?} left out", event.name));
                    continue;
                };
                if occurrence.start.site_local(self.zones).date() <= self.last_day {
                    occurrences.push(occurrence);
                }
            }
        }
        Ok(())
    }

    /// What an occurrence covers; `None` when that is longer than an event may be.
    fn span(&self, occurrence: Occurrence) -> Option<Span> {
        let zones = self.zones;
        let span = match (occurrence.start, occurrence.length) {
            (Moment::Date(first), Length::Days(count)) => Span::Dates { first, count: count.max(1) },
            (Moment::Date(first), Length::Until(end)) => Span::Dates { first, count: days_until(first, end) },
            (Moment::Date(first), Length::Nominal(d)) => Span::Dates { first, count: d.days + ceil_days(d.seconds) },
            (Moment::Date(first), Length::Exact(d)) => Span::Dates { first, count: ceil_days(d.num_seconds()) },
            (start @ Moment::Time(local, anchor), length) => {
                let end = match length {
                    Length::Exact(delta) => start.instant(zones).checked_add_signed(delta)?,
                    Length::Nominal(duration) => time::after(local, anchor, duration, zones)?,
                    Length::Days(days) => {
                        time::after(local, anchor, Duration { days, seconds: 0, negative: false }, zones)?
                    }
                    Length::Until(end) => end.instant(zones),
                };
                Span::Times { start: start.site_local(zones), end: zones.site_local_of(end) }
            }
        };
        let covered_days = match &span {
            Span::Dates { count, .. } => (*count).max(1),
            Span::Times { start, end } => {
                let last =
                    if end > start && end.time() == NaiveTime::MIN { end.date().pred_opt()? } else { end.date() };
                u64::try_from((last - start.date()).num_days()).unwrap_or(0) + 1
            }
        };
        (covered_days <= MAX_EVENT_DAYS).then_some(span)
    }

    /// The dates a span touches, each with its window: whole days for dates (and for times,
    /// unless the calendar opts into windows). A time span's end is exclusive, so an end at
    /// midnight does not touch that day. A span of no time is a point in time: as a whole day it
    /// keeps its date; as a window it closes nothing.
    fn covered(&self, span: Span) -> Vec<(NaiveDate, Option<ClosedWindow>)> {
        match span {
            Span::Dates { first, count } => (0..count.max(1))
                .filter_map(|offset| first.checked_add_days(Days::new(offset)))
                .map(|d| (d, None))
                .collect(),
            Span::Times { start, end } if end <= start => {
                if self.options.timed_windows {
                    Vec::new()
                } else {
                    vec![(start.date(), None)]
                }
            }
            Span::Times { start, end } => {
                let last = if end.time() == NaiveTime::MIN { end.date().pred_opt() } else { Some(end.date()) };
                let last = last.unwrap_or(end.date());
                start
                    .date()
                    .iter_days()
                    .take_while(|date| *date <= last)
                    .filter_map(|date| {
                        if !self.options.timed_windows {
                            return Some((date, None));
                        }
                        let from = if date == start.date() { start.time() } else { NaiveTime::MIN };
                        let until = if date == end.date() { round_up_to_minute(end.time()) } else { NaiveTime::MIN };
                        let window = ClosedWindow::between(from, until)?;
                        Some((date, Some(window).filter(|w| !w.is_whole_day())))
                    })
                    .collect()
            }
        }
    }
}

/// An RDATE value: a date, a date-time, or a period (`start/end`, `start/duration`) that keeps
/// its own length; the others last as long as the first occurrence.
fn rdate(value: &str, anchor: Anchor, first: Occurrence) -> Option<Occurrence> {
    let Some((start, end)) = value.split_once('/') else {
        return Some(Occurrence { start: parse_moment(value, anchor)?, ..first });
    };
    let length = match end.trim().as_bytes().first() {
        Some(b'P' | b'p' | b'+' | b'-') => Length::Nominal(parse_duration(end).filter(|d| !d.negative)?),
        _ => Length::Until(parse_moment(end, anchor)?),
    };
    Some(Occurrence { start: parse_moment(start, anchor)?, length, source: first.source })
}

/// Whole days from a date to an exclusive end (an end with a time covers its own date too).
fn days_until(first: NaiveDate, end: Moment) -> u64 {
    let end = match end {
        Moment::Date(date) => date,
        Moment::Time(local, _) if local.time() == NaiveTime::MIN => local.date(),
        Moment::Time(local, _) => local.date().succ_opt().unwrap_or(local.date()),
    };
    u64::try_from((end - first).num_days()).unwrap_or(0)
}

fn ceil_days(seconds: i64) -> u64 {
    u64::try_from(seconds.max(0)).unwrap_or(0).div_ceil(86_400)
}

/// A window ends at the next whole minute: an event to 16:59:59 closes until 17:00, one to
/// 23:59:59 until the end of the day (midnight, read as 24:00).
fn round_up_to_minute(time: NaiveTime) -> NaiveTime {
    if time.second() == 0 && time.nanosecond() == 0 {
        return time;
    }
    let minute = time.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(time);
    minute.overflowing_add_signed(TimeDelta::minutes(1)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 12-29..01-03 closure repeated yearly, as read over 2026 and 2027.
    const NEW_YEAR_CLOSURE: [&str; 12] = [
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
        "2026-12-29",
        "2026-12-30",
        "2026-12-31",
        "2027-01-01",
        "2027-01-02",
        "2027-01-03",
        "2027-12-29",
        "2027-12-30",
        "2027-12-31",
    ];
    use chrono_tz::Tz;

    const GOOGLE_JA: &[u8] = include_bytes!("../../../events/holiday-fetcher/calendar-ja.ics");
    const OUTLOOK: &[u8] = include_bytes!("../../../events/holiday-fetcher/outlook-tzid.ics");
    const COMPANY: &[u8] = include_bytes!("../../../events/holiday-fetcher/company-rrule.ics");

    /// A public feed for a site in Tokyo, over the years the samples cover.
    fn options() -> ReadOptions {
        ReadOptions {
            time_zone: Tz::Asia__Tokyo,
            first_year: 2025,
            last_year: 2028,
            timed_windows: false,
            default_name: "休業日".into(),
            max_days: DEFAULT_MAX_DAYS,
        }
    }

    /// A company calendar: timed events close a window.
    fn windows() -> ReadOptions {
        ReadOptions { timed_windows: true, ..options() }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{events}END:VCALENDAR\r\n")
    }

    fn event(start: &str, end: Option<&str>, summary: &str, description: &str) -> String {
        let end = end.map(|e| format!("DTEND;VALUE=DATE:{e}\r\n")).unwrap_or_default();
        format!(
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{start}\r\n{end}SUMMARY:{summary}\r\nDESCRIPTION:{description}\r\nEND:VEVENT\r\n"
        )
    }

    /// A VEVENT of the given lines (one per line of `lines`, indentation ignored).
    fn vevent(lines: &str) -> String {
        let lines: String =
            lines.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| format!("{l}\r\n")).collect();
        format!("BEGIN:VEVENT\r\n{lines}END:VEVENT\r\n")
    }

    /// `date` for a whole day, `date HH:MM-HH:MM` for a window.
    fn show(days: &[CalendarDay]) -> Vec<String> {
        days.iter()
            .map(|d| match d.window {
                None => d.date.to_string(),
                Some(w) => format!("{} {w}", d.date),
            })
            .collect()
    }

    fn read(events: &str, options: &ReadOptions) -> Vec<String> {
        show(&days_of(calendar(events).as_bytes(), options).unwrap())
    }

    /// The days alone.
    fn days_of(body: &[u8], options: &ReadOptions) -> Result<Vec<CalendarDay>, CalendarError> {
        read_days(body, options).map(|read| read.days)
    }

    fn sorted(mut days: Vec<String>) -> Vec<String> {
        days.sort();
        days
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unfold_handles_crlf_lf_space_and_tab() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"SUMMARY:ab\r\n c\r\n", b"SUMMARY:abc\r\n"),
            (b"SUMMARY:ab\n\tc\n", b"SUMMARY:abc\n"),
            (b"A:1\r\nB:2\r\n", b"A:1\r\nB:2\r\n"),
            (b"A:1\r\n  two spaces", b"A:1 two spaces"),
        ];
        for (input, expected) in cases {
            assert_eq!(unfold(input), *expected, "input {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_fold_inside_a_multibyte_character_is_joined_before_decoding() {
        // 敬 is E6 95 AC; the fold splits it after its first byte.
        let mut raw = calendar("").into_bytes();
        let mut ev = b"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260921\r\nSUMMARY:\xE6\r\n \x95\xAC\xE8\x80\x81\xE3\x81\xAE\xE6\x97\xA5\r\nDESCRIPTION:\xE7\xA5\x9D\xE6\x97\xA5\r\nEND:VEVENT\r\n".to_vec();
        let at = raw.len() - "END:VCALENDAR\r\n".len();
        raw.splice(at..at, ev.drain(..));
        let days = days_of(&raw, &options()).unwrap();
        let expected =
            CalendarDay { date: date("2026-09-21"), name: "敬老の日".into(), observance: false, window: None };
        assert_eq!(days, vec![expected]);
    }

    #[test]
    fn lf_only_files_and_escaped_text_are_read() {
        let body =
            calendar(&event("20260101", Some("20260102"), "元日\\, New Year", "祝日\\n詳細")).replace("\r\n", "\n");
        let days = days_of(body.as_bytes(), &options()).unwrap();
        let expected =
            CalendarDay { date: date("2026-01-01"), name: "元日, New Year".into(), observance: false, window: None };
        assert_eq!(days, vec![expected]);
    }

    #[test]
    fn dtend_is_exclusive_and_multi_day_events_cover_each_day() {
        let cases = [
            (event("20260503", Some("20260506"), "連休", "祝日"), vec!["2026-05-03", "2026-05-04", "2026-05-05"]),
            (event("20260101", None, "元日", "祝日"), vec!["2026-01-01"]),
            (event("20260101", Some("20260101"), "zero length", "祝日"), vec!["2026-01-01"]),
            // an end before the start is read the other way round, as peers read it
            (
                event("20260105", Some("20260101"), "ends before it starts", "祝日"),
                vec!["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"],
            ),
        ];
        for (ev, expected) in cases {
            assert_eq!(read(&ev, &options()), expected);
        }
    }

    #[test]
    fn floating_times_keep_their_written_date_and_an_end_at_midnight_is_exclusive() {
        let ev = vevent("DTSTART:20261231T000000\nDTEND:20270102T000000\nSUMMARY:年末")
            + &vevent("DTSTART:20260505T090000Z\nDTEND:20260505T170000Z\nSUMMARY:こどもの日");
        // 09:00Z-17:00Z is 18:00 on the 5th to 02:00 on the 6th in Tokyo
        assert_eq!(read(&ev, &options()), ["2026-12-31", "2027-01-01", "2026-05-05", "2026-05-06"]);
    }

    #[test]
    fn start_forms_and_tzids_are_converted_into_the_site_zone() {
        let zones = "BEGIN:VTIMEZONE\r\nTZID:Tokyo Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n\
                     TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
                     BEGIN:VTIMEZONE\r\nTZID:(UTC+09:00) Osaka, Sapporo, Tokyo\r\nBEGIN:STANDARD\r\n\
                     DTSTART:16010101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
        let (tokyo, new_york) = (Tz::Asia__Tokyo, Tz::America__New_York);
        let cases = [
            (
                tokyo,
                "DTSTART;TZID=Asia/Tokyo:20261224T120000\nDTEND;TZID=Asia/Tokyo:20261224T130000",
                "2026-12-24 12:00-13:00",
            ),
            (tokyo, "DTSTART:20261224T030000Z\nDTEND:20261224T040000Z", "2026-12-24 12:00-13:00"),
            (tokyo, "DTSTART;VALUE=DATE:20261224", "2026-12-24"),
            (tokyo, "DTSTART:20261224T120000\nDTEND:20261224T130000", "2026-12-24 12:00-13:00"),
            // New Year's Eve 16:00 UTC is already New Year's Day in Tokyo
            (tokyo, "DTSTART:20261231T160000Z\nDTEND:20261231T170000Z", "2027-01-01 01:00-02:00"),
            (Tz::UTC, "DTSTART:20261231T160000Z\nDTEND:20261231T170000Z", "2026-12-31 16:00-17:00"),
            // dates and floating times are taken as written, wherever the site is
            (new_york, "DTSTART;VALUE=DATE:20261224", "2026-12-24"),
            (new_york, "DTSTART;TZID=Asia/Tokyo;VALUE=DATE:20261224", "2026-12-24"),
            (new_york, "DTSTART:20261224T120000\nDTEND:20261224T130000", "2026-12-24 12:00-13:00"),
            // Windows names, bare and quoted, as Outlook and Exchange write them
            (
                new_york,
                "DTSTART;TZID=Tokyo Standard Time:20261225T080000\nDTEND;TZID=Tokyo Standard Time:20261225T090000",
                "2026-12-24 18:00-19:00",
            ),
            (
                new_york,
                "DTSTART;TZID=\"Tokyo Standard Time\":20261225T080000\nDTEND;TZID=\"Tokyo Standard Time\":20261225T090000",
                "2026-12-24 18:00-19:00",
            ),
            // an Outlook display name, known by its VTIMEZONE's fixed offset
            (
                new_york,
                "DTSTART;TZID=\"(UTC+09:00) Osaka, Sapporo, Tokyo\":20261225T080000\nDURATION:PT1H",
                "2026-12-24 18:00-19:00",
            ),
            (tokyo, "DTSTART;TZID=Eastern Standard Time:20261224T200000\nDURATION:PT1H", "2026-12-25 10:00-11:00"),
            (tokyo, "DTSTART;TZID=W. Europe Standard Time:20260710T230000\nDURATION:PT1H", "2026-07-11 06:00-07:00"),
            (
                tokyo,
                "DTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20260710T230000\nDURATION:PT1H",
                "2026-07-11 06:00-07:00",
            ),
            // Exchange's all-day flag: midnight to midnight in New York is the written date in Tokyo
            (
                tokyo,
                "DTSTART;TZID=Eastern Standard Time:20261224T000000\nDTEND;TZID=Eastern Standard Time:20261225T000000\n\
                 X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
                "2026-12-24",
            ),
            // a UTC value wins over its TZID
            (tokyo, "DTSTART;TZID=America/New_York:20261224T030000Z\nDURATION:PT1H", "2026-12-24 12:00-13:00"),
            // an unknown TZID falls back to the site's zone
            (tokyo, "DTSTART;TZID=Nowhere Standard Time:20261224T230000\nDURATION:PT1H", "2026-12-24 23:00-24:00"),
            (new_york, "DTSTART;TZID=Customized Time Zone:20261224T100000\nDURATION:PT1H", "2026-12-24 10:00-11:00"),
        ];
        for (site, lines, expected) in cases {
            let options = ReadOptions { time_zone: site, ..windows() };
            let got = read(&format!("{zones}{}", vevent(&format!("{lines}\nSUMMARY:x"))), &options);
            assert_eq!(got, [expected], "{lines} at {site}");
        }
    }

    #[test]
    fn duration_stands_in_for_dtend() {
        let cases: &[(&str, &[&str])] = &[
            ("DTSTART;VALUE=DATE:20261224\nDURATION:P1D", &["2026-12-24"]),
            ("DTSTART;VALUE=DATE:20261224\nDURATION:P3D", &["2026-12-24", "2026-12-25", "2026-12-26"]),
            (
                "DTSTART;VALUE=DATE:20261224\nDURATION:P1W",
                &["2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27", "2026-12-28", "2026-12-29", "2026-12-30"],
            ),
            ("DTSTART;TZID=Asia/Tokyo:20261224T090000\nDURATION:PT8H", &["2026-12-24 09:00-17:00"]),
            // 20:00 plus 2 days 4 hours ends at midnight, which it does not touch
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T200000\nDURATION:P2DT4H",
                &["2026-12-24 20:00-24:00", "2026-12-25", "2026-12-26"],
            ),
            // a date-time with neither DTEND nor DURATION lasts no time (RFC 5545 3.6.1): a
            // point in time is not a closure (as a whole day, it keeps its date: see below)
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000", &[]),
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000\nDURATION:PT0S", &[]),
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000\nDTEND;TZID=Asia/Tokyo:20261224T120000", &[]),
            // a negative duration ends before the start: read the other way round
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000\nDURATION:-PT1H", &["2026-12-24 11:00-12:00"]),
            ("DTSTART;VALUE=DATE:20261224\nDURATION:-P2D", &["2026-12-22", "2026-12-23"]),
        ];
        for (lines, expected) in cases {
            assert_eq!(read(&vevent(lines), &windows()), strings(expected), "{lines}");
        }
    }

    #[test]
    fn a_negative_duration_too_long_for_the_calendar_is_left_out_without_a_panic() {
        let (days, skips) = read_with_skips(
            &calendar(&vevent("DTSTART;TZID=Asia/Tokyo:20261224T120000\nDURATION:-P99999999W\nSUMMARY:x")),
            &windows(),
        );
        assert!(days.is_empty(), "{days:?}");
        assert_eq!(skips.len(), 2, "{skips:?}");
    }

    #[test]
    fn timed_windows_cover_each_local_date_an_event_touches() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T090000\nDTEND;TZID=Asia/Tokyo:20261224T170000",
                &["2026-12-24 09:00-17:00"],
                &["2026-12-24"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T120000\nDTEND;TZID=Asia/Tokyo:20261226T100000",
                &["2026-12-24 12:00-24:00", "2026-12-25", "2026-12-26 00:00-10:00"],
                &["2026-12-24", "2026-12-25", "2026-12-26"],
            ),
            // the early close: until midnight, which is 24:00 of that day
            (
                "DTSTART;TZID=Asia/Tokyo:20261228T150000\nDTEND;TZID=Asia/Tokyo:20261229T000000",
                &["2026-12-28 15:00-24:00"],
                &["2026-12-28"],
            ),
            ("DTSTART:20261228T060000Z\nDTEND:20261228T150000Z", &["2026-12-28 15:00-24:00"], &["2026-12-28"]),
            // a whole day written with times is a whole day
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T000000\nDTEND;TZID=Asia/Tokyo:20261225T000000",
                &["2026-12-24"],
                &["2026-12-24"],
            ),
            // ends with seconds close until the next whole minute
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T000000\nDTEND;TZID=Asia/Tokyo:20261224T235959",
                &["2026-12-24"],
                &["2026-12-24"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T090030\nDTEND;TZID=Asia/Tokyo:20261224T165959",
                &["2026-12-24 09:00-17:00"],
                &["2026-12-24"],
            ),
            // across New York's spring change, converted to Tokyo
            (
                "DTSTART;TZID=America/New_York:20260307T220000\nDTEND;TZID=America/New_York:20260308T040000",
                &["2026-03-08 12:00-17:00"],
                &["2026-03-08"],
            ),
            ("DTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261225", &["2026-12-24"], &["2026-12-24"]),
            // a point in time closes no window; as a whole day it keeps its local date
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000", &[], &["2026-12-24"]),
            ("DTSTART:20261224T160000Z", &[], &["2026-12-25"]),
            // an end before the start is read the other way round, never as a whole day
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T170000\nDTEND;TZID=Asia/Tokyo:20261224T090000",
                &["2026-12-24 09:00-17:00"],
                &["2026-12-24"],
            ),
        ];
        for (lines, with_windows, without) in cases {
            assert_eq!(read(&vevent(lines), &windows()), strings(with_windows), "{lines}");
            assert_eq!(read(&vevent(lines), &options()), strings(without), "{lines}");
        }
    }

    #[test]
    fn recurrences_are_expanded_over_the_years_asked_for() {
        let years = ReadOptions { first_year: 2026, last_year: 2027, ..windows() };
        let cases: &[(&str, &[&str])] = &[
            ("DTSTART;VALUE=DATE:20261229\nRRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=29", &["2026-12-29", "2027-12-29"]),
            ("DTSTART;VALUE=DATE:20250101\nRRULE:FREQ=YEARLY;COUNT=3", &["2026-01-01", "2027-01-01"]),
            (
                "DTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;BYDAY=SA;UNTIL=20260117",
                &["2026-01-03", "2026-01-10", "2026-01-17"],
            ),
            (
                "DTSTART;VALUE=DATE:20260130\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
                &["2026-01-30", "2026-02-27", "2026-03-27"],
            ),
            // the new-year closure as one six-day event repeated yearly
            ("DTSTART;VALUE=DATE:20251229\nDTEND;VALUE=DATE:20260104\nRRULE:FREQ=YEARLY", &NEW_YEAR_CLOSURE),
            // an endless rule ends with the last year
            ("DTSTART;VALUE=DATE:20271230\nRRULE:FREQ=DAILY", &["2027-12-30", "2027-12-31"]),
            // DTSTART is the first occurrence even when the rule would not give it
            (
                "DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=WEEKLY;BYDAY=SA;COUNT=2",
                &["2026-01-01", "2026-01-03", "2026-01-10"],
            ),
            // timed: every occurrence keeps the first one's window
            (
                "DTSTART;TZID=Asia/Tokyo:20261204T150000\nDTEND;TZID=Asia/Tokyo:20261204T160000\nRRULE:FREQ=WEEKLY;COUNT=2",
                &["2026-12-04 15:00-16:00", "2026-12-11 15:00-16:00"],
            ),
            // RDATE: dates, date-times (with a Windows TZID) and periods with their own end
            (
                "DTSTART;VALUE=DATE:20260101\nRDATE;VALUE=DATE:20260505,20270505",
                &["2026-01-01", "2026-05-05", "2027-05-05"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T090000\nDTEND;TZID=Asia/Tokyo:20261224T100000\nRDATE;TZID=Tokyo Standard Time:20261225T090000",
                &["2026-12-24 09:00-10:00", "2026-12-25 09:00-10:00"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261224T090000\nDTEND;TZID=Asia/Tokyo:20261224T100000\nRDATE;VALUE=PERIOD:20261225T010000Z/PT2H,20261226T010000Z/20261226T013000Z",
                &["2026-12-24 09:00-10:00", "2026-12-25 10:00-12:00", "2026-12-26 10:00-10:30"],
            ),
            // EXDATE: as a date, as a date-time with TZID (IANA or Windows), in UTC
            (
                "DTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;COUNT=3\nEXDATE;VALUE=DATE:20260110",
                &["2026-01-03", "2026-01-17"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261204T150000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3\nEXDATE;TZID=Tokyo Standard Time:20261211T150000",
                &["2026-12-04 15:00-16:00", "2026-12-18 15:00-16:00"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261204T150000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3\nEXDATE:20261211T060000Z",
                &["2026-12-04 15:00-16:00", "2026-12-18 15:00-16:00"],
            ),
            (
                "DTSTART;TZID=Asia/Tokyo:20261204T150000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3\nEXDATE;VALUE=DATE:20261211",
                &["2026-12-04 15:00-16:00", "2026-12-18 15:00-16:00"],
            ),
            // several EXDATE lines and values; one may remove DTSTART itself
            (
                "DTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;VALUE=DATE:20260103,20260110\nEXDATE;VALUE=DATE:20260124",
                &["2026-01-17"],
            ),
            // single events outside the years are dropped too
            ("DTSTART;VALUE=DATE:20251231\nDTEND;VALUE=DATE:20260102", &["2026-01-01"]),
            ("DTSTART;VALUE=DATE:20280101", &[]),
        ];
        for (lines, expected) in cases {
            assert_eq!(read(&vevent(lines), &years), strings(expected), "{lines}");
        }
    }

    #[test]
    fn recurrence_id_events_replace_or_remove_one_occurrence() {
        let series = vevent("UID:s\nDTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:土曜");
        let timed = vevent(
            "UID:t\nDTSTART;TZID=Tokyo Standard Time:20261204T150000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:研修",
        );
        let moved = vevent("UID:s\nRECURRENCE-ID;VALUE=DATE:20260110\nDTSTART;VALUE=DATE:20260111\nSUMMARY:日曜に");
        let cancelled =
            vevent("UID:s\nRECURRENCE-ID;VALUE=DATE:20260110\nDTSTART;VALUE=DATE:20260110\nSTATUS:CANCELLED");
        let cancelled_without_start = vevent("UID:s\nRECURRENCE-ID;VALUE=DATE:20260117\nSTATUS:CANCELLED");
        let other_uid = vevent("UID:x\nRECURRENCE-ID;VALUE=DATE:20260110\nDTSTART;VALUE=DATE:20260112");
        let this_and_future =
            vevent("UID:s\nRECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20260110\nDTSTART;VALUE=DATE:20260111");
        // the override names its occurrence in UTC; the series is in Tokyo
        let timed_moved = vevent(
            "UID:t\nRECURRENCE-ID:20261211T060000Z\nDTSTART;TZID=Asia/Tokyo:20261211T170000\nDTEND;TZID=Asia/Tokyo:20261211T180000",
        );
        let cases: Vec<(String, Vec<&str>)> = vec![
            (format!("{series}{moved}"), vec!["2026-01-03", "2026-01-11", "2026-01-17"]),
            (format!("{moved}{series}"), vec!["2026-01-03", "2026-01-11", "2026-01-17"]),
            (format!("{series}{cancelled}"), vec!["2026-01-03", "2026-01-17"]),
            (format!("{series}{cancelled_without_start}"), vec!["2026-01-03", "2026-01-10"]),
            (format!("{series}{other_uid}"), vec!["2026-01-03", "2026-01-10", "2026-01-12", "2026-01-17"]),
            // RANGE=THISANDFUTURE moves every later occurrence by as much
            (format!("{series}{this_and_future}"), vec!["2026-01-03", "2026-01-11", "2026-01-18"]),
            // an override whose series is not in the body is an event of its own
            (moved.clone(), vec!["2026-01-11"]),
            (cancelled.clone(), vec![]),
            (
                format!("{timed}{timed_moved}"),
                vec!["2026-12-04 15:00-16:00", "2026-12-11 17:00-18:00", "2026-12-18 15:00-16:00"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(sorted(read(&body, &windows())), expected, "{body}");
        }
    }

    #[test]
    fn overrides_of_an_older_sequence_go_with_the_occurrences_a_newer_series_deletes() {
        // weekly on Saturdays from 2026-01-03; an override (SEQUENCE 1) moved the 17th
        let series = |sequence: u8, extra: &str| {
            vevent(&format!(
                "UID:s\nSEQUENCE:{sequence}\nDTSTART;VALUE=DATE:20260103\nRRULE:FREQ=WEEKLY;COUNT=4\n{extra}SUMMARY:土曜"
            ))
        };
        let moved =
            vevent("UID:s\nSEQUENCE:1\nRECURRENCE-ID;VALUE=DATE:20260117\nDTSTART;VALUE=DATE:20260118\nSUMMARY:日曜に");
        let cases: Vec<(String, Vec<&str>)> = vec![
            (format!("{}{moved}", series(1, "")), vec!["2026-01-03", "2026-01-10", "2026-01-18", "2026-01-24"]),
            // SEQUENCE 2 deletes the 17th: the move goes with it
            (
                format!("{}{moved}", series(2, "EXDATE;VALUE=DATE:20260117\n")),
                vec!["2026-01-03", "2026-01-10", "2026-01-24"],
            ),
            // ... whatever the order of the events
            (
                format!("{moved}{}", series(2, "EXDATE;VALUE=DATE:20260117\n")),
                vec!["2026-01-03", "2026-01-10", "2026-01-24"],
            ),
            // SEQUENCE 2 ends before the 17th
            (
                format!("{}{moved}", series(2, "").replace("COUNT=4", "UNTIL=20260110")),
                vec!["2026-01-03", "2026-01-10"],
            ),
            // an override as new as the series stands, even where the series has no occurrence
            (
                format!(
                    "{}{}",
                    series(2, "").replace("COUNT=4", "UNTIL=20260110"),
                    moved.replace("SEQUENCE:1", "SEQUENCE:2")
                ),
                vec!["2026-01-03", "2026-01-10", "2026-01-18"],
            ),
            // both the old and the new series in one feed: the newest counts
            (
                format!("{}{}{moved}", series(1, ""), series(2, "EXDATE;VALUE=DATE:20260117\n")),
                vec!["2026-01-03", "2026-01-10", "2026-01-24"],
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(sorted(read(&body, &options())), expected, "{body}");
        }
    }

    #[test]
    fn this_and_future_moves_every_later_occurrence_and_names_it() {
        // daily 10:00-11:00 in Tokyo, five times from 2026-03-02
        let series = vevent(
            "UID:d\nDTSTART;TZID=Asia/Tokyo:20260302T100000\nDTEND;TZID=Asia/Tokyo:20260302T110000\nRRULE:FREQ=DAILY;COUNT=5\nSUMMARY:朝会",
        );
        // from the 4th on: 14:00 for two hours, renamed
        let later = vevent(
            "UID:d\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Asia/Tokyo:20260304T100000\n\
             DTSTART;TZID=Asia/Tokyo:20260304T140000\nDTEND;TZID=Asia/Tokyo:20260304T160000\nSUMMARY:午後の会",
        );
        let expected = [
            "2026-03-02 10:00-11:00 朝会",
            "2026-03-03 10:00-11:00 朝会",
            "2026-03-04 14:00-16:00 午後の会",
            "2026-03-05 14:00-16:00 午後の会",
            "2026-03-06 14:00-16:00 午後の会",
        ];
        let named = |body: &str| -> Vec<String> {
            let days = days_of(calendar(body).as_bytes(), &windows()).unwrap();
            let mut shown: Vec<String> =
                show(&days).iter().zip(&days).map(|(s, d)| format!("{s} {}", d.name)).collect();
            shown.sort();
            shown
        };
        assert_eq!(named(&format!("{series}{later}")), expected);
        // a later plain override still replaces its own occurrence
        let fifth = vevent(
            "UID:d\nRECURRENCE-ID;TZID=Asia/Tokyo:20260306T100000\nDTSTART;TZID=Asia/Tokyo:20260306T090000\nDURATION:PT30M\nSUMMARY:早朝",
        );
        let mut with_fifth = expected[..4].to_vec();
        with_fifth.push("2026-03-06 09:00-09:30 早朝");
        assert_eq!(named(&format!("{series}{later}{fifth}")), with_fifth);
        // cancelled from the 4th on: the series ends there
        let cancelled = later.replace("SUMMARY:午後の会", "STATUS:CANCELLED");
        assert_eq!(named(&format!("{series}{cancelled}")), expected[..2]);
    }

    #[test]
    fn repeated_uids_are_counted_once() {
        let a = vevent("UID:a\nDTSTART;VALUE=DATE:20260101\nSUMMARY:元日");
        let a_next_year = vevent("UID:a\nDTSTART;VALUE=DATE:20270101\nSUMMARY:元日");
        let a_renamed = vevent("UID:a\nDTSTART;VALUE=DATE:20260101\nSEQUENCE:2\nSUMMARY:元旦");
        let a_older = vevent("UID:a\nDTSTART;VALUE=DATE:20260101\nSEQUENCE:-1\nSUMMARY:古い");
        let no_uid = vevent("DTSTART;VALUE=DATE:20260101\nSUMMARY:元日");
        let a_in_utc = vevent("UID:a\nDTSTART:20260101T000000Z\nSUMMARY:同じ");
        let a_in_tokyo = vevent("UID:a\nDTSTART;TZID=Asia/Tokyo:20260101T090000\nSUMMARY:同じ");
        let a_cancelled_later = vevent("UID:a\nDTSTART;VALUE=DATE:20260101\nSEQUENCE:1\nSTATUS:CANCELLED");
        let override_twice =
            vevent("UID:a\nRECURRENCE-ID;VALUE=DATE:20270101\nDTSTART;VALUE=DATE:20270102\nSUMMARY:移動");
        let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
            (format!("{a}{a}"), vec![("2026-01-01", "元日")]),
            (format!("{a}{a_next_year}"), vec![("2026-01-01", "元日"), ("2027-01-01", "元日")]),
            (format!("{a}{a_renamed}"), vec![("2026-01-01", "元旦")]),
            (format!("{a}{a_older}"), vec![("2026-01-01", "元日")]),
            (format!("{a}{a_cancelled_later}"), vec![]),
            (format!("{no_uid}{no_uid}"), vec![("2026-01-01", "元日"), ("2026-01-01", "元日")]),
            // the same instant written in two zones is the same start
            (format!("{a_in_utc}{a_in_tokyo}"), vec![("2026-01-01", "同じ")]),
            (format!("{override_twice}{override_twice}"), vec![("2027-01-02", "移動")]),
        ];
        for (body, expected) in cases {
            let days = days_of(calendar(&body).as_bytes(), &options()).unwrap();
            let got: Vec<(String, &str)> = days.iter().map(|d| (d.date.to_string(), d.name.as_str())).collect();
            let expected: Vec<(String, &str)> = expected.into_iter().map(|(d, n)| (d.to_string(), n)).collect();
            assert_eq!(got, expected, "{body}");
        }
    }

    #[test]
    fn concatenated_calendars_are_all_read() {
        let first = calendar(&event("20260101", None, "元日", "祝日"));
        let second = calendar(&event("20260505", None, "こどもの日", "祝日"));
        let cases = [
            (format!("{first}{second}"), Ok(vec!["2026-01-01", "2026-05-05"])),
            (format!("{first}\r\n\r\n{second}"), Ok(vec!["2026-01-01", "2026-05-05"])),
            (format!("{first}{second}").replace("\r\n", "\n"), Ok(vec!["2026-01-01", "2026-05-05"])),
            // a line between them is left out (and named)
            (format!("{first}X-JUNK:between\r\n{second}"), Ok(vec!["2026-01-01", "2026-05-05"])),
            (format!("{first}{}", second.replace("END:VCALENDAR\r\n", "")), Err(())),
        ];
        for (body, expected) in cases {
            let got = days_of(body.as_bytes(), &options()).map(|days| show(&days)).map_err(|_| ());
            assert_eq!(got, expected.map(|e| strings(&e)), "{body}");
        }
    }

    #[test]
    fn an_event_without_summary_takes_the_default_name() {
        let cases =
            [("", "休業日"), ("SUMMARY:\n", "休業日"), ("SUMMARY:   \n", "休業日"), ("SUMMARY: 元日 \n", "元日")];
        for (summary, expected) in cases {
            let days =
                days_of(calendar(&vevent(&format!("DTSTART;VALUE=DATE:20260101\n{summary}"))).as_bytes(), &options())
                    .unwrap();
            assert_eq!(days[0].name, expected, "{summary:?}");
        }
    }

    #[test]
    fn observances_are_told_apart_by_the_first_description_line() {
        let cases = [
            ("祝日", false),
            ("祭日\\n休日ではありません", true),
            ("Observance\\nTo hide observances, go to Google Calendar Settings", true),
            ("Public holiday", false),
            ("", false),
        ];
        for (description, expected) in cases {
            let days = days_of(calendar(&event("20260203", None, "節分", description)).as_bytes(), &options()).unwrap();
            assert_eq!(days[0].observance, expected, "description {description:?}");
        }
    }

    #[test]
    fn cancelled_events_are_skipped_and_transparent_ones_kept() {
        let cases = [
            ("STATUS:CANCELLED", 0),
            ("STATUS:cancelled", 0),
            ("STATUS:CONFIRMED", 1),
            ("STATUS:TENTATIVE", 1),
            // Google marks its holidays transparent (they do not block time); they are holidays still
            ("TRANSP:TRANSPARENT", 1),
            ("TRANSP:OPAQUE", 1),
            // a cancelled event's unreadable start does not matter
            ("STATUS:CANCELLED\nDTSTART:soon", 0),
        ];
        for (extra, expected) in cases {
            let ev = vevent(&format!("DTSTART;VALUE=DATE:20260101\nSUMMARY:元日\n{extra}"));
            assert_eq!(read(&ev, &options()).len(), expected, "{extra}");
        }
    }

    #[test]
    fn non_calendars_and_truncated_calendars_are_refused() {
        let truncated = calendar(&event("20260101", None, "元日", "祝日")).replace("END:VCALENDAR\r\n", "");
        let cases: Vec<(Vec<u8>, CalendarError)> = vec![
            (b"<!DOCTYPE html><html><body>Error 404</body></html>".to_vec(), CalendarError::NotACalendar),
            (Vec::new(), CalendarError::NotACalendar),
            (b"\r\n\r\n".to_vec(), CalendarError::NotACalendar),
            (b"{\"error\": \"rate limited\"}".to_vec(), CalendarError::NotACalendar),
            (truncated.into_bytes(), CalendarError::Truncated),
            (
                b"BEGIN:VCALENDAR\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec(),
                CalendarError::Syntax("line 1: BEGIN:VCALENDAR is never closed".into()),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(days_of(&body, &options()), Err(expected));
        }
    }

    /// The days and the skips of one body.
    fn read_with_skips(body: &str, options: &ReadOptions) -> (Vec<String>, Vec<String>) {
        let read = read_days(body.as_bytes(), options).unwrap();
        (show(&read.days), read.skipped.iter().map(Skip::to_string).collect())
    }

    #[test]
    fn what_cannot_be_read_is_left_out_and_named_with_its_line() {
        // the event's lines start at line 6 (the calendar's three, BEGIN:VEVENT, SUMMARY)
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "DTSTART;VALUE=DATE:2026-01-01",
                &[],
                "line 6: unreadable DTSTART \"2026-01-01\": event \"元日\" left out",
            ),
            ("", &[], "line 4: no DTSTART: event \"元日\" left out"),
            (
                "DTSTART;VALUE=DATE:20260101\nDTEND:tomorrow",
                &["2026-01-01"],
                "line 7: unreadable DTEND \"tomorrow\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nDURATION:one day",
                &["2026-01-01"],
                "line 7: unreadable DURATION \"one day\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRRULE:",
                &["2026-01-01"],
                "line 7: unreadable RRULE \"\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=FORTNIGHTLY",
                &["2026-01-01"],
                "line 7: unreadable RRULE \"FREQ=FORTNIGHTLY\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=MONTHLY;BYMONTHDAY=32",
                &["2026-01-01"],
                "line 7: unreadable RRULE \"FREQ=MONTHLY;BYMONTHDAY=32\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRDATE;VALUE=DATE:20260230,20260105",
                &["2026-01-01", "2026-01-05"],
                "line 7: unreadable RDATE \"20260230\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:2026,20260102",
                &["2026-01-01", "2026-01-03"],
                "line 8: unreadable EXDATE \"2026\" of \"元日\" left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRECURRENCE-ID:x",
                &[],
                "line 7: unreadable RECURRENCE-ID \"x\": event \"元日\" left out",
            ),
            (
                "DTSTART;TZID=Nowhere/Zone:20260101T100000\nDURATION:PT1H",
                &["2026-01-01"],
                "line 6: TZID \"Nowhere/Zone\" is neither an IANA nor a Windows name, and no VTIMEZONE defines it: read on \
                 the site's clock",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20280101",
                &[],
                "line 4: \"元日\" lasts more than 366 days: those occurrences are left out",
            ),
            (
                "DTSTART;VALUE=DATE:20260101\nRDATE;VALUE=PERIOD:20260201T000000Z/P500D",
                &["2026-01-01"],
                "line 4: \"元日\" lasts more than 366 days: those occurrences are left out",
            ),
        ];
        for (lines, days, skip) in cases {
            let body = calendar(&vevent(&format!("SUMMARY:元日\n{lines}")));
            let (got, skips) = read_with_skips(&body, &options());
            assert_eq!((got, skips), (strings(days), vec![skip.to_string()]), "{lines}");
        }
        // a leap year's worth of days is still one event
        let year = read(&vevent("DTSTART;VALUE=DATE:20280101\nDTEND;VALUE=DATE:20290101"), &options());
        assert_eq!(year.len(), 366);
    }

    #[test]
    fn one_unreadable_line_no_longer_refuses_the_feed() {
        let body = calendar(
            &[
                vevent("DTSTART;VALUE=DATE:20260101\nRRULE:\nSUMMARY:元日"),
                vevent("DTSTART;VALUE=DATE:20260105\nRRULE:FREQ=WEEKLY;COUNT=-1;UNTIL=20260119\nSUMMARY:週"),
                "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260201\r\nSUMMARY:綴り\r\nEND:VEVNT\r\n".to_owned(),
                vevent("DTSTART;VALUE=DATE:20260301\nthis is not a property\nSUMMARY:行"),
                vevent("DTSTART;VALUE=DATE:20260401\nSUM MARY:空白"),
            ]
            .concat(),
        );
        let (days, skips) = read_with_skips(&body, &options());
        let expected =
            ["2026-01-01", "2026-01-05", "2026-01-12", "2026-01-19", "2026-02-01", "2026-03-01", "2026-04-01"];
        assert_eq!(days, expected);
        assert_eq!(
            skips,
            [
                "line 17: END:VEVNT read as END:VEVENT, the component it closes",
                "line 20: not a content line (NAME:VALUE), left out",
                "line 25: not a content line (NAME:VALUE), left out",
                "line 6: unreadable RRULE \"\" of \"元日\" left out",
            ]
        );
        // lines are counted in the body as received: a folded line counts as two
        let folded = calendar(
            "BEGIN:VEVENT\r\nSUMMARY:元\r\n 日\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=NEVER\r\nEND:VEVENT\r\n",
        );
        let (_, skips) = read_with_skips(&folded, &options());
        assert_eq!(skips, ["line 8: unreadable RRULE \"FREQ=NEVER\" of \"元日\" left out"]);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_read_with_replacement_characters() {
        let body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\nSUMMARY:caf\xe9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let read = read_days(body, &options()).unwrap();
        assert_eq!(read.days[0].name, "caf\u{fffd}");
        assert_eq!(
            read.skipped.iter().map(Skip::to_string).collect::<Vec<_>>(),
            ["line 4: not valid UTF-8 (first here): read with U+FFFD for what is not"]
        );
    }

    #[test]
    fn the_days_of_one_body_are_capped() {
        let daily = vevent("DTSTART;VALUE=DATE:20000101\nRRULE:FREQ=DAILY\nSUMMARY:毎日");
        let century = ReadOptions { first_year: 2026, last_year: 2125, ..options() };
        let two_years = ReadOptions { first_year: 2026, last_year: 2027, ..options() };
        let small = ReadOptions { max_days: 10, ..two_years.clone() };
        assert_eq!(days_of(calendar(&daily).as_bytes(), &century), Err(CalendarError::TooManyDays));
        assert_eq!(days_of(calendar(&daily).as_bytes(), &two_years).map(|d| d.len()), Ok(730));
        assert_eq!(days_of(calendar(&daily).as_bytes(), &small), Err(CalendarError::TooManyDays));
        let ten =
            days_of(calendar(&vevent("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=DAILY;COUNT=10")).as_bytes(), &small);
        assert_eq!(ten.map(|d| d.len()), Ok(10), "exactly max_days is allowed");

        // a rule walked from long before the years asked for runs out of occurrences
        let ancient = vevent("DTSTART;VALUE=DATE:10000101\nRRULE:FREQ=DAILY\nSUMMARY:古代");
        assert_eq!(
            days_of(calendar(&ancient).as_bytes(), &two_years),
            Err(CalendarError::TooManyRecurrences { summary: "古代".into() })
        );
        // so does a body of more rules than any closure calendar has
        let rules: String = (0..=MAX_RULES)
            .map(|i| vevent(&format!("UID:{i}\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;COUNT=1\nSUMMARY:r{i}")))
            .collect();
        assert_eq!(
            days_of(calendar(&rules).as_bytes(), &two_years),
            Err(CalendarError::TooManyRecurrences { summary: format!("r{MAX_RULES}") })
        );
        // a rule that never matches ends (the crate gives up its search) with DTSTART alone
        let never = vevent("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30");
        assert_eq!(read(&never, &two_years), ["2026-01-01"]);
    }

    #[test]
    fn a_5_mb_body_fails_fast_instead_of_growing_without_bound() {
        let started = std::time::Instant::now();
        // 40,000 distinct all-day events over two years: more days than the cap
        let mut events = String::new();
        for i in 0..40_000u32 {
            let day = date("2026-01-01") + Days::new(u64::from(i % 730));
            events.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:{i}@bulk.test\r\nDTSTART;VALUE=DATE:{}\r\nSUMMARY:bulk closure number {i}\r\n\
                 DESCRIPTION:{}\r\nEND:VEVENT\r\n",
                day.format("%Y%m%d"),
                "x".repeat(60)
            ));
        }
        let body = calendar(&events);
        assert!(body.len() > 5_000_000, "{} bytes", body.len());
        assert_eq!(days_of(body.as_bytes(), &options()), Err(CalendarError::TooManyDays));
        // the same body with endless daily rules: the cap, not the years, stops it
        let rules = body.replace("SUMMARY:", "RRULE:FREQ=DAILY\r\nSUMMARY:");
        let capped = days_of(rules.as_bytes(), &options());
        assert!(
            matches!(capped, Err(CalendarError::TooManyDays | CalendarError::TooManyRecurrences { .. })),
            "{capped:?}"
        );
        // and all in the past: nothing kept, nothing refused
        let past = ReadOptions { first_year: 2030, last_year: 2030, ..options() };
        assert_eq!(days_of(body.as_bytes(), &past), Ok(Vec::new()));
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    }

    #[test]
    fn the_google_sample_is_read_whole() {
        let days = days_of(GOOGLE_JA, &options()).unwrap();
        assert_eq!(days.len(), 62);
        let first = CalendarDay { date: date("2025-01-01"), name: "元日".into(), observance: false, window: None };
        assert_eq!(days[0], first);
        let observances: Vec<&str> = days.iter().filter(|d| d.observance).map(|d| d.name.as_str()).collect();
        assert!(observances.contains(&"節分") && observances.contains(&"クリスマス") && !observances.contains(&"元日"));
        // Google's holidays are TRANSP:TRANSPARENT all-day events: no windows even when asked for
        assert_eq!(days_of(GOOGLE_JA, &windows()), Ok(days));
    }

    #[test]
    fn the_outlook_sample_is_read_in_the_site_zone() {
        let options = ReadOptions { first_year: 2026, last_year: 2027, ..windows() };
        let days = days_of(OUTLOOK, &options).unwrap();
        let got: Vec<(String, &str)> = show(&days).into_iter().zip(days.iter().map(|d| d.name.as_str())).collect();
        let expected = [
            ("2026-12-29", "年末年始休業"),
            ("2026-12-30", "年末年始休業"),
            ("2026-12-31", "年末年始休業"),
            ("2027-01-01", "年末年始休業"),
            ("2027-01-02", "年末年始休業"),
            ("2027-01-03", "年末年始休業"),
            ("2026-12-24 12:00-17:00", "納会（午後休業）"),
            // 20:00-23:00 in New York (EST, after the change of 2026-11-01)
            ("2026-11-07 10:00-13:00", "US system maintenance"),
            // 09:00-10:00 in Berlin (CEST)
            ("2026-07-10 16:00-17:00", "Betriebsversammlung"),
            // weekly until 2026-12-31 06:00 UTC, without the EXDATE of the 25th
            ("2026-12-04 15:00-16:00", "週次研修（窓口停止）"),
            ("2026-12-11 15:00-16:00", "週次研修（窓口停止）"),
            ("2026-12-18 15:00-16:00", "週次研修（窓口停止）"),
            // "Customized Time Zone" is read from its VTIMEZONE: Sydney's rules, summer time (+11)
            ("2026-10-15 08:00-10:00", "シドニー拠点との合同訓練"),
        ];
        let expected: Vec<(String, &str)> = expected.iter().map(|(d, n)| (d.to_string(), *n)).collect();
        assert_eq!(got, expected);
        // as a public feed: whole days
        let whole = days_of(OUTLOOK, &ReadOptions { timed_windows: false, ..options }).unwrap();
        assert!(whole.iter().all(|d| d.window.is_none()) && whole.len() == 13);
    }

    #[test]
    fn the_company_sample_gives_closures_and_windows() {
        let options = ReadOptions { first_year: 2026, last_year: 2027, ..windows() };
        let days = days_of(COMPANY, &options).unwrap();
        let shown = show(&days);
        let named = |name: &str| -> Vec<String> {
            shown.iter().zip(&days).filter(|(_, d)| d.name == name).map(|(s, _)| s.clone()).collect()
        };
        assert_eq!(named("年末年始休業"), strings(&NEW_YEAR_CLOSURE));
        let saturdays = [
            "2026-01-03",
            "2026-01-10",
            "2026-01-17",
            "2026-01-24",
            "2026-01-31",
            "2026-02-07",
            "2026-02-14",
            "2026-02-21",
            "2026-02-28",
            "2026-03-07",
            "2026-03-21",
            "2026-03-28",
        ];
        assert_eq!(named("土曜休業"), strings(&saturdays), "without the EXDATE of 2026-03-14");
        let meetings = [
            "2026-01-14 15:00-17:00",
            "2026-02-11 15:00-17:00",
            "2026-03-11 15:00-17:00",
            "2026-05-13 15:00-17:00",
            "2026-06-10 15:00-17:00",
            "2026-07-08 15:00-17:00",
            "2026-09-09 15:00-17:00",
            "2026-10-14 15:00-17:00",
            "2026-11-11 15:00-17:00",
            "2026-12-09 15:00-17:00",
        ];
        assert_eq!(named("月例全体会議"), strings(&meetings), "April moved, August cancelled");
        assert_eq!(named("月例全体会議（4月は木曜）"), ["2026-04-09 13:00-15:00"]);
        assert_eq!(named("休業日"), ["2026-05-01"], "no SUMMARY");
        assert_eq!(named("仕事納め（15時まで）"), ["2026-12-28 15:00-24:00"]);
        assert_eq!(named("夏季休業"), ["2026-08-13", "2026-08-14", "2026-08-15", "2026-08-16"], "the same UID twice");
        assert_eq!(days.len(), 41);
    }
}

#[cfg(test)]
mod properties {
    //! Whatever the body, the reader answers (Ok or a CalendarError) without panicking, and
    //! what it answers stays within the years and the cap.

    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    const SAMPLES: [&[u8]; 3] = [
        include_bytes!("../../../events/holiday-fetcher/calendar-ja.ics"),
        include_bytes!("../../../events/holiday-fetcher/outlook-tzid.ics"),
        include_bytes!("../../../events/holiday-fetcher/company-rrule.ics"),
    ];

    fn config() -> ProptestConfig {
        // 256 cases keep the debug suite fast; PROPTEST_CASES=... asks for a longer search.
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256);
        // No regression files: a failure is printed with its input, to be made a unit test.
        ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
    }

    fn options(timed_windows: bool) -> ReadOptions {
        ReadOptions {
            time_zone: chrono_tz::Tz::Asia__Tokyo,
            first_year: 2025,
            last_year: 2028,
            timed_windows,
            default_name: "休業日".into(),
            max_days: 5_000,
        }
    }

    /// Reads, and checks what came back.
    fn check(body: &[u8], timed_windows: bool) -> Result<(), TestCaseError> {
        let options = options(timed_windows);
        if let Ok(CalendarRead { days, .. }) = read_days(body, &options) {
            prop_assert!(days.len() <= options.max_days);
            for day in &days {
                prop_assert!((2025..=2028).contains(&chrono::Datelike::year(&day.date)), "{day:?}");
                prop_assert!(timed_windows || day.window.is_none());
                prop_assert!(day.window.is_none_or(|w| !w.is_whole_day()));
            }
        }
        Ok(())
    }

    fn date() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "202[4-9](0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])",
            4 => "202[4-9](0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z?",
            1 => "[0-9]{8}(T[0-9]{4,6}Z?)?",
            1 => "[ -~]{0,16}",
        ]
    }

    fn duration() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "P([0-9]{1,2}[WD])?T[0-9]{1,2}[HMS]",
            4 => "P[0-9]{1,3}D",
            1 => "[-+]?P([0-9]{1,12}[WD])?(T([0-9]{1,12}[HMS]){0,3})?",
            1 => "[ -~]{0,16}",
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            "(COUNT|INTERVAL)=[0-9]{1,3}",
            "BYMONTH=(1[0-2]|[1-9])(,[1-9])?",
            "BYMONTHDAY=-?([1-2][0-9]|[1-9])",
            "BYDAY=(-?[1-5])?(MO|TU|WE|TH|FR|SA|SU)(,(MO|SA|SU))?",
            "UNTIL=202[5-9]1231(T235959Z?)?",
            "(BYSETPOS|BYYEARDAY|BYWEEKNO|BYHOUR|BYMINUTE|BYSECOND)=-?[0-9]{1,3}",
            "(WKST=SU|X-PART=1|COUNT=4294967295|INTERVAL=65535)",
        ];
        prop_oneof![
            // sub-daily rules mostly run into the occurrence budget, which is slow in debug builds
            8 => (prop_oneof![8 => "(DAILY|WEEKLY|MONTHLY|YEARLY)", 1 => "(SECONDLY|MINUTELY|HOURLY)"], proptest::collection::vec(part, 0..4))
                .prop_map(|(freq, parts)| format!("FREQ={freq};{}", parts.join(";"))),
            1 => "[ -~]{0,24}",
        ]
    }

    fn tzid() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just(";TZID=Asia/Tokyo".to_owned()),
            Just(";TZID=Tokyo Standard Time".to_owned()),
            Just(";TZID=\"W. Europe Standard Time\"".to_owned()),
            Just(";TZID=America/New_York".to_owned()),
            Just(";TZID=Z".to_owned()),
            Just(";TZID=Custom".to_owned()),
            Just(";VALUE=DATE".to_owned()),
            ";TZID=[A-Za-z/_ +-]{0,24}",
        ]
    }

    /// Mostly lines the reader interprets, sometimes a stray structure line or plain junk.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            16 => (prop_oneof![Just("DTSTART"), Just("DTEND"), Just("RDATE"), Just("EXDATE"), Just("RECURRENCE-ID")], tzid(), date())
                .prop_map(|(name, zone, value)| format!("{name}{zone}:{value}")),
            8 => rule().prop_map(|r| format!("RRULE:{r}")),
            4 => duration().prop_map(|d| format!("DURATION:{d}")),
            8 => "(SUMMARY|UID|STATUS|SEQUENCE|TRANSP):(CANCELLED|[ -~]{0,12})",
            4 => "X-[A-Z-]{1,12}(;[A-Z]{1,6}=(\"[^\"\r\n]{0,8}\"|[^\":;\r\n]{0,8}))*:[^\r\n]{0,30}",
            1 => prop_oneof![Just("BEGIN:VALARM"), Just("END:VALARM"), Just("END:VEVENT"), Just("BEGIN:VEVENT")].prop_map(str::to_owned),
            1 => "[^\r\n]{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048), timed in any::<bool>()) {
            check(&bytes, timed)?;
        }

        #[test]
        fn arbitrary_lines_inside_a_calendar(
            events in proptest::collection::vec(proptest::collection::vec(line(), 0..10), 0..6),
            timed in any::<bool>(),
        ) {
            let events: String = events
                .iter()
                .map(|lines| format!("BEGIN:VEVENT\r\nDTSTART:20260101T090000Z\r\n{}\r\nEND:VEVENT\r\n", lines.join("\r\n")))
                .collect();
            let body = format!("BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n");
            check(body.as_bytes(), timed)?;
        }

        #[test]
        fn mutated_samples(
            sample in 0..SAMPLES.len(),
            flips in proptest::collection::vec((any::<Index>(), prop_oneof![4 => 0x20u8..0x7f, 1 => any::<u8>()]), 0..4),
            cut in proptest::option::weighted(0.2, any::<Index>()),
            duplicate in proptest::option::of((any::<Index>(), 1..4usize)),
            timed in any::<bool>(),
        ) {
            let mut body = SAMPLES[sample].to_vec();
            for (at, byte) in flips {
                let at = at.index(body.len());
                body[at] = byte;
            }
            if let Some((at, times)) = duplicate {
                // repeat one line (merged feeds, broken exports)
                let lines: Vec<&[u8]> = body.split_inclusive(|b| *b == b'\n').collect();
                let at = at.index(lines.len());
                let mut repeated = Vec::new();
                for (i, line) in lines.iter().enumerate() {
                    repeated.extend_from_slice(line);
                    if i == at {
                        (0..times).for_each(|_| repeated.extend_from_slice(line));
                    }
                }
                body = repeated;
            }
            if let Some(at) = cut {
                body.truncate(at.index(body.len()));
            }
            check(&body, timed)?;
        }

        #[test]
        fn random_values_of_the_properties_read(
            start in date(),
            start_zone in tzid(),
            end in proptest::option::of(prop_oneof![
                (tzid(), date()).prop_map(|(zone, value)| format!("DTEND{zone}:{value}")),
                duration().prop_map(|value| format!("DURATION:{value}")),
            ]),
            rule in proptest::option::of(rule()),
            extra in proptest::option::of((prop_oneof![Just("RDATE"), Just("EXDATE"), Just("RECURRENCE-ID")], tzid(), date())),
            zone_block in proptest::option::of((
                prop_oneof![Just("Custom".to_owned()), "[A-Za-z ()+:0-9]{0,24}"],
                "[-+](0[0-9]|1[0-4])(00|30)",
                "[-+](0[0-9]|1[0-4])(00|30)",
            )),
            timed in any::<bool>(),
        ) {
            let mut event = format!("BEGIN:VEVENT\r\nUID:p\r\nDTSTART{start_zone}:{start}\r\n");
            if let Some(end) = end {
                event.push_str(&format!("{end}\r\n"));
            }
            if let Some(rule) = rule {
                event.push_str(&format!("RRULE:{rule}\r\n"));
            }
            if let Some((name, zone, value)) = extra {
                event.push_str(&format!("{name}{zone}:{value}\r\n"));
            }
            event.push_str("END:VEVENT\r\n");
            let zone = zone_block
                .map(|(tzid, standard, daylight)| format!(
                    "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nTZOFFSETTO:{standard}\r\nEND:STANDARD\r\n\
                     BEGIN:DAYLIGHT\r\nTZOFFSETTO:{daylight}\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
                ))
                .unwrap_or_default();
            let body = format!("BEGIN:VCALENDAR\r\n{zone}{event}{}END:VCALENDAR\r\n", event.replace("UID:p", "UID:p\r\nRECURRENCE-ID:20260105"));
            check(body.as_bytes(), timed)?;
        }
    }
}
