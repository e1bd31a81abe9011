"""The console's read side: every order, filtered; one order with everything an agent looks at,
tab by tab; the flags inbox; QC's appeals; pros found by search. Each list costs a fixed number
of queries."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
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
    Appeal,
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
    due_first: bool = False  # only orders not delivered yet, soonest due first


# How a page of the console's list is ordered: keyset_page's key and direction.
NEWEST_FIRST = {"key": "created_at"}
DUE_FIRST = {"key": "due_at", "ascending": True}


def _open_flags() -> QuerySet[Flag]:
    return Flag.objects.filter(order=OuterRef("pk"), resolved_at__isnull=True)


def console_orders(filters: OrderFilters, *, now: datetime) -> QuerySet[Order]:
    """Every order the filters let through, newest first. Each filter is a condition on the
    order's own row (or an EXISTS on its open flags), so that a page of the list is one index
    range read however many orders there are; the open-flag count is computed for the rows
    shown only."""
    late = Q(due_at__lt=now, first_delivered_at=None) & ~Q(status__in=CLOSED_STATUSES)
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
    if filters.due_first:
        # The orders still owed a first delivery, read along their partial index by due date.
        orders = orders.filter(due_at__isnull=False, first_delivered_at=None).exclude(
            status__in=CLOSED_STATUSES
        )
        return orders.order_by("due_at", "-pk")
    return orders.order_by("-created_at", "-pk")


# --- one order ---------------------------------------------------------------------------------


# The order page's tabs. Each shows a part of the order and loads only that part.
TABS = {
    "overview": "Overview",
    "work": "Work",
    "conversation": "Conversation",
    "timeline": "Timeline",
    "money": "Money",
}


@dataclass(frozen=True)
class OrderDossier:
    """What one tab of the agent's order page shows, each list fetched once; the lists of the
    other tabs stay empty."""

    documents: list[OrderFile] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    linked_from: list[Order] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    revision_requests: list[RevisionRequest] = field(default_factory=list)
    fee_requests: list[FeeRequest] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)  # newest first

    @property
    def pending_appeals(self) -> list[Appeal]:
        return [a for a in self.appeals if a.status == Appeal.Status.PENDING]

    @property
    def waiting_in_qc(self) -> Submission | None:
        """The latest submission while it waits for QC's review (what a reviewer holds)."""
        latest = self.submissions[0] if self.submissions else None
        if latest is None or latest.order.status != Order.Status.IN_QC or latest.reviews.all():
            return None
        return latest

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


def order_dossier(order: Order, tab: str) -> OrderDossier:
    """What `tab` shows, each list in one query whatever its length."""
    return _DOSSIERS[tab](order)


def _overview(order: Order) -> OrderDossier:
    return OrderDossier(
        # The customer's documents only: the others belong to the work and the conversation.
        documents=list(
            order.files.filter(
                submission__isnull=True, revision_request__isnull=True, comment__isnull=True
            )
        ),
        invitations=list(order.invitations.select_related("expert", "invited_by")),
        linked_from=list(order.linked_from.all()),
    )


def _work(order: Order) -> OrderDossier:
    """The submissions (those still in QC too, with the reviews: comments, scorecard, points sent
    back and any appeal), revision requests and fees. Their files come in one query: each
    submission and revision request gets its own as `attached`."""
    reviews = QCReview.objects.select_related(
        "reviewer", "appeal__expert", "appeal__decided_by"
    ).prefetch_related("items")
    submissions = list(
        order.submissions.select_related("expert").prefetch_related(
            Prefetch("reviews", queryset=reviews)
        )
    )
    for submission in submissions:
        submission.order = order  # the page's order, with what it was fetched with
    revision_requests = list(
        order.revision_requests.select_related("requested_by", "triaged_by", "submission")
    )
    _attach(
        order.files.filter(Q(submission__isnull=False) | Q(revision_request__isnull=False)),
        submission=submissions,
        revision_request=revision_requests,
    )
    return OrderDossier(
        submissions=submissions,
        appeals=[r.appeal for s in submissions for r in s.reviews.all() if hasattr(r, "appeal")],
        revision_requests=revision_requests,
        fee_requests=list(
            order.fee_requests.select_related("requested_by", "decided_by", "revision_request")
        ),
    )


def _conversation(order: Order) -> OrderDossier:
    comments = list(order.comments.select_related("author"))
    _attach(order.files.filter(comment__isnull=False), comment=comments)
    return OrderDossier(
        comments=comments,
        flags=list(
            order.flags.select_related("raised_by", "resolved_by").order_by(
                F("resolved_at").desc(nulls_first=True), "created_at"
            )
        ),
    )


def _timeline(order: Order) -> OrderDossier:
    return OrderDossier(events=list(order.events.select_related("actor")))


