//! Content lines (RFC 5545 3.1) and the component structure of an unfolded body.
//!
//! Written by hand rather than with a parser crate: a recursive parser overflows the stack on a
//! hostile body of nested `BEGIN:` lines (an abort, not an error), and a holiday feed needs only
//! the lines of its VEVENTs and VTIMEZONEs. Lines are kept as slices of the body, so a 5 MB
//! feed costs a few slices per line.

use super::CalendarError;

/// The VEVENT properties the reader uses; the others (X-MICROSOFT-*, ATTENDEE, ...) are not kept.
const EVENT_PROPERTIES: &[&str] = &[
    "UID",
    "SEQUENCE",
    "STATUS",
    "SUMMARY",
    "DESCRIPTION",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RRULE",
    "RDATE",
    "EXDATE",
    "RECURRENCE-ID",
    "X-MICROSOFT-CDO-ALLDAYEVENT",
];

/// Deeper nesting than any real calendar (VCALENDAR > VTIMEZONE > STANDARD is 3).
const MAX_DEPTH: usize = 16;

/// One content line: `NAME;PARAM=VALUE;...:VALUE`, names as written (compare them ignoring case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line<'a> {
    pub name: &'a str,
    /// The parameters as written, without the leading `;` (checked when the line was read).
    params: &'a str,
    pub value: &'a str,
    /// Where it starts in the body as received (before unfolding), from 1.
    pub number: usize,
}

impl<'a> Line<'a> {
    /// The first value of a parameter, without its quotes.
    pub fn param(&self, name: &str) -> Option<&'a str> {
        params(self.params)
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, values)| values.first().copied())
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Something of a body the reader could not read and left out, or read in a way worth saying:
/// the line it starts at (in the body as received) and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The skips of one body: the first [`MAX_SKIPS`] kept, the others counted.
#[derive(Debug, Default)]
pub(super) struct Skips {
    pub kept: Vec<Skip>,
    pub more: usize,
}

/// Skips listed per body; a body broken on every line is not worth a longer list.
const MAX_SKIPS: usize = 50;

impl Skips {
    pub fn add(&mut self, line: usize, reason: impl Into<String>) {
        if self.kept.len() < MAX_SKIPS {
            self.kept.push(Skip { line, reason: reason.into() });
        } else {
            self.more += 1;
        }
    }
}

/// One STANDARD or DAYLIGHT part of a VTIMEZONE (RFC 5545 3.6.5), values as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ZonePart<'a> {
    /// Where the part starts, for notices.
    pub number: usize,
    pub start: Option<&'a str>,
    /// TZOFFSETFROM and TZOFFSETTO in seconds east of UTC; `None` when missing or unreadable.
    pub offset_from: Option<i32>,
    pub offset_to: Option<i32>,
    pub rules: Vec<&'a str>,
    pub dates: Vec<&'a str>,
}

/// What a VTIMEZONE says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TimeZoneBlock<'a> {
    /// As a TEXT value, unescaped: Outlook writes `TZID:Kuala Lumpur\, Singapore` for the zone
    /// its events name `TZID="Kuala Lumpur, Singapore"`.
    pub tzid: String,
    pub number: usize,
    pub parts: Vec<ZonePart<'a>>,
}

/// The parts of a body the reader uses, in order of appearance.
#[derive(Debug, Default)]
pub(super) struct Body<'a> {
    /// The properties the reader uses of each VEVENT directly inside a VCALENDAR (not those of
    /// its VALARMs), with the line the VEVENT starts at.
    pub events: Vec<(usize, Vec<Line<'a>>)>,
    pub time_zones: Vec<TimeZoneBlock<'a>>,
}

/// What an open component is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Calendar,
    /// A VEVENT, by its index in `Body::events`.
    Event(usize),
    Zone,
    ZonePart,
    /// Anything else (VALARM, VTODO, X- components, ...): read past.
    Other,
    /// A component where none may be (outside any VCALENDAR): read past, named once.
    Stray,
}

