"""The read side of the expert's pages: their work grouped by what needs doing."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.urls import reverse

from atelier.accounts.models import User
from atelier.core import clock

from .clocks import Clock, next_clock, with_clock_facts
from .models import Invitation, Order, Submission
from .queries import Party, close_blockers, whose_move, with_close_facts
from .workflow import DELIVERED_STATUSES, S

DONE_LIMIT = 10
# The overview shows each group's first rows; "Show all" opens the group alone, paginated.
SECTION_LIMIT = 10


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
    clock: Clock | None = None  # the expert's next deadline on it (orders/clocks.py)
    note: str = ""  # why it is in its group, when the group alone does not say


@dataclass(frozen=True)
class Group:
    slug: str
    title: str
    help: str
    empty: str
    rows: list[Row]


def _order_row(order: Order, note: str = "", clock: Clock | None = None) -> Row:
    return Row(
        title=order.title,
        url=reverse("order-detail", args=[order.pk]),
        service=order.service.name,
        reward=order.reward_amount,
        currency=order.reward_currency,
        status=order.status,
        status_label=order.get_status_display(),
        due_at=order.due_at,
        clock=clock,
        note=note,
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
    )


def _rows(orders) -> list[Row]:
    return [_order_row(o) for o in orders]


def _by_deadline(row: tuple[Order, Clock | None]) -> tuple:
    # Soonest next deadline first; orders without one after them, oldest first.
    order, next_ = row
    return (next_ is None, next_.at if next_ else order.created_at, order.created_at)


def expert_dashboard(
    expert: User, *, now: datetime | None = None, all_done: bool = False
) -> list[Group]:
    """The expert's invitations and orders in the groups of the dashboard, in a fixed number of
    queries: pending invitations, active orders (annotated), completed orders (the most recent
    DONE_LIMIT, or with `all_done` every one, for the "Done" group shown alone and paginated)."""
    now = now or clock.now()
    invitations = list(
        Invitation.objects.filter(expert=expert, status=Invitation.Status.PENDING)
        .select_related("order__service")
        .order_by("-created_at")
    )
    active = with_clock_facts(
        with_close_facts(
            Order.objects.filter(expert=expert)
            .exclude(status__in=[S.COMPLETED, S.CANCELLED])
            .select_related("service")
            .annotate(has_submission=Exists(Submission.objects.filter(order=OuterRef("pk"))))
        )
    )
    new, revision, closable, ask_agent, waiting, with_agent, in_qc = [], [], [], [], [], [], []
    timed = [(order, next_clock(order, expert, now=now)) for order in active]
    for order, next_ in sorted(timed, key=_by_deadline):
        match whose_move(order):
            case Party.EXPERT:
                # Back in progress with a submission: QC sent the first draft back.
                is_new = order.status == S.IN_PROGRESS and not order.has_submission
                (new if is_new else revision).append(_order_row(order, clock=next_))
            case Party.QC:
                in_qc.append(_order_row(order, clock=next_))
            case Party.AGENT:
                with_agent.append(_order_row(order, clock=next_))
            case Party.CUSTOMER:
                due = order.expert_closable_at is not None and order.expert_closable_at <= now
                if not (due and order.status in DELIVERED_STATUSES):
                    waiting.append(_order_row(order, clock=next_))
                # The close action's own question (rule 8): may the expert close it alone?
                elif blockers := close_blockers(order):
                    ask_agent.append(_order_row(order, " ".join(blockers), clock=next_))
                else:
                    closable.append(_order_row(order, clock=next_))
    done = (
        Order.objects.filter(expert=expert, status=S.COMPLETED)
        .select_related("service")
        .order_by("-completed_at", "-pk")
    )
    if not all_done:
        done = done[:DONE_LIMIT]
    return [
        Group(
            "new",
            "New",
            "Invitations waiting for your answer, and orders to start.",
            "No new invitations or orders.",
            [_invitation_row(i) for i in invitations] + new,
        ),
        Group(
            "revision",
            "Revision requested",
            "The customer asked for changes, or QC sent your work back.",
            "No revisions to make.",
            revision,
        ),
        Group(
            "closable",
            "Closable now",
            "Delivered long enough ago, and opened by the customer: you may close them with a "
            "farewell.",
            "Nothing to close right now.",
            closable,
        ),
        Group(
            "ask_agent",
            "Ask an agent to close",
            "Past their closing date, but you cannot close them alone (each says why): ask an "
            "agent to close them with “Request close” on the order's work tab.",
            "Nothing for an agent to close.",
            ask_agent,
        ),
        Group(
            "waiting",
            "Waiting on the customer",
            "Delivered: the customer reviews your work, or answers a quoted fee.",
            "Nothing waiting on a customer.",
            waiting,
        ),
        Group(
            "with_agent",
            "Waiting on an agent",
            "An agent checks the customer's revision request before it comes to you.",
            "Nothing waiting on an agent.",
            with_agent,
        ),
        Group(
            "in_qc",
            "In QC",
            "A reviewer checks your submission before the customer sees it.",
            "Nothing in QC.",
            in_qc,
        ),
        Group(
            "done",
            "Done",
            "Your completed orders, most recent first."
            if all_done
            else f"Your {DONE_LIMIT} most recently completed orders.",
            "No completed orders yet.",
            _rows(done),
        ),
    ]