def _money(order: Order) -> OrderDossier:
    return OrderDossier(
        ledger=list(LedgerEntry.objects.filter(order=order).select_related("expert")),
        balances=balances(order.expert) if order.expert_id else [],
    )


_DOSSIERS = {
    "overview": _overview,
    "work": _work,
    "conversation": _conversation,
    "timeline": _timeline,
    "money": _money,
}


def _attach(files: QuerySet[OrderFile], **owners: list) -> None:
    """Give each item of `owners` (lists keyed by what a file points at: "submission"...) its
    files as `attached`."""
    by_owner: dict[tuple[str, int | None], list[OrderFile]] = defaultdict(list)
    for file in files:
        by_owner[_owner(file)].append(file)
    for kind, items in owners.items():
        for item in items:
            item.attached = by_owner.get((kind, item.pk), [])


@dataclass(frozen=True)
class Attention:
    """What waits for an agent on the order, shown beside the tab that holds it."""

    pending_triage: int
    requested_fees: int
    open_flags: int
    pending_appeals: int

    def waiting(self, tab: str) -> int:
        """How many things on `tab` wait for an agent's decision."""
        return {
            "work": self.pending_triage + self.requested_fees + self.pending_appeals,
            "conversation": self.open_flags,
        }.get(tab, 0)


def _count(rows: QuerySet) -> Coalesce:
    n = rows.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk"))
    return Coalesce(Subquery(n.values("n"), output_field=IntegerField()), 0)


def with_attention(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders` with what waits for an agent on each, in the same query (see `attention`)."""
    return orders.annotate(
        pending_triage=_count(
            RevisionRequest.objects.filter(status=RevisionRequest.Status.PENDING_TRIAGE)
        ),
        requested_fees=_count(FeeRequest.objects.filter(status=FeeRequest.Status.REQUESTED)),
        open_flags=_count(Flag.objects.filter(resolved_at__isnull=True)),
        pending_appeals=_count(Appeal.objects.filter(status=Appeal.Status.PENDING)),
    )


def attention(order: Order) -> Attention:
    """What waits for an agent on `order`, fetched through `with_attention`."""
    return Attention(
        pending_triage=order.pending_triage,
        requested_fees=order.requested_fees,
        open_flags=order.open_flags,
        pending_appeals=order.pending_appeals,
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


# --- the quality loop: QC's reviewers, appeals of a send-back ----------------------------------


def qc_holder(order: Order, *, now: datetime) -> User | None:
    """The reviewer who holds the order's submission now; None while it is in the queue (nobody
    claimed it, or the claim ran out). Needs `qc_reviewer` selected with the order."""
    if order.qc_claimed_until is None or order.qc_claimed_until <= now:
        return None
    return order.qc_reviewer


def qc_reviewers(order: Order) -> QuerySet[User]:
    """Who may be given the order's submission to review: active QC reviewers but its expert
    (access.may_review)."""
    reviewers = User.objects.filter(is_reviewer=True, is_active=True)
    return reviewers.exclude(pk=order.expert_id or 0).order_by("email")


APPEAL_STATES = ("pending", "upheld", "overturned", "withdrawn")


def appeals(status: str = "") -> QuerySet[Appeal]:
    """The appeals with `status` (any: ""): those waiting for an agent first, oldest first (they
    have waited longest), then the decided ones, most recently decided first."""
    rows = Appeal.objects.select_related(
        "order__service", "expert", "review__reviewer", "review__submission", "decided_by"
    )
    if status:
        rows = rows.filter(status=status)
    if status == Appeal.Status.PENDING:
        return rows.order_by("created_at", "pk")  # along the partial index of pending appeals
    pending_first = F("decided_at").desc(nulls_first=True)
    return rows.order_by(pending_first, "created_at", "pk")


def pending_appeal_count() -> int:
    return Appeal.objects.filter(status=Appeal.Status.PENDING).count()


# --- on-time deliveries -----------------------------------------------------------------------


def on_time_rates(*group_by: str):
    """Rows of `group_by` values with `delivered` (first deliveries that had a due date),
    `on_time`, `late`, `rate` (percent on time) and `average_late` (of the late ones),
    worst rate first."""
    late = Q(delivered_at__gt=F("due_at"))
    return (
        Submission.objects.filter(due_at__isnull=False, delivered_at__isnull=False)
        .values(*group_by)
        .annotate(
            delivered=Count("pk"),
            late=Count("pk", filter=late),
            average_late=Avg(F("delivered_at") - F("due_at"), filter=late),
        )
        .annotate(
            on_time=F("delivered") - F("late"),
            rate=ExpressionWrapper(
                (F("delivered") - F("late")) * 100.0 / F("delivered"), output_field=FloatField()
            ),
        )
        .order_by("rate", *group_by)
    )
