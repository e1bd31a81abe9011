"""The clocks of an order as a pure function of its facts: states, whose move, who sees which,
the countdown's words, and the response clock's moments across daylight-saving changes."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from atelier.catalog.models import Policy
from atelier.orders import rules
from atelier.orders.clocks import SEEN_BY, Facts, clocks, span

NOW = datetime(2026, 3, 14, 14, 30, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
ALL = SEEN_BY["agent"]

IN_PROGRESS = Facts(
    status="in_progress",
    whose_move="expert",
    due_at=NOW + timedelta(days=2, hours=4),
    delivered=False,
    auto_complete_at=None,
    response_paused=False,
    expert_may_close=False,
    closable_at=None,
    qc_since=None,
    qc_hours=24,
    reward_release_at=None,
    reward_released=False,
)
DELIVERED = replace(
    IN_PROGRESS,
    status="delivered",
    whose_move="customer",
    delivered=True,
    auto_complete_at=NOW + timedelta(hours=20),
)


def only(facts: Facts, name: str, now: datetime = NOW, seen=ALL):
    [found] = [c for c in clocks(facts, now=now, seen=seen) if c.name == name]
    return found


def test_the_due_clock_runs_then_is_due_then_overdue_then_done():
    assert only(IN_PROGRESS, "due").state == "running"
    assert only(IN_PROGRESS, "due").countdown(NOW) == "in 2 days 4 h"
    assert only(IN_PROGRESS, "due").whose_move == "expert"
    almost = NOW + timedelta(days=2)
    assert only(IN_PROGRESS, "due", almost).state == "due"
    late = NOW + timedelta(days=2, hours=7)
    assert only(IN_PROGRESS, "due", late).state == "overdue"
    assert only(IN_PROGRESS, "due", late).countdown(late) == "overdue by 3 h"
    assert only(DELIVERED, "due", late).state == "done"


def test_the_response_clock_pauses_while_the_move_is_someone_elses():
    assert only(DELIVERED, "response").state == "due"  # 20 h left
    assert only(DELIVERED, "response").whose_move == "customer"
    paused = replace(DELIVERED, response_paused=True, whose_move="agent")
    assert (only(paused, "response").state, only(paused, "response").whose_move) == (
        "paused",
        "agent",
    )
    assert only(paused, "response").countdown(NOW) == "paused"


def test_each_reader_sees_only_their_clocks():
    facts = replace(
        DELIVERED,
        expert_may_close=True,
        closable_at=NOW + timedelta(days=5),
        reward_release_at=NOW + timedelta(days=30),
    )
    names = {who: {c.name for c in clocks(facts, now=NOW, seen=SEEN_BY[who])} for who in SEEN_BY}
    assert names["customer"] == {"due", "response", "closable"}
    assert names["expert"] == {"due", "response", "closable", "reward_release"}
    assert names["reviewer"] == {"due"}
    assert names["agent"] == names["expert"]
    in_qc = replace(IN_PROGRESS, status="in_qc", qc_since=NOW - timedelta(hours=30))
    assert only(in_qc, "qc", seen=SEEN_BY["reviewer"]).state == "overdue"
    assert "qc" not in {c.name for c in clocks(in_qc, now=NOW, seen=SEEN_BY["customer"])}


def test_closing_is_due_not_overdue_once_its_moment_comes_and_done_after():
    facts = replace(DELIVERED, expert_may_close=True, closable_at=NOW - timedelta(hours=1))
    assert only(facts, "closable").state == "due"
    assert only(facts, "closable").countdown(NOW) == "now"
    assert only(replace(facts, status="completed"), "closable").state == "done"


def test_clocks_come_soonest_first_and_the_done_ones_last():
    facts = replace(DELIVERED, reward_release_at=NOW - timedelta(days=1), reward_released=True)
    names = [c.name for c in clocks(facts, now=NOW, seen=ALL)]
    assert names == ["response", "reward_release", "due"]  # done ones by their moment too


def test_span_reads_as_people_say_it():
    assert span(timedelta(days=1)) == "1 day"
    assert span(timedelta(days=3, hours=2, minutes=59)) == "3 days 2 h"
    assert span(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert span(timedelta(minutes=5)) == "5 min"
    assert span(timedelta(seconds=20)) == "less than a minute"


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(delivered=moments, days=st.integers(1, 30), now=moments)
def test_the_response_clock_keeps_the_wall_clock_time_and_its_states_only_move_forward(
    delivered, days, now
):
    policy = Policy(auto_complete_days=days, reminder_days=1)
    moments_ = rules.response_moments(delivered, NY, policy, customer_completes=True)
    at = moments_.auto_complete_at
    local, then = delivered.astimezone(NY), at.astimezone(NY)
    assert (then.date() - local.date()).days == days
    # A DST change in between moves the real gap by the hour it adds or removes, no more.
    assert abs((at - delivered) - timedelta(days=days)) <= timedelta(hours=1)
    assert moments_.remind_at <= at
    order = ["running", "due", "overdue"]
    facts = replace(DELIVERED, auto_complete_at=at)
    earlier = only(facts, "response", min(now, at + timedelta(days=1))).state
    later = only(facts, "response", max(now, at + timedelta(days=1))).state
    assert order.index(earlier) <= order.index(later)
    assert rules.auto_complete_at_after_notice(at, now) >= max(at, now + rules.AUTO_COMPLETE_NOTICE)
