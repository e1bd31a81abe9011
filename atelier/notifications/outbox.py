"""Writing notifications. Domain actions call notify() inside their transaction (DESIGN rule 12);
the worker delivers the rows later.

This app sits just above core: it knows people only as Django's user model (as a reusable app
would), so that accounts may offer e-mail preferences for its events."""

import json
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from atelier.core import clock
from atelier.core.tasks import nudge

from .models import Notification


def notify(
    event: str, recipients: Iterable[Any], *, order=None, **context: Any
) -> list[Notification]:
    """Queue one notification per distinct recipient, with a JSON-safe copy of the context."""
    unique = {user.pk: user for user in recipients if user is not None}
    plain = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    now = clock.now()
    created = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            order=order,
            event=event,
            context=plain,
            created_at=now,
            next_attempt_at=now,
        )
        for user in unique.values()
    )
    ids = [n.pk for n in created]
    transaction.on_commit(lambda: _nudge(ids))
    return created


def _nudge(ids: list[int]) -> None:
    from .tasks import deliver_notification

    nudge(deliver_notification, ids, what="notification")


def agents() -> list:
    """Every active agent: the recipients of what agents watch (flags, close requests)."""
    return list(get_user_model().objects.filter(is_agent=True, is_active=True))
