"""The read side: what a person may see, shaped for pages."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from atelier.accounts.models import User

from . import access
from .models import Order, OrderFile, RevisionRequest, Submission

S = Order.Status


def customer_orders(user: User) -> QuerySet[Order]:
    """The customer's own orders, newest first, with what `next_move` needs."""
    return (
        Order.objects.filter(customer=user)
        .select_related("service", "expert")
        .annotate(
            pending_triage=Count(
                "revision_requests",
                filter=Q(revision_requests__status=RevisionRequest.Status.PENDING_TRIAGE),
            ),
            awaiting_fee=Count(
                "revision_requests",
                filter=Q(revision_requests__status=RevisionRequest.Status.AWAITING_FEE),
            ),
        )
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class NextMove:
    who: str  # "you", "the expert", "QC", "an agent", "the invited pros", or "" when done
    what: str  # what they do next, said so that "<who> to <what>" reads well
    when: datetime | None = None  # the next date that matters, if any


def next_move(order: Order, *, viewer: User) -> NextMove:
    """Whose move it is on `order` and what they are expected to do, from `viewer`'s side.
    Uses the `pending_triage` / `awaiting_fee` annotations of `customer_orders` when present."""
    mine = viewer.pk == order.customer_id
    customer = "you" if mine else "the customer"
    expert = "you" if viewer.pk == order.expert_id else "the expert"
    match order.status:
        case S.OPEN:
            return NextMove("an agent", "find an expert", order.due_at)
        case S.INVITED:
            return NextMove("the invited pros", "accept the order", order.due_at)
        case S.IN_PROGRESS:
            return NextMove(expert, "work on the first delivery", order.due_at)
        case S.IN_QC:
            return NextMove("QC", "check the delivery", order.due_at)
        case S.DELIVERED | S.REVISION_SUBMITTED:
            if order.expert_may_close:
                return NextMove(customer, "review the delivery", order.closable_at)
            return NextMove(customer, "complete the order or ask for a revision", None)
        case S.REVISION_REQUESTED:
            if getattr(order, "pending_triage", 0):
                return NextMove("an agent", "check the revision request", None)
            if getattr(order, "awaiting_fee", 0):
                return NextMove(customer, "accept or decline the quoted fee", None)
            return NextMove(expert, "work on the revision", order.due_at)
    return NextMove("", f"Nothing to do: the order is {order.get_status_display().lower()}.")


def visible_submissions(user: User, order: Order) -> list[Submission]:
    """Every submission of `order` that `user` may see, newest first, files prefetched."""
    submissions = order.submissions.prefetch_related("files", "reviews").order_by("-number")
    # Who sees an undelivered (in-QC) submission is decided in access.py alone (rule 3).
    return [s for s in submissions if access.can_see_submission(user, s)]


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
