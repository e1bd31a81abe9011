"""The console's read side: every order, filtered; one order with everything an agent looks at;
the flags inbox; pros found by search. Each list costs a fixed number of queries."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.orders.models import (
    Comment,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
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


# A search names at most this many people by e-mail; past it, the orders are matched by a join.
PEOPLE_LIMIT = 500


def people_matching(text: str, *, field: str) -> Q:
    """Orders whose `field` ("customer" or "expert") has an e-mail containing `text`. The people
    are found first (one query on the users' e-mail index), so that the orders are then read by
    their own indexes on customer and expert rather than by joining every order to its people."""
    pks = list(
        User.objects.filter(email__icontains=text).values_list("pk", flat=True)[: PEOPLE_LIMIT + 1]
    )
    if len(pks) > PEOPLE_LIMIT:
        return Q(**{f"{field}__email__icontains": text})
    return Q(**{f"{field}_id__in": pks})


def search_filter(text: str) -> Q:
    """ "#123" is an id; "123" an id or a title; anything else a title or either party's e-mail
    (the people are looked up as it is built: see people_matching)."""
    text = text.strip()
    if match := _ID.match(text):
        by_id = Q(pk=int(match.group(2)))
        return by_id if match.group(1) else by_id | Q(title__icontains=text)
    return (
        Q(title__icontains=text)
        | people_matching(text, field="customer")
        | people_matching(text, field="expert")
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


def _open_flags() -> QuerySet[Flag]:
    return Flag.objects.filter(order=OuterRef("pk"), resolved_at__isnull=True)


def console_orders(filters: OrderFilters, *, now: datetime) -> QuerySet[Order]:
    """Every order the filters let through, newest first. Each filter is a condition on the
    order's own row (or an EXISTS on its open flags), so that a page of the list is one index
    range read however many orders there are; the open-flag count is computed for the rows
    shown only."""
    late = Q(due_at__lt=now) & ~Q(status__in=CLOSED_STATUSES)
    count = _open_flags().order_by().values("order").annotate(n=Count("pk")).values("n")
    orders = Order.objects.select_related("service", "customer", "expert").annotate(
        open_flags=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        is_overdue=ExpressionWrapper(late, output_field=BooleanField()),
    )
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.flow:
        orders = orders.filter(flow_filter(filters.flow))
    if filters.service:
        # The service's id as a value the planner knows before it reads orders (an InitPlan).
        service = Service.objects.filter(slug=filters.service).values("pk")[:1]
        orders = orders.filter(service_id=Subquery(service))
    if filters.flagged:
        orders = orders.filter(Exists(_open_flags()))
    if filters.expert.strip():
        orders = orders.filter(people_matching(filters.expert.strip(), field="expert"))
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
    """Each list in one query, whatever its length. The order's files come in one query too:
    each submission, revision request and comment gets its own as `attached`."""
    files: dict[tuple[str, int | None], list[OrderFile]] = defaultdict(list)
    for file in order.files.all():
        files[_owner(file)].append(file)
    submissions = list(
        # Every submission, those still in QC too, with the reviewers' comments.
        order.submissions.select_related("expert").prefetch_related(
            Prefetch("reviews", queryset=QCReview.objects.select_related("reviewer"))
        )
    )
    revision_requests = list(
        order.revision_requests.select_related("requested_by", "triaged_by", "submission")
    )
    comments = list(order.comments.select_related("author"))
    for kind, items in [
        ("submission", submissions),
        ("revision_request", revision_requests),
        ("comment", comments),
    ]:
        for item in items:
            item.attached = files.get((kind, item.pk), [])
    return OrderDossier(
        documents=files.get(("order", None), []),
        invitations=list(order.invitations.select_related("expert", "invited_by")),
        submissions=submissions,
        revision_requests=revision_requests,
        fee_requests=list(
            order.fee_requests.select_related("requested_by", "decided_by", "revision_request")
        ),
        comments=comments,
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


def _owner(file: OrderFile) -> tuple[str, int | None]:
    """What `file` belongs to: a submission, a revision request, a comment, or else the order
    itself (the customer's documents)."""
    for kind in ("submission", "revision_request", "comment"):
        if pk := getattr(file, f"{kind}_id"):
            return kind, pk
    return "order", None


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
