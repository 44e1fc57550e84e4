//! The calendar reader against a mature peer: every calendar of `tests/calendars` (real exports,
//! listed with their sources in its README) and the product's samples (`events/holiday-fetcher`)
//! is read by connect-core's reader, the one holiday-fetcher uses, and by icalendar +
//! recurring-ical-events (pinned in
//! requirements-dev.txt, run by `tests/calendars/peer.py` in the project's venv). Both say what
//! each calendar closes in Europe/Berlin over fixed years, as a public feed (whole days) and as a
//! company calendar (timed windows). Any difference fails the test unless it is one of the
//! deliberate choices below, each with its reason (docs/holidays.md, "How calendars are read").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use connect_core::calendar::{CalendarDay, DEFAULT_MAX_DAYS, ReadOptions, read_days};
use local_run::{venv_python, workspace_root};

const ZONE: chrono_tz::Tz = chrono_tz::Tz::Europe__Berlin;
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2030;
const DEFAULT_NAME: &str = "closed";
const MIN_CALENDARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// A public feed: every date an event touches, whole.
    Days,
    /// A company calendar (`timedWindows`): timed events close windows.
    Windows,
}

/// A difference the reader keeps on purpose: in `file`, read in `mode`, `ours` entries only the
/// reader closes and `peer` entries only the peer closes, `example` among them.
struct Deliberate {
    file: &'static str,
    mode: Mode,
    ours: usize,
    peer: usize,
    example: &'static str,
    reason: &'static str,
}

/// A DATE is a whole day, whatever comes with it.
const DATES_STAY_DATES: &str = "a DATE value is a whole day whatever comes with it: a TZID on it (apike.ca) or a \
    DURATION in seconds (PT86400S, Google's early holiday feeds) does not make it midnight in some zone; the peer \
    reads both as timed from midnight in the TZID's zone, which spreads every holiday of these feeds over two days \
    in Berlin";
const SPACES_IN_RULES: &str = "spaces after the commas of a rule part (`BYDAY=MO, TU, WE`, as Exchange's CDO \
    writes them) are read; the peer cannot read the rule and leaves the whole series out";
const TRUNCATED: &str = "a body without END:VCALENDAR is refused: it is what a cut download looks like, and a \
    list published from part of a feed drops holidays; the peer reads what is there";
const UNTIL_DATE: &str = "an UNTIL written as a date on a timed series bounds it at the end of that day (UNTIL \
    is inclusive, RFC 5545 3.3.10); the peer stops at its midnight, one occurrence earlier";

const DELIBERATE: &[Deliberate] = &[
    Deliberate {
        file: "google_aus_holidays.ics",
        mode: Mode::Days,
        ours: 0,
        peer: 237,
        example: "2002-01-02 New Year",
        reason: DATES_STAY_DATES,
    },
    Deliberate {
        file: "google_aus_holidays.ics",
        mode: Mode::Windows,
        ours: 238,
        peer: 476,
        example: "2002-01-01 09:00-24:00 New Year",
        reason: DATES_STAY_DATES,
    },
    Deliberate {
        file: "japan_west.ics",
        mode: Mode::Days,
        ours: 0,
        peer: 47,
        example: "2005-01-07 Ceremony Of The Holy Flame",
        reason: DATES_STAY_DATES,
    },
    Deliberate {
        file: "japan_west.ics",
        mode: Mode::Windows,
        ours: 47,
        peer: 94,
        example: "2005-01-08 Ceremony Of The Holy Flame",
        reason: DATES_STAY_DATES,
    },
    Deliberate {
        file: "issue_165_missing_event.ics",
        mode: Mode::Days,
        ours: 14,
        peer: 0,
        example: "2015-07-03 Sprint 25 Daily Standup",
        reason: SPACES_IN_RULES,
    },
    Deliberate {
        file: "issue_165_missing_event.ics",
        mode: Mode::Windows,
        ours: 14,
        peer: 0,
        example: "2015-07-03 10:00-10:30 Sprint 25 Daily Standup",
        reason: SPACES_IN_RULES,
    },
    Deliberate {
        file: "issue_350.ics",
        mode: Mode::Days,
        ours: 1,
        peer: 1,
        example: "2022-02-22 Termin 4353 und\"so\"",
        reason: TRUNCATED,
    },
    Deliberate {
        file: "issue_350.ics",
        mode: Mode::Windows,
        ours: 1,
        peer: 1,
        example: "2022-02-22 19:30-20:30 Termin 4353 und\"so\"",
        reason: TRUNCATED,
    },
    Deliberate {
        file: "issue_75_range_parameter.ics",
        mode: Mode::Days,
        ours: 1,
        peer: 0,
        example: "2025-09-21 EDITED EVENT",
        reason: UNTIL_DATE,
    },
    Deliberate {
        file: "issue_75_range_parameter.ics",
        mode: Mode::Windows,
        ours: 1,
        peer: 0,
        example: "2025-09-21 16:22-18:13 EDITED EVENT",
        reason: UNTIL_DATE,
    },
];

impl Deliberate {
    fn explains(&self, d: &Difference) -> bool {
        self.file == d.file
            && self.mode == d.mode
            && (self.ours, self.peer) == (d.ours.len(), d.peer.len())
            && d.ours.iter().chain(&d.peer).any(|entry| entry == self.example)
    }
}

/// What one reader closes in one calendar: `YYYY-MM-DD NAME` or `YYYY-MM-DD HH:MM-HH:MM NAME`.
type Closed = BTreeSet<String>;

/// The `.ics` files of a folder, sorted.
fn calendars_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "ics"))
        .collect();
    files.sort();
    Ok(files)
}

