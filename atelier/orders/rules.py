"""The time and budget rules of DESIGN.md as pure functions of an order's facts.

No database, no clock: callers pass the facts and the platform time zone, and get back the moment
and the human reason, so a page can show exactly what the rule decided.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from atelier.core.time import add_calendar_days, describe

CLOSE_AFTER_DAYS = 7  # rule 7: closable 7 calendar days after the first delivery
LATE_REVISION_DAYS = 2  # rule 7: a revision on/after the eligibility day moves it 2 days on


@dataclass(frozen=True)
class Eligibility:
    at: datetime | None  # None: not delivered yet
    reason: str


def closing_eligibility(deliveries: Sequence[datetime], tz: ZoneInfo) -> Eligibility:
    """When the expert may close (rule 7), given every delivery moment of the order."""
    if not deliveries:
        return Eligibility(
            None,
            f"Closable {CLOSE_AFTER_DAYS} days after the first delivery; nothing delivered yet.",
        )
    first, *later = sorted(deliveries)
    at = add_calendar_days(first, CLOSE_AFTER_DAYS, tz)
    reason = f"{CLOSE_AFTER_DAYS} calendar days after the first delivery ({describe(first, tz)})."
    eligibility_day = at.astimezone(tz).date()
    for delivered in later:
        if delivered.astimezone(tz).date() < eligibility_day:
            continue
        moved = add_calendar_days(delivered, LATE_REVISION_DAYS, tz)
        if moved > at:
            at = moved
            reason = (
                f"{LATE_REVISION_DAYS} calendar days after the revision delivered "
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


def is_over_revision_budget(*, included: int, requested: int) -> bool:
    """Whether this many revision requests exceed the service's allowance (rule 5)."""
    return requested > included
