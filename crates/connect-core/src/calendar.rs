//! Reading public-holiday calendars (RFC 5545 iCalendar).
//!
//! The `icalendar` crate parses the content lines and unescapes TEXT values. What it lacks,
//! and what holiday feeds need, is done here: unfolding at the byte level (a fold may split a
//! multi-byte UTF-8 character, so unfolding must happen before decoding), refusing truncated
//! or non-calendar bodies, expanding `DTEND` (exclusive) into each covered day, and telling
//! public holidays from observances.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use icalendar::parser::{Component, Property, read_calendar};

/// One day of one calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub name: String,
    /// An observance (節分, 七夕, ...) is a working day unless the center opts in.
    pub observance: bool,
    /// `None`: the whole day; `Some`: only this local window.
    pub window: Option<crate::closed_window::ClosedWindow>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("the body is not an iCalendar (no BEGIN:VCALENDAR at its start)")]
    NotACalendar,
    #[error("the calendar is truncated (no END:VCALENDAR)")]
    Truncated,
    #[error("the calendar is not valid UTF-8 after unfolding (byte {0})")]
    NotUtf8(usize),
    #[error("the calendar could not be parsed: {0}")]
    Syntax(String),
    #[error("event {summary:?} has an unreadable {property}: {value:?}")]
    BadDate { summary: String, property: &'static str, value: String },
}

/// Longest span one event may cover; longer is almost certainly a data error, and it bounds
/// the work a hostile feed can cause.
const MAX_EVENT_DAYS: u64 = 366;

/// Removes RFC 5545 line folds (CRLF or LF followed by one space or tab) from raw bytes.
pub fn unfold(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let fold_len = match raw[i..] {
            [b'\r', b'\n', b' ' | b'\t', ..] => 3,
            [b'\n', b' ' | b'\t', ..] => 2,
            _ => 0,
        };
        if fold_len > 0 {
            i += fold_len;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// How to read one calendar for one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    pub time_zone: chrono_tz::Tz,
    pub first_year: i32,
    pub last_year: i32,
    pub timed_windows: bool,
    pub default_name: String,
    pub max_days: usize,
}

pub const DEFAULT_MAX_DAYS: usize = 20_000;

/// Reads every VEVENT of a calendar body into days. Cancelled events are skipped.
pub fn read_days(raw: &[u8], options: &ReadOptions) -> Result<Vec<CalendarDay>, CalendarError> {
    let mut days = read_all_days(raw)?;
    for day in &mut days {
        if day.name.is_empty() {
            day.name = options.default_name.clone();
        }
    }
    Ok(days)
}

fn read_all_days(raw: &[u8]) -> Result<Vec<CalendarDay>, CalendarError> {
    let unfolded = unfold(raw);
    let text = std::str::from_utf8(&unfolded).map_err(|e| CalendarError::NotUtf8(e.valid_up_to()))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines().map(str::trim_end).filter(|l| !l.is_empty());
    if !lines.next().is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err(CalendarError::NotACalendar);
    }
    if !lines.next_back().is_some_and(|l| l.eq_ignore_ascii_case("END:VCALENDAR")) {
        return Err(CalendarError::Truncated);
    }
    // The parser wants one line ending style; a trailing newline keeps its last line whole.
    let normalized = format!("{}\n", text.replace("\r\n", "\n").trim_end());
    let calendar = read_calendar(&normalized).map_err(|e| CalendarError::Syntax(first_line(&e)))?;
    let mut days = Vec::new();
    for event in calendar.components.iter().filter(|c| c.name == "VEVENT") {
        if prop(event, "STATUS").is_some_and(|s| s.val.as_str().eq_ignore_ascii_case("CANCELLED")) {
            continue;
        }
        days.extend(event_days(event)?);
    }
    Ok(days)
}

fn event_days(event: &Component<'_>) -> Result<Vec<CalendarDay>, CalendarError> {
    let name = prop(event, "SUMMARY").map(|p| p.val.as_str().trim().to_owned()).unwrap_or_default();
    let observance = prop(event, "DESCRIPTION").is_some_and(|p| is_observance(p.val.as_str()));
    let bad = |property: &'static str, value: &str| CalendarError::BadDate {
        summary: name.clone(),
        property,
        value: value.to_owned(),
    };
    let start_prop = prop(event, "DTSTART").ok_or_else(|| bad("DTSTART", ""))?;
    let start = parse_moment(start_prop.val.as_str()).ok_or_else(|| bad("DTSTART", start_prop.val.as_str()))?;
    let last_day = match prop(event, "DTEND") {
        None => start.date(),
        Some(end_prop) => {
            let end = parse_moment(end_prop.val.as_str()).ok_or_else(|| bad("DTEND", end_prop.val.as_str()))?;
            // DTEND is exclusive: an end at midnight does not cover that day.
            let end_day = if end.time() == NaiveTime::MIN { end.date().pred_opt() } else { Some(end.date()) };
            end_day.filter(|d| *d >= start.date()).unwrap_or(start.date())
        }
    };
    let span = (last_day - start.date()).num_days().unsigned_abs();
    if span >= MAX_EVENT_DAYS {
        return Err(bad("DTEND", &last_day.to_string()));
    }
    Ok((0..=span)
        .filter_map(|offset| start.date().checked_add_days(Days::new(offset)))
        .map(|date| CalendarDay { date, name: name.clone(), observance, window: None })
        .collect())
}

