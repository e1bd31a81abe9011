"""The order state machine: which status may follow which, and the one function that moves it."""

from typing import Any

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, NotFound

from .events import record_event
from .models import Order

S = Order.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.INVITED, S.IN_PROGRESS, S.CANCELLED}),
    # Back to open when every invited pro declined.
    S.INVITED: frozenset({S.IN_PROGRESS, S.OPEN, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.IN_QC, S.DELIVERED, S.CANCELLED}),
    # QC approves (delivered / revision delivered) or sends it back to the expert.
    S.IN_QC: frozenset(
        {S.DELIVERED, S.REVISION_SUBMITTED, S.IN_PROGRESS, S.REVISION_REQUESTED, S.CANCELLED}
    ),
    S.DELIVERED: frozenset({S.REVISION_REQUESTED, S.COMPLETED, S.CANCELLED}),
    # A revision is submitted (to QC or the customer), or the request is rejected or withdrawn
    # (back to what the customer had), or an agent completes.
    S.REVISION_REQUESTED: frozenset(
        {S.IN_QC, S.REVISION_SUBMITTED, S.DELIVERED, S.COMPLETED, S.CANCELLED}
    ),
    S.REVISION_SUBMITTED: frozenset({S.REVISION_REQUESTED, S.COMPLETED, S.CANCELLED}),
    # An agent reopens: back to the customer's decision on what they had, or back to the
    # expert for a revision.
    S.COMPLETED: frozenset({S.DELIVERED, S.REVISION_SUBMITTED, S.REVISION_REQUESTED}),
    S.CANCELLED: frozenset(),
}

# Statuses in which the customer has a delivery in hand.
DELIVERED_STATUSES = frozenset({S.DELIVERED, S.REVISION_SUBMITTED})
# Statuses after which nobody but an agent may change the order (DESIGN rule 10).
CLOSED_STATUSES = frozenset({S.COMPLETED, S.CANCELLED})


def lock_order(order_or_pk: Order | int) -> Order:
    """Fetch the order's current row, locked until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transactions already hold the database's write lock)."""
    pk = order_or_pk.pk if isinstance(order_or_pk, Order) else order_or_pk
    try:
        # Lock the order row only: a plain FOR UPDATE would also lock the joined service and
        # customer rows, making every order of that service or customer wait on this one.
        return (
            Order.objects.select_for_update(of=("self",))
            .select_related("service", "customer")
            .get(pk=pk)
        )
    except Order.DoesNotExist:
        raise NotFound("No such order.") from None


def transition(
    order: Order,
    to: str,
    *,
    actor: User | None,
    verb: str,
    fields: dict[str, Any] | None = None,
    **details: Any,
) -> Order:
    """Move `order` (fetched with lock_order) to status `to`, saving `fields` with it, and record
    the event. The update is conditional on the status we read, so a concurrent change that
    slipped past the lock makes this fail with a conflict instead of overwriting it."""
    from_status = order.status
    if to not in TRANSITIONS[from_status]:
        raise Conflict(
            f"An order that is {order.get_status_display().lower()} cannot become "
            f"{S(to).label.lower()}.",
            code="invalid_state",
        )
    changes = {"status": to, "updated_at": clock.now(), **(fields or {})}
    if Order.objects.filter(pk=order.pk, status=from_status).update(**changes) != 1:
        raise Conflict("The order changed meanwhile; reload and try again.", code="stale")
    for name, value in changes.items():
        setattr(order, name, value)
    record_event(order, verb, actor=actor, from_status=from_status, to_status=to, **details)
    return order
