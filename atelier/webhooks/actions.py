"""What agents do with webhook endpoints: one function per action, used by the console pages and
the API alike. Only agents manage endpoints; for anyone else they do not exist (NotFound)."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound

from . import delivery, outbox, targets
from .events import ALL, EVENTS
from .models import Delivery, Endpoint, new_secret

_URL = URLValidator(schemes=["http", "https"])


def may_manage_webhooks(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_agent)


def require_manager(user: User) -> None:
    if not may_manage_webhooks(user):
        raise NotAllowed("Only customer-experience agents manage webhooks.")


def endpoints_for(user: User) -> QuerySet[Endpoint]:
    return Endpoint.objects.all() if may_manage_webhooks(user) else Endpoint.objects.none()


def get_endpoint_for(user: User, pk: int) -> Endpoint:
    endpoint = endpoints_for(user).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def get_delivery_for(user: User, pk: int) -> Delivery:
    found = Delivery.objects.select_related("endpoint").filter(pk=pk).first()
    if found is None or not may_manage_webhooks(user):
        raise NotFound("No such webhook delivery.")
    return found


def _clean(url: str, description: str, subscribed: Sequence[str]) -> dict:
    url = (url or "").strip()
    # PostgreSQL cannot store a NUL character (SQLite can): refuse it on every database.
    for field, value in (("url", url), ("description", description or "")):
        if "\x00" in value:
            raise InvalidInput("Remove the NUL character.", field=field)
    try:
        _URL(url)
    except ValidationError:
        raise InvalidInput(
            "Give a full http:// or https:// URL, e.g. https://example.com/atelier/webhooks.",
            field="url",
        ) from None
    if len(url) > 500:
        raise InvalidInput("A URL is at most 500 characters.", field="url")
    description = (description or "").strip()
    if len(description) > 200:
        raise InvalidInput("A description is at most 200 characters.", field="description")
    names = list(dict.fromkeys(subscribed))  # keep the order, drop repeats
    unknown = [n for n in names if n != ALL and n not in EVENTS]
    if unknown:
        raise InvalidInput(f"Unknown event: {', '.join(unknown)}.", field="events")
    if not names:
        raise InvalidInput("Choose at least one event, or all events.", field="events")
    # Last, as it may ask DNS: public addresses only (checked again before every attempt).
    try:
        targets.vet(url)
    except targets.Refused as refusal:
        raise InvalidInput(str(refusal), field="url") from None
    return {"url": url, "description": description, "events": [ALL] if ALL in names else names}


def create_endpoint(
    *, actor: User, url: str, events: Sequence[str], description: str = ""
) -> Endpoint:
    require_manager(actor)
    fields = _clean(url, description, events)
    return Endpoint.objects.create(created_by=actor, created_at=clock.now(), **fields)


def update_endpoint(
    endpoint: Endpoint, *, actor: User, url: str, events: Sequence[str], description: str = ""
) -> Endpoint:
    """Pending deliveries go to the new URL: each attempt uses the endpoint as it is then."""
    require_manager(actor)
    for name, value in _clean(url, description, events).items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=["url", "description", "events", "updated_at"])
    return endpoint


def rotate_secret(endpoint: Endpoint, *, actor: User) -> Endpoint:
    """A new secret at once: every attempt from now on (retries included) is signed with it."""
    require_manager(actor)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def set_endpoint_active(endpoint: Endpoint, *, actor: User, active: bool) -> Endpoint:
    """A disabled endpoint gets no new events, and what waited for it ends as failed (an agent
    may retry those after enabling it again)."""
    require_manager(actor)
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active", "updated_at"])
    if not active:
        endpoint.deliveries.filter(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=None,
            last_error="The endpoint was disabled before this was sent.",
        )
    return endpoint


def delete_endpoint(endpoint: Endpoint, *, actor: User) -> None:
    """The endpoint goes with its delivery log and whatever was still waiting to be sent:
    nothing is sent to a URL an agent removed. (Disable an endpoint to keep its log.)"""
    require_manager(actor)
    endpoint.delete()


def send_test_event(endpoint: Endpoint, *, actor: User) -> Delivery:
    require_manager(actor)
    if not endpoint.is_active:
        raise Conflict("Enable the endpoint to send it a test event.", code="endpoint_disabled")
    return outbox.emit_ping(endpoint)


def retry_delivery(found: Delivery, *, actor: User) -> Delivery:
    """A failed delivery is sent again, with the same event id (a fresh round of attempts)."""
    require_manager(actor)
    if not found.endpoint.is_active:
        raise Conflict("Enable the endpoint first.", code="endpoint_disabled")
    if not delivery.retry_failed(found):
        raise Conflict("Only a failed delivery can be retried.", code="not_failed")
    outbox.nudge([found.pk])
    found.refresh_from_db()
    return found
