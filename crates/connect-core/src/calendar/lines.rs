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

/// What a VTIMEZONE says about itself (RFC 5545 3.6.5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TimeZoneBlock<'a> {
    pub tzid: &'a str,
    /// Written by libical-based exporters: the IANA name behind a private TZID.
    pub location: Option<&'a str>,
    /// Each TZOFFSETTO of its STANDARD and DAYLIGHT parts, in seconds east of UTC.
    pub offsets: Vec<i32>,
    /// A TZOFFSETTO that could not be read: the zone cannot be taken as a fixed offset.
    pub unreadable_offset: bool,
}

/// The parts of a body the reader uses, in order of appearance.
#[derive(Debug, Default)]
pub(super) struct Body<'a> {
    /// The properties the reader uses of each VEVENT directly inside a VCALENDAR (not those of
    /// its VALARMs).
    pub events: Vec<Vec<Line<'a>>>,
    pub time_zones: Vec<TimeZoneBlock<'a>>,
}

/// Reads the structure of one or more concatenated VCALENDARs. Anything outside a VCALENDAR,
/// an END that does not close the open component, or a line that is not a content line is a
/// syntax error, as is a component left open.
pub(super) fn read_body(text: &str) -> Result<Body<'_>, CalendarError> {
    let mut body = Body::default();
    let mut open: Vec<&str> = Vec::new();
    let mut last = 0;
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.trim_end_matches(['\r', ' ', '\t']);
        if raw.is_empty() {
            continue;
        }
        last = index + 1;
        let syntax = |what: &str| CalendarError::Syntax(format!("line {}: {what}", index + 1));
        let line = parse_line(raw).ok_or_else(|| syntax("not a content line (NAME:VALUE)"))?;
        if line.is("BEGIN") {
            let name = line.value.trim();
            if open.is_empty() && !name.eq_ignore_ascii_case("VCALENDAR") {
                return Err(syntax("a component outside any VCALENDAR"));
            }
            if open.len() >= MAX_DEPTH {
                return Err(syntax("components nested too deeply"));
            }
            open.push(name);
            match (open.len(), name.to_ascii_uppercase().as_str()) {
                (2, "VEVENT") => body.events.push(Vec::new()),
                (2, "VTIMEZONE") => body.time_zones.push(TimeZoneBlock::default()),
                _ => {}
            }
            continue;
        }
        if line.is("END") {
            match open.pop() {
                Some(name) if name.eq_ignore_ascii_case(line.value.trim()) => continue,
                Some(name) => return Err(syntax(&format!("END:{} closes BEGIN:{name}", line.value.trim()))),
                None => return Err(syntax("END outside any component")),
            }
        }
        let inside = |depth: usize, kind: &str| open.len() == depth && open[depth - 1].eq_ignore_ascii_case(kind);
        match open.len() {
            0 => return Err(syntax("a property outside any VCALENDAR")),
            2 if inside(2, "VEVENT") && EVENT_PROPERTIES.iter().any(|p| line.is(p)) => {
                if let Some(event) = body.events.last_mut() {
                    event.push(line);
                }
            }
            2 if inside(2, "VTIMEZONE") => {
                if let Some(zone) = body.time_zones.last_mut() {
                    if line.is("TZID") {
                        zone.tzid = line.value.trim();
                    } else if line.is("X-LIC-LOCATION") {
                        zone.location = Some(line.value.trim());
                    }
                }
            }
            3 if open[1].eq_ignore_ascii_case("VTIMEZONE") && line.is("TZOFFSETTO") => {
                if let Some(zone) = body.time_zones.last_mut() {
                    match utc_offset(line.value) {
                        Some(seconds) => zone.offsets.push(seconds),
                        None => zone.unreadable_offset = true,
                    }
                }
            }
            _ => {}
        }
    }
    match open.last() {
        None => Ok(body),
        Some(name) => Err(CalendarError::Syntax(format!("line {last}: BEGIN:{name} is never closed"))),
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
    Some(Line { name, params, value: &rest[colon + 1..] })
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

    #[test]
    fn the_structure_is_checked_and_only_event_and_zone_lines_are_kept() {
        let body = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Tokyo Standard Time\nBEGIN:STANDARD\nTZOFFSETTO:+0900\n\
                    END:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nSUMMARY:a\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\nBEGIN:VALARM\nDESCRIPTION:alarm\nEND:VALARM\n\
                    END:VEVENT\nEND:VCALENDAR\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:b\nEND:VEVENT\nEND:VCALENDAR";
        let read = read_body(body).unwrap();
        let summaries: Vec<Vec<&str>> = read.events.iter().map(|e| e.iter().map(|l| l.value).collect()).collect();
        assert_eq!(summaries, [vec!["a"], vec!["b"]]);
        assert_eq!(read.time_zones.len(), 1);
        assert_eq!(
            (read.time_zones[0].tzid, read.time_zones[0].offsets.as_slice()),
            ("Tokyo Standard Time", &[32400][..])
        );

        let refused = [
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR\n", "line 3: END:VCALENDAR closes BEGIN:VEVENT"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\nSUMMARY:x\n", "line 3: a property outside any VCALENDAR"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VEVENT\n", "line 3: a component outside any VCALENDAR"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\nEND:VCALENDAR\n", "line 3: END outside any component"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\n", "line 2: BEGIN:VEVENT is never closed"),
            ("BEGIN:VCALENDAR\njunk\nEND:VCALENDAR\n", "line 2: not a content line (NAME:VALUE)"),
        ];
        for (body, message) in refused {
            assert_eq!(read_body(body).unwrap_err(), CalendarError::Syntax(message.into()), "{body:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let body = format!("BEGIN:VCALENDAR\n{}", "BEGIN:X\n".repeat(100_000));
        assert!(matches!(read_body(&body), Err(CalendarError::Syntax(m)) if m.contains("nested too deeply")));
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