/// Reads the structure of one or more concatenated VCALENDARs, tolerantly: a line that is not a
/// content line, a property or component outside any VCALENDAR, and an END that names no open
/// component are left out with a skip; an END that closes an outer component closes the inner
/// ones with it (a VEVENT closed that way is left out: it may have lost lines). Only nesting
/// deeper than any real calendar is refused, and components left open at the end (a body cut
/// short).
pub(super) fn read_body<'a>(text: &'a str, numbers: &[usize], skips: &mut Skips) -> Result<Body<'a>, CalendarError> {
    let mut body = Body::default();
    let mut open: Vec<(&str, Open, usize)> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.trim_end_matches(['\r', ' ', '\t']);
        if raw.is_empty() {
            continue;
        }
        let number = numbers.get(index).copied().unwrap_or(index + 1);
        let Some(mut line) = parse_line(raw) else {
            // Not quoted: a stray line of free text may hold anything, a phone number too.
            skips.add(number, "not a content line (NAME:VALUE), left out");
            continue;
        };
        line.number = number;
        if line.is("BEGIN") {
            let name = line.value.trim();
            if open.len() >= MAX_DEPTH {
                return Err(CalendarError::Syntax(format!("line {number}: components nested too deeply")));
            }
            let kind = match (open.last().map(|(_, kind, _)| *kind), name.to_ascii_uppercase().as_str()) {
                (None, "VCALENDAR") => Open::Calendar,
                (None, _) => {
                    skips.add(number, format!("BEGIN:{name} outside any VCALENDAR, left out with all it holds"));
                    Open::Stray
                }
                (Some(Open::Stray), _) => Open::Stray,
                (Some(Open::Calendar), "VEVENT") => {
                    body.events.push((number, Vec::new()));
                    Open::Event(body.events.len() - 1)
                }
                (Some(Open::Calendar), "VTIMEZONE") => {
                    body.time_zones.push(TimeZoneBlock { number, ..TimeZoneBlock::default() });
                    Open::Zone
                }
                (Some(Open::Zone), "STANDARD" | "DAYLIGHT") => {
                    if let Some(zone) = body.time_zones.last_mut() {
                        zone.parts.push(ZonePart { number, ..ZonePart::default() });
                    }
                    Open::ZonePart
                }
                _ => Open::Other,
            };
            open.push((name, kind, number));
            continue;
        }
        if line.is("END") {
            let name = line.value.trim();
            match open.iter().rposition(|(open_name, ..)| open_name.eq_ignore_ascii_case(name)) {
                Some(at) => {
                    for (inner, kind, begun) in open.drain(at + 1..).rev() {
                        close_unended(inner, kind, begun, number, &mut dropped, skips);
                    }
                    open.pop();
                }
                None => match open.pop() {
                    Some((open_name, _, _)) => {
                        skips.add(number, format!("END:{name} read as END:{open_name}, the component it closes"))
                    }
                    None => skips.add(number, format!("END:{name} outside any component, left out")),
                },
            }
            continue;
        }
        let Some((_, kind, _)) = open.last() else {
            skips.add(number, format!("{} outside any VCALENDAR, left out", line.name));
            continue;
        };
        match kind {
            Open::Event(event) if EVENT_PROPERTIES.iter().any(|p| line.is(p)) => {
                if let Some((_, lines)) = body.events.get_mut(*event) {
                    lines.push(line);
                }
            }
            Open::Zone if line.is("TZID") => {
                if let Some(zone) = body.time_zones.last_mut() {
                    zone.tzid = unescape_text(line.value.trim());
                }
            }
            Open::ZonePart => {
                if let Some(part) = body.time_zones.last_mut().and_then(|zone| zone.parts.last_mut()) {
                    read_zone_part(part, line);
                }
            }
            _ => {}
        }
    }
    if let Some((name, _, begun)) = open.first() {
        return Err(CalendarError::Syntax(format!("line {begun}: BEGIN:{name} is never closed")));
    }
    // Events closed by an outer END are left out, from the last so the indexes stay right.
    for event in dropped.into_iter().rev() {
        body.events.remove(event);
    }
    Ok(body)
}

/// A component an outer END closed.
fn close_unended(name: &str, kind: Open, begun: usize, ended: usize, dropped: &mut Vec<usize>, skips: &mut Skips) {
    match kind {
        Open::Event(event) => {
            dropped.push(event);
            skips.add(begun, format!("BEGIN:{name} is never ended (line {ended} ends what holds it): event left out"));
        }
        _ => skips.add(begun, format!("BEGIN:{name} is never ended (line {ended} ends what holds it)")),
    }
}

fn read_zone_part<'a>(part: &mut ZonePart<'a>, line: Line<'a>) {
    if line.is("DTSTART") {
        part.start = Some(line.value);
    } else if line.is("TZOFFSETFROM") {
        part.offset_from = utc_offset(line.value);
    } else if line.is("TZOFFSETTO") {
        part.offset_to = utc_offset(line.value);
    } else if line.is("RRULE") {
        part.rules.push(line.value);
    } else if line.is("RDATE") {
        part.dates.extend(line.value.split(',').filter(|v| !v.trim().is_empty()));
    }
}

