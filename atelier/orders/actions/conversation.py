"""The conversation and flags: comments, the flags people raise, and agents resolving them.

A flag is how the expert reports excessive revisions (DESIGN rule 5) and how a customer's concern
holds back the expert's close (rule 8); after completion only agents post (rule 10).
"""

from collections.abc import Sequence

from django.db import transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.notifications.outbox import notify

from .. import access
from ..events import record_event
from ..models import Comment, Flag, Order
from ..workflow import lock_order
from .common import (
    Upload,
    clean_text,
    open_flag,
    order_link,
    precheck,
    require_open_to,
    stage_files,
    store_files,
)


def post_comment(order: Order, *, actor: User, body: str, files: Sequence[Upload] = ()) -> Comment:
    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_comment(actor, order),
            "Only the customer, the expert and agents comment.",
        )
        require_open_to(actor, order)

    if files:
        precheck(order, check)
    with stage_files(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        body = clean_text(body, "body", "A message", required=not files)
        comment = Comment.objects.create(
            order=order, author=actor, body=body, created_at=clock.now()
        )
        stored = store_files(order, staged, actor=actor, comment=comment)
        record_event(order, "comment.posted", actor=actor, comment=comment.pk)
        others = [u for u in (order.customer, order.expert) if u is not None and u.pk != actor.pk]
        notify(
            "comment_posted",
            others,
            order=order,
            order_url=order_link(order),
            author=str(actor),
            body=body[:2000],
            files=[f.name for f in stored],
        )
        return comment


@transaction.atomic
def raise_flag(order: Order, *, actor: User, kind: str, note: str = "") -> Flag:
    """Flag excessive revisions, ask an agent to complete, or raise a concern."""
    order = lock_order(order)
    if kind not in Flag.Kind.values or kind in Flag.SYSTEM_KINDS:
        raise InvalidInput("Unknown kind of flag.", field="kind")
    access.authorize(
        actor, order, access.may_flag(actor, order, kind), "You cannot raise this flag."
    )
    require_open_to(actor, order)
    if order.flags.filter(kind=kind, raised_by=actor, resolved_at__isnull=True).exists():
        raise Conflict(
            "You have raised this already; an agent will look at it.", code="already_flagged"
        )
    return open_flag(
        order,
        kind,
        actor=actor,
        note=clean_text(note, "note", "A note", required=False, limit=5000),
    )


@transaction.atomic
def resolve_flag(flag: Flag, *, actor: User, resolution: str = "") -> Flag:
    order = lock_order(flag.order_id)
    access.authorize(
        actor, order, access.may_resolve_flag(actor, order), "Only agents resolve flags."
    )
    flag.refresh_from_db()
    if flag.resolved_at is not None:
        raise Conflict("This flag is resolved already.", code="flag_resolved")
    Flag.objects.filter(pk=flag.pk).update(
        resolved_at=clock.now(), resolved_by=actor, resolution=resolution.strip()
    )
    flag.refresh_from_db()
    record_event(
        order,
        "flag.resolved",
        actor=actor,
        kind=flag.kind,
        resolution=flag.resolution,
        flag=flag.pk,
    )
    return flag
