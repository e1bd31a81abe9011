"""`/events`: the event log, oldest first, for integrations that poll instead of receiving
webhooks. Each caller follows what they may see (agents: everything; customers and experts: the
orders they are a party to) and keeps the `next_cursor` to ask for what happened since."""

from django.http import HttpRequest
from ninja import Query, Router, Schema

from atelier.accounts.models import User
from atelier.orders import access
from atelier.orders.events import sequence_events
from atelier.orders.models import Event

from . import schemas as s
from .pagination import Limit, follow

router = Router(tags=["events"])


class LogFilters(Schema):
    after: str | None = None
    limit: Limit = None


class LogPage(Schema):
    items: list[s.LogEventOut]
    next_cursor: str
    has_more: bool


@router.get(
    "/events",
    response=LogPage,
    summary="The event log, oldest first (poll with ?after=<next_cursor>)",
)
def event_log(request: HttpRequest, filters: Query[LogFilters]):
    user = request.auth
    # Number what has committed since the last read, so this page can include it.
    sequence_events()
    details = access.may_see_event_details(user)
    events = access.followed_events(user).exclude(seq=None).select_related("actor", "order")
    return follow(
        events,
        position="seq",
        after=filters.after,
        limit=filters.limit,
        render=lambda event: _item(event, user, details=details),
    )


def _item(event: Event, user: User, *, details: bool) -> dict:
    item = {**s.event_out(event), "order": event.order_id, "seq": event.seq}
    actor = access.actor_known_to(user, event)  # a customer is not told who QC'd their order
    item["actor"] = actor.email if actor else None
    if not details:
        item["details"] = {}
    return item
