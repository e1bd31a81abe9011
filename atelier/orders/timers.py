"""What the clock causes on orders: found by the periodic sweep, each done once (conditional
updates and open-flag constraints make a second run, or a second worker, change nothing)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef

from . import actions
from .models import Order, Submission
from .workflow import CLOSED_STATUSES, DELIVERED_STATUSES


def run(now: datetime) -> dict[str, int]:
    closable = Order.objects.filter(
        expert_may_close=True, status__in=DELIVERED_STATUSES, closable_at__lte=now
    ).exclude(closable_notified_at=F("closable_at"))
    # One reminder per delivery the customer has in hand: about the latest one only, never a
    # delivery a later one replaced (rule 14).
    replaced = Submission.objects.filter(
        order=OuterRef("order"), delivered_at__isnull=False, number__gt=OuterRef("number")
    )
    unopened = (
        Submission.objects.filter(
            delivered_at__lte=now - timedelta(days=settings.ATELIER_REMINDER_DAYS),
            customer_opened_at=None,
            customer_reminded_at=None,
            order__status__in=DELIVERED_STATUSES,
        )
        .exclude(Exists(replaced))
        .select_related("order__customer")
    )
    overdue = Order.objects.filter(due_at__lt=now).exclude(status__in=CLOSED_STATUSES)
    # Once per due date: an agent who resolved the flag is not asked again.
    overdue = overdue.exclude(flags__kind="overdue", flags__created_at__gte=F("due_at"))
    return {
        "closable": sum(actions.tell_expert_closable(o) for o in closable.select_related("expert")),
        "reminded": sum(actions.remind_customer(s) for s in unopened),
        "overdue": sum(actions.flag_overdue(o) is not None for o in overdue),
    }