/// The first DESCRIPTION line names the kind: Google writes `祝日` / `Public holiday` for
/// public holidays and `祭日` / `Observance` for observances.
pub fn is_observance(description: &str) -> bool {
    let first = description.lines().next().unwrap_or_default().trim();
    first.starts_with("祭日") || first.to_ascii_lowercase().starts_with("observance")
}

/// `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ`; a date-time keeps its written
/// (local or UTC) wall-clock date, which is what a holiday feed means by it.
fn parse_moment(value: &str) -> Option<NaiveDateTime> {
    let value = value.trim();
    if value.len() == 8 {
        return NaiveDate::parse_from_str(value, "%Y%m%d").ok().map(|d| d.and_time(NaiveTime::MIN));
    }
    NaiveDateTime::parse_from_str(value.trim_end_matches('Z'), "%Y%m%dT%H%M%S").ok()
}

fn prop<'a>(component: &'a Component<'a>, name: &str) -> Option<&'a Property<'a>> {
    component.find_prop(name)
}

fn first_line(message: &str) -> String {
    message.lines().take(3).collect::<Vec<_>>().join(" ").chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ReadOptions {
        ReadOptions {
            time_zone: chrono_tz::Asia::Tokyo,
            first_year: 2000,
            last_year: 2100,
            timed_windows: false,
            default_name: String::new(),
            max_days: DEFAULT_MAX_DAYS,
        }
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
        let days = read_days(&raw, &options()).unwrap();
        assert_eq!(
            days,
            vec![CalendarDay {
                date: date("2026-09-21"), name: "敬老の日".into(), observance: false, window: None
            }]
        );
    }

    #[test]
    fn lf_only_files_and_escaped_text_are_read() {
        let body =
            calendar(&event("20260101", Some("20260102"), "元日\\, New Year", "祝日\\n詳細")).replace("\r\n", "\n");
        let days = read_days(body.as_bytes(), &options()).unwrap();
        assert_eq!(
            days,
            vec![CalendarDay {
                date: date("2026-01-01"),
                name: "元日, New Year".into(),
                observance: false,
                window: None
            }]
        );
    }

    #[test]
    fn dtend_is_exclusive_and_multi_day_events_cover_each_day() {
        let cases = [
            (event("20260503", Some("20260506"), "連休", "祝日"), vec!["2026-05-03", "2026-05-04", "2026-05-05"]),
            (event("20260101", None, "元日", "祝日"), vec!["2026-01-01"]),
            (event("20260101", Some("20260101"), "zero length", "祝日"), vec!["2026-01-01"]),
        ];
        for (ev, expected) in cases {
            let days = read_days(calendar(&ev).as_bytes(), &options()).unwrap();
            let got: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn date_times_keep_their_written_date_and_an_end_at_midnight_is_exclusive() {
        let ev = "BEGIN:VEVENT\r\nDTSTART:20261231T000000\r\nDTEND:20270102T000000\r\nSUMMARY:年末\r\nEND:VEVENT\r\n\
                  BEGIN:VEVENT\r\nDTSTART:20260505T090000Z\r\nDTEND:20260505T170000Z\r\nSUMMARY:こどもの日\r\nEND:VEVENT\r\n";
        let days = read_days(calendar(ev).as_bytes(), &options()).unwrap();
        let got: Vec<String> = days.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(got, ["2026-12-31", "2027-01-01", "2026-05-05"]);
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
            let days =
                read_days(calendar(&event("20260203", None, "節分", description)).as_bytes(), &options()).unwrap();
            assert_eq!(days[0].observance, expected, "description {description:?}");
        }
    }

    #[test]
    fn cancelled_events_are_skipped() {
        let ev = event("20260101", None, "元日", "祝日").replace("END:VEVENT", "STATUS:CANCELLED\r\nEND:VEVENT");
        assert!(read_days(calendar(&ev).as_bytes(), &options()).unwrap().is_empty());
    }

    #[test]
    fn non_calendars_and_truncated_calendars_are_refused() {
        let truncated = calendar(&event("20260101", None, "元日", "祝日")).replace("END:VCALENDAR\r\n", "");
        let cases: Vec<(Vec<u8>, CalendarError)> = vec![
            (b"<!DOCTYPE html><html><body>Error 404</body></html>".to_vec(), CalendarError::NotACalendar),
            (Vec::new(), CalendarError::NotACalendar),
            (truncated.into_bytes(), CalendarError::Truncated),
            (b"BEGIN:VCALENDAR\r\nSUMMARY:\xff\r\nEND:VCALENDAR\r\n".to_vec(), CalendarError::NotUtf8(25)),
        ];
        for (body, expected) in cases {
            assert_eq!(read_days(&body, &options()), Err(expected));
        }
    }

    #[test]
    fn unreadable_dates_are_refused_with_the_event_named() {
        let body = calendar(&event("2026-01-01", None, "元日", "祝日"));
        match read_days(body.as_bytes(), &options()) {
            Err(CalendarError::BadDate { summary, property, .. }) => {
                assert_eq!((summary.as_str(), property), ("元日", "DTSTART"));
            }
            other => panic!("expected BadDate, got {other:?}"),
        }
    }

    #[test]
    fn an_event_spanning_more_than_a_year_is_refused() {
        let body = calendar(&event("20260101", Some("20280101"), "too long", "祝日"));
        assert!(matches!(
            read_days(body.as_bytes(), &options()),
            Err(CalendarError::BadDate { property: "DTEND", .. })
        ));
    }
}
