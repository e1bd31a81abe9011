"""The reward rule as a pure function (DESIGN rule 11): tested without a database."""

from datetime import datetime
from zoneinfo import ZoneInfo

from atelier.core.time import add_calendar_days


def reward_release_at(earned_at: datetime, *, hold_days: int, tz: ZoneInfo) -> datetime:
    """When an earned reward or fee becomes available: `hold_days` calendar days later, at the
    same wall-clock time in the platform's zone."""
    return add_calendar_days(earned_at, hold_days, tz)
