"""Writing notifications. Domain actions call notify() inside their transaction (DESIGN rule 12);
the worker delivers the rows later."""

import json
import logging
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from atelier.accounts.models import User
from atelier.core import clock

from .models import Notification

logger = logging.getLogger(__name__)


def notify(
    event: str, recipients: Iterable[User | None], *, order=None, **context: Any
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
    """Ask a worker to send these now. Losing a nudge loses nothing: the sweep finds the rows."""
    from .tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.enqueue(pk)
        except Exception:
            logger.exception("Could not queue notification %s; the sweep will send it", pk)


def agents() -> list[User]:
    return list(User.objects.filter(is_agent=True, is_active=True))
