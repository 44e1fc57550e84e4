"""The peer of the differential test: reads calendars with icalendar and recurring-ical-events
(versions pinned in requirements-dev.txt) and prints, as JSON, what each closes in a site's zone.

    peer.py --zone Europe/Berlin --first-year 2015 --last-year 2030 FILE...

prints {"FILE": {"days": [...], "windows": [...]}, ...} or {"FILE": {"error": "..."}}:
`days` as a public feed is read (every date an event touches, whole), `windows` as a company
calendar with timed windows (a timed event closes `HH:MM-HH:MM` of each date it touches, or the
whole date). Each entry is `YYYY-MM-DD NAME` or `YYYY-MM-DD HH:MM-HH:MM NAME`, sorted, once.

The peer expands; this script only says which days the occurrences it yields close, with the
product's meaning of an occurrence: a cancelled one closes nothing, an event without SUMMARY
is named DEFAULT_NAME, a timed event that lasts no time closes no window, floating times are
the site's wall clock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import zoneinfo

import icalendar
import recurring_ical_events
from icalendar.timezone import tzp

DEFAULT_NAME = "closed"
MIDNIGHT = datetime.time(0, 0)


def forget_calendar_zones() -> None:
    """icalendar keeps the zones a calendar's VTIMEZONEs define in a process-wide cache, by TZID:
    without this, one file's "Customized Time Zone" would stand for the next file's."""
    cache = getattr(tzp, "_TZP__tz_cache", None)
    if cache is not None:
        cache.clear()


def site_local(value, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """A DATE-TIME on the site's wall clock; floating ones as written."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def floor_minute(t: datetime.time) -> datetime.time:
    return t.replace(second=0, microsecond=0)


def ceil_minute(t: datetime.time) -> datetime.time | None:
    """None stands for 24:00."""
    if t.second == 0 and t.microsecond == 0:
        return t
    whole = datetime.datetime.combine(datetime.date(2000, 1, 1), floor_minute(t))
    later = whole + datetime.timedelta(minutes=1)
    return None if later.date() != whole.date() else later.time()


def hhmm(t: datetime.time | None) -> str:
    return "24:00" if t is None else t.strftime("%H:%M")


def closed(start, end, zone) -> tuple[list[str], list[str]]:
    """(whole days, days or windows) one occurrence closes, before the years are applied."""
    if not isinstance(start, datetime.datetime):
        if isinstance(end, datetime.datetime):
            end = end.date() if end.time() == MIDNIGHT else end.date() + datetime.timedelta(days=1)
        last = max(end - datetime.timedelta(days=1), start)
        dates = []
        day = start
        while day <= last:
            dates.append(day.isoformat())
            day += datetime.timedelta(days=1)
        return dates, dates
    if not isinstance(end, datetime.datetime):
        end = datetime.datetime.combine(end, MIDNIGHT, start.tzinfo)
    start, end = site_local(start, zone), site_local(end, zone)
    if end <= start:
        return [start.date().isoformat()], []
    last = end.date() - datetime.timedelta(days=1) if end.time() == MIDNIGHT else end.date()
    days, windows = [], []
    day = start.date()
    while day <= last:
        days.append(day.isoformat())
        since = floor_minute(start.time()) if day == start.date() else MIDNIGHT
        until = ceil_minute(end.time()) if day == end.date() else None
        if since == MIDNIGHT and until is None:
            windows.append(day.isoformat())
        else:
            windows.append(f"{day.isoformat()} {hhmm(since)}-{hhmm(until)}")
        day += datetime.timedelta(days=1)
    return days, windows


def read(path: str, zone: zoneinfo.ZoneInfo, first_year: int, last_year: int) -> dict:
    forget_calendar_zones()
    with open(path, "rb") as file:
        calendar = icalendar.Calendar.from_ical(file.read())
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    # A day either side: a UTC time near New Year may be in the years on the site's clock.
    span = (datetime.date(first_year - 1, 12, 31), datetime.date(last_year + 1, 1, 2))
    first, last = datetime.date(first_year, 1, 1).isoformat(), datetime.date(last_year, 12, 31).isoformat()
    days, windows = set(), set()
    for event in query.between(*span):
        if str(event.get("STATUS", "")).strip().upper() == "CANCELLED":
            continue
        name = str(event.get("SUMMARY", "")).strip() or DEFAULT_NAME
        start = event["DTSTART"].dt
        end = event["DTEND"].dt if "DTEND" in event else start
        whole, parts = closed(start, end, zone)
        days.update(f"{d} {name}" for d in whole if first <= d[:10] <= last)
        windows.update(f"{d} {name}" for d in parts if first <= d[:10] <= last)
    return {"days": sorted(days), "windows": sorted(windows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zone", required=True)
    parser.add_argument("--first-year", type=int, required=True)
    parser.add_argument("--last-year", type=int, required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    zone = zoneinfo.ZoneInfo(args.zone)
    answers = {}
    for path in args.files:
        try:
            answers[path] = read(path, zone, args.first_year, args.last_year)
        except Exception as error:  # noqa: BLE001 - a file the peer cannot read is an answer too
            answers[path] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(answers, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
