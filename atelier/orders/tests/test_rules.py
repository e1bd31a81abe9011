"""The time and budget rules as pure functions: no database, fixed datetimes, DST included."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from atelier.catalog.models import Policy
from atelier.orders import rules

POLICY = Policy()  # today's defaults: closable after 7 days, 2 after a late revision, 3 revisions
NY = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def real_hours(start: datetime, end: datetime) -> float:
    # Subtracting two datetimes of the same zone gives wall-clock time; convert to UTC first.
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600


def test_rule_07_closable_seven_calendar_days_after_first_delivery_across_spring_forward():
    # given a first delivery on 2026-03-03 15:27 New York time (EST; clocks spring forward on
    # 2026-03-08)
    first = ny(2026, 3, 3, 15, 27)

    # when
    eligibility = rules.closing_eligibility([first], NY, POLICY)

    # then it is 2026-03-10 15:27 New York time (EDT): 7 calendar days, only 167 real hours
    assert eligibility.at == ny(2026, 3, 10, 15, 27)
    assert eligibility.at.astimezone(NY).tzname() == "EDT"
    assert real_hours(first, eligibility.at) == 167
    assert "first delivery" in eligibility.reason
    assert "Tue 3 Mar 2026, 15:27 EST" in eligibility.reason


def test_rule_07_closable_across_fall_back_keeps_wall_clock_time():
    first = ny(2026, 10, 29, 9, 0)  # EDT; clocks fall back on 2026-11-01
    eligibility = rules.closing_eligibility([first], NY, POLICY)
    assert eligibility.at == ny(2026, 11, 5, 9, 0)
    assert real_hours(first, eligibility.at) == 169


def test_rule_07_uses_the_platform_zone_not_utc_for_the_calendar_day():
    # 2026-05-01 02:30 UTC is still 30 April in New York: the count starts from 30 April.
    first = datetime(2026, 5, 1, 2, 30, tzinfo=UTC)
    assert rules.closing_eligibility([first], NY, POLICY).at == ny(2026, 5, 7, 22, 30)
    assert rules.closing_eligibility([first], UTC, POLICY).at == datetime(
        2026, 5, 8, 2, 30, tzinfo=UTC
    )


def test_rule_07_nothing_delivered_means_no_moment_and_says_why():
    eligibility = rules.closing_eligibility([], NY, POLICY)
    assert eligibility.at is None
    assert "nothing delivered yet" in eligibility.reason


@pytest.mark.parametrize(
    ("revision", "expected", "moved"),
    [
        # before the eligibility day: no change
        (ny(2026, 3, 9, 23, 59), ny(2026, 3, 10, 15, 27), False),
        # on the eligibility day, even before the eligibility time: 2 days after the revision
        (ny(2026, 3, 10, 8, 0), ny(2026, 3, 12, 8, 0), True),
        # on the eligibility day after the eligibility time
        (ny(2026, 3, 10, 18, 45), ny(2026, 3, 12, 18, 45), True),
        # days later
        (ny(2026, 3, 20, 11, 5), ny(2026, 3, 22, 11, 5), True),
    ],
)
def test_rule_07_late_revision_moves_close_to_two_days_after_it(revision, expected, moved):
    first = ny(2026, 3, 3, 15, 27)
    eligibility = rules.closing_eligibility([first, revision], NY, POLICY)
    assert eligibility.at == expected
    assert ("revision" in eligibility.reason) is moved


def test_rule_07_the_latest_late_revision_counts():
    first = ny(2026, 3, 3, 15, 27)
    deliveries = [ny(2026, 3, 14, 10, 0), first, ny(2026, 3, 11, 9, 0)]  # any order
    assert rules.closing_eligibility(deliveries, NY, POLICY).at == ny(2026, 3, 16, 10, 0)


def test_rule_07_late_revision_landing_on_a_dst_gap_resolves_to_a_real_moment():
    # 2026-03-06 02:30 + 2 days = 2026-03-08 02:30, which does not exist in New York.
    first = ny(2026, 2, 27, 2, 30)
    at = rules.closing_eligibility([first, ny(2026, 3, 6, 2, 30)], NY, POLICY).at
    assert at.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_rule_08_close_blockers_name_each_reason():
    assert (
        rules.close_blockers(
            latest_delivery_opened=True, open_revision_request=False, open_concern=False
        )
        == []
    )
    blockers = rules.close_blockers(
        latest_delivery_opened=False, open_revision_request=True, open_concern=True
    )
    assert len(blockers) == 3
    assert "not opened" in blockers[0]


@pytest.mark.parametrize(("requested", "over"), [(0, False), (3, False), (4, True)])
def test_rule_05_revision_budget(requested, over):
    assert rules.is_over_revision_budget(POLICY, requested=requested) is over
