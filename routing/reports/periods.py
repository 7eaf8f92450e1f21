"""Reporting intervals cut in the tenant's time zone.

A room, message or state change belongs to the interval its instant falls in, as a clock on the
tenant's wall shows it: a day is a local calendar day (23 or 25 hours on a DST change), a week
starts on the local Monday, and the hour that repeats when clocks go back is two hours (each
with its own UTC offset). 15-minute intervals are the same everywhere: every time zone in use is
a whole number of quarter hours from UTC.
"""
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

INTERVALS = ("15m", "hour", "day", "week")
# The RoomFact column that holds each interval's key.
FACT_COLUMN = {"15m": "slot", "hour": "hour", "day": "day", "week": "week"}


def tz_of(tenant):
    return zoneinfo.ZoneInfo(tenant.time_zone)


def keys(instant, tz):
    """The interval keys of an aware instant: (slot, hour, day, week); slot and hour as UTC instants."""
    local = instant.astimezone(tz)
    slot = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    hour = local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    return slot.astimezone(dt_timezone.utc), hour.astimezone(dt_timezone.utc), day, day - timedelta(days=day.weekday())


def local_midnight(day, tz):
    """The UTC instant a local day starts (a day that starts in a DST gap starts when the clock resumes)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(dt_timezone.utc)


@dataclass(frozen=True)
class Period:
    key: object      # what RoomFact's column holds: a UTC instant (15m, hour) or a local date (day, week)
    start: datetime  # UTC
    end: datetime    # UTC, exclusive
    label: str       # ISO 8601, local time with its offset, or the date


def periods(start_day, end_day, interval, tz):
    """Every interval from the start of `start_day` to the end of `end_day` (local dates, inclusive)."""
    begin, finish = local_midnight(start_day, tz), local_midnight(end_day + timedelta(days=1), tz)
    out = []
    if interval in ("day", "week"):
        step = 1 if interval == "day" else 7
        day = start_day if interval == "day" else start_day - timedelta(days=start_day.weekday())
        while True:
            s, e = local_midnight(day, tz), local_midnight(day + timedelta(days=step), tz)
            if s >= finish:
                break
            out.append(Period(day, max(s, begin), min(e, finish), day.isoformat()))
            day += timedelta(days=step)
        return out
    # 15m and hour: walk UTC in quarter hours, cutting where the local clock starts an interval.
    t = begin
    while t < finish:
        s = t
        t += timedelta(minutes=15)
        if interval == "hour":
            while t < finish and t.astimezone(tz).minute != 0:
                t += timedelta(minutes=15)
        out.append(Period(s, s, min(t, finish), s.astimezone(tz).isoformat()))
    return out


def label(key, interval, tz):
    if isinstance(key, date) and not isinstance(key, datetime):
        return key.isoformat()
    return key.astimezone(tz).isoformat()