/// `NAME *(";" param) ":" value`, with quoted parameter values that may hold `;`, `:` and `,`.
fn parse_line(raw: &str) -> Option<Line<'_>> {
    let name_end = raw.find([';', ':'])?;
    let name = &raw[..name_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let rest = &raw[name_end..];
    let colon = value_colon(rest)?;
    let params = rest[..colon].strip_prefix(';').unwrap_or_default();
    if !params.is_empty() && !params_are_valid(params) {
        return None;
    }
    Some(Line { name, params, value: &rest[colon + 1..], number: 0 })
}

/// Where the value starts: the first `:` outside double quotes.
fn value_colon(rest: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn params_are_valid(raw: &str) -> bool {
    let mut count = 0;
    for (key, values) in params(raw) {
        count += 1;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') || values.is_empty() {
            return false;
        }
    }
    // `params` stops at the first malformed parameter; count the separators to notice it.
    count == split_unquoted(raw, ';').count()
}

/// The parameters of a line as `(name, values)`, stopping at the first malformed one.
fn params(raw: &str) -> impl Iterator<Item = (&str, Vec<&str>)> {
    split_unquoted(raw, ';').map_while(|param| {
        let (key, value) = param.split_once('=')?;
        let values: Option<Vec<&str>> = split_unquoted(value, ',').map(unquote).collect();
        Some((key.trim(), values?))
    })
}

/// A parameter value: quoted (no quote inside) or bare (no quote at all).
fn unquote(value: &str) -> Option<&str> {
    match value.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').filter(|v| !v.contains('"')),
        None => (!value.contains('"')).then_some(value.trim()),
    }
}

fn split_unquoted(text: &str, separator: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts.into_iter()
}

