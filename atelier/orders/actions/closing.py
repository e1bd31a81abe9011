"""Completion, close with farewell, and the final-documents link: DESIGN rules 7, 8, 9 and 10.

Completing or closing earns the expert's reward (rule 11).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotFound
from atelier.core.time import describe, platform_tz
from atelier.notifications.outbox import notify
from atelier.rewards import services as rewards

from .. import access, queries, rules
from ..models import AccessLink, Flag, Order, OrderFile, RevisionRequest
from ..workflow import DELIVERED_STATUSES, S, lock_order, transition
from .common import clean_text, open_flag, order_link, require_status


def finish_order(order: Order, *, actor: User, verb: str, **details) -> Order:
    order.revision_requests.filter(
        status__in=[
            RevisionRequest.Status.OPEN,
            RevisionRequest.Status.PENDING_TRIAGE,
            RevisionRequest.Status.AWAITING_FEE,
        ]
    ).update(status=RevisionRequest.Status.WITHDRAWN)
    # Rule 11: earned at completion; QC orders earned it at the first approval already, and the
    # ledger's unique key makes this a no-op for them. Before the status moves, so that the
    # event's webhook shows the reward's release clock.
    rewards.earn_reward(order)
    transition(
        order, S.COMPLETED, actor=actor, verb=verb, fields={"completed_at": clock.now()}, **details
    )
    order.flags.filter(
        kind__in=[Flag.Kind.COMPLETION_REQUEST, Flag.Kind.CLOSE_REQUEST], resolved_at__isnull=True
    ).update(resolved_at=clock.now(), resolved_by=actor, resolution=f"Order {verb.split('.')[-1]}.")
    return order


@transaction.atomic
def complete_order(order: Order, *, actor: User) -> Order:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_complete(actor, order),
        "Only the customer or an agent completes an order.",
    )
    allowed = [*DELIVERED_STATUSES, S.REVISION_REQUESTED] if actor.is_agent else DELIVERED_STATUSES
    require_status(order, allowed, "complete the order")
    finish_order(order, actor=actor, verb="order.completed")
    notify("completed", [order.customer, order.expert], order=order, order_url=order_link(order))
    return order


@dataclass(frozen=True)
class CloseInfo:
    """Everything the close page and `GET /orders/{id}/close` show."""

    closable: bool
    closable_at: datetime | None
    reason: str  # the moment and why, in one sentence
    why: str  # only why (pages show the moment in the viewer's own zone beside it)
    needs_agent: bool
    blockers: list[str]
    final_documents: list[OrderFile]
    farewell_template: str


# One line per paragraph: e-mail clients wrap lines themselves, and a hard break inside a
# sentence shows as a broken line in the customer's e-mail.
FAREWELL_TEMPLATE = (
    "Hi {customer},\n"
    "\n"
    "It has been a pleasure working on “{title}” with you. Your final documents are ready, and "
    "they stay available to you at any time.\n"
    "\n"
    "Your documents: {link}\n"
    "\n"
    "All the best,\n"
    "{expert}"
)


def _farewell_token(order: Order) -> str:
    # Stable between showing the draft and sending it, new after every reopen.
    closes = order.events.filter(verb="order.closed").count()
    return salted_hmac(
        "atelier.farewell", f"{order.pk}:{order.customer_id}:{closes}", algorithm="sha256"
    ).hexdigest()


def _farewell_link_line(order: Order) -> str:
    url = settings.ATELIER_BASE_URL + reverse("access-link", args=[_farewell_token(order)])
    return f"Your documents: {url}"


def close_info(order: Order, *, actor: User) -> CloseInfo:
    """The rule-7 eligibility moment and reason, the rule-8 blockers, the documents that will be
    final and the farewell draft."""
    access.authorize(
        actor,
        order,
        access.may_close(actor, order),
        "Only the order's expert or an agent closes it.",
    )
    tz = platform_tz()
    deliveries = list(
        order.submissions.filter(delivered_at__isnull=False).values_list("delivered_at", flat=True)
    )
    eligibility = rules.closing_eligibility(deliveries, tz, order.policy)
    # The same question the dashboard and the "closable" e-mail ask (rule 8).
    blockers = queries.close_blockers(
        queries.with_close_facts(Order.objects.filter(pk=order.pk)).get()
    )
    now = clock.now()
    in_time = eligibility.at is not None and now >= eligibility.at
    state_ok = order.status in DELIVERED_STATUSES or (order.status == S.REVISION_REQUESTED)
    reason = eligibility.reason
    if eligibility.at is not None:
        reason = f"Closable from {describe(eligibility.at, tz)}: {eligibility.reason}"
    expert = order.expert
    return CloseInfo(
        closable=state_ok and in_time and not blockers,
        closable_at=eligibility.at,
        reason=reason,
        why=eligibility.reason,
        needs_agent=bool(blockers),
        blockers=blockers,
        final_documents=queries.final_documents(order),
        farewell_template=FAREWELL_TEMPLATE.format(
            customer=order.customer.display_name,
            title=order.title,
            link=_farewell_link_line(order).removeprefix("Your documents: "),
            expert=expert.display_name if expert else "The Atelier team",
        ),
    )


@transaction.atomic
def close_order(order: Order, *, actor: User, message: str) -> Order:
    """Close and send the farewell in one step (rule 8): the order is never closed without it."""
    order = lock_order(order)
    info = close_info(order, actor=actor)
    require_status(
        order,
        DELIVERED_STATUSES if not actor.is_agent else [*DELIVERED_STATUSES, S.REVISION_REQUESTED],
        "close the order",
    )
    if not actor.is_agent:
        if info.needs_agent:
            raise Conflict(
                " ".join(info.blockers) + " Use “request close” to ask an agent.",
                code="needs_agent",
            )
        if not info.closable:
            raise Conflict(info.reason, code="not_yet_closable")
    message = clean_text(message, "message", "The farewell message")
    link_line = _farewell_link_line(order)
    if link_line not in [line.strip() for line in message.splitlines()]:
        raise InvalidInput(
            f"Keep the line “{link_line}” exactly as it is: "
            "it is the customer's way back to their documents.",
            code="farewell_link_changed",
            field="message",
        )
    token = _farewell_token(order)
    AccessLink.objects.create(
        user=order.customer,
        order=order,
        token_hash=_digest(token),
        created_at=clock.now(),
    )
    finish_order(
        order, actor=actor, verb="order.closed", documents=[f.name for f in info.final_documents]
    )
    notify(
        "farewell",
        [order.customer],
        order=order,
        order_url=order_link(order),
        message=message,
        expert=str(actor),
    )
    notify("completed", [order.expert], order=order, order_url=order_link(order))
    return order


@transaction.atomic
def request_close(order: Order, *, actor: User, note: str = "") -> Flag:
    """The expert may not close alone (rule 8): an agent is asked."""
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_request_close(actor, order),
        "Only the order's expert asks to close it.",
    )
    require_status(order, [*DELIVERED_STATUSES, S.REVISION_REQUESTED], "ask to close")
    if order.flags.filter(kind=Flag.Kind.CLOSE_REQUEST, resolved_at__isnull=True).exists():
        raise Conflict(
            "You have already asked an agent to close this order.", code="already_requested"
        )
    return open_flag(order, Flag.Kind.CLOSE_REQUEST, actor=actor, note=note.strip())


def find_access_link(token: str) -> AccessLink:
    """Rule 9 as built: the farewell's link names an order's final documents and the customer
    they are for. Opening it grants nothing and uses nothing up (the visitor proves to be that
    customer by signing in), so it can be neither abused by whoever sees it nor broken by a
    click."""
    link = (
        AccessLink.objects.select_related("user", "order").filter(token_hash=_digest(token)).first()
    )
    if link is None:
        raise NotFound("This link is not valid.", code="link_invalid")
    return link


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
