"""The time and budget rules of DESIGN.md as pure functions of an order's facts and its policy.

No database, no clock: callers pass the facts, the order's policy (catalog.Policy: the version
the order was placed under) and the platform time zone, and get back the moment and the human
reason, so a page can show exactly what the rule decided.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from atelier.core.time import add_calendar_days, describe


class Policy(Protocol):
    """What the rules read of a policy (catalog.models.Policy)."""

    included_revisions: int
    turnaround_days: int
    closing_delay_days: int
    late_revision_days: int
    reminder_days: int
    auto_complete_days: int


@dataclass(frozen=True)
class Eligibility:
    at: datetime | None  # None: not delivered yet
    reason: str


def closing_eligibility(
    deliveries: Sequence[datetime], tz: ZoneInfo, policy: Policy
) -> Eligibility:
    """When the expert may close (rule 7), given every delivery moment of the order: the
    policy's closing delay after the first delivery (7 days by default), moved to the late
    revision delay (2) after any revision delivered on or after that day."""
    delay, late = policy.closing_delay_days, policy.late_revision_days
    if not deliveries:
        return Eligibility(
            None, f"Closable {_days(delay)} after the first delivery; nothing delivered yet."
        )
    first, *later = sorted(deliveries)
    at = add_calendar_days(first, delay, tz)
    reason = f"{_days(delay).capitalize()} after the first delivery ({describe(first, tz)})."
    eligibility_day = at.astimezone(tz).date()
    for delivered in later:
        if delivered.astimezone(tz).date() < eligibility_day:
            continue
        moved = add_calendar_days(delivered, late, tz)
        if moved > at:
            at = moved
            reason = (
                f"{_days(late).capitalize()} after the revision delivered "
                f"{describe(delivered, tz)}, on or after the day the order first became closable."
            )
    return Eligibility(at, reason)


def close_blockers(
    *, latest_delivery_opened: bool, open_revision_request: bool, open_concern: bool
) -> list[str]:
    """Why the expert may not close alone and must ask an agent (rule 8); empty if none."""
    reasons = []
    if not latest_delivery_opened:
        reasons.append("The customer has not opened the latest delivery yet.")
    if open_revision_request:
        reasons.append("The customer has an open revision request.")
    if open_concern:
        reasons.append("The customer has raised a concern that is not resolved.")
    return reasons


def is_over_revision_budget(policy: Policy, *, requested: int) -> bool:
    """Whether this many revision requests exceed the order's allowance (rule 5)."""
    return requested > policy.included_revisions


def default_due_at(placed_at: datetime, tz: ZoneInfo, policy: Policy) -> datetime:
    """The delivery due date of an order nobody gave one: the turnaround in calendar days, at
    the same wall-clock time in the platform's zone."""
    return add_calendar_days(placed_at, policy.turnaround_days, tz)


AUTO_COMPLETE_NOTICE = timedelta(hours=24)  # the customer is told this long before


@dataclass(frozen=True)
class ResponseMoments:
    remind_at: datetime  # remind a customer who has not opened the delivery
    auto_complete_at: datetime | None  # complete if nobody answers; None: never


def response_moments(
    delivered_at: datetime, tz: ZoneInfo, policy: Policy, *, customer_completes: bool
) -> ResponseMoments:
    """The customer's clock after a delivery: the reminder after the policy's reminder delay,
    and completion after its auto-complete delay (in calendar days, at the same wall-clock time),
    unless the policy never auto-completes or the expert closes the order (expert hub)."""
    days = policy.auto_complete_days
    return ResponseMoments(
        remind_at=add_calendar_days(delivered_at, policy.reminder_days, tz),
        auto_complete_at=(
            add_calendar_days(delivered_at, days, tz) if days and customer_completes else None
        ),
    )


def auto_complete_at_after_notice(scheduled: datetime, noticed_at: datetime) -> datetime:
    """When an order completes by itself, told at `noticed_at`: as scheduled, but never less
    than the notice period after the notice (a clock that was paused gives the customer the
    whole notice when it resumes)."""
    return max(scheduled, noticed_at + AUTO_COMPLETE_NOTICE)


def _days(n: int) -> str:
    return f"{n} calendar day{'s' if n != 1 else ''}"


# A line that starts a new point of a pasted list: "- ", "* ", "• ", "1. ", "2) ", "[ ] ".
# A marker alone on its line (a bullet started and left empty) starts an empty point.
_LIST_MARKER = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,3}[.)]|\[[ xX]?\])(?:\s+|$)")


def split_items(text: str) -> list[str]:
    """The points of a revision request written as one text: a pasted list splits at its
    markers (a line without one continues the point above), anything else at each non-blank
    line. Markers and surrounding blanks are dropped."""
    lines = [line.rstrip() for line in (text or "").splitlines()]
    if not any(_LIST_MARKER.match(line) for line in lines):
        return [line.strip() for line in lines if line.strip()]
    items: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        marker = _LIST_MARKER.match(line)
        if marker:
            items.append(line[marker.end() :].strip())
        elif items:
            items[-1] = f"{items[-1]} {line.strip()}".lstrip()
        else:
            items.append(line.strip())
    return [item for item in items if item]


@dataclass(frozen=True)
class Mark:
    """One checklist point as a reviewer marked it."""

    point: str
    passed: bool
    comment: str = ""


def scorecard_decision(marks: Sequence[Mark]) -> str:
    """What a scorecard decides by itself: any failed point sends the work back."""
    return "revise" if any(not m.passed for m in marks) else "approve"
