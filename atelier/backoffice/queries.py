"""The console's read side: every order, filtered; one order with everything an agent looks at;
the flags inbox; pros found by search. Each list costs a fixed number of queries."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from atelier.accounts.models import User
from atelier.orders.models import (
    Comment,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    RevisionRequest,
    Submission,
)
from atelier.orders.workflow import CLOSED_STATUSES, DELIVERED_STATUSES
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import Balance, balances

# --- all orders --------------------------------------------------------------------------------

_ID = re.compile(r"^\s*(#)?\s*(\d+)\s*$")


def flow_filter(flow: str) -> Q:
    """The fields behind Order.flow, so the database can filter on a flow."""
    if flow == Order.Flow.MARKETPLACE:
        return ~Q(assignment=Order.Assignment.DIRECT)
    return Q(
        assignment=Order.Assignment.DIRECT,
        expert_may_close=flow == Order.Flow.EXPERT_HUB,
    )


def search_filter(text: str) -> Q:
    """ "#123" is an id; "123" an id or a title; anything else a title or either party's e-mail."""
    text = text.strip()
    if match := _ID.match(text):
        by_id = Q(pk=int(match.group(2)))
        return by_id if match.group(1) else by_id | Q(title__icontains=text)
    return (
        Q(title__icontains=text)
        | Q(customer__email__icontains=text)
        | Q(expert__email__icontains=text)
    )


@dataclass(frozen=True)
class OrderFilters:
    status: str = ""
    flow: str = ""
    service: str = ""  # slug
    flagged: bool = False
    expert: str = ""  # e-mail, or part of one
    overdue: bool = False
    closable: bool = False
    q: str = ""


def console_orders(filters: OrderFilters, *, now: datetime) -> QuerySet[Order]:
    late = Q(due_at__lt=now) & ~Q(status__in=CLOSED_STATUSES)
    orders = Order.objects.select_related("service", "customer", "expert").annotate(
        open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)),
        is_overdue=ExpressionWrapper(late, output_field=BooleanField()),
    )
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.flow:
        orders = orders.filter(flow_filter(filters.flow))
    if filters.service:
        orders = orders.filter(service__slug=filters.service)
    if filters.flagged:
        orders = orders.filter(open_flags__gt=0)
    if filters.expert:
        orders = orders.filter(expert__email__icontains=filters.expert.strip())
    if filters.overdue:
        orders = orders.filter(late)
    if filters.closable:
        orders = orders.filter(
            closable_at__lte=now, status__in=DELIVERED_STATUSES, expert_may_close=True
        )
    if filters.q.strip():
        orders = orders.filter(search_filter(filters.q))
    return orders.order_by("-created_at", "-pk")


# --- one order ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDossier:
    """Everything the agent's order page shows, each list fetched once."""

    documents: list[OrderFile]
    invitations: list[Invitation]
    submissions: list[Submission]
    revision_requests: list[RevisionRequest]
    fee_requests: list[FeeRequest]
    comments: list[Comment]
    flags: list[Flag]
    events: list[Event]
    ledger: list[LedgerEntry]
    balances: list[Balance]
    linked_from: list[Order]

    @property
    def pending_triage(self) -> list[RevisionRequest]:
        return [
            r for r in self.revision_requests if r.status == RevisionRequest.Status.PENDING_TRIAGE
        ]

    @property
    def requested_fees(self) -> list[FeeRequest]:
        return [f for f in self.fee_requests if f.status == FeeRequest.Status.REQUESTED]

    @property
    def open_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.is_open]


def order_dossier(order: Order) -> OrderDossier:
    return OrderDossier(
        documents=list(order.files.filter(submission=None, revision_request=None, comment=None)),
        invitations=list(order.invitations.select_related("expert", "invited_by")),
        # Every submission, those still in QC too, with the reviewers' comments.
        submissions=list(
            order.submissions.select_related("expert").prefetch_related(
                "files", "reviews__reviewer"
            )
        ),
        revision_requests=list(
            order.revision_requests.select_related(
                "requested_by", "triaged_by", "submission"
            ).prefetch_related("files")
        ),
        fee_requests=list(
            order.fee_requests.select_related("requested_by", "decided_by", "revision_request")
        ),
        comments=list(order.comments.select_related("author").prefetch_related("files")),
        flags=list(
            order.flags.select_related("raised_by", "resolved_by").order_by(
                F("resolved_at").desc(nulls_first=True), "created_at"
            )
        ),
        events=list(order.events.select_related("actor")),
        ledger=list(LedgerEntry.objects.filter(order=order).select_related("expert")),
        balances=balances(order.expert) if order.expert_id else [],
        linked_from=list(order.linked_from.all()),
    )


# --- pros to invite ----------------------------------------------------------------------------

PICKER_SIZE = 25


def invitable_experts(order: Order) -> QuerySet[User]:
    """Active experts not yet invited to `order` and not its expert."""
    return (
        User.objects.filter(is_expert=True, is_active=True)
        .exclude(invitations__order=order)
        .exclude(pk=order.expert_id or 0)
        .order_by("email")
    )


def find_experts(order: Order, text: str, *, limit: int = PICKER_SIZE) -> list[User]:
    experts = invitable_experts(order)
    if text.strip():
        text = text.strip()
        experts = experts.filter(Q(email__icontains=text) | Q(name__icontains=text))
    return list(experts[:limit])


@dataclass(frozen=True)
class InvitePicker:
    """The invite panel's pros: those ticked so far, then those the search finds."""

    chosen: list[User]
    found: list[User]
    text: str
    limit: int = PICKER_SIZE


def invite_picker(order: Order, text: str, ticked: list[str]) -> InvitePicker:
    pks = [pk for pk in ticked if pk.isdigit()]
    chosen = list(invitable_experts(order).filter(pk__in=pks)) if pks else []
    found = [e for e in find_experts(order, text) if e not in chosen]
    return InvitePicker(chosen=chosen, found=found, text=text)


# --- flags inbox -------------------------------------------------------------------------------


def flags_inbox(*, kind: str = "", state: str = "") -> QuerySet[Flag]:
    """Open flags first, oldest first (they have waited longest); then the recently resolved."""
    flags = Flag.objects.select_related("order", "raised_by", "resolved_by")
    if kind:
        flags = flags.filter(kind=kind)
    if state == "open":
        flags = flags.filter(resolved_at__isnull=True)
    elif state == "resolved":
        flags = flags.filter(resolved_at__isnull=False)
    return flags.order_by(F("resolved_at").desc(nulls_first=True), "created_at", "pk")