/// The real exports of `tests/calendars`, then the product's own samples (`events/holiday-fetcher`).
fn corpus() -> anyhow::Result<Vec<PathBuf>> {
    let dir = workspace_root().join("tests/calendars");
    let mut files = calendars_in(&dir)?;
    ensure!(files.len() >= MIN_CALENDARS, "{} calendars in {}, fewer than {MIN_CALENDARS}", files.len(), dir.display());
    files.extend(calendars_in(&workspace_root().join("events/holiday-fetcher"))?);
    Ok(files)
}

fn name_of(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The peer's answer per file and mode. No peer is a failure, never a skip.
fn peer(files: &[PathBuf]) -> anyhow::Result<BTreeMap<(String, Mode), Result<Closed, String>>> {
    let python = venv_python();
    if !python.is_file() {
        bail!(
            "{} not found: run `make venv` (or set MOTO_PYTHON); the differential test needs the peer",
            python.display()
        );
    }
    let script = workspace_root().join("tests/calendars/peer.py");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .args(["--zone", ZONE.name(), "--first-year", &FIRST_YEAR.to_string(), "--last-year", &LAST_YEAR.to_string()])
        .args(files)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    ensure!(output.status.success(), "the peer failed: {}", String::from_utf8_lossy(&output.stderr));
    let answers: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&output.stdout).context("the peer's answer is not JSON")?;
    let mut closed = BTreeMap::new();
    for (path, answer) in answers {
        let file = name_of(Path::new(&path));
        for (mode, key) in [(Mode::Days, "days"), (Mode::Windows, "windows")] {
            let read = match (answer.get("error"), answer.get(key).and_then(|v| v.as_array())) {
                (Some(error), _) => Err(error.to_string()),
                (None, Some(entries)) => {
                    Ok(entries.iter().filter_map(|e| e.as_str()).map(str::to_owned).collect::<Closed>())
                }
                (None, None) => bail!("the peer's answer for {file} has no {key}"),
            };
            closed.insert((file.clone(), mode), read);
        }
    }
    Ok(closed)
}

fn options(mode: Mode) -> ReadOptions {
    ReadOptions {
        time_zone: ZONE,
        first_year: FIRST_YEAR,
        last_year: LAST_YEAR,
        timed_windows: mode == Mode::Windows,
        default_name: DEFAULT_NAME.to_owned(),
        max_days: DEFAULT_MAX_DAYS,
    }
}

fn entry(day: &CalendarDay) -> String {
    match day.window {
        None => format!("{} {}", day.date, day.name),
        Some(window) => format!("{} {window} {}", day.date, day.name),
    }
}

fn ours(path: &Path, mode: Mode) -> anyhow::Result<Result<Closed, String>> {
    let body = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(read_days(&body, &options(mode)).map(|read| read.days.iter().map(entry).collect()).map_err(|e| e.to_string()))
}

/// One calendar read differently: what only the reader closes and what only the peer closes.
#[derive(Debug, PartialEq, Eq)]
struct Difference {
    file: String,
    mode: Mode,
    ours: Vec<String>,
    peer: Vec<String>,
}

fn difference(
    file: &str,
    mode: Mode,
    ours: &Result<Closed, String>,
    peer: &Result<Closed, String>,
) -> Option<Difference> {
    let (ours, peer): (Vec<String>, Vec<String>) = match (ours, peer) {
        (Ok(ours), Ok(peer)) => (ours.difference(peer).cloned().collect(), peer.difference(ours).cloned().collect()),
        // both refuse it: they agree that it closes nothing
        (Err(_), Err(_)) => return None,
        (Err(error), Ok(peer)) => (vec![format!("refused: {error}")], peer.iter().cloned().collect()),
        (Ok(ours), Err(error)) => (ours.iter().cloned().collect(), vec![format!("refused: {error}")]),
    };
    (!ours.is_empty() || !peer.is_empty()).then(|| Difference { file: file.to_owned(), mode, ours, peer })
}

fn describe(difference: &Difference) -> String {
    let mut text = format!("{} ({:?}):\n", difference.file, difference.mode);
    for entry in &difference.ours {
        text.push_str(&format!("  only ours: {entry}\n"));
    }
    for entry in &difference.peer {
        text.push_str(&format!("  only peer: {entry}\n"));
    }
    text
}

#[test]
fn the_reader_closes_what_the_peer_closes_but_for_deliberate_choices() -> anyhow::Result<()> {
    let started = Instant::now();
    let files = corpus()?;
    let peer = peer(&files)?;
    let peer_seconds = started.elapsed().as_secs_f64();
    let mut found = Vec::new();
    for path in &files {
        let file = name_of(path);
        for mode in [Mode::Days, Mode::Windows] {
            let theirs =
                peer.get(&(file.clone(), mode)).with_context(|| format!("the peer did not answer for {file}"))?;
            if let Some(difference) = difference(&file, mode, &ours(path, mode)?, theirs) {
                found.push(difference);
            }
        }
    }
    let unexpected: Vec<String> =
        found.iter().filter(|d| !DELIBERATE.iter().any(|k| k.explains(d))).map(describe).collect();
    let stale: Vec<String> = DELIBERATE
        .iter()
        .filter(|k| !found.iter().any(|d| k.explains(d)))
        .map(|k| format!("{} ({:?}): {}", k.file, k.mode, k.reason))
        .collect();
    println!(
        "{} calendars, {} differences ({} deliberate) in {:.2} s (peer {peer_seconds:.2} s)",
        files.len(),
        found.len(),
        found.len() - unexpected.len(),
        started.elapsed().as_secs_f64()
    );
    ensure!(unexpected.is_empty(), "{} differences from the peer:\n{}", unexpected.len(), unexpected.join("\n"));
    ensure!(stale.is_empty(), "deliberate differences no longer found (remove them):\n{}", stale.join("\n"));
    Ok(())
}
