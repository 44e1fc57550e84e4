//! The calendar reader against a mature peer: every calendar of `tests/calendars` (real exports,
//! listed with their sources in its README) is read by connect-core's reader, the one
//! holiday-fetcher uses, and by icalendar + recurring-ical-events (pinned in
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

/// A difference the reader keeps on purpose: in `file`, read in `mode`, the reader closes
/// `ours` where the peer closes `peer` (entries as the test prints them).
struct Deliberate {
    file: &'static str,
    mode: Mode,
    ours: &'static [&'static str],
    peer: &'static [&'static str],
    reason: &'static str,
}

const DELIBERATE: &[Deliberate] = &[];

/// What one reader closes in one calendar: `YYYY-MM-DD NAME` or `YYYY-MM-DD HH:MM-HH:MM NAME`.
type Closed = BTreeSet<String>;

fn corpus() -> anyhow::Result<Vec<PathBuf>> {
    let dir = workspace_root().join("tests/calendars");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "ics"))
        .collect();
    files.sort();
    ensure!(files.len() >= MIN_CALENDARS, "{} calendars in {}, fewer than {MIN_CALENDARS}", files.len(), dir.display());
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
    Ok(read_days(&body, &options(mode)).map(|days| days.iter().map(entry).collect()).map_err(|e| e.to_string()))
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
    let deliberate = |d: &Difference| {
        DELIBERATE.iter().any(|k| k.file == d.file && k.mode == d.mode && k.ours == d.ours && k.peer == d.peer)
    };
    let unexpected: Vec<String> = found.iter().filter(|d| !deliberate(d)).map(describe).collect();
    let stale: Vec<String> = DELIBERATE
        .iter()
        .filter(|k| !found.iter().any(|d| k.file == d.file && k.mode == d.mode && k.ours == d.ours && k.peer == d.peer))
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
