"""Writing webhook deliveries. The webhooks app listens to the engine's event log
(atelier/orders/events.py; registered in apps.py): every timeline event that is a webhook (the
creation, or a status change) becomes one Delivery row per active endpoint subscribed to it,
inside the action's transaction, and the worker sends them later. A rolled-back action leaves no
row; a committed one never loses its deliveries."""

import uuid

from django.db import transaction

from atelier.core import clock, tasks
from atelier.orders.models import Event, Order

from . import events, payloads
from .models import Delivery, Endpoint


def emit_for_event(event: Event) -> list[Delivery]:
    """Queue the webhook this timeline event is, for every endpoint that wants it. Costs no
    query for events that are not webhooks and one when no endpoint wants it."""
    name = events.for_timeline(event.verb, event.to_status)
    if name is None:
        return []
    endpoints = [e for e in Endpoint.objects.filter(is_active=True) if e.wants(name)]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    data = payloads.order_event(event, name)
    payload = payloads.envelope(event_id, name, event.created_at, data)
    return _queue(endpoints, name, event_id, payload, order=event.order)


@transaction.atomic
def emit_ping(endpoint: Endpoint) -> Delivery:
    """A test event for one endpoint (the console's "Send a test event")."""
    event_id = uuid.uuid4()
    data = payloads.ping(endpoint.pk, endpoint.url)
    payload = payloads.envelope(event_id, events.PING, clock.now(), data)
    [delivery] = _queue([endpoint], events.PING, event_id, payload)
    return delivery


def _queue(
    endpoints: list[Endpoint],
    name: str,
    event_id: uuid.UUID,
    payload: dict,
    *,
    order: Order | None = None,
) -> list[Delivery]:
    now = clock.now()
    created = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            event=name,
            event_id=event_id,
            order=order,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    from .tasks import deliver_webhooks  # the task module imports delivery, above us

    # One task for every delivery the transaction wrote (atelier/core/tasks.py).
    ids = [d.pk for d in created]
    tasks.nudge_on_commit(deliver_webhooks, ids, what="webhook delivery")
    return created


def nudge(ids: list[int]) -> None:
    from .tasks import deliver_webhook

    tasks.nudge(deliver_webhook, ids, what="webhook delivery")
