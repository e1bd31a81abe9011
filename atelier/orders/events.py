"""The order timeline: one call per thing that happened (DESIGN rule 12)."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from atelier.accounts.models import User
from atelier.core import clock
from atelier.webhooks.outbox import emit_for_event

from .models import Event, Order


def record_event(
    order: Order,
    verb: str,
    *,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    **details: Any,
) -> Event:
    event = Event.objects.create(
        order=order,
        verb=verb,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        details=json.loads(json.dumps(details, cls=DjangoJSONEncoder)),
        created_at=clock.now(),
    )
    # Status changes (and the creation) are webhooks too, queued in this same transaction.
    emit_for_event(order, event)
    return event
