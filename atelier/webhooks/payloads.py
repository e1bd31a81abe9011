"""What a webhook says: the JSON documented in docs/webhooks.md. This is the webhooks' own
contract, rendered here from the engine's models; it follows the API's field names but changes
only with docs/webhooks.md, whatever the API does."""

import json
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from atelier.core import clock
from atelier.documents.links import signed_download_url
from atelier.orders import queries
from atelier.orders.clocks import order_clocks
from atelier.orders.models import Event, Order, OrderFile

from . import events


def envelope(event_id: uuid.UUID, name: str, at: datetime, data: dict) -> dict[str, Any]:
    envelope = {"id": str(event_id), "type": name, "created_at": at, "data": data}
    # JSON-safe now (decimals as "120.00", times in ISO 8601), as the receiver will read it.
    return json.loads(json.dumps(envelope, cls=DjangoJSONEncoder))


def order_event(event: Event, name: str) -> dict[str, Any]:
    """The `data` of an order event: the order (everything about it: webhooks go to the
    platform's own systems), the timeline event, and, on order.completed, the final documents
    with links that download them without logging in (for ATELIER_DOWNLOAD_LINK_DAYS)."""
    order = event.order
    data: dict[str, Any] = {
        "order": order_facts(order),
        "event": {
            "verb": event.verb,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor.email if event.actor_id else None,
            "details": event.details,
        },
    }
    if name == events.for_status(Order.Status.COMPLETED):
        data["final_documents"] = [document(f) for f in queries.final_documents(order)]
    return data


def order_facts(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "title": order.title,
        "instructions": order.instructions,
        "service": order.service.slug,
        "status": order.status,
        "assignment": order.assignment,
        "flow": order.flow,
        "qc_required": order.qc_required,
        "expert_may_close": order.expert_may_close,
        "customer": order.customer.email,
        "expert": order.expert.email if order.expert_id else None,
        "reward": {"amount": order.reward_amount, "currency": order.reward_currency},
        "due_at": order.due_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "completed_at": order.completed_at,
        "closable_at": order.expert_closable_at,  # null where the expert does not close
        "linked_order": order.linked_order_id,
        "url": f"{settings.ATELIER_BASE_URL}/orders/{order.pk}/",
        "clocks": clocks_facts(order),
    }


def clocks_facts(order: Order) -> list[dict[str, Any]]:
    """Every clock of the order as of the event (orders/clocks.py), as an agent reads them."""
    now = clock.now()
    return [c.as_data(now) for c in order_clocks(order, None, now=now)]


def document(file: OrderFile) -> dict[str, Any]:
    path = reverse("api-1:download_file", kwargs={"file_id": file.pk})
    return {
        "id": file.pk,
        "title": file.title,
        "name": file.name,
        "size": file.size,
        "sha256": file.sha256,
        "content_type": file.content_type,
        "kind": file.kind,
        "created_at": file.created_at,
        "url": f"{settings.ATELIER_BASE_URL}{path}",
        "download_url": signed_download_url(file.pk),
    }


def ping(endpoint_id: int, url: str) -> dict[str, Any]:
    return {
        "message": "A test event from Atelier: your endpoint is reachable.",
        "endpoint": {"id": endpoint_id, "url": url},
    }
