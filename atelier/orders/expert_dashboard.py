"""The read side of the expert's pages: their work grouped by what needs doing."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.urls import reverse

from atelier.accounts.models import User
from atelier.core import clock

from .models import Invitation, Order, RevisionRequest, Submission
from .workflow import DELIVERED_STATUSES, S

DONE_LIMIT = 10


@dataclass(frozen=True)
class Row:
    """One line of the dashboard: an order, or an invitation to one."""

    title: str
    url: str
    service: str
    reward: Decimal
    currency: str
    status: str  # an Order.Status value, or "invitation"
    status_label: str
    due_at: datetime | None
    next_at: datetime | None  # when the expert may close it (expert hub)


@dataclass(frozen=True)
class Group:
    slug: str
    title: str
    help: str
    empty: str
    rows: list[Row]


def _order_row(order: Order) -> Row:
    return Row(
        title=order.title,
        url=reverse("order-detail", args=[order.pk]),
        service=order.service.name,
        reward=order.reward_amount,
        currency=order.reward_currency,
        status=order.status,
        status_label=order.get_status_display(),
        due_at=order.due_at,
        # Only where the expert closes (expert hub), and only while there is something to close.
        next_at=order.closable_at
        if order.expert_may_close and order.status != Order.Status.COMPLETED
        else None,
    )


def _invitation_row(invitation: Invitation) -> Row:
    order = invitation.order
    return Row(
        title=order.title,
        url=reverse("invitation-detail", args=[invitation.pk]),
        service=order.service.name,
        reward=order.reward_amount,
        currency=order.reward_currency,
        status="invitation",
        status_label="Invitation" + (": first to accept wins" if order.is_speedy_like else ""),
        due_at=order.due_at,
        next_at=None,
    )


def _rows(orders) -> list[Row]:
    return [_order_row(o) for o in orders]


def _by_due(order: Order) -> tuple:
    # Soonest due first; orders without a due date after them, oldest first.
    return (order.due_at is None, order.due_at or order.created_at, order.created_at)


def expert_dashboard(expert: User, *, now: datetime | None = None) -> list[Group]:
    """The expert's invitations and orders in the groups of the dashboard, in a fixed number of
    queries: pending invitations, active orders (annotated), recently completed orders."""
    now = now or clock.now()
    invitations = list(
        Invitation.objects.filter(expert=expert, status=Invitation.Status.PENDING)
        .select_related("order__service")
        .order_by("-created_at")
    )
    active = (
        Order.objects.filter(expert=expert)
        .exclude(status__in=[S.COMPLETED, S.CANCELLED])
        .select_related("service")
        .annotate(
            has_submission=Exists(Submission.objects.filter(order=OuterRef("pk"))),
            has_open_request=Exists(
                RevisionRequest.objects.filter(
                    order=OuterRef("pk"), status=RevisionRequest.Status.OPEN
                )
            ),
        )
    )
    new, revision, closable, waiting, in_qc = [], [], [], [], []
    for order in sorted(active, key=_by_due):
        if order.status == S.IN_PROGRESS:
            # Back in progress with a submission: QC sent the first draft back.
            (revision if order.has_submission else new).append(order)
        elif order.status == S.REVISION_REQUESTED:
            # Without an open request it waits for an agent's triage or the customer's fee.
            (revision if order.has_open_request else waiting).append(order)
        elif order.status == S.IN_QC:
            in_qc.append(order)
        elif order.status in DELIVERED_STATUSES:
            is_closable = order.expert_may_close and order.closable_at and order.closable_at <= now
            (closable if is_closable else waiting).append(order)
    done = (
        Order.objects.filter(expert=expert, status=S.COMPLETED)
        .select_related("service")
        .order_by("-completed_at")[:DONE_LIMIT]
    )
    return [
        Group(
            "new",
            "New",
            "Invitations waiting for your answer, and orders to start.",
            "No new invitations or orders.",
            [_invitation_row(i) for i in invitations] + _rows(new),
        ),
        Group(
            "revision",
            "Revision requested",
            "The customer asked for changes, or QC sent your work back.",
            "No revisions to make.",
            _rows(revision),
        ),
        Group(
            "closable",
            "Closable now",
            "Delivered long enough ago that you may close them with a farewell.",
            "Nothing to close right now.",
            _rows(closable),
        ),
        Group(
            "waiting",
            "Waiting on the customer",
            "Delivered: the customer reviews your work (or an agent looks at their request).",
            "Nothing waiting on a customer.",
            _rows(waiting),
        ),
        Group(
            "in_qc",
            "In QC",
            "A reviewer checks your submission before the customer sees it.",
            "Nothing in QC.",
            _rows(in_qc),
        ),
        Group(
            "done",
            "Done",
            f"Your {DONE_LIMIT} most recently completed orders.",
            "No completed orders yet.",
            _rows(done),
        ),
    ]
