"""The read side: what a person may see, shaped for pages."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from atelier.accounts.models import User

from . import access, rules
from .models import (
    ExtensionRequest,
    FeeRequest,
    Flag,
    Order,
    OrderFile,
    QCReview,
    RevisionItem,
    RevisionRequest,
    Submission,
)
from .workflow import CLOSED_STATUSES, DELIVERED_STATUSES

S = Order.Status


def with_move_facts(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders` with what `whose_move` reads of their revision requests, in the same query."""
    requests = RevisionRequest.objects.filter(order=OuterRef("pk"))
    return orders.annotate(
        pending_triage=Exists(requests.filter(status=RevisionRequest.Status.PENDING_TRIAGE)),
        awaiting_fee=Exists(requests.filter(status=RevisionRequest.Status.AWAITING_FEE)),
    )


# The sort key of an order without a deadline: after every real one.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


def customer_deadline() -> Case:
    """The customer's next deadline on an order, as a column expression (their clocks in
    orders/clocks.py, for sorting): the due date until the first delivery, then the moment an
    unanswered delivery completes the order (or, expert hub, the expert may close it); none while
    that clock is paused, nor once the order is completed or cancelled."""
    return Case(
        When(status__in=CLOSED_STATUSES, then=Value(None)),
        # Completes by itself (unless that clock is paused: not the customer's move), or (expert
        # hub) the expert may close.
        When(
            Q(status__in=DELIVERED_STATUSES) & ~response_paused(),
            then=Coalesce("auto_complete_at", "closable_at"),
        ),
        When(first_delivered_at__isnull=True, then=F("due_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def customer_orders(user: User) -> QuerySet[Order]:
    """The customer's own orders with what `next_move` needs and `deadline_key`, their next
    deadline (NO_DEADLINE for none): lists show the soonest first, then the others newest
    first (keyset_page(key="deadline_key", ascending=True))."""
    return with_move_facts(
        Order.objects.filter(customer=user).select_related("service", "expert")
    ).annotate(deadline_key=Coalesce(customer_deadline(), Value(NO_DEADLINE)))


class Party(StrEnum):
    """Whose move an order waits for."""

    CUSTOMER = "customer"
    EXPERT = "expert"
    AGENT = "agent"
    QC = "qc"
    PROS = "pros"  # the pros invited to take it
    NOBODY = ""  # completed or cancelled


def whose_move(order: Order) -> Party:
    """Who the order waits for: the one answer to "whose move" that every page and list uses.
    Reads the `with_move_facts` annotations when the order has them, else asks the database."""
    match order.status:
        case S.OPEN:
            return Party.AGENT
        case S.INVITED:
            return Party.PROS
        case S.IN_PROGRESS:
            return Party.EXPERT
        case S.IN_QC:
            return Party.QC
        case S.DELIVERED | S.REVISION_SUBMITTED:
            return Party.CUSTOMER
        case S.REVISION_REQUESTED:
            if not hasattr(order, "pending_triage"):
                order = with_move_facts(Order.objects.filter(pk=order.pk)).get()
            if order.pending_triage:
                return Party.AGENT  # triage
            if order.awaiting_fee:
                return Party.CUSTOMER  # a quoted fee to accept or decline
            return Party.EXPERT
    return Party.NOBODY


@dataclass(frozen=True)
class NextMove:
    who: str  # "you", "the expert", "QC", "an agent", "the invited pros", or "" when done
    what: str  # what they do next, said so that "<who> to <what>" reads well
    when: datetime | None = None  # the next date that matters, if any
    when_label: str = ""  # what that date is, said so that "<when_label> <date>" reads well


def next_move(order: Order, *, viewer: User) -> NextMove:
    """Whose move it is on `order` and what they are expected to do, from `viewer`'s side."""
    party = whose_move(order)
    customer = "you" if viewer.pk == order.customer_id else "the customer"
    expert = "you" if viewer.pk == order.expert_id else "the expert"
    due = {"when": order.due_at, "when_label": "due"} if order.due_at else {}
    match party:
        case Party.AGENT if order.status == S.OPEN:
            return NextMove("an agent", "find an expert", **due)
        case Party.AGENT:
            return NextMove("an agent", "check the revision request")
        case Party.PROS:
            return NextMove("the invited pros", "accept the order", **due)
        case Party.QC:
            return NextMove("QC", "check the delivery", **due)
        case Party.EXPERT if order.status == S.IN_PROGRESS:
            return NextMove(expert, "work on the first delivery", **due)
        case Party.EXPERT:
            return NextMove(expert, "work on the revision", **due)
        case Party.CUSTOMER if order.status == S.REVISION_REQUESTED:
            return NextMove(customer, "accept or decline the quoted fee")
        case Party.CUSTOMER if order.expert_closable_at:
            closer = "you" if expert == "you" else "the expert"
            return NextMove(
                customer,
                "review the delivery",
                order.expert_closable_at,
                f"{closer} may close it from",
            )
        case Party.CUSTOMER:
            return NextMove(customer, "complete the order or ask for a revision")
    return NextMove("", f"Nothing to do: the order is {order.get_status_display().lower()}.")


# --- closing with care (rule 8) ----------------------------------------------------------------


def with_close_facts(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders` with what `close_blockers` reads, in the same query."""
    latest = Submission.objects.filter(order=OuterRef("pk"), delivered_at__isnull=False)
    concern = Flag.objects.filter(
        order=OuterRef("pk"),
        kind=Flag.Kind.CONCERN,
        raised_by=OuterRef("customer"),
        resolved_at__isnull=True,
    )
    return orders.annotate(
        latest_delivery_opened_at=Subquery(
            latest.order_by("-number").values("customer_opened_at")[:1]
        ),
        open_concern=Exists(concern),
    )


def response_paused() -> Q:
    """Orders whose customer's response clock is stopped: a revision request, a fee or a flag
    (a concern included) is open, so the next move is not only the customer's. For a filter,
    an annotation (`When`) or, negated, the auto-complete sweep's guard."""
    open_request = RevisionRequest.objects.filter(
        order=OuterRef("pk"),
        status__in=[
            RevisionRequest.Status.PENDING_TRIAGE,
            RevisionRequest.Status.AWAITING_FEE,
            RevisionRequest.Status.OPEN,
        ],
    )
    open_fee = FeeRequest.objects.filter(
        order=OuterRef("pk"), status__in=[FeeRequest.Status.REQUESTED, FeeRequest.Status.QUOTED]
    )
    open_flag = Flag.objects.filter(order=OuterRef("pk"), resolved_at__isnull=True)
    return Q(Exists(open_request)) | Q(Exists(open_fee)) | Q(Exists(open_flag))


def pending_extension(order: Order) -> ExtensionRequest | None:
    """The expert's request for more time waiting for an answer, if any."""
    return order.extensions.filter(status=ExtensionRequest.Status.PENDING).first()


def close_blockers(order: Order) -> list[str]:
    """Why the expert may not close `order` alone (rule 8), for an order fetched through
    `with_close_facts`: the close action, the dashboard and the "closable" e-mail all ask this."""
    return rules.close_blockers(
        latest_delivery_opened=order.latest_delivery_opened_at is not None,
        open_revision_request=order.status == S.REVISION_REQUESTED,
        open_concern=order.open_concern,
    )


# --- submissions as each reader knows them -----------------------------------------------------


@dataclass(frozen=True)
class SubmissionName:
    """A submission as its reader counts it: "Draft #1", "Revision #2"."""

    number: int
    kind: str  # a Submission.Kind value

    def __str__(self) -> str:
        return f"{Submission.Kind(self.kind).label} #{self.number}"


def _name(number: int) -> SubmissionName:
    # The first is the draft, every later one a revision (rule 2).
    kind = Submission.Kind.DRAFT if number == 1 else Submission.Kind.REVISION
    return SubmissionName(number, kind)


def delivery_numbers(order: Order) -> dict[int, int]:
    """Each delivered submission's place among what reached the customer: submission number →
    1, 2, … QC rounds are invisible to the customer (rule 3), so with QC the customer's first
    delivery may be the expert's second submission."""
    delivered = order.submissions.filter(delivered_at__isnull=False).order_by("number")
    return {
        number: n for n, number in enumerate(delivered.values_list("number", flat=True), start=1)
    }


def submission_names(
    user: User, order: Order, numbers: Iterable[int], *, delivered: dict[int, int] | None = None
) -> dict[int, SubmissionName]:
    """How `user` names the submissions numbered `numbers`: the customer by delivery (1st, 2nd
    delivery: "Draft #1", "Revision #2"), everyone else by the expert's own count. A submission
    the customer never received has no name for them. `delivered` is `delivery_numbers(order)`
    when the caller has the order's submissions at hand."""
    if access.audience(user, order) != "customer":
        return {n: _name(n) for n in numbers}
    if delivered is None:
        delivered = delivery_numbers(order)
    return {n: _name(delivered[n]) for n in numbers if n in delivered}


def visible_submissions(user: User, order: Order, *, files: bool = True) -> list[Submission]:
    """Every submission of `order` that `user` may see, newest first, files prefetched unless
    `files` is false (a page showing only some of them prefetches theirs), QC's reviews, with
    their reviewer, for those who may read them, each with `shown` (its SubmissionName for this
    reader)."""
    submissions = order.submissions.order_by("-number")
    if files:
        submissions = submissions.prefetch_related("files")
    if access.may_see_scorecard(user, order):  # QC's reviews are never the customer's
        reviews = QCReview.objects.select_related("reviewer", "appeal")
        submissions = submissions.prefetch_related(Prefetch("reviews", queryset=reviews))
    submissions = list(submissions)
    # Who sees an undelivered (in-QC) submission is decided in access.py alone (rule 3).
    visible = [s for s in submissions if access.can_see_submission(user, s)]
    # Every submission of the order is at hand: its deliveries are counted without a query.
    delivered = [s.number for s in reversed(submissions) if s.delivered_at is not None]
    numbers = {number: n for n, number in enumerate(delivered, start=1)}
    names = submission_names(user, order, [s.number for s in visible], delivered=numbers)
    for submission in visible:
        submission.shown = names[submission.number]
    return visible


def final_submission(user: User, order: Order) -> Submission | None:
    """The final documents as `user` sees them: the latest delivered submission."""
    return next((s for s in visible_submissions(user, order) if s.delivered_at), None)


def latest_delivery(order: Order) -> Submission | None:
    """The latest submission the customer could see (rule 6), whoever asks."""
    return order.submissions.filter(delivered_at__isnull=False).order_by("-number").first()


def final_documents(order: Order) -> list[OrderFile]:
    """What closing shows as final (rule 8): the files of the latest delivery."""
    latest = latest_delivery(order)
    return list(latest.files.all()) if latest else []


def customer_documents(user: User, order: Order) -> list[OrderFile]:
    """The documents the customer gave with the order, as far as `user` may download them (a pro
    who is only invited sees none of them, as in the API)."""
    documents = order.files.filter(submission=None, revision_request=None, comment=None)
    return [f for f in documents.select_related("order") if access.can_download(user, f)]


# --- the quality loop ---------------------------------------------------------------------------
def open_items(order: Order, latest: Submission | None = None) -> list[RevisionItem]:
    """The points the expert's next round answers, in the order they were asked: those of the
    customer's revision request that is with the expert (answered again while no round has
    reached the customer: what they read is the delivered round's answer), then those of QC's
    send-back of the latest submission (`latest` if the caller has it; while it is sent back,
    not delivered)."""
    asked = Q(
        request__order=order,
        request__status=RevisionRequest.Status.OPEN,
        answered_in__delivered_at=None,
    )
    latest = latest or order.submissions.order_by("-number").first()
    if latest is not None and latest.delivered_at is None:
        asked |= Q(
            review__submission=latest,
            review__decision=QCReview.Decision.REVISE,
            answered_in=None,
        )
    return list(RevisionItem.objects.filter(asked).order_by("created_at", "position"))


def visible_items(user: User, order: Order) -> QuerySet[RevisionItem]:
    """The checklist points `user` may read on `order`: the customer's own requests' points,
    and QC's send-backs too for everyone but the customer (rule 3)."""
    items = RevisionItem.objects.order_by("created_at", "position")
    return items if access.may_see_scorecard(user, order) else items.filter(request__isnull=False)
