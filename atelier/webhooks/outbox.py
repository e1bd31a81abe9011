"""Writing webhook deliveries. record_event() (atelier/orders/events.py) calls emit_for_event()
for every timeline event, inside the action's transaction: a status change (or the creation)
becomes one Delivery row per active endpoint subscribed to it, and the worker sends them later.
A rolled-back action leaves no row; a committed one never loses its deliveries."""

import json
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from atelier.core import clock, tasks
from atelier.orders import queries
from atelier.orders.models import Event, Order, OrderFile

from . import events
from .models import Delivery, Endpoint


def emit_for_event(order: Order, event: Event) -> list[Delivery]:
    """Queue the webhook this timeline event is, for every endpoint that wants it. Costs no
    query for events that are not webhooks and one when no endpoint wants it."""
    name = events.for_timeline(event.verb, event.to_status)
    if name is None:
        return []
    endpoints = [e for e in Endpoint.objects.filter(is_active=True) if e.wants(name)]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    payload = _envelope(event_id, name, event.created_at, order_data(order, event, name))
    return _queue(endpoints, name, event_id, payload, order=order)


@transaction.atomic
def emit_ping(endpoint: Endpoint) -> Delivery:
    """A test event for one endpoint (the console's "Send a test event")."""
    event_id = uuid.uuid4()
    data = {
        "message": "A test event from Atelier: your endpoint is reachable.",
        "endpoint": {"id": endpoint.pk, "url": endpoint.url},
    }
    [delivery] = _queue(
        [endpoint], events.PING, event_id, _envelope(event_id, events.PING, clock.now(), data)
    )
    return delivery


def order_data(order: Order, event: Event, name: str) -> dict[str, Any]:
    """The `data` of an order event: the order as the API shows it (the system's view), the
    timeline event, and, on order.completed, the final documents with links that download
    them without logging in (for ATELIER_DOWNLOAD_LINK_DAYS)."""
    # Imported here: the API's schemas import the orders app, which imports this module.
    from atelier.api.schemas import order_out

    data: dict[str, Any] = {
        "order": order_out(order, None),
        "event": {
            "verb": event.verb,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor.email if event.actor_id else None,
            "details": event.details,
        },
    }
    if name == events.for_status(Order.Status.COMPLETED):
        data["final_documents"] = [_document(f) for f in queries.final_documents(order)]
    return data


def _document(file: OrderFile) -> dict[str, Any]:
    from atelier.api.schemas import file_out
    from atelier.documents.links import signed_download_url

    return {**file_out(file), "download_url": signed_download_url(file.pk)}


def _envelope(event_id: uuid.UUID, name: str, at, data: dict) -> dict[str, Any]:
    envelope = {"id": str(event_id), "type": name, "created_at": at, "data": data}
    # JSON-safe now (decimals as "120.00", times in ISO 8601), as the receiver will read it.
    return json.loads(json.dumps(envelope, cls=DjangoJSONEncoder))


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
    ids = [d.pk for d in created]
    transaction.on_commit(lambda: nudge(ids))
    return created


def nudge(ids: list[int]) -> None:
    from .tasks import deliver_webhook

    tasks.nudge(deliver_webhook, ids, what="webhook delivery")