/// `+0900`, `-0500`, `+053000`: seconds east of UTC.
fn utc_offset(value: &str) -> Option<i32> {
    let value = value.trim();
    let (sign, digits) = match value.as_bytes().first()? {
        b'+' => (1, &value[1..]),
        b'-' => (-1, &value[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |range: std::ops::Range<usize>| digits.get(range).and_then(|d| d.parse::<i32>().ok());
    let seconds = if digits.len() == 6 { part(4..6)? } else { 0 };
    let (hours, minutes) = (part(0..2)?, part(2..4)?);
    (hours < 24 && minutes < 60 && seconds < 60).then_some(sign * (hours * 3600 + minutes * 60 + seconds))
}

/// TEXT values (RFC 5545 3.3.11): `\\`, `\;`, `\,` and `\n` / `\N`.
pub(super) fn unescape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_lines_are_split_into_name_parameters_and_value() {
        let cases = [
            ("SUMMARY:元日", Some(("SUMMARY", None, "元日"))),
            ("DTSTART;TZID=Asia/Tokyo:20261224T120000", Some(("DTSTART", Some("Asia/Tokyo"), "20261224T120000"))),
            (
                "DTSTART;TZID=\"Tokyo Standard Time\":20261224T120000",
                Some(("DTSTART", Some("Tokyo Standard Time"), "20261224T120000")),
            ),
            (
                "DTSTART;TZID=Tokyo Standard Time:20261224T120000",
                Some(("DTSTART", Some("Tokyo Standard Time"), "20261224T120000")),
            ),
            ("dtstart;value=DATE;tzid=UTC:20261224", Some(("dtstart", Some("UTC"), "20261224"))),
            // a colon inside a quoted parameter is not the value's colon
            ("X-ALT;ALTREP=\"https://x.test/a;b\";TZID=UTC:v:w", Some(("X-ALT", Some("UTC"), "v:w"))),
            ("DESCRIPTION:", Some(("DESCRIPTION", None, ""))),
            ("no colon here", None),
            (":value", None),
            ("SUM MARY:x", None),
            ("DTSTART;TZID:20261224", None),
            ("DTSTART;=x:20261224", None),
            ("DTSTART;TZID=\"open:20261224", None),
            ("DTSTART;TZID=a\"b\":20261224", None),
            ("DTSTART;;TZID=UTC:20261224", None),
        ];
        for (raw, expected) in cases {
            let got = parse_line(raw).map(|l| (l.name, l.param("TZID"), l.value));
            assert_eq!(got, expected, "{raw}");
        }
    }

    /// The body read, with its skips as `line N: reason` (lines numbered as they are split).
    fn read(body: &str) -> (Result<Body<'_>, CalendarError>, Vec<String>) {
        let numbers: Vec<usize> = (1..=body.split('\n').count()).collect();
        let mut skips = Skips::default();
        let read = read_body(body, &numbers, &mut skips);
        (read, skips.kept.iter().map(Skip::to_string).collect())
    }

    #[test]
    fn only_event_and_zone_lines_are_kept() {
        let body = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Kuala Lumpur\\, Singapore\nBEGIN:STANDARD\nDTSTART:16010101T000000\n\
                    TZOFFSETFROM:+0900\nTZOFFSETTO:+0800\nRRULE:FREQ=YEARLY\nRDATE:20000101T000000,20010101T000000\nEND:STANDARD\n\
                    END:VTIMEZONE\nBEGIN:VEVENT\nSUMMARY:a\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\nBEGIN:VALARM\nDESCRIPTION:alarm\nEND:VALARM\n\
                    END:VEVENT\nEND:VCALENDAR\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:b\nEND:VEVENT\nEND:VCALENDAR";
        let (read, skips) = read(body);
        let read = read.unwrap();
        let summaries: Vec<Vec<&str>> = read.events.iter().map(|(_, e)| e.iter().map(|l| l.value).collect()).collect();
        assert_eq!(summaries, [vec!["a"], vec!["b"]]);
        assert_eq!(read.events.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [12, 22]);
        let zone = &read.time_zones[0];
        assert_eq!(zone.tzid, "Kuala Lumpur, Singapore", "TZID is a TEXT value");
        let part = ZonePart {
            number: 4,
            start: Some("16010101T000000"),
            offset_from: Some(32400),
            offset_to: Some(28800),
            rules: vec!["FREQ=YEARLY"],
            dates: vec!["20000101T000000", "20010101T000000"],
        };
        assert_eq!(zone.parts, [part]);
        assert!(skips.is_empty(), "{skips:?}");
    }

    #[test]
    fn what_cannot_be_read_is_skipped_with_its_line_and_only_open_components_are_refused() {
        let cases: &[(&str, usize, &[&str])] = &[
            // an END naming an outer component closes the inner one; a VEVENT closed so is left out
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VCALENDAR\n",
                0,
                &["line 2: BEGIN:VEVENT is never ended (line 4 ends what holds it): event left out"],
            ),
            // a misspelled END closes the component open
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVNT\nEND:VCALENDAR\n",
                1,
                &["line 4: END:VEVNT read as END:VEVENT, the component it closes"],
            ),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\nSUMMARY:x\n", 0, &["line 3: SUMMARY outside any VCALENDAR, left out"]),
            (
                "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n",
                0,
                &["line 3: BEGIN:VEVENT outside any VCALENDAR, left out with all it holds"],
            ),
            (
                "BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VCALENDAR\n",
                0,
                &["line 3: END:VCALENDAR outside any component, left out"],
            ),
            (
                "BEGIN:VCALENDAR\njunk\nBEGIN:VEVENT\nSUM MARY:x\nEND:VEVENT\nEND:VCALENDAR\n",
                1,
                &[
                    "line 2: not a content line (NAME:VALUE), left out",
                    "line 4: not a content line (NAME:VALUE), left out",
                ],
            ),
        ];
        for (body, events, expected) in cases {
            let (read, skips) = read(body);
            assert_eq!(read.map(|b| b.events.len()), Ok(*events), "{body:?}");
            assert_eq!(skips, *expected, "{body:?}");
        }
        let (open, _) = read("BEGIN:VCALENDAR\nBEGIN:VEVENT\n");
        assert_eq!(open.unwrap_err(), CalendarError::Syntax("line 1: BEGIN:VCALENDAR is never closed".into()));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let body = format!("BEGIN:VCALENDAR\n{}", "BEGIN:X\n".repeat(100_000));
        assert!(matches!(read(&body).0, Err(CalendarError::Syntax(m)) if m.contains("nested too deeply")));
    }

    #[test]
    fn skips_are_listed_up_to_a_cap_and_counted_beyond() {
        let mut skips = Skips::default();
        (0..MAX_SKIPS + 7).for_each(|line| skips.add(line, "x"));
        assert_eq!((skips.kept.len(), skips.more), (MAX_SKIPS, 7));
    }

    #[test]
    fn offsets_and_text_values() {
        let offsets = [("+0900", Some(32400)), ("-0500", Some(-18000)), ("+053000", Some(19800)), ("0900", None)];
        for (value, expected) in offsets {
            assert_eq!(utc_offset(value), expected, "{value}");
        }
        let texts =
            [("元日\\, New Year", "元日, New Year"), ("祝日\\n詳細", "祝日\n詳細"), ("a\\;b\\\\c\\", "a;b\\c\\")];
        for (value, expected) in texts {
            assert_eq!(unescape_text(value), expected);
        }
    }
}
