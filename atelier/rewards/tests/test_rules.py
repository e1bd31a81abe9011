"""The reward rule as a pure function: fixed datetimes, DST included."""

from datetime import datetime
from zoneinfo import ZoneInfo

from atelier.rewards.rules import reward_release_at

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_rule_11_reward_released_thirty_calendar_days_later_in_platform_time():
    # earned in EST, released in EDT (clocks spring forward on 2026-03-08): same wall-clock time
    earned = ny(2026, 2, 20, 12, 0)
    assert reward_release_at(earned, hold_days=30, tz=NY) == ny(2026, 3, 22, 12, 0)
