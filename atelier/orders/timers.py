"""What the clock causes on orders: found by the periodic sweep, each done once (conditional
updates and open-flag constraints make a second run, or a second worker, change nothing)."""

from datetime import datetime

from django.db.models import Exists, F, OuterRef

from . import actions, queries, rules
from .models import Order, Submission
from .workflow import CLOSED_STATUSES, DELIVERED_STATUSES


def run(now: datetime) -> dict[str, int]:
    closable = Order.objects.filter(
        expert_may_close=True, status__in=DELIVERED_STATUSES, closable_at__lte=now
    ).exclude(closable_notified_at=F("closable_at"))
    # One reminder per delivery round, at the policy's delay after it: about the latest delivery
    # only, never one a later one replaced (rule 14).
    replaced = Submission.objects.filter(
        order=OuterRef("order"), delivered_at__isnull=False, number__gt=OuterRef("number")
    )
    unopened = (
        Submission.objects.filter(
            order__remind_at__lte=now,
            delivered_at__isnull=False,
            customer_opened_at=None,
            customer_reminded_at=None,
            order__status__in=DELIVERED_STATUSES,
        )
        .exclude(Exists(replaced))
        .select_related("order__customer")
    )
    # Overdue: past the due date without a first delivery (the due date is the delivery's).
    overdue = Order.objects.filter(due_at__lt=now, first_delivered_at=None).exclude(
        status__in=CLOSED_STATUSES
    )
    # Once per due date: an agent who resolved the flag is not asked again.
    overdue = overdue.exclude(flags__kind="overdue", flags__created_at__gte=F("due_at"))
    # The response clock: a day's notice, then completion; never while it is paused.
    answering = Order.objects.filter(status__in=DELIVERED_STATUSES).exclude(
        queries.response_paused()
    )
    to_warn = answering.filter(
        auto_complete_warned_at=None, auto_complete_at__lte=now + rules.AUTO_COMPLETE_NOTICE
    )
    to_complete = answering.filter(auto_complete_warned_at__isnull=False, auto_complete_at__lte=now)
    return {
        "closable": sum(actions.tell_expert_closable(o) for o in closable.select_related("expert")),
        "reminded": sum(actions.remind_customer(s) for s in unopened),
        "overdue": sum(actions.flag_overdue(o) is not None for o in overdue),
        "auto_complete_warned": sum(actions.warn_auto_complete(o) for o in to_warn),
        "auto_completed": sum(actions.complete_automatically(o) for o in to_complete),
    }
