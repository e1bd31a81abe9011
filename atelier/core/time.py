"""Platform time zone and calendar arithmetic in it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def platform_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def add_calendar_days(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The same local wall-clock time `days` calendar days later in `tz`.

    Across a DST change this is not a multiple of 24 hours. A wall-clock time that does not exist
    on the target day (inside a spring-forward gap) resolves to the instant one hour later on the
    clock, as zoneinfo does for fold=0; one that exists twice resolves to the first of the two.
    """
    local = moment.astimezone(tz)
    target_day: date = local.date() + timedelta(days=days)
    wall: time = local.time().replace(tzinfo=None, fold=0)
    return datetime.combine(target_day, wall, tzinfo=tz)


def describe(moment: datetime, tz: ZoneInfo) -> str:
    """A moment as people read it, with its zone named: 'Tue 10 Mar 2026, 15:27 EDT'."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"
